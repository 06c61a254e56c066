"""Tests of the diff-coverage engine: changed lines in, covered, missing and partial lines out.

Most tests measure real code in-process: they write modules into ``tmp_path``, run them
under a ``coverage.Coverage`` of their own and hand ``measure`` the changed lines directly,
with no git involved. The tests at the end (``Test*Subprocess*`` classes) are slower: they
run ``pytest --cov`` (and once ``diff-cover``, the oracle) as subprocesses in throw-away
git repositories.
"""

from __future__ import annotations

import dataclasses
import json
import os
import runpy
import subprocess
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import coverage
import pytest

from pytest_tdd import diffcov, gitdiff
from pytest_tdd.diffcov import DiffCoverage, DiffCoverageError, FileCoverage

from helpers import GitRepo

pytestmark = pytest.mark.usefixtures("coverage_closed")


class Project:
    """Modules in a directory, measured in-process by a Coverage object of the test's own."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, name: str, source: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
        return path

    def cover(
        self,
        calls: Mapping[str, str],
        *,
        tests: Mapping[str, tuple[str, str]] | None = None,
        branch: bool = True,
        source: Sequence[str] | None = None,
        omit: Sequence[str] | None = None,
        config_file: str | bool = False,
    ) -> coverage.Coverage:
        """Run each module as a script, then run its code among the module's names; then
        run each of ``tests`` (context: module, code) in a coverage context of its own.
        Measures the whole project unless ``source`` says otherwise."""
        cov = coverage.Coverage(
            data_file=None,
            branch=branch,
            source=[str(self.root)] if source is None else source,
            omit=omit,
            config_file=config_file,
        )
        modules = {}
        cov.start()
        try:
            for name, code in calls.items():
                modules[name] = runpy.run_path(str(self.root / name), run_name=f"m{id(self)}")
                exec(code, modules[name])
            for context, (name, code) in (tests or {}).items():
                cov.switch_context(context)
                exec(code, modules[name])
        finally:
            cov.stop()
        return cov

    def measure(
        self,
        cov: coverage.Coverage,
        changed: Mapping[str, Iterable[int] | str],
        *,
        is_test_code: Callable[[str], bool] = diffcov.looks_like_test_code,
        omit: Sequence[str] = (),
    ) -> DiffCoverage:
        """``measure`` of the changed lines; ``"all"`` stands for every line of a file."""
        lines = {
            name: range(1, 1000) if isinstance(spec, str) else spec
            for name, spec in changed.items()
        }
        return diffcov.measure(cov, lines, self.root, is_test_code=is_test_code, omit=omit)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    return Project(root)


CALC = """
def add(a, b):
    # a comment
    return a + b


def clamp(x, low, high):
    if x < low:
        return low
    return min(
        x,
        high,
    )


def untested():
    return 0
