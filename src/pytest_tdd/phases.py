"""The red / green / refactor contract: what each phase asks of each test.

Pure: observations of this run and the evidence ledger in, verdicts, violations and the
changes to write out. No pytest, no files.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from pytest_tdd.evidence import Changes, Record
from pytest_tdd.reasons import Failure

Phase = Literal["red", "green", "refactor"]
PHASES: tuple[Phase, ...] = ("red", "green", "refactor")
Result = Literal["passed", "failed", "skipped", "xfailed", "xpassed", "not-run"]
RAN = ("passed", "failed")
VIOLATION_KINDS = (
    "never-red",
    "passed-in-red",
    "wrong-reason",
    "modified-after-red",
    "regression",
    "new-in-refactor",
    "not-run",
    "nothing-to-prove",
)
# When a union merge left several records for one test, the most advanced one wins.
_RANK = {"green": 3, "legacy": 2, "red": 1}


@dataclass(frozen=True)
class Identity:
    """What evidence is bound to: the test function's fingerprint, and for a
    parametrized case, the fingerprint of its own parameter values."""

    fingerprint: str
    case: str | None = None


@dataclass(frozen=True)
class Observation:
    """One test as this run saw it."""

    nodeid: str
    identity: Identity
    result: Result
    failure: Failure | None = None
    exempt: str | None = None  # the reason given to the tdd_exempt marker


@dataclass(frozen=True)
class Violation:
    nodeid: str | None
    kind: str
    message: str


@dataclass(frozen=True)
class Verdict:
    nodeid: str
    verdict: str  # a violation kind, or one of the words below in _judge_one
    evidence: str  # the evidence before this run: red, green, legacy, none or changed
    record: Record | None = None  # the evidence after this run
    violation: Violation | None = None
    inherited_from: str | None = None
    note: str | None = None


@dataclass
class Judgement:
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)


def _best(records: Iterable[Record]) -> Record | None:
    ranked = sorted(records, key=lambda r: _RANK[r.status], reverse=True)
    return ranked[0] if ranked else None


def _base_id(nodeid: str) -> str:
    return nodeid.partition("[")[0] if nodeid.endswith("]") else nodeid


@dataclass(frozen=True)
class _Match:
    record: Record | None
    state: str  # red, green, legacy, none or changed
    inherited_from: str | None = None
    stale: bool = False  # the test's id holds records of code that now sits elsewhere


def _file_of(nodeid: str) -> str:
    return nodeid.partition("::")[0]


class _Matcher:
    """Finds the evidence that covers a test's current code."""

    def __init__(
        self,
        ledger: Mapping[str, tuple[Record, ...]],
        observations: Iterable[Observation],
        missing_files: Collection[str] = (),
    ) -> None:
        self.ledger = ledger
        self.now = {o.nodeid: (o.identity.fingerprint, o.identity.case) for o in observations}
        self.observed = set(self.now.values())
        self.files = {_file_of(nodeid) for nodeid in self.now}
        self.missing_files = missing_files
        # Plain tuples as keys: the garbage collector does not track them.
        self.by_identity: dict[tuple[str, str | None], list[Record]] = {}
        for nodeid in sorted(ledger):
            for record in ledger[nodeid]:
                self.by_identity.setdefault((record.fingerprint, record.case), []).append(record)

    def _moved(self, record: Record) -> bool:
        """Has the code of ``record`` left its id? Its id now holds other code (a shifted
        parametrize id), or is gone from a file this run collected, or its file is gone.
        A test that still exists, or whose file this run did not see, keeps its record."""
        now = self.now.get(record.nodeid)
        if now is not None:
            return now != (record.fingerprint, record.case)
        path = _file_of(record.nodeid)
        return path in self.files or path in self.missing_files

    def match(self, nodeid: str, identity: Identity) -> _Match:
        key = (identity.fingerprint, identity.case)
        candidates = self.ledger.get(nodeid, ())
        own = _best(r for r in candidates if (r.fingerprint, r.case) == key)
        if own is not None:
            return _Match(own, own.status)
        if identity.case is not None:  # red evidence from a module that could not import
            base_id = _base_id(nodeid)
            base = _best(
                r
                for r in self.ledger.get(base_id, ())
                if r.case is None and r.fingerprint == identity.fingerprint
            )
            if base is not None:
                return _Match(base, base.status, base_id)
        elsewhere = _best(r for r in self.by_identity.get(key, ()) if self._moved(r))
        if elsewhere is not None:  # renamed, moved, or a parametrize id that shifted
            return _Match(elsewhere, elsewhere.status, elsewhere.nodeid)
        if any((r.fingerprint, r.case) not in self.observed for r in candidates):
            return _Match(None, "changed")
        return _Match(None, "none", stale=bool(candidates))


def _red_record(o: Observation, failure: Failure, head: str | None) -> Record:
    return Record(
        o.nodeid,
        "red",
        o.identity.fingerprint,
        o.identity.case,
        kind=failure.kind,
        exception=failure.exception,
        message=failure.message,
        head=head,
    )


def _wrong_reason(failure: Failure | None, accept: Collection[str]) -> str:
    if failure is None:
        return "failed without an exception to judge (a crash?)"
    what = f"{failure.exception}: {failure.message}" if failure.message else failure.exception
    if failure.kind is not None:
        accepted = ", ".join(sorted(accept)) or "nothing"
        return (
            f"failed with kind {failure.kind}, which tdd_red_accept does not accept "
            f"(it accepts {accepted}): {what}"
        )
    return f"failed for the wrong reason, {failure.cause}: {what}"


