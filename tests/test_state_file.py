"""The evidence file as the user sees it: bad files stop the run and are never overwritten;
good files are deterministic, and two branches' files merge."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from helpers import CALC_ADD, CALC_EMPTY, EVIDENCE, TEST_ADD, ledger, statuses

OK = pytest.ExitCode.OK

BAD_FILES = {
    "not-json": ("garbage\n", "line 1: not valid JSON"),
    "truncated": (
        '{"pytest-tdd-evidence": 1}\n{"id": "test_x.py::test_x", "status": "gr',
        "line 2: not valid JSON",
    ),
    "newer-version": ('{"pytest-tdd-evidence": 7}\n', "format version 7 is not supported"),
    "conflict": (
        '{"pytest-tdd-evidence": 1}\n<<<<<<< HEAD\n=======\n>>>>>>> other\n',
        "line 2: an unresolved merge conflict",
    ),
    "wrong-type": (
        '{"pytest-tdd-evidence": 1}\n{"id": "t", "status": "green", "fp": 12}\n',
        "line 2: 'fp' must be a string",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
@pytest.mark.parametrize("phase", ["red", "green"])
def test_an_unreadable_evidence_file_stops_the_run_and_is_left_as_it_was(
    tdd: pytest.Pytester, name: str, phase: str
) -> None:
    text, problem = BAD_FILES[name]
    path = tdd.path / EVIDENCE
    path.write_text(text)
    tdd.makepyfile(test_x="def test_x():\n    assert 0\n")
    result = tdd.runpytest(f"--tdd-phase={phase}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: evidence file *{EVIDENCE}: {problem}*", "The file was left as it is*"]
    )
    assert path.read_text() == text


def test_an_evidence_file_that_is_not_utf8_is_left_as_it_was(tdd: pytest.Pytester) -> None:
    path = tdd.path / EVIDENCE
    path.write_bytes(b'{"pytest-tdd-evidence": 1}\n\xff\n')
    tdd.makepyfile(test_x="def test_x():\n    assert 0\n")
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: evidence file *: not UTF-8 text*"])
    assert path.read_bytes() == b'{"pytest-tdd-evidence": 1}\n\xff\n'


def test_a_file_corrupted_during_the_run_is_not_overwritten(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        conftest=f"""
        import pathlib

        def pytest_runtest_call(item):
            pathlib.Path({str(tdd.path / EVIDENCE)!r}).write_text("half a file")
        """,
        test_x="def test_x():\n    assert 0\n",
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["tdd: ERROR evidence file *: line 1: not valid JSON*their evidence was not saved"]
    )
    assert (tdd.path / EVIDENCE).read_text() == "half a file"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_an_evidence_file_that_cannot_be_written_still_runs_and_reports(
    tdd: pytest.Pytester,
) -> None:
    # /proc takes no new files, whoever runs the test (root included).
    tdd.makeini("[pytest]\ntdd_state_file = /proc/tdd-evidence.jsonl\n")
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "tdd: red holds*",
            "tdd: ERROR evidence file /proc/tdd-evidence.jsonl: cannot write it (*); the tests"
            " ran, but their evidence was not saved",
        ]
    )


@pytest.mark.tdd_exempt("skipped where the suite runs as root, so never seen red there")
@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="needs a user that permissions bind"
)
def test_a_read_only_evidence_folder_still_runs_and_reports(tdd: pytest.Pytester) -> None:
    folder = tdd.mkdir("ro")
    tdd.makeini("[pytest]\ntdd_state_file = ro/tdd-evidence.jsonl\n")
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    folder.chmod(0o500)
    try:
        result = tdd.runpytest("--tdd-phase=red")
    finally:
        folder.chmod(0o700)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["tdd: ERROR evidence file *ro/tdd-evidence.jsonl: cannot write*"])


def test_the_file_is_the_same_whatever_order_the_tests_ran_in(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        test_b="def test_z():\n    assert 0\n\ndef test_a():\n    assert 0\n",
        test_a="def test_m():\n    assert 0\n",
    )
    tdd.runpytest("--tdd-phase=red")
    first = (tdd.path / EVIDENCE).read_bytes()
    (tdd.path / EVIDENCE).unlink()
    tdd.runpytest("--tdd-phase=red", "test_b.py", "test_a.py")
    assert (tdd.path / EVIDENCE).read_bytes() == first
    lines = first.decode().splitlines()
    assert lines[1:] == sorted(lines[1:])
    assert first.endswith(b"\n")


GIT = shutil.which("git")


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_two_branches_that_add_different_tests_merge_with_a_union_merge(
    tdd: pytest.Pytester,
) -> None:
    assert GIT is not None

    def git(*args: str) -> None:
        result = tdd.run(GIT, "-c", "user.name=t", "-c", "user.email=t@t", *args)
        assert result.ret == 0, result.stderr.str()

    git("init", "-q", "-b", "main", ".")
    (tdd.path / ".gitattributes").write_text(f"{EVIDENCE} merge=union\n")
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-phase=red")
    tdd.makepyfile(calc=CALC_ADD)
    tdd.runpytest("--tdd-phase=green")
    git("add", "-A")
    git("commit", "-q", "-m", "add")
    git("checkout", "-q", "-b", "mul")
    tdd.makepyfile(test_mul="import calc\n\ndef test_mul():\n    assert calc.mul(2, 3) == 6\n")
    tdd.runpytest("--tdd-phase=red", "test_mul.py")
    git("add", "-A")
    git("commit", "-q", "-m", "mul")
    git("checkout", "-q", "main")
    tdd.makepyfile(test_sub="import calc\n\ndef test_sub():\n    assert calc.sub(3, 2) == 1\n")
    tdd.runpytest("--tdd-phase=red", "test_sub.py")
    git("add", "-A")
    git("commit", "-q", "-m", "sub")
    git("merge", "-q", "--no-edit", "mul")
    assert statuses(tdd) == {
        "test_calc.py::test_add": "green",
        "test_mul.py::test_mul": "red",
        "test_sub.py::test_sub": "red",
    }
    tdd.makepyfile(
        calc=CALC_ADD
        + "\n\ndef mul(a, b):\n    return a * b\n\n\ndef sub(a, b):\n    return a - b\n"
    )
    assert tdd.runpytest("--tdd-phase=green").ret == OK


def test_a_lock_held_too_long_by_another_run_is_a_clear_error(tdd: pytest.Pytester) -> None:
    from pytest_tdd import evidence

    tdd.makeini("[pytest]\ntdd_lock_timeout = 0.2\n")
    tdd.makepyfile(test_x="def test_x():\n    assert 0\n")
    with evidence.locked(tdd.path / EVIDENCE):
        result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["tdd: ERROR evidence file *: another pytest run has held its lock for 0.2 s*"]
    )
    assert not (tdd.path / EVIDENCE).exists()


def test_evidence_recorded_under_another_rootdir_stops_the_run_and_is_left_as_it_was(
    tdd: pytest.Pytester,
) -> None:
    # Its ids are relative to the rootdir it was recorded with: under this one every test
    # file it names looks deleted, and their records would be dropped.
    tests = tdd.mkdir("tests")
    (tests / "test_one.py").write_text("def test_one():\n    assert 1\n")
    (tests / "test_two.py").write_text("def test_two():\n    assert 2\n")
    assert tdd.runpytest("--tdd-adopt").ret == OK
    before = (tdd.path / EVIDENCE).read_bytes()
    result = tdd.runpytest(
        "--tdd-phase=red", "--rootdir=tests", f"--tdd-state-file={EVIDENCE}", "tests/test_two.py"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: tdd: none of the test files named in {EVIDENCE} is under the rootdir tests;"
            " they are under .: *--rootdir=.*"
        ]
    )
    assert (tdd.path / EVIDENCE).read_bytes() == before


def test_evidence_in_the_rootdir_is_judged_there_though_a_parent_folder_has_its_files(
    tdd: pytest.Pytester,
) -> None:
    # A project inside a larger repository; its only test file was replaced, and the
    # repository's own tests/test_one.py is no sign that the ids are the parent's
    (tdd.mkdir("tests") / "test_one.py").write_text("def test_outer():\n    assert 1\n")
    project = tdd.mkdir("project")
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "tests").mkdir()
    (project / "tests" / "test_one.py").write_text("def test_one():\n    assert 1\n")
    os.chdir(project)
    assert tdd.runpytest("--tdd-adopt").ret == OK
    (project / "tests" / "test_one.py").unlink()
    (project / "tests" / "test_two.py").write_text("def test_two():\n    assert 0\n")
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    assert ledger(tdd, "project/" + EVIDENCE).keys() == {"tests/test_two.py::test_two"}


def test_an_evidence_file_in_a_folder_not_made_yet_is_written_there(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 0\n")
    assert tdd.runpytest("--tdd-phase=red", "--tdd-state-file=evidence/tdd.jsonl").ret == OK
    assert ledger(tdd, "evidence/tdd.jsonl").keys() == {"test_x.py::test_x"}


def test_an_empty_evidence_file_is_named_as_such_in_the_header(tdd: pytest.Pytester) -> None:
    # Emptied by a tool or by hand: it reads as no evidence, and the header says why
    tdd.makepyfile(test_x="def test_x():\n    assert 0\n")
    (tdd.path / EVIDENCE).write_text("")
    result = tdd.runpytest("--tdd-phase=red")
    result.stdout.fnmatch_lines(
        [f"tdd: phase red, evidence in {EVIDENCE} (an empty file: no evidence yet)"]
    )
