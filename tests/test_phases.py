"""Unit tests for the phase policy: observations and evidence in, verdicts out."""

from __future__ import annotations

import pytest

from pytest_tdd import evidence, phases
from pytest_tdd.evidence import Ledger, Record
from pytest_tdd.phases import Identity, Observation
from pytest_tdd.reasons import Failure

from helpers import build_ledger as ledger

ID = "tests/test_a.py::test_x"
FP = Identity("f" * 16)
OTHER_FP = Identity("e" * 16)
ALL = frozenset({"assertion", "missing-api", "error"})

ASSERTION = Failure("call", "AssertionError", "assert 1 == 2", "assertion", "an assertion")
MISSING = Failure("call", "AttributeError", "no attribute", "missing-api", "missing")
TYPO = Failure("call", "NameError", "name 'x' is not defined", None, "the test's own code")


def obs(
    result: str = "passed",
    failure: Failure | None = None,
    nodeid: str = ID,
    identity: Identity = FP,
    exempt: str | None = None,
) -> Observation:
    return Observation(nodeid, identity, result, failure, exempt)  # type: ignore[arg-type]


def record(status: str, nodeid: str = ID, identity: Identity = FP) -> Record:
    kind = None if status == "legacy" else "assertion"
    return Record(nodeid, status, identity.fingerprint, identity.case, kind=kind)  # type: ignore[arg-type]


def judge(
    phase: str,
    *observations: Observation,
    state: Ledger | None = None,
    accept: frozenset[str] = ALL,
) -> phases.Judgement:
    return phases.judge(phase, list(observations), state or {}, accept, head="abc1234")  # type: ignore[arg-type]


def verdict_of(judgement: phases.Judgement, nodeid: str = ID) -> str:
    return judgement.verdicts[nodeid].verdict


def kinds(judgement: phases.Judgement) -> list[str]:
    return [v.kind for v in judgement.violations]


# --- red ---------------------------------------------------------------------------


def test_red_records_a_new_test_that_fails_on_an_assertion() -> None:
    judgement = judge("red", obs("failed", ASSERTION))
    assert verdict_of(judgement) == "recorded-red"
    assert judgement.violations == []
    assert judgement.changes.put[ID] == Record(
        ID,
        "red",
        FP.fingerprint,
        kind="assertion",
        exception="AssertionError",
        message="assert 1 == 2",
        head="abc1234",
    )


def test_red_records_the_kind_of_a_missing_api_failure() -> None:
    judgement = judge("red", obs("failed", MISSING))
    assert judgement.changes.put[ID].kind == "missing-api"


def test_red_refuses_a_failure_for_the_wrong_reason() -> None:
    judgement = judge("red", obs("failed", TYPO))
    assert kinds(judgement) == ["wrong-reason"]
    assert "NameError" in judgement.violations[0].message
    assert not judgement.changes


def test_red_refuses_a_kind_that_the_settings_do_not_accept() -> None:
    judgement = judge("red", obs("failed", MISSING), accept=frozenset({"assertion"}))
    assert kinds(judgement) == ["wrong-reason"]
    assert "missing-api" in judgement.violations[0].message


def test_red_refuses_a_new_test_that_passes() -> None:
    assert kinds(judge("red", obs("passed"))) == ["passed-in-red"]


@pytest.mark.parametrize("result", ["skipped", "xfailed", "xpassed", "not-run"])
def test_red_refuses_a_new_test_that_did_not_run(result: str) -> None:
    assert kinds(judge("red", obs(result))) == ["not-run", "nothing-to-prove"]


def test_red_with_no_new_test_has_nothing_to_prove() -> None:
    judgement = judge("red", obs("passed"), state=ledger(record("green")))
    assert kinds(judgement) == ["nothing-to-prove"]
    assert judgement.violations[0].nodeid is None


def test_red_requires_tests_with_green_evidence_to_keep_passing() -> None:
    new = obs("failed", ASSERTION, nodeid="tests/test_a.py::test_new", identity=OTHER_FP)
    judgement = judge("red", obs("failed", ASSERTION), new, state=ledger(record("green")))
    assert kinds(judgement) == ["regression"]


