"""A writer killed with SIGKILL at any moment leaves the evidence file as it was or as it
should be, never partial.

A child process loads nothing but what it is told to write, wraps the low-level steps of
``evidence.save`` (``tempfile.mkstemp``, the stream's ``write``, ``flush`` and ``close``,
``os.fsync``, ``os.chmod``, ``os.replace``) and sends itself SIGKILL just before or just
after one of them, or halfway through the write. Then a child that saves two states in
turn is killed by this process at random moments.
"""

from __future__ import annotations

import os
import pickle
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_tdd import evidence
from pytest_tdd.evidence import Ledger, Record, Status

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

NAME = "tdd-evidence.jsonl"
SIZE = 2_000  # records in each state: a file of about half a megabyte


def state(name: str, numbers: range, status: Status) -> Ledger:
    result = Ledger()
    for number in numbers:
        nodeid = f'tests/test_{number % 7}.py::test_{number:05d}[ü "{number}" \\ \U0001f600]'
        result[nodeid] = (
            Record(
                nodeid,
                status,
                f"{name}-{number:012x}",
                kind="assertion",
                exception="AssertionError",
                message=f"assert {name!r} == {number}\nwhere {'x' * 120}",
                head="abc1234",
            ),
        )
    return result


def merged(ledger: Ledger) -> Ledger:
    """``ledger`` with a second candidate for every 50th test, as a union merge leaves."""
    result = Ledger(ledger.items())
    for nodeid in sorted(ledger)[::50]:
        (record,) = ledger[nodeid]
        result[nodeid] = (record, Record(nodeid, "green", f"merged-{record.fingerprint}"))
    return result


