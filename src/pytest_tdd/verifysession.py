"""One verification of ``--tdd-verify``, inside its workspace: the trees and the pytest
processes run in them.

* ``base`` tree: the base revision's files (``basetree.extract``). The test modules that
  may hold the change's tests are collected there first, with the base's own test code,
  to learn the base's identities; then the base's test code is replaced by the working
  tree's and the change's tests are run there (the red proof).
* ``new`` tree, only when needed: the working tree's code with the base's test code, to
  run the old version of a changed test that passes on the base, and each removed test.

Test code, for both trees: what diff coverage counts as test code
(``diffcov.looks_like_test_code``), the modules and files this run's tests come from, the
base's test modules, and pytest's configuration file.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from pytest_tdd import basetree, diffcov, verifyjudge, verifyrun
from pytest_tdd.phases import RAN
from pytest_tdd.verifyjudge import BaseTests, Entry, RunTest
from pytest_tdd.verifyrun import Layout, VerifyError


def relative_to(path: str, folder: str) -> str | None:
    """A repository-relative path relative to ``folder`` (a repository-relative folder,
    "" for the top), None when outside it."""
    if not folder:
        return path
    return path[len(folder) + 1 :] if path.startswith(folder + "/") else None


@dataclass(frozen=True)
class Context:
    """What a verification needs to know of this run."""

    root: Path  # the repository's top folder
    sha: str  # the base revision
    layout: Layout
    tests: dict[str, RunTest]
    changed: dict[str, str]
    timeout: float
    accept: frozenset[str]
    complete: Callable[[str], bool]  # was this rootdir-relative test file collected in full?


class Session:
    def __init__(self, context: Context, workspace: Path) -> None:
        self.context = context
        self.workspace = workspace
        tests = context.tests.values()
        # The test code laid over the base: never a module of the project's code that holds
        # doctests (that would run the change's code as the base's).
        extra = {t.module for t in tests if t.in_test_code}
        extra |= {t.source for t in tests if t.source is not None and t.in_test_code}
        self.project_modules = {t.module for t in tests if not t.in_test_code} - extra
        if context.layout.inifile:
            extra.add(context.layout.inifile)
        self.extra = extra
        roots = verifyrun.import_roots(context.root, context.layout)
        self.names = verifyrun.project_names(roots)
        away = sorted(verifyrun.installed_from(context.root) - self.names)
        if away:
            raise VerifyError(
                f"the project's {', '.join(map(repr, away))} is installed in this environment "
                "from this repository, but is not in the folders verify imports the "
                "project from (src/, else the rootdir): name the folder that holds it in "
                "pytest's `pythonpath` ini setting (e.g. pythonpath = lib)"
            )
        compiled = verifyrun.compiled_modules(roots, self.names)
        if compiled:
            raise VerifyError(
                "the project has compiled extension modules ("
                + ", ".join(compiled[:3])
                + "): a tree built from the base revision's files has none, so the "
                "project's code cannot be imported from it; verify cannot prove red for "
                "this project: turn --tdd-verify (ini tdd_verify) off"
            )

    def is_test_code(self, path: str) -> bool:
        return path in self.extra or diffcov.looks_like_test_code(path)

    def _pass(
        self, mode: str, tree: Path, modules: Iterable[str], want: list[str]
    ) -> verifyrun.Outcome:
        """Run pytest in ``tree`` on ``modules`` (repository-relative)."""
        layout = self.context.layout
        paths = sorted({p for m in modules if (p := relative_to(m, layout.rootdir)) is not None})
        names = self.names | verifyrun.project_names(verifyrun.import_roots(tree, layout))
        outcome = verifyrun.run(
            mode,
            repo=self.context.root,
            tree=tree,
            work=self.workspace / f"{tree.name}-{mode}",
            layout=layout,
            paths=paths,
            want=want,
            timeout=self.context.timeout,
            names=sorted(names),
        )
        foreign = outcome.child.get("foreign") or {}
        if foreign:
            shown = ", ".join(f"{name} from {path}" for name, path in list(foreign.items())[:3])
            roots = ", ".join(
                r.relative_to(tree).as_posix() if r.is_relative_to(tree) else str(r)
                for r in verifyrun.import_roots(tree, layout)
            )
            raise VerifyError(
                f"the project's code was not all imported from the {tree.name} tree: {shown} "
                f"(an installed wheel or an editable install?). Its import roots there were "
                f"{roots}; if the project's code lives in another folder, name it in "
                "pytest's `pythonpath` ini setting"
            )
        if mode == "collect" and outcome.stopped:
            raise VerifyError(
                f"collecting the tests in the {tree.name} tree did not finish in time; its "
                "output:\n" + verifyrun.tail(outcome.output)
            )
        if not outcome.child and not outcome.stopped:
            raise VerifyError(
                f"pytest in the {tree.name} tree reported nothing; its output:\n"
                + verifyrun.tail(outcome.output)
            )
        return outcome

    def _module(self, nodeid: str) -> str:
        return "/".join(p for p in (self.context.layout.rootdir, nodeid.partition("::")[0]) if p)

    def run(
        self, collect: list[str], suspects: Collection[str]
    ) -> tuple[dict[str, Entry], dict[str, Entry]]:
        """The verdicts of the change's tests and of the removed tests."""
        context = self.context
        self.extra.update(p for p in collect if p not in self.project_modules)
        tree = self.workspace / "base"
        tree.mkdir()
        basetree.extract(context.root, context.sha, tree, lambda p: True)
        base = BaseTests({})
        if collect:
            outcome = self._pass("collect", tree, collect, [])
            items = outcome.child.get("items", {})
            broken = [fp for fps in outcome.child.get("broken", {}).values() for fp in fps]
            base = BaseTests({k: (v[0], v[1], v[2]) for k, v in items.items()}, broken)
        change = verifyjudge.the_change(context.tests, suspects, base)
        entries: dict[str, Entry] = {}
        for nodeid in verifyjudge.exempt_changes(context.tests, suspects, base):
            reason = context.tests[nodeid].exempt
            entries[nodeid] = Entry(
                "not-run",
                message=f"exempt ({reason}): not run against the base revision's code",
            )
        for nodeid in change:
            test = context.tests[nodeid]
            if not test.in_test_code:
                entries[nodeid] = Entry(
                    "not-run",
                    message="a doctest in the project's code: it cannot run against the base "
                    "revision's code without the change's code",
                )
            elif test.result not in RAN:
                done = "deselected" if test.deselected else test.result
                entries[nodeid] = Entry(
                    "not-run",
                    message=f"{done} in this run: not run against the base revision's code",
                )
        to_run = [n for n in change if n not in entries]
        if to_run:
            self._lay_test_code(tree)
            outcome = self._pass("run", tree, map(self._module, to_run), to_run)
            seconds = verifyrun.run_limit(
                context.timeout, len(to_run), context.layout.timeout_plugin
            )
            limit = f"{seconds:g} s"
            for nodeid in to_run:
                entries[nodeid] = verifyjudge.on_base(
                    verifyjudge.observed(outcome.report, nodeid),
                    context.accept,
                    outcome.stopped,
                    limit,
                )
        old = [n for n in to_run if change[n] and entries[n].verdict == "passed"]
        gone = verifyjudge.removed(context.tests, base, context.complete)
        removed: dict[str, Entry] = {}
        if old or gone:
            outcome = self._pass("run", self._new_tree(), map(self._module, old + gone), old + gone)
            for nodeid in old:
                found = verifyjudge.observed(outcome.report, nodeid)
                entries[nodeid] = verifyjudge.old_version(found, entries[nodeid])
            for nodeid in gone:
                found = verifyjudge.observed(outcome.report, nodeid)
                removed[nodeid] = verifyjudge.removed_verdict(found)
        return dict(sorted(entries.items())), removed

    def _lay_test_code(self, tree: Path) -> None:
        """Replace the base's test code in ``tree`` with the working tree's."""
        context = self.context
        here = {p for p in basetree.working_files(context.root) if self.is_test_code(p)}
        base = basetree.base_files(context.root, context.sha)
        basetree.remove(tree, sorted(p for p in base if self.is_test_code(p) and p not in here))
        basetree.overlay(context.root, tree, sorted(here))

    def _new_tree(self) -> Path:
        """The working tree's code with the base's test code."""
        context = self.context
        tree = self.workspace / "new"
        tree.mkdir()
        basetree.extract(context.root, context.sha, tree, self.is_test_code)
        working = basetree.working_files(context.root)
        basetree.overlay(context.root, tree, [p for p in working if not self.is_test_code(p)])
        return tree
