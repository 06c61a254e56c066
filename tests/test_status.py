"""``pytest --tdd-status``: each selected test's state against the evidence, from a
collection that runs no test, and the command to run next."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_tdd import phases
from pytest_tdd.evidence import Record
from pytest_tdd.phases import Identity, Observation

from helpers import CALC_ADD, CALC_EMPTY, EVIDENCE, TEST_ADD, GitRepo, ledger

OK = pytest.ExitCode.OK
TEST_SUB = """

def test_sub():
    assert calc.sub(3, 2) == 1
"""
CALC_SUB = CALC_ADD + "\n\ndef sub(a, b):\n    return a - b\n"
EXEMPT = """
import pytest


@pytest.mark.tdd_exempt("needs the network")
def test_download():
    assert True
"""


def json_of(tdd: pytest.Pytester, name: str) -> dict[str, Any]:
    path = tdd.path / name
    assert path.is_file()
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


@pytest.fixture
def git_repo_path(tdd: pytest.Pytester) -> Path:
    return tdd.path


# --- the pure part --------------------------------------------------------------------


def test_states_match_each_test_as_the_verdict_does() -> None:
    red = Record("t.py::test_a", "red", "a" * 16, kind="assertion", head="abc")
    green = Record("t.py::test_b", "green", "b" * 16, kind="missing-api")
    old = Record("t.py::test_c", "legacy", "c" * 16)
    observations = [
        Observation("t.py::test_a", Identity("a" * 16), "not-run"),
        Observation("t.py::test_b", Identity("b" * 16), "not-run"),
        Observation("t.py::test_c", Identity("d" * 16), "not-run"),
        Observation("t.py::test_d", Identity("e" * 16), "not-run"),
    ]
    found = phases.states(
        observations, {r.nodeid: (r,) for r in (red, green, old)}, missing_files=()
    )
    assert found == {
        "t.py::test_a": ("red", red),
        "t.py::test_b": ("green", green),
        "t.py::test_c": ("changed", old),
        "t.py::test_d": ("none", None),
    }


# --- the terminal view ----------------------------------------------------------------


def test_a_test_without_evidence_shows_none_and_the_red_command(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    result = tdd.runpytest("--tdd-status")
    assert result.ret == OK
    result.stdout.fnmatch_lines(
        [
            "none    test_calc.py::test_add",
            "tdd: 1 test: none 1; next: 1 test without evidence of its current code: see it "
            "fail first with `pytest --tdd-phase=red test_calc.py::test_add`*",
        ]
    )


def test_status_runs_no_test(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        test_x="from pathlib import Path\n\n"
        "def test_x():\n    Path('ran').write_text('yes')\n    assert True\n"
    )
    result = tdd.runpytest("--tdd-status")
    assert result.ret == OK
    assert not (tdd.path / "ran").exists()
    assert result.parseoutcomes().get("passed", 0) == 0


def test_a_test_recorded_red_shows_red_with_its_kind_and_the_next_command(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD + TEST_SUB)
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    result = tdd.runpytest("--tdd-status")
    assert result.ret == OK
    result.stdout.fnmatch_lines(
        [
            "red     test_calc.py::test_add  (missing-api)",
            "red     test_calc.py::test_sub  (missing-api)",
            "tdd: 2 tests: red 2; next: 2 tests red: implement, then `pytest --tdd-phase=green`",
        ]
    )


def test_a_red_test_shows_the_commit_it_was_seen_failing_at(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    head = git_repo.commit("base")[:12]
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    result = tdd.runpytest("--tdd-status", "--tdd-json=s.json")
    result.stdout.fnmatch_lines([f"red     test_calc.py::test_add  (missing-api, since {head})"])
    assert json_of(tdd, "s.json")["status"]["test_calc.py::test_add"] == {
        "state": "red",
        "kind": "missing-api",
        "since": head,
    }


def test_a_test_turned_green_shows_green_and_the_refactor_command(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-phase=red")
    tdd.makepyfile(calc=CALC_ADD)
    assert tdd.runpytest("--tdd-phase=green").ret == OK
    result = tdd.runpytest("--tdd-status")
    result.stdout.fnmatch_lines(
        [
            "green   test_calc.py::test_add  (missing-api)",
            "tdd: 1 test: green 1; next: every test has evidence: refactor and check it with "
            "`pytest --tdd-phase=refactor`, or write a failing test and run "
            "`pytest --tdd-phase=red <its file>`",
        ]
    )


def test_an_adopted_test_shows_legacy(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_ADD)
    assert tdd.runpytest("--tdd-adopt").ret == OK
    result = tdd.runpytest("--tdd-status")
    result.stdout.fnmatch_lines(["legacy  test_calc.py::test_add", "tdd: 1 test: legacy 1; *"])


def test_an_exempt_test_shows_exempt_with_its_reason(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_net=EXEMPT)
    result = tdd.runpytest("--tdd-status")
    result.stdout.fnmatch_lines(
        ["exempt  test_net.py::test_download  (needs the network)", "tdd: 1 test: exempt 1; *"]
    )


def test_a_test_changed_since_its_record_shows_changed(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-phase=red")
    tdd.makepyfile(test_calc=TEST_ADD.replace("(1, 2) == 3", "(2, 2) == 4"))
    result = tdd.runpytest("--tdd-status")
    result.stdout.fnmatch_lines(
        [
            "changed test_calc.py::test_add  (changed since its red evidence)",
            "tdd: 1 test: changed 1; next: 1 test without evidence of its current code: *",
        ]
    )


def test_the_tests_of_a_module_that_cannot_be_imported_are_shown_from_its_source(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(
        test_calc="from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    )
    result = tdd.runpytest("--tdd-status")
    assert result.ret == OK
    result.stdout.fnmatch_lines(["none    test_calc.py::test_add", "tdd: 1 test: none 1; *"])


def test_status_of_a_node_id_shows_that_test_only(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD + TEST_SUB)
    result = tdd.runpytest("--tdd-status", "test_calc.py::test_sub")
    assert result.ret == OK
    assert "test_calc.py::test_add" not in result.stdout.str()
    result.stdout.fnmatch_lines(["none    test_calc.py::test_sub", "tdd: 1 test: none 1; *"])


def test_status_with_two_workers_shows_the_same_states(tdd: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-phase=red")
    result = tdd.runpytest("--tdd-status", "-n", "2")
    assert result.ret == OK
    result.stdout.fnmatch_lines(["red     test_calc.py::test_add  (missing-api)"])


def test_status_leaves_the_evidence_file_as_it_was(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-phase=red")
    before = (tdd.path / EVIDENCE).read_bytes()
    tdd.makepyfile(test_calc=TEST_ADD + TEST_SUB)
    assert tdd.runpytest("--tdd-status").ret == OK
    assert (tdd.path / EVIDENCE).read_bytes() == before
    assert list(ledger(tdd)) == ["test_calc.py::test_add"]


# --- the JSON report ------------------------------------------------------------------


def test_the_json_report_holds_each_test_and_the_counts_of_every_state(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD, test_net=EXEMPT)
    tdd.runpytest("--tdd-phase=red", "test_calc.py")
    tdd.makepyfile(test_calc=TEST_ADD + TEST_SUB)
    assert tdd.runpytest("--tdd-status", "--tdd-json=s.json").ret == OK
    data = json_of(tdd, "s.json")
    assert data["status"] == {
        "test_calc.py::test_add": {"state": "red", "kind": "missing-api", "since": None},
        "test_calc.py::test_sub": {"state": "none", "kind": None, "since": None},
        "test_net.py::test_download": {
            "state": "exempt",
            "kind": None,
            "since": None,
            "reason": "needs the network",
        },
    }
    assert data["counts"] == {
        "none": 1,
        "red": 1,
        "green": 0,
        "legacy": 0,
        "exempt": 1,
        "changed": 0,
    }
    assert data["next"].startswith("1 test without evidence of its current code")


# --- usage ----------------------------------------------------------------------------


def test_an_unreadable_evidence_file_is_a_usage_error(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 1\n")
    (tdd.path / EVIDENCE).write_text("not the evidence\n", "utf-8")
    result = tdd.runpytest("--tdd-status")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*evidence file *tdd-evidence.jsonl: line 1: not valid JSON*"])
    assert (tdd.path / EVIDENCE).read_text("utf-8") == "not the evidence\n"


def test_status_with_a_phase_option_is_a_usage_error(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 1\n")
    result = tdd.runpytest("--tdd-status", "--tdd-phase=green")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--tdd-status only reads the evidence*"])


def test_a_phase_set_in_the_environment_does_not_stop_the_status_view(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 1\n")
    monkeypatch.setenv("PYTEST_TDD_PHASE", "green")
    result = tdd.runpytest("--tdd-status")
    assert result.ret == OK
    result.stdout.fnmatch_lines(["none    test_x.py::test_x"])


def test_quiet_status_lists_only_the_tests_that_need_attention(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_ADD, test_net=EXEMPT)
    assert tdd.runpytest("--tdd-adopt").ret == OK
    tdd.makepyfile(test_new="import calc\n\n\ndef test_sub():\n    assert calc.sub(3, 2) == 1\n")
    result = tdd.runpytest("--tdd-status", "-q")
    assert result.ret == OK
    output = result.stdout.str()
    assert "test_calc.py::test_add" not in output
    assert "test_net.py::test_download" not in output
    result.stdout.fnmatch_lines(
        ["none    test_new.py::test_sub", "tdd: 3 tests: exempt 1, legacy 1, none 1; next: *"]
    )
