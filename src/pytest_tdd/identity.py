"""Fingerprints of test code: what a piece of evidence is bound to.

A test function's fingerprint is a hash of its normalised syntax tree: whitespace,
comments, the docstring, the function's own name and its ``parametrize`` decorators do
not count, so a test that is reformatted, renamed or moved keeps its fingerprint, and a
parametrized case is identified by the function's fingerprint plus a hash of its own
parameter values (``case_fingerprint``). The normalised form is written by hand rather
than with ``ast.dump`` because ``ast.dump`` changes between Python versions, and evidence
recorded on one interpreter must hold on every other.

There are two schemes of function fingerprints, chosen with ``scheme=``. Scheme 1, the
default, is the first; evidence recorded with it depends on it, so it never changes.
Scheme 2 (``SCHEME``, the current one) is scheme 1 applied to the function as
``normalise.normalise`` leaves it: without type annotations, its local variables renamed
to positional placeholders, so mechanical edits (``Dict`` becoming ``dict``, a local
renamed) keep the evidence. A function without annotations or locals has the same
fingerprint in both schemes.

Tests are also found in the source of a module that cannot be imported
(``find_tests_in_source``), following pytest's rules of collection as far as source alone
can tell them.

Pure: no pytest import; source text and plain values in, hex strings out.
"""

from __future__ import annotations

import ast
import copy
import fnmatch
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_tdd.normalise import NAME_FIELDS, FunctionNode, renamable_sites

SCHEMES = (1, 2)
"""The fingerprint schemes there are."""
SCHEME = 2
"""The current fingerprint scheme."""

# Fields that differ between Python versions without changing what the code does.
_IGNORED_FIELDS = frozenset({"type_comment", "type_params", "kind"})
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
# unittest.mock's objects show their id() instead: <Mock name='total' id='139648097820560'>
_MOCK_ID = re.compile(r" id='[0-9]+'")


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


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


def _check_scheme(scheme: int) -> None:
    if scheme not in SCHEMES:
        raise ValueError(f"unknown fingerprint scheme {scheme!r}")


# Fields that hold statements: the only lists where normalise drops a bare annotation.
_STATEMENT_LISTS = frozenset({"body", "orelse", "finalbody"})
# Per node type: its opening, its fields rendered in scheme 2, and whether its fields are
# in a class body (True), a function (False) or where the node is (None).
_PLANS: dict[type, tuple[str, tuple[str, ...], bool | None]] = {}


def _plan(cls: type[ast.AST]) -> tuple[str, tuple[str, ...], bool | None]:
    plan = _PLANS.get(cls)
    if plan is None:
        fields = _fields(cls)
        scope: bool | None = None
        if issubclass(cls, ast.FunctionDef | ast.AsyncFunctionDef):
            fields, scope = tuple(f for f in fields if f != "returns"), False
        elif issubclass(cls, ast.ClassDef):
            scope = True
        elif issubclass(cls, ast.arg):
            fields = tuple(f for f in fields if f != "annotation")
        plan = _PLANS[cls] = ("(" + cls.__name__, fields, scope)
    return plan