"""


def test_changed_statements_are_split_into_covered_and_missing(project: Project) -> None:
    project.write("calc.py", CALC)
    cov = project.cover({"calc.py": "add(1, 2)"})
    result = project.measure(cov, {"calc.py": {1, 2, 3, 4, 15, 16}})
    assert result.files["calc.py"] == FileCoverage(
        "calc.py", covered=(1, 3, 15), missing=(16,), measured_as=str(project.root / "calc.py")
    )


def test_a_change_on_a_continuation_line_counts_as_its_statement(project: Project) -> None:
    project.write("calc.py", CALC)
    cov = project.cover({"calc.py": ""})
    result = project.measure(cov, {"calc.py": {11}})
    assert result.files["calc.py"].missing == (9,)


def test_excluded_lines_are_listed_apart_and_not_counted(project: Project) -> None:
    project.write(
        "debug.py",
        """
        def dump(x):  # pragma: no cover
            return repr(x)


        def kept():
            return 1
        """,
    )
    cov = project.cover({"debug.py": ""})
    result = project.measure(cov, {"debug.py": "all"})
    assert result.files["debug.py"].excluded == (1, 2)
    assert (result.num_lines, result.num_missing) == (2, 1)


def test_lines_excluded_by_configuration_are_listed_apart(project: Project) -> None:
    project.write(
        "abstract.py",
        """
        def todo():
            raise NotImplementedError
        """,
    )
    rc = project.root / ".coveragerc"
    rc.write_text("[report]\nexclude_also =\n    raise NotImplementedError\n", encoding="utf-8")
    cov = project.cover({"abstract.py": ""}, config_file=str(rc))
    result = project.measure(cov, {"abstract.py": {2}})
    assert result.files["abstract.py"].excluded == (2,)
    assert result.percent_covered is None


def test_a_partly_taken_branch_counts_as_not_covered(project: Project) -> None:
    project.write("calc.py", CALC)
    cov = project.cover({"calc.py": "clamp(5, 0, 9)"})
    result = project.measure(cov, {"calc.py": {6, 7, 8, 9}})
    file = result.files["calc.py"]
    assert (file.covered, file.missing, file.partial) == ((6, 9), (8,), (7,))
    assert file.missing_branches == ((7, 8),)
    assert result.percent_covered == 50.0


def test_without_branch_measurement_an_executed_branch_line_is_covered(project: Project) -> None:
    project.write("calc.py", CALC)
    cov = project.cover({"calc.py": "clamp(5, 0, 9)"}, branch=False)
    result = project.measure(cov, {"calc.py": {7, 8}})
    assert (result.files["calc.py"].covered, result.files["calc.py"].partial) == ((7,), ())


def test_the_percentage_is_a_float_and_never_truncated(project: Project) -> None:
    project.write("calc.py", CALC)
    cov = project.cover({"calc.py": "add(1, 2)"})
    result = project.measure(cov, {"calc.py": {1, 3, 16}})
    assert result.percent_covered == pytest.approx(200 / 3)
    assert result.files["calc.py"].percent_covered == pytest.approx(200 / 3)


def test_nothing_measurable_gives_no_percentage(project: Project) -> None:
    project.write("calc.py", CALC)
    cov = project.cover({"calc.py": ""})
    result = project.measure(cov, {"calc.py": {2, 4, 5}})
    assert (result.num_lines, result.percent_covered, result.files) == (0, None, {})


def test_a_file_with_only_deletions_is_absent(project: Project) -> None:
    project.write("calc.py", CALC)
    cov = project.cover({"calc.py": ""})
    result = project.measure(cov, {"calc.py": set()})
    assert (result.files, result.skipped) == ({}, {})


def test_totals_add_up_over_files(project: Project) -> None:
    project.write("calc.py", CALC)
    project.write("other.py", "A = 1\nB = 2\n")
    cov = project.cover({"calc.py": "clamp(5, 0, 9)", "other.py": ""})
    result = project.measure(cov, {"calc.py": {6, 7, 8}, "other.py": {1, 2}})
    assert (result.num_lines, result.num_covered, result.num_missing, result.num_partial) == (
        5,
        3,
        1,
        1,
    )
    assert result.percent_covered == 60.0


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/helpers.py", True),
        ("src/pkg/test/util.py", True),
        ("testing/fixtures.py", True),
        ("pkg/test_calc.py", True),
        ("pkg/calc_test.py", True),
        ("conftest.py", True),
        ("src/pkg/conftest.py", True),
        ("src/pkg/calc.py", False),
        ("src/pkg/testament.py", False),
        ("src/contest/test.py", False),
        ("latest/calc.py", False),
    ],
)
def test_test_code_is_recognised_by_name(path: str, expected: bool) -> None:
    assert diffcov.looks_like_test_code(path) is expected


def test_test_code_never_counts(project: Project) -> None:
    project.write("tests/test_calc.py", "def test_a():\n    assert True\n")
    project.write("conftest.py", "X = 1\n")
    cov = project.cover({"tests/test_calc.py": "test_a()", "conftest.py": ""})
    result = project.measure(cov, {"tests/test_calc.py": {1, 2}, "conftest.py": {1}})
    assert result.files == {}
    assert result.skipped == {"conftest.py": diffcov.TEST_CODE, "tests/test_calc.py": "test code"}


def test_the_caller_can_say_what_else_is_test_code(project: Project) -> None:
    project.write("checks/probe.py", "X = 1\n")
    cov = project.cover({"checks/probe.py": ""})
    result = project.measure(
        cov, {"checks/probe.py": {1}}, is_test_code=lambda path: path.startswith("checks/")
    )
    assert result.skipped == {"checks/probe.py": diffcov.TEST_CODE}


def test_a_python_file_coverage_did_not_measure_counts_as_missing(project: Project) -> None:
    project.write("src/calc.py", CALC)
    project.write("scripts/tool.py", "import sys\n\n# run\nprint(sys.argv)\n")
    cov = project.cover({"src/calc.py": "add(1, 2)"}, source=[str(project.root / "src")])
    result = project.measure(cov, {"scripts/tool.py": "all", "src/calc.py": {3}})
    assert result.files["scripts/tool.py"] == FileCoverage("scripts/tool.py", missing=(1, 4))
    assert not result.files["scripts/tool.py"].measured
    assert result.not_measured == ("scripts/tool.py",)
    assert result.percent_covered == pytest.approx(100 / 3)


def test_a_file_omitted_in_coverages_configuration_is_skipped(project: Project) -> None:
    project.write("src/calc.py", CALC)
    project.write("scripts/tool.py", "X = 1\n")
    cov = project.cover(
        {"src/calc.py": ""}, source=[str(project.root / "src")], omit=["*/scripts/*"]
    )
    result = project.measure(cov, {"scripts/tool.py": {1}})
    assert result.skipped == {"scripts/tool.py": diffcov.OMITTED}


def test_a_file_omitted_with_a_relative_pattern_is_skipped(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    project.write("src/calc.py", CALC)
    project.write("scripts/tool.py", "X = 1\n")
    cov = project.cover({"src/calc.py": ""}, source=["src"], omit=["scripts/*"])
    result = project.measure(cov, {"scripts/tool.py": {1}})
    assert result.skipped == {"scripts/tool.py": diffcov.OMITTED}


def test_a_file_matching_the_callers_omit_globs_is_skipped(project: Project) -> None:
    project.write("src/calc.py", CALC)
    project.write("tools/gen.py", "X = 1\n")
    project.write("src/_version.py", "V = 1\n")
    cov = project.cover({"src/calc.py": ""}, source=[str(project.root / "src")])
    result = project.measure(
        cov,
        {"tools/gen.py": {1}, "src/_version.py": {1}},
        omit=["tools/*", "_version.py"],
    )
    assert result.skipped == {"src/_version.py": diffcov.OMITTED, "tools/gen.py": diffcov.OMITTED}


def test_a_module_under_source_never_imported_is_measured_as_missing(project: Project) -> None:
    project.write("src/calc.py", CALC)
    project.write("src/fresh.py", "def new():\n    return 1\n")
    cov = project.cover({"src/calc.py": ""}, source=[str(project.root / "src")])
    result = project.measure(cov, {"src/fresh.py": {1, 2}})
    assert result.files["src/fresh.py"].missing == (1, 2)
    assert result.files["src/fresh.py"].measured


def test_changed_files_that_are_not_python_are_ignored(project: Project) -> None:
    project.write("calc.py", CALC)
    project.write("README.md", "# Calc\n")
    cov = project.cover({"calc.py": ""})
    result = project.measure(cov, {"README.md": {1}})
    assert (result.files, result.skipped) == ({}, {"README.md": diffcov.NOT_PYTHON})


def test_a_python_file_that_cannot_be_parsed_is_skipped_with_the_reason(
    project: Project,
) -> None:
    project.write("calc.py", CALC)
    project.write("broken.py", "def oops(:\n")
    cov = project.cover({"calc.py": ""})
    result = project.measure(cov, {"broken.py": {1}})
    assert result.skipped["broken.py"].startswith("cannot be analysed: ")


def test_relative_paths_in_the_data_map_to_repository_paths(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    project.write("src/calc.py", CALC)
    rc = project.write(".coveragerc", "[run]\nrelative_files = true\nsource = src\n")
    cov = project.cover({"src/calc.py": "add(1, 2)"}, config_file=str(rc), source=["src"])
    assert cov.get_data().measured_files() == {"src/calc.py"}
    result = project.measure(cov, {"src/calc.py": {3, 15, 16}})
    assert result.files["src/calc.py"].covered == (3, 15)
    assert result.files["src/calc.py"].measured_as == "src/calc.py"


def test_paths_with_spaces_and_non_ascii_letters_are_matched(project: Project) -> None:
    project.write("dir with space/mödule.py", "def f():\n    return 1\n")
    cov = project.cover({"dir with space/mödule.py": "f()"})
    result = project.measure(cov, {"dir with space/mödule.py": {1, 2}})
    assert result.files["dir with space/mödule.py"].covered == (1, 2)


def test_measured_files_outside_the_repository_are_left_out(tmp_path: Path) -> None:
    outside = Project(tmp_path / "outside")
    outside.root.mkdir()
    outside.write("lib.py", "X = 1\n")
    repo = Project(tmp_path / "repo")
    repo.root.mkdir()
    repo.write("calc.py", CALC)
    cov = outside.cover({"lib.py": ""}, source=[str(outside.root)])
    result = repo.measure(cov, {"calc.py": {3}})
    assert result.files["calc.py"] == FileCoverage("calc.py", missing=(3,))


def private_api_gone(*args: object) -> None:
    raise AttributeError("'Coverage' object has no attribute '_analyze'")


def test_without_the_private_api_the_public_one_gives_the_same_lines(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("calc.py", CALC)
    cov = project.cover({"calc.py": "clamp(5, 0, 9); add(1, 2)"})
    changed = {"calc.py": {1, 2, 3, 6, 7, 8, 9, 15, 16}}
    private = project.measure(cov, changed)
    monkeypatch.setattr(diffcov, "_private_facts", private_api_gone)
    public = project.measure(cov, changed)
    expected = FileCoverage(
        "calc.py",
        covered=(1, 3, 6, 9, 15),
        missing=(8, 16),
        partial=(7,),
        missing_branches=((7, 8),),
        measured_as=str(project.root / "calc.py"),
    )
    assert private.files["calc.py"] == expected
    assert public.files["calc.py"] == dataclasses.replace(expected, missing_branches=())


def test_without_the_private_api_line_measurement_still_works(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("calc.py", CALC)
    cov = project.cover({"calc.py": "clamp(5, 0, 9)"}, branch=False)
    monkeypatch.setattr(diffcov, "_private_facts", private_api_gone)
    result = project.measure(cov, {"calc.py": {7, 8}})
    assert (result.files["calc.py"].covered, result.files["calc.py"].missing) == ((7,), (8,))


def test_without_the_private_api_a_continuation_line_is_lost(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The public API has no map from continuation lines to statements: a known loss."""
    project.write("calc.py", CALC)
    cov = project.cover({"calc.py": ""})
    monkeypatch.setattr(diffcov, "_private_facts", private_api_gone)
    assert project.measure(cov, {"calc.py": {11}}).files == {}


