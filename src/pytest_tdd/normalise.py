"""The normalisation of fingerprint scheme 2: annotations and the names of locals left out.

``normalise(function)`` returns a copy of a test function's syntax tree in which

- type annotations do not appear: those of parameters and the return annotation (of the
  function and of every function nested in it), and those of annotated assignments in a
  function's body (``x: T = v`` becomes ``x = v``; a bare ``x: T`` is left out). So
  ``ruff --fix`` turning ``Dict[str, int]`` into ``dict[str, int]`` or ``Optional[X]``
  into ``X | None`` does not change it. Annotations in a class body are kept: dataclasses,
  named tuples and typed dicts read them (a ``ClassVar`` is no field);
- each local name is replaced by a positional placeholder (``$0``, ``$1``, ...), numbered
  by its first appearance in the normal form (the syntax tree's fields in order: source
  order, except that, as in the tree, a nested function's decorators follow its body).
  Placeholders are no identifiers, so they cannot be mistaken for a real name.

Which names are local follows Python's own scoping rules, per scope rather than one
namespace for the whole function: the function, every function and lambda nested in it and
every comprehension are scopes; a name is resolved to the scope that binds it (by
assignment, augmented or annotated assignment, ``for``, ``with ... as``, ``except ... as``,
walrus, comprehension target, import, nested ``def`` or ``class``, match capture, ``del``)
the way the compiler does, class bodies being invisible to the scopes nested in them. So a
global read in one place is never confused with a comprehension variable of the same name
bound in another: only what really refers to the same local gets the same placeholder.

Left as written:

- parameters, of the test and of nested functions and lambdas: pytest requests fixtures
  by a test's parameter names, and a nested function may be called with keywords;
- names bound in a class body: they are attributes, read as ``C.name``;
- names declared ``global``, and locals that a nested function declares ``nonlocal``;
- free names (helpers, modules, builtins), and a name bound by ``import a.b`` without an
  alias (renaming it would import something else).

Code that reads names at run time (``locals()``, ``eval``, a nested function's
``__name__``, an annotation read by ``typing.get_type_hints``) can tell a renamed local or
a changed annotation apart; such code is rare in a test and is not guarded against.

Pure: ``ast`` in, ``ast`` out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

# Fields that the rendering of a fingerprint leaves out, so does the numbering.
_SKIPPED_FIELDS = frozenset({"type_comment", "type_params"})

# The field of a node that holds a name it binds or reads.
NAME_FIELDS: dict[type[ast.AST], str] = {
    ast.Name: "id",
    ast.FunctionDef: "name",
    ast.AsyncFunctionDef: "name",
    ast.ClassDef: "name",
    ast.alias: "asname",
    ast.ExceptHandler: "name",
    ast.MatchAs: "name",
    ast.MatchStar: "name",
    ast.MatchMapping: "rest",
}

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


class _Binding:
    """One variable: a name bound in one scope."""

    __slots__ = ("renamable",)

    def __init__(self, renamable: bool) -> None:
        self.renamable = renamable


class _Scope:
    def __init__(self, kind: str, parent: _Scope | None) -> None:
        self.kind = kind  # "module", "function", "class" or "comprehension"
        self.parent = parent
        self.bound: set[str] = set()
        self.params: set[str] = set()
        self.fixed: set[str] = set()  # bound in a way that cannot be renamed
        self.declared_global: set[str] = set()
        self.declared_nonlocal: set[str] = set()
        self.bindings: dict[str, _Binding] = {}

    def make_bindings(self) -> None:
        renamable = self.kind in ("function", "comprehension")
        for name in (self.bound | self.params) - self.declared_global - self.declared_nonlocal:
            self.bindings[name] = _Binding(
                renamable and name not in self.params and name not in self.fixed
            )

    def resolve(self, name: str) -> _Binding | None:
        """The variable ``name`` refers to here; None for a global or builtin."""
        if name in self.declared_global:
            return None
        if name in self.bindings:
            return self.bindings[name]
        scope = self.parent
        while scope is not None:
            if scope.kind != "class":  # a class body is invisible to nested scopes
                if name in scope.declared_global:
                    return None
                if name in scope.bindings:
                    return scope.bindings[name]
            scope = scope.parent
        return None


# The nodes that _Analysis.visit does more with than visit their children.
_SPECIAL_TYPES = (
    ast.Name,
    ast.NamedExpr,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    *_COMPREHENSIONS,
    ast.Global,
    ast.Nonlocal,
    ast.alias,
    ast.ExceptHandler,
    ast.MatchAs,
    ast.MatchStar,
    ast.MatchMapping,
)
_SPECIAL: dict[type, bool] = {}


class _Analysis:
    """Which variable each name in a function refers to."""

    def __init__(self) -> None:
        self.scopes: list[_Scope] = []
        self.sites: list[tuple[ast.AST, str, _Scope]] = []
        self.nonlocals: list[tuple[str, _Scope]] = []

    def new_scope(self, kind: str, parent: _Scope | None) -> _Scope:
        scope = _Scope(kind, parent)
        self.scopes.append(scope)
        return scope

    def bind(self, node: ast.AST, name: str, scope: _Scope) -> None:
        scope.bound.add(name)
        self.sites.append((node, name, scope))

    def visit_all(self, nodes: Iterable[ast.AST | None], scope: _Scope) -> None:
        for node in nodes:
            if node is not None:
                self.visit(node, scope)

    def visit(self, node: ast.AST, scope: _Scope) -> None:
        cls = type(node)
        special = _SPECIAL.get(cls)
        if special is None:
            special = _SPECIAL[cls] = issubclass(cls, _SPECIAL_TYPES)
        if not special:  # the common case, as ast.iter_child_nodes would, but faster
            for field in node._fields:
                value = getattr(node, field, None)
                if isinstance(value, ast.AST):
                    self.visit(value, scope)
                elif isinstance(value, list):
                    for item in value:
                        if isinstance(item, ast.AST):
                            self.visit(item, scope)
            return
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store | ast.Del):
                scope.bound.add(node.id)
            self.sites.append((node, node.id, scope))
        elif isinstance(node, ast.NamedExpr):
            target = scope
            while target.kind == "comprehension" and target.parent is not None:
                target = target.parent  # a walrus binds outside its comprehension
            self.bind(node.target, node.target.id, target)
            self.visit(node.value, scope)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            self.visit_function(node, scope)
        elif isinstance(node, ast.ClassDef):
            self.visit_all([*node.decorator_list, *node.bases, *node.keywords], scope)
            self.bind(node, node.name, scope)
            self.visit_all(node.body, self.new_scope("class", scope))
        elif isinstance(node, _COMPREHENSIONS):
            self.visit_comprehension(node, scope)
        elif isinstance(node, ast.Global):
            scope.declared_global.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            scope.declared_nonlocal.update(node.names)
            self.nonlocals.extend((name, scope) for name in node.names)
        elif isinstance(node, ast.alias):
            if node.asname is None and "." in node.name:
                scope.bound.add(node.name.partition(".")[0])
                scope.fixed.add(node.name.partition(".")[0])
            elif node.name != "*":
                self.bind(node, node.asname or node.name, scope)
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar | ast.MatchMapping):
            name = getattr(node, NAME_FIELDS[type(node)])
            if name is not None:
                self.bind(node, name, scope)
            self.visit_all(ast.iter_child_nodes(node), scope)
        else:
            self.visit_all(ast.iter_child_nodes(node), scope)

    def visit_function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, scope: _Scope
    ) -> None:
        """Defaults, decorators and annotations belong to the enclosing scope; the
        parameters and the body to the function's own."""
        args = node.args
        parameters = [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]
        outer: list[ast.AST | None] = [*args.defaults, *args.kw_defaults]
        outer += [p.annotation for p in parameters if p is not None]
        inner = self.new_scope("function", scope)
        inner.params.update(p.arg for p in parameters if p is not None)
        if isinstance(node, ast.Lambda):
            self.visit_all(outer, scope)
            self.visit(node.body, inner)
            return
        self.visit_all([*outer, *node.decorator_list, node.returns], scope)
        self.bind(node, node.name, scope)
        self.visit_all(node.body, inner)

    def visit_comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, scope: _Scope
    ) -> None:
        """The first iterable belongs to the enclosing scope, all else to the
        comprehension's own."""
        inner = self.new_scope("comprehension", scope)
        for number, generator in enumerate(node.generators):
            self.visit(generator.iter, scope if number == 0 else inner)
            self.visit_all([generator.target, *generator.ifs], inner)
        if isinstance(node, ast.DictComp):
            self.visit_all([node.key, node.value], inner)
        else:
            self.visit(node.elt, inner)

    def resolved(self) -> dict[int, tuple[ast.AST, _Binding]]:
        """The renamable variable of each site that names one, by the site's ``id``."""
        for scope in self.scopes:
            scope.make_bindings()
        for name, scope in self.nonlocals:
            assert scope.parent is not None  # nonlocal at module level does not compile
            binding = scope.parent.resolve(name)
            if binding is not None:
                binding.renamable = False
        found: dict[int, tuple[ast.AST, _Binding]] = {}
        for node, name, scope in self.sites:
            binding = scope.resolve(name)
            if binding is not None and binding.renamable:
                found[id(node)] = (node, binding)
        return found