def _normalised_parts(trimmed: FunctionNode, method: bool) -> list[str]:
    """What ``function_fingerprint`` renders of ``normalise(trimmed)``, rendered from
    ``trimmed`` itself: no copy of the tree is made or changed. Annotations are left out
    and, outside class bodies, an annotated assignment is rendered as the plain assignment
    it becomes (a bare one not at all), as ``normalise`` does; each renamable local is
    rendered as its placeholder, numbered by first appearance in the tree's field order,
    as ``normalise`` numbers them."""
    sites = renamable_sites(trimmed)
    numbers: dict[object, str] = {}
    name_fields = NAME_FIELDS
    annassign, joined, ast_type = ast.AnnAssign, ast.JoinedStr, ast.AST
    statement_lists = _STATEMENT_LISTS

    def render_list(items: list[Any], in_class: bool, out: list[str]) -> None:
        out.append("[")
        first = True
        for item in items:
            if not first:
                out.append(",")
            first = False
            if isinstance(item, ast_type):
                render(item, in_class, out)
            else:
                out.append(repr(item))
        out.append("]")

    def render(node: ast.AST, in_class: bool, out: list[str]) -> None:
        cls = type(node)
        if cls is annassign and not in_class:  # x: T = v is rendered as x = v
            assert isinstance(node, ast.AnnAssign)
            assert node.value is not None
            out.append("(Assign targets=[")
            render(node.target, in_class, out)
            out.append("] value=")
            render(node.value, in_class, out)
            out.append(")")
            return
        opening, fields, scope = _PLANS.get(cls) or _plan(cls)
        out.append(opening)
        if scope is not None:
            in_class = scope
        site = sites.get(id(node))
        name_field = name_fields.get(cls) if site is not None and site[0] is node else None
        for name in fields:
            value: Any
            if name == name_field:
                assert site is not None
                value = numbers.setdefault(site[1], f"${len(numbers)}")
            else:
                value = getattr(node, name, None)
                if value is None:
                    continue
            if type(value) is list:
                if cls is joined and name == "values":
                    value = [v for v in value if not _is_empty_string(v)]
                elif not in_class and name in statement_lists:
                    value = [v for v in value if type(v) is not annassign or v.value is not None]
                if not value:
                    continue
                out.append(" " + name + "=")
                render_list(value, in_class, out)
            elif isinstance(value, ast_type):
                out.append(" " + name + "=")
                render(value, in_class, out)
            else:
                out.append(" " + name + "=" + repr(value))
        out.append(")")

    # Rendered in the tree's field order (arguments, body, decorators), so that the
    # placeholders are numbered as normalise numbers them; joined in the fingerprint's.
    arguments: list[str] = []
    render(_without_self(trimmed.args) if method else trimmed.args, False, arguments)
    body: list[str] = []
    statements = [v for v in trimmed.body if type(v) is not annassign or v.value is not None]
    render_list(statements, False, body)
    decorators: list[str] = []
    render_list(trimmed.decorator_list, False, decorators)
    return [
        type(trimmed).__name__,
        "".join(arguments),
        "".join(decorators),
        "None",
        "".join(body),
    ]


def function_fingerprint(node: FunctionNode, method: bool = False, *, scheme: int = 1) -> str:
    """The fingerprint of one test function's definition, in the given scheme."""
    _check_scheme(scheme)
    trimmed = copy.copy(node)
    trimmed.body = node.body[1:] if _has_docstring(node.body) else node.body
    trimmed.decorator_list = [d for d in node.decorator_list if not _is_parametrize(d)]
    if scheme == 2:
        return _digest("\n".join(_normalised_parts(trimmed, method)))
    rendered = [
        type(trimmed).__name__,
        _normal_form(_without_self(trimmed.args) if method else trimmed.args),
        _normal_form(trimmed.decorator_list),
        _normal_form(trimmed.returns),
        _normal_form(trimmed.body),
    ]
    return _digest("\n".join(rendered))


def _first_line(node: FunctionNode) -> int:
    """The line a function object's ``co_firstlineno`` names: its first decorator."""
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _walk_functions(
    body: Iterable[ast.stmt], method: bool = False
) -> Iterator[tuple[FunctionNode, bool]]:
    """Every function of a module or class body, and whether it is a method."""
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            yield statement, method
        elif isinstance(statement, ast.ClassDef):
            yield from _walk_functions(statement.body, method=True)


@dataclass(frozen=True)
class SourceIndex:
    """Fingerprints of every function in one source file, by line.

    A function is found by its first decorator's line (what ``co_firstlineno`` names)
    and by its ``def`` line.
    """

    by_line: Mapping[int, str]

    def at_line(self, line: int) -> str | None:
        return self.by_line.get(line)


def index_source(source: str, *, scheme: int = 1) -> SourceIndex:
    """Parse a file once and fingerprint every function in it (raises SyntaxError)."""
    return index_tree(ast.parse(source), scheme=scheme)