def test_red_keeps_the_evidence_of_a_red_test_that_fails_again() -> None:
    judgement = judge("red", obs("failed", TYPO), state=ledger(record("red")))
    assert verdict_of(judgement) == "red"
    assert kinds(judgement) == []
    assert ID not in judgement.changes.put


def test_red_records_a_changed_test_again() -> None:
    judgement = judge(
        "red", obs("failed", ASSERTION), state=ledger(record("green", identity=OTHER_FP))
    )
    assert verdict_of(judgement) == "recorded-red"
    assert judgement.changes.put[ID].fingerprint == FP.fingerprint


# --- green -------------------------------------------------------------------------


def test_green_promotes_a_red_test_that_passes() -> None:
    judgement = judge("green", obs("passed"), state=ledger(record("red")))
    assert verdict_of(judgement) == "green"
    assert judgement.violations == []
    promoted = judgement.changes.put[ID]
    assert promoted.status == "green"
    assert promoted.kind == "assertion"


@pytest.mark.parametrize("result", ["passed", "failed"])
def test_green_refuses_a_test_never_seen_failing(result: str) -> None:
    assert kinds(judge("green", obs(result, ASSERTION if result == "failed" else None))) == [
        "never-red"
    ]


def test_green_refuses_a_test_changed_since_its_evidence() -> None:
    judgement = judge("green", obs("passed"), state=ledger(record("red", identity=OTHER_FP)))
    assert kinds(judgement) == ["modified-after-red"]
    assert not judgement.changes


def test_green_refuses_a_failing_test_with_green_evidence() -> None:
    assert kinds(judge("green", obs("failed", ASSERTION), state=ledger(record("green")))) == [
        "regression"
    ]


def test_green_refuses_a_failing_legacy_test() -> None:
    assert kinds(judge("green", obs("failed", ASSERTION), state=ledger(record("legacy")))) == [
        "regression"
    ]


@pytest.mark.parametrize("phase", ["green", "refactor"])
def test_a_red_test_that_still_fails_is_still_red(phase: str) -> None:
    judgement = judge(phase, obs("failed", ASSERTION), state=ledger(record("red")))
    assert verdict_of(judgement) == "still-red"
    assert kinds(judgement) == ["still-red"]


def test_green_refuses_a_new_test_that_was_skipped() -> None:
    assert kinds(judge("green", obs("skipped"))) == ["not-run"]


def test_green_accepts_a_skipped_test_with_evidence() -> None:
    judgement = judge("green", obs("skipped"), state=ledger(record("green")))
    assert verdict_of(judgement) == "skipped"
    assert judgement.violations == []


def test_green_writes_nothing_when_nothing_changed() -> None:
    assert not judge("green", obs("passed"), state=ledger(record("green"))).changes


# --- refactor ----------------------------------------------------------------------


def test_refactor_accepts_passing_tests_with_evidence() -> None:
    judgement = judge("refactor", obs("passed"), state=ledger(record("legacy")))
    assert judgement.violations == []
    assert verdict_of(judgement) == "legacy"


@pytest.mark.parametrize("result", ["passed", "skipped"])
def test_refactor_refuses_a_new_test(result: str) -> None:
    assert kinds(judge("refactor", obs(result))) == ["new-in-refactor"]


def test_refactor_refuses_a_changed_test() -> None:
    state = ledger(record("green", identity=OTHER_FP))
    assert kinds(judge("refactor", obs("passed"), state=state)) == ["modified-after-red"]


def test_refactor_refuses_a_failing_test() -> None:
    assert kinds(judge("refactor", obs("failed", ASSERTION), state=ledger(record("green")))) == [
        "regression"
    ]


# --- exempt ------------------------------------------------------------------------


@pytest.mark.parametrize("phase", ["red", "green", "refactor"])
def test_an_exempt_test_is_never_a_violation(phase: str) -> None:
    judgement = judge(phase, obs("passed", exempt="generated"))
    assert verdict_of(judgement) == "exempt"
    assert [k for k in kinds(judgement) if k != "nothing-to-prove"] == []
    assert judgement.verdicts[ID].note == "generated"


# --- identity: renames, moves and shifted parametrize ids ----------------------------


