"""Verdicts that must be right on real projects: evidence never lost, failures never hidden,
adoption never laundering a cycle, and messages that say what happened."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpers import CALC_ADD, CALC_EMPTY, EVIDENCE, TEST_ADD, ledger, statuses

OK = pytest.ExitCode.OK
FAILED = pytest.ExitCode.TESTS_FAILED

PAYLOADS = """
import pytest, calc

@pytest.mark.parametrize("payload", {cases})
def test_ok(payload):
    assert calc.accepts(payload)
"""
ACCEPTS_AB = "def accepts(payload):\n    return 'c' not in payload\n"
ACCEPTS_ALL = "def accepts(payload):\n    return True\n"


def json_of(tdd: pytest.Pytester, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((tdd.path / name).read_text("utf-8"))
    return data


def test_red_by_node_id_keeps_the_evidence_of_a_case_whose_id_shifted(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=ACCEPTS_AB, test_p=PAYLOADS.format(cases='[{"a": 1}, {"b": 2}]'))
    assert tdd.runpytest("--tdd-adopt").ret == OK
    tdd.makepyfile(test_p=PAYLOADS.format(cases='[{"a": 1}, {"c": 3}, {"b": 2}]'))
    assert tdd.runpytest("--tdd-phase=red", "test_p.py::test_ok[payload1]").ret == OK
    tdd.makepyfile(calc=ACCEPTS_ALL)
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == OK
    result.stdout.fnmatch_lines(["tdd: green holds: 1 test turned green, 2 tests kept *"])
    assert statuses(tdd) == {
        "test_p.py::test_ok[payload0]": "legacy",
        "test_p.py::test_ok[payload1]": "green",
        "test_p.py::test_ok[payload2]": "legacy",
    }


def test_a_red_run_by_node_id_leaves_records_of_cases_it_did_not_judge(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=ACCEPTS_AB, test_p=PAYLOADS.format(cases='[{"a": 1}, {"b": 2}]'))
    tdd.runpytest("--tdd-adopt")
    before = ledger(tdd)["test_p.py::test_ok[payload1]"]
    tdd.makepyfile(test_p=PAYLOADS.format(cases='[{"a": 1}, {"c": 3}, {"b": 2}]'))
    tdd.runpytest("--tdd-phase=red", "test_p.py::test_ok[payload1]")
    kept = [r for records in ledger(tdd).values() for r in records if r in before]
    assert kept == list(before)


def test_a_test_still_red_fails_the_green_run(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-phase=red")
    result = tdd.runpytest("--tdd-phase=green", "--tdd-json=g.json")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        [
            "STILL-RED test_calc.py::test_add: recorded red and still fails*",
            "tdd: green fails: 1 violation (still-red 1)",
        ]
    )
    report = json_of(tdd, "g.json")
    assert report["ok"] is False
    assert [v["kind"] for v in report["violations"]] == ["still-red"]


def test_a_test_still_red_fails_the_refactor_run(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-phase=red")
    result = tdd.runpytest("--tdd-phase=refactor")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["tdd: refactor fails: 1 violation (still-red 1)"])


def test_a_failing_exempt_test_makes_the_report_not_ok_and_the_phase_not_hold(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(
        test_x="import pytest\n\n@pytest.mark.tdd_exempt('smoke')\ndef test_x():\n    assert 0\n"
    )
    result = tdd.runpytest("--tdd-phase=green", "--tdd-json=g.json")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["tdd: green fails: 1 failing test"])
    assert "holds" not in result.stdout.str()
    assert json_of(tdd, "g.json")["ok"] is False


def test_red_again_on_tests_still_red_holds_and_keeps_their_evidence(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-phase=red")
    before = ledger(tdd)
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == OK
    result.stdout.fnmatch_lines(["tdd: red holds: 1 test still red, evidence unchanged"])
    assert ledger(tdd) == before


def test_adopt_never_replaces_red_evidence_of_a_changed_test(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-phase=red")
    tdd.makepyfile(
        calc=CALC_ADD,
        test_calc="import calc\n\ndef test_add():\n    assert calc.add(1, 2) is not None\n",
    )
    result = tdd.runpytest("--tdd-adopt")
    result.stdout.fnmatch_lines(
        ["tdd: not adopted test_calc.py::test_add: it has red evidence (a cycle in progress)*"]
    )
    assert statuses(tdd) == {"test_calc.py::test_add": "red"}


def test_adopt_refuses_an_empty_test(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_nothing():\n    pass\n")
    result = tdd.runpytest("--tdd-adopt")
    result.stdout.fnmatch_lines(["tdd: not adopted test_x.py::test_nothing: its body is empty*"])
    assert not (tdd.path / EVIDENCE).exists()


def test_adopt_names_each_test_it_re_adopts_after_a_rewrite(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-adopt")
    tdd.makepyfile(test_calc="import calc\n\ndef test_add():\n    assert calc.add(2, 2) == 4\n")
    result = tdd.runpytest("--tdd-adopt")
    result.stdout.fnmatch_lines(
        [
            "tdd: re-adopted test_calc.py::test_add: its code changed since its legacy evidence",
            "tdd: adopted 0 passing tests as legacy evidence, re-adopted 1 *",
        ]
    )
    assert statuses(tdd) == {"test_calc.py::test_add": "legacy"}


def test_no_fix_text_suggests_adopt_for_a_test_that_passes_in_red(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_ADD)
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    fixes = [line for line in result.stdout.lines if line.startswith("    fix: ")]
    assert len(fixes) == 1
    assert "adopt" not in fixes[0]


def test_recorded_red_has_a_status_letter_no_popular_plugin_uses(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    result = tdd.runpytest("--tdd-phase=red")
    result.stdout.fnmatch_lines(["test_calc.py r"])


def test_a_shifted_parametrize_case_recorded_red_shows_the_red_letter(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=ACCEPTS_AB, test_p=PAYLOADS.format(cases='[{"a": 1}, {"b": 2}]'))
    tdd.runpytest("--tdd-adopt")
    tdd.makepyfile(test_p=PAYLOADS.format(cases='[{"a": 1}, {"c": 3}, {"b": 2}]'))
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == OK
    result.stdout.fnmatch_lines(["test_p.py .r."])


def test_an_exempt_failing_test_shows_no_red_letter(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        calc=CALC_EMPTY,
        test_calc=TEST_ADD,
        test_x="import pytest\n\n@pytest.mark.tdd_exempt('smoke')\ndef test_x():\n    assert 0\n",
    )
    result = tdd.runpytest("--tdd-phase=red")
    result.stdout.fnmatch_lines(["test_calc.py r", "test_x.py F"])


def test_the_red_summary_shows_what_was_recorded_next_to_what_failed(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(
        calc=CALC_EMPTY,
        test_calc=TEST_ADD,
        test_typo="def test_typo():\n    assert undefined_name == 1\n",
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        ["tdd: red fails: 1 violation (wrong-reason 1); recorded 1 new test red (missing-api 1)"]
    )


def test_a_test_that_changed_and_passes_in_red_is_told_so_plainly(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-adopt")
    tdd.makepyfile(test_calc="import calc\n\ndef test_add():\n    assert calc.add(2, 2) == 4\n")
    result = tdd.runpytest("--tdd-phase=red")
    result.stdout.fnmatch_lines(
        [
            "PASSED-IN-RED test_calc.py::test_add: changed since its evidence was recorded, "
            "and passes: a changed test must fail first"
        ]
    )


def test_help_says_the_state_file_option_is_relative_to_the_current_directory(
    tdd: pytest.Pytester,
) -> None:
    result = tdd.runpytest("--help")
    text = " ".join(result.stdout.str().split())
    assert "--tdd-state-file=PATH The evidence file, relative to the current directory" in text
    assert "Without a phase nothing is recorded" not in text


def test_a_state_file_that_does_not_exist_says_which_file_the_run_reads(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-adopt")
    result = tdd.runpytest("--tdd-phase=green", "--tdd-state-file=other.jsonl")
    result.stdout.fnmatch_lines(
        [
            "tdd: phase green, evidence in other.jsonl (no such file yet; "
            f"{EVIDENCE} holds the evidence of 1 test)"
        ]
    )


def test_collect_only_writes_the_json_report(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 1\n")
    result = tdd.runpytest("--collect-only", "--tdd-json=c.json")
    assert result.ret == OK
    assert (tdd.path / "c.json").is_file()
    report = json_of(tdd, "c.json")
    assert report["tests"]["test_x.py::test_x"]["outcome"] == "not-run"


def test_the_adopt_header_does_not_count_tests_before_they_ran(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 1\n")
    result = tdd.runpytest("--tdd-adopt")
    result.stdout.fnmatch_lines(
        ["tdd: adopting passing tests as legacy evidence in tdd-evidence.jsonl (a new file)"]
    )


UNIMPORTABLE = """
import calc
from calc import export

