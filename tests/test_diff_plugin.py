"""Diff coverage inside the pytest run, through the real plugin and pytest-cov.

These runs start pytest-cov, so they run in a subprocess: a second coverage measurement
inside the process that measures this suite would disturb it. ``test_diffrun.py`` covers
the same glue in-process.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from helpers import GitRepo

pytest.importorskip("pytest_cov")
GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="git is not installed")

BASE_CALC = """
def add(a, b):
    return a + b
"""
FEATURE_CALC = """
def add(a, b):
    return a + b


def clamp(x, low, high):
    if x < low:
        return low
    if x > high:
        return high
    return x
"""
TESTS = """
import calc


def test_add():
    assert calc.add(1, 2) == 3


def test_clamp_low():
    assert calc.clamp(-5, 0, 10) == 0


def test_clamp_mid():
    assert calc.clamp(5, 0, 10) == 5
"""
COV = ["--cov=calc", "--cov-branch", "--cov-report="]


def write(tdd: pytest.Pytester, name: str, text: str) -> None:
    """Write a module as an editor would: dedented, ending with a newline."""
    (tdd.path / name).write_text(textwrap.dedent(text).lstrip("\n"))


@pytest.fixture
def git_repo_path(tdd: pytest.Pytester) -> Path:
    return tdd.path


@pytest.fixture
def repo(
    tdd: pytest.Pytester, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """A repository whose main branch has add(); the working tree adds clamp().

    The changed statements of calc.py are lines 5 to 10; the tests execute 5, 6, 7 and 10,
    take only one branch of 8 (partial) and never reach 9: 4 of 6 covered, 66.67%.
    """
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    write(tdd, "calc.py", BASE_CALC)
    write(tdd, "test_calc.py", "import calc\n\ndef test_add():\n    assert calc.add(1, 2) == 3\n")
    (tdd.path / ".gitignore").write_text(
        ".pytest_cache/\n.coverage*\n__pycache__/\n*.json\n*.md\nstdout\nstderr\n"
    )
    git_repo.commit("base")
    git_repo.branch("feature")
    write(tdd, "calc.py", FEATURE_CALC)
    write(tdd, "test_calc.py", TESTS)
    return tdd


def report(tdd: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    result = tdd.runpytest_subprocess(
        *COV, "--tdd-diff-cover", "--tdd-base=main", "--tdd-json=r.json", *args
    )
    data: dict[str, Any] = json.loads((tdd.path / "r.json").read_text())
    return result, data


def test_changed_lines_below_the_threshold_fail_the_run(repo: pytest.Pytester) -> None:
    result, data = report(repo)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "DIFF-COVERAGE: 66.67% of 6 changed lines covered, below 80%",
            "    fix: add tests that execute the missing lines*",
            "tdd: diff coverage 66.67% of 6 changed lines (4 covered, 1 missing, 1 partial),"
            " below 80%; base main (given with --tdd-base), merge-base *",
            "    calc.py 66.67%: missing 9; partial 8",
        ]
    )
    assert data["ok"] is False
    assert [v["kind"] for v in data["violations"]] == ["diff-coverage"]


def test_the_json_report_has_a_diff_coverage_section(repo: pytest.Pytester) -> None:
    _, data = report(repo)
    section = data["diff_coverage"]
    assert section["base"] == "main"
    assert section["percent_covered"] == pytest.approx(200 / 3)
    assert (section["num_lines"], section["num_covered"], section["num_missing"]) == (6, 4, 2)
    assert section["files"]["calc.py"]["missing_lines"] == [9]
    assert section["files"]["calc.py"]["partial_lines"] == [8]
    assert section["skipped"] == {"test_calc.py": "test code"}


def test_a_module_collected_for_its_doctests_is_measured_as_the_projects_code(
    repo: pytest.Pytester,
) -> None:
    # --doctest-modules collects calc.py too: that does not make it test code. (A phase
    # run is where the collected files are known.)
    _, data = report(repo, "--doctest-modules", "--tdd-phase=green")
    section = data["diff_coverage"]
    assert section["skipped"] == {"test_calc.py": "test code"}
    assert section["files"]["calc.py"]["missing_lines"] == [9]


def test_a_lower_threshold_passes_with_one_line(repo: pytest.Pytester) -> None:
    result, data = report(repo, "--tdd-diff-fail-under=66")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["tdd: diff coverage 66.67% of 6 changed lines *, meets 66%; *"])
    result.stdout.no_fnmatch_line("*= tdd =*")
    assert data["ok"] is True


def test_the_threshold_is_never_rounded(repo: pytest.Pytester) -> None:
    # 66.666...% shows as 66.67% but is below 66.67.
    result, _ = report(repo, "--tdd-diff-fail-under=66.67")
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_the_threshold_can_be_set_in_the_ini_file(repo: pytest.Pytester) -> None:
    repo.makeini("[pytest]\ntdd_diff_fail_under = 50.5\n")
    result, _ = report(repo)
    assert result.ret == pytest.ExitCode.OK


def test_no_measurable_changed_lines_pass_and_say_so(repo: pytest.Pytester) -> None:
    write(repo, "calc.py", BASE_CALC + "\n# a comment\n")
    write(repo, "test_calc.py", "import calc\n\ndef test_add():\n    assert calc.add(1, 2) == 3\n")
    result, data = report(repo)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["tdd: diff coverage: no measurable changed lines; base main*"])
    assert data["diff_coverage"]["percent_covered"] is None


def test_a_base_that_does_not_resolve_stops_the_run_with_the_fix(repo: pytest.Pytester) -> None:
    result = repo.runpytest_subprocess(*COV, "--tdd-diff-cover", "--tdd-base=mian")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: diff coverage: *mian*"])
    result.stdout.no_fnmatch_line("*passed*")


def test_outside_a_git_repository_diff_coverage_stops_with_a_clear_error(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tdd.path.parent))
    tdd.makepyfile(
        calc=BASE_CALC, test_calc=TESTS.replace("clamp(-5, 0, 10) == 0", "add(0, 0) == 0")
    )
    result = tdd.runpytest_subprocess(*COV, "--tdd-diff-cover")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: diff coverage: *not a git repository*"])


def test_a_changed_file_outside_coverage_source_is_listed_and_counted_missing(
    repo: pytest.Pytester,
) -> None:
    write(repo, "helper.py", "def helper():\n    return 1\n")
    result, data = report(repo, "--tdd-diff-fail-under=0")
    assert data["diff_coverage"]["not_measured"] == ["helper.py"]
    assert data["diff_coverage"]["files"]["helper.py"]["missing_lines"] == [1, 2]
    result.stdout.fnmatch_lines(
        ["    helper.py not measured by coverage (outside its source?): missing 1-2"]
    )


def test_tdd_diff_omit_leaves_a_file_out(repo: pytest.Pytester) -> None:
    repo.makeini("[pytest]\ntdd_diff_omit = helper.py\n")
    write(repo, "helper.py", "def helper():\n    return 1\n")
    _, data = report(repo)
    assert data["diff_coverage"]["skipped"]["helper.py"] == "omitted"


def test_a_markdown_report_is_written(repo: pytest.Pytester) -> None:
    report(repo, "--tdd-diff-markdown=diff.md")
    text = (repo.path / "diff.md").read_text()
    assert text.startswith("## Diff coverage: 66.67% (below 80%)")
    assert "| `calc.py` | 66.67% | 9 | 8 |" in text


def test_github_actions_get_annotations_for_missing_lines(
    repo: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result, _ = report(repo)
    result.stdout.fnmatch_lines(
        ["::warning file=calc.py,line=9,endLine=9,title=Missing coverage::Line 9 was not executed*"]
    )


def test_two_workers_give_the_same_numbers_as_a_serial_run(repo: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    _, serial = report(repo)
    _, parallel = report(repo, "-n", "2")
    assert parallel["diff_coverage"] == serial["diff_coverage"]
    assert serial["diff_coverage"]["num_lines"] == 6


def test_diff_coverage_and_the_green_gate_both_apply(repo: pytest.Pytester) -> None:
    result, data = report(repo, "--tdd-phase=green")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    kinds = sorted(v["kind"] for v in data["violations"])
    assert kinds == ["diff-coverage", "never-red", "never-red", "never-red"]


def test_contexts_name_untested_changed_lines_and_idle_new_tests(repo: pytest.Pytester) -> None:
    write(repo, "calc.py", BASE_CALC)
    repo.runpytest_subprocess(
        "--tdd-phase=red", "-p", "no:cov"
    )  # the clamp tests fail: no clamp yet
    write(repo, "calc.py", FEATURE_CALC)
    result, data = report(repo, "--tdd-phase=green", "--cov-context=test", "--tdd-diff-contexts")
    result.stdout.fnmatch_lines(
        [
            "tdd: changed lines no new or changed test executed:",
            "    calc.py: 9 (not run)",
            "tdd: new or changed tests that executed no changed line:",
            "    test_calc.py::test_add",
        ]
    )
    contexts = data["diff_coverage"]["contexts"]
    assert contexts["lines_by_test"] == {
        "test_calc.py::test_add": 0,
        "test_calc.py::test_clamp_low": 2,
        "test_calc.py::test_clamp_mid": 3,
    }


DISCOUNT_STUB = """
def apply(price, pct):
    raise NotImplementedError