def test_a_renamed_test_keeps_its_evidence() -> None:
    old = record("red", nodeid="tests/test_a.py::test_old_name")
    judgement = judge("green", obs("passed"), state=ledger(old))
    assert verdict_of(judgement) == "green"
    assert judgement.verdicts[ID].inherited_from == "tests/test_a.py::test_old_name"
    assert judgement.changes.put[ID].status == "green"


def test_a_shifted_parametrize_id_keeps_the_evidence_of_its_own_values() -> None:
    a, b, c = (
        Identity("f" * 16, "a" * 16),
        Identity("f" * 16, "b" * 16),
        Identity("f" * 16, "c" * 16),
    )
    state = ledger(record("green", "t.py::t[x0]", a), record("green", "t.py::t[x1]", b))
    judgement = judge(
        "green",
        obs("passed", nodeid="t.py::t[x0]", identity=c),
        obs("passed", nodeid="t.py::t[x1]", identity=a),
        obs("passed", nodeid="t.py::t[x2]", identity=b),
        state=state,
    )
    assert [v.nodeid for v in judgement.violations] == ["t.py::t[x0]"]
    assert kinds(judgement) == ["never-red"]
    assert verdict_of(judgement, "t.py::t[x1]") == "green"
    assert verdict_of(judgement, "t.py::t[x2]") == "green"


def test_a_red_record_for_a_module_that_could_not_be_imported_covers_its_cases() -> None:
    case = Identity("f" * 16, "a" * 16)
    state = ledger(record("red", "t.py::test_p", Identity("f" * 16)))
    judgement = judge("green", obs("passed", nodeid="t.py::test_p[1]", identity=case), state=state)
    assert verdict_of(judgement, "t.py::test_p[1]") == "green"


def test_union_merge_candidates_are_matched_by_fingerprint() -> None:
    state = ledger(record("green", identity=OTHER_FP), record("red"))
    judgement = judge("green", obs("passed"), state=state)
    assert verdict_of(judgement) == "green"
    assert judgement.changes.put[ID].fingerprint == FP.fingerprint


# --- adopt and pruning -------------------------------------------------------------


def test_adopt_records_passing_tests_without_evidence_as_legacy() -> None:
    judgement = phases.adopt(
        [
            obs("passed"),
            obs("failed", ASSERTION, nodeid="t.py::t_fail", identity=Identity("1" * 16)),
            obs("passed", nodeid="t.py::t_ok", identity=OTHER_FP),
        ],
        ledger(record("green", nodeid="t.py::t_ok", identity=OTHER_FP)),
    )
    assert judgement.changes.put == {ID: Record(ID, "legacy", FP.fingerprint)}
    assert verdict_of(judgement) == "adopted"
    assert verdict_of(judgement, "t.py::t_fail") == "failed"
    assert verdict_of(judgement, "t.py::t_ok") == "green"


def test_adopt_records_no_evidence_for_an_exempt_test() -> None:
    judgement = phases.adopt([obs("passed", exempt="a smoke test")], Ledger())
    assert judgement.changes.put == {}
    assert verdict_of(judgement) == "exempt"
    assert judgement.verdicts[ID].note == "a smoke test"


def test_adopt_drops_a_record_left_at_the_id_of_a_test_now_exempt() -> None:
    judgement = phases.adopt([obs("passed", exempt="a smoke test")], ledger(record("legacy")))
    assert judgement.changes.put == {}
    assert judgement.changes.drop == {ID}


def test_stale_ids_are_those_of_complete_or_missing_files_that_were_not_collected() -> None:
    state = ledger(
        record("green", "a.py::kept"),
        record("green", "a.py::gone"),
        record("green", "b.py::not_collected_but_partial"),
        record("green", "c.py::file_deleted"),
        record("green", "d.py::file_not_collected"),
    )
    stale = phases.stale_ids(
        state,
        collected={"a.py::kept", "b.py::other"},
        complete_files={"a.py"},
        missing_files={"c.py"},
    )
    assert stale == {"a.py::gone", "c.py::file_deleted"}


