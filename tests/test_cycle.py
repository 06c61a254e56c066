"""The red -> green -> refactor cycle, run by run, through the real plugin."""

from __future__ import annotations

import os
import shutil

import pytest

from helpers import CALC_ADD, CALC_EMPTY, EVIDENCE, TEST_ADD, ledger, reach_green, statuses

OK = pytest.ExitCode.OK
FAILED = pytest.ExitCode.TESTS_FAILED


def test_red_records_a_new_test_that_fails_for_the_right_reason(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == OK
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["tdd: red holds: 1 new test seen failing for the right reason (missing-api 1)*"]
    )
    (record,) = ledger(tdd)["test_calc.py::test_add"]
    assert (record.status, record.kind, record.exception) == (
        "red",
        "missing-api",
        "AttributeError",
    )


def test_green_turns_a_red_test_green_once_it_passes(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-phase=red")
    tdd.makepyfile(calc=CALC_ADD)
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == OK
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["tdd: green holds: 1 test turned green*"])
    assert statuses(tdd) == {"test_calc.py::test_add": "green"}
    assert ledger(tdd)["test_calc.py::test_add"][0].kind == "missing-api"


def test_a_test_never_seen_failing_fails_the_green_run(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_ADD)
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == FAILED
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*= tdd =*",
            "NEVER-RED test_calc.py::test_add: never seen failing",
            "    fix: pytest --tdd-phase=red test_calc.py::test_add *",
            "tdd: green fails: 1 violation (never-red 1)",
        ]
    )
    assert not (tdd.path / EVIDENCE).exists()


def test_a_new_test_that_passes_in_red_fails_the_red_run(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_ADD)
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        ["PASSED-IN-RED test_calc.py::test_add: passes before it is implemented"]
    )
    assert ledger(tdd) == {}


def test_a_typo_in_the_test_is_the_wrong_reason(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        calc=CALC_EMPTY,
        test_calc="import calc\n\ndef test_add():\n    assert cacl.add(1, 2) == 3\n",
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        [
            "test_calc.py W",
            "WRONG-REASON test_calc.py::test_add: failed for the wrong reason, raised in the test's"
            " own code *: NameError: name 'cacl' is not defined",
        ]
    )
    assert ledger(tdd) == {}


def test_red_and_wrong_reason_outcomes_have_their_own_status_letters(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(
        calc=CALC_EMPTY,
        test_calc="""
        import calc

        def test_red():
            assert calc.unrelated() == 1

        def test_typo():
            assert undefined == 1
        """,
    )
    result = tdd.runpytest("--tdd-phase=red", "-v")
    result.stdout.fnmatch_lines(
        ["test_calc.py::test_red RED", "test_calc.py::test_typo WRONG-REASON"]
    )


def test_a_fixture_error_is_the_wrong_reason(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        calc=CALC_EMPTY,
        test_calc="""
        import pytest, calc

        @pytest.fixture
        def adder():
            return calc.add

        def test_add(adder):
            assert adder(1, 2) == 3
        """,
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["WRONG-REASON test_calc.py::test_add: *a setup error*"])


def test_strict_mode_accepts_only_assertions(tdd: pytest.Pytester) -> None:
    tdd.makeini("[pytest]\ntdd_red_accept = assertion\n")
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        ["WRONG-REASON test_calc.py::test_add: failed with kind missing-api*"]
    )


