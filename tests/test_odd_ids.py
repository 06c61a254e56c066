"""Test ids of every shape are recorded and matched exactly."""

from __future__ import annotations

import json
import shlex

import pytest

from helpers import statuses

ODD = '''
import unittest
import pytest
import impl


def test_ünïcödé_名前():
    assert impl.ready()


@pytest.mark.parametrize(
    "value",
    [
        "with space",
        "quote ' and \\" double",
        "brackets [x] ::",
        "x" * 300,
        "tab\\there",
        "émoji 🦆",
    ],
)
def test_values(value):
    assert impl.ready() and value


@pytest.mark.parametrize("value", [1, 2], ids=["id with spaces", "id/with/slashes"])
def test_custom_ids(value):
    assert impl.ready() and value


class TestOuter:
    def test_same_name(self):
        assert impl.ready()

    class TestInner:
        def test_same_name(self):
            assert impl.ready() and 1


class TestCase(unittest.TestCase):
    def test_method(self):
        self.assertTrue(impl.ready())


def helper():
    """
    >>> import impl
    >>> impl.ready()
    True
    """
'''
SAME_NAME = "import impl\n\ndef test_same_name():\n    assert impl.ready() and 2\n"


def test_odd_ids_are_recorded_red_and_then_matched_green_exactly(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(impl="def ready():\n    return False\n", test_odd=ODD, test_other=SAME_NAME)
    red = tdd.runpytest("--tdd-phase=red", "--doctest-modules", "--tdd-json=red.json")
    assert red.ret == pytest.ExitCode.OK, red.stdout.str()
    collected = set(json.loads((tdd.path / "red.json").read_text("utf-8"))["tests"])
    assert len(collected) == 14
    assert set(statuses(tdd)) == collected
    assert set(statuses(tdd).values()) == {"red"}
    assert "test_odd.py::test_ünïcödé_名前" in collected
    assert "test_odd.py::TestOuter::TestInner::test_same_name" in collected
    assert "test_odd.py::test_custom_ids[id with spaces]" in collected
    assert "test_other.py::test_same_name" in collected

    tdd.makepyfile(impl="def ready():\n    return True\n")
    green = tdd.runpytest("--tdd-phase=green", "--doctest-modules")
    assert green.ret == pytest.ExitCode.OK, green.stdout.str()
    assert set(statuses(tdd).values()) == {"green"}
    assert set(statuses(tdd)) == collected


def test_the_fix_command_quotes_an_odd_id_for_the_shell(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(
        test_x="import pytest\n\n@pytest.mark.parametrize('v', [\"it's here\"])\n"
        "def test_x(v):\n    assert v\n"
    )
    result = tdd.runpytest("--tdd-phase=green")
    nodeid = "test_x.py::test_x[it's here]"
    expected = f"    fix: pytest --tdd-phase=red {shlex.quote(nodeid)} ("
    assert any(line.startswith(expected) for line in result.stdout.lines)
