"""Shared constants and helpers of the acceptance tests."""

from __future__ import annotations

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