def index_tree(tree: ast.Module, *, scheme: int = 1) -> SourceIndex:
    """Fingerprint every function of an already parsed file (the tree is not changed)."""
    _check_scheme(scheme)
    by_line: dict[int, str] = {}
    for node, method in _walk_functions(tree.body):
        fingerprint = function_fingerprint(node, method=method, scheme=scheme)
        by_line[node.lineno] = by_line[_first_line(node)] = fingerprint
    return SourceIndex(by_line)


def _matches(name: str, patterns: Sequence[str]) -> bool:
    return any(
        name.startswith(p) if not any(c in p for c in "*?[") else fnmatch.fnmatch(name, p)
        for p in patterns
    )


# Bases that make a class a ``unittest.TestCase``, bare or as an attribute (``unittest.``).
_TESTCASES = frozenset({"TestCase", "IsolatedAsyncioTestCase"})


@dataclass(eq=False)
class _Class:
    """A class found in source: its own members, as its ``__dict__`` would hold them, and
    its base classes found in the same source."""

    node: ast.ClassDef
    bases: list[_Class]
    unittest: bool
    members: dict[str, FunctionNode | _Class] = field(default_factory=dict)

    def mro(self) -> list[_Class]:
        """The method resolution order among the classes found in source: depth first,
        left to right, each class at its last place (what C3 gives for every ordinary
        hierarchy)."""
        order = [self]
        for base in self.bases:
            order += base.mro()
        return [c for number, c in enumerate(order) if c not in order[number + 1 :]]

    def is_test(self) -> bool:
        """False if the class or a base sets ``__test__`` to a false constant."""
        for cls in self.mro():
            for statement in cls.node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and [t.id for t in statement.targets if isinstance(t, ast.Name)] == ["__test__"]
                    and isinstance(statement.value, ast.Constant)
                ):
                    return bool(statement.value.value)
        return True


class _TestFinder:
    """pytest's collection of one module, as far as its source alone can tell it."""

    def __init__(self, functions: Sequence[str], classes: Sequence[str], scheme: int) -> None:
        self.functions = functions
        self.classes = classes
        self.scheme = scheme
        self.testcase_names = set(_TESTCASES)
        self.fingerprints: dict[int, str] = {}

    def namespace(
        self, body: Iterable[ast.stmt], outer: Mapping[str, _Class]
    ) -> dict[str, FunctionNode | _Class]:
        """The functions and classes a module or class body binds, each name at its first
        binding's place with its last value (as in a ``__dict__``)."""
        space: dict[str, FunctionNode | _Class] = {}
        for statement in body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                space[statement.name] = statement
            elif isinstance(statement, ast.ClassDef):
                visible = {**outer, **{k: v for k, v in space.items() if isinstance(v, _Class)}}
                space[statement.name] = self.make_class(statement, visible)
            elif isinstance(statement, ast.ImportFrom):
                self.testcase_names.update(
                    a.asname or a.name for a in statement.names if a.name in _TESTCASES
                )
        return space

    def make_class(self, node: ast.ClassDef, visible: Mapping[str, _Class]) -> _Class:
        """A class, its bases resolved to the classes defined before it."""
        cls = _Class(node, [], unittest=False)
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in visible:
                cls.bases.append(visible[base.id])
                cls.unittest |= visible[base.id].unittest
            elif isinstance(base, ast.Name):
                cls.unittest |= base.id in self.testcase_names
            elif isinstance(base, ast.Attribute):
                cls.unittest |= base.attr in _TESTCASES
        cls.members = self.namespace(node.body, visible)
        return cls

    def fingerprint(self, node: FunctionNode, method: bool) -> str:
        if id(node) not in self.fingerprints:
            self.fingerprints[id(node)] = function_fingerprint(
                node, method=method, scheme=self.scheme
            )
        return self.fingerprints[id(node)]

    def tests(
        self, space: Mapping[str, FunctionNode | _Class], scope: tuple[str, ...] = ()
    ) -> Iterator[tuple[list[str], str]]:
        for name, value in space.items():
            if isinstance(value, _Class):
                if value.unittest:
                    yield from self.unittest_tests(value, [*scope, name])
                elif _matches(name, self.classes) and value.is_test():
                    yield from self.class_tests(value, (*scope, name))
            elif _matches(name, self.functions):
                yield [*scope, name], self.fingerprint(value, method=bool(scope))

    def class_tests(self, cls: _Class, scope: tuple[str, ...]) -> Iterator[tuple[list[str], str]]:
        """A test class's tests: those it inherits first, then its own (as pytest)."""
        seen: set[str] = set()
        groups = []
        for ancestor in cls.mro():
            groups.append({k: v for k, v in ancestor.members.items() if k not in seen})
            seen.update(ancestor.members)
        for group in reversed(groups):
            yield from self.tests(group, scope)

    def unittest_tests(self, cls: _Class, scope: list[str]) -> Iterator[tuple[list[str], str]]:
        """A ``TestCase``'s tests as unittest's loader finds them: its methods and those it
        inherits whose names start with ``test``, in name order, else ``runTest``."""
        if not cls.is_test():
            return
        methods: dict[str, FunctionNode] = {}
        for ancestor in reversed(cls.mro()):
            methods.update((k, v) for k, v in ancestor.members.items() if not isinstance(v, _Class))
        names = sorted(name for name in methods if name.startswith("test"))
        if not names and "runTest" in methods:
            names = ["runTest"]
        for name in names:
            yield [*scope, name], self.fingerprint(methods[name], method=True)


