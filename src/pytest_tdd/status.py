"""``pytest --tdd-status``: each selected test's state against the evidence, and the next
command of the cycle.

It collects as a phase run does (``RunSide`` computes each test's identity, finds the tests
of a module that cannot be imported in its source, keeps the node ids named on the command
line), runs no test and writes nothing but the ``--tdd-json`` report. The states come from
the same matching as the verdicts (``phases.states``). Its exit status is 0, also when a
module cannot be imported (its tests are shown from its source), unless the evidence file
is unreadable (a usage error) or the JSON report cannot be written.
"""

from __future__ import annotations

import json
import shlex
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from pytest_tdd import evidence, phases
from pytest_tdd.departed import Departures
from pytest_tdd.evidence import Record
from pytest_tdd.observe import Sighting
from pytest_tdd.phases import Observation
from pytest_tdd.report import plural
from pytest_tdd.runside import RunSide, Selection
from pytest_tdd.settings import Settings

StatusWord = Literal["none", "red", "green", "legacy", "exempt", "changed"]
WORDS: tuple[StatusWord, ...] = ("none", "red", "green", "legacy", "exempt", "changed")
_WIDTH = max(len(word) for word in WORDS) + 1
_COLOURS = {
    "red": "red",
    "green": "green",
    "legacy": "green",
    "none": "yellow",
    "changed": "yellow",
}
_ATTENTION = frozenset({"none", "changed", "red"})
_FAILED = (pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED)


@dataclass(frozen=True)
class Row:
    """One test's state; ``record`` is its evidence, or for a changed test the evidence of
    its old code."""

    nodeid: str
    state: StatusWord
    record: Record | None = None
    reason: str | None = None  # the tdd_exempt marker's

    @property
    def current(self) -> Record | None:
        return None if self.state == "changed" else self.record

    def note(self) -> str | None:
        if self.state == "exempt":
            return self.reason
        if self.state == "changed":
            return f"changed since its {self.record.status} evidence" if self.record else None
        record = self.current
        if record is None or record.kind is None:
            return None
        return f"{record.kind}, since {record.head}" if record.head else record.kind

    def line(self) -> str:
        note = self.note()
        return f"{self.state:<{_WIDTH}}{self.nodeid}" + (f"  ({note})" if note else "")

    def to_json(self) -> dict[str, Any]:
        record = self.current
        entry: dict[str, Any] = {
            "state": self.state,
            "kind": record.kind if record else None,
            "since": record.head if record else None,
        }
        if self.reason is not None:
            entry["reason"] = self.reason
        return entry


def rows_of(
    observations: Sequence[Observation],
    ledger: evidence.Ledger,
    missing_files: set[str],
    left_file: phases.LeftFile = phases.never_left,
    complete_files: set[str] | frozenset[str] = frozenset(),
) -> list[Row]:
    found = phases.states(observations, ledger, missing_files, left_file, complete_files)
    rows = []
    for o in observations:
        state, record = found[o.nodeid]
        word: StatusWord = "exempt" if o.exempt is not None else state
        rows.append(Row(o.nodeid, word, record, o.exempt))
    return rows


def _targets(nodeids: Sequence[str]) -> str:
    """The node ids to name on a command line: the tests, their files, or nothing."""
    if len(nodeids) <= 3:
        return "".join(" " + shlex.quote(n) for n in nodeids)
    files = sorted({n.partition("::")[0] for n in nodeids})
    return "".join(" " + shlex.quote(f) for f in files) if len(files) <= 3 else ""


def next_step(rows: Sequence[Row], onboarding: bool = False) -> str:
    """What to run next: prove the tests without evidence red, make the red ones pass, or
    refactor. ``onboarding``: the evidence file holds nothing yet."""
    if not rows:
        return "no test selected"
    new = [r.nodeid for r in rows if r.state in ("none", "changed")]
    if new:
        one = len(new) == 1
        text = (
            f"{plural(len(new), 'test')} without evidence of {'its' if one else 'their'} "
            f"current code: see {'it' if one else 'them'} fail first with "
            f"`pytest --tdd-phase=red{_targets(new)}`"
        )
        if onboarding:
            text += "; an existing suite that passes is recorded once with `pytest --tdd-adopt`"
        return text
    red = sum(1 for r in rows if r.state == "red")
    if red:
        return f"{plural(red, 'test')} red: implement, then `pytest --tdd-phase=green`"
    return (
        "every test has evidence: refactor and check it with `pytest --tdd-phase=refactor`, "
        "or write a failing test and run `pytest --tdd-phase=red <its file>`"
    )