def _judge_new(
    phase: Phase, o: Observation, m: _Match, accept: Collection[str], head: str | None
) -> tuple[str, str | None, Record | None]:
    """Verdict, violation message and new record for a test without current evidence."""
    changed = m.state == "changed"
    if phase == "refactor":
        if changed:
            return "modified-after-red", "changed since its evidence was recorded", None
        return "new-in-refactor", "a new test: a refactoring adds no tests", None
    if phase == "green":
        if changed:
            return "modified-after-red", "changed since it was seen failing", None
        if o.result not in RAN:
            return "not-run", f"a new test that was not run ({o.result})", None
        return "never-red", "never seen failing", None
    if o.result == "passed":
        what = "changed since its evidence and passes" if changed else "passes before it"
        return "passed-in-red", f"{what} is implemented", None
    if o.result != "failed":
        return "not-run", f"a new test that was not run ({o.result})", None
    if o.failure is not None and o.failure.accepted_by(accept):
        return "recorded-red", None, _red_record(o, o.failure, head)
    return "wrong-reason", _wrong_reason(o.failure, accept), None


def _judge_known(o: Observation, m: _Match) -> tuple[str, str | None, Record | None]:
    """Verdict, violation message and new record for a test with current evidence."""
    record = m.record
    assert record is not None
    if o.result == "failed":
        if record.status == "red":
            return "red", None, None
        return "regression", f"has {record.status} evidence and now fails", None
    if o.result != "passed":
        return "skipped", None, None
    if record.status == "red":
        return "green", None, replace(record, status="green")
    return record.status, None, None


def judge(
    phase: Phase,
    observations: Sequence[Observation],
    ledger: Mapping[str, tuple[Record, ...]],
    accept: Collection[str],
    head: str | None,
    uncollectable: Mapping[str, Failure] | None = None,
    missing_files: Collection[str] = (),
) -> Judgement:
    """Apply ``phase``'s contract to every observed test.

    ``uncollectable`` names test modules that could not be collected and whose tests
    could not be found either (a syntax error, say): in a red run each is a violation.
    ``missing_files`` are test files that no longer exist: their records may move to
    tests with the same code.
    """
    matcher = _Matcher(ledger, observations, missing_files)
    judgement = Judgement()
    proved_something = False
    for o in observations:
        m = matcher.match(o.nodeid, o.identity)
        if o.exempt is not None:
            judgement.verdicts[o.nodeid] = Verdict(
                o.nodeid, "exempt", m.state, m.record, note=o.exempt
            )
            continue
        if m.record is None:
            verdict, problem, new = _judge_new(phase, o, m, accept, head)
            proved_something |= o.result in RAN
        else:
            verdict, problem, new = _judge_known(o, m)
        if new is None and m.inherited_from is not None and problem is None:
            new = m.record  # copy inherited evidence to the test's current id
        if m.stale:
            judgement.changes.drop.add(o.nodeid)
        if new is not None:
            new = replace(
                new, nodeid=o.nodeid, fingerprint=o.identity.fingerprint, case=o.identity.case
            )
            judgement.changes.put[o.nodeid] = new
        violation = Violation(o.nodeid, verdict, problem) if problem is not None else None
        if violation is not None:
            judgement.violations.append(violation)
        judgement.verdicts[o.nodeid] = Verdict(
            o.nodeid, verdict, m.state, new or m.record, violation, m.inherited_from
        )
    if phase == "red":
        for nodeid, failure in sorted((uncollectable or {}).items()):
            message = f"cannot be collected: {_wrong_reason(failure, accept)}"
            judgement.violations.append(Violation(nodeid, "wrong-reason", message))
    if phase == "red" and not proved_something:
        judgement.violations.append(
            Violation(None, "nothing-to-prove", "the red run executed no test without evidence")
        )
    return judgement


def adopt(
    observations: Sequence[Observation],
    ledger: Mapping[str, tuple[Record, ...]],
    missing_files: Collection[str] = (),
) -> Judgement:
    """Record every passing test without current evidence as legacy evidence."""
    matcher = _Matcher(ledger, observations, missing_files)
    judgement = Judgement()
    for o in observations:
        m = matcher.match(o.nodeid, o.identity)
        verdict: str
        if m.record is not None:
            verdict, record = m.record.status, m.record
        elif o.result == "passed":
            verdict = "adopted"
            record = Record(o.nodeid, "legacy", o.identity.fingerprint, o.identity.case)
            judgement.changes.put[o.nodeid] = record
        else:
            verdict, record = o.result, None
        judgement.verdicts[o.nodeid] = Verdict(o.nodeid, verdict, m.state, record)
    return judgement


def stale_ids(
    ledger: Mapping[str, tuple[Record, ...]],
    collected: Collection[str],
    complete_files: Collection[str],
    missing_files: Collection[str],
) -> set[str]:
    """Ids whose tests no longer exist: their file was collected in full by this run and
    did not yield them, or their file is gone."""
    stale = set()
    for nodeid in ledger:
        if nodeid in collected:
            continue
        path = nodeid.partition("::")[0]
        if path in complete_files or path in missing_files:
            stale.add(nodeid)
    return stale
