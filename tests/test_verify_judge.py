"""The verdicts of ``--tdd-verify`` (``verifyjudge``): pure, plain data in and out."""

from __future__ import annotations

from typing import Any

from pytest_tdd import verifyjudge
from pytest_tdd.phases import Violation
from pytest_tdd.verifyjudge import BaseTests, Entry, RunTest

ACCEPT = frozenset({"assertion", "missing-api", "error"})


def make(fingerprint: str, module: str = "tests/test_a.py", **more: Any) -> RunTest:
    return RunTest(fingerprint, more.pop("case", None), module, **more)


def failed(
    kind: str | None, exception: str = "AssertionError", message: str = "m"
) -> dict[str, Any]:
    return {
        "outcome": "failed",
        "failure": {
            "when": "call",
            "exception": exception,
            "message": message,
            "kind": kind,
            "cause": "because",
        },
    }


def test_a_module_the_change_touched_is_suspect() -> None:
    tests = {"tests/test_a.py::t": make("1"), "tests/test_b.py::t": make("2", "tests/test_b.py")}
    assert verifyjudge.suspect_modules(tests, {"tests/test_a.py"}) == {"tests/test_a.py"}


def test_a_module_whose_test_function_lives_in_a_touched_file_is_suspect() -> None:
    tests = {"tests/test_b.py::T::t": make("1", "tests/test_b.py", source="tests/mixins.py")}
    assert verifyjudge.suspect_modules(tests, {"tests/mixins.py"}) == {"tests/test_b.py"}


def test_the_modules_below_a_touched_conftest_are_suspect() -> None:
    tests = {
        "tests/unit/test_a.py::t": make("1", "tests/unit/test_a.py"),
        "other/test_b.py::t": make("2", "other/test_b.py"),
    }
    assert verifyjudge.suspect_modules(tests, {"tests/conftest.py"}) == {"tests/unit/test_a.py"}


def test_when_a_helper_of_the_tests_changed_every_module_is_suspect() -> None:
    tests = {"test_a.py::t": make("1", "test_a.py"), "sub/test_b.py::t": make("2", "sub/test_b.py")}
    found = verifyjudge.suspect_modules(tests, {"tests/helpers.py"}, everything=True)
    assert found == {"test_a.py", "sub/test_b.py"}


def test_a_test_whose_helpers_changed_is_the_changes_though_its_code_is_the_same() -> None:
    tests = {"tests/test_a.py::t": make("1", deps="new")}
    base = BaseTests({"tests/test_a.py::t": ("1", None, "old")})
    assert verifyjudge.the_change(tests, {"tests/test_a.py"}, base) == {"tests/test_a.py::t": True}


def test_a_conftest_at_the_top_makes_every_module_suspect() -> None:
    tests = {"test_a.py::t": make("1", "test_a.py"), "sub/test_b.py::t": make("2", "sub/test_b.py")}
    assert verifyjudge.suspect_modules(tests, {"conftest.py"}) == {"test_a.py", "sub/test_b.py"}


def test_the_base_collects_the_suspects_it_has_and_the_test_modules_touched() -> None:
    changed = {
        "tests/test_new.py": "A",
        "tests/test_gone.py": "D",
        "tests/test_edited.py": "M",
        "src/code.py": "M",
    }
    found = verifyjudge.base_modules(
        changed, {"tests/test_new.py", "tests/test_mixed.py"}, lambda p: "/test_" in p
    )
    assert found == ["tests/test_edited.py", "tests/test_gone.py", "tests/test_mixed.py"]


def test_a_test_whose_identity_the_base_has_elsewhere_is_not_the_changes() -> None:
    tests = {"tests/test_a.py::renamed": make("1"), "tests/test_a.py::new": make("2")}
    base = BaseTests({"tests/test_a.py::old": ("1", None, None)})
    found = verifyjudge.the_change(tests, {"tests/test_a.py"}, base)
    assert found == {"tests/test_a.py::new": False}


def test_a_copy_of_a_test_in_an_untouched_module_is_not_the_changes() -> None:
    tests = {"tests/test_a.py::copy": make("1"), "tests/test_b.py::t": make("1", "tests/test_b.py")}
    assert verifyjudge.the_change(tests, {"tests/test_a.py"}, BaseTests({})) == {}


