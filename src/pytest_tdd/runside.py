"""The role where tests are collected and run: a single process, or each xdist worker.

It computes each test's identity once after collection, finds the tests of a test module
that cannot be imported in its source, classifies every failure as its report is logged
(the verdict travels on the report), and in a worker sends what it saw to the controller
through ``workeroutput``. It never judges and never writes the evidence file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tdd import evidence, identity, memo, phases
from pytest_tdd.departed import Departures
from pytest_tdd.observe import (
    CACHE_KEY,
    FAILURE_ATTR,
    NEW_ATTR,
    Sighting,
    SourceCache,
    code_of,
    exempt_reason,
    failure_to_dict,
    gc_paused,
    identify,
    is_empty,
    span,
    stamp,
    test_code_files,
    to_workeroutput,
)
from pytest_tdd.phases import Identity, new_identity
from pytest_tdd.reasons import Failure, Origins, classify
from pytest_tdd.settings import Settings

if TYPE_CHECKING:
    from pytest_tdd import closure


@dataclass(frozen=True)
class Selection:
    """Test ids named on the command line (``file::Class::test``), with their files.

    A phase run collects such a file in full and keeps the named tests itself, so that a
    test of a module that cannot be imported yet can be named too (pytest alone stops
    with "found no collectors").
    """

    ids: tuple[str, ...]  # rootdir-relative node ids
    files: frozenset[str]

    @classmethod
    def take_from(cls, config: pytest.Config, root: Path) -> Selection:
        """Take the test ids out of ``config.args``, leaving their files in their place."""
        ids: list[str] = []
        files: set[str] = set()
        whole: set[str] = set()
        args: list[str] = []
        for arg in config.args:
            path_text, sep, names = arg.partition("::")
            path = (config.invocation_params.dir / path_text).resolve()
            try:
                relative = path.relative_to(root).as_posix()
            except ValueError:
                relative = None
            if not sep or relative is None or not path.is_file() or not names:
                args.append(arg)
                if relative is not None:
                    whole.add(relative)
                continue
            ids.append(f"{relative}::{names}")
            files.add(relative)
            if path_text not in args:
                args.append(path_text)
        config.args[:] = args
        return cls(tuple(ids), frozenset(files - whole))

    def wants(self, nodeid: str) -> bool:
        if nodeid.partition("::")[0] not in self.files:
            return True
        return any(_names(want, nodeid) for want in self.ids)

    def unmatched(self, nodeids: Iterable[str]) -> list[str]:
        found = list(nodeids)
        return [want for want in self.ids if not any(_names(want, n) for n in found)]


def _names(want: str, nodeid: str) -> bool:
    """Does the command-line id ``want`` name the test ``nodeid`` (itself, a test of the
    class it names, or a case of the function it names), as pytest reads ids?"""
    return nodeid == want or nodeid.startswith((want + "::", want + "["))


class RunSide:
    """Registered as ``tdd-run`` in a single process and in each xdist worker."""

    def __init__(
        self, config: pytest.Config, settings: Settings, sighting: Sighting, selection: Selection
    ) -> None:
        self.config = config
        self.settings = settings
        self.sighting = sighting
        self.selection = selection
        self.worker = hasattr(config, "workerinput")
        cache = getattr(config, "cache", None)
        stored = cache.get(CACHE_KEY, None) if cache is not None else None
        self.sources = SourceCache(stored, keep=cache is not None)
        self.origins = Origins(settings.rootpath)
        self.new: frozenset[str] = frozenset()  # tests without evidence (red runs only)
        self.ledger: evidence.Ledger | None = None  # read when collection is done
        self.files: evidence.Files = {}  # and its file lines
        self.closures: closure.ClosureCache | None = None

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        nodeid = report.nodeid
        is_file = report.passed and nodeid and "::" not in nodeid
        now = stamp(self.settings.rootpath / nodeid) if is_file else None
        if now is not None:
            self.sighting.files.add(nodeid)
            self.sighting.stamps[nodeid] = now

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        ids = [item.nodeid for item in items]
        self.sighting.partial.update(nodeid.partition("::")[0] for nodeid in ids)
        self.sighting.test_code.update(test_code_files(ids, items))

    def pytest_exception_interact(
        self, node: pytest.Item | pytest.Collector, call: pytest.CallInfo[Any], report: Any
    ) -> None:
        """A test module that cannot be imported: judge its tests as found in its source."""
        if isinstance(node, pytest.Item) or call.excinfo is None:
            return
        origins = Origins(self.settings.rootpath, [str(node.path)])
        failure = classify(call.excinfo.value, "collect", origins, fail_type=pytest.fail.Exception)
        self.sighting.broken[node.nodeid] = failure_to_dict(self._relative(failure))
        self.sighting.partial.add(node.nodeid.partition("::")[0])
        if not isinstance(node, pytest.Module):
            return
        try:
            found = identity.find_tests_in_source(
                node.path.read_text("utf-8"),
                functions=self.config.getini("python_functions"),
                classes=self.config.getini("python_classes"),
                scheme=identity.SCHEME,
            )
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            found = []
        if found:
            self.sighting.test_code.add(node.nodeid)
        for names, fingerprint in found:
            nodeid = "::".join([node.nodeid, *names])
            self.sighting.source_tests[nodeid] = node.nodeid
            if self.selection.wants(nodeid):
                self.sighting.items[nodeid] = Identity(fingerprint)
                self.sighting.from_source[nodeid] = node.nodeid

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if not self.selection.ids:
            return
        unmatched = self.selection.unmatched([i.nodeid for i in items] + list(self.sighting.items))
        if unmatched:
            raise pytest.UsageError(*(self._not_found(want) for want in unmatched))
        kept = [item for item in items if self.selection.wants(item.nodeid)]
        dropped = [item for item in items if not self.selection.wants(item.nodeid)]
        if dropped:
            items[:] = kept
            config.hook.pytest_deselected(items=dropped)

    def _not_found(self, want: str) -> str:
        module = want.partition("::")[0]
        if module not in self.sighting.broken:
            return f"not found: {want}"
        names = sorted(
            n.partition("::")[2] for n, m in self.sighting.source_tests.items() if m == module
        )
        return f"tdd: no test {want} in a module that cannot be imported; its source has " + (
            ", ".join(names) or "no tests"
        )

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        with gc_paused():
            self._identify(session)
        self.sighting.partial.update(self.selection.files)
        # Test code is the files of test functions: a module collected for its doctests
        # alone (--doctest-modules) is the project's code all the same.
        root = self.settings.rootpath
        self.origins = Origins(root, {str(root / path) for path in self.sighting.test_code})
        if self.settings.phase == "red":
            self.new = self._without_evidence()

    def _identify(self, session: pytest.Session) -> None:
        # The test modules are imported now; each file is parsed once for both.
        ledger = self._ledger()
        items = session.items
        ids = [item.nodeid for item in items]  # a property (pytest 9.2: NodeId.__str__): once
        codes = [code_of(i) if isinstance(i, pytest.Function) else None for i in items]
        functions = self._functions(ids, codes)
        self.sighting.test_code.update(test_code_files(ids, items))
        if ledger is not None and self.files:
            self._take_file_lines(functions, ledger)
        diff_contexts = self.settings.diff is not None and self.settings.diff.contexts
        # The records take pytest's string of each id where this process judges them (a
        # worker lets its ledger go before the run).
        share = not self.worker
        for item, nodeid, code in zip(items, ids, codes, strict=True):
            fingerprint, case, _ = identify(item, self.sources, code)
            if ledger is None:
                held: tuple[evidence.Record, ...] = ()
            else:
                held = ledger.take_id(nodeid) if share else ledger.get(nodeid, ())
            deps = (
                self._deps(item)
                if ledger is None or phases.needs_deps(held, fingerprint, case)
                else phases.UNCHECKED
            )
            if held and held[0].fingerprint == fingerprint and held[0].case == case:
                fingerprint, case = held[0].fingerprint, held[0].case  # one copy of each
            self.sighting.items[nodeid] = new_identity(Identity, (fingerprint, case, deps))
            reason = exempt_reason(item)
            if reason is not None:
                self.sighting.exempt[nodeid] = reason
            if self.settings.adopt and is_empty(item):
                self.sighting.empty.add(nodeid)
            if diff_contexts:
                lines = span(item)
                if lines is not None:
                    path, first, last = lines
                    with contextlib.suppress(ValueError):
                        relative = Path(path).relative_to(self.settings.rootpath).as_posix()
                        self.sighting.spans[nodeid] = (relative, first, last)
        self._make_file_lines(functions)

    def _deps(self, item: pytest.Item) -> str | None:
        """The digest of the test code ``item`` depends on (its helpers and fixtures)."""
        from pytest_tdd import closure  # imported only when a verdict needs a test's deps

        if self.closures is None:  # sharing the closure indexes of the files parsed here
            self.closures = closure.ClosureCache(self.sources.modules)
        return closure.dependency_digest(item, self.closures, self.settings.rootpath)

    def _rootdir_path(self, filename: str) -> str | None:
        root = str(self.settings.rootpath) + os.sep
        return filename[len(root) :].replace(os.sep, "/") if filename.startswith(root) else None

    def _functions(
        self, ids: Iterable[str], codes: Iterable[CodeType | None]
    ) -> dict[str, dict[int, list[str]]]:
        """The test functions collected: file -> line -> the ids of its tests."""
        found: dict[str, dict[int, list[str]]] = {}
        for nodeid, code in zip(ids, codes, strict=True):
            if code is not None:
                at = found.setdefault(code.co_filename, {})
                at.setdefault(code.co_firstlineno, []).append(nodeid)
        return found

    def _take_file_lines(
        self, lines: dict[str, dict[int, list[str]]], ledger: evidence.Ledger
    ) -> None:
        """Take the fingerprints of each file the evidence vouches for (``memo``)."""
        for filename, by_line in lines.items():
            relative = self._rootdir_path(filename)
            held = self.files.get(relative) if relative is not None else None
            if not held:
                continue
            guessed = memo.guess(
                {
                    line: {r.fingerprint for nodeid in ids for r in ledger.get(nodeid, ())}
                    for line, ids in by_line.items()
                }
            )
            if guessed is not None:  # read once: trusted, or else parsed as identify would
                self.sources.index(filename, vouched=(guessed, held))

    def _make_file_lines(self, lines: dict[str, dict[int, list[str]]]) -> None:
        """The digest of each test file collected in full, for its file line."""
        partial = self.sighting.partial | self.selection.files
        for filename, by_line in lines.items():
            relative = self._rootdir_path(filename)
            if relative is None or relative in partial or relative not in self.sighting.files:
                continue
            index = self.sources.index(filename)
            content = self.sources.contents.get(filename)
            if index is None or content is None:
                continue
            fingerprints = {line: index.at_line(line) for line in by_line}
            if all(fingerprints.values()):
                self.sighting.memo[relative] = memo.digest(content, fingerprints)  # type: ignore[arg-type]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        self.sources.release()  # every pytest_collection_finish has run (verify's too)
        self.ledger, self.files = None, {}  # the report side keeps its own

    def _ledger(self) -> evidence.Ledger | None:
        """The evidence as read at the start: by the report side or the status view of
        this process, or read here in an xdist worker; None if it cannot be read (the
        controller says why)."""
        if self.ledger is None:
            for name in ("tdd-report", "tdd-status"):  # in this process
                plugin = self.config.pluginmanager.getplugin(name)
                if plugin is not None:
                    self.ledger, self.files = plugin.ledger, plugin.files
                    return self.ledger
            with contextlib.suppress(evidence.EvidenceError):
                self.ledger, self.files = evidence.load_with_files(self.settings.state_file)
        return self.ledger

    def _without_evidence(self) -> frozenset[str]:
        """The tests that this run's judgement will find without evidence, for their
        status letters: the same matching as the verdict."""
        ledger = self._ledger()
        if ledger is None:
            return frozenset()
        missing = self.sighting.missing_files(ledger, self.settings.rootpath)
        root = self.settings.rootpath
        complete = self.sighting.complete_files(self.config, root)
        return frozenset(
            phases.without_evidence(
                self.sighting.unrun(), ledger, missing, Departures(root).left, complete
            )
        )

    def _relative(self, failure: Failure) -> Failure:
        """The failure with the rootdir's path left out of its message: the evidence file
        is committed, and must read the same on every machine."""
        prefix = str(self.settings.rootpath) + os.sep
        if prefix not in failure.message:
            return failure
        return replace(failure, message=failure.message.replace(prefix, ""))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Annotate each report as it is made, before any plugin logs it: the report side
        folds it, and xdist sends it to the controller. The outermost wrapper, so that the
        report is final (an expected failure already turned into a skip)."""
        report = yield
        if call.excinfo is not None and report.failed:
            failure = classify(
                call.excinfo.value, call.when, self.origins, fail_type=pytest.fail.Exception
            )
            setattr(report, FAILURE_ATTR, failure_to_dict(self._relative(failure)))
        if self.new and report.nodeid in self.new:
            setattr(report, NEW_ATTR, True)
        return report

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.worker:
            output = getattr(self.config, "workeroutput", None)
            if output is not None:
                output["tdd"] = to_workeroutput(self.sighting.to_dict())
                if self.sources.updated:
                    output["tdd-fingerprints"] = to_workeroutput(self.sources.stored())
            return
        cache = getattr(self.config, "cache", None)
        if cache is not None and self.sources.updated:
            cache.set(CACHE_KEY, self.sources.stored())
