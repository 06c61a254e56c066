"""Why a new test failed, judged through the real plugin: failures raised by pytest itself,
exception groups (hypothesis, asyncio, anyio), protocol errors in rewritten asserts, and
timeouts of pytest-timeout."""

from __future__ import annotations

import json
import sys

import pytest

from helpers import ledger

OK = pytest.ExitCode.OK
FAILED = pytest.ExitCode.TESTS_FAILED
# Python records the columns of each instruction since 3.11; pytest keeps those of the
# expressions in a rewritten assert since 8.3.4 (before, the whole assert's).
COLUMNS = sys.version_info >= (3, 11) and pytest.version_tuple >= (8, 3, 4)

CALC = """
def add(a, b):
    return a + b


def double(n):
    return 0


def spin():
    while True:
        pass


class Matrix:
    def __init__(self, rows=()):
        self.rows = [list(row) for row in rows]
"""


@pytest.mark.skipif(
    pytest.version_tuple < (8, 4), reason="pytest < 8.4 skips an async test it cannot run"
)
def test_an_async_test_that_pytest_itself_fails_is_the_wrong_reason(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        calc=CALC,
        test_calc="import calc\n\nasync def test_add():\n    assert calc.add(1, 2) == 4\n",
    )
    result = tdd.runpytest("--tdd-phase=red", "-o", "asyncio_mode=strict")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        [
            "WRONG-REASON test_calc.py::test_add: failed for the wrong reason, pytest or a plugin"
            " failed the test, not the test's code*: Failed: async def functions are not"
            " natively supported.",
        ]
    )
    assert ledger(tdd) == {}


def test_pytest_fail_from_a_hook_in_conftest_is_the_wrong_reason(tdd: pytest.Pytester) -> None:
    tdd.makeconftest(
        """
        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_call(item):
            pytest.fail("no test may run today")
        """
    )
    tdd.makepyfile(
        calc=CALC, test_calc="import calc\n\ndef test_add():\n    assert calc.add(1, 2) == 3\n"
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        [
            "WRONG-REASON test_calc.py::test_add: failed for the wrong reason, pytest or a plugin"
            " failed the test, not the test's code: Failed: no test may run today",
        ]
    )
    assert ledger(tdd) == {}