def test_a_record_whose_code_moved_to_another_id_is_dropped_from_its_old_id() -> None:
    a, c = Identity("f" * 16, "a" * 16), Identity("f" * 16, "c" * 16)
    state = ledger(record("green", "t.py::t[x0]", a))
    judgement = judge(
        "green",
        obs("passed", nodeid="t.py::t[x0]", identity=c),
        obs("passed", nodeid="t.py::t[x1]", identity=a),
        state=state,
    )
    assert "t.py::t[x0]" in judgement.changes.drop
    assert judgement.changes.put["t.py::t[x1]"].status == "green"


def test_a_changed_test_keeps_its_record_when_a_twin_holds_the_old_code_with_its_own() -> None:
    # Two tests with the same body and values: the twin's record is its own, so the
    # changed test's record did not move to it, and is still the changed test's
    a, c = Identity("f" * 16, "a" * 16), Identity("f" * 16, "c" * 16)
    state = ledger(record("red", "t.py::t_a[p]", a), record("red", "t.py::t_b[q]", a))
    judgement = judge(
        "green",
        obs("passed", nodeid="t.py::t_a[p]", identity=c),
        obs("passed", nodeid="t.py::t_b[q]", identity=a),
        state=state,
    )
    assert judgement.verdicts["t.py::t_a[p]"].verdict == "modified-after-red"
    assert "t.py::t_a[p]" not in judgement.changes.drop


def test_a_renamed_test_takes_its_own_record_not_that_of_a_changed_twin() -> None:
    # The renamed test's old id is gone; the twin's id still holds a test, changed
    state = ledger(record("red", "t.py::one"), record("red", "t.py::two"))
    judgement = judge(
        "green",
        obs("passed", nodeid="t.py::uno"),
        obs("passed", nodeid="t.py::two", identity=OTHER_FP),
        state=state,
    )
    assert judgement.verdicts["t.py::uno"].inherited_from == "t.py::one"
    assert judgement.verdicts["t.py::two"].verdict == "modified-after-red"
    assert "t.py::two" not in judgement.changes.drop


def test_shifted_cases_take_the_records_of_their_own_function_not_a_changed_twins() -> None:
    a, b, n = (Identity("f" * 16, c * 16) for c in "abc")
    changed_a, changed_b = (Identity("e" * 16, c * 16) for c in "ab")
    state = ledger(
        record("red", "t.py::s[x0]", a),
        record("red", "t.py::s[x1]", b),
        record("red", "t.py::t[x0]", a),
        record("red", "t.py::t[x1]", b),
    )
    judgement = judge(
        "green",
        obs("passed", nodeid="t.py::s[x0]", identity=n),
        obs("passed", nodeid="t.py::s[x1]", identity=a),
        obs("passed", nodeid="t.py::s[x2]", identity=b),
        obs("passed", nodeid="t.py::t[x0]", identity=changed_a),
        obs("passed", nodeid="t.py::t[x1]", identity=changed_b),
        state=state,
    )
    verdicts = judgement.verdicts
    assert verdicts["t.py::s[x1]"].inherited_from == "t.py::s[x0]"
    assert verdicts["t.py::s[x2]"].inherited_from == "t.py::s[x1]"
    assert verdicts["t.py::s[x0]"].verdict == "never-red"
    assert verdicts["t.py::t[x0]"].verdict == "modified-after-red"
    assert verdicts["t.py::t[x1]"].verdict == "modified-after-red"


def test_a_record_of_a_test_that_is_gone_goes_to_one_test_of_its_code_only() -> None:
    # Renamed and copied: one sighting of the code failing covers one test
    state = ledger(record("red", "t.py::one"))
    judgement = judge(
        "green",
        obs("passed", nodeid="t.py::uno"),
        obs("passed", nodeid="t.py::copy"),
        state=state,
    )
    verdicts = [judgement.verdicts[n].verdict for n in ("t.py::copy", "t.py::uno")]
    assert sorted(verdicts) == ["green", "never-red"]


def test_a_test_whose_old_code_went_to_another_function_has_changed() -> None:
    # test_b now holds test_a's old code and takes its record; test_a was seen failing
    # and then changed: it is not a new test
    third = Identity("d" * 16)
    state = ledger(record("red", "t.py::a"), record("red", "t.py::b", OTHER_FP))
    judgement = judge(
        "green",
        obs("passed", nodeid="t.py::a", identity=third),
        obs("passed", nodeid="t.py::b"),
        state=state,
    )
    assert judgement.verdicts["t.py::b"].inherited_from == "t.py::a"
    assert judgement.verdicts["t.py::a"].verdict == "modified-after-red"