class TestToCsv:
    def test_header_row(self):
        assert export.to_csv([]) == "a,b"

    def test_rows(self):
        assert export.to_csv([(1, 2)]) == "a,b\\n1,2"
"""


def test_red_by_node_id_in_a_module_that_cannot_be_imported_records_that_test(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY)
    tdd.mkdir("tests")
    tdd.makepyfile(**{"tests/test_export": UNIMPORTABLE})
    result = tdd.runpytest(
        "--tdd-phase=red", "-o", "pythonpath=.", "tests/test_export.py::TestToCsv::test_header_row"
    )
    assert result.ret == OK
    assert statuses(tdd) == {"tests/test_export.py::TestToCsv::test_header_row": "red"}


def test_red_by_node_id_in_an_unimportable_module_needs_a_real_test_id(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_export=UNIMPORTABLE)
    result = tdd.runpytest("--tdd-phase=red", "test_export.py::TestToCsv::test_nothing")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*no test test_export.py::TestToCsv::test_nothing in a module that cannot be "
            "imported; its source has TestToCsv::test_header_row, TestToCsv::test_rows"
        ]
    )


def test_red_by_node_id_in_an_unimportable_module_under_xdist(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_export=UNIMPORTABLE)
    result = tdd.runpytest("--tdd-phase=red", "-n", "2", "test_export.py::TestToCsv::test_rows")
    assert result.ret == OK
    assert statuses(tdd) == {"test_export.py::TestToCsv::test_rows": "red"}


def test_a_red_record_names_project_files_relative_to_the_rootdir(tdd: pytest.Pytester) -> None:
    tdd.mkdir("pkg")
    tdd.makepyfile(**{"pkg/__init__": "", "test_pkg": "def test_x():\n    from pkg import x\n"})
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == OK
    (record,) = ledger(tdd)["test_pkg.py::test_x"]
    assert record.message is not None
    assert str(tdd.path) not in record.message
    assert "(pkg/__init__.py)" in record.message


def test_adopt_names_each_new_test_it_adopts_once_the_project_has_evidence(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-adopt")
    tdd.makepyfile(test_more="import calc\n\ndef test_more():\n    assert calc.add(2, 2) == 4\n")
    result = tdd.runpytest("--tdd-adopt")
    result.stdout.fnmatch_lines(
        ["tdd: adopted test_more.py::test_more: it had no evidence and was never seen failing"]
    )


def test_a_changed_legacy_test_in_green_is_told_it_changed_since_it_was_adopted(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-adopt")
    tdd.makepyfile(test_calc="import calc\n\ndef test_add():\n    assert calc.add(2, 2) == 4\n")
    result = tdd.runpytest("--tdd-phase=green")
    result.stdout.fnmatch_lines(
        ["MODIFIED-AFTER-RED test_calc.py::test_add: changed since it was adopted (legacy)"]
    )


def test_a_strict_xfail_that_passes_in_red_is_named_as_such(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        test_x="import pytest\n\n@pytest.mark.xfail(strict=True)\ndef test_x():\n    assert 1\n"
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["WRONG-REASON test_x.py::test_x: *a strict xfail that passed*"])


PARSER_CASE = """
import unittest
import parser


