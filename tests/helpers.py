"""Shared constants and helpers of the acceptance tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_tdd import evidence

EVIDENCE = "tdd-evidence.jsonl"

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


def statuses(pytester: pytest.Pytester) -> dict[str, str]:
    return {nodeid: records[0].status for nodeid, records in ledger(pytester).items()}


class GitRepo:
    """A git repository in a temporary directory, driven with the git command line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.path, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def write(self, name: str, text: str) -> None:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")