"""
DISCOUNT = '''
"""Discounts."""

import math

RATE_LIMIT = 100


def apply(price, pct):
    if pct < 0:
        raise ValueError("negative")
    return price - math.floor(price * pct / RATE_LIMIT)
'''
TEST_DISCOUNT = """
import pytest

from shop import discount


@pytest.mark.parametrize("pct", [10, 20])
def test_a_discount_lowers_the_price(pct):
    assert discount.apply(100, pct) == 100 - pct


class TestRefusal:
    def test_a_negative_percentage_is_refused(self):
        with pytest.raises(ValueError):
            discount.apply(100, -1)
"""


@pytest.fixture
def cycle(
    tdd: pytest.Pytester, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> tuple[pytest.RunResult, dict[str, Any]]:
    """A feature built test first on a branch of a package with adopted tests: red with a
    stub, then green measured with per-test contexts. The green run, and its report."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    git_repo.write(
        ".gitignore", ".pytest_cache/\n.coverage*\n__pycache__/\n*.json\nstdout\nstderr\n"
    )
    git_repo.write("shop/__init__.py", "")
    git_repo.write("shop/cart.py", "def total(prices):\n    return sum(prices)\n")
    git_repo.write(
        "test_cart.py",
        "from shop import cart\n\n\ndef test_total():\n    assert cart.total([1]) == 1\n",
    )
    assert tdd.runpytest("--tdd-adopt").ret == pytest.ExitCode.OK
    git_repo.commit("base")
    git_repo.branch("feature")
    git_repo.write("shop/discount.py", DISCOUNT_STUB.lstrip("\n"))
    git_repo.write("test_discount.py", TEST_DISCOUNT.lstrip("\n"))
    assert tdd.runpytest("--tdd-phase=red").ret == pytest.ExitCode.OK
    git_repo.write("shop/discount.py", DISCOUNT.lstrip("\n"))
    result = tdd.runpytest_subprocess(
        *("--cov=shop", "--cov-branch", "--cov-report=", "--cov-context=test"),
        *("--tdd-phase=green", "--tdd-diff-cover", "--tdd-base=main", "--tdd-diff-contexts"),
        "--tdd-json=r.json",
    )
    data: dict[str, Any] = json.loads((tdd.path / "r.json").read_text())
    return result, data


