"""pytest-xdist: the same verdicts and evidence as a serial run; only the controller writes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpers import EVIDENCE

pytest.importorskip("xdist")

MIXED = {
    "calc": """
    def add(a, b):
        return 0

    def lookup():
        return {}["missing"]
    """,
    "test_red": """
    import pytest, calc

    def test_assertion():
        assert calc.add(1, 2) == 3

    def test_missing_api():
        assert calc.mul(2, 3) == 6

    def test_error_in_project():
        assert calc.lookup() == 1

    def test_typo():
        assert calc.add(1, 2) == undefined

    def test_passes():
        assert calc.add(0, 0) == 0

    @pytest.mark.parametrize("a", [0, 2, 3])
    def test_cases(a):
        assert calc.add(a, 0) == a

    @pytest.mark.tdd_exempt("generated")
    def test_exempt():
        assert 1
    """,
    "test_unimportable": """
    from calculator import add

    def test_add():
        assert add(1, 2) == 3
    """,
}


def run(tdd: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, str, dict[str, Any]]:
    result = tdd.runpytest(*args, "--tdd-json=report.json")
    report = json.loads((tdd.path / "report.json").read_text())
    text = (tdd.path / EVIDENCE).read_text() if (tdd.path / EVIDENCE).exists() else ""
    return result, text, report


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    return {key: report[key] for key in ("phase", "ok", "tests", "violations", "summary")}


@pytest.mark.parametrize("phase", ["red", "green"])
def test_two_workers_give_the_same_verdicts_and_evidence_as_a_serial_run(
    tdd: pytest.Pytester, phase: str
) -> None:
    tdd.makepyfile(**MIXED)
    if phase == "green":
        tdd.runpytest("--tdd-phase=red")
        tdd.makepyfile(
            calc="def add(a, b):\n    return a + b\n\ndef mul(a, b):\n    return a * b\n\n"
            "def lookup():\n    return 1\n",
            calculator="def add(a, b):\n    return a + b\n",
        )
    start = (tdd.path / EVIDENCE).read_text() if phase == "green" else None
    serial, serial_text, serial_report = run(tdd, f"--tdd-phase={phase}")
    if start is None:
        (tdd.path / EVIDENCE).unlink()
    else:
        (tdd.path / EVIDENCE).write_text(start)
    parallel, parallel_text, parallel_report = run(tdd, f"--tdd-phase={phase}", "-n", "2")
    assert parallel.ret == serial.ret
    assert parallel_text == serial_text
    assert comparable(parallel_report) == comparable(serial_report)
    assert serial_report["summary"]  # the comparison is not vacuous


def test_red_under_xdist_records_each_kind(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(**MIXED)
    result, _, report = run(tdd, "--tdd-phase=red", "-n", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    kinds = {
        nodeid: entry["red"]["kind"]
        for nodeid, entry in report["tests"].items()
        if entry["verdict"] == "recorded-red"
    }
    assert kinds == {
        "test_red.py::test_assertion": "assertion",
        "test_red.py::test_missing_api": "missing-api",
        "test_red.py::test_error_in_project": "error",
        "test_red.py::test_cases[2]": "assertion",
        "test_red.py::test_cases[3]": "assertion",
        "test_unimportable.py::test_add": "missing-api",
    }
    assert {v["kind"] for v in report["violations"]} == {"wrong-reason", "passed-in-red"}


def test_a_worker_never_writes_the_evidence_file(tdd: pytest.Pytester) -> None:
    tdd.makeconftest(
        """
        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_configure(config):
            config.workerinput = {"workerid": "gw0"}
            config.workeroutput = {}
        """
    )
    tdd.makepyfile(test_x="def test_x():\n    assert 0\n")
    tdd.runpytest("--tdd-phase=red")
    assert not (tdd.path / EVIDENCE).exists()


def test_a_helper_weakened_after_red_is_caught_in_the_workers(tdd: pytest.Pytester) -> None:
    """Workers read the evidence themselves to know which tests need their deps."""
    test = (
        "import calc\n\ndef check(got):\n    assert got == 3\n\n"
        "def test_add():\n    check(calc.add(1, 2))\n"
    )
    tdd.makepyfile(calc="def other():\n    return 0\n", test_calc=test)
    assert tdd.runpytest("--tdd-phase=red", "-n", "2").ret == pytest.ExitCode.OK
    tdd.makepyfile(
        calc="def add(a, b):\n    return a + b\n",
        test_calc=test.replace("got == 3", "got is not None"),
    )
    result = tdd.runpytest("--tdd-phase=green", "-n", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["MODIFIED-AFTER-RED test_calc.py::test_add: a helper or *"])