class _StripAnnotations(ast.NodeTransformer):
    """Annotations of parameters, returns and assignments in function bodies removed."""

    def __init__(self) -> None:
        self.in_class = False

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        return self._in_scope(node, in_class=True)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.returns = None
        return self._in_scope(node, in_class=False)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        node.returns = None
        return self._in_scope(node, in_class=False)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.annotation = None
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | None:
        if self.in_class:
            return self.generic_visit(node)
        if node.value is None:
            return None
        assign = ast.Assign(targets=[node.target], value=node.value, type_comment=None)
        return self.generic_visit(ast.copy_location(assign, node))

    def _in_scope(self, node: ast.AST, in_class: bool) -> ast.AST:
        outer, self.in_class = self.in_class, in_class
        try:
            return self.generic_visit(node)
        finally:
            self.in_class = outer


def _number(node: ast.AST, resolved: dict[int, tuple[ast.AST, _Binding]]) -> None:
    """Replace each renamable name by its placeholder, numbered by first appearance."""
    numbers: dict[_Binding, str] = {}

    def walk(node: ast.AST) -> None:
        site = resolved.get(id(node))
        name_field = NAME_FIELDS.get(type(node)) if site and site[0] is node else None
        for field in node._fields:
            if field in _SKIPPED_FIELDS:
                continue
            if field == name_field:
                assert site is not None
                placeholder = numbers.setdefault(site[1], f"${len(numbers)}")
                setattr(node, field, placeholder)
                continue
            value = getattr(node, field, None)
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    walk(child)

    walk(node)