def test_two_distinct_hypothesis_failures_that_are_both_assertions_are_red(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(
        calc=CALC,
        test_calc="""
        from hypothesis import given, settings, strategies as st
        import calc

        @settings(database=None, derandomize=True)
        @given(st.integers())
        def test_double(n):
            if n > 0:
                assert calc.double(n) == 2 * n
            else:
                assert calc.double(n) == n + n
        """,
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == OK
    result.stdout.fnmatch_lines(
        ["tdd: red holds: 1 new test seen failing for the right reason (assertion 1)"]
    )
    (record,) = ledger(tdd)["test_calc.py::test_double"]
    assert (record.status, record.kind, record.exception) == ("red", "assertion", "ExceptionGroup")


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.TaskGroup is new in Python 3.11")
def test_a_task_group_whose_tasks_fail_for_the_right_reason_is_red_with_the_weakest_kind(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(
        calc=CALC,
        test_calc="""
        import asyncio
        import calc

        async def adds():
            assert calc.add(1, 1) == 3

        async def subtracts():
            assert calc.subtract(2, 1) == 1

        def test_both():
            async def main():
                async with asyncio.TaskGroup() as group:
                    group.create_task(adds())
                    group.create_task(subtracts())

            asyncio.run(main())
        """,
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == OK
    (record,) = ledger(tdd)["test_calc.py::test_both"]
    assert (record.status, record.kind, record.exception) == (
        "red",
        "missing-api",
        "ExceptionGroup",
    )


def test_an_anyio_task_group_with_a_typo_in_one_task_is_the_wrong_reason_naming_it(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(
        calc=CALC,
        test_calc="""
        import anyio
        import pytest
        import calc

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        async def adds():
            assert calc.add(1, 1) == 3

        async def subtracts():
            assert clac.subtract(2, 1) == 1

        @pytest.mark.anyio
        async def test_both():
            async with anyio.create_task_group() as group:
                group.start_soon(adds)
                group.start_soon(subtracts)
        """,
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        [
            "WRONG-REASON test_calc.py::test_both: failed for the wrong reason, exception ? of 2"
            " in the group fails for the wrong reason, NameError: name 'clac' is not defined:"
            " raised in the test's own code*",
        ]
    )
    assert ledger(tdd) == {}


@pytest.mark.skipif(not COLUMNS, reason="no column positions to pinpoint the failing operation")
def test_a_project_value_without_the_protocol_in_a_rewritten_assert_is_missing_api(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(
        calc=CALC,
        test_calc="""
        import calc

        def test_first_row():
            expected = [[1, 2]]
            assert calc.Matrix([[1, 2]])[0] == expected[0]
        """,
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == OK
    (record,) = ledger(tdd)["test_calc.py::test_first_row"]
    assert (record.status, record.kind, record.exception) == ("red", "missing-api", "TypeError")


def test_a_timeout_while_in_the_projects_code_is_red(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC, test_calc="import calc\n\ndef test_spin():\n    calc.spin()\n")
    result = tdd.runpytest(
        "--tdd-phase=red", "--timeout=1", "--timeout-method=signal", "--tdd-json=report.json"
    )
    assert result.ret == OK
    (record,) = ledger(tdd)["test_calc.py::test_spin"]
    assert (record.status, record.kind, record.exception) == ("red", "error", "Failed")
    report = json.loads((tdd.path / "report.json").read_text("utf-8"))
    cause = report["tests"]["test_calc.py::test_spin"]["failure"]["cause"]
    assert cause == "a timeout while in the project's code: the project did not finish"


def test_a_timeout_while_in_the_tests_own_code_is_the_wrong_reason(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        calc=CALC,
        test_calc="""
        import pytest

        @pytest.mark.timeout(1, method="signal")
        def test_wait():
            while True:
                pass
        """,
    )
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        [
            "WRONG-REASON test_calc.py::test_wait: failed for the wrong reason, a timeout while in"
            " the test's own code: the test did not finish: Failed: Timeout*",
        ]
    )
    assert ledger(tdd) == {}


def test_a_module_collected_for_its_doctests_is_still_the_projects_code(
    tdd: pytest.Pytester,
) -> None:
    # --doctest-modules collects the project's own modules; their doctests do not make them
    # test code: reaching for a function such a module lacks yet is missing API.
    tdd.makepyfile(
        calc='def add(a, b):\n    """\n    >>> add(1, 2)\n    3\n    """\n    return a + b\n'
    )
    assert tdd.runpytest("--tdd-adopt", "--doctest-modules").ret == OK
    tdd.makepyfile(test_calc="import calc\n\n\ndef test_sub():\n    assert calc.sub(3, 1) == 2\n")
    result = tdd.runpytest("--tdd-phase=red", "--doctest-modules")
    assert result.ret == OK
    assert [r.kind for r in ledger(tdd)["test_calc.py::test_sub"]] == ["missing-api"]


UNITTEST_SETUP = """
import unittest, calc

class TestGrid(unittest.TestCase):
    def setUp(self):
        self.grid = calc.Grid()

    def test_size(self):
        self.assertEqual(calc.add(1, 1), 3)
"""


def test_a_unittest_set_up_that_fails_is_the_wrong_reason(tdd: pytest.Pytester) -> None:
    # pytest runs a TestCase's setUp inside the call phase, and its error is the test's
    tdd.makepyfile(calc=CALC, test_calc=UNITTEST_SETUP)
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        [
            "WRONG-REASON test_calc.py::TestGrid::test_size: failed for the wrong reason, a setup"
            " error: unittest's setUp failed, not the test*"
        ]
    )
    assert ledger(tdd) == {}


UNITTEST_TEARDOWN = """
import unittest, calc

class TestAdd(unittest.TestCase):
    def test_add(self):
        self.assertEqual(calc.add(1, 1), 2)

    def tearDown(self):
        self.assertEqual(calc.add(0, 0), 1)
"""


def test_a_unittest_tear_down_that_fails_after_the_test_passed_is_the_wrong_reason(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC, test_calc=UNITTEST_TEARDOWN)
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        [
            "WRONG-REASON test_calc.py::TestAdd::test_add: failed for the wrong reason, a teardown"
            " error: unittest's tearDown failed, not the test*"
        ]
    )
    assert ledger(tdd) == {}


UNITTEST_BOTH_FAIL = """
import unittest, calc

class TestAdd(unittest.TestCase):
    def test_add(self):
        self.assertEqual(calc.subtract(3, 1), 2)

    def tearDown(self):
        raise RuntimeError("cleanup broke")
"""


def test_a_unittest_tear_down_that_fails_after_the_test_failed_is_named_as_such(
    tdd: pytest.Pytester,
) -> None:
    # pytest reports the tearDown's error in its teardown phase: no fixture failed
    tdd.makepyfile(calc=CALC, test_calc=UNITTEST_BOTH_FAIL)
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        [
            "WRONG-REASON test_calc.py::TestAdd::test_add: failed for the wrong reason, a teardown"
            " error: unittest's tearDown failed, not the test*"
        ]
    )
    assert ledger(tdd) == {}


UNITTEST_SETUP_CLASS = """
import unittest, calc

class TestGrid(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.grid = calc.Grid(3)

    def test_size(self):
        self.assertEqual(self.grid.size, 3)
"""


def test_a_unittest_set_up_class_that_fails_is_named_as_such(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC, test_calc=UNITTEST_SETUP_CLASS)
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        [
            "WRONG-REASON test_calc.py::TestGrid::test_size: failed for the wrong reason, a setup"
            " error: unittest's setUpClass failed, not the test*"
        ]
    )
    assert ledger(tdd) == {}
