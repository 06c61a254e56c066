"""The diff-coverage options and their usage errors.

Runs that start pytest-cov (``--cov``) run in a subprocess: a second coverage measurement,
left running by a run that stops on a usage error, would disturb the one of this suite.
"""

from __future__ import annotations

import pytest


def test_help_lists_the_diff_coverage_options(tdd: pytest.Pytester) -> None:
    result = tdd.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "*--tdd-diff-cover*",
            "*--tdd-base=REF*",
            "*--tdd-diff-fail-under=PCT*",
            "*--tdd-diff-markdown=PATH*",
            "*--tdd-diff-contexts*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*tdd_diff_cover (bool):*",
            "*tdd_base (string):*",
            "*tdd_diff_fail_under (string):*",
            "*tdd_diff_omit (args):*",
        ]
    )


def test_diff_coverage_without_cov_says_what_to_add(tdd: pytest.Pytester) -> None:
    result = tdd.runpytest("--tdd-diff-cover")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--tdd-diff-cover needs pytest-cov's coverage data: add --cov*"])


def test_diff_coverage_turned_on_in_the_ini_file_without_cov_says_so(tdd: pytest.Pytester) -> None:
    tdd.makeini("[pytest]\ntdd_diff_cover = true\n")
    result = tdd.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini tdd_diff_cover needs pytest-cov's coverage data*"])


def test_no_cov_disables_the_coverage_that_diff_coverage_needs(tdd: pytest.Pytester) -> None:
    result = tdd.runpytest_subprocess("--tdd-diff-cover", "--cov", "--no-cov")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--no-cov*"])


@pytest.mark.parametrize("value", ["eighty", "-1", "100.5", "nan"])
def test_a_threshold_that_is_not_a_percentage_is_a_usage_error(
    tdd: pytest.Pytester, value: str
) -> None:
    result = tdd.runpytest_subprocess("--tdd-diff-cover", "--cov", f"--tdd-diff-fail-under={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--tdd-diff-fail-under: {value!r} is not a percentage*"])


def test_a_base_that_looks_like_an_option_is_refused(tdd: pytest.Pytester) -> None:
    result = tdd.runpytest_subprocess("--tdd-diff-cover", "--cov", "--tdd-base=--output=x")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--tdd-base: '--output=x' starts with '-'*"])


def test_contexts_need_test_contexts_from_pytest_cov(tdd: pytest.Pytester) -> None:
    result = tdd.runpytest_subprocess("--tdd-diff-cover", "--cov", "--tdd-diff-contexts")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--tdd-diff-contexts needs --cov-context=test*"])
