"""The role where reports arrive: a single process, or the xdist controller.

It folds each test's reports into one outcome, and after the run loop judges the phase,
writes the evidence file (only here), adjusts pytest's failure count so that pytest
returns the verdict as its exit status, and renders the terminal section and the JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tdd import evidence, phases, report
from pytest_tdd.departed import Departures
from pytest_tdd.observe import (
    CACHE_KEY,
    FAILURE_ATTR,
    NEW_ATTR,
    Observed,
    Outcomes,
    Sighting,
    failure_from_dict,
    gc_paused,
    recorded_under,
)
from pytest_tdd.phases import Identity, Judgement, Observation, Violation
from pytest_tdd.reasons import Failure
from pytest_tdd.settings import DEFAULT_STATE_FILE, Settings

if TYPE_CHECKING:
    from pytest_tdd.diffrun import DiffRun
    from pytest_tdd.verify import VerifyRun


# pytest 8.3 and later colour a verbose word given with its markup; older ones print the
# pair as it is.
_WORDS_TAKE_MARKUP = pytest.version_tuple >= (8, 3)


def _git_head(root: Path) -> str | None:
    from pytest_tdd import gitdiff  # git only when a red run records

    head = gitdiff.head(root)
    return head[:12] if head else None


def _check_rootdir(ledger: evidence.Ledger, settings: Settings) -> None:
    """Stop a run whose rootdir is not the one the evidence's ids are relative to."""
    folder = recorded_under(ledger, settings.rootpath, settings.state_file)
    if folder is not None:
        named, rootdir, there = (
            os.path.relpath(p) for p in (settings.state_file, settings.rootpath, folder)
        )
        raise pytest.UsageError(
            f"tdd: none of the test files named in {named} is under the rootdir {rootdir};"
            f" they are under {there}: its ids are relative to the rootdir it was recorded"
            f" with. Run pytest with --rootdir={there} (or from there); nothing was run, and"
            " the file was left as it is."
        )


def _empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return False


