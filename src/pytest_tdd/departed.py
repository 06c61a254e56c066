"""Whether a test named in the evidence has left a test file that this run did not collect.

A run over one file cannot see the others: a test moved from ``test_x.py`` to
``test_y.py`` while ``test_x.py`` stays looks like a copy of a test that may still be
there, and a copy is a new test. Its source tells more, without importing it: when the
name the test's id starts with (its function, or its class) is bound nowhere in the file
any more, the test has left it, and its record may follow its code.

The look is conservative, as a wrong "left" would let a copy take the evidence of a test
that is still there: a file that cannot be read or parsed, a ``from ... import *``, or an
id whose first name is not an identifier (a doctest's ``module.function``, another
plugin's item) never counts as left, and a name bound anywhere in the module (``def``,
``class``, an assignment, an import, inside ``if`` or ``try`` blocks or functions too)
counts as present. Each file is parsed at most once, and only when a test of the run has
the same code as a record of that file.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path


class Departures:
    """Answers ``left(nodeid)`` for the ids of files under ``root``, caching each file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._names: dict[str, frozenset[str] | None] = {}

    def left(self, nodeid: str) -> bool:
        """Has the test of ``nodeid`` left its file (which exists)?"""
        path, _, rest = nodeid.partition("::")
        first = rest.partition("::")[0].partition("[")[0]
        if not first.isidentifier() or not path.endswith(".py"):
            return False
        if path not in self._names:
            self._names[path] = bound_names(self.root / path)
        names = self._names[path]
        return names is not None and first not in names


def bound_names(path: Path) -> frozenset[str] | None:
    """Every name the module at ``path`` binds anywhere; None when it cannot tell (the file
    cannot be read or parsed, or it imports ``*``)."""
    try:
        tree = ast.parse(importlib.util.decode_source(path.read_bytes()))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError, LookupError):
        return None
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            if node.name == "*":
                return None
            names.add(node.asname or node.name.partition(".")[0])
        elif isinstance(node, ast.Global | ast.Nonlocal):
            names.update(node.names)
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
            if node.name:
                names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
    return frozenset(names)
