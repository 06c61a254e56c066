from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Import every plugin module once in the outer session. pytester's in-process runs restore
# sys.modules after each run but leave submodule attributes on the kept ``pytest_tdd``
# package, so a module first imported inside a run would come back as a stale copy in the
# next run (two ``Identity`` classes that never compare equal).
import pytest_tdd.plugin  # noqa: F401

from helpers import INNER_ADDOPTS, GitRepo


@pytest.fixture
def tdd(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester for multi-run scenarios: deterministic output, no stale bytecode.

    Runs edit modules between ``runpytest`` calls, sometimes within the same second and
    to the same size, so no bytecode may be cached.
    """
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.delenv("PYTEST_TDD_PHASE", raising=False)
    # The outer run's coverage data file is its own: an inner pytest-cov run writes next to
    # the project it measures (tox points COVERAGE_FILE at the outer run's data).
    monkeypatch.delenv("COVERAGE_FILE", raising=False)
    # On a CI runner these would send the inner runs' reports to the outer job's summary.
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setenv("PYTEST_ADDOPTS", INNER_ADDOPTS)
    pytester.makeini(
        """
        [pytest]
        console_output_style = classic
        """
    )
    return pytester


@pytest.fixture
def coverage_closed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close the data of every ``coverage.Coverage`` the test made, when it ends.

    Coverage keeps its data in SQLite, in memory when ``data_file=None``; Python 3.13 warns
    (ResourceWarning, an error in this suite) about a connection that is garbage collected
    open, at whatever later moment the collector runs.
    """
    import coverage

    made: list[coverage.Coverage] = []
    real_init = coverage.Coverage.__init__

    def init(self: coverage.Coverage, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(coverage.Coverage, "__init__", init)
    yield
    for cov in made:
        cov.get_data().close(force=True)


@pytest.fixture
def git_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git configuration of the test's own: no system file, a global file in tmp_path."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    home = tmp_path / "home"
    home.mkdir()
    config = home / ".gitconfig"
    config.write_text(
        "[user]\n\tname = Test\n\temail = test@example.invalid\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
        encoding="utf-8",
    )
    for name in list(os.environ):
        if name.startswith("GIT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    return home


@pytest.fixture
def git_repo_path(tmp_path: Path) -> Path:
    """Where ``git_repo`` makes its repository: ``tmp_path / "repo"``. A test module
    overrides this fixture to put it elsewhere (``pytester.path`` for runs of pytest)."""
    return tmp_path / "repo"


@pytest.fixture
def git_repo(git_home: Path, git_repo_path: Path) -> GitRepo:
    """An empty git repository on branch ``main`` at ``git_repo_path``, with the test's own
    git configuration (``git_home``: no system or user settings, a fixed author)."""
    return GitRepo.init(git_repo_path)
