"""A test's evidence follows its code: renames, moves, parametrize cases, other test kinds."""

from __future__ import annotations

import pytest

from helpers import CALC_ADD, CALC_EMPTY, TEST_ADD, ledger, red_then_implement, statuses

OK = pytest.ExitCode.OK
FAILED = pytest.ExitCode.TESTS_FAILED


def test_a_renamed_test_keeps_its_evidence(tdd: pytest.Pytester) -> None:
    red_then_implement(tdd)
    tdd.makepyfile(
        test_calc="import calc\n\ndef test_addition():\n    assert calc.add(1, 2) == 3\n"
    )
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == OK
    assert statuses(tdd) == {"test_calc.py::test_addition": "green"}


def test_a_test_moved_to_another_file_and_class_keeps_its_evidence(tdd: pytest.Pytester) -> None:
    red_then_implement(tdd)
    (tdd.path / "test_calc.py").unlink()
    tdd.makepyfile(
        test_arithmetic="""
        import calc

        class TestAdd:
            def test_add(self):
                assert calc.add(1, 2) == 3
        """
    )
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == OK
    assert statuses(tdd) == {"test_arithmetic.py::TestAdd::test_add": "green"}


def test_a_copy_of_a_test_that_still_exists_is_new(tdd: pytest.Pytester) -> None:
    red_then_implement(tdd)
    tdd.makepyfile(test_copy="import calc\n\ndef test_add():\n    assert calc.add(1, 2) == 3\n")
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["NEVER-RED test_copy.py::test_add: never seen failing"])


PARAM_RED = """
import pytest, calc

@pytest.mark.parametrize("a, b, total", [(1, 2, 3), (0, 0, 0)])
def test_add(a, b, total):
    assert calc.add(a, b) == total
"""


def test_parametrized_cases_are_judged_one_by_one(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc="def add(a, b):\n    return 0\n", test_calc=PARAM_RED)
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["PASSED-IN-RED test_calc.py::test_add[[]0-0-0]: *"])
    assert statuses(tdd) == {"test_calc.py::test_add[1-2-3]": "red"}


MOCKED = """
import pytest, calc
from unittest import mock

@pytest.mark.parametrize("factor", [mock.Mock(return_value=3)])
def test_mul(factor):
    assert calc.mul(2, factor()) == 6
"""


def test_a_case_with_a_mock_among_its_values_keeps_its_evidence(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc="def add(a, b):\n    return a + b\n", test_calc=MOCKED)
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    tdd.makepyfile(calc="def mul(a, b):\n    return a * b\n")
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == OK
    assert statuses(tdd) == {"test_calc.py::test_mul[factor0]": "green"}


SHIFTED = """
import pytest, calc

class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def __repr__(self):
        return f"Pair({{self.a}}, {{self.b}})"

@pytest.mark.parametrize("pair", [{cases}])
def test_add(pair):
    assert calc.add(pair.a, pair.b) == pair.a + pair.b
"""


def test_a_case_inserted_before_others_leaves_their_evidence_in_place(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=SHIFTED.format(cases="Pair(1, 2), Pair(3, 4)"))
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    assert sorted(statuses(tdd)) == [
        "test_calc.py::test_add[pair0]",
        "test_calc.py::test_add[pair1]",
    ]
    tdd.makepyfile(
        calc=CALC_ADD, test_calc=SHIFTED.format(cases="Pair(5, 6), Pair(1, 2), Pair(3, 4)")
    )
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["tdd: green fails: 1 violation (never-red 1)"])
    result.stdout.fnmatch_lines(["NEVER-RED test_calc.py::test_add[[]pair0]: never seen failing"])
    assert statuses(tdd) == {
        "test_calc.py::test_add[pair1]": "green",
        "test_calc.py::test_add[pair2]": "green",
    }


def test_unittest_test_cases_are_judged(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        calc=CALC_EMPTY,
        test_calc="""
        import unittest, calc

        class TestCalc(unittest.TestCase):
            def test_add(self):
                self.assertEqual(calc.add(1, 2), 3)
        """,
    )
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    assert ledger(tdd)["test_calc.py::TestCalc::test_add"][0].kind == "missing-api"
    tdd.makepyfile(calc=CALC_ADD)
    assert tdd.runpytest("--tdd-phase=green").ret == OK
    assert statuses(tdd) == {"test_calc.py::TestCalc::test_add": "green"}


def test_a_failing_unittest_assertion_is_kind_assertion(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        calc="def add(a, b):\n    return 0\n",
        test_calc="""
        import unittest, calc

        class TestCalc(unittest.TestCase):
            def test_add(self):
                self.assertEqual(calc.add(1, 2), 3)
        """,
    )
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    assert ledger(tdd)["test_calc.py::TestCalc::test_add"][0].kind == "assertion"


