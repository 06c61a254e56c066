"""The plugin of a pytest process that ``--tdd-verify`` starts in a temporary tree.

Loaded with ``-p pytest_tdd.verifychild`` and the environment variable ``ENV`` naming a
JSON file of instructions (taken out of the environment at once, so that a pytest started
by a test does not inherit it). On import it puts ``TreeFinder`` first in
``sys.meta_path``: the project's top-level modules (``names``) are imported from the
tree's import roots only, and a project module that the tree lacks does not exist (it is
not looked for in an installed wheel or an editable install). At the end it lists every
module of the project loaded from anywhere but the tree, which the parent reports.

Two modes:

* ``collect`` (with ``--collect-only``): writes each collected test's identity, the
  fingerprints of the tests of modules that cannot be imported (found in their source),
  with paths inside parameter values written as they are in the working tree;
* ``run`` (with ``--tdd-phase=red --tdd-json``): keeps only the tests it is asked for (by
  node id, or the function of a parametrized case), which the red contract then judges.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pytest_tdd import closure, identity
from pytest_tdd.observe import SourceCache, identify

ENV = "PYTEST_TDD_VERIFY_CHILD"
_EXTERNAL = frozenset({"site-packages", "dist-packages"})


class TreeFinder(importlib.abc.MetaPathFinder):
    """Finds the project's top-level modules in the tree's import roots, and nowhere else."""

    def __init__(self, roots: Sequence[str], names: Sequence[str]) -> None:
        self.roots = list(roots)
        self.names = frozenset(names)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if "." in fullname or fullname not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, self.roots)
        if spec is None:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return spec


def _boot() -> dict[str, Any] | None:
    path = os.environ.pop(ENV, None)
    if not path:
        return None
    data: dict[str, Any] = json.loads(Path(path).read_text("utf-8"))
    sys.meta_path.insert(0, TreeFinder(data["roots"], data["names"]))
    return data


INSTRUCTIONS = _boot()


class _Shown:
    """A value that ``identity.stable_repr`` renders as the given text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def foreign_modules(tree: str, repo: str, names: Sequence[str]) -> dict[str, str]:
    """The project's modules loaded from outside the tree: a module of one of the project's
    top-level names, or any module in the repository's working tree that is not installed
    there (a virtual environment inside the repository is not the project)."""
    tree, repo = os.path.realpath(tree), os.path.realpath(repo)
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    wanted = frozenset(names)
    found = {}
    for name, module in list(sys.modules.items()):
        filename = getattr(module, "__file__", None)
        if not isinstance(filename, str):
            continue
        real = os.path.realpath(filename)
        if _inside(real, tree):
            continue
        installed = _EXTERNAL.intersection(Path(real).parts) or any(
            _inside(real, p) for p in prefixes
        )
        if name.partition(".")[0] in wanted or (_inside(real, repo) and not installed):
            found[name] = real
    return dict(sorted(found.items()))


class Child:
    """The hooks; registered by ``pytest_configure`` below when instructions were given."""

    def __init__(self, config: pytest.Config, data: dict[str, Any]) -> None:
        self.config = config
        self.data = data
        self.items: dict[str, list[str | None]] = {}
        self.broken: dict[str, list[str]] = {}
        self.want = frozenset(data.get("want", ()))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        nodeid = report.nodeid
        if self.data["mode"] != "collect" or not report.failed or "::" in nodeid or not nodeid:
            return
        try:
            source = (self.config.rootpath / nodeid).read_text("utf-8")
            found = identity.find_tests_in_source(
                source,
                functions=self.config.getini("python_functions"),
                classes=self.config.getini("python_classes"),
                scheme=identity.SCHEME,
            )
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            found = []
        self.broken[nodeid] = [fingerprint for _, fingerprint in found]

    def _wanted(self, nodeid: str) -> bool:
        if nodeid in self.want:
            return True
        return nodeid.endswith("]") and nodeid[: nodeid.find("[")] in self.want

    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if self.data["mode"] != "run":
            return
        kept = [item for item in items if self._wanted(item.nodeid)]
        dropped = [item for item in items if not self._wanted(item.nodeid)]
        if dropped:
            items[:] = kept
            config.hook.pytest_deselected(items=dropped)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.data["mode"] != "collect":
            return
        sources = SourceCache(keep=False)
        closures = closure.ClosureCache(sources.modules)  # files parsed once for both
        tree, repo = self.data["tree"], self.data["repo"]
        for item in session.items:
            found = identify(item, sources)
            case = found.case
            callspec = getattr(item, "callspec", None)
            if callspec is not None:
                shown = {
                    k: _Shown(identity.stable_repr(v).replace(tree, repo))
                    for k, v in callspec.params.items()
                }
                case = identity.case_fingerprint(shown)
            deps = closure.dependency_digest(item, closures, self.config.rootpath)
            self.items[item.nodeid] = [found.fingerprint, case, deps]

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        document = {
            "items": self.items,
            "broken": self.broken,
            "foreign": foreign_modules(self.data["tree"], self.data["repo"], self.data["names"]),
        }
        Path(self.data["output"]).write_text(json.dumps(document), "utf-8")


def register(config: pytest.Config, data: dict[str, Any]) -> None:
    if data["mode"] == "collect":
        config.option.continue_on_collection_errors = True
    config.pluginmanager.register(Child(config, data), "tdd-verify-child")


def pytest_configure(config: pytest.Config) -> None:
    if INSTRUCTIONS is not None:
        register(config, INSTRUCTIONS)