class ReportSide:
    """Registered as ``tdd-report`` in a single process and in the xdist controller."""

    def __init__(self, config: pytest.Config, settings: Settings, sighting: Sighting) -> None:
        self.config = config
        self.settings = settings
        self.sighting = sighting
        self.outcomes = Outcomes()
        self.worker_fingerprints: dict[str, Any] = {}
        self.counted_failures = 0
        self.uncollected = 0  # collectors that failed: their tests were never judged
        self.judgement: Judgement | None = None
        self.diff: DiffRun | None = None
        if settings.diff:
            from pytest_tdd.diffrun import DiffRun  # coverage and git only when asked for

            self.diff = DiffRun(settings.rootpath, settings.diff)
        self.verify = _verify_run(config, settings)
        self.observed: Observed | None = None  # once the run loop is done
        self.failing: list[str] = []
        self.problems: list[str] = []
        self.gone: list[str] = []  # ids whose records the run drops: their tests are gone
        # The evidence is read at the start, so that a bad file stops the run before any
        # test, and kept for the judgement at the end, which reads it again only if the
        # file changed meanwhile (another run wrote it).
        self.ledger = evidence.Ledger()
        self.files: evidence.Files = {}  # its file lines
        self.loaded: evidence.Signature | None = None  # the file's version when read
        if settings.records:
            try:
                self.loaded = evidence.signature(settings.state_file)  # before reading
                self.ledger, self.files = evidence.load_with_files(settings.state_file)
            except evidence.EvidenceError as error:
                raise pytest.UsageError(
                    f"{error}\nThe file was left as it is: fix it, or restore it from git."
                ) from None
            _check_rootdir(self.ledger, settings)
        self.ledger_size = len(self.ledger)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.counted_failures += 1
            self.uncollected += 1

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.outcomes.add(report)
        if report.outcome == "failed" and not hasattr(report, "wasxfail"):
            self.counted_failures += 1

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
        if self.settings.records:
            with gc_paused():  # the judgement's many small objects, no cycles among them
                self._judge(session)
        if self.diff is not None:
            self._measure_diff()
        if self.verify is not None:  # after the run loop, in this process only
            self.verify.check(self.outcomes.results, self.sighting)
            # in diff coverage's Markdown report when both are on
            path = self.diff.settings.markdown if self.diff else self.verify.settings.markdown
            written = self.verify.write_markdown(path, append=self.diff is not None)
            for problem in (self.verify.problem, written):
                if problem is not None:
                    self.problems.append(problem)
        if self.violations or self.problems:
            session.testsfailed += 1

    @property
    def violations(self) -> list[Violation]:
        found = list(self.judgement.violations) if self.judgement else []
        if self.diff is not None and self.diff.violation is not None:
            found.append(self.diff.violation)
        if self.verify is not None:
            found.extend(self.verify.violations)
        return found

    def _measure_diff(self) -> None:
        assert self.diff is not None
        verdicts = self.judgement.verdicts.values() if self.judgement else ()
        new = {v.nodeid for v in verdicts if v.evidence in ("none", "changed", "red")}
        self.diff.measure(self.config, self.sighting.test_code, new, self.sighting.spans)
        for problem in (self.diff.problem, self.diff.write_markdown()):
            if problem is not None:
                self.problems.append(problem)

    def _judge(self, session: pytest.Session) -> None:
        settings = self.settings
        try:
            now = evidence.signature(settings.state_file)  # before reading
            if now != self.loaded:
                self.ledger, self.files = evidence.load_with_files(settings.state_file)
                self.loaded = now
        except evidence.EvidenceError as error:  # spoilt during the run: never overwrite
            self.problems.append(f"{error}; the tests ran, but their evidence was not saved")
            return
        self.observed = observed = self.outcomes.observations(self.sighting)
        missing = self._missing_files()
        complete = self.sighting.complete_files(self.config, settings.rootpath)
        left = Departures(settings.rootpath).left
        failed = observed.failed()  # for the red run's head and the failing tests
        if settings.phase is not None:
            ran_red = settings.phase == "red" and bool(failed)
            judgement = phases.judge(
                settings.phase,
                observed,
                self.ledger,
                settings.accept,
                _git_head(settings.rootpath) if ran_red else None,
                uncollectable=self._uncollectable(),
                missing_files=missing,
                complete_files=complete,
                left_file=left,
            )
        else:
            judgement = phases.adopt(
                observed, self.ledger, missing, complete, empty=self.sighting.empty, left_file=left
            )
        self.judgement = judgement
        self._prune(judgement, missing, complete)
        if judgement.changes:  # file lines ride along: they never rewrite the file alone
            self._file_lines(judgement.changes, complete)
        self._save(judgement.changes)
        expected = phases.expected_failures(
            settings.phase, judgement, self.outcomes.failed_reports, self.sighting.modules()
        )
        others = max(0, session.testsfailed - self.counted_failures)
        session.testsfailed = others + max(0, self.counted_failures - expected)
        self.failing = judgement.failing(failed)
        if self.sighting.from_source:
            session.testscollected = max(session.testscollected, len(self.sighting.items))
        # The evidence is written: what the rest of the run needs of it, the verdicts
        # hold. Let the ledger go before pytest's own end of session allocates more.
        self.ledger, self.files, self.loaded = evidence.Ledger(), {}, None

    def _uncollectable(self) -> dict[str, Failure]:
        """Collectors that failed and whose tests could not be found in their source."""
        with_tests = set(self.sighting.source_tests.values())
        return {
            nodeid: failure
            for nodeid, data in self.sighting.broken.items()
            if nodeid not in with_tests and (failure := failure_from_dict(data)) is not None
        }

    def _missing_files(self) -> set[str]:
        """Test files named in the evidence that no longer exist."""
        return self.sighting.missing_files(self.ledger, self.settings.rootpath)

    def _prune(self, judgement: Judgement, missing: set[str], complete: set[str]) -> None:
        stale = phases.stale_ids(
            self.ledger,
            collected=self.sighting.items.keys(),
            complete_files=complete,
            missing_files=missing,
        )
        judgement.changes.drop |= stale - judgement.changes.put.keys()
        if stale:  # gone: neither put again nor moved to another test (renamed, moved)
            moved = {v.inherited_from for v in judgement.verdicts.values()}
            self.gone = sorted(stale - judgement.changes.put.keys() - moved)

    def _file_lines(self, changes: evidence.Changes, complete: set[str]) -> None:
        """Put the file line of each test file collected in full, drop those of files
        that are gone: when records change anyway. A run that changes no record leaves
        the file as it is (a pre-commit hook that modifies a file fails), its stale file
        lines costing a later run a parse, never a verdict."""
        for path, digest in self.sighting.memo.items():
            if path in complete and self.files.get(path) != (digest,):
                changes.files[path] = digest
        root = self.settings.rootpath
        for path in self.files:
            if path not in self.sighting.files and not (root / path).exists():
                changes.files[path] = None

    def _save(self, changes: evidence.Changes) -> None:
        try:
            evidence.update(
                self.settings.state_file,
                changes,
                self.settings.lock_timeout,
                known=(self.loaded, self.ledger, self.files),
            )
        except evidence.EvidenceError as error:
            self.problems.append(f"{error}; the tests ran, but their evidence was not saved")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        cache = getattr(self.config, "cache", None)
        if cache is not None and self.worker_fingerprints:
            cache.set(CACHE_KEY, self.worker_fingerprints)
        written = self.settings.json_path is None or self._write_json(session)
        if not written and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if cache is not None and self.settings.phase is not None:  # for the guard
            from pytest_tdd.pending import LAST_RUN_KEY, last_run_entry

            held = session.exitstatus == pytest.ExitCode.OK and not self.violations
            kinds = [v.kind for v in self.violations]
            verdicts = self.judgement.verdicts if self.judgement else {}
            unproven = [  # tests it saw that have no evidence of their code
                found.fingerprint
                for nodeid, found in self.sighting.items.items()
                if (v := verdicts.get(nodeid)) is None or v.record is None
            ]
            entry = last_run_entry(
                self.settings.phase,
                held,
                kinds,
                len(self.failing),
                self.sighting.test_code,  # for the guard: what is test code
                unproven,
            )
            cache.set(LAST_RUN_KEY, entry)

    def _write_json(self, session: pytest.Session) -> bool:
        path = self.settings.json_path
        assert path is not None
        observations = self.observed or [
            Observation(nodeid, Identity(""), result, self.outcomes.failures.get(nodeid))
            for nodeid, result in self.outcomes.results.items()
        ]
        extra = {"diff_coverage": self.diff.to_json()} if self.diff is not None else {}
        if self.verify is not None:
            extra["verify"] = self.verify.to_json()
        ok = session.exitstatus == pytest.ExitCode.OK and not self.violations
        document = report.to_json(
            self.settings.phase, self.judgement, observations, self.violations, extra, ok=ok
        )
        return self._write(path, document)

    def _write(self, path: Path, document: dict[str, Any]) -> bool:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
        except OSError as error:
            self.problems.append(f"cannot write the JSON report {path}: {error}")
            return False
        return True

    def pytest_report_header(self, config: pytest.Config) -> str | None:
        if not self.settings.records:
            return None
        state_file = self.settings.state_file
        shown = self.settings.shown(state_file)
        count = self.ledger_size
        if state_file.exists() and not count and _empty(state_file):
            held = "an empty file: no evidence yet"
        elif state_file.exists():
            held = f"holds the evidence of {report.plural(count, 'test')}"
        else:
            held = "a new file"
            default = self.settings.rootpath / DEFAULT_STATE_FILE
            if default != state_file and default.is_file():
                try:
                    others = len(evidence.load(default))
                except evidence.EvidenceError:
                    others = 0
                held = (
                    f"no such file yet; {self.settings.shown(default)} holds the evidence of "
                    f"{report.plural(others, 'test')}"
                )
        if self.settings.phase is None:
            return f"tdd: adopting passing tests as legacy evidence in {shown} ({held})"
        return f"tdd: phase {self.settings.phase}, evidence in {shown} ({held})"

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        judgement, phase, violations = self.judgement, self.settings.phase, self.violations
        write = terminalreporter.write_line
        if violations:
            terminalreporter.write_sep("=", "tdd")
            for line in report.violation_lines(violations, phase or "green"):
                write(line)
        if judgement is not None:
            for line in report.note_lines(judgement):
                write(line)
            if self.gone and not self.problems:
                write(report.gone_line(self.gone))
            uncollected = self.uncollected if phase in ("green", "refactor") else 0
            if phase:
                line = report.summary_line(phase, judgement, len(self.failing), uncollected)
            else:
                line = report.adopt_line(judgement)
            bad = bool(judgement.violations or self.failing or uncollected)
            write(line, red=bad, green=not bad)
        if self.diff is not None:
            failed = self.diff.violation is not None
            verbose = self.config.get_verbosity() > 0
            for number, line in enumerate(self.diff.summary_lines(verbose)):
                write(line, red=failed and number == 0, green=not failed and number == 0)
            for line in self.diff.annotations():
                write(line)
        if self.verify is not None:
            failed = bool(self.verify.violations)
            verbose = self.config.get_verbosity() > 0
            for number, line in enumerate(self.verify.summary_lines(verbose)):
                write(line, red=failed and number == 0, green=not failed and number == 0)
            for line in self.verify.annotations():
                write(line)
        for problem in self.problems:
            write(f"tdd: ERROR {problem}", red=True)