class ParserCase(unittest.TestCase):
    @parser.tokenized
    def test_parses_a_number(self):
        self.assertEqual(parser.parse("1"), 1)
"""


def test_a_unittest_case_named_freely_in_a_module_that_cannot_import_is_recorded_red(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(parser="def parse(text):\n    return None\n", test_parser=PARSER_CASE)
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == OK
    result.stdout.fnmatch_lines(["tdd: red holds: 1 new test * (missing-api 1)"])
    assert statuses(tdd) == {"test_parser.py::ParserCase::test_parses_a_number": "red"}


RACING = """
from pytest_tdd import evidence


def test_meanwhile_another_run_records_a_new_test_of_this_file():
    with open(__file__, "a", encoding="utf-8") as module:
        module.write("\\n\\ndef test_written_meanwhile():\\n    assert 0\\n")
    record = evidence.Record("test_race.py::test_written_meanwhile", "red", "f" * 16)
    evidence.update(
        evidence.Path("tdd-evidence.jsonl"), evidence.Changes(put={record.nodeid: record})
    )
"""


def test_a_record_added_meanwhile_for_a_test_written_after_collection_is_kept(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(test_race=RACING)
    tdd.runpytest("--tdd-adopt")
    assert "test_race.py::test_written_meanwhile" in ledger(tdd)


def test_tdd_exempt_applies_from_a_module_a_class_and_a_parameter_set(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(
        test_module="import pytest\n\npytestmark = pytest.mark.tdd_exempt('generated')\n\n"
        "def test_m():\n    assert 1\n",
        test_class="import pytest\n\n@pytest.mark.tdd_exempt('smoke')\nclass TestC:\n"
        "    def test_c(self):\n        assert 1\n",
        test_param="import pytest\n\n@pytest.mark.parametrize('v', [1, pytest.param(2, "
        "marks=pytest.mark.tdd_exempt('flaky service'))])\ndef test_p(v):\n    assert v\n",
    )
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == FAILED  # test_p[1] alone is judged: never red
    result.stdout.fnmatch_lines(["tdd: green fails: 1 violation (never-red 1)"])
    assert "NEVER-RED test_param.py::test_p[1]" in result.stdout.str()


def test_a_red_run_of_a_project_that_is_not_importable_records_nothing(
    tdd: pytest.Pytester,
) -> None:
    tdd.mkdir("src")
    (tdd.path / "src" / "calc.py").write_text(CALC_ADD)
    tdd.mkdir("tests")
    (tdd.path / "tests" / "test_calc.py").write_text(TEST_ADD)
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        ["WRONG-REASON tests/test_calc.py::test_add: *'calc' is in the project (src/calc.py)*"]
    )
    assert ledger(tdd) == {}
