from __future__ import annotations

import sys

import pytest


@pytest.fixture
def tdd(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester for multi-run scenarios: deterministic output, no stale bytecode.

    Runs edit modules between ``runpytest`` calls, sometimes within the same second and
    to the same size, so no bytecode may be cached.
    """
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.delenv("PYTEST_TDD_PHASE", raising=False)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    pytester.makeini(
        """
        [pytest]
        console_output_style = classic
        """
    )
    return pytester
