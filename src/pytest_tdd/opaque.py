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
from types import FunctionType

from pytest_tdd import identity

_DEPTH = 4  # how deep an instance's attributes are followed


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


class Opaque:
    """Renders opaque parameter values; each test file is parsed at most once."""

    def __init__(self, is_test_code: Callable[[str], bool]) -> None:
        self.is_test_code = is_test_code
        self._starts: dict[str, dict[int, list[str]] | None] = {}

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
        kind = type(value)
        if kind.__repr__ is not object.__repr__ or depth == 0 or id(value) in seen:
            return None
        attributes = getattr(value, "__dict__", None)
        if not isinstance(attributes, dict) or not self._of_test_code(kind):
            return None
        seen = seen | {id(value)}
        parts = []
        for key in sorted(attributes, key=str):
            inner = attributes[key]
            text = self.render(inner, depth - 1, seen)
            parts.append(f"{key}={identity.stable_repr(inner) if text is None else text}")
        return f"{kind.__module__}.{kind.__qualname__}({', '.join(parts)})"

    def _of_test_code(self, kind: type) -> bool:
        module = sys.modules.get(kind.__module__)
        filename = getattr(module, "__file__", None)
        return isinstance(filename, str) and self.is_test_code(filename)

    def _function(self, function: FunctionType) -> str | None:
        code = function.__code__
        starts = self._functions_in(code.co_filename)
        if starts is None:
            return None
        return "\n".join(starts.get(code.co_firstlineno, ())) or None

    def _functions_in(self, filename: str) -> dict[int, list[str]] | None:
        """The lambdas and functions of a test-code file, rendered, by their first line."""
        if filename not in self._starts:
            self._starts[filename] = None
            if self.is_test_code(filename):
                self._starts[filename] = _index(filename)
        return self._starts[filename]


def _index(filename: str) -> dict[int, list[str]] | None:
    try:
        with open(filename, "rb") as file:
            tree = ast.parse(importlib.util.decode_source(file.read()))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError, LookupError):
        return None
    starts: dict[int, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda):
            first = node.lineno
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        else:
            continue
        starts.setdefault(first, []).append(identity._normal_form(node))
    return starts
