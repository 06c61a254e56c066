"""Protocol errors on the test's own line: did the value that failed come from the project?

``'Matrix' object is not subscriptable``, ``cannot unpack non-iterable NoneType object``,
``not enough values to unpack``: the interpreter raises these where the test uses a value,
not inside the project, although the value is the project's and simply lacks the feature
the test describes (``__getitem__``, a return value). The rule:

1. The exception names an operation (``operation_of``): indexing, calling, ``len()``,
   iteration, unpacking, an operator, a comparison, ``next()``, ``with``, ``await``.
2. The failing line is read back (``linecache``) and parsed (``ast``); the candidates are
   the nodes of that operation on the line. Where the failing instruction's columns are
   known (Python 3.11+; in an assert rewritten by pytest, since pytest 8.3.4), only the
   innermost candidate around them remains.
3. Each candidate's operand is judged without running any code again: it comes from the
   project when it is a call of a project callable (a function or class of the project,
   a method of a project object), an attribute or item of a project value, an ``await`` of
   one, or a name or attribute chain that resolves (statically, in the frame's locals,
   globals and builtins) to an object the project owns.
4. The value came from the project only when every remaining candidate has an operand that
   does. Anything unsure stays "not the project's", so a bug in the test never turns red.

The module is pure: it takes the traceback entry and a predicate that tells the project's
objects (``Origins.owns_object``).
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import linecache
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from types import CodeType, TracebackType
from typing import Literal

Operation = Literal[
    "indexing",
    "calling",
    "len()",
    "iteration",
    "unpacking",
    "the operator",
    "the unary operator",
    "comparison",
    "next()",
    "the with statement",
    "await",
]
Span = tuple[int, int, int, int]  # first line, first column, last line, end column
Namespaces = tuple[Mapping[str, object], ...]  # locals, globals, builtins

# What the interpreter says when a value lacks a protocol, by the operation that needs it.
_PROTOCOL_ERRORS: tuple[tuple[type[BaseException], Operation, str], ...] = (
    (TypeError, "indexing", r"object is not subscriptable$"),
    (TypeError, "indexing", r"^type '.+' is not subscriptable$"),
    (TypeError, "indexing", r"object does not support item (assignment|deletion)$"),
    (TypeError, "calling", r"object is not callable$"),
    (TypeError, "len()", r"^object of type '.+' has no len\(\)$"),
    (TypeError, "iteration", r"object is not iterable$"),
    (TypeError, "iteration", r"^argument of type '.+' is not (a container or )?iterable$"),
    (TypeError, "iteration", r"^Value after \* must be an iterable"),
    (TypeError, "iteration", r"^'async for' requires an object with __aiter__"),
    (TypeError, "unpacking", r"^cannot unpack non-iterable "),
    (ValueError, "unpacking", r"^(not enough|too many) values to unpack\b"),
    (TypeError, "the operator", r"^unsupported operand type\(s\) for "),
    (TypeError, "the unary operator", r"^bad operand type for unary "),
    (TypeError, "comparison", r"^'.+' not supported between instances of "),
    (TypeError, "next()", r"object is not an (async )?iterator$"),
    (TypeError, "the with statement", r"support the (asynchronous )?context manager protocol"),
    (AttributeError, "the with statement", r"^__a?(enter|exit)__$"),  # Python 3.10
    (TypeError, "await", r"can't be used in 'await' expression$"),
)
# Builtins that iterate over their arguments: list(None) says "'NoneType' object is not iterable".
_MAKE_FROM_ITERABLE = frozenset(
    {"dict", "enumerate", "frozenset", "list", "set", "sorted", "tuple"}
)
_CONSUME_ITERABLE = frozenset({"all", "any", "filter", "iter", "map", "max", "min", "sum", "zip"})
_ITERATING = _MAKE_FROM_ITERABLE | _CONSUME_ITERABLE
_COMPOUND = (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)
_SEQUENCES = (ast.Tuple, ast.List)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@functools.cache
def _messages() -> tuple[tuple[type[BaseException], Operation, re.Pattern[str]], ...]:
    """The protocol errors' patterns, compiled when a failure is first classified."""
    return tuple((kind, op, re.compile(pattern)) for kind, op, pattern in _PROTOCOL_ERRORS)


def operation_of(error: BaseException) -> Operation | None:
    """The operation a protocol error says failed, or None for any other exception."""
    if isinstance(error, AttributeError) and getattr(error, "obj", None) is not None:
        return None
    message = str(error)
    for kind, operation, pattern in _messages():
        if type(error) is kind and pattern.search(message):
            return operation
    return None


def comes_from_project(
    operation: Operation, entry: TracebackType, owns: Callable[[object], bool]
) -> bool:
    """Did the value ``operation`` failed on, at this traceback entry, come from the project?"""
    frame = entry.tb_frame
    tree = _parse(linecache.getlines(frame.f_code.co_filename, frame.f_globals))
    if tree is None:
        return False
    line = entry.tb_lineno
    candidates = [
        (node, operands)
        for node in ast.walk(tree)
        if (operands := _operands(operation, node)) and _covers(node, operands, line)
    ]
    span = _position(frame.f_code, entry.tb_lasti)
    around = [c for c in candidates if span is not None and _contains(_span(c[0]), span)]
    if around:
        candidates = [min(around, key=lambda c: _innermost_first(_span(c[0])))]
    namespaces = (frame.f_locals, frame.f_globals, frame.f_builtins)
    return bool(candidates) and all(
        any(_from_project(o, namespaces, owns) for o in operands) for _, operands in candidates
    )


