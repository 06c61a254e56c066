"""Shared constants and helpers of the acceptance tests."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from pytest_tdd import evidence

EVIDENCE = "tdd-evidence.jsonl"
# Plugins of the test extra that change a run when merely installed stay out of inner runs
# unless a test asks for them: randomly reorders the tests, hypothesis's plugin costs a
# second of import per run; pytest-asyncio warns when its loop scope is not set;
# rerunfailures starts a socket server in every run that has xdist installed, and its
# releases up to 16.1 (the newest that installs beside pytest 8.0) leave one thread per
# worker spinning on the closed socket after an in-process ``-n 2`` run, for the rest of
# the outer session (tests/test_real_suites.py loads it again for its own runs).
INNER_ADDOPTS = "-p no:hypothesispytest -p no:randomly -p no:rerunfailures" + (
    " -o asyncio_default_fixture_loop_scope=function"
    if tuple(int(p) for p in version("pytest-asyncio").split(".")[:2]) >= (0, 24)
    else ""
)

CALC_EMPTY = """
def unrelated():
    return 0
"""
CALC_ADD = """
def unrelated():
    return 0


def add(a, b):
    return a + b
"""
TEST_ADD = """
import calc


def test_add():
    assert calc.add(1, 2) == 3
"""


def ledger(pytester: pytest.Pytester, name: str = EVIDENCE) -> evidence.Ledger:
    """The evidence file, read back through the project's own loader."""
    return evidence.load(pytester.path / name)


def build_ledger(*records: evidence.Record) -> evidence.Ledger:
    """A ledger holding ``records``, several under one id where they share it."""
    result = evidence.Ledger()
    for record in records:
        result[record.nodeid] = (*result.get(record.nodeid, ()), record)
    return result


def red_then_implement(tdd: pytest.Pytester) -> None:
    """``test_calc.py::test_add`` recorded red, then ``calc.add`` written."""
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    assert tdd.runpytest("--tdd-phase=red").ret == pytest.ExitCode.OK
    tdd.makepyfile(calc=CALC_ADD)


def reach_green(tdd: pytest.Pytester) -> None:
    """``test_calc.py::test_add`` taken through a whole red -> green cycle."""
    red_then_implement(tdd)
    assert tdd.runpytest("--tdd-phase=green").ret == pytest.ExitCode.OK


def statuses(pytester: pytest.Pytester) -> dict[str, str]:
    return {nodeid: records[0].status for nodeid, records in ledger(pytester).items()}


class GitRepo:
    """A throw-away git repository, driven with the git command line.

    Get one from the ``git_repo`` fixture (tests/conftest.py), which isolates git from the
    developer's configuration (``git_home``): an empty repository on branch ``main``. In
    the same test, ``GitRepo.init`` makes more (an origin, a nested repository) and
    ``clone`` copies one. Every git command must succeed; its output is returned stripped.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def init(cls, path: Path, branch: str = "main") -> GitRepo:
        """A new, empty repository at ``path`` (made if missing) on ``branch``."""
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", branch)
        return repo

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.path, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def write(self, name: str, text: str) -> Path:
        """Write ``text`` exactly (no dedenting) to ``name``, making its folders."""
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def commit(self, message: str = "change") -> str:
        """Commit everything in the working tree (even nothing); the new commit's sha."""
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        """The full sha of ``HEAD``."""
        return self.git("rev-parse", "HEAD")

    def branch(self, name: str, start: str | None = None) -> None:
        """Create branch ``name`` at ``start`` (``HEAD`` if None) and switch to it."""
        self.git("switch", "-q", "-c", name, *([] if start is None else [start]))

    def switch(self, name: str) -> None:
        self.git("switch", "-q", name)

    def clone(self, path: Path, *options: str) -> GitRepo:
        """A clone of this repository at ``path``, with ``git clone`` options."""
        self.git("clone", "-q", *options, f"file://{self.path}", str(path))
        return GitRepo(path)

    def python(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run this interpreter with ``args`` in the repository (``"-m", "pytest"``)."""
        return subprocess.run(
            [sys.executable, *args], cwd=self.path, capture_output=True, text=True, check=False
        )
