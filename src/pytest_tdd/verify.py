"""``--tdd-verify`` in the pytest run: CI proves red itself, trusting no file.

The base is resolved when the run starts (as for diff coverage: a base that does not
resolve stops the run before any test). Where tests are collected (a single process, or
each xdist worker), ``Probe`` notes each test's identity and where its function is
defined. After the run loop, in the process that judges the run only (a single process,
or the xdist controller), ``VerifyRun.check``:

1. asks git which files changed since the base, and picks the test modules whose tests
   may differ from the base's (``verifyjudge.suspect_modules``);
2. builds the base revision's tree in a temporary directory outside the repository
   (``basetree``) and collects those modules there (``verifyrun``, ``collect``): the
   change's tests are those whose identity no base test has;
3. lays the change's test code over the tree and runs the change's tests there, judged
   by the red contract; a changed test that passes there has its old version run against
   the new code, and so has each removed test, in a second tree (the working tree's code
   with the base's test code);
4. removes the trees.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from pytest_tdd import basetree, closure, diffcov, gitdiff, verifyjudge, verifyreport
from pytest_tdd.observe import (
    Sighting,
    SourceCache,
    code_of,
    exempt_reason,
    identify,
    test_code_files,
    to_workeroutput,
)
from pytest_tdd.phases import UNCHECKED, Result, Violation
from pytest_tdd.settings import Settings, VerifySettings
from pytest_tdd.verifyjudge import RunTest
from pytest_tdd.verifyreport import Verification
from pytest_tdd.verifyrun import Layout, VerifyError
from pytest_tdd.verifysession import Context, Session, relative_to

PROBE_NAME = "tdd-verify-probe"
OUTPUT_KEY = "tdd-verify"


@dataclass
class Seen:
    """What one process collected, JSON-able: nodeid -> (fingerprint, case, deps, file its
    function is defined in, first line, tdd_exempt's reason); the tests collected but
    deselected; test files collected, and those of which not every test was selected; the
    files of test functions (a module collected for its doctests alone is project code)."""

    items: dict[str, tuple[str, str | None, str | None, str | None, int | None, str | None]] = (
        field(default_factory=dict)
    )
    deselected: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    partial: set[str] = field(default_factory=set)
    test_code: set[str] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "deselected": sorted(self.deselected),
            "files": sorted(self.files),
            "partial": sorted(self.partial),
            "test_code": sorted(self.test_code),
        }

    def merge(self, data: Mapping[str, Any]) -> None:
        self.items.update({k: tuple(v) for k, v in data["items"].items()})
        self.deselected.update(data["deselected"])
        self.files.update(data["files"])
        self.partial.update(data["partial"])
        self.test_code.update(data["test_code"])


class Probe:
    """Registered where tests are collected; in a worker it sends what it saw."""

    def __init__(self, config: pytest.Config, seen: Seen) -> None:
        self.config = config
        self.seen = seen
        self.deselected: list[pytest.Item] = []

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        nodeid = report.nodeid
        if nodeid and "::" not in nodeid:
            (self.seen.files if report.passed else self.seen.partial).add(nodeid)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.seen.partial.update(item.nodeid.partition("::")[0] for item in items)
        self.deselected.extend(items)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        run = self.config.pluginmanager.getplugin("tdd-run")
        sources = getattr(run, "sources", None) or SourceCache()
        known = run.sighting.items if run is not None else {}  # the phase's identities
        closures = closure.ClosureCache(sources.modules)  # files parsed once for both
        rootpath = self.config.rootpath
        items = [*session.items, *self.deselected]
        ids = [item.nodeid for item in items]
        for item, nodeid in zip(items, ids, strict=True):
            code = code_of(item)
            if nodeid in known:
                fingerprint, case, deps = known[nodeid]
                reason = run.sighting.exempt.get(nodeid) if run is not None else None
                if deps == UNCHECKED:  # the phase had no need of it; verify has
                    deps = closure.dependency_digest(item, closures, rootpath)
            else:
                found = identify(item, sources, code)
                fingerprint, case = found.fingerprint, found.case
                deps = closure.dependency_digest(item, closures, rootpath)
                reason = exempt_reason(item)
            source = code.co_filename if code is not None else None
            line = code.co_firstlineno if code is not None else None
            self.seen.items[nodeid] = (fingerprint, case, deps, source, line, reason)
        self.seen.test_code.update(test_code_files(ids, items))
        self.seen.deselected.update(ids[len(session.items) :])
        self.deselected.clear()

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        output = getattr(self.config, "workeroutput", None)
        if output is not None:
            output[OUTPUT_KEY] = to_workeroutput(self.seen.to_dict())


def _relative(path: Path, root: Path) -> str | None:
    relative = os.path.relpath(os.path.realpath(path), os.path.realpath(root))
    if relative == ".":
        return ""
    return None if relative.startswith("..") else Path(relative).as_posix()


class VerifyRun:
    """Registered with the report side (a single process, or the xdist controller)."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        assert settings.verify is not None
        self.config = config
        self.settings: VerifySettings = settings.verify
        self.accept = settings.accept
        self.rootpath = settings.rootpath
        try:
            self.root = gitdiff.repository_root(settings.rootpath)
            self.base = gitdiff.resolve_base(self.root, self.settings.base)
        except gitdiff.GitDiffError as error:
            raise pytest.UsageError(f"verify: {error}") from None
        if self.settings.base_from_ini:
            self.base = replace(self.base, how="set by ini tdd_base")
        self.seen = Seen()
        self.result: Verification | None = None
        self.problem: str | None = None
        controller = getattr(config.option, "dist", "no") != "no"
        if controller and not hasattr(config, "workerinput"):
            return
        config.pluginmanager.register(Probe(config, self.seen), PROBE_NAME)

    def merge(self, data: Mapping[str, Any] | None) -> None:
        if data:
            self.seen.merge(data)

    @property
    def violations(self) -> list[Violation]:
        if self.result is None:
            return []
        return verifyjudge.violations(self.result.tests, self.result.removed)

    def check(self, results: Mapping[str, Result], sighting: Sighting) -> None:
        started = time.perf_counter()
        try:
            self.result = self._check(results, sighting)
        except (gitdiff.GitDiffError, VerifyError, OSError, ValueError) as error:
            self.problem = f"verify: {error}"
        if self.result is not None:
            self.result.seconds = time.perf_counter() - started

    def summary_lines(self, verbose: bool) -> list[str]:
        if self.result is None:
            return []
        return [verifyreport.summary(self.result), *verifyreport.detail_lines(self.result, verbose)]

    def annotations(self) -> list[str]:
        if self.result is None or os.environ.get("GITHUB_ACTIONS") != "true":
            return []
        return verifyreport.github_annotations(self.result)

    def to_json(self) -> dict[str, Any]:
        return verifyreport.to_json(self.result, self.problem, self.base)

    def write_markdown(self, path: Path | None, append: bool) -> str | None:
        """Write the Markdown report to ``path`` if given (after diff coverage's report,
        when ``append``); return a problem, if any."""
        if path is None:
            return None
        text = verifyreport.to_markdown(self.result, self.problem, self.base)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if append and path.is_file():
                text = path.read_text("utf-8").rstrip("\n") + "\n\n" + text
            path.write_text(text, "utf-8")
        except OSError as error:
            return f"cannot write the Markdown report {path}: {error}"
        return None

    def _layout(self) -> Layout:
        config, root = self.config, self.root
        rootdir = _relative(self.rootpath, root)
        if rootdir is None:
            raise VerifyError(f"the rootdir {self.rootpath} is outside the repository {root}")
        invocation = _relative(config.invocation_params.dir, root)
        inipath = config.inipath
        inifile = _relative(inipath, root) if inipath is not None else None
        entries = []
        for entry in config.getini("pythonpath") or ():
            inside = _relative(Path(entry), root)
            entries.append(str(entry) if inside is None else inside)
        options = []
        plugins = config.pluginmanager
        if plugins.hasplugin("xdist"):
            options.append("-n0")
        if plugins.hasplugin("pytest_cov"):
            options.append("--no-cov")
        return Layout(
            rootdir=rootdir,
            invocation=rootdir if invocation is None else invocation,
            inifile=inifile,
            outside_ini=str(inipath) if inipath is not None and inifile is None else None,
            pythonpath=tuple(entries),
            options=tuple(options),
            timeout_plugin=plugins.hasplugin("timeout"),
        )

    def _tests(
        self, results: Mapping[str, Result], sighting: Sighting, layout: Layout
    ) -> dict[str, RunTest]:
        def module_of(nodeid: str) -> str:
            return "/".join(p for p in (layout.rootdir, nodeid.partition("::")[0]) if p)

        tests = {}
        places: dict[str, str | None] = {}  # a file's path, repository-relative
        for nodeid, (fp, case, deps, source, line, exempt) in self.seen.items.items():
            if source is not None and source not in places:
                places[source] = _relative(Path(source), self.root)
            tests[nodeid] = RunTest(
                fp,
                case,
                module_of(nodeid),
                places[source] if source is not None else None,
                line,
                results.get(nodeid, "not-run"),
                exempt,
                deps,
                nodeid in self.seen.deselected,
                nodeid.partition("::")[0] in self.seen.test_code,
            )
        for nodeid in sighting.from_source:  # a module that cannot be imported here
            fp, case, deps = sighting.items[nodeid]
            reason = sighting.exempt.get(nodeid)
            if nodeid not in tests:
                module = module_of(nodeid)
                tests[nodeid] = RunTest(fp, case, module, None, None, "failed", reason, deps)
        return tests

    def _check(self, results: Mapping[str, Result], sighting: Sighting) -> Verification:
        layout = self._layout()
        tests = self._tests(results, sighting, layout)
        places = {n: (t.source or t.module, t.line) for n, t in tests.items()}
        verification = Verification(self.base, places=places)
        changed = basetree.changed_paths(self.root, self.base.sha)
        patterns = [str(p) for p in self.config.getini("python_files")]
        # A helper of the tests changed: any test may depend on it (its identity's deps).
        helpers = any(
            p.endswith(".py")
            and diffcov.looks_like_test_code(p)
            and not _is_test_module(p, patterns)
            and posixpath.basename(p) != "conftest.py"
            for p in changed
        )
        suspects = verifyjudge.suspect_modules(tests, changed, everything=helpers)
        collect = [
            path
            for path in verifyjudge.base_modules(
                changed, suspects, lambda p: _is_test_module(p, patterns)
            )
            if relative_to(path, layout.rootdir) is not None
        ]
        if not collect and not suspects:
            return verification
        seen = self.seen

        def complete(module: str) -> bool:
            deleted = changed.get("/".join(p for p in (layout.rootdir, module) if p)) == "D"
            return deleted or (module in seen.files and module not in seen.partial)

        context = Context(
            self.root,
            self.base.sha,
            layout,
            tests,
            changed,
            self.settings.timeout,
            self.accept,
            complete,
        )
        with basetree.Workspace(self.root) as workspace, basetree.interruptible():
            session = Session(context, workspace.path)
            verification.tests, verification.removed = session.run(collect, suspects)
        return verification


def _is_test_module(path: str, patterns: list[str]) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".py") and any(fnmatch.fnmatch(name, p) for p in patterns)
