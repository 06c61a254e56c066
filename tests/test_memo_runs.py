"""The evidence file's file lines: a fresh checkout need not fingerprint unchanged files."""

from __future__ import annotations

import pytest

from pytest_tdd import evidence, identity

from helpers import EVIDENCE, TEST_ADD, reach_green, red_then_implement

OK = pytest.ExitCode.OK
FAILED = pytest.ExitCode.TESTS_FAILED


def file_lines(tdd: pytest.Pytester) -> evidence.Files:
    return evidence.load_with_files(tdd.path / EVIDENCE)[1]


def test_a_run_writes_a_file_line_for_each_test_file_it_collected_in_full(
    tdd: pytest.Pytester,
) -> None:
    reach_green(tdd)
    tdd.makepyfile(test_other="def test_one():\n    assert 1\n")
    tdd.runpytest("--tdd-adopt")
    assert sorted(file_lines(tdd)) == ["test_calc.py", "test_other.py"]
    tdd.makepyfile(test_other="def test_one():\n    assert 1\n\n\ndef test_two():\n    pass\n")
    tdd.runpytest("--tdd-phase=green", "-k", "test_add or test_one")
    assert sorted(file_lines(tdd)) == ["test_calc.py", "test_other.py"]


def test_a_fresh_checkout_takes_the_fingerprints_of_an_unchanged_file_from_the_evidence(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    reach_green(tdd)
    parsed: list[object] = []
    real = identity.index_tree

    def counted(tree: object, **kwargs: object) -> identity.SourceIndex:
        parsed.append(tree)
        return real(tree, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(identity, "index_tree", counted)
    result = tdd.inline_run("--tdd-phase=green", "-p", "no:cacheprovider")
    assert result.ret == OK
    assert parsed == []


def test_a_test_weakened_after_red_is_caught_though_its_file_had_a_file_line(
    tdd: pytest.Pytester,
) -> None:
    red_then_implement(tdd)
    assert list(file_lines(tdd)) == ["test_calc.py"]
    tdd.makepyfile(test_calc=TEST_ADD.replace("== 3", "is not None"))
    result = tdd.runpytest("--tdd-phase=green", "-p", "no:cacheprovider")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["MODIFIED-AFTER-RED test_calc.py::test_add: changed *"])


def test_a_new_test_in_a_file_with_a_file_line_is_never_red(tdd: pytest.Pytester) -> None:
    reach_green(tdd)
    assert list(file_lines(tdd)) == ["test_calc.py"]
    tdd.makepyfile(test_calc=TEST_ADD + "\n\ndef test_more():\n    assert calc.add(2, 2) == 4\n")
    result = tdd.runpytest("--tdd-phase=green", "-p", "no:cacheprovider")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["NEVER-RED test_calc.py::test_more: never seen failing"])


def test_the_file_line_of_a_deleted_test_file_goes(tdd: pytest.Pytester) -> None:
    reach_green(tdd)
    tdd.makepyfile(test_other="def test_one():\n    assert 1\n")
    tdd.runpytest("--tdd-adopt")
    (tdd.path / "test_other.py").unlink()
    tdd.runpytest("--tdd-phase=green")
    assert list(file_lines(tdd)) == ["test_calc.py"]


def test_workers_send_what_the_file_lines_need(tdd: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    red_then_implement(tdd)
    tdd.makepyfile(test_other="def test_one():\n    assert 1\n")
    (tdd.path / EVIDENCE).unlink()
    tdd.runpytest("--tdd-adopt", "-n", "2")
    assert sorted(file_lines(tdd)) == ["test_calc.py", "test_other.py"]


def test_a_run_that_changes_no_record_leaves_the_evidence_file_as_it_is(
    tdd: pytest.Pytester,
) -> None:
    """A test file edited without a record to change (a refactor, a comment) does not make
    the gate rewrite the evidence: a pre-commit hook that modifies files fails."""
    reach_green(tdd)
    before = (tdd.path / EVIDENCE).read_bytes()
    tdd.makepyfile(test_calc="# checks calc.add\n" + TEST_ADD)
    assert tdd.runpytest("--tdd-phase=refactor").ret == OK
    assert (tdd.path / EVIDENCE).read_bytes() == before