def test_a_test_whose_old_code_went_to_another_function_keeps_its_record() -> None:
    # So that the next run judges it the same way: changed, not new
    third = Identity("d" * 16)
    state = ledger(record("red", "t.py::a"), record("red", "t.py::b", OTHER_FP))
    observed = (
        obs("passed", nodeid="t.py::a", identity=third),
        obs("passed", nodeid="t.py::b"),
    )
    first = judge("green", *observed, state=state)
    assert "t.py::a" not in first.changes.drop
    after = evidence.Ledger(evidence.apply(state, first.changes))
    again = judge("green", *observed, state=after)
    assert again.verdicts["t.py::a"].verdict == "modified-after-red"


def test_a_test_moved_out_of_a_file_the_run_did_not_collect_takes_its_record() -> None:
    # Only test_y.py was collected; test_x.py's source no longer has test_a
    state = ledger(record("red", "test_x.py::test_a"))
    moved = obs("passed", nodeid="test_y.py::test_a")
    judgement = phases.judge(
        "green",
        [moved],
        state,
        ALL,
        head=None,
        left_file=lambda nodeid: nodeid == "test_x.py::test_a",
    )
    assert judgement.verdicts["test_y.py::test_a"].inherited_from == "test_x.py::test_a"
    still_there = phases.judge("green", [moved], state, ALL, head=None, left_file=lambda n: False)
    assert still_there.verdicts["test_y.py::test_a"].verdict == "never-red"


def test_a_new_test_with_a_twin_in_a_file_not_collected_is_told_where_the_twin_is() -> None:
    # It may have moved from there: only a run of that file too can tell
    state = ledger(record("red", "test_x.py::test_a"))
    judgement = judge("green", obs("passed", nodeid="test_y.py::test_a"), state=state)
    violation = judgement.verdicts["test_y.py::test_a"].violation
    assert violation is not None
    assert violation.message == (
        "never seen failing; its code is recorded at test_x.py::test_a, in a file this run"
        " did not collect: if it moved from there, run that file too"
    )


def test_a_red_test_failing_without_an_exception_in_green_names_a_strict_xfail() -> None:
    # pytest fails a strict xfail that passes, with no exception: not "implement it"
    judgement = judge("green", obs("failed"), state=ledger(record("red")))
    violation = judgement.verdicts[ID].violation
    assert violation is not None
    assert violation.message == (
        "recorded red, and now fails without an exception: a strict xfail that passes"
        " (remove its xfail mark), or a crash"
    )


def test_a_new_test_the_run_never_reached_says_why_it_was_not_run() -> None:
    judgement = judge("green", obs("not-run"))
    violation = judgement.verdicts[ID].violation
    assert violation is not None
    assert violation.message == (
        "a new test that was not run: the run ended before it (-x, --maxfail, a stop)"
    )


def test_a_test_in_a_file_run_in_part_does_not_take_the_record_of_a_test_not_run() -> None:
    # pytest --tdd-phase=red t.py::b, where b now has a's code: a was not run, not gone
    state = ledger(record("green", "t.py::a"), record("red", "t.py::b", OTHER_FP))
    judgement = phases.judge(
        "red",
        [obs("failed", ASSERTION, nodeid="t.py::b")],
        state,
        ALL,
        head=None,
        complete_files=set(),
    )
    assert judgement.verdicts["t.py::b"].verdict == "recorded-red"


def test_a_red_test_failing_in_green_on_its_own_code_is_told_so() -> None:
    # Not "implement what it asks for": the code may be there, the test is at fault
    judgement = judge("green", obs("failed", TYPO), state=ledger(record("red")))
    violation = judgement.verdicts[ID].violation
    assert violation is not None
    assert violation.message == (
        "recorded red, and now fails for the wrong reason, the test's own code:"
        " NameError: name 'x' is not defined"
    )