def call_is_projects(entry: TracebackType, owns: Callable[[object], bool]) -> bool | None:
    """Is the call failing at this traceback entry a call of the project's code? Told when
    the failing instruction's columns single the call out (Python 3.11+) and its callee is
    a name or an attribute chain that resolves, or a method of a value that comes from the
    project (``proj.Calc().add``); else None. A signature error (``add() got an unexpected
    keyword argument``) names the function alone, which a helper of the test may share."""
    frame = entry.tb_frame
    span = _position(frame.f_code, entry.tb_lasti)
    tree = _parse(linecache.getlines(frame.f_code.co_filename, frame.f_globals))
    if span is None or tree is None:
        return None
    around = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _contains(_span(node), span)
    ]
    if not around:
        return None
    call = min(around, key=lambda node: _innermost_first(_span(node)))
    namespaces = (frame.f_locals, frame.f_globals, frame.f_builtins)
    found, value = _lookup(call.func, namespaces)
    if found:
        return owns(value)
    return True if _from_project(call.func, namespaces, owns) else None


def _parse(lines: list[str]) -> ast.Module | None:
    """The test module's syntax tree; the warnings of its source (an invalid escape) were
    the user's when it was imported, and are not repeated."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse("".join(lines))
        except (SyntaxError, ValueError):
            return None


def _operands(operation: Operation, node: ast.AST) -> list[ast.expr]:
    """The expressions whose values ``operation`` applies to, when ``node`` performs it."""
    if operation == "indexing" and isinstance(node, ast.Subscript):
        return [node.value]
    if operation == "calling" and isinstance(node, ast.Call):
        return [node.func]
    if operation in ("len()", "next()") and isinstance(node, ast.Call):
        names = ("len",) if operation == "len()" else ("next", "anext")
        return node.args[:1] if _calls_builtin(node, names) else []
    if operation == "iteration":
        return _iterated(node)
    if operation == "unpacking":
        return _unpacked(node)
    if operation == "the operator" and isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if operation == "the operator" and isinstance(node, ast.AugAssign):
        return [node.target, node.value]
    if operation == "the unary operator" and isinstance(node, ast.UnaryOp):
        return [] if _is_number(node.operand) else [node.operand]  # -1 is folded: never fails
    if operation == "comparison" and isinstance(node, ast.Compare):
        return [node.left, *node.comparators]
    if operation == "the with statement" and isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.context_expr for item in node.items]
    if operation == "await" and isinstance(node, ast.Await):
        return [node.value]
    return []


def _is_number(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float, complex))


def _calls_builtin(node: ast.Call, names: Iterable[str]) -> bool:
    return isinstance(node.func, ast.Name) and node.func.id in names


def _iterated(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [node.iter]
    if isinstance(node, _COMPREHENSIONS):
        return [generator.iter for generator in node.generators]
    if isinstance(node, ast.Starred):
        return [node.value]
    if isinstance(node, ast.Compare):
        pairs = zip(node.ops, node.comparators, strict=True)
        return [right for op, right in pairs if isinstance(op, (ast.In, ast.NotIn))]
    if isinstance(node, ast.Call) and _calls_builtin(node, _ITERATING):
        return list(node.args)
    return []


def _unpacked(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign) and any(isinstance(t, _SEQUENCES) for t in node.targets):
        return [node.value]
    if isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, _SEQUENCES):
        return [node.iter]
    return []


def _span(node: ast.AST) -> Span:
    return (
        getattr(node, "lineno", 0),
        getattr(node, "col_offset", 0),
        getattr(node, "end_lineno", None) or 0,
        getattr(node, "end_col_offset", None) or 0,
    )


def _covers(node: ast.AST, operands: list[ast.expr], line: int) -> bool:
    """Is ``line`` where ``node`` performs its operation? A ``for`` or ``with`` statement
    performs it in its header, not in its body."""
    first, _, last, _ = _span(node)
    if isinstance(node, _COMPOUND):
        last = max(_span(o)[2] for o in operands)
    return first <= line <= last


def _position(code: CodeType, lasti: int) -> Span | None:
    """The columns of the failing instruction (Python 3.11+), when recorded."""
    positions = getattr(code, "co_positions", None)
    if positions is None or lasti < 0:
        return None
    found = next(itertools.islice(positions(), lasti // 2, None), None)
    if found is None or None in found:
        return None
    line, end_line, column, end_column = found
    return line, column, end_line, end_column


def _contains(outer: Span, inner: Span) -> bool:
    return outer[:2] <= inner[:2] and outer[2:] >= inner[2:]


def _innermost_first(span: Span) -> tuple[int, int, int, int]:
    return -span[0], -span[1], span[2], span[3]


def _from_project(node: ast.expr, namespaces: Namespaces, owns: Callable[[object], bool]) -> bool:
    """Does the value of ``node`` come from the project? Judged without evaluating it."""
    if isinstance(node, ast.Await):
        return _from_project(node.value, namespaces, owns)
    if isinstance(node, ast.Call):
        return _from_project(node.func, namespaces, owns)
    if isinstance(node, (ast.Attribute, ast.Subscript)) and _from_project(
        node.value, namespaces, owns
    ):
        return True
    found, value = _lookup(node, namespaces)
    return found and owns(value)


def _lookup(node: ast.expr, namespaces: Namespaces) -> tuple[bool, object]:
    """The object a name or an attribute chain refers to, found without running a property."""
    if isinstance(node, ast.Name):
        for namespace in namespaces:
            if node.id in namespace:
                return True, namespace[node.id]
        return False, None
    if isinstance(node, ast.Attribute):
        found, base = _lookup(node.value, namespaces)
        if found:
            try:
                return True, inspect.getattr_static(base, node.attr)
            except AttributeError:
                pass
    return False, None
