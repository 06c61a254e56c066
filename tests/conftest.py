from __future__ import annotations

import sys

import pytest

# Import every plugin module once in the outer session. pytester's in-process runs restore
# sys.modules after each run but leave submodule attributes on the kept ``pytest_tdd``
# package, so a module first imported inside a run would come back as a stale copy in the
# next run (two ``Identity`` classes that never compare equal).
import pytest_tdd.plugin  # noqa: F401


@pytest.fixture
def tdd(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester for multi-run scenarios: deterministic output, no stale bytecode.

    Runs edit modules between ``runpytest`` calls, sometimes within the same second and
    to the same size, so no bytecode may be cached. Hypothesis's pytest plugin is left out
    of the inner runs: it imports hypothesis afresh in each one, which costs a second.
    """
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.delenv("PYTEST_TDD_PHASE", raising=False)
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest")
    pytester.makeini(
        """
        [pytest]
        console_output_style = classic
        """
    )
    return pytester
