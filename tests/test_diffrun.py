"""The diff-coverage glue, in-process: a real git repository, a real coverage measurement.

pytest-cov's plugin is stood in for by the one attribute pytest-tdd reads of it (its
``cov_controller.cov``): the acceptance tests in ``test_diff_plugin.py`` run the real one,
in a subprocess.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import coverage
import pytest

from pytest_tdd.diffrun import DiffRun
from pytest_tdd.settings import DiffSettings

from helpers import GitRepo

pytestmark = pytest.mark.usefixtures("coverage_closed")

BASE = "def add(a, b):\n    return a + b\n"
FEATURE = BASE + "\n\ndef sub(a, b):\n    if a > b:\n        return a - b\n    return 0\n"


@pytest.fixture
def root(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    git_repo.write("calc.py", BASE)
    git_repo.commit("base")
    git_repo.write("calc.py", FEATURE)
    return git_repo.path


def settings(**changes: Any) -> DiffSettings:
    values: dict[str, Any] = {
        "base": "main",
        "fail_under": 80.0,
        "markdown": None,
        "contexts": False,
        "omit": (),
    }
    values.update(changes)
    return DiffSettings(**values)


def config_with(cov: coverage.Coverage | None) -> Any:
    plugin = SimpleNamespace(cov_controller=SimpleNamespace(cov=cov)) if cov else None
    return SimpleNamespace(pluginmanager=SimpleNamespace(getplugin=lambda name: plugin))


def measured(root: Path, code: str) -> coverage.Coverage:
    cov = coverage.Coverage(data_file=None, branch=True, source=[str(root)], config_file=False)
    cov.start()
    try:
        exec(code, runpy.run_path(str(root / "calc.py")))
    finally:
        cov.stop()
    return cov


def test_the_base_is_resolved_when_the_run_starts(root: Path) -> None:
    run = DiffRun(root, settings())
    assert run.base.ref == "main"
    assert run.base.how == "given with --tdd-base"


def test_a_base_from_the_ini_file_says_so(root: Path) -> None:
    assert DiffRun(root, settings(base_from_ini=True)).base.how == "set by ini tdd_base"


def test_a_base_that_does_not_resolve_is_a_usage_error(root: Path) -> None:
    with pytest.raises(pytest.UsageError, match=r"^diff coverage: .*nope"):
        DiffRun(root, settings(base="nope"))


def test_a_run_below_the_threshold_has_a_violation_and_lists_the_file(root: Path) -> None:
    run = DiffRun(root, settings())
    run.measure(config_with(measured(root, "sub(3, 1)")), [], set())
    assert run.problem is None
    assert run.violation is not None
    assert run.violation.kind == "diff-coverage"
    lines = run.summary_lines(verbose=False)
    assert lines[0].startswith("tdd: diff coverage 50.00% of 4 changed lines")
    assert lines[1:] == ["    calc.py 50.00%: missing 8; partial 6"]


def test_a_passing_run_is_one_line_unless_verbose(root: Path) -> None:
    run = DiffRun(root, settings(fail_under=50.0))
    run.measure(config_with(measured(root, "sub(3, 1)")), [], set())
    assert run.violation is None
    assert len(run.summary_lines(verbose=False)) == 1
    assert len(run.summary_lines(verbose=True)) == 2


def test_test_files_of_the_run_never_count(root: Path) -> None:
    run = DiffRun(root, settings())
    run.measure(config_with(measured(root, "sub(3, 1)")), ["calc.py"], set())
    assert run.result is not None
    assert run.result.skipped == {"calc.py": "test code"}


def test_without_coverage_data_the_run_has_a_problem(root: Path) -> None:
    run = DiffRun(root, settings())
    run.measure(config_with(None), [], set())
    assert run.problem == "diff coverage: pytest-cov recorded no coverage data in this run"
    assert run.violation is None
    assert run.to_json()["error"] == run.problem


def test_contexts_without_per_test_data_are_a_problem(root: Path) -> None:
    run = DiffRun(root, settings(contexts=True))
    run.measure(config_with(measured(root, "sub(3, 1)")), [], {"test_calc.py::test_sub"})
    assert run.problem is not None
    assert "--cov-context=test" in run.problem


def test_annotations_are_written_only_on_github_actions(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = DiffRun(root, settings())
    run.measure(config_with(measured(root, "sub(3, 1)")), [], set())
    assert run.annotations() == []
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert len(run.annotations()) == 2


def test_the_markdown_report_is_written_and_a_failure_to_write_it_is_a_problem(
    root: Path, tmp_path: Path
) -> None:
    good = DiffRun(root, settings(markdown=tmp_path / "out" / "diff.md"))
    good.measure(config_with(measured(root, "sub(3, 1)")), [], set())
    assert good.write_markdown() is None
    assert (tmp_path / "out" / "diff.md").read_text().startswith("## Diff coverage: 50.00%")
    (tmp_path / "file").write_text("")
    bad = DiffRun(root, settings(markdown=tmp_path / "file" / "diff.md"))
    bad.measure(config_with(measured(root, "sub(3, 1)")), [], set())
    problem = bad.write_markdown()
    assert problem is not None
    assert problem.startswith("cannot write the Markdown report")