def test_attribution_needs_per_test_contexts(project: Project) -> None:
    project.write("calc.py", CALC)
    cov = project.cover({"calc.py": "add(1, 2)"})
    result = project.measure(cov, {"calc.py": {3}})
    with pytest.raises(DiffCoverageError, match=r"no per-test contexts.*--cov-context=test"):
        diffcov.attribute(cov, result, {"tests/test_calc.py::test_add"})


MULTI = """
def total(a, b):
    return sum(
        [a,
         b],
    )


def other():
    return 2
"""


def test_a_statement_is_attributed_to_the_new_test_that_ran_it(project: Project) -> None:
    project.write("multi.py", MULTI)
    cov = project.cover(
        {"multi.py": ""},
        tests={"t.py::test_total|run": ("multi.py", "total(1, 2)")},
    )
    result = project.measure(cov, {"multi.py": {4, 9}})
    found = diffcov.attribute(cov, result, ["t.py::test_total"])
    assert found.untested == {"multi.py": {9: diffcov.NOT_RUN}}
    assert found.lines_by_test == {"t.py::test_total": 1}
    assert found.idle_tests == ()


def test_a_context_recorded_on_a_continuation_line_belongs_to_its_statement(
    project: Project,
) -> None:
    path = project.write("multi.py", MULTI)
    cov = coverage.Coverage(data_file=None, branch=False, config_file=False)
    data = cov.get_data()
    data.set_context("t.py::test_total|run")
    data.add_lines({str(path): {4}})
    result = project.measure(cov, {"multi.py": {2}})
    assert result.files["multi.py"].covered == (2,)
    found = diffcov.attribute(cov, result, ["t.py::test_total"])
    assert (found.untested, found.lines_by_test) == ({}, {"t.py::test_total": 1})


