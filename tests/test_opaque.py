"""Parameter values whose repr says nothing of them: what ``opaque`` makes them say."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_tdd.opaque import Opaque


class Limit:  # no __repr__ of its own: its repr is its address
    def __init__(self, value: object) -> None:
        self.value = value


def functions(tmp_path: Path, name: str, source: str) -> dict[str, object]:
    """The names a module of test code defines, executed from a file of that source."""
    path = tmp_path / name
    path.write_text(source)
    namespace: dict[str, object] = {}
    exec(compile(source, str(path), "exec"), namespace)
    return namespace


def everything_is_test_code(filename: str) -> bool:
    return True


def test_values_whose_repr_tells_them_add_no_line() -> None:
    opaque = Opaque(everything_is_test_code)
    assert opaque.lines({"n": 1, "text": "a", "pair": (1, [2]), "kind": Limit}) == []


def test_lambdas_of_test_code_are_told_apart_by_their_source(tmp_path: Path) -> None:
    found = functions(tmp_path, "test_a.py", "strict = lambda: 6 == 6\nloose = lambda: True\n")
    opaque = Opaque(everything_is_test_code)
    strict, loose = opaque.lines({"f": found["strict"]}), opaque.lines({"f": found["loose"]})
    assert len(strict) == 1
    assert strict[0].startswith("param f ")
    assert strict != loose


def test_the_same_lambda_in_another_file_and_place_gives_the_same_line(tmp_path: Path) -> None:
    first = functions(tmp_path, "test_a.py", "check = lambda: 6 == 6\n")
    second = functions(tmp_path, "test_b.py", "\n\n# moved\ncheck = lambda: 6 == 6  # same\n")
    opaque = Opaque(everything_is_test_code)
    assert opaque.lines({"f": first["check"]}) == opaque.lines({"f": second["check"]})


def test_a_function_outside_test_code_adds_no_line(tmp_path: Path) -> None:
    found = functions(tmp_path, "calc.py", "double = lambda n: 2 * n\n")
    assert Opaque(lambda filename: False).lines({"f": found["double"]}) == []


def test_instances_without_a_repr_are_told_apart_by_their_attributes() -> None:
    opaque = Opaque(everything_is_test_code)
    six = opaque.lines({"limit": Limit(6)})
    assert len(six) == 1
    assert six == opaque.lines({"limit": Limit(6)})
    assert six != opaque.lines({"limit": Limit(7)})


def test_an_instance_that_holds_itself_is_rendered_once() -> None:
    loop = Limit(None)
    loop.value = loop
    assert len(Opaque(everything_is_test_code).lines({"limit": loop})) == 1


def test_an_instance_of_a_class_outside_test_code_adds_no_line() -> None:
    # A library's object may hold anything (a clock, a session): never compared
    assert Opaque(lambda filename: False).lines({"limit": Limit(6)}) == []


KEEP = "CASES = []\ndef keep(value):\n    CASES.append(value)\n    return lambda test: test\n"


def kept(tmp_path: Path, name: str, source: str) -> list[object]:
    """The values a module of test code passed to ``keep`` on its decorator lines."""
    cases = functions(tmp_path, name, KEEP + source)["CASES"]
    assert isinstance(cases, list)
    return cases


def test_a_lambda_on_the_line_of_a_test_function_is_told_by_its_own_source(
    tmp_path: Path,
) -> None:
    # On a decorator's line, the lambda starts where the test function does
    before = kept(tmp_path, "test_a.py", "@keep(lambda: 6 == 6)\ndef test_x(f):\n    assert f()\n")
    after = kept(
        tmp_path, "test_b.py", "@keep(lambda: 6 == 6)\ndef test_x(f, n=1):\n    assert f() + n\n"
    )
    opaque = Opaque(everything_is_test_code)
    assert opaque.lines({"f": before[0]}) == opaque.lines({"f": after[0]})


@pytest.mark.skipif(sys.version_info < (3, 11), reason="code positions came in Python 3.11")
def test_lambdas_on_one_line_are_told_apart(tmp_path: Path) -> None:
    before = kept(tmp_path, "test_a.py", "keep([lambda: 6 == 6, lambda: 7 == 7])\n")[0]
    after = kept(tmp_path, "test_b.py", "keep([lambda: 6 == 6, lambda: True])\n")[0]
    assert isinstance(before, list)
    assert isinstance(after, list)
    opaque = Opaque(everything_is_test_code)
    assert opaque.lines({"f": before[0]}) == opaque.lines({"f": after[0]})
    assert opaque.lines({"f": before[1]}) != opaque.lines({"f": after[1]})


def test_lambdas_held_in_a_container_are_told_by_their_source(tmp_path: Path) -> None:
    strict = functions(tmp_path, "test_a.py", "f = lambda: 6 == 6\n")["f"]
    loose = functions(tmp_path, "test_b.py", "f = lambda: True\n")["f"]
    opaque = Opaque(everything_is_test_code)
    for wrap in (lambda f: {"check": f}, lambda f: (1, f), lambda f: [[f]]):
        held = opaque.lines({"case": wrap(strict)})
        assert len(held) == 1
        assert held != opaque.lines({"case": wrap(loose)})