def test_a_shifted_case_run_alone_takes_the_record_of_its_function_s_case_not_run() -> None:
    # pytest 't.py::t[x1]' after a case was inserted first: x1 holds x0's old values
    a, b = Identity("f" * 16, "a" * 16), Identity("f" * 16, "b" * 16)
    state = ledger(record("green", "t.py::t[x0]", a), record("green", "t.py::t[x1]", b))
    judgement = phases.judge(
        "green",
        [obs("passed", nodeid="t.py::t[x1]", identity=a)],
        state,
        ALL,
        head=None,
        complete_files=set(),
    )
    assert judgement.verdicts["t.py::t[x1]"].inherited_from == "t.py::t[x0]"
    assert judgement.violations == []


def test_red_refuses_a_test_module_that_cannot_be_collected_and_shows_no_tests() -> None:
    syntax = Failure("collect", "SyntaxError", "invalid syntax", None, "a syntax error")
    judgement = phases.judge(
        "red", [], {}, ALL, head=None, uncollectable={"tests/test_b.py": syntax}
    )
    assert [(v.nodeid, v.kind) for v in judgement.violations] == [
        ("tests/test_b.py", "wrong-reason"),
        (None, "nothing-to-prove"),
    ]
    assert "cannot be collected" in judgement.violations[0].message


def test_a_copy_of_a_test_that_still_exists_does_not_share_its_evidence() -> None:
    original = obs("passed", nodeid="tests/test_a.py::test_original")
    judgement = judge(
        "green",
        original,
        obs("passed", nodeid="tests/test_a.py::test_copy"),
        state=ledger(record("green", nodeid="tests/test_a.py::test_original")),
    )
    assert verdict_of(judgement, "tests/test_a.py::test_copy") == "never-red"


def test_evidence_of_a_file_this_run_did_not_collect_is_not_inherited() -> None:
    other = record("green", nodeid="tests/test_other.py::test_x")
    assert kinds(judge("green", obs("passed"), state=ledger(other))) == ["never-red"]


def test_evidence_of_a_file_that_is_gone_moves_with_its_code() -> None:
    moved = record("green", nodeid="tests/test_old.py::test_x")
    judgement = phases.judge(
        "green",
        [obs("passed")],
        ledger(moved),
        ALL,
        head=None,
        missing_files={"tests/test_old.py"},
    )
    assert verdict_of(judgement) == "green"


# --- evidence of tests this run did not judge ----------------------------------------


def test_a_record_of_a_case_not_judged_stays_beside_the_new_record_at_its_id() -> None:
    old_case = Identity(FP.fingerprint, "a" * 16)
    new_case = Identity(FP.fingerprint, "b" * 16)
    judgement = judge(
        "red",
        obs("failed", ASSERTION, nodeid=ID + "[p1]", identity=new_case),
        state=ledger(record("legacy", nodeid=ID + "[p1]", identity=old_case)),
    )
    assert verdict_of(judgement, ID + "[p1]") == "recorded-red"
    applied = evidence.apply(ledger(record("legacy", ID + "[p1]", old_case)), judgement.changes)
    assert [(r.status, r.case) for r in applied[ID + "[p1]"]] == [
        ("red", new_case.case),
        ("legacy", old_case.case),
    ]


def test_a_red_rerun_of_tests_still_red_proves_them_again() -> None:
    judgement = judge("red", obs("failed", ASSERTION), state=ledger(record("red")))
    assert verdict_of(judgement) == "red"
    assert judgement.violations == []


# --- failures a red run asked for ----------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "verdict", "reports", "expected"),
    [
        ("red", "recorded-red", 1, 1),
        ("red", "red", 2, 2),
        ("red", "wrong-reason", 1, 0),
        ("green", "still-red", 1, 0),
    ],
)
def test_the_failures_a_red_run_asked_for_are_those_of_its_red_tests(
    phase: str, verdict: str, reports: int, expected: int
) -> None:
    judgement = phases.Judgement(
        verdicts={ID: phases.Verdict(ID, verdict, "none")}  # type: ignore[arg-type]
    )
    assert phases.expected_failures(phase, judgement, {ID: reports}, {}) == expected  # type: ignore[arg-type]


def test_a_module_whose_tests_are_all_red_makes_its_collection_error_expected() -> None:
    other = "tests/test_a.py::test_y"
    judgement = phases.Judgement(
        verdicts={
            ID: phases.Verdict(ID, "recorded-red", "none"),
            other: phases.Verdict(other, "recorded-red", "none"),
        }
    )
    modules = {"tests/test_a.py": [ID, other]}
    assert phases.expected_failures("red", judgement, {}, modules) == 1