def _verify_run(config: pytest.Config, settings: Settings) -> VerifyRun | None:
    """--tdd-verify: resolves the base now, so that a bad one stops the run."""
    if settings.verify is None:
        return None
    from pytest_tdd.verify import VerifyRun

    return VerifyRun(config, settings)


class RedLetters:
    """A red run's status letters: ``r``/``RED`` for a new test failing for a reason the
    phase accepts, ``W``/``WRONG-REASON`` for any other. Registered for red runs only,
    where reports arrive: other runs pay nothing for it on each report."""

    def __init__(self, accept: Collection[str]) -> None:
        self.accept = accept

    def pytest_report_teststatus(
        self, report: pytest.TestReport, config: pytest.Config
    ) -> tuple[str, str, tuple[str, dict[str, bool]] | str] | None:
        if report.outcome != "failed" or report.when != "call" or not getattr(report, NEW_ATTR, 0):
            return None
        failure = failure_from_dict(getattr(report, FAILURE_ATTR, None))
        if failure is None:
            return None
        word = "RED" if failure.accepted_by(self.accept) else "WRONG-REASON"
        letter = "r" if word == "RED" else "W"
        return "failed", letter, (word, {"red": True}) if _WORDS_TAKE_MARKUP else word


class XdistHooks:
    """Registered only when pytest-xdist is installed: gathers what the workers saw."""

    def __init__(self, side: ReportSide) -> None:
        self.side = side

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output = getattr(node, "workeroutput", {})  # JSON text (a crashed worker: none)
        with gc_paused():  # tens of thousands of new lists and tuples, no cycles
            if output.get("tdd"):
                self.side.sighting.merge(json.loads(output["tdd"]))
            if output.get("tdd-fingerprints"):
                self.side.worker_fingerprints.update(json.loads(output["tdd-fingerprints"]))
            if self.side.verify is not None and output.get("tdd-verify"):
                self.side.verify.merge(json.loads(output["tdd-verify"]))


class CollectOnlyReport:
    """``--collect-only --tdd-json PATH``: the collected tests, none run, none judged."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        path = self.settings.json_path
        assert path is not None
        observations = [Observation(item.nodeid, Identity(""), "not-run") for item in session.items]
        document = report.to_json(self.settings.phase, None, observations, [], {}, ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