def find_tests_in_source(
    source: str, functions: Sequence[str], classes: Sequence[str], *, scheme: int = 1
) -> list[tuple[list[str], str]]:
    """Test functions of a module found without importing it, as (names, fingerprint).

    ``functions`` and ``classes`` are pytest's ``python_functions`` and
    ``python_classes`` patterns (prefixes or globs). Used when a test module cannot be
    imported, so that each of its tests can still be judged. As pytest does, it finds
    the methods a test class inherits from classes in the same module, and takes a
    ``unittest.TestCase`` subclass whatever its name, with unittest's rules for its
    tests. A class is taken for a ``TestCase`` subclass if a base is written
    ``TestCase`` or ``IsolatedAsyncioTestCase`` (bare, imported under another name, or as
    an attribute such as ``unittest.TestCase``) or is such a class of the same module.
    """
    _check_scheme(scheme)
    finder = _TestFinder(functions, classes, scheme)
    return list(finder.tests(finder.namespace(ast.parse(source).body, {})))


def stable_repr(value: object) -> str:
    """``repr`` made deterministic across processes: sets sorted, addresses removed (and
    the ``id()`` in an object's ``<...>`` repr, as ``unittest.mock`` writes it)."""
    # Its type too: a Mock with a container's spec passes isinstance, and is not one
    kind = type(value)
    if isinstance(value, list | tuple) and issubclass(kind, list | tuple):
        inner = ", ".join(stable_repr(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, set | frozenset) and issubclass(kind, set | frozenset):
        return "{" + ", ".join(sorted(stable_repr(v) for v in value)) + "}"
    if isinstance(value, dict) and issubclass(kind, dict):
        items = (f"{stable_repr(k)}: {stable_repr(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    text = _ADDRESS.sub("", repr(value))
    return _MOCK_ID.sub("", text) if text.startswith("<") else text


def case_fingerprint(params: Mapping[str, object]) -> str:
    """The fingerprint of one parametrized case's own parameter values."""
    return _digest("\n".join(f"{k}={stable_repr(params[k])}" for k in sorted(params)))


def doctest_fingerprint(examples: Iterable[tuple[str, str]]) -> str:
    """The fingerprint of a doctest: its examples' source and expected output."""
    return _digest("\n".join(f"{src.strip()}\n{want.strip()}" for src, want in examples))