def test_a_module_with_one_test_not_red_keeps_its_collection_error() -> None:
    other = "tests/test_a.py::test_y"
    judgement = phases.Judgement(
        verdicts={
            ID: phases.Verdict(ID, "recorded-red", "none"),
            other: phases.Verdict(other, "wrong-reason", "none"),
        }
    )
    modules = {"tests/test_a.py": [ID, other]}
    assert phases.expected_failures("red", judgement, {}, modules) == 0


# --- adopt ---------------------------------------------------------------------------


def test_adopt_keeps_the_red_record_of_a_changed_test() -> None:
    judgement = phases.adopt(
        [obs("passed", identity=OTHER_FP)], ledger(record("red")), empty=frozenset()
    )
    assert verdict_of(judgement) == "not-adopted"
    assert not judgement.changes


def test_adopt_re_records_a_rewritten_legacy_test_and_says_so() -> None:
    judgement = phases.adopt(
        [obs("passed", identity=OTHER_FP)], ledger(record("legacy")), empty=frozenset()
    )
    assert verdict_of(judgement) == "re-adopted"
    assert judgement.changes.put[ID].fingerprint == OTHER_FP.fingerprint


def test_adopt_refuses_an_empty_test() -> None:
    judgement = phases.adopt([obs("passed")], {}, empty=frozenset({ID}))
    assert verdict_of(judgement) == "not-adopted"
    assert not judgement.changes


@pytest.mark.parametrize("recorded_deps", [None, "c" * 16])
def test_green_or_legacy_evidence_is_kept_as_it_is_when_the_tests_deps_differ(
    recorded_deps: str | None,
) -> None:
    current = Identity(FP.fingerprint, deps="d" * 16)
    for status in ("green", "legacy"):
        held = record(status)._replace(deps=recorded_deps)
        judgement = judge("green", obs("passed", identity=current), state=ledger(held))
        assert verdict_of(judgement) == status
        assert not judgement.changes


def test_a_test_whose_deps_were_not_computed_keeps_its_green_or_legacy_evidence() -> None:
    unchecked = Identity(FP.fingerprint, deps=phases.UNCHECKED)
    for status in ("green", "legacy"):
        held = record(status)._replace(deps="c" * 16)
        judgement = judge("refactor", obs("passed", identity=unchecked), state=ledger(held))
        assert verdict_of(judgement) == status
        assert not judgement.violations
        assert not judgement.changes


def test_deps_are_needed_unless_the_tests_id_holds_only_non_red_evidence_of_its_code() -> None:
    green, legacy, red = record("green"), record("legacy"), record("red")
    other = record("green", identity=OTHER_FP)
    assert phases.needs_deps((), FP.fingerprint, None)  # no evidence: a record to write
    assert phases.needs_deps((red,), FP.fingerprint, None)  # compared with red evidence
    assert phases.needs_deps((green, red), FP.fingerprint, None)  # a union merge
    assert phases.needs_deps((other,), FP.fingerprint, None)  # changed code: a new record
    assert phases.needs_deps((green,), FP.fingerprint, "1" * 16)  # another case
    assert not phases.needs_deps((green,), FP.fingerprint, None)
    assert not phases.needs_deps((legacy, other), FP.fingerprint, None)


def test_a_module_failing_for_an_accepted_reason_with_no_test_found_says_so_plainly() -> None:
    judgement = phases.judge(
        "red", [], {}, ALL, head=None, uncollectable={"tests/test_b.py": MISSING}
    )
    message = judgement.violations[0].message
    assert "wrong reason" not in message
    assert message == (
        "cannot be collected (missing-api, AttributeError: no attribute), and no test was "
        "found in its source to record red: pytest names its tests in a way the source "
        "does not show"
    )


def test_a_record_left_at_the_id_of_a_test_now_exempt_is_dropped() -> None:
    exempt = obs("passed", identity=OTHER_FP, exempt="smoke")
    judgement = judge("green", exempt, state=ledger(record("red")))
    assert verdict_of(judgement) == "exempt"
    assert judgement.changes.drop == {ID}
