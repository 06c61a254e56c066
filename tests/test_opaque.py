"""Parameter values whose repr says nothing of them: what ``opaque`` makes them say."""

from __future__ import annotations

from pathlib import Path

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
