"""Parameter values whose ``repr`` says nothing of them, made to say what they are.

A parametrized case is identified by the ``repr`` of its values
(``identity.case_fingerprint``), memory addresses taken out. Some values are nothing but
an address: a lambda (``<function <lambda>>``), a function, an instance of a class without
a ``__repr__`` of its own (``<tests.test_x.Case object>``). Two such values look the same
however they differ, so the values of a case seen failing could be weakened before green
(``lambda: calc.mul(2, 3) == 6`` becoming ``lambda: True``) unseen.

``Opaque.lines`` gives, for each such value of a case, what it is: a function defined in
test code by its normalised source (every lambda or function that starts on its first
line: the line is all its code object tells on Python 3.10), an instance of a class of
test code by its class and its attributes (the same rule applied to each). An instance of
a library's or the project's class is left as its ``repr`` says: it may hold anything (a
clock, a session), and a value that differs from run to run would make every red record
look changed. The lines join the digest of the test
code the test depends on (``closure``), which red evidence and ``--tdd-verify`` compare:
not the case's fingerprint, which green and legacy evidence stays bound to, so evidence
written before this module keeps matching. A case without such values adds no line.

A function of the project or of a library is left to its ``repr`` (its name): the
project's code changing is what a cycle is for.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from types import CodeType, FunctionType
from typing import NamedTuple

from pytest_tdd import identity

_DEPTH = 4  # how deep an instance's attributes are followed


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


class Opaque:
    """Renders opaque parameter values; each test file is parsed at most once."""

    def __init__(self, is_test_code: Callable[[str], bool]) -> None:
        self.is_test_code = is_test_code
        self._starts: dict[str, dict[tuple[str, int], list[_Source]] | None] = {}

    def lines(self, params: Mapping[str, object]) -> list[str]:
        """``param <name> <digest>`` for each value of ``params`` that is opaque."""
        found = []
        for name in sorted(params):
            text = self.render(params[name], _DEPTH, set())
            if text is not None:
                found.append(f"param {name} {_digest(text)}")
        return found

    def render(self, value: object, depth: int, seen: set[int]) -> str | None:
        """What ``value`` is, when its ``repr`` does not say it; else None."""
        if isinstance(value, FunctionType):
            return self._function(value)
        kind, held = type(value), _held(value)
        if held is None and kind.__repr__ is not object.__repr__:
            return None  # the common case, asked first: its repr tells it
        if depth == 0 or id(value) in seen:
            return None
        seen = seen | {id(value)}
        if held is not None:
            return self._container(kind, held, depth, seen)
        attributes = getattr(value, "__dict__", None)
        if not isinstance(attributes, dict) or not self._of_test_code(kind):
            return None
        parts = []
        for key in sorted(attributes, key=str):
            inner = attributes[key]
            text = self.render(inner, depth - 1, seen)
            parts.append(f"{key}={identity.stable_repr(inner) if text is None else text}")
        return f"{kind.__module__}.{kind.__qualname__}({', '.join(parts)})"

    def _container(self, kind: type, held: list[object], depth: int, seen: set[int]) -> str | None:
        """A list, tuple, set or dict that holds an opaque value, with what that is."""
        texts = [self.render(value, depth - 1, seen) for value in held]
        if all(text is None for text in texts):
            return None
        parts = [
            identity.stable_repr(v) if t is None else t for v, t in zip(held, texts, strict=True)
        ]
        if issubclass(kind, set | frozenset):
            parts.sort()
        return f"{kind.__name__}({', '.join(parts)})"

    def _of_test_code(self, kind: type) -> bool:
        module = sys.modules.get(kind.__module__)
        filename = getattr(module, "__file__", None)
        return isinstance(filename, str) and self.is_test_code(filename)

    def _function(self, function: FunctionType) -> str | None:
        code = function.__code__
        found = self._functions_in(code.co_filename)
        if found is None:
            return None
        candidates = found.get((code.co_name, code.co_firstlineno), [])
        if len(candidates) > 1:
            candidates = _narrowed(code, candidates)
        return "\n".join(c.text for c in candidates) or None

    def _functions_in(self, filename: str) -> dict[tuple[str, int], list[_Source]] | None:
        """The lambdas and functions of a test-code file, rendered, by name and first line."""
        if filename not in self._starts:
            self._starts[filename] = None
            if self.is_test_code(filename):
                self._starts[filename] = _index(filename)
        return self._starts[filename]


class _Source(NamedTuple):
    start: tuple[int, int]  # line and column where the lambda or function starts
    end: tuple[int, int]
    text: str  # its normal form


def _held(value: object) -> list[object] | None:
    """The values a list, tuple, set or dict holds (a dict's as pairs); None for others.
    Checked by type too: a Mock with a container's spec passes isinstance."""
    kind = type(value)
    if isinstance(value, list | tuple | set | frozenset) and issubclass(
        kind, list | tuple | set | frozenset
    ):
        return list(value)
    if isinstance(value, dict) and issubclass(kind, dict):
        return list(value.items())
    return None


def _narrowed(code: CodeType, candidates: list[_Source]) -> list[_Source]:
    """The one of the lambdas starting on a line whose code ``code`` is: the innermost that
    spans every position of its instructions (Python 3.11 on; 3.10 tells lines only, and
    all of them are kept)."""
    positions = getattr(code, "co_positions", None)
    if positions is None:
        return candidates
    spans = [
        ((line, column), (end_line, end_column))
        for line, end_line, column, end_column in positions()
        if line is not None and end_line is not None and column is not None
        if end_column is not None and (line, column) != (end_line, end_column)
    ]
    if not spans:
        return candidates
    first, last = min(start for start, _ in spans), max(end for _, end in spans)
    around = [c for c in candidates if c.start <= first and last <= c.end]
    return [max(around, key=lambda c: c.start)] if around else candidates


def _index(filename: str) -> dict[tuple[str, int], list[_Source]] | None:
    try:
        with open(filename, "rb") as file:
            tree = ast.parse(importlib.util.decode_source(file.read()))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError, LookupError):
        return None
    found: dict[tuple[str, int], list[_Source]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda):
            key = ("<lambda>", node.lineno)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            key = (node.name, min([node.lineno, *(d.lineno for d in node.decorator_list)]))
        else:
            continue
        end = (node.end_lineno or node.lineno, node.end_col_offset or 0)
        source = _Source((node.lineno, node.col_offset), end, identity._normal_form(node))
        found.setdefault(key, []).append(source)
    return found
