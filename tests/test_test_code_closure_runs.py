"""Evidence is bound to the test code a test depends on: its helpers and fixtures."""

from __future__ import annotations

import pytest

from pytest_tdd import closure

from helpers import CALC_ADD, CALC_EMPTY, ledger

OK = pytest.ExitCode.OK
FAILED = pytest.ExitCode.TESTS_FAILED

WITH_HELPER = """
import calc


def assert_total(got, expected):
    assert got == expected


def test_add():
    assert_total(calc.add(1, 2), 3)
"""

WITH_FIXTURE = """
import calc


def test_add(expected):
    assert calc.add(1, 2) == expected
"""


def test_weakening_a_helper_after_red_is_modified_after_red(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=WITH_HELPER)
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    tdd.makepyfile(
        calc=CALC_ADD,
        test_calc=WITH_HELPER.replace("assert got == expected", "assert got is not None"),
    )
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        [
            "MODIFIED-AFTER-RED test_calc.py::test_add: a helper or fixture it uses, or a"
            " parameter value, changed since it was seen failing"
        ]
    )


def test_weakening_a_conftest_fixture_after_red_is_modified_after_red(
    tdd: pytest.Pytester,
) -> None:
    tdd.makeconftest("import pytest\n\n@pytest.fixture\ndef expected():\n    return 3\n")
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=WITH_FIXTURE)
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    tdd.makeconftest(
        "import pytest, calc\n\n@pytest.fixture\ndef expected():\n    return calc.add(1, 2)\n"
    )
    tdd.makepyfile(calc=CALC_ADD)
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["MODIFIED-AFTER-RED test_calc.py::test_add: a helper or *"])


def test_a_red_record_holds_the_digest_of_the_test_code_it_depends_on(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=WITH_HELPER)
    tdd.runpytest("--tdd-phase=red")
    (record,) = ledger(tdd)["test_calc.py::test_add"]
    assert record.deps is not None


def test_a_refactor_of_a_shared_helper_while_green_holds_and_leaves_the_evidence_as_it_was(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=WITH_HELPER)
    tdd.runpytest("--tdd-phase=red")
    tdd.makepyfile(calc=CALC_ADD)
    assert tdd.runpytest("--tdd-phase=green").ret == OK
    before = ledger(tdd)
    tdd.makepyfile(
        test_calc=WITH_HELPER.replace(
            "assert got == expected", "assert got == expected, f'{got} != {expected}'"
        )
    )
    result = tdd.runpytest("--tdd-phase=refactor")
    assert result.ret == OK
    result.stdout.fnmatch_lines(["tdd: refactor holds: 1 test kept its evidence"])
    assert ledger(tdd) == before


def test_a_green_run_computes_no_closure_for_a_test_with_green_evidence(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=WITH_HELPER)
    tdd.runpytest("--tdd-phase=red")
    tdd.makepyfile(calc=CALC_ADD)
    assert tdd.runpytest("--tdd-phase=green").ret == OK
    computed: list[str] = []
    real = closure.dependency_digest

    def counted(item: pytest.Item, *args: object) -> str | None:
        computed.append(item.nodeid)
        return real(item, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(closure, "dependency_digest", counted)
    tdd.makepyfile(test_more="import calc\n\ndef test_sub():\n    assert calc.sub(3, 1) == 2\n")
    result = tdd.inline_run("--tdd-phase=red", "test_more.py", "test_calc.py")
    assert result.ret == OK
    assert computed == ["test_more.py::test_sub"]


WITH_LAMBDA = """
import pytest, calc


@pytest.mark.parametrize("check", [lambda: calc.add(1, 2) == 3])
def test_add(check):
    assert check()
"""


def test_weakening_a_lambda_parameter_after_red_is_modified_after_red(
    tdd: pytest.Pytester,
) -> None:
    # Every lambda's repr is "<function <lambda>>": the case's own fingerprint cannot tell
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=WITH_LAMBDA)
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    tdd.makepyfile(calc=CALC_ADD, test_calc=WITH_LAMBDA.replace("calc.add(1, 2) == 3", "True"))
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        ["MODIFIED-AFTER-RED test_calc.py::test_add[[]<lambda>[]]: a helper *"]
    )


WITH_INSTANCE = """
import pytest, calc


class Expected:
    def __init__(self, total):
        self.total = total


@pytest.mark.parametrize("expected", [Expected(3)])
def test_add(expected):
    assert calc.add(1, 2) == expected.total
"""


def test_changing_an_instance_parameter_without_a_repr_after_red_is_modified_after_red(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=WITH_INSTANCE)
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    tdd.makepyfile(calc=CALC_ADD.replace("a + b", "a + b + 1"))
    tdd.makepyfile(test_calc=WITH_INSTANCE.replace("Expected(3)", "Expected(4)"))
    result = tdd.runpytest("--tdd-phase=green")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(
        ["MODIFIED-AFTER-RED test_calc.py::test_add[[]expected0[]]: a helper *"]
    )
