"""Fingerprints of test code: what a piece of evidence is bound to.

A test function's fingerprint is a hash of its normalised syntax tree: whitespace,
comments, the docstring, the function's own name and its ``parametrize`` decorators do
not count, so a test that is reformatted, renamed or moved keeps its fingerprint, and a
parametrized case is identified by the function's fingerprint plus a hash of its own
parameter values (``case_fingerprint``). The normalised form is written by hand rather
than with ``ast.dump`` because ``ast.dump`` changes between Python versions, and evidence
recorded on one interpreter must hold on every other.

Pure: no pytest import; source text and plain values in, hex strings out.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

# Fields that differ between Python versions without changing what the code does.
_IGNORED_FIELDS = frozenset({"type_comment", "type_params", "kind"})
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type[ast.AST]) -> tuple[str, ...]:
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = tuple(f for f in cls._fields if f not in _IGNORED_FIELDS)
    return fields


def _render(node: object, out: list[str]) -> None:
    """Append the version-independent rendering of a syntax tree to ``out``: ``(Type
    field=value ...)`` for a node, ``[a,b]`` for a list, ``repr`` for a value; fields that
    are empty are left out."""
    if isinstance(node, ast.AST):
        cls = type(node)
        out.append("(" + cls.__name__)
        for field in _fields(cls):
            value = getattr(node, field, None)
            if isinstance(node, ast.JoinedStr) and field == "values":
                # Python 3.12 adds empty string parts to some format specs.
                value = [v for v in node.values if not _is_empty_string(v)]
            if value is None or value == []:
                continue
            out.append(" " + field + "=")
            _render(value, out)
        out.append(")")
    elif isinstance(node, list):
        out.append("[")
        for number, item in enumerate(node):
            if number:
                out.append(",")
            _render(item, out)
        out.append("]")
    else:
        out.append(repr(node))


def _normal_form(node: object) -> str:
    """A version-independent rendering of a syntax tree."""
    out: list[str] = []
    _render(node, out)
    return "".join(out)


def _is_empty_string(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == ""


def _is_parametrize(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr == "parametrize"


def _has_docstring(body: Sequence[ast.stmt]) -> bool:
    first = body[0] if body else None
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )


def _without_self(args: ast.arguments) -> ast.arguments:
    """A method's parameters without the first (``self``), so that a test keeps its
    fingerprint when it moves into or out of a class."""
    if args.posonlyargs:
        return ast.arguments(**{**vars(args), "posonlyargs": args.posonlyargs[1:]})
    return ast.arguments(**{**vars(args), "args": args.args[1:]})


def function_fingerprint(node: FunctionNode, method: bool = False) -> str:
    """The fingerprint of one test function's definition."""
    body = node.body[1:] if _has_docstring(node.body) else node.body
    decorators = [d for d in node.decorator_list if not _is_parametrize(d)]
    args = _without_self(node.args) if method else node.args
    rendered = [
        type(node).__name__,
        _normal_form(args),
        _normal_form(decorators),
        _normal_form(node.returns),
        _normal_form(body),
    ]
    return _digest("\n".join(rendered))


def _first_line(node: FunctionNode) -> int:
    """The line a function object's ``co_firstlineno`` names: its first decorator."""
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _walk_functions(
    body: Iterable[ast.stmt], scope: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], FunctionNode]]:
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            yield (*scope, statement.name), statement
        elif isinstance(statement, ast.ClassDef):
            yield from _walk_functions(statement.body, (*scope, statement.name))


@dataclass(frozen=True)
class SourceIndex:
    """Fingerprints of every function in one source file, by line.

    A function is found by its first decorator's line (what ``co_firstlineno`` names)
    and by its ``def`` line.
    """

    by_line: Mapping[int, str]

    def at_line(self, line: int) -> str | None:
        return self.by_line.get(line)


def index_source(source: str) -> SourceIndex:
    """Parse a file once and fingerprint every function in it (raises SyntaxError)."""
    by_line: dict[int, str] = {}
    for names, node in _walk_functions(ast.parse(source).body):
        fingerprint = function_fingerprint(node, method=len(names) > 1)
        by_line[node.lineno] = by_line[_first_line(node)] = fingerprint
    return SourceIndex(by_line)


def _matches(name: str, patterns: Sequence[str]) -> bool:
    return any(
        name.startswith(p) if not any(c in p for c in "*?[") else fnmatch.fnmatch(name, p)
        for p in patterns
    )


def find_tests_in_source(
    source: str, functions: Sequence[str], classes: Sequence[str]
) -> list[tuple[list[str], str]]:
    """Test functions of a module found without importing it, as (names, fingerprint).

    ``functions`` and ``classes`` are pytest's ``python_functions`` and
    ``python_classes`` patterns (prefixes or globs). Used when a test module cannot be
    imported, so that each of its tests can still be judged.
    """
    found: list[tuple[list[str], str]] = []
    for names, node in _walk_functions(ast.parse(source).body):
        if _matches(names[-1], functions) and all(_matches(c, classes) for c in names[:-1]):
            found.append((list(names), function_fingerprint(node, method=len(names) > 1)))
    return found


def stable_repr(value: object) -> str:
    """``repr`` made deterministic across processes: sets sorted, addresses removed."""
    if isinstance(value, list | tuple):
        inner = ", ".join(stable_repr(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(sorted(stable_repr(v) for v in value)) + "}"
    if isinstance(value, dict):
        items = (f"{stable_repr(k)}: {stable_repr(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return _ADDRESS.sub("", repr(value))


def case_fingerprint(params: Mapping[str, object]) -> str:
    """The fingerprint of one parametrized case's own parameter values."""
    return _digest("\n".join(f"{k}={stable_repr(params[k])}" for k in sorted(params)))


def doctest_fingerprint(examples: Iterable[tuple[str, str]]) -> str:
    """The fingerprint of a doctest: its examples' source and expected output."""
    return _digest("\n".join(f"{src.strip()}\n{want.strip()}" for src, want in examples))