def test_after_a_red_green_cycle_a_fully_tested_feature_lists_no_untested_lines(
    cycle: tuple[pytest.RunResult, dict[str, Any]],
) -> None:
    result, data = cycle
    contexts = data["diff_coverage"]["contexts"]
    assert contexts["untested_lines"] == {}
    assert contexts["idle_tests"] == []
    assert contexts["lines_by_test"] == {
        "test_discount.py::TestRefusal::test_a_negative_percentage_is_refused": 2,
        "test_discount.py::test_a_discount_lowers_the_price[10]": 2,
        "test_discount.py::test_a_discount_lowers_the_price[20]": 2,
    }
    result.stdout.no_fnmatch_line("tdd: changed lines no new or changed test executed:")


def test_contexts_need_a_phase_to_know_the_new_tests(repo: pytest.Pytester) -> None:
    result = repo.runpytest_subprocess(
        *COV, "--tdd-diff-cover", "--cov-context=test", "--tdd-diff-contexts"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--tdd-diff-contexts needs a phase*"])


def test_a_run_after_the_cycle_counts_the_tests_the_change_wrote_as_its_own(
    cycle: tuple[pytest.RunResult, dict[str, Any]], tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    git_repo.commit("feature, test first")
    result = tdd.runpytest_subprocess(
        *("--cov=shop", "--cov-branch", "--cov-report=", "--cov-context=test"),
        *("--tdd-phase=green", "--tdd-diff-cover", "--tdd-base=main", "--tdd-diff-contexts"),
        "--tdd-json=r.json",
    )
    assert result.ret == pytest.ExitCode.OK
    contexts = json.loads((tdd.path / "r.json").read_text())["diff_coverage"]["contexts"]
    assert contexts["untested_lines"] == {}
    assert sorted(contexts["lines_by_test"]) == [
        "test_discount.py::TestRefusal::test_a_negative_percentage_is_refused",
        "test_discount.py::test_a_discount_lowers_the_price[10]",
        "test_discount.py::test_a_discount_lowers_the_price[20]",
    ]