def test_a_case_is_the_changes_when_only_its_values_are_new() -> None:
    tests = {
        "tests/test_a.py::t[a0]": make("1", case="zero"),
        "tests/test_a.py::t[a1]": make("1", case="one"),
    }
    base = BaseTests({"tests/test_a.py::t[a0]": ("1", "one", None)})
    found = verifyjudge.the_change(tests, {"tests/test_a.py"}, base)
    assert found == {"tests/test_a.py::t[a0]": True}


def test_a_test_of_a_base_module_that_could_not_be_imported_matches_by_fingerprint() -> None:
    tests = {"tests/test_a.py::t[1]": make("1", case="one")}
    found = verifyjudge.the_change(tests, {"tests/test_a.py"}, BaseTests({}, broken=["1"]))
    assert found == {}


def test_exempt_tests_are_never_the_changes() -> None:
    tests = {"tests/test_a.py::t": make("1", exempt=True)}
    assert verifyjudge.the_change(tests, {"tests/test_a.py"}, BaseTests({})) == {}


def test_removed_tests_are_base_tests_gone_from_files_collected_in_full() -> None:
    tests = {"tests/test_a.py::kept": make("1"), "tests/test_a.py::moved_here": make("2")}
    base = BaseTests(
        {
            "tests/test_a.py::kept": ("1", None, None),
            "tests/test_a.py::gone": ("3", None, None),
            "tests/test_b.py::moved": ("2", None, None),
            "tests/test_c.py::unseen": ("4", None, None),
        }
    )
    found = verifyjudge.removed(tests, base, lambda module: module != "tests/test_c.py")
    assert found == ["tests/test_a.py::gone"]


def test_a_case_of_a_module_that_could_not_be_imported_is_found_by_its_function() -> None:
    report = {"tests": {"t.py::f": failed("missing-api")}}
    assert verifyjudge.observed(report, "t.py::f[1]") == failed("missing-api")
    assert verifyjudge.observed(report, "t.py::g") is None
    assert verifyjudge.observed(None, "t.py::f") is None


def test_failing_on_the_base_for_an_accepted_reason_is_red() -> None:
    entry = verifyjudge.on_base(failed("assertion", message="assert 1 == 2"), ACCEPT)
    assert entry == Entry("red", "assertion", "AssertionError", "assert 1 == 2")


def test_passing_on_the_base_is_passed_on_base() -> None:
    entry = verifyjudge.on_base({"outcome": "passed"}, ACCEPT)
    assert (entry.verdict, entry.violation) == ("passed", "passed-on-base")


def test_a_kind_tdd_red_accept_leaves_out_is_the_wrong_reason() -> None:
    entry = verifyjudge.on_base(failed("error", "KeyError", "'x'"), frozenset({"assertion"}))
    assert (entry.verdict, entry.kind, entry.violation) == (
        "wrong-reason",
        "error",
        "wrong-reason-on-base",
    )
    assert entry.message == (
        "against the base revision's code it failed with kind error, which tdd_red_accept "
        "does not accept (it accepts assertion): KeyError: 'x'"
    )


def test_a_failure_without_an_exception_to_judge_is_the_wrong_reason() -> None:
    entry = verifyjudge.on_base({"outcome": "failed"}, ACCEPT)
    assert entry.verdict == "wrong-reason"
    assert entry.message is not None
    assert entry.message.startswith(
        "against the base revision's code it failed without an exception to judge"
    )


def test_a_test_skipped_on_the_base_is_the_wrong_reason() -> None:
    entry = verifyjudge.on_base({"outcome": "skipped"}, ACCEPT)
    assert (entry.verdict, entry.violation) == ("wrong-reason", "wrong-reason-on-base")
    assert entry.message == (
        "skipped against the base revision's code; a test of the change must fail there"
    )


def test_a_test_not_collected_on_the_base_is_the_wrong_reason() -> None:
    entry = verifyjudge.on_base(None, ACCEPT)
    assert entry.verdict == "wrong-reason"
    assert entry.message is not None
    assert entry.message.startswith("not collected against the base revision's code")


