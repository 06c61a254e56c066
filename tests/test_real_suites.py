"""A red -> green cycle on the shapes real suites have: async tests under pytest-asyncio
(strict and auto) and anyio, hypothesis, randomised order, reruns, warnings as errors."""

from __future__ import annotations

import pytest

from helpers import INNER_ADDOPTS, statuses

OK = pytest.ExitCode.OK
# These pin suite shapes that already gave the right verdicts when they were written: they
# guard against regressions and could not be seen failing first.
ALREADY_WORKED = pytest.mark.tdd_exempt("acceptance test of a suite shape that already worked")
# An event loop run in-process leaves sockets to the garbage collector; pytest < 8.3 turns
# them into a warning of the outer test, which this suite makes an error.
LOOP_SOCKETS = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(autouse=True)
def rerunfailures_loaded(tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner runs of this module load pytest-rerunfailures, as the suites they stand
    for do (``INNER_ADDOPTS`` leaves it out of every other inner run)."""
    monkeypatch.setenv("PYTEST_ADDOPTS", INNER_ADDOPTS.replace(" -p no:rerunfailures", ""))


ASYNC_EMPTY = "async def unrelated():\n    return 0\n"
ASYNC_ADD = ASYNC_EMPTY + "\n\nasync def add(a, b):\n    return a + b\n"


def cycle(tdd: pytest.Pytester, empty: str, implemented: str, *args: str) -> None:
    """Red before the code exists, green after; both must hold."""
    tdd.makepyfile(calc=empty)
    red = tdd.runpytest("--tdd-phase=red", *args)
    assert red.ret == OK, red.stdout.str()
    assert set(statuses(tdd).values()) == {"red"}
    tdd.makepyfile(calc=implemented)
    green = tdd.runpytest("--tdd-phase=green", *args)
    assert green.ret == OK, green.stdout.str()
    assert set(statuses(tdd).values()) == {"green"}


@ALREADY_WORKED
@LOOP_SOCKETS
def test_an_async_test_under_asyncio_strict_mode_goes_red_then_green(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(
        test_calc="""
        import pytest, calc

        @pytest.mark.asyncio
        async def test_add():
            assert await calc.add(1, 2) == 3
        """
    )
    cycle(tdd, ASYNC_EMPTY, ASYNC_ADD, "-o", "asyncio_mode=strict")


@ALREADY_WORKED
@LOOP_SOCKETS
def test_an_unmarked_async_test_under_asyncio_auto_mode_goes_red_then_green(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(
        test_calc="import calc\n\nasync def test_add():\n    assert await calc.add(1, 2) == 3\n"
    )
    cycle(tdd, ASYNC_EMPTY, ASYNC_ADD, "-o", "asyncio_mode=auto")


@ALREADY_WORKED
@LOOP_SOCKETS
def test_anyio_backend_cases_each_go_red_then_green(tdd: pytest.Pytester) -> None:
    tdd.makeconftest(
        """
        import pytest

        @pytest.fixture(params=["asyncio", "trio"])
        def anyio_backend(request):
            return request.param
        """
    )
    tdd.makepyfile(
        test_calc="""
        import pytest, calc

        @pytest.mark.anyio
        async def test_add():
            assert await calc.add(1, 2) == 3
        """
    )
    cycle(tdd, ASYNC_EMPTY, ASYNC_ADD, "-p", "anyio")
    assert sorted(statuses(tdd)) == [
        "test_calc.py::test_add[asyncio]",
        "test_calc.py::test_add[trio]",
    ]


@ALREADY_WORKED
def test_a_hypothesis_test_goes_red_then_green_with_hypothesis_plugin_loaded(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", INNER_ADDOPTS.replace("-p no:hypothesispytest", ""))
    tdd.makepyfile(
        test_calc="""
        from hypothesis import given, settings, strategies as st
        import calc

        @settings(database=None, deadline=None, max_examples=20)
        @given(st.integers(), st.integers())
        def test_add(a, b):
            assert calc.add(a, b) == a + b
        """
    )
    # The outer suite's warnings-as-errors reach this in-process run; on pytest < 8.3 a
    # socket hypothesis leaves to the garbage collector would then fail the test.
    cycle(
        tdd,
        "def unrelated():\n    return 0\n",
        "def add(a, b):\n    return a + b\n",
        "-p",
        "no:unraisableexception",
    )


@ALREADY_WORKED
def test_a_randomised_order_gives_the_same_verdicts(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", INNER_ADDOPTS.replace("-p no:randomly", ""))
    tdd.makepyfile(
        test_a="import calc\n\ndef test_a1():\n    assert calc.add(1, 2) == 3\n\n"
        "def test_a2():\n    assert calc.add(0, 0) == 0\n",
        test_b="import calc\n\ndef test_b():\n    assert calc.add(2, 2) == 4\n",
    )
    empty, added = "def unrelated():\n    return 0\n", "def add(a, b):\n    return a + b\n"
    cycle(tdd, empty, added, "-p", "randomly", "--randomly-seed=1")
    assert len(statuses(tdd)) == 3


@ALREADY_WORKED
def test_reruns_of_a_failing_new_test_record_it_red_once(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_calc="import calc\n\ndef test_add():\n    assert calc.add(1, 2) == 3\n")
    empty, added = "def unrelated():\n    return 0\n", "def add(a, b):\n    return a + b\n"
    cycle(tdd, empty, added, "--reruns", "2")


def test_a_red_run_with_reruns_shows_both_plugins_letters(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        calc="def unrelated():\n    return 0\n",
        test_calc="import calc\n\ndef test_add():\n    assert calc.add(1, 2) == 3\n",
    )
    result = tdd.runpytest("--tdd-phase=red", "--reruns", "1")
    assert result.ret == OK
    result.stdout.fnmatch_lines(["test_calc.py Rr"])


@ALREADY_WORKED
def test_a_whole_cycle_emits_no_warning_where_warnings_are_errors(tdd: pytest.Pytester) -> None:
    tdd.makeini(
        """
        [pytest]
        console_output_style = classic
        filterwarnings = error
        """
    )
    tdd.makepyfile(test_calc="import calc\n\ndef test_add():\n    assert calc.add(1, 2) == 3\n")
    empty, added = "def unrelated():\n    return 0\n", "def add(a, b):\n    return a + b\n"
    cycle(tdd, empty, added, "-n", "2", "-W", "error")
    result = tdd.runpytest("--tdd-phase=refactor", "-W", "error")
    assert result.ret == OK
    assert "warnings" not in result.parseoutcomes()
