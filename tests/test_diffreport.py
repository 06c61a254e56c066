"""Unit tests for rendering diff coverage: terminal lines, JSON, Markdown, annotations."""

from __future__ import annotations

import pytest

from pytest_tdd import diffreport
from pytest_tdd.diffcov import NOT_RUN, OTHER_TESTS_ONLY, Attribution, DiffCoverage, FileCoverage
from pytest_tdd.gitdiff import Base

BASE = Base("origin/main", "a" * 40, "the branch's upstream")
CALC = FileCoverage(
    "src/calc.py",
    covered=(10, 11, 12),
    missing=(14, 20, 21, 22),
    partial=(17,),
    excluded=(30,),
    missing_branches=((17, 19),),
    measured_as="/repo/src/calc.py",
)
NEW = FileCoverage("src/new module.py", missing=(1, 2), measured_as=None)
RESULT = DiffCoverage(
    {"src/calc.py": CALC, "src/new module.py": NEW}, {"tests/test_calc.py": "test code"}
)


def test_ranges_are_written_compactly() -> None:
    assert diffreport.ranges([14, 20, 21, 22, 30]) == "14, 20-22, 30"
    assert diffreport.ranges([]) == ""


def test_the_percentage_is_never_truncated() -> None:
    result = DiffCoverage(
        {"a.py": FileCoverage("a.py", covered=tuple(range(1, 200)), missing=(500,))}
    )
    assert diffreport.summary(result, BASE, 99.5).startswith("tdd: diff coverage 99.50% of 200")


def test_the_summary_names_the_base_and_the_threshold() -> None:
    line = diffreport.summary(RESULT, BASE, 80.0)
    assert line == (
        "tdd: diff coverage 30.00% of 10 changed lines (3 covered, 6 missing, 1 partial), "
        "below 80%; base origin/main (the branch's upstream), merge-base aaaaaaa"
    )


def test_nothing_measurable_is_said_plainly() -> None:
    line = diffreport.summary(DiffCoverage(), BASE, 80.0)
    assert line.startswith("tdd: diff coverage: no measurable changed lines;")


def test_a_result_below_the_threshold_is_a_violation() -> None:
    violation = diffreport.violation(RESULT, 80.0)
    assert violation is not None
    assert (violation.nodeid, violation.kind) == (None, "diff-coverage")
    assert violation.message == "30.00% of 10 changed lines covered, below 80%"


@pytest.mark.parametrize("result", [DiffCoverage(), DiffCoverage({"src/calc.py": CALC})])
def test_no_violation_at_or_above_the_threshold_or_with_nothing_to_measure(
    result: DiffCoverage,
) -> None:
    assert diffreport.violation(result, 30.0) is None


def test_file_lines_list_missing_partial_and_unmeasured_files() -> None:
    assert diffreport.file_lines(RESULT) == [
        "    src/calc.py 37.50%: missing 14, 20-22; partial 17",
        "    src/new module.py not measured by coverage (outside its source?): missing 1-2",
    ]


def test_the_json_report_has_the_documented_shape() -> None:
    data = diffreport.to_json(RESULT, BASE, 80.0)
    assert data["base"] == "origin/main"
    assert data["merge_base"] == "a" * 40
    assert data["percent_covered"] == 30.0
    assert (data["num_lines"], data["num_covered"], data["num_missing"]) == (10, 3, 7)
    assert data["files"]["src/calc.py"] == {
        "percent_covered": 37.5,
        "covered_lines": [10, 11, 12],
        "missing_lines": [14, 20, 21, 22],
        "partial_lines": [17],
        "excluded_lines": [30],
        "measured": True,
    }
    assert data["not_measured"] == ["src/new module.py"]
    assert data["skipped"] == {"tests/test_calc.py": "test code"}


def test_github_annotations_cover_missing_ranges_and_partial_lines() -> None:
    assert diffreport.github_annotations(DiffCoverage({"src/calc.py": CALC})) == [
        "::warning file=src/calc.py,line=14,endLine=14,title=Missing coverage::"
        "Line 14 was not executed by the tests",
        "::warning file=src/calc.py,line=20,endLine=22,title=Missing coverage::"
        "Lines 20-22 were not executed by the tests",
        "::warning file=src/calc.py,line=17,endLine=17,title=Partial coverage::"
        "Line 17 has a branch the tests never took",
    ]


