"""pytest entry point (``-p no:tdd`` disables it): thin hooks around the pure core.

Data flow, xdist-safe by construction:

* where tests are collected and run (a single process, or each xdist worker): identities
  are computed once after collection; a failure is classified when its report is logged
  and the verdict travels on the report (``tdd_failure``); at the end a worker sends what
  it collected to the controller through ``workeroutput``;
* where reports arrive (a single process, or the controller): outcomes are folded per
  test; after the run loop the phase is judged, the evidence file written (only there)
  and pytest's failure count adjusted, so that pytest returns the verdict as its exit code.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pytest_tdd import evidence, identity, phases, report
from pytest_tdd.diffrun import DiffRun
from pytest_tdd.observe import (
    CACHE_KEY,
    FAILURE_ATTR,
    Outcomes,
    Sighting,
    SourceCache,
    exempt_reason,
    failure_from_dict,
    failure_to_dict,
    files_named_with_ids,
    identify,
)
from pytest_tdd.phases import Identity, Judgement, Observation, Violation
from pytest_tdd.reasons import Failure, Origins, classify
from pytest_tdd.settings import EXEMPT_MARKER, Settings, add_options, resolve

PLUGIN_NAME = "tdd-session"


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", EXEMPT_MARKER)
    if config.option.help:
        return
    settings = resolve(config)
    if not settings.active or config.option.collectonly:
        return
    if settings.records:
        # Judge every test, including those of a test module that cannot be imported yet.
        config.option.continue_on_collection_errors = True
    plugin = TddPlugin(config, settings)
    config.pluginmanager.register(plugin, PLUGIN_NAME)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(plugin), "tdd-xdist")


def _git_head(root: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    head = done.stdout.strip()
    return head[:12] if done.returncode == 0 and head else None


class TddPlugin:
    """The state of one run; registered as ``tdd-session`` when pytest-tdd is active."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.worker = hasattr(config, "workerinput")
        self.sighting = Sighting()
        self.outcomes = Outcomes()
        cache = getattr(config, "cache", None) if settings.records else None
        self.sources = SourceCache(cache.get(CACHE_KEY, None) if cache is not None else None)
        self.worker_fingerprints: dict[str, Any] = {}
        self.origins = Origins(settings.rootpath)
        self.pending: dict[tuple[str, str], BaseException] = {}
        self.counted_failures = 0
        self.judgement: Judgement | None = None
        self.diff = (
            DiffRun(settings.rootpath, settings.diff) if settings.diff and not self.worker else None
        )
        self.observations: list[Observation] = []
        self.problems: list[str] = []
        # The evidence is read at the start, so that a bad file stops the run before any
        # test, and again at the end, when it is judged: holding 50k records through the
        # run would slow every pass of the garbage collector. During the run only the ids
        # of tests with passing evidence are kept (for the status letters).
        self.ledger: evidence.Ledger = {}
        self.loaded: evidence.Signature | None = None  # the file's version when read
        self.settled: frozenset[str] = frozenset()
        self.ledger_size = 0
        if settings.records and not self.worker:
            try:
                ledger = evidence.load(settings.state_file)
            except evidence.EvidenceError as error:
                raise pytest.UsageError(
                    f"{error}\nThe file was left as it is: fix it, or restore it from git."
                ) from None
            self.ledger_size = len(ledger)
            self.settled = frozenset(
                n for n, records in ledger.items() if any(r.status != "red" for r in records)
            )
            del ledger

    # -- where tests are collected and run -------------------------------------------

    def _file_of(self, nodeid: str) -> str:
        return nodeid.partition("::")[0]

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and not self.worker:
            self.counted_failures += 1
        nodeid = report.nodeid
        is_file = report.passed and nodeid and "::" not in nodeid
        if is_file and (self.settings.rootpath / nodeid).is_file():
            self.sighting.files.add(nodeid)

    @property
    def _selects_within_files(self) -> bool:
        """Does a plugin pick tests without saying so? ``--lf`` skips whole files that
        had no failures, reporting them as collected with no tests."""
        return bool(self.config.getoption("lf", False))

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.sighting.partial.update(self._file_of(item.nodeid) for item in items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not self.settings.records:
            return
        for item in session.items:
            found = identify(item, self.sources)
            self.sighting.items[item.nodeid] = (found.fingerprint, found.case, exempt_reason(item))
        self.sighting.partial.update(
            files_named_with_ids(
                self.config.args, self.config.invocation_params.dir, self.settings.rootpath
            )
        )
        self.origins = Origins(self.settings.rootpath, {str(item.path) for item in session.items})

    def pytest_exception_interact(
        self, node: pytest.Item | pytest.Collector, call: pytest.CallInfo[Any], report: Any
    ) -> None:
        """A test module that cannot be imported: judge its tests as found in its source."""
        if isinstance(node, pytest.Item) or call.excinfo is None or not self.settings.records:
            return
        origins = Origins(self.settings.rootpath, [str(node.path)])
        failure = classify(call.excinfo.value, "collect", origins, fail_type=pytest.fail.Exception)
        self.sighting.broken[node.nodeid] = failure_to_dict(failure)
        self.sighting.partial.add(self._file_of(node.nodeid))
        if not isinstance(node, pytest.Module):
            return
        try:
            found = identity.find_tests_in_source(
                node.path.read_text("utf-8"),
                functions=self.config.getini("python_functions"),
                classes=self.config.getini("python_classes"),
            )
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            found = []
        for names, fingerprint in found:
            nodeid = "::".join([node.nodeid, *names])
            self.sighting.items[nodeid] = (fingerprint, None, None)
            self.sighting.from_source[nodeid] = node.nodeid

    @pytest.hookimpl
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> None:
        if call.excinfo is not None:
            self.pending[(item.nodeid, call.when)] = call.excinfo.value

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        error = self.pending.pop((report.nodeid, report.when), None) if self.pending else None
        if error is not None and report.failed and self.settings.records:
            failure = classify(error, report.when, self.origins, fail_type=pytest.fail.Exception)
            setattr(report, FAILURE_ATTR, failure_to_dict(failure))
        if not self.worker:
            self.outcomes.add(report)
            if report.outcome == "failed" and not hasattr(report, "wasxfail"):
                self.counted_failures += 1

    def pytest_report_teststatus(
        self, report: pytest.TestReport, config: pytest.Config
    ) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
        if report.outcome != "failed" or self.settings.phase != "red" or report.when != "call":
            return None
        failure = failure_from_dict(getattr(report, FAILURE_ATTR, None))
        known = report.nodeid in self.settled
        if failure is None or known:
            return None
        if failure.accepted_by(self.settings.accept):
            return "failed", "R", ("RED", {"red": True})
        return "failed", "W", ("WRONG-REASON", {"red": True})

    # -- where reports arrive ----------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> object:
        try:
            result = yield
        except (session.Failed, session.Interrupted):  # -x, --maxfail, a stop request
            self._finish(session)
            raise
        self._finish(session)
        return result

    def _finish(self, session: pytest.Session) -> None:
        if self.worker:
            return
        if self.settings.records:
            self._judge(session)
        if self.diff is not None:
            self._measure_diff()
        if self.violations or self.problems:
            session.testsfailed += 1

    @property
    def violations(self) -> list[Violation]:
        found = list(self.judgement.violations) if self.judgement else []
        if self.diff is not None and self.diff.violation is not None:
            found.append(self.diff.violation)
        return found

    def _measure_diff(self) -> None:
        assert self.diff is not None
        verdicts = self.judgement.verdicts.values() if self.judgement else ()
        new = {v.nodeid for v in verdicts if v.evidence in ("none", "changed", "red")}
        self.diff.measure(self.config, self.sighting.files, new)
        for problem in (self.diff.problem, self.diff.write_markdown()):
            if problem is not None:
                self.problems.append(problem)

    def _judge(self, session: pytest.Session) -> None:
        settings = self.settings
        try:
            self.loaded = evidence.signature(settings.state_file)  # before reading
            self.ledger = evidence.load(settings.state_file)
        except evidence.EvidenceError as error:  # spoilt during the run: never overwrite
            self.problems.append(f"{error}; the tests ran, but their evidence was not saved")
            return
        self.observations = self.outcomes.observations(self.sighting)
        missing = self._missing_files()
        if settings.phase is not None:
            ran_red = settings.phase == "red" and any(
                o.result == "failed" for o in self.observations
            )
            head = _git_head(settings.rootpath) if ran_red else None
            judgement = phases.judge(
                settings.phase,
                self.observations,
                self.ledger,
                settings.accept,
                head,
                uncollectable=self._uncollectable(),
                missing_files=missing,
            )
        else:
            judgement = phases.adopt(self.observations, self.ledger, missing)
        self.judgement = judgement
        self._prune(judgement, missing)
        self._save(judgement.changes)
        if settings.phase == "red":
            self._count_red_as_expected(session, judgement)
        if self.sighting.from_source:
            session.testscollected = max(session.testscollected, len(self.sighting.items))

    def _uncollectable(self) -> dict[str, Failure]:
        """Collectors that failed and whose tests could not be found in their source."""
        with_tests = set(self.sighting.from_source.values())
        return {
            nodeid: failure
            for nodeid, data in self.sighting.broken.items()
            if nodeid not in with_tests and (failure := failure_from_dict(data)) is not None
        }

    def _count_red_as_expected(self, session: pytest.Session, judgement: Judgement) -> None:
        """In a red run, the failures that prove the tests red are what was asked for."""
        proven = {n for n, v in judgement.verdicts.items() if v.verdict in ("recorded-red", "red")}
        expected = sum(self.outcomes.failed_reports.get(n, 0) for n in proven)
        for module in self.sighting.broken:
            tests = [n for n, m in self.sighting.from_source.items() if m == module]
            if tests and all(n in proven for n in tests):
                expected += 1
        others = max(0, session.testsfailed - self.counted_failures)
        session.testsfailed = others + max(0, self.counted_failures - expected)

    def _missing_files(self) -> set[str]:
        """Test files named in the evidence that no longer exist."""
        root = self.settings.rootpath
        paths = {n.partition("::")[0] for n in self.ledger}
        return {p for p in paths if p not in self.sighting.files and not (root / p).exists()}

    def _prune(self, judgement: Judgement, missing: set[str]) -> None:
        stale = phases.stale_ids(
            self.ledger,
            collected=self.sighting.items.keys(),
            complete_files=set()
            if self._selects_within_files
            else self.sighting.files - self.sighting.partial,
            missing_files=missing,
        )
        judgement.changes.drop |= stale - judgement.changes.put.keys()

    def _save(self, changes: evidence.Changes) -> None:
        try:
            evidence.update(
                self.settings.state_file,
                changes,
                self.settings.lock_timeout,
                known=(self.loaded, self.ledger),
            )
        except evidence.EvidenceError as error:
            self.problems.append(f"{error}; the tests ran, but their evidence was not saved")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.worker:
            output = getattr(self.config, "workeroutput", None)
            if output is not None:
                output["tdd"] = self.sighting.to_dict()
                if self.sources.updated:
                    output["tdd-fingerprints"] = self.sources.stored()
            return
        self._store_fingerprints()
        written = self.settings.json_path is None or self._write_json()
        if not written and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _store_fingerprints(self) -> None:
        """Keep the fingerprints for the next run in pytest's cache (only the controller
        writes; a worker's come through ``workeroutput``)."""
        cache = getattr(self.config, "cache", None)
        if cache is None:
            return
        if self.sources.updated:
            cache.set(CACHE_KEY, self.sources.stored())
        elif self.worker_fingerprints:
            cache.set(CACHE_KEY, self.worker_fingerprints)

    def _write_json(self) -> bool:
        path = self.settings.json_path
        assert path is not None
        observations = self.observations or [
            Observation(nodeid, Identity(""), result, self.outcomes.failures.get(nodeid))
            for nodeid, result in self.outcomes.results.items()
        ]
        extra = {"diff_coverage": self.diff.to_json()} if self.diff is not None else {}
        document = report.to_json(
            self.settings.phase, self.judgement, observations, self.violations, extra
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
        except OSError as error:
            self.problems.append(f"cannot write the JSON report {path}: {error}")
            return False
        return True

    def _shown(self, path: Path) -> str:
        try:
            return path.relative_to(self.settings.rootpath).as_posix()
        except ValueError:
            return str(path)

    def pytest_report_header(self, config: pytest.Config) -> str | None:
        if self.worker or not self.settings.records:
            return None
        shown = self._shown(self.settings.state_file)
        count = self.ledger_size
        tests = f"{count} test" if count == 1 else f"{count} tests"
        if self.settings.phase is None:
            return f"tdd: adopting passing tests as legacy evidence in {shown} ({tests})"
        return f"tdd: phase {self.settings.phase}, evidence in {shown} ({tests})"

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.worker:
            return
        judgement, phase, violations = self.judgement, self.settings.phase, self.violations
        write = terminalreporter.write_line
        if violations:
            terminalreporter.write_sep("=", "tdd")
            for line in report.violation_lines(violations, phase or "green"):
                write(line)
        if judgement is not None:
            for line in report.exempt_lines(judgement):
                write(line)
            line = report.summary_line(phase, judgement) if phase else report.adopt_line(judgement)
            write(line, red=bool(judgement.violations), green=not judgement.violations)
        if self.diff is not None:
            failed = self.diff.violation is not None
            verbose = self.config.get_verbosity() > 0
            for number, line in enumerate(self.diff.summary_lines(verbose)):
                write(line, red=failed and number == 0, green=not failed and number == 0)
            for line in self.diff.annotations():
                write(line)
        for problem in self.problems:
            write(f"tdd: ERROR {problem}", red=True)


class XdistHooks:
    """Registered only when pytest-xdist is installed: gathers what the workers saw."""

    def __init__(self, plugin: TddPlugin) -> None:
        self.plugin = plugin

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output = getattr(node, "workeroutput", {})
        if output.get("tdd"):
            self.plugin.sighting.merge(output["tdd"])
        self.plugin.worker_fingerprints.update(output.get("tdd-fingerprints", {}))