OLD = merged(state("old", range(SIZE), "red"))
NEW = state("new", range(SIZE // 2, SIZE + SIZE // 2), "green")
# What a run that turns OLD into NEW hands to update.
CHANGES = evidence.Changes(put={k: v[0] for k, v in NEW.items()}, drop=set(OLD) - set(NEW))

# ---------------------------------------------------------------------------------------
# Deterministic kill points

CHILD = r"""
import os
import pickle
import signal
import sys
import tempfile
from pathlib import Path

from pytest_tdd import evidence

path, payload, when, step = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
operation, argument = pickle.loads(payload.read_bytes())


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def hooked(name, function):
    def wrapper(*args, **kwargs):
        if (when, step) == ("before", name):
            die()
        result = function(*args, **kwargs)
        if (when, step) == ("after", name):
            die()
        return result

    return wrapper


class Stream:
    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return hooked("close", self.stream.__exit__)(*exc_info)

    def write(self, data):
        if (when, step) == ("halfway", "write"):
            self.stream.write(data[: len(data) // 2])
            self.stream.flush()
            die()
        return hooked("write", self.stream.write)(data)

    def flush(self):
        return hooked("flush", self.stream.flush)()

    def fileno(self):
        return self.stream.fileno()


fdopen = os.fdopen
os.fdopen = lambda *args, **kwargs: Stream(fdopen(*args, **kwargs))
tempfile.mkstemp = hooked("mkstemp", tempfile.mkstemp)
os.fsync = hooked("fsync", os.fsync)
os.chmod = hooked("chmod", os.chmod)
os.replace = hooked("replace", os.replace)
if operation == "save":
    evidence.save(path, argument)
else:
    evidence.update(path, argument)
sys.exit(3)  # the kill point was never reached
"""

POINTS = [
    ("before", "mkstemp"),
    ("after", "mkstemp"),
    ("before", "write"),
    ("halfway", "write"),
    ("after", "write"),
    ("before", "flush"),
    ("after", "flush"),
    ("before", "fsync"),
    ("after", "fsync"),
    ("before", "close"),
    ("after", "close"),
    ("before", "chmod"),
    ("after", "chmod"),
    ("before", "replace"),
    ("after", "replace"),
]
# While the temporary file exists, before the rename.
PENDING = POINTS[POINTS.index(("after", "mkstemp")) : POINTS.index(("before", "replace")) + 1]
PAYLOADS = {"save": pickle.dumps(("save", NEW)), "update": pickle.dumps(("update", CHANGES))}


@dataclass(frozen=True)
class Kill:
    """A child killed at one point of a save, and the folder it left."""

    when: str
    step: str
    returncode: int
    stderr: str
    folder: Path

    @property
    def expected(self) -> Ledger:
        return NEW if (self.when, self.step) == ("after", "replace") else OLD


@dataclass(frozen=True)
class Recovery:
    """What an update did to a copy of that folder."""

    written: bool
    ledger: Ledger
    names: list[str]


@pytest.fixture(
    scope="module",
    params=[(operation, *point) for operation in PAYLOADS for point in POINTS],
    ids=[f"{operation}-{when}-{step}" for operation in PAYLOADS for when, step in POINTS],
)
def kill(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Kill:
    operation, when, step = request.param
    root = tmp_path_factory.mktemp(f"{operation}-{when}-{step}")
    folder = root / "project"
    folder.mkdir()
    evidence.save(folder / NAME, OLD)
    payload = root / "payload.pickle"
    payload.write_bytes(PAYLOADS[operation])
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder / NAME), str(payload), when, step],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Kill(when, step, child.returncode, child.stderr, folder)


EXTRA = Record("tests/test_extra.py::test_after_the_kill", "red", "e" * 16, kind="assertion")


@pytest.fixture(scope="module")
def recovery(kill: Kill, tmp_path_factory: pytest.TempPathFactory) -> Recovery:
    folder = tmp_path_factory.mktemp("recovery") / "project"
    shutil.copytree(kill.folder, folder)
    written = evidence.update(folder / NAME, evidence.Changes(put={EXTRA.nodeid: EXTRA}))
    names = sorted(path.name for path in folder.iterdir())
    return Recovery(written, evidence.load(folder / NAME), names)


def test_the_changes_handed_to_update_turn_the_old_state_into_the_new_one() -> None:
    assert evidence.apply(OLD, CHANGES) == NEW


def test_the_writer_is_killed_at_the_chosen_point(kill: Kill) -> None:
    assert kill.returncode == -signal.SIGKILL, kill.stderr


def test_a_killed_writer_leaves_the_old_state_before_the_rename_and_the_new_one_after(
    kill: Kill,
) -> None:
    assert evidence.load(kill.folder / NAME) == kill.expected


def test_a_writer_leaves_a_temporary_file_only_if_killed_between_mkstemp_and_the_rename(
    kill: Kill,
) -> None:
    names = sorted(path.name for path in kill.folder.iterdir())
    expected = [f".{NAME}.*.tmp"] if (kill.when, kill.step) in PENDING else []
    assert [name if name == NAME else f".{NAME}.*.tmp" for name in names] == [*expected, NAME]


def test_the_temporary_file_of_a_killed_writer_holds_a_prefix_of_the_new_text(
    kill: Kill,
) -> None:
    text = evidence.dumps(NEW).encode("utf-8")
    for leftover in kill.folder.glob(f".{NAME}.*.tmp"):
        content = leftover.read_bytes()
        assert text.startswith(content)
        if (kill.when, kill.step) == ("halfway", "write"):
            assert 0 < len(content) < len(text)


def test_an_update_after_a_kill_keeps_the_records_the_kill_left(
    recovery: Recovery, kill: Kill
) -> None:
    assert recovery.written
    assert recovery.ledger == evidence.apply(
        kill.expected, evidence.Changes(put={EXTRA.nodeid: EXTRA})
    )


def test_an_update_after_a_kill_removes_the_killed_writers_temporary_file(
    recovery: Recovery,
) -> None:
    assert recovery.names == [NAME]


# ---------------------------------------------------------------------------------------
# Random kill points

# A parent process that pays for Python's start-up once: for each line "fork" on its stdin
# it forks a writer that saves the two states in turn, forever, and prints the writer's
# pid; it reaps the writer only once told "killed", so the pid cannot be reused before
# this test kills it, then prints the writer's exit code.
WRITERS = r"""
import os
import pickle
import sys
from pathlib import Path

from pytest_tdd import evidence

path, states = Path(sys.argv[1]), pickle.loads(Path(sys.argv[2]).read_bytes())
while sys.stdin.readline() == "fork\n":
    pid = os.fork()
    if pid == 0:
        try:
            while True:
                for ledger in states:
                    evidence.save(path, ledger)
        finally:
            os._exit(1)
    print(pid, flush=True)
    sys.stdin.readline()
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""
KILLS = 30
LONGEST_DELAY = 0.1  # seconds: a save of either state takes a few tens of milliseconds


def test_a_writer_killed_at_random_moments_always_leaves_one_of_its_two_states(
    tmp_path: Path,
) -> None:
    path = tmp_path / "project" / NAME
    path.parent.mkdir()
    evidence.save(path, OLD)
    payload = tmp_path / "states.pickle"
    payload.write_bytes(pickle.dumps([NEW, OLD]))
    delays = random.Random(20_240_601)
    outcomes = []
    with subprocess.Popen(
        [sys.executable, "-c", WRITERS, str(path), str(payload)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as writers:
        assert writers.stdin is not None
        assert writers.stdout is not None
        for _ in range(KILLS):
            delay = delays.uniform(0, LONGEST_DELAY)
            writers.stdin.write("fork\n")
            writers.stdin.flush()
            pid = int(writers.stdout.readline())
            try:
                time.sleep(delay)
            finally:
                os.kill(pid, signal.SIGKILL)
            writers.stdin.write("killed\n")
            writers.stdin.flush()
            assert int(writers.stdout.readline()) == -signal.SIGKILL
            ledger = evidence.load(path)
            outcomes.append("old" if ledger == OLD else "new" if ledger == NEW else f"{delay=}")
        writers.stdin.close()
    leftovers = len(list(path.parent.glob(f".{NAME}.*.tmp")))
    assert set(outcomes) <= {"old", "new"}, (outcomes, leftovers)
