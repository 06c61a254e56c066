"""The test code a test depends on, beyond its own function: found, then digested.

A test's fingerprint (``identity``) covers its own function only, so a test that was seen
failing could be turned green by weakening a helper it calls (``assert status ==
expected`` becoming ``assert status in (expected, 405)``) without a line of project code.
``dependency_digest`` is a hash of the test code the test depends on, for evidence to be
bound to as well; it is ``None`` for a test that depends on no test code besides itself.

What counts, found statically (the source is parsed, nothing is executed):

* **Helpers by name.** The module-level definitions of the test's module that the test
  reaches by name: the free names its body loads (names bound in the function, its nested
  functions' enclosing scopes or a comprehension are not free; ``global`` names are), its
  decorators and its default values, not its annotations (they do not run the code they
  name); then, transitively, what each of those reaches (another test too, when it is
  called by name). A
  definition is every module-level statement that binds the name: ``def``, ``class``, and
  assignments to simple names (``EXPECTED = 405``, ``CASES += [...]``), also inside
  module-level ``if``/``try``/``with`` blocks. A class reached by name counts whole (all its
  methods, and what they reach). In a method, ``self.name`` (through the first parameter)
  reaches the member ``name`` of the test's class or of its bases in test code.
* **Imported test code.** A name bound by an import (``from support import check``,
  ``import support as s`` with ``s.check``, ``import pkg.tests.factories`` with
  ``pkg.tests.factories.make``, relative imports, ``from support import *``) is followed
  into the imported module when that module's file is test code (``reasons.Origins``: in a
  ``tests``/``test``/``testing`` folder or named ``test_*.py``/``*_test.py``/
  ``conftest.py``, inside the root, not installed), and the name is taken there the same
  way, across further imports. Library and project modules are not followed. A module is
  found through ``sys.modules`` (absolute imports: the test module is imported when its
  items are collected) or through the file system (relative imports).
* **Fixtures in test code.** For each name in ``item.fixturenames`` (every fixture the test
  requests, directly, through other fixtures or as ``autouse``), its nearest definition by
  pytest's rules: in the test's class (and its bases, then the enclosing classes), then in
  the test's module, then in the ``conftest.py`` files from the test's folder up to the
  root (closest first), then in the modules named by their ``pytest_plugins``. Fixtures are
  ``@pytest.fixture``/``@fixture`` functions, under their ``name=`` when given; a module's
  fixtures include those it imports (also with ``*``) from test code. A fixture that
  requests its own name (overriding the one further out) brings the next definition too.
  The fixture's code counts, and what it reaches by name.
* **xunit setup**: ``setup_module``/``teardown_module`` (and the unittest spellings), and
  ``setup_function``/``teardown_function`` or the class's ``setup_method``,
  ``setup_class`` (and ``teardown_*``, ``setUp``, ``tearDown``...).
* **Parameter values that their ``repr`` does not tell** (``opaque``): a lambda or function
  of test code by its source, an instance of a test-code class without a ``__repr__`` by
  its attributes; a line each, added to the digest only when a case has such a value.

The digest is a hash of the sorted lines ``<qualified name> <definition digest>`` of every
definition reached, the test's own function excepted; a definition's digest is the hash of
its normalised code (``identity``'s rendering: comments, formatting and docstrings do not
count). So the digest does not change when another test, an unused helper, the order of
the definitions or the layout of the code changes, and does when any definition reached
changes; it does not name files, so moving a helper to another module keeps it.

Limits (what is not seen):

* dynamic access: ``getattr(module, name)``, ``globals()[...]``, a module passed around as
  a value (only ``module.name`` chains are followed), ``request.getfixturevalue(name)``;
* imports inside functions (only module-level imports are followed), and absolute imports
  of modules that are not in ``sys.modules`` when the digest is taken;
* fixtures defined outside test code (plugins, pytest's own): their code is not test code;
  fixtures imported under another name than their fixture name, or registered by hooks;
* statements that change a definition without binding its name (``CASES.append(...)``,
  ``setattr``), and module-level ``for``/``while`` blocks;
* a name used as a direct ``parametrize`` argument that is also a fixture in test code:
  the fixture is counted although pytest does not call it;
* a decorated test whose wrapper hides the original function (no ``__wrapped__``): only its
  fixtures count; a class made at run time (``type(...)``): its members through ``self``
  and its own fixtures are not seen.

The pure part (source text in: ``index_source``/``index_tree``, ``ModuleIndex``,
``reached``) is kept apart from the part that takes a collected ``pytest.Item``
(``ClosureCache``, ``dependency_digest``, ``dependencies``).

Cost: each file is read and parsed at most once per ``ClosureCache`` (keyed on its
content; ``index_tree`` takes a tree parsed elsewhere, so that the fingerprints and this
index can share one parse). What each definition loads is found while the tree is at
hand, and only for a definition whose source lines mention a name of its module (a regular
expression says so; the others are not walked); then the tree is dropped: keeping every
test module's tree alive doubles what the garbage collector costs for the rest of the run.
A definition's digest is taken when first needed, from its own lines parsed again. Per
test, what its fixtures reach is kept for the next test with the same fixtures, and what
the definitions it reaches reach is kept too; a test's own function is walked once.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import pytest

from pytest_tdd import identity
from pytest_tdd.opaque import Opaque
from pytest_tdd.reasons import Origins

Chain = tuple[str, ...]  # a name as loaded, with its attributes: ("s", "check") for s.check
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_FIXTURE_DECORATORS = frozenset({"fixture", "yield_fixture"})
_MODULE_XUNIT = ("setup_module", "teardown_module", "setUpModule", "tearDownModule")
_FUNCTION_XUNIT = ("setup_function", "teardown_function")
_CLASS_XUNIT = (
    "setup_class",
    "teardown_class",
    "setup_method",
    "teardown_method",
    "setUpClass",
    "tearDownClass",
    "setUp",
    "tearDown",
)


# -- rendering: the one place that turns code into text to hash --------------------------


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _render_function(node: FunctionNode) -> str:
    """A function's code without its name and docstring (identity's fingerprint, in the
    current scheme: annotations and the names of locals do not count)."""
    return identity.function_fingerprint(node, scheme=identity.SCHEME)


def _render_node(node: object) -> str:
    """Any syntax tree, version-independent (identity's normal form)."""
    return identity._normal_form(node)


def _without_docstring(body: Sequence[ast.stmt]) -> Sequence[ast.stmt]:
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return body[1:]
    return body


def _render_class(node: ast.ClassDef) -> str:
    parts = [
        "class",
        _render_node(node.decorator_list),
        _render_node(node.bases),
        _render_node(node.keywords),
    ]
    for statement in _without_docstring(node.body):
        if isinstance(statement, _FUNCTIONS):
            parts.append(f"def {statement.name} {_render_function(statement)}")
        elif isinstance(statement, ast.ClassDef):
            parts.append(f"class {statement.name} {_render_class(statement)}")
        else:
            parts.append(_render_node(statement))
    return _digest("\n".join(parts))


def _render_statement(statement: ast.stmt) -> str:
    if isinstance(statement, _FUNCTIONS):
        return _render_function(statement)
    if isinstance(statement, ast.ClassDef):
        return _render_class(statement)
    return _render_node(statement)


# -- scopes: which names a piece of code loads from its module ----------------------------


class _Scope:
    """The names one scope loads and binds, and its nested scopes."""

    __slots__ = ("bound", "children", "declared", "is_class", "loads")

    def __init__(self, is_class: bool = False) -> None:
        self.loads: list[Chain] = []
        self.bound: set[str] = set()
        self.declared: set[str] = set()  # declared ``global``
        self.children: list[_Scope] = []
        self.is_class = is_class

    def free(self) -> list[tuple[Chain, bool]]:
        """The names loaded here or in nested scopes and bound in none of them, each with
        whether it was declared ``global`` (then no enclosing scope can bind it)."""
        local = self.bound - self.declared
        found = [(c, c[0] in self.declared) for c in self.loads if c[0] not in local]
        for child in self.children:
            for chain, declared in child.free():
                # A class body's names are not visible in the scopes nested in it.
                if declared or self.is_class or chain[0] not in local:
                    found.append((chain, declared))
        return found


def _chain(node: ast.Attribute) -> tuple[Chain | None, ast.expr]:
    """``a.b.c`` as ("a", "b", "c"), or None when it does not start with a name; and the
    expression it starts with."""
    attributes = []
    value: ast.expr = node
    while isinstance(value, ast.Attribute):
        attributes.append(value.attr)
        value = value.value
    if isinstance(value, ast.Name):
        return (value.id, *reversed(attributes)), value
    return None, value


def _defaults(args: ast.arguments) -> list[ast.expr]:
    return [*args.defaults, *(d for d in args.kw_defaults if d is not None)]


def _function_scope(args: ast.arguments, body: Iterable[ast.AST]) -> _Scope:
    scope = _Scope()
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if arg is not None:
            scope.bound.add(arg.arg)
    for statement in body:
        _scan(statement, scope)
    return scope


# Fields that hold names, numbers or annotations-to-be (type parameters), never code to scan.
_PLAIN_FIELDS = frozenset(
    {
        "ctx", "id", "attr", "name", "arg", "asname", "module", "level", "kind", "names",
        "type_comment", "is_async", "simple", "conversion", "kwd_attrs", "rest", "tag",
        "type_params",
    }
)  # fmt: skip
_CODE_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _children(node: ast.AST) -> list[ast.AST | None]:
    kind = type(node)
    fields = _CODE_FIELDS.get(kind)
    if fields is None:
        fields = _CODE_FIELDS[kind] = tuple(f for f in kind._fields if f not in _PLAIN_FIELDS)
    children: list[ast.AST | None] = []
    for name in fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            children.extend(value)
        elif value is not None:
            children.append(value)
    return children


# Each kind of node that opens a scope, binds names or holds an annotation has a handler:
# it records what the node binds and returns what is left to scan in the same scope.
_Handler = Callable[[Any, _Scope], Iterable[ast.AST | None]]


def _on_function(node: FunctionNode, scope: _Scope) -> list[ast.expr]:
    scope.bound.add(node.name)
    scope.children.append(_function_scope(node.args, node.body))
    return [*node.decorator_list, *_defaults(node.args)]


def _on_lambda(node: ast.Lambda, scope: _Scope) -> list[ast.expr]:
    scope.children.append(_function_scope(node.args, [node.body]))
    return _defaults(node.args)


def _on_class(node: ast.ClassDef, scope: _Scope) -> list[ast.AST]:
    scope.bound.add(node.name)
    body = _Scope(is_class=True)
    for statement in node.body:
        _scan(statement, body)
    scope.children.append(body)
    return [*node.decorator_list, *node.bases, *node.keywords]


def _on_comprehension(
    node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, scope: _Scope
) -> list[ast.expr]:
    child = _Scope()
    for number, generator in enumerate(node.generators):
        if number:
            _scan(generator.iter, child)
        _scan(generator.target, child)
        for condition in generator.ifs:
            _scan(condition, child)
    results = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
    for result in results:
        _scan(result, child)
    scope.children.append(child)
    return [node.generators[0].iter]  # evaluated in the enclosing scope


def _on_global(node: ast.Global, scope: _Scope) -> tuple[()]:
    scope.declared.update(node.names)
    return ()


def _on_import(node: ast.Import | ast.ImportFrom, scope: _Scope) -> tuple[()]:
    for alias in node.names:
        if alias.name != "*":
            scope.bound.add(alias.asname or alias.name.partition(".")[0])
    return ()


def _on_annotated(node: ast.AnnAssign, scope: _Scope) -> list[ast.expr | None]:
    return [node.target, node.value]


def _on_named(node: ast.AST, scope: _Scope) -> list[ast.AST | None]:
    """``except ... as name`` and the match patterns that bind a name."""
    for field_name in ("name", "rest"):
        name = getattr(node, field_name, None)
        if isinstance(name, str):
            scope.bound.add(name)
    return _children(node)


_HANDLERS: dict[type[ast.AST], _Handler] = {
    ast.FunctionDef: _on_function,
    ast.AsyncFunctionDef: _on_function,
    ast.Lambda: _on_lambda,
    ast.ClassDef: _on_class,
    ast.ListComp: _on_comprehension,
    ast.SetComp: _on_comprehension,
    ast.GeneratorExp: _on_comprehension,
    ast.DictComp: _on_comprehension,
    ast.Global: _on_global,
    ast.Import: _on_import,
    ast.ImportFrom: _on_import,
    ast.AnnAssign: _on_annotated,
    ast.ExceptHandler: _on_named,
    ast.MatchAs: _on_named,
    ast.MatchStar: _on_named,
    ast.MatchMapping: _on_named,
}
# Nodes without code in them.
_LEAVES: frozenset[type[ast.AST]] = frozenset(
    {
        ast.Constant,
        ast.Pass,
        ast.Break,
        ast.Continue,
        ast.MatchSingleton,
        *ast.expr_context.__subclasses__(),
        *ast.operator.__subclasses__(),
        *ast.cmpop.__subclasses__(),
        *ast.unaryop.__subclasses__(),
        *ast.boolop.__subclasses__(),
    }
)


def _scan(root: ast.AST, scope: _Scope) -> None:
    """Record what ``root`` loads and binds in ``scope`` (annotations are left out: they
    do not run the code they name)."""
    stack: list[ast.AST | None] = [root]
    loads = scope.loads
    while stack:
        node = stack.pop()
        if node is None:
            continue
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loads.append((node.id,))
            else:
                scope.bound.add(node.id)
            continue
        if isinstance(node, ast.Attribute):
            chain, start = _chain(node)
            if chain is None:
                stack.append(start)
            elif isinstance(node.ctx, ast.Load):
                loads.append(chain)
            else:
                loads.append(chain[:-1])
            continue
        kind = type(node)
        if kind in _LEAVES:
            continue
        handler = _HANDLERS.get(kind)
        stack.extend(_children(node) if handler is None else handler(node, scope))


def _loads_through(scope: _Scope, name: str) -> Iterator[str]:
    """The attributes loaded from ``name`` (``self.x`` gives x) in a scope and those nested
    in it."""
    for chain in scope.loads:
        if chain[0] == name and len(chain) > 1:
            yield chain[1]
    for child in scope.children:
        yield from _loads_through(child, name)


# -- the pure index of one module ----------------------------------------------------------


@dataclass(frozen=True)
class Import:
    """One name bound by an import: ``from <.level><module> import <name>``, or
    ``import <module>`` when ``name`` is None."""

    module: str  # dotted, without the leading dots of a relative import
    level: int  # 0: absolute; 1: from .; 2: from ..
    name: str | None


@dataclass(frozen=True)
class Definition:
    """One module-level name (or class member), as far as the closure needs it."""

    digest: str  # of the normalised code of every statement that binds the name
    names: frozenset[Chain]  # module-level names it loads (with their attributes)
    members: frozenset[str]  # members it loads through its first parameter (self.x)


@dataclass(frozen=True)
class ClassIndex:
    """One class: its members, its fixtures and its bases."""

    bases: tuple[Chain, ...]
    members: frozenset[str]
    fixtures: Mapping[str, tuple[str, ...]]  # fixture name -> members defining it
    overriding: frozenset[str]  # fixture members that request their own fixture name


# Where a statement is: its first line (its first decorator's), its last line, and its
# column (in UTF-8 bytes, as ``ast`` counts). A plain tuple of numbers, which the garbage
# collector stops tracking (a named tuple it tracks forever), one per definition.
_Span = tuple[int, int, int]


References = tuple[tuple[Chain, ...], tuple[str, ...]]  # sorted: names, members
_NO_REFERENCES: References = ((), ())
_LINE_BREAK = re.compile(r"\r\n?|\n")  # the line breaks of Python's tokenizer
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _span(node: ast.stmt) -> _Span:
    return (_first_line(node), node.end_lineno or node.lineno, node.col_offset)


def _parse_span(lines: Sequence[str], span: _Span) -> ast.stmt:
    """Parse one statement again from its own lines: an indented one (a method, a
    definition in an ``if`` block) under ``if 1:``, whatever precedes it on its first line
    (``x = 1; y = 2``, ``if a: y = 2``) blanked out."""
    first_line, last_line, column = span
    first = lines[first_line - 1]
    if column:
        raw = first.encode("utf-8")
        if raw[:column].strip():
            first = " " * column + raw[column:].decode("utf-8")
    text = "\n".join([first, *lines[first_line:last_line]])
    if not column:
        return ast.parse(text).body[0]
    block = ast.parse("if 1:\n" + text).body[0]
    assert isinstance(block, ast.If)
    return block.body[0]


def _fixture_name(node: FunctionNode) -> str | None:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        called = (
            target.id
            if isinstance(target, ast.Name)
            else target.attr
            if isinstance(target, ast.Attribute)
            else None
        )
        if called not in _FIXTURE_DECORATORS:
            continue
        if isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                value = keyword.value
                if (
                    keyword.arg == "name"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    return value.value
        return node.name
    return None


def _requests(node: FunctionNode, name: str, method: bool) -> bool:
    positional = [*node.args.posonlyargs, *node.args.args][1 if method else 0 :]
    return any(arg.arg == name for arg in (*positional, *node.args.kwonlyargs))


def _target_names(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


def _bound_names(statement: ast.stmt) -> Iterator[str]:
    """The simple names a definition or assignment statement binds."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield statement.name
    elif isinstance(statement, ast.Assign):
        for target in statement.targets:
            yield from _target_names(target)
    elif isinstance(statement, ast.AugAssign) or (
        isinstance(statement, ast.AnnAssign) and statement.value is not None
    ):
        yield from _target_names(statement.target)


def _blocks(statement: ast.stmt) -> Iterator[Sequence[ast.stmt]]:
    """The bodies of a module-level ``if``/``try``/``with`` statement."""
    if isinstance(statement, (ast.If, ast.Try, ast.With, ast.AsyncWith)) or (
        type(statement).__name__ == "TryStar"
    ):
        for name in ("body", "orelse", "finalbody"):
            yield getattr(statement, name, [])
        for handler in getattr(statement, "handlers", []):
            yield handler.body


def _plugins(statement: ast.stmt) -> tuple[str, ...] | None:
    if not (
        isinstance(statement, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in statement.targets)
    ):
        return None
    value = statement.value
    values = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
    return tuple(
        v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
    )


def _references(
    statement: ast.stmt,
    span: _Span,
    path: Chain,
    lines: Sequence[str],
    heads: AbstractSet[str],
    open_names: bool,
) -> References:
    """The module-level names (in ``heads``, or any when ``open_names``) that one statement
    loads, and the members it loads through its first parameter when it is a method."""
    method = len(path) > 1
    self_name = None
    if method and isinstance(statement, _FUNCTIONS):
        positional = [*statement.args.posonlyargs, *statement.args.args]
        self_name = positional[0].arg if positional else None
    words = set(_IDENTIFIER.findall("\n".join(lines[span[0] - 1 : span[1]])))
    if not method:
        words.discard(path[0])  # the definition itself, reached already
    if not open_names and heads.isdisjoint(words) and self_name not in words:
        return _NO_REFERENCES  # mentions none of them: no need to walk it
    top = _Scope()
    _scan(statement, top)
    chains = top.loads + [c for child in top.children for c, _ in child.free()]
    names = {c for c in chains if open_names or c[0] in heads}
    members: set[str] = set()
    if self_name is not None and top.children:
        members.update(_loads_through(top.children[-1], self_name))
    return tuple(sorted(names)), tuple(sorted(members))


@dataclass(frozen=True, eq=False)
class ModuleIndex:
    """What one module defines and imports at module level, and its fixtures.

    Holds no syntax tree (a run would keep every test module's tree alive, which the
    garbage collector pays for): what each definition loads is found while the tree is at
    hand, and a definition's digest is taken, when first asked for, from its own lines
    parsed again.
    """

    names: frozenset[str]  # bound at module level by definitions and assignments
    imports: Mapping[str, tuple[Import, ...]]  # name -> imports that bind it
    star_imports: tuple[Import, ...]
    classes: Mapping[Chain, ClassIndex]  # every class, module-level or nested, by its path
    fixtures: Mapping[str, tuple[str, ...]]  # fixture name -> functions defining it
    fixture_names: Mapping[str, str]  # fixture function -> its fixture name
    overriding: frozenset[str]  # fixture functions that request their own fixture name
    plugins: tuple[str, ...]  # the module's ``pytest_plugins``
    spans: Mapping[Chain, tuple[_Span, ...]] = field(repr=False)  # definition -> statements
    found: Mapping[Chain, References] = field(repr=False)  # definition -> what it loads
    lines: Sequence[str] = field(repr=False)
    _digests: dict[Chain, str | None] = field(default_factory=dict, repr=False)

    def references(self, path: Chain) -> References:
        """The module-level names the definition at ``path`` loads (with their attributes:
        ("s", "check") for ``s.check``), and the members it loads through its first
        parameter when it is a method; both sorted."""
        return self.found.get(path, _NO_REFERENCES)

    def digest(self, path: Chain) -> str | None:
        """The digest of the normalised code of the definition at ``path``."""
        if path not in self._digests:
            spans = self.spans.get(path, ())
            rendered = (_render_statement(_parse_span(self.lines, s)) for s in spans)
            self._digests[path] = _digest("\n".join(rendered)) if spans else None
        return self._digests[path]

    def definition(self, path: Chain) -> Definition | None:
        """The definition at ``path`` (``("name",)``, or ``("Class", "member")``)."""
        digest = self.digest(path)
        if digest is None:
            return None
        names, members = self.references(path)
        return Definition(digest, frozenset(names), frozenset(members))

    def member(self, owner: Chain, name: str) -> Chain | None:
        """Where ``self.name`` is defined for an instance of the class ``owner``: in it or in
        a base class of this module (nearest first)."""
        for path in self.lineage(owner):
            if name in self.classes[path].members:
                return (*path, name)
        return None

    def lineage(self, owner: Chain) -> list[Chain]:
        """The class ``owner`` and its bases defined in this module, nearest first."""
        found: list[Chain] = []
        stack = [owner]
        while stack:
            path = stack.pop(0)
            if path in found or path not in self.classes:
                continue
            found.append(path)
            stack.extend(b for b in self.classes[path].bases if len(b) == 1)
        return found


class _Builder:
    """Collects the index of one module while its tree is at hand."""

    def __init__(self) -> None:
        self.spans: dict[Chain, list[_Span]] = {}
        self.statements: list[tuple[Chain, ast.stmt, _Span]] = []
        self.imports: dict[str, list[Import]] = {}
        self.star_imports: list[Import] = []
        self.classes: dict[Chain, ClassIndex] = {}
        self.fixtures: dict[str, list[str]] = {}
        self.fixture_names: dict[str, str] = {}
        self.overriding: set[str] = set()
        self.plugins: tuple[str, ...] = ()

    def bind(self, path: Chain, statement: ast.stmt) -> None:
        span = _span(statement)
        self.spans.setdefault(path, []).append(span)
        self.statements.append((path, statement, span))

    def visit(self, body: Sequence[ast.stmt]) -> None:
        for statement in body:
            for name in _bound_names(statement):
                self.bind((name,), statement)
            if isinstance(statement, _FUNCTIONS):
                fixture = _fixture_name(statement)
                if fixture is not None:
                    self.fixtures.setdefault(fixture, []).append(statement.name)
                    self.fixture_names[statement.name] = fixture
                    if _requests(statement, fixture, method=False):
                        self.overriding.add(statement.name)
            elif isinstance(statement, ast.ClassDef):
                self.visit_class(statement, (statement.name,))
            elif isinstance(statement, ast.Import):
                for alias in statement.names:
                    if alias.asname:
                        bound, module = alias.asname, alias.name
                    else:
                        bound = module = alias.name.partition(".")[0]
                    self.imports.setdefault(bound, []).append(Import(module, 0, None))
            elif isinstance(statement, ast.ImportFrom):
                module = statement.module or ""
                for alias in statement.names:
                    if alias.name == "*":
                        self.star_imports.append(Import(module, statement.level, None))
                    else:
                        found = Import(module, statement.level, alias.name)
                        self.imports.setdefault(alias.asname or alias.name, []).append(found)
            else:
                self.plugins = _plugins(statement) or self.plugins
                for block in _blocks(statement):
                    self.visit(block)

    def visit_class(self, node: ast.ClassDef, path: Chain) -> None:
        members: set[str] = set()
        fixtures: dict[str, list[str]] = {}
        overriding = set()
        for statement in node.body:
            for name in _bound_names(statement):
                members.add(name)
                self.bind((*path, name), statement)
            if isinstance(statement, _FUNCTIONS):
                fixture = _fixture_name(statement)
                if fixture is not None:
                    fixtures.setdefault(fixture, []).append(statement.name)
                    if _requests(statement, fixture, method=True):
                        overriding.add(statement.name)
            elif isinstance(statement, ast.ClassDef):
                self.visit_class(statement, (*path, statement.name))
        bases: list[Chain] = []
        for base in node.bases:
            if isinstance(base, ast.Name):
                bases.append((base.id,))
            elif isinstance(base, ast.Attribute):
                chain, _ = _chain(base)
                if chain is not None:
                    bases.append(chain)
        self.classes[path] = ClassIndex(
            tuple(bases),
            frozenset(members),
            {k: tuple(v) for k, v in fixtures.items()},
            frozenset(overriding),
        )

    def build(self, lines: Sequence[str]) -> ModuleIndex:
        names = frozenset(p[0] for p in self.spans if len(p) == 1)
        heads = names | self.imports.keys()
        open_names = bool(self.star_imports)
        found: dict[Chain, References] = {}
        for path, statement, span in self.statements:
            references = _references(statement, span, path, lines, heads, open_names)
            if references is _NO_REFERENCES:
                continue
            if path in found:  # a name bound by several statements
                old_names, old_members = found[path]
                references = (
                    tuple(sorted({*old_names, *references[0]})),
                    tuple(sorted({*old_members, *references[1]})),
                )
            found[path] = references
        return ModuleIndex(
            names=names,
            imports={k: tuple(v) for k, v in self.imports.items()},
            star_imports=tuple(self.star_imports),
            classes=self.classes,
            fixtures={k: tuple(v) for k, v in self.fixtures.items()},
            fixture_names=self.fixture_names,
            overriding=frozenset(self.overriding),
            plugins=self.plugins,
            spans={k: tuple(v) for k, v in self.spans.items()},
            found=found,
            lines=lines,
        )


def index_tree(tree: ast.Module, source: str) -> ModuleIndex:
    """Index an already parsed module (``source`` is its text); keeps no part of the
    tree."""
    builder = _Builder()
    builder.visit(tree.body)
    return builder.build(_LINE_BREAK.split(source))


def index_source(source: str) -> ModuleIndex:
    """Parse a module and index it (raises SyntaxError)."""
    return index_tree(ast.parse(source), source)


def reached(index: ModuleIndex, path: Chain) -> list[Chain]:
    """The definitions of one module that the definition at ``path`` reaches by name,
    transitively, itself excepted, sorted (imports are not followed: that is the part
    that needs the imported modules)."""
    owner = path[:-1] if len(path) > 1 else None
    seen = {path}
    stack = [path]
    while stack:
        names, members = index.references(stack.pop())
        targets: list[Chain] = [(c[0],) for c in names if c[0] in index.names]
        if owner is not None:
            targets.extend(p for m in members if (p := index.member(owner, m)) is not None)
        for target in targets:
            if target not in seen:
                seen.add(target)
                stack.append(target)
    seen.discard(path)
    return sorted(seen)


# -- the part that takes collected items ---------------------------------------------------


ClassLocation = tuple[str, Chain]  # (file, path of the class in it)


class _Node(NamedTuple):
    """One definition reached: where it is, and for a member, the class ``self`` is."""

    file: str
    path: Chain
    owner: ClassLocation | None = None


class _Module(NamedTuple):
    """A module an import names: its file (None for a namespace package), its dotted name
    when known, and its folder when it is a package found by path."""

    file: str | None
    name: str | None = None
    directory: str | None = None


class _Place(NamedTuple):
    """One place a fixture is looked up: a class (with the class ``self`` is) or a module."""

    kind: Literal["class", "module"]
    file: str
    path: Chain = ()
    owner: ClassLocation | None = None


@dataclass(frozen=True, order=True)
class Dependency:
    """One definition a test depends on."""

    name: str  # qualified in its module: "check", "TestA.helper"
    path: str  # its file, relative to the root (posix), or as found when outside
    digest: str


class ClosureCache:
    """Per run: each file read and parsed at most once (modules with the same content share
    one index), and what was resolved for one test kept for the next."""

    def __init__(self, parsed: dict[str, ModuleIndex | None] | None = None) -> None:
        # ``parsed``: indexes of files already parsed elsewhere (``SourceCache.modules``).
        self._by_file: dict[str, ModuleIndex | None] = {} if parsed is None else parsed
        self._by_content: dict[str, ModuleIndex | None] = {}
        self._resolvers: dict[Path, _Resolver] = {}

    def index(self, filename: str) -> ModuleIndex | None:
        """The index of a file, or None when it cannot be read or parsed."""
        if filename in self._by_file:
            return self._by_file[filename]
        index = None
        try:
            data = Path(filename).read_bytes()
        except OSError:
            data = None
        if data is not None:
            key = hashlib.blake2b(data, digest_size=16).hexdigest()
            if key in self._by_content:
                index = self._by_content[key]
            else:
                try:
                    index = index_source(importlib.util.decode_source(data))
                except (SyntaxError, UnicodeDecodeError, ValueError, LookupError):
                    index = None
                self._by_content[key] = index
        self._by_file[filename] = index
        return index

    def resolver(self, rootpath: Path) -> _Resolver:
        resolver = self._resolvers.get(rootpath)
        if resolver is None:
            resolver = self._resolvers[rootpath] = _Resolver(self, rootpath)
        return resolver


class _Resolver:
    """Follows names across test-code modules and finds fixtures, for one root."""

    def __init__(self, cache: ClosureCache, rootpath: Path) -> None:
        self.cache = cache
        self.root = os.path.abspath(rootpath)
        self.origins = Origins(rootpath)
        self._resolved: dict[tuple[str, Chain], tuple[_Node, ...]] = {}
        self._reach: dict[_Node, frozenset[_Node]] = {}
        self._lineages: dict[ClassLocation, tuple[ClassLocation, ...]] = {}
        self._conftests: dict[str, tuple[str, ...]] = {}
        self._places: dict[tuple[ClassLocation | None, str], tuple[_Place, ...]] = {}
        self._fixtures: dict[tuple[ClassLocation | None, str, str], tuple[_Node, ...]] = {}
        self._around: dict[tuple[object, ...], frozenset[_Node]] = {}
        self._classes: dict[type, ClassLocation | None] = {}
        self._digests: dict[frozenset[_Node], str] = {}
        self.opaque = Opaque(self._is_test)

    # modules

    def _is_test(self, filename: str) -> bool:
        return self.origins.of_file(filename) == "test"

    def _module_named(self, name: str) -> _Module | None:
        module = sys.modules.get(name)
        if module is None:
            return None
        filename = getattr(module, "__file__", None)
        return _Module(filename if isinstance(filename, str) else None, name)

    def _module_at(self, base: str) -> _Module | None:
        """The module at a path without its ``.py``: a file or a package folder."""
        if os.path.isfile(base + ".py"):
            return _Module(base + ".py")
        if os.path.isdir(base):
            init = os.path.join(base, "__init__.py")
            return _Module(init if os.path.isfile(init) else None, None, base)
        return None

    def _imported(self, importer: str, found: Import) -> _Module | None:
        if not found.level:
            return self._module_named(found.module)
        base = os.path.dirname(importer)
        for _ in range(found.level - 1):
            base = os.path.dirname(base)
        return self._module_at(os.path.join(base, *found.module.split(".")))

    def _submodule(self, module: _Module, name: str) -> _Module | None:
        if module.name is not None:
            return self._module_named(f"{module.name}.{name}")
        if module.directory is not None:
            return self._module_at(os.path.join(module.directory, name))
        return None

    def _attribute(self, module: _Module, chain: Chain) -> tuple[_Node, ...]:
        """What ``module.a.b`` names, for chain ("a", "b"): definitions in test code."""
        if module.file is not None and self._is_test(module.file):
            found = self.resolve(module.file, chain)
            if found:
                return found
        submodule = self._submodule(module, chain[0])
        if submodule is not None and len(chain) > 1:
            return self._attribute(submodule, chain[1:])
        return ()

    def resolve(self, filename: str, chain: Chain) -> tuple[_Node, ...]:
        """The definitions that a name loaded in a module stands for."""
        key = (filename, chain)
        found = self._resolved.get(key)
        if found is not None:
            return found
        self._resolved[key] = ()  # an import cycle ends here
        index = self.cache.index(filename)
        nodes: list[_Node] = []
        if index is not None:
            head = chain[0]
            if head in index.names:
                nodes.append(_Node(filename, (head,)))
            for imported in index.imports.get(head, ()):
                module = self._imported(filename, imported)
                if module is None:
                    continue
                if imported.name is not None:
                    nodes.extend(self._attribute(module, (imported.name, *chain[1:])))
                elif len(chain) > 1:
                    nodes.extend(self._attribute(module, chain[1:]))
            if head not in index.names and head not in index.imports:
                for imported in index.star_imports:
                    module = self._imported(filename, imported)
                    if module is not None and module.file and self._is_test(module.file):
                        nodes.extend(self.resolve(module.file, chain))
        found = self._resolved[key] = tuple(dict.fromkeys(nodes))
        return found

    # classes

    def lineage(self, location: ClassLocation) -> tuple[ClassLocation, ...]:
        """A class and its bases in test code, nearest first (only classes with a class
        statement)."""
        found = self._lineages.get(location)
        if found is not None:
            return found
        filename, path = location
        index = self.cache.index(filename)
        owner = index.classes.get(path) if index is not None else None
        if owner is None:  # no class statement: a class made at run time
            self._lineages[location] = ()
            return ()
        self._lineages[location] = (location,)  # a cycle ends here
        lineage = [location]
        for base in owner.bases:
            for node in self.resolve(filename, base):
                base_index = self.cache.index(node.file)
                if base_index is not None and node.path in base_index.classes:
                    lineage.extend(self.lineage((node.file, node.path)))
        found = self._lineages[location] = tuple(dict.fromkeys(lineage))
        return found

    def member(self, owner: ClassLocation, name: str) -> tuple[_Node, ...]:
        for filename, path in self.lineage(owner):
            index = self.cache.index(filename)
            if index is not None and name in index.classes[path].members:
                return (_Node(filename, (*path, name), owner),)
        return ()

    def class_location(self, cls: type) -> ClassLocation | None:
        if cls in self._classes:
            return self._classes[cls]
        filename = getattr(sys.modules.get(cls.__module__), "__file__", None)
        qualname = cls.__qualname__
        location = None
        if isinstance(filename, str) and "<" not in qualname:
            location = (filename, tuple(qualname.split(".")))
        self._classes[cls] = location
        return location

    # the graph

    def edges(self, node: _Node) -> Iterator[_Node]:
        index = self.cache.index(node.file)
        if index is None:
            return
        names, members = index.references(node.path)
        for chain in names:
            yield from self.resolve(node.file, chain)
        if node.owner is not None:
            for name in members:
                yield from self.member(node.owner, name)

    def reach(self, node: _Node) -> frozenset[_Node]:
        """The node and every node it reaches (kept: nodes other than tests are shared)."""
        found = self._reach.get(node)
        if found is None:
            seen = {node}
            stack = [node]
            while stack:
                for target in self.edges(stack.pop()):
                    if target not in seen:
                        seen.add(target)
                        stack.append(target)
            found = self._reach[node] = frozenset(seen)
        return found

    # fixtures

    def conftests(self, directory: str) -> tuple[str, ...]:
        """The conftest.py files from a folder up to the root, closest first."""
        found = self._conftests.get(directory)
        if found is None:
            inside = directory == self.root or directory.startswith(self.root + os.sep)
            if not inside:
                found = ()
            else:
                here = os.path.join(directory, "conftest.py")
                up = self.conftests(os.path.dirname(directory)) if directory != self.root else ()
                found = (here, *up) if os.path.isfile(here) else up
            self._conftests[directory] = found
        return found

    def places(self, owner: ClassLocation | None, module: str) -> tuple[_Place, ...]:
        """Where a test's fixtures are looked up, in pytest's order."""
        key = (owner, module)
        found = self._places.get(key)
        if found is not None:
            return found
        places: list[_Place] = []
        if owner is not None:
            filename, path = owner
            for size in range(len(path), 0, -1):
                enclosing = (filename, path[:size])
                places.extend(_Place("class", f, p, enclosing) for f, p in self.lineage(enclosing))
        modules = [module, *self.conftests(os.path.dirname(module))]
        places.extend(_Place("module", m) for m in modules)
        for filename in modules:
            index = self.cache.index(filename)
            for name in index.plugins if index is not None else ():
                plugin = self._module_named(name)
                if plugin is not None and plugin.file is not None and self._is_test(plugin.file):
                    places.append(_Place("module", plugin.file))
        found = self._places[key] = tuple(places)
        return found

    def _fixture_in(
        self, place: _Place, name: str, seen: frozenset[str] = frozenset()
    ) -> tuple[_Node, bool] | None:
        """The definition of a fixture in one class or module, and whether it requests
        its own name."""
        index = self.cache.index(place.file)
        if index is None:
            return None
        if place.kind == "class":
            owner = index.classes[place.path]
            members = owner.fixtures.get(name)
            if not members:
                return None
            node = _Node(place.file, (*place.path, members[-1]), place.owner)
            return node, members[-1] in owner.overriding
        functions = index.fixtures.get(name)
        if functions:
            return _Node(place.file, (functions[-1],)), functions[-1] in index.overriding
        if name in index.imports:
            for node in self.resolve(place.file, (name,)):
                target = self.cache.index(node.file)
                function = node.path[0]
                fixture = target.fixture_names.get(function) if target is not None else None
                if target is not None and fixture in (name, function):
                    return node, function in target.overriding
        for imported in index.star_imports:
            module = self._imported(place.file, imported)
            if module is None or module.file is None or module.file in seen:
                continue
            if self._is_test(module.file):
                inner = _Place("module", module.file)
                found = self._fixture_in(inner, name, seen | {place.file})
                if found is not None:
                    return found
        return None

    def fixture(self, owner: ClassLocation | None, module: str, name: str) -> tuple[_Node, ...]:
        """The definitions of a fixture a test requests: the nearest, and the ones it
        overrides while requesting them."""
        key = (owner, module, name)
        found = self._fixtures.get(key)
        if found is None:
            nodes: list[_Node] = []
            for place in self.places(owner, module):
                definition = self._fixture_in(place, name)
                if definition is None:
                    continue
                nodes.append(definition[0])
                if not definition[1]:
                    break
            found = self._fixtures[key] = tuple(nodes)
        return found

    # items

    def around(
        self, owner: ClassLocation | None, module: str, fixturenames: tuple[str, ...]
    ) -> frozenset[_Node]:
        """What a test depends on besides its own function: its fixtures and xunit setup,
        with all they reach."""
        key = (owner, module, fixturenames)
        found = self._around.get(key)
        if found is None:
            roots: list[_Node] = []
            xunit = _MODULE_XUNIT if owner is not None else (*_MODULE_XUNIT, *_FUNCTION_XUNIT)
            for name in xunit:
                roots.extend(self.resolve(module, (name,)))
            if owner is not None:
                for name in _CLASS_XUNIT:
                    roots.extend(self.member(owner, name))
            for name in fixturenames:
                roots.extend(self.fixture(owner, module, name))
            found = frozenset[_Node]().union(*(self.reach(r) for r in roots))
            self._around[key] = found
        return found

    def own(self, item: pytest.Function, owner: ClassLocation | None) -> _Node | None:
        """The test's own function, where its code is."""
        function = item.function
        if hasattr(function, "__wrapped__"):
            try:
                function = inspect.unwrap(function)
            except ValueError:  # a cycle of __wrapped__
                return None
        code = getattr(function, "__code__", None)
        qualname = getattr(function, "__qualname__", "<>")
        if code is None or "<" in qualname:
            return None
        path = tuple(qualname.split("."))
        return _Node(code.co_filename, path, owner if len(path) > 1 else None)

    def nodes(self, item: pytest.Item) -> frozenset[_Node]:
        if not isinstance(item, pytest.Function):
            return frozenset()
        parent = item.parent
        owner = self.class_location(parent.obj) if isinstance(parent, pytest.Class) else None
        found = self.around(owner, str(item.path), tuple(item.fixturenames))
        own = self.own(item, owner)
        if own is not None:
            # Not kept per test: what a test's own function reaches is seldom shared.
            reached_by_own = {t for n in self.edges(own) if n != own for t in self.reach(n)}
            reached_by_own.discard(own)
            if reached_by_own:
                found = found.union(reached_by_own)
            if own in found:
                found = found - {own}
        return found

    def entry(self, node: _Node) -> tuple[str, str]:
        index = self.cache.index(node.file)
        digest = index.digest(node.path) if index is not None else None
        return ".".join(node.path), digest or ""

    def digest(self, item: pytest.Item) -> str | None:
        found = self._nodes_digest(self.nodes(item))
        callspec = getattr(item, "callspec", None)
        params = self.opaque.lines(callspec.params) if callspec is not None else []
        if not params:  # the digest as it was before opaque values counted
            return found
        return _digest("\n".join([found or "", *params]))

    def _nodes_digest(self, nodes: frozenset[_Node]) -> str | None:
        if not nodes:
            return None
        found = self._digests.get(nodes)
        if found is None:
            lines = sorted({"{} {}".format(*self.entry(n)) for n in nodes})
            found = self._digests[nodes] = _digest("\n".join(lines))
        return found

    def relative(self, filename: str) -> str:
        if filename.startswith(self.root + os.sep):
            return filename[len(self.root) + 1 :].replace(os.sep, "/")
        return filename


def dependency_digest(item: pytest.Item, cache: ClosureCache, rootpath: Path) -> str | None:
    """The digest of the test code ``item`` depends on besides its own function (16 hex
    digits), or None when it depends on none."""
    return cache.resolver(rootpath).digest(item)


def dependencies(item: pytest.Item, cache: ClosureCache, rootpath: Path) -> list[Dependency]:
    """The definitions ``item`` depends on besides its own function, sorted by name and
    file: what ``dependency_digest`` is the digest of, less the lines of its case's opaque
    parameter values (``opaque``)."""
    resolver = cache.resolver(rootpath)
    found = set()
    for node in resolver.nodes(item):
        name, digest = resolver.entry(node)
        found.add(Dependency(name, resolver.relative(node.file), digest))
    return sorted(found)