def test_an_error_inside_the_project_counts_as_red(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        calc="def add(a, b):\n    return {}['todo']\n",
        test_calc=TEST_ADD,
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == OK
    assert ledger(tdd)["test_calc.py::test_add"][0].kind == "error"


def test_a_test_changed_after_red_must_be_seen_failing_again(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-phase=red")
    tdd.makepyfile(
        calc=CALC_ADD,
        test_calc="import calc\n\ndef test_add():\n    assert calc.add(1, 2) is not None\n",
    )
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        ["MODIFIED-AFTER-RED test_calc.py::test_add: changed since it was seen failing"]
    )
    assert statuses(tdd) == {"test_calc.py::test_add": "red"}


def test_reformatting_a_test_keeps_its_evidence(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-phase=red")
    tdd.makepyfile(
        calc=CALC_ADD,
        test_calc="import calc\n\n\ndef test_add():\n    # now with a comment\n"
        "    assert calc.add( 1, 2 ) == 3\n",
    )
    assert tdd.runpytest("--tdd-phase=green").ret == OK


def test_a_regression_of_a_green_test_fails_the_green_run(tdd: pytest.Pytester) -> None:
    reach_green(tdd)
    tdd.makepyfile(calc="def add(a, b):\n    return a - b\n")
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        ["REGRESSION test_calc.py::test_add: has green evidence and now fails"]
    )


def test_red_requires_old_tests_to_keep_passing(tdd: pytest.Pytester) -> None:
    reach_green(tdd)
    tdd.makepyfile(
        calc="def add(a, b):\n    return 0\n",
        test_sub="import calc\n\ndef test_sub():\n    assert calc.sub(3, 2) == 1\n",
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["REGRESSION test_calc.py::test_add*"])
    assert statuses(tdd)["test_sub.py::test_sub"] == "red"


def test_a_red_run_without_new_tests_has_nothing_to_prove(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-adopt")
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        ["NOTHING-TO-PROVE: the red run executed no test without green or legacy evidence"]
    )


def test_a_new_test_that_is_skipped_is_not_run(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        test_x="import pytest\n\n@pytest.mark.skip(reason='later')\ndef test_x():\n    assert 0\n"
    )
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        ["NOT-RUN test_x.py::test_x: a new test that was not run (skipped)"]
    )


def test_a_new_test_that_is_xfailed_is_not_red(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="import pytest\n\n@pytest.mark.xfail\ndef test_x():\n    assert 0\n")
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        ["NOT-RUN test_x.py::test_x: a new test that was not run (xfailed)"]
    )


def test_tests_left_unrun_by_maxfail_are_not_run(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_a():\n    assert 0\n\ndef test_b():\n    assert 0\n")
    result = tdd.runpytest("--tdd-phase=red", "-x")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        [
            "NOT-RUN test_x.py::test_b: a new test that was not run: the run ended before it"
            " (-x, --maxfail, a stop)"
        ]
    )
    assert statuses(tdd) == {"test_x.py::test_a": "red"}


def test_refactor_accepts_only_tests_with_evidence(tdd: pytest.Pytester) -> None:
    reach_green(tdd)
    tdd.makepyfile(calc="def add(a, b):\n    return sum((a, b))\n")
    result = tdd.runpytest("--tdd-phase=refactor")
    assert result.ret == OK
    result.stdout.fnmatch_lines(["tdd: refactor holds: 1 test kept its evidence"])


def test_refactor_refuses_a_new_test(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_ADD)
    result = tdd.runpytest("--tdd-phase=refactor")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["NEW-IN-REFACTOR test_calc.py::test_add: *"])


def test_an_exempt_test_is_shown_with_its_reason(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        test_x="""
        import pytest

        @pytest.mark.tdd_exempt("a smoke test of the packaging")
        def test_x():
            assert 1
        """
    )
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == OK
    result.stdout.fnmatch_lines(
        ["tdd: exempt test_x.py::test_x: a smoke test of the packaging", "tdd: green holds*"]
    )


def test_an_exempt_marker_without_a_reason_is_a_usage_error(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="import pytest\n\n@pytest.mark.tdd_exempt\ndef test_x():\n    assert 1\n")
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*tdd_exempt on test_x.py::test_x needs a reason*"])


