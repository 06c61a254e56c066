"""Tests that a run does not select keep their evidence; tests that are gone are pruned."""

from __future__ import annotations

import pytest

from helpers import statuses

TWO_TESTS = (
    "import impl\n\ndef test_a():\n    assert impl.a()\n\ndef test_b():\n    assert impl.b()\n"
)
OK = pytest.ExitCode.OK


def implement(tdd: pytest.Pytester, a: bool, b: bool) -> None:
    tdd.makepyfile(impl=f"def a():\n    return {a}\n\ndef b():\n    return {b}\n")


def red_two_files(tdd: pytest.Pytester) -> None:
    implement(tdd, False, False)
    tdd.makepyfile(test_one=TWO_TESTS, test_two=TWO_TESTS)
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    assert len(statuses(tdd)) == 4


def test_tests_deselected_with_k_keep_their_evidence(tdd: pytest.Pytester) -> None:
    red_two_files(tdd)
    implement(tdd, True, False)
    assert tdd.runpytest("--tdd-phase=green", "-k", "test_a and one").ret == OK
    assert statuses(tdd) == {
        "test_one.py::test_a": "green",
        "test_one.py::test_b": "red",
        "test_two.py::test_a": "red",
        "test_two.py::test_b": "red",
    }


def test_tests_outside_the_selected_node_ids_keep_their_evidence(tdd: pytest.Pytester) -> None:
    red_two_files(tdd)
    implement(tdd, True, False)
    assert tdd.runpytest("--tdd-phase=green", "test_one.py::test_a").ret == OK
    assert statuses(tdd)["test_one.py::test_b"] == "red"
    assert len(statuses(tdd)) == 4


def test_tests_of_files_not_selected_keep_their_evidence(tdd: pytest.Pytester) -> None:
    red_two_files(tdd)
    implement(tdd, True, True)
    assert tdd.runpytest("--tdd-phase=green", "test_one.py").ret == OK
    assert statuses(tdd)["test_two.py::test_a"] == "red"


def test_last_failed_keeps_the_evidence_of_the_others(tdd: pytest.Pytester) -> None:
    red_two_files(tdd)
    implement(tdd, True, True)
    tdd.runpytest("--tdd-phase=green", "test_one.py")
    assert tdd.runpytest("--tdd-phase=green", "--lf").ret == OK
    assert set(statuses(tdd).values()) == {"green"}
    assert len(statuses(tdd)) == 4


def test_a_deleted_test_is_pruned_after_its_file_was_collected_in_full(
    tdd: pytest.Pytester,
) -> None:
    red_two_files(tdd)
    tdd.makepyfile(test_one="import impl\n\ndef test_a():\n    assert impl.a()\n")
    result = tdd.runpytest("--tdd-phase=red", "test_one.py", "test_two.py::test_a")
    assert sorted(statuses(tdd)) == [
        "test_one.py::test_a",
        "test_two.py::test_a",
        "test_two.py::test_b",
    ]
    assert result.ret == OK  # the tests still red keep their evidence: red holds


def test_a_deleted_test_is_kept_while_its_file_was_only_partly_selected(
    tdd: pytest.Pytester,
) -> None:
    red_two_files(tdd)
    tdd.makepyfile(
        test_one="import impl\n\ndef test_a():\n    assert impl.a()\n\n"
        "def test_c():\n    assert impl.b()\n"
    )
    tdd.runpytest("--tdd-phase=red", "-k", "test_a")
    assert "test_one.py::test_b" in statuses(tdd)


def test_the_tests_of_a_deleted_file_are_pruned(tdd: pytest.Pytester) -> None:
    red_two_files(tdd)
    (tdd.path / "test_two.py").unlink()
    tdd.runpytest("--tdd-phase=red", "test_one.py")
    assert sorted(statuses(tdd)) == ["test_one.py::test_a", "test_one.py::test_b"]


def test_a_renamed_test_leaves_no_record_behind_once_its_file_is_collected_in_full(
    tdd: pytest.Pytester,
) -> None:
    red_two_files(tdd)
    tdd.makepyfile(
        test_one="import impl\n\ndef test_a():\n    assert impl.a()\n\n"
        "def test_renamed():\n    assert impl.b()\n"
    )
    tdd.runpytest("--tdd-phase=red")
    assert sorted(statuses(tdd)) == [
        "test_one.py::test_a",
        "test_one.py::test_renamed",
        "test_two.py::test_a",
        "test_two.py::test_b",
    ]


def test_the_run_names_the_tests_whose_evidence_it_drops_because_they_are_gone(
    tdd: pytest.Pytester,
) -> None:
    red_two_files(tdd)
    implement(tdd, True, True)
    (tdd.path / "test_two.py").unlink()
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == OK
    result.stdout.fnmatch_lines(
        [
            "tdd: dropped the evidence of 2 tests that no longer exist:"
            " test_two.py::test_a, test_two.py::test_b",
            "tdd: green holds: 2 tests turned green, 0 tests kept their evidence",
        ]
    )


def test_a_renamed_test_is_not_named_among_the_tests_that_are_gone(
    tdd: pytest.Pytester,
) -> None:
    red_two_files(tdd)
    implement(tdd, True, True)
    (tdd.path / "test_two.py").unlink()
    tdd.makepyfile(
        test_one="import impl\n\ndef test_a():\n    assert impl.a()\n\n"
        "def test_renamed():\n    assert impl.b()\n"
    )
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == OK
    result.stdout.fnmatch_lines(
        [
            "tdd: dropped the evidence of 2 tests that no longer exist:"
            " test_two.py::test_a, test_two.py::test_b"
        ]
    )
    assert "test_one.py::test_renamed" in statuses(tdd)


SHIFTED = """
import pytest

@pytest.mark.parametrize("n", [{cases}])
def test_square(n):
    assert n[0] ** 2 == n[1]
"""


def test_cases_whose_ids_shifted_keep_their_evidence_in_a_run_of_some_of_them(
    tdd: pytest.Pytester,
) -> None:
    # A case inserted first: n0 is new, and the old n0 and n1 are n1 and n2 now
    tdd.makepyfile(test_sq=SHIFTED.format(cases="(2, 4), (3, 9)"))
    assert tdd.runpytest("--tdd-adopt").ret == pytest.ExitCode.OK
    tdd.makepyfile(test_sq=SHIFTED.format(cases="(1, 1), (2, 4), (3, 9)"))
    result = tdd.runpytest("--tdd-phase=green", "-k", "n1 or n2")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["tdd: green holds: 2 tests kept their evidence"])