def test_code_run_by_a_new_tests_fixture_belongs_to_that_test(project: Project) -> None:
    project.write("multi.py", MULTI)
    cov = project.cover({"multi.py": ""}, tests={"t.py::test_a[x]|setup": ("multi.py", "other()")})
    result = project.measure(cov, {"multi.py": {9}})
    found = diffcov.attribute(cov, result, ["t.py::test_a[x]"])
    assert (found.untested, found.lines_by_test) == ({}, {"t.py::test_a[x]": 1})


def test_code_run_only_by_old_tests_is_reported_so(project: Project) -> None:
    project.write("multi.py", MULTI)
    cov = project.cover(
        {"multi.py": ""},
        tests={
            "t.py::test_old|run": ("multi.py", "other()"),
            "multi.other_test": ("multi.py", "total(1, 2)"),
        },
    )
    result = project.measure(cov, {"multi.py": {1, 2, 8, 9}})
    found = diffcov.attribute(cov, result, ["t.py::test_new"])
    assert found.untested == {
        "multi.py": {
            2: diffcov.OTHER_TESTS_ONLY,
            9: diffcov.OTHER_TESTS_ONLY,
        }
    }
    assert found.idle_tests == ("t.py::test_new",)


def test_a_line_run_at_import_only_is_not_listed(project: Project) -> None:
    project.write("multi.py", MULTI)
    cov = project.cover({"multi.py": ""}, tests={"t.py::test_new|run": ("multi.py", "total(1, 2)")})
    result = project.measure(cov, {"multi.py": {1, 8}})
    assert diffcov.attribute(cov, result, ["t.py::test_new"]).untested == {}


