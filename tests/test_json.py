"""The machine-readable report of a run (--tdd-json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import CALC_EMPTY, TEST_ADD


def report_of(tdd: pytest.Pytester, *args: str) -> dict[str, Any]:
    tdd.runpytest(*args, "--tdd-json=out/report.json")
    data: dict[str, Any] = json.loads((tdd.path / "out" / "report.json").read_text("utf-8"))
    return data


def test_the_report_of_a_red_run_lists_each_test_and_its_red_evidence(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    report = report_of(tdd, "--tdd-phase=red")
    assert report["phase"] == "red"
    assert report["ok"] is True
    assert report["violations"] == []
    entry = report["tests"]["test_calc.py::test_add"]
    assert entry["verdict"] == "recorded-red"
    assert entry["outcome"] == "failed"
    assert entry["red"]["kind"] == "missing-api"
    assert entry["red"]["exception"] == "AttributeError"
    assert entry["failure"]["cause"]
    assert len(entry["fingerprint"]) == 16
    assert report["summary"] == {"recorded-red": 1}


def test_violations_carry_the_test_id_kind_and_message(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 1\n")
    report = report_of(tdd, "--tdd-phase=green")
    assert report["ok"] is False
    assert report["violations"] == [
        {"nodeid": "test_x.py::test_x", "kind": "never-red", "message": "never seen failing"}
    ]
    assert report["tests"]["test_x.py::test_x"]["verdict"] == "never-red"


def test_a_violation_that_concerns_no_single_test_has_a_null_id(tdd: pytest.Pytester) -> None:
    report = report_of(tdd, "--tdd-phase=red")
    assert report["violations"] == [
        {
            "nodeid": None,
            "kind": "nothing-to-prove",
            "message": "the red run executed no test without green or legacy evidence",
        }
    ]


def test_the_report_is_written_without_a_phase_and_judges_nothing(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_ok():\n    assert 1\n\ndef test_bad():\n    assert 0\n")
    report = report_of(tdd)
    assert report["phase"] is None
    assert report["ok"] is False  # a test failed: the run exits 1
    assert report["tests"] == {
        "test_x.py::test_ok": {"verdict": "passed", "outcome": "passed"},
        "test_x.py::test_bad": {"verdict": "failed", "outcome": "failed"},
    }
    assert not (tdd.path / "tdd-evidence.jsonl").exists()


def test_an_exempt_test_shows_its_reason(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        test_x="import pytest\n\n@pytest.mark.tdd_exempt('smoke')\ndef test_x():\n    assert 1\n"
    )
    entry = report_of(tdd, "--tdd-phase=green")["tests"]["test_x.py::test_x"]
    assert (entry["verdict"], entry["exempt"]) == ("exempt", "smoke")


def test_a_report_that_cannot_be_written_fails_the_run_and_says_why(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 1\n")
    result = tdd.runpytest("--tdd-json=test_x.py/report.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["tdd: ERROR cannot write the JSON report *test_x.py/report.json*"])


def test_the_report_folder_is_created(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 1\n")
    assert tdd.runpytest("--tdd-json=new/folder/report.json").ret == pytest.ExitCode.OK
    assert Path(tdd.path / "new" / "folder" / "report.json").is_file()