def test_unittest_subtests_make_their_test_red(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        calc="def add(a, b):\n    return 0\n",
        test_calc="""
        import unittest, calc

        class TestCalc(unittest.TestCase):
            def test_add(self):
                for a in (0, 1):
                    with self.subTest(a=a):
                        self.assertEqual(calc.add(a, 0), a)
        """,
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == OK
    assert statuses(tdd) == {"test_calc.py::TestCalc::test_add": "red"}


@pytest.mark.skipif(
    not hasattr(pytest, "Subtests"), reason="the subtests fixture is built in from pytest 9"
)
def test_a_wrong_reason_in_one_subtest_makes_the_test_wrong(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        calc="def add(a, b):\n    return 0\n",
        test_calc="""
        import calc

        def test_add(subtests):
            with subtests.test("assertion"):
                assert calc.add(1, 1) == 2
            with subtests.test("typo"):
                assert calc.add(1, 1) == undefined
        """,
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["WRONG-REASON test_calc.py::test_add: *NameError*"])


def test_doctests_are_judged(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        calc='''
        def add(a, b):
            """
            >>> add(1, 2)
            3
            """
            return 0
        '''
    )
    assert tdd.runpytest("--tdd-phase=red", "--doctest-modules").ret == OK
    assert statuses(tdd) == {"calc.py::calc.add": "red"}
    tdd.makepyfile(
        calc='''
        def add(a, b):
            """
            >>> add(1, 2)
            3
            """
            return a + b
        '''
    )
    assert tdd.runpytest("--tdd-phase=green", "--doctest-modules").ret == OK


MISSING_MODULE = """
from calculator import add

def test_add():
    assert add(1, 2) == 3

class TestMore:
    def test_more(self):
        assert add(2, 2) == 4
"""


def test_a_test_module_that_cannot_import_its_subject_is_red(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_calculator=MISSING_MODULE, test_other="def test_old():\n    assert 1\n")
    result = tdd.runpytest("--tdd-phase=red", "-k", "not test_old")
    assert result.ret == OK
    result.stdout.fnmatch_lines(["tdd: red holds: 2 new tests * (missing-api 2)"])
    assert statuses(tdd) == {
        "test_calculator.py::TestMore::test_more": "red",
        "test_calculator.py::test_add": "red",
    }
    tdd.makepyfile(calculator=CALC_ADD)
    assert tdd.runpytest("--tdd-phase=green", "-k", "not test_old").ret == OK


def test_a_collection_error_in_green_fails_the_run_without_stopping_it(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(test_calculator=MISSING_MODULE, test_other="def test_old():\n    assert 1\n")
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == FAILED
    result.assert_outcomes(passed=1, errors=1)


def test_a_syntax_error_in_a_test_module_is_the_wrong_reason(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_broken="def test_x(:\n    assert 1\n")
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["WRONG-REASON test_broken.py: cannot be collected*SyntaxError*"])


PARAM_MISSING = """
import pytest
from calculator import add

@pytest.mark.parametrize("a", [1, 2])
def test_add(a):
    assert add(a, 0) == a
"""


def test_red_from_source_covers_every_case_of_a_parametrized_test(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_calculator=PARAM_MISSING)
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    assert statuses(tdd) == {"test_calculator.py::test_add": "red"}
    tdd.makepyfile(calculator=CALC_ADD)
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == OK
    assert statuses(tdd) == {
        "test_calculator.py::test_add[1]": "green",
        "test_calculator.py::test_add[2]": "green",
    }


TWINS = """
import calc

def test_add():
    assert calc.add(1, 2) == 3

def test_add_again():
    assert calc.add(1, 2) == 3
"""


def test_a_changed_test_with_a_twin_of_its_old_code_keeps_its_red_evidence(
    tdd: pytest.Pytester,
) -> None:
    # The twin holds a record of its own: the changed test's did not move to it
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TWINS)
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    tdd.makepyfile(calc=CALC_ADD, test_calc=TWINS.replace("1, 2) == 3\n\ndef", "2, 2) == 4\n\ndef"))
    result = tdd.runpytest("--tdd-phase=green")
    result.stdout.fnmatch_lines(["MODIFIED-AFTER-RED test_calc.py::test_add: changed *"])
    tdd.makepyfile(test_calc=TWINS)
    assert tdd.runpytest("--tdd-phase=green").ret == OK
    assert statuses(tdd) == {
        "test_calc.py::test_add": "green",
        "test_calc.py::test_add_again": "green",
    }


def test_renaming_one_twin_while_changing_the_other_keeps_the_changed_ones_record(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TWINS)
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    tdd.makepyfile(
        calc=CALC_ADD,
        test_calc="""
import calc

def test_addition():
    assert calc.add(1, 2) == 3

def test_add_again():
    assert calc.add(1, 2) == 3, "m"
""",
    )
    result = tdd.runpytest("--tdd-phase=green")
    result.stdout.fnmatch_lines(["MODIFIED-AFTER-RED test_calc.py::test_add_again: changed *"])
    assert statuses(tdd) == {
        "test_calc.py::test_addition": "green",
        "test_calc.py::test_add_again": "red",
    }


def test_a_test_moved_to_another_file_keeps_its_evidence_in_a_run_of_that_file_alone(
    tdd: pytest.Pytester,
) -> None:
    # The file it left stays, with another test, and this run does not collect it
    stay = "import calc\n\ndef test_other():\n    assert calc.add(2, 2) == 4\n"
    moving = "\ndef test_add():\n    assert calc.add(1, 2) == 3\n"
    tdd.makepyfile(calc=CALC_EMPTY, test_x=stay + moving, test_y="import calc\n")
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    tdd.makepyfile(calc=CALC_ADD, test_x=stay, test_y="import calc\n" + moving)
    assert tdd.runpytest("--tdd-phase=green", "test_y.py").ret == OK
    assert statuses(tdd)["test_y.py::test_add"] == "green"


def test_a_red_run_by_node_id_of_a_test_made_a_twin_of_a_green_one_records_it(
    tdd: pytest.Pytester,
) -> None:
    # test_new was red, then rewritten to test_add's code; red again on its id alone
    new = "\ndef test_new():\n    assert calc.add(2, 2) == 4\n"
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD + new)
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    tdd.makepyfile(calc=CALC_ADD)
    assert tdd.runpytest("--tdd-phase=green").ret == OK
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD + new.replace("2, 2) == 4", "1, 2) == 3"))
    result = tdd.runpytest("--tdd-phase=red", "test_calc.py::test_new")
    assert result.ret == OK
    result.stdout.fnmatch_lines(["tdd: red holds: 1 new test seen failing *"])
