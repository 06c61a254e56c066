"""Fingerprint scheme 2 through the real plugin, and the one-command upgrade of evidence
files written with scheme 1 (format version 1)."""

from __future__ import annotations

import json
import textwrap

import pytest

from pytest_tdd import identity

from helpers import CALC_ADD, CALC_EMPTY, EVIDENCE, ledger, statuses

OK = pytest.ExitCode.OK

TEST_TYPED = """
from typing import Dict
import calc


def test_add():
    totals: Dict[str, int] = {"sum": calc.add(1, 2)}
    assert totals["sum"] == 3
"""


def version_1_file(source: str, nodeids: dict[str, int], status: str = "legacy") -> str:
    """An evidence file as pytest-tdd wrote it before scheme 2: ``nodeids`` maps a test
    id to the line of its ``def`` in ``source``."""
    index = identity.index_source(textwrap.dedent(source), scheme=1)
    lines = ['{"pytest-tdd-evidence": 1}']
    for nodeid, line in sorted(nodeids.items()):
        lines.append(json.dumps({"id": nodeid, "status": status, "fp": index.at_line(line)}))
    return "\n".join(lines) + "\n"


def test_changing_a_typing_alias_in_an_annotation_keeps_the_evidence(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_TYPED)
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_TYPED.replace("Dict[str, int]", "dict[str, int]"))
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == OK
    assert statuses(tdd) == {"test_calc.py::test_add": "green"}


def test_renaming_a_local_variable_keeps_the_evidence(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_TYPED)
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_TYPED.replace("totals", "result"))
    assert tdd.runpytest("--tdd-phase=green").ret == OK


def test_a_version_1_file_stops_a_phase_run_and_names_the_upgrade(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_TYPED)
    text = version_1_file(TEST_TYPED, {"test_calc.py::test_add": 6})
    (tdd.path / EVIDENCE).write_text(text, "utf-8")
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*format version 1*pytest --tdd-upgrade*"])
    assert (tdd.path / EVIDENCE).read_text("utf-8") == text


def test_upgrade_rebinds_each_record_to_its_tests_current_code(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_TYPED)
    (tdd.path / EVIDENCE).write_text(
        version_1_file(TEST_TYPED, {"test_calc.py::test_add": 6}), "utf-8"
    )
    result = tdd.runpytest("--tdd-upgrade")
    assert result.ret == OK
    result.stdout.fnmatch_lines(["tdd: upgraded * to format version 2: 1 record re-bound*"])
    assert statuses(tdd) == {"test_calc.py::test_add": "legacy"}
    assert tdd.runpytest("--tdd-phase=green").ret == OK


def test_upgrade_runs_no_test(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_TYPED)
    (tdd.path / EVIDENCE).write_text(
        version_1_file(TEST_TYPED, {"test_calc.py::test_add": 6}), "utf-8"
    )
    result = tdd.runpytest("--tdd-upgrade")
    assert result.ret == OK
    outcomes = result.parseoutcomes()
    assert "passed" not in outcomes
    assert "failed" not in outcomes


def test_upgrade_keeps_records_it_cannot_match_and_names_them(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_TYPED)
    text = version_1_file(TEST_TYPED, {"test_calc.py::test_add": 6})
    text += json.dumps({"id": "test_gone.py::test_x", "status": "green", "fp": "0" * 16}) + "\n"
    (tdd.path / EVIDENCE).write_text(text, "utf-8")
    result = tdd.runpytest("--tdd-upgrade")
    assert result.ret == OK
    result.stdout.fnmatch_lines(
        ["tdd: kept as it was (no collected test has its code): test_gone.py::test_x"]
    )
    assert set(ledger(tdd)) == {"test_calc.py::test_add", "test_gone.py::test_x"}


def test_upgrading_a_current_file_changes_nothing(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_TYPED)
    tdd.runpytest("--tdd-adopt")
    before = (tdd.path / EVIDENCE).read_bytes()
    result = tdd.runpytest("--tdd-upgrade")
    assert result.ret == OK
    result.stdout.fnmatch_lines(["tdd: * is already at format version 2: nothing to upgrade"])
    assert (tdd.path / EVIDENCE).read_bytes() == before