TABLE = """
def double(x):
    return 2 * x


TABLE = [double(n) for n in range(3)]
"""


def test_a_line_run_at_import_and_by_old_tests_is_not_listed(project: Project) -> None:
    project.write("table.py", TABLE)
    cov = project.cover(
        {"table.py": ""},
        tests={
            "t.py::test_old|run": ("table.py", "double(5)"),
            "t.py::test_new|run": ("table.py", "TABLE[0]"),
        },
    )
    result = project.measure(cov, {"table.py": {2}})
    assert diffcov.attribute(cov, result, ["t.py::test_new"]).untested == {}


def test_contexts_under_a_static_context_belong_to_their_tests(project: Project) -> None:
    project.write("multi.py", MULTI)
    rc = project.write(".coveragerc", "[run]\ncontext = ci\n")
    cov = project.cover(
        {"multi.py": ""},
        tests={"t.py::test_total|run": ("multi.py", "total(1, 2)")},
        config_file=str(rc),
    )
    result = project.measure(cov, {"multi.py": {2}})
    found = diffcov.attribute(cov, result, ["t.py::test_total"])
    assert (found.untested, found.lines_by_test) == ({}, {"t.py::test_total": 1})


def test_a_line_run_at_import_under_a_static_context_is_not_listed(project: Project) -> None:
    project.write("multi.py", MULTI)
    rc = project.write(".coveragerc", "[run]\ncontext = ci\n")
    cov = project.cover(
        {"multi.py": ""},
        tests={"t.py::test_total|run": ("multi.py", "total(1, 2)")},
        config_file=str(rc),
    )
    result = project.measure(cov, {"multi.py": {1}})
    assert diffcov.attribute(cov, result, ["t.py::test_total"]).untested == {}


def test_a_case_of_a_test_in_a_folder_named_with_brackets_belongs_to_the_test(
    project: Project,
) -> None:
    project.write("multi.py", MULTI)
    cov = project.cover(
        {"multi.py": ""}, tests={"tests/v[2]/t.py::test_a[x]|run": ("multi.py", "other()")}
    )
    result = project.measure(cov, {"multi.py": {9}})
    found = diffcov.attribute(cov, result, ["tests/v[2]/t.py::test_a"])
    assert (found.untested, found.lines_by_test) == ({}, {"tests/v[2]/t.py::test_a": 1})


