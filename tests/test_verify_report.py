"""Rendering ``--tdd-verify`` (``verifyreport``): terminal lines, JSON, Markdown, GitHub
annotations. Pure: a ``Verification`` in, text out."""

from __future__ import annotations

from pytest_tdd import verifyreport
from pytest_tdd.gitdiff import Base
from pytest_tdd.verifyjudge import Entry
from pytest_tdd.verifyreport import Verification

BASE = Base("main", "a" * 40, "given with --tdd-base")
RED = Entry("red", "assertion", "AssertionError", "assert 1 == 2")
PASSED = Entry("passed", message="passes there", violation="passed-on-base")
REWRITTEN = Entry("rewritten", message="only rewritten")
GONE = Entry("removed-with-code", "missing-api", "ImportError", "the code is gone")


def test_nothing_to_verify_is_one_line() -> None:
    assert verifyreport.summary(Verification(BASE)) == (
        "tdd: verify: no new or changed tests since base main (given with --tdd-base), "
        "merge-base aaaaaaa; nothing to prove against it"
    )


def test_a_verification_that_holds_counts_the_red_tests_by_kind_and_the_others() -> None:
    result = Verification(
        BASE, tests={"t.py::a": RED, "t.py::b": REWRITTEN}, removed={"t.py::c": GONE}
    )
    assert verifyreport.summary(result) == (
        "tdd: verify holds: 1 test of the change fails against the base's code for the right "
        "reason (assertion 1); rewritten 1; 1 removed test; base main (given with --tdd-base), "
        "merge-base aaaaaaa"
    )


def test_a_verification_that_fails_counts_its_violations_by_kind() -> None:
    result = Verification(BASE, tests={"t.py::a": RED, "t.py::b": PASSED, "t.py::c": PASSED})
    assert verifyreport.summary(result).startswith(
        "tdd: verify fails: 2 violations (passed-on-base 2); base main"
    )


def test_details_name_what_is_not_a_violation_and_the_red_tests_only_when_verbose() -> None:
    result = Verification(
        BASE,
        tests={"t.py::a": RED, "t.py::b": REWRITTEN, "t.py::p": PASSED},
        removed={"t.py::c": GONE},
    )
    assert verifyreport.detail_lines(result, verbose=False) == [
        "    rewritten t.py::b: only rewritten",
        "    removed (removed-with-code) t.py::c: the code is gone",
    ]
    assert verifyreport.detail_lines(result, verbose=True)[0] == (
        "    red t.py::a: AssertionError: assert 1 == 2 (assertion)"
    )


def test_the_json_section_has_the_base_sha_the_tests_the_removed_tests_and_the_time() -> None:
    result = Verification(BASE, tests={"t.py::a": RED}, removed={"t.py::c": GONE}, seconds=1.23456)
    assert verifyreport.to_json(result, None, BASE) == {
        "base": "a" * 40,
        "tests": {"t.py::a": RED.to_json()},
        "removed": {"t.py::c": GONE.to_json()},
        "seconds": 1.235,
    }


def test_the_json_section_of_a_verification_that_could_not_run_says_why() -> None:
    assert verifyreport.to_json(None, "verify: broken", BASE) == {
        "base": "a" * 40,
        "tests": {},
        "removed": {},
        "seconds": 0.0,
        "error": "verify: broken",
    }


def test_an_annotation_marks_a_violation_at_the_tests_definition_with_its_fix() -> None:
    result = Verification(
        BASE, tests={"t.py::a[x,y]": PASSED}, places={"t.py::a[x,y]": ("tests/t,1.py", 7)}
    )
    [annotation] = verifyreport.github_annotations(result)
    assert annotation.startswith(
        "::error file=tests/t%2C1.py,line=7,title=passed-on-base::t.py::a[x,y]: passes there"
        "%0Afix: make it test what this change adds"
    )


def test_an_annotation_of_a_removed_test_names_its_file_without_a_line() -> None:
    failing = Entry("removed-failing", message="fails 100%", violation="removed-failing")
    result = Verification(BASE, removed={"t.py::gone": failing})
    [annotation] = verifyreport.github_annotations(result)
    assert annotation.startswith(
        "::error file=t.py,title=removed-failing::t.py::gone: fails 100%25%0Afix: restore"
    )


def test_the_markdown_section_tables_the_tests_and_the_removed_tests_with_fixes() -> None:
    result = Verification(
        BASE, tests={"t.py::a": RED, "t.py::b|c": PASSED}, removed={"t.py::c": GONE}
    )
    text = verifyreport.to_markdown(result, None, BASE)
    assert text.startswith(
        "## TDD verify: fails (1 violation)\n\nBase: main (given with --tdd-base), merge-base "
        "aaaaaaa.\n\n| Test | Verdict | Against the base |\n|---|---|---|\n"
        "| `t.py::a` | red | AssertionError: assert 1 == 2 (assertion) |\n"
        "| `t.py::b\\|c` | passed | passes there |\n\n"
        "| Removed test | Verdict | Against the new code |\n|---|---|---|\n"
        "| `t.py::c` | removed-with-code | the code is gone |\n\nFixes:\n\n"
        "- `t.py::b\\|c`: make it test what this change adds"
    )


def test_the_markdown_section_of_a_change_without_tests_says_so() -> None:
    assert verifyreport.to_markdown(Verification(BASE), None, BASE) == (
        "## TDD verify: holds\n\nBase: main (given with --tdd-base), merge-base aaaaaaa.\n\n"
        "No new or changed tests.\n"
    )


def test_the_markdown_section_of_a_verification_that_could_not_run_says_why() -> None:
    assert verifyreport.to_markdown(None, "verify: broken", BASE) == (
        "## TDD verify: could not run\n\nBase: main (given with --tdd-base), merge-base "
        "aaaaaaa.\n\nverify: broken\n"
    )