def counts(rows: Sequence[Row]) -> dict[str, int]:
    found = Counter(r.state for r in rows)
    return {word: found[word] for word in WORDS}


def summary_line(rows: Sequence[Row], step: str) -> str:
    found = Counter(r.state for r in rows)
    shown = ", ".join(f"{word} {found[word]}" for word in sorted(found))
    return f"tdd: {plural(len(rows), 'test')}" + (f": {shown}" if shown else "") + f"; next: {step}"


class Status:
    """Registered as ``tdd-status`` by ``--tdd-status``, beside ``RunSide``."""

    def __init__(self, config: pytest.Config, settings: Settings, sighting: Sighting) -> None:
        self.config = config
        self.settings = settings
        self.sighting = sighting
        try:
            self.ledger, self.files = evidence.load_with_files(settings.state_file)
        except evidence.EvidenceError as error:
            raise pytest.UsageError(
                f"{error}\nThe file was left as it is: fix it, or restore it from git."
            ) from None
        self.rows: list[Row] = []
        self.step = ""
        self.problem: str | None = None

    def pytest_report_header(self, config: pytest.Config) -> str:
        path = self.settings.state_file
        shown = self.settings.shown(path)
        held = (
            f"holds the evidence of {plural(len(self.ledger), 'test')}"
            if path.exists()
            else "no such file yet"
        )
        return f"tdd: status against the evidence in {shown} ({held})"

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        missing = self.sighting.missing_files(self.ledger, self.settings.rootpath)
        root = self.settings.rootpath
        complete = self.sighting.complete_files(self.config, root)
        self.rows = rows_of(
            self.sighting.unrun(), self.ledger, missing, Departures(root).left, complete
        )
        self.step = next_step(self.rows, onboarding=not self.ledger)
        if self.settings.json_path is not None:
            self._write_json()
        return True  # collect, show, run nothing

    def _write_json(self) -> None:
        path = self.settings.json_path
        assert path is not None
        document = {
            "status": {row.nodeid: row.to_json() for row in self.rows},
            "counts": counts(self.rows),
            "next": self.step,
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
        except OSError as error:
            self.problem = f"cannot write the JSON report {path}: {error}"

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.problem is not None:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        elif session.exitstatus in _FAILED:  # collection errors: their tests are shown
            session.exitstatus = pytest.ExitCode.OK

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        write = terminalreporter.write_line
        terminalreporter.write_sep("=", "tdd status")
        quiet = self.config.get_verbosity() < 0  # -q: only the tests that ask for a run
        for row in self.rows:
            if quiet and row.state not in _ATTENTION:
                continue
            colour = _COLOURS.get(row.state)
            write(row.line(), **({colour: True} if colour else {}))
        new = any(r.state in ("none", "changed") for r in self.rows)
        red = any(r.state == "red" for r in self.rows)
        write(summary_line(self.rows, self.step), yellow=new, red=red and not new)
        if self.problem is not None:
            write(f"tdd: ERROR {self.problem}", red=True)


def register_status(config: pytest.Config, settings: Settings, run_name: str) -> None:
    """Register what ``--tdd-status`` needs: the collection of a phase run and the view."""
    # A module that cannot be imported yet has tests to show (found in its source).
    config.option.continue_on_collection_errors = True
    # It runs no test: collected here, none is sent to xdist workers (before xdist's own
    # pytest_configure, which runs last, starts them).
    if getattr(config.option, "dist", "no") != "no":
        config.option.dist = "no"
    sighting = Sighting()
    selection = Selection.take_from(config, settings.rootpath)
    config.pluginmanager.register(RunSide(config, settings, sighting, selection), run_name)
    config.pluginmanager.register(Status(config, settings, sighting), "tdd-status")