def test_without_the_private_api_attribution_uses_the_recorded_lines(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("multi.py", MULTI)
    cov = project.cover({"multi.py": ""}, tests={"t.py::test_b|run": ("multi.py", "other()")})
    result = project.measure(cov, {"multi.py": {9}})
    monkeypatch.setattr(cov, "_get_file_reporter", None)
    assert diffcov.attribute(cov, result, ["t.py::test_b"]).lines_by_test == {"t.py::test_b": 1}


def test_coverage_before_7_17_is_asked_with_one_argument(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("calc.py", CALC)
    cov = project.cover({"calc.py": "clamp(5, 0, 9)"})
    analyze = cov._analyze

    def one_argument(morf: str) -> object:
        return analyze(morf)

    monkeypatch.setattr(cov, "_analyze", one_argument)
    result = project.measure(cov, {"calc.py": {7, 11}})
    assert (result.files["calc.py"].partial, result.files["calc.py"].covered) == ((7,), (9,))


def test_without_coverages_glob_matcher_omit_patterns_still_apply(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import coverage.files

    project.write("src/calc.py", CALC)
    project.write("scripts/tool.py", "X = 1\n")
    cov = project.cover(
        {"src/calc.py": ""}, source=[str(project.root / "src")], omit=["*/scripts/*"]
    )
    monkeypatch.delattr(coverage.files, "GlobMatcher")
    result = project.measure(cov, {"scripts/tool.py": {1}})
    assert result.skipped == {"scripts/tool.py": diffcov.OMITTED}


# ---------------------------------------------------------------------------------------
# Slower: pytest --cov and diff-cover as subprocesses in throw-away git repositories


def dedented(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


class Repo(GitRepo):
    """The shared ``GitRepo``, able to run its tests under pytest-cov."""

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run Python in the repository; exit status 0 or 1 (tests failed) is expected."""
        done = self.python(*args)
        assert done.returncode in (0, 1), done.stdout + done.stderr
        return done

    def pytest(self, *args: str) -> coverage.Coverage:
        """Run the repository's tests under pytest-cov; the saved data, loaded back."""
        self.run("-m", "pytest", "-p", "no:tdd", "-p", "no:hypothesispytest", "-q", *args)
        cov = coverage.Coverage(data_file=str(self.path / ".coverage"), config_file=False)
        cov.load()
        return cov

    def diff_coverage(self, cov: coverage.Coverage) -> DiffCoverage:
        root = gitdiff.repository_root(self.path)
        changed = gitdiff.changed_lines(root, gitdiff.resolve_base(root, "main"))
        return diffcov.measure(cov, changed, root)


@pytest.fixture
def repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> Repo:
    """A repository with a small package on ``main`` and a ``feature`` branch checked out."""
    for name in list(os.environ):
        if name.startswith(("COVERAGE_", "PYTEST_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    repo = Repo(git_repo.path)
    repo.write(".gitignore", ".coverage*\ncoverage.xml\n*.json\n.pytest_cache/\n__pycache__/\n")
    repo.write("pytest.ini", "[pytest]\npythonpath = src\n")
    repo.write("src/calc/__init__.py", "")
    repo.write("src/calc/core.py", "def add(a, b):\n    return a + b\n")
    repo.write(
        "tests/test_core.py",
        "from calc import core\n\n\ndef test_add():\n    assert core.add(1, 2) == 3\n",
    )
    repo.commit("base")
    repo.branch("feature")
    repo.write(
        "src/calc/core.py",
        dedented(
            """
            def add(a, b):
                return a + b


            def clamp(x, low, high):
                if x < low:
                    return low
                if x > high:
                    return high
                return x


            def unused():  # pragma: no cover
                return None
            """
        ),
    )
    repo.write(
        "src/calc/fresh.py",
        dedented(
            """
            def new_feature(flag):
                if flag:
                    return 1
                return 0
            """
        ),
    )
    repo.write(
        "tests/test_clamp.py",
        dedented(
            """
            import pytest

            from calc import core


            @pytest.mark.parametrize("x", [5, 7])
            def test_clamp_inside(x):
                assert core.clamp(x, 0, 9) == x


            def test_clamp_low():
                assert core.clamp(-1, 0, 9) == 0


            def test_add_again():
                assert core.add(2, 2) == 4
            """
        ),
    )
    repo.commit("feature")
    return repo


def lines_of(result: DiffCoverage) -> dict[str, tuple[tuple[int, ...], ...]]:
    return {
        path: (file.covered, file.missing, file.partial, file.excluded)
        for path, file in result.files.items()
    }


class TestSubprocessPytestCov:
    """Slow: each test runs pytest as a subprocess (about a second or two each)."""

    def test_data_saved_by_pytest_cov_is_measured(self, repo: Repo) -> None:
        cov = repo.pytest("--cov=src", "--cov-branch", "--cov-report=")
        result = repo.diff_coverage(cov)
        assert lines_of(result) == {
            "src/calc/core.py": ((5, 6, 7, 10), (9,), (8,), (13, 14)),
            "src/calc/fresh.py": ((), (1, 2, 3, 4), (), ()),
        }
        assert result.skipped == {"tests/test_clamp.py": diffcov.TEST_CODE}
        assert result.files["src/calc/core.py"].missing_branches == ((8, 9),)

    def test_xdist_gives_the_same_result_as_a_serial_run(self, repo: Repo) -> None:
        serial = repo.diff_coverage(repo.pytest("--cov=src", "--cov-branch", "--cov-report="))
        parallel = repo.diff_coverage(
            repo.pytest("--cov=src", "--cov-branch", "--cov-report=", "-n", "2")
        )
        assert parallel == serial

    def test_changed_lines_are_attributed_to_the_new_tests(self, repo: Repo) -> None:
        cov = repo.pytest("--cov=src", "--cov-branch", "--cov-report=", "--cov-context=test")
        result = repo.diff_coverage(cov)
        new_tests = {
            "tests/test_clamp.py::test_clamp_inside",
            "tests/test_clamp.py::test_add_again",
            "tests/test_clamp.py::test_nothing_yet",
        }
        found = diffcov.attribute(cov, result, new_tests)
        assert found.untested == {
            "src/calc/core.py": {
                7: diffcov.OTHER_TESTS_ONLY,
                9: diffcov.NOT_RUN,
            },
            "src/calc/fresh.py": dict.fromkeys((1, 2, 3, 4), diffcov.NOT_RUN),
        }
        assert found.idle_tests == (
            "tests/test_clamp.py::test_add_again",
            "tests/test_clamp.py::test_nothing_yet",
        )
        assert found.lines_by_test == {
            "tests/test_clamp.py::test_clamp_inside": 3,
            "tests/test_clamp.py::test_add_again": 0,
            "tests/test_clamp.py::test_nothing_yet": 0,
        }


def diff_cover_stats(repo: Repo, *options: str) -> dict[str, tuple[list[int], list[int]]]:
    repo.run("-m", "coverage", "xml", "-o", "coverage.xml")
    out = repo.path / "diff-cover.json"
    repo.run(
        "-m",
        "diff_cover.diff_cover_tool",
        "coverage.xml",
        "--compare-branch=main",
        f"--format=json:{out}",
        "-q",
        *options,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    return {
        path: (sorted(stats["covered_lines"]), sorted(stats["violation_lines"]))
        for path, stats in report["src_stats"].items()
    }


def ours(
    result: DiffCoverage, *, partial_is_violation: bool
) -> dict[str, tuple[list[int], list[int]]]:
    stats = {}
    for path, file in result.files.items():
        if not file.num_lines:
            continue
        if partial_is_violation:
            stats[path] = (list(file.covered), sorted(file.missing + file.partial))
        else:
            stats[path] = (sorted(file.covered + file.partial), list(file.missing))
    return stats


class TestSubprocessAgainstDiffCover:
    """Slow: diff-cover 11 is the oracle on changes without its known bugs."""

    def test_line_coverage_equals_diff_covers(self, repo: Repo) -> None:
        cov = repo.pytest("--cov=src", "--cov-report=")
        assert ours(repo.diff_coverage(cov), partial_is_violation=False) == diff_cover_stats(repo)

    def test_branch_coverage_equals_diff_covers_branch_mode(self, repo: Repo) -> None:
        cov = repo.pytest("--cov=src", "--cov-branch", "--cov-report=")
        expected = diff_cover_stats(repo, "--branch-coverage")
        assert ours(repo.diff_coverage(cov), partial_is_violation=True) == expected

    def test_a_second_feature_commit_equals_diff_covers(self, repo: Repo) -> None:
        repo.write("src/calc/fresh.py", "def new_feature(flag):\n    return 1 if flag else 0\n")
        repo.write(
            "tests/test_fresh.py",
            "from calc import fresh\n\n\ndef test_new():\n    assert fresh.new_feature(True)\n",
        )
        repo.commit("second")
        cov = repo.pytest("--cov=src", "--cov-branch", "--cov-report=")
        assert ours(repo.diff_coverage(cov), partial_is_violation=False) == diff_cover_stats(repo)