def test_adopt_records_passing_tests_as_legacy_evidence(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_ok():\n    assert 1\n\ndef test_broken():\n    assert 0\n")
    result = tdd.runpytest("--tdd-adopt")
    result.stdout.fnmatch_lines(
        ["tdd: adopted 1 passing test as legacy evidence (1 not adopted: failed or skipped)"]
    )
    assert statuses(tdd) == {"test_x.py::test_ok": "legacy"}
    assert tdd.runpytest("--tdd-phase=refactor", "-k", "test_ok").ret == OK


def test_adopt_leaves_an_exempt_test_out_of_the_evidence_and_names_it(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(
        test_x="""
        import pytest

        def test_ok():
            assert 1

        @pytest.mark.tdd_exempt("a smoke test of the packaging")
        def test_smoke():
            assert 1
        """
    )
    result = tdd.runpytest("--tdd-adopt")
    result.stdout.fnmatch_lines(
        ["tdd: exempt test_x.py::test_smoke: a smoke test of the packaging"]
    )
    assert statuses(tdd) == {"test_x.py::test_ok": "legacy"}


def test_the_evidence_file_is_written_only_when_something_changed(tdd: pytest.Pytester) -> None:
    reach_green(tdd)
    path = tdd.path / EVIDENCE
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert tdd.runpytest("--tdd-phase=green").ret == OK
    assert path.stat().st_mtime_ns == 1_000_000_000


def test_the_red_record_names_the_git_head(tdd: pytest.Pytester) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    tdd.run(git, "init", "-q", ".")
    tdd.run(
        git, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x"
    )
    head = tdd.run(git, "rev-parse", "HEAD").outlines[0]
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-phase=red")
    record = ledger(tdd)["test_calc.py::test_add"][0]
    assert record.head is not None
    assert head.startswith(record.head)


def test_without_git_the_red_record_has_no_head(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tdd.path.parent))
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-phase=red")
    assert ledger(tdd)["test_calc.py::test_add"][0].head is None


def test_a_library_error_raised_directly_in_the_test_is_the_wrong_reason(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(test_x="import json\n\ndef test_x():\n    assert json.loads('{') == {}\n")
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        ["WRONG-REASON test_x.py::test_x: *third-party or standard-library code*JSONDecodeError*"]
    )


def test_a_timeout_reported_by_pytest_timeout_is_the_wrong_reason(tdd: pytest.Pytester) -> None:
    # pytest-timeout's signal method ends a test with this pytest.fail message.
    tdd.makepyfile(
        test_x="import pytest\n\ndef test_x():\n"
        "    pytest.fail('Timeout (>1.0s) from pytest-timeout.')\n"
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["WRONG-REASON test_x.py::test_x: *a timeout*"])


def test_a_crash_is_the_wrong_reason(tdd: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    tdd.makepyfile(test_x="import os\n\ndef test_x():\n    os._exit(3)\n")
    result = tdd.runpytest("--tdd-phase=red", "-n", "1")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["WRONG-REASON test_x.py::test_x: *without an exception*crash*"])


@pytest.mark.parametrize("phase", ["green", "refactor"])
def test_a_test_file_that_cannot_be_collected_fails_the_phase(
    tdd: pytest.Pytester, phase: str
) -> None:
    # Its tests were never judged: "holds" would say they were fine
    tdd.makepyfile(test_ok="def test_ok():\n    assert 1\n", test_bad="def test_bad(:\n")
    assert tdd.runpytest("--tdd-adopt", "test_ok.py").ret == pytest.ExitCode.OK
    result = tdd.runpytest(f"--tdd-phase={phase}", "--continue-on-collection-errors")
    result.stdout.fnmatch_lines(
        [f"tdd: {phase} fails: 1 test file could not be collected; its tests were not judged"]
    )
    assert result.ret != pytest.ExitCode.OK


def test_a_test_file_that_cannot_be_collected_is_named_beside_the_violations(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(test_new="def test_new():\n    assert 1\n", test_bad="def test_bad(:\n")
    result = tdd.runpytest("--tdd-phase=green", "--continue-on-collection-errors")
    result.stdout.fnmatch_lines(
        ["tdd: green fails: 1 violation (never-red 1); 1 test file could not be collected"]
    )