def test_a_test_a_stopped_run_did_not_report_did_not_finish() -> None:
    entry = verifyjudge.on_base({"outcome": "not-run"}, ACCEPT, stopped=True, limit="4 s")
    assert entry.message is not None
    assert entry.message.startswith("did not finish against the base revision's code within 4 s")


PASSED_ON_BASE = Entry("passed", message="passes", violation="passed-on-base")


def test_an_old_version_that_passes_against_the_new_code_was_only_rewritten() -> None:
    entry = verifyjudge.old_version({"outcome": "passed"}, PASSED_ON_BASE)
    assert (entry.verdict, entry.violation) == ("rewritten", None)


def test_an_old_version_that_misses_a_removed_api_was_rewritten() -> None:
    entry = verifyjudge.old_version(failed("missing-api", "AttributeError"), PASSED_ON_BASE)
    assert (entry.verdict, entry.kind, entry.violation) == ("rewritten", "missing-api", None)


def test_an_old_version_that_hits_a_deprecation_in_the_project_was_rewritten() -> None:
    entry = verifyjudge.old_version(failed("error", "DeprecationWarning"), PASSED_ON_BASE)
    assert (entry.verdict, entry.violation) == ("rewritten", None)
    assert entry.message == "its old version uses a deprecated API: DeprecationWarning: m"


def test_an_old_version_that_fails_on_an_assertion_was_edited_to_pass() -> None:
    entry = verifyjudge.old_version(failed("assertion"), PASSED_ON_BASE)
    assert (entry.verdict, entry.violation) == ("edited-to-pass", "edited-to-pass")


def test_an_old_version_that_failed_for_the_wrong_reason_was_edited_to_pass_too() -> None:
    entry = verifyjudge.old_version(failed(None, "JSONDecodeError"), PASSED_ON_BASE)
    assert (entry.verdict, entry.violation) == ("edited-to-pass", "edited-to-pass")


def test_an_old_version_that_did_not_run_is_not_run_without_a_violation() -> None:
    skipped = verifyjudge.old_version({"outcome": "skipped"}, PASSED_ON_BASE)
    assert (skipped.verdict, skipped.violation) == ("not-run", None)
    assert skipped.message is not None
    assert "old version skipped" in skipped.message
    unseen = verifyjudge.old_version(None, PASSED_ON_BASE)
    assert (unseen.verdict, unseen.violation) == ("not-run", None)


def test_a_removed_test_that_passes_against_the_new_code_passes() -> None:
    assert verifyjudge.removed_verdict({"outcome": "passed"}) == Entry(
        "passes", message="passes against the new code"
    )
    assert verifyjudge.removed_verdict(None) == Entry("passes", message="not run there")


def test_a_removed_test_whose_code_is_gone_was_removed_with_it() -> None:
    entry = verifyjudge.removed_verdict(failed("missing-api", "ImportError", "no calc"))
    assert entry == Entry(
        "removed-with-code",
        "missing-api",
        "ImportError",
        "the code it tested is gone: ImportError: no calc",
    )


def test_a_removed_test_that_fails_against_the_new_code_is_removed_failing() -> None:
    entry = verifyjudge.removed_verdict(failed("error", "KeyError", ""))
    assert (entry.verdict, entry.violation, entry.message) == (
        "removed-failing",
        "removed-failing",
        "deleted, and it fails against the new code: KeyError",
    )


def test_violations_come_from_the_entries_that_carry_one() -> None:
    tests = {"a": PASSED_ON_BASE, "b": Entry("red", "assertion")}
    gone = {"c": Entry("removed-failing", message="fails", violation="removed-failing")}
    assert verifyjudge.violations(tests, gone) == [
        Violation("a", "passed-on-base", "passes"),
        Violation("c", "removed-failing", "fails"),
    ]


def test_an_entry_in_json_has_its_verdict_kind_exception_and_message() -> None:
    assert Entry("red", "assertion", "AssertionError", "m", None).to_json() == {
        "verdict": "red",
        "kind": "assertion",
        "exception": "AssertionError",
        "message": "m",
    }