def test_the_markdown_report_is_a_table_with_escaped_paths() -> None:
    odd = FileCoverage("src/a|b.py", missing=(3,), measured_as="/x")
    text = diffreport.to_markdown(DiffCoverage({"src/a|b.py": odd}), BASE, 80.0)
    assert text.startswith("## Diff coverage: 0.00% (below 80%)\n")
    assert "| `src/a\\|b.py` | 0.00% | 3 |  |" in text
    assert text.endswith("\n")


def test_the_markdown_report_says_when_nothing_was_measurable() -> None:
    assert "No measurable changed lines." in diffreport.to_markdown(DiffCoverage(), BASE, 80.0)


def test_attribution_lines_name_untested_lines_and_idle_tests() -> None:
    attribution = Attribution(
        {"src/calc.py": {14: "not run", 20: "run by other tests only"}},
        ("tests/test_calc.py::test_idle",),
        {"tests/test_calc.py::test_idle": 0, "tests/test_calc.py::test_add": 3},
    )
    assert diffreport.attribution_lines(attribution) == [
        "tdd: changed lines no new or changed test executed:",
        "    src/calc.py: 14 (not run), 20 (run by other tests only)",
        "tdd: new or changed tests that executed no changed line:",
        "    tests/test_calc.py::test_idle",
    ]


# The Markdown report's attribution, rendered from the lists themselves


def who_tested(attribution: Attribution) -> str:
    """The attribution section of a Markdown report: everything after its heading ("" when
    there is no such heading)."""
    text = diffreport.to_markdown(RESULT, BASE, 80.0, attribution)
    return text.partition("### Who tested the change\n")[2]


def test_the_markdown_report_lists_untested_lines_by_file_and_reason_and_idle_tests() -> None:
    attribution = Attribution(
        {"src/calc.py": {14: NOT_RUN, 20: OTHER_TESTS_ONLY, 21: NOT_RUN, 22: NOT_RUN}},
        ("tests/test_calc.py::test_idle",),
        {"tests/test_calc.py::test_idle": 0, "tests/test_calc.py::test_add": 3},
    )
    assert who_tested(attribution) == (
        "\n"
        "#### Changed lines that no new or changed test executed\n"
        "\n"
        "| File | Lines | Why |\n"
        "|---|---|---|\n"
        "| `src/calc.py` | 14, 21-22 | not run |\n"
        "| `src/calc.py` | 20 | run by other tests only |\n"
        "\n"
        "#### New or changed tests that executed no changed line\n"
        "\n"
        "- `tests/test_calc.py::test_idle`\n"
    )


def test_the_markdown_report_says_none_when_new_tests_executed_every_changed_line() -> None:
    attribution = Attribution(
        {}, ("tests/test_calc.py::test_idle",), {"tests/test_calc.py::test_idle": 0}
    )
    assert who_tested(attribution) == (
        "\n"
        "#### Changed lines that no new or changed test executed\n"
        "\n"
        "None.\n"
        "\n"
        "#### New or changed tests that executed no changed line\n"
        "\n"
        "- `tests/test_calc.py::test_idle`\n"
    )


def test_the_markdown_report_says_none_when_every_new_test_executed_a_changed_line() -> None:
    attribution = Attribution(
        {"src/new module.py": {1: NOT_RUN}}, (), {"tests/test_calc.py::test_add": 3}
    )
    assert who_tested(attribution) == (
        "\n"
        "#### Changed lines that no new or changed test executed\n"
        "\n"
        "| File | Lines | Why |\n"
        "|---|---|---|\n"
        "| `src/new module.py` | 1 | not run |\n"
        "\n"
        "#### New or changed tests that executed no changed line\n"
        "\n"
        "None.\n"
    )


def test_the_markdown_report_says_so_when_no_new_test_ran() -> None:
    attribution = Attribution({}, (), {})
    assert who_tested(attribution).endswith(
        "#### New or changed tests that executed no changed line\n"
        "\n"
        "None: no new or changed test ran.\n"
    )


def test_the_markdown_report_keeps_a_test_id_with_backticks_in_one_code_span() -> None:
    odd = "t.py::test_a[`x`]"
    attribution = Attribution({}, (odd,), {odd: 0})
    assert who_tested(attribution).endswith("- `` t.py::test_a[`x`] ``\n")


def test_the_markdown_report_escapes_a_pipe_in_a_file_of_untested_lines() -> None:
    attribution = Attribution({"src/a|b.py": {3: NOT_RUN}}, (), {"t.py::test_a": 1})
    assert "| `src/a\\|b.py` | 3 | not run |\n" in who_tested(attribution)