def _copy(node: object) -> Any:
    """A deep copy of a syntax tree (several times faster than ``copy.deepcopy``)."""
    if isinstance(node, ast.AST):
        fields = {f: _copy(v) for f, v in ast.iter_fields(node)}
        positions = {a: getattr(node, a) for a in node._attributes if hasattr(node, a)}
        return type(node)(**fields, **positions)
    if isinstance(node, list):
        return [_copy(item) for item in node]
    return node  # an immutable value: str, number, bytes, None, ...


def renamable_sites(function: FunctionNode) -> dict[int, tuple[ast.AST, Any]]:
    """The sites of ``function`` that name a renamable local, by the node's ``id``, each
    with its node and its variable (a key to number by first appearance). The tree is
    read, not changed: what ``identity`` renders in the normal form of scheme 2 without
    copying the tree."""
    analysis = _Analysis()
    analysis.visit(function, analysis.new_scope("module", None))
    return dict(analysis.resolved())


def normalise(function: FunctionNode) -> FunctionNode:
    """A copy of a function's syntax tree without annotations, its locals renamed."""
    function = _copy(function)
    analysis = _Analysis()
    analysis.visit(function, analysis.new_scope("module", None))
    resolved = analysis.resolved()
    stripped = _StripAnnotations().visit(function)
    assert isinstance(stripped, ast.FunctionDef | ast.AsyncFunctionDef)
    _number(stripped, resolved)
    return stripped
