"""The red / green / refactor contract: what each phase asks of each test.

Pure: observations of this run and the evidence ledger in, verdicts, violations and the
changes to write out. No pytest, no files. The words a verdict is made of are the
``Literal`` types below; every other module imports them from here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, NamedTuple

from pytest_tdd.evidence import Changes, Record
from pytest_tdd.reasons import Failure
from pytest_tdd.vocabulary import Phase

Result = Literal["passed", "failed", "skipped", "xfailed", "xpassed", "not-run"]
RAN: tuple[Result, ...] = ("passed", "failed")
# The evidence a test had before this run: none, a record of other code (changed), or
# a record of its current code with that record's status.
State = Literal["none", "changed", "red", "green", "legacy"]
ViolationKind = Literal[
    "never-red",
    "passed-in-red",
    "wrong-reason",
    "modified-after-red",
    "regression",
    "still-red",
    "new-in-refactor",
    "not-run",
    "nothing-to-prove",
    "diff-coverage",
    # --tdd-verify
    "passed-on-base",
    "wrong-reason-on-base",
    "edited-to-pass",
    "removed-failing",
]
# What a run concluded about one test: a violation, or one of these.
Word = (
    ViolationKind
    | Literal["recorded-red", "red", "green", "legacy", "exempt", "skipped"]
    | Literal["adopted", "re-adopted", "not-adopted", "failed", "xfailed", "xpassed"]
)
# Verdicts of tests whose failure this run asked for (a red proof).
PROVEN_RED: frozenset[Word] = frozenset({"recorded-red", "red"})
# When a union merge left several records for one test, the most advanced one wins.
_RANK = {"green": 3, "legacy": 2, "red": 1}


class Identity(NamedTuple):
    """What evidence is bound to: the test function's fingerprint, for a parametrized
    case the fingerprint of its own parameter values, and a digest of the test code it
    depends on (helpers, fixtures), if any.

    A named tuple: one per collected test is kept from identification to the judgement
    (``Sighting.items``), and its observation shares it; it costs less memory than a
    slotted object. (Unlike a plain tuple of strings, a named tuple stays tracked by the
    garbage collector; the instruction counts in docs/performance.md show no cost.)"""

    fingerprint: str
    case: str | None = None
    deps: str | None = None


# Builds an Identity from a tuple of its three fields, without the Python-level
# constructor: identification makes one per collected test.
new_identity: Callable[[type[Identity], tuple[str, str | None, str | None]], Identity] = (
    tuple.__new__
)


# The ``deps`` of a test whose digest was not computed: its id holds green or legacy
# evidence of its current code and nothing red, so no verdict and no record needs it
# (``needs_deps``). Never written to the evidence file.
UNCHECKED = "unchecked"


def needs_deps(records: Iterable[Record], fingerprint: str, case: str | None) -> bool:
    """Does judging a test need the digest of the test code it depends on?

    Deps are compared only with red evidence (a helper weakened between red and green),
    and bound into every record a run writes. A test whose id holds evidence of its
    current code, none of it red, needs neither: its digest, the costliest part of its
    identity, is not computed. ``records`` are the evidence at the test's id."""
    matched = False
    for record in records:
        if record.status == "red":
            return True
        matched = matched or (record.fingerprint == fingerprint and record.case == case)
    return not matched


# The other per-test records of a judgement (Observation, Verdict, _Match) are plain
# slotted dataclasses, not frozen ones: a run makes one of each per test, and a frozen
# dataclass's __init__ sets each field through object.__setattr__, four times the cost.
# Nothing changes them once made.
@dataclass(slots=True)
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
    kind: ViolationKind
    message: str


@dataclass(slots=True)
class Verdict:
    nodeid: str
    verdict: Word
    evidence: State  # the evidence before this run
    record: Record | None = None  # the evidence after this run
    violation: Violation | None = None
    inherited_from: str | None = None
    note: str | None = None


@dataclass
class Judgement:
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)

    def failing(self, observations: Iterable[Observation]) -> list[str]:
        """Tests that failed without the run asking for it, and no violation says so."""
        flagged = {v.nodeid for v in self.violations}
        return [
            o.nodeid
            for o in observations
            if o.result == "failed"
            and o.nodeid not in flagged
            and (v := self.verdicts.get(o.nodeid)) is not None
            and v.verdict not in PROVEN_RED
        ]


def _best(records: Iterable[Record]) -> Record | None:
    return max(records, key=lambda r: _RANK[r.status], default=None)


def _base_id(nodeid: str) -> str:
    return nodeid.partition("[")[0] if nodeid.endswith("]") else nodeid


def _key(record: Record) -> tuple[str, str | None]:
    return (record.fingerprint, record.case)


@dataclass(slots=True)
class _Match:
    record: Record | None
    state: State
    inherited_from: str | None = None
    stale: bool = False  # the test's id holds records of code that now sits elsewhere
    previous: Record | None = None  # for a changed test: the record of its old code
    deps_changed: bool = False  # red evidence whose helpers or fixtures changed
    twin: str | None = None  # for a new test: its code's record in a file not collected

    @property
    def what_changed(self) -> str:
        return (
            "a helper or fixture it uses, or a parameter value, changed"
            if self.deps_changed
            else "changed"
        )


def _file_of(nodeid: str) -> str:
    return nodeid.partition("::")[0]


LeftFile = Callable[[str], bool]  # has the test of this id left its file? (``departed``)


def never_left(nodeid: str) -> bool:
    return False


class _Matcher:
    """Finds the evidence that covers a test's current code."""

    def __init__(
        self,
        ledger: Mapping[str, tuple[Record, ...]],
        observations: Collection[Observation],
        missing_files: Collection[str] = (),
        complete_files: Collection[str] | None = None,
        left_file: LeftFile = never_left,
    ) -> None:
        self.ledger = ledger
        self.observations = observations
        self.complete_files = complete_files
        self.missing_files = missing_files
        self.left_file = left_file

    # The indexes below are built the first time a test is not found under its id with
    # the same code (a new, changed, renamed or moved test): a finished suite needs none.

    @cached_property
    def now(self) -> dict[str, tuple[str, str | None]]:
        """Each observed test's code, by id."""
        return {o.nodeid: (o.identity.fingerprint, o.identity.case) for o in self.observations}

    @cached_property
    def observed(self) -> set[tuple[str, str | None]]:
        return set(self.now.values())

    @cached_property
    def files(self) -> set[str]:
        return {_file_of(nodeid) for nodeid in self.now}

    @cached_property
    def by_identity(self) -> dict[tuple[str, str | None], list[Record]]:
        """Every record by its code."""
        # Plain tuples as keys: the garbage collector does not track them.
        found: dict[tuple[str, str | None], list[Record]] = {}
        for nodeid in sorted(self.ledger):
            for record in self.ledger[nodeid]:
                found.setdefault(_key(record), []).append(record)
        return found

    def _moved(self, origin: str, key: tuple[str, str | None]) -> bool:
        """Has the code ``key`` left the id ``origin``? Its id now holds other code (a
        shifted parametrize id), or is gone from a file this run collected in full, or its
        file is gone, or its file's source no longer defines it (``left_file``). A test
        that still exists, or may exist in a file this run did not see in full, keeps its
        record."""
        now = self.now.get(origin)
        if now is not None:
            return now != key
        path = _file_of(origin)
        # Not told which files were run in full: those of the tests observed (a caller
        # that judges a whole run passes the set; this default serves plain uses)
        complete = self.files if self.complete_files is None else self.complete_files
        if path in complete or path in self.missing_files:
            return True
        return self.left_file(origin)  # in a file not run in full: its source says

    @cached_property
    def heirs(self) -> dict[str, Record]:
        """The moved record each test takes, by its id: a test with no record of its code
        under its own id (nor a cases' record under its function's) takes a record of that
        code whose code has left its id. A record goes to one test at most; each test
        takes, of those left, first a record whose id is gone, then one of its own
        function (a shifted parametrize id), then one of its own file: a twin that is
        still there, changed, keeps its record while another's is to be had. In a file run
        in part, a case of the test's own function that the run did not see is taken for
        shifted (``-k``, a node id): another function's test may still be there."""
        seeking: dict[tuple[str, str | None], list[str]] = {}
        for nodeid, key in self.now.items():
            if not self._holds(nodeid, key):
                seeking.setdefault(key, []).append(nodeid)
        heirs: dict[str, Record] = {}
        for key, nodeids in seeking.items():
            pool: dict[str, list[Record]] = {}
            for r in self.by_identity.get(key, ()):
                pool.setdefault(r.nodeid, []).append(r)
            moved = {origin for origin in pool if self._moved(origin, key)}
            for nodeid in sorted(nodeids):
                # A case of its own function that this run did not see (a file run in
                # part): its id shifted, as the code it held is at this one now
                open_ = [o for o in pool if o in moved or self._shifted(o, nodeid)]
                if not open_:
                    continue
                taken = min(open_, key=lambda origin: self._distance(origin, nodeid))
                best = _best(pool.pop(taken))
                assert best is not None  # a pool entry holds a record
                heirs[nodeid] = best
        return heirs

    def _shifted(self, origin: str, nodeid: str) -> bool:
        return (
            origin not in self.now and origin.endswith("]") and _base_id(origin) == _base_id(nodeid)
        )

    def _twin(self, key: tuple[str, str | None]) -> str | None:
        """The id of a record of this code in a file this run did not collect, if any:
        a test of that code may have moved from there, which only a run of that file can
        tell."""
        return next(
            (
                r.nodeid
                for r in self.by_identity.get(key, ())
                if _file_of(r.nodeid) not in self.files
            ),
            None,
        )

    def _holds(self, nodeid: str, key: tuple[str, str | None]) -> bool:
        """Does ``nodeid`` hold a record of the code ``key`` (or its function's id a
        record of the function without a case, from a module that could not import)?"""
        if any(_key(r) == key for r in self.ledger.get(nodeid, ())):
            return True
        return key[1] is not None and any(
            r.case is None and r.fingerprint == key[0]
            for r in self.ledger.get(_base_id(nodeid), ())
        )

    def _distance(self, origin: str, nodeid: str) -> tuple[bool, bool, bool, str]:
        return (
            origin in self.now,
            _base_id(origin) != _base_id(nodeid),
            _file_of(origin) != _file_of(nodeid),
            origin,
        )

    @cached_property
    def taken(self) -> dict[tuple[str, tuple[str, str | None]], str]:
        """The records some test takes, by their id and code: the id of the test."""
        return {(r.nodeid, _key(r)): heir for heir, r in self.heirs.items()}

    def unjudged(self, nodeid: str) -> tuple[Record, ...]:
        """Records at ``nodeid`` of code this run did not see, in a file it did not collect
        in full (a shifted parametrize case, say): another run's to judge, never dropped."""
        if self.complete_files is not None and _file_of(nodeid) in self.complete_files:
            return ()
        return tuple(r for r in self.ledger.get(nodeid, ()) if _key(r) not in self.observed)

    def match(self, nodeid: str, identity: Identity) -> _Match:
        key = (identity.fingerprint, identity.case)
        candidates = self.ledger.get(nodeid, ())
        if len(candidates) == 1:  # the common case: one record under the test's id
            found = candidates[0] if _key(candidates[0]) == key else None
        else:
            found = _best(r for r in candidates if _key(r) == key)
        inherited = None
        if found is None and identity.case is not None:
            # red evidence from a module that could not import covers each of its cases
            base_id = _base_id(nodeid)
            found = _best(
                r
                for r in self.ledger.get(base_id, ())
                if r.case is None and r.fingerprint == identity.fingerprint
            )
            inherited = base_id if found is not None else None
        if found is None:  # renamed, moved, or a parametrize id that shifted
            found = self.heirs.get(nodeid)
            inherited = found.nodeid if found is not None else None
        if found is not None:
            # Deps are compared with red evidence only: green and legacy evidence stays
            # bound to the digest it was written with (a refactor of shared helpers while
            # everything is green changes no record).
            if found.status != "red" or found.deps in (None, identity.deps):
                return _Match(found, found.status, inherited)
            return _Match(None, "changed", previous=found, deps_changed=True)
        others = [r for r in candidates if (r.nodeid, _key(r)) not in self.taken]
        if others:
            return _Match(None, "changed", previous=_best(others))
        heirs = {self.taken[(r.nodeid, _key(r))] for r in candidates}
        if heirs and all(_base_id(heir) != _base_id(nodeid) for heir in heirs):
            # Its old code went to another function, and it holds new code: it changed.
            # Its record stays (the next run says the same), as a changed test's does.
            return _Match(None, "changed", previous=_best(candidates))
        # a new test, or a new case at a shifted id
        return _Match(None, "none", stale=bool(candidates), twin=self._twin(key))


def _deps_to_bind(o: Observation) -> str | None:
    """The deps a new record of ``o`` binds: computed for every test that gets one."""
    if o.identity.deps == UNCHECKED:  # pragma: no cover - needs_deps rules it out
        raise AssertionError(f"pytest-tdd: a record of {o.nodeid} without its deps digest")
    return o.identity.deps


def without_evidence(
    observations: Collection[Observation],
    ledger: Mapping[str, tuple[Record, ...]],
    missing_files: Collection[str] = (),
    left_file: LeftFile = never_left,
    complete_files: Collection[str] | None = None,
) -> list[str]:
    """The tests, not exempt, that have no evidence of their current code."""
    matcher = _Matcher(ledger, observations, missing_files, complete_files, left_file)
    return [
        o.nodeid
        for o in observations
        if o.exempt is None and matcher.match(o.nodeid, o.identity).record is None
    ]


def states(
    observations: Collection[Observation],
    ledger: Mapping[str, tuple[Record, ...]],
    missing_files: Collection[str] = (),
    left_file: LeftFile = never_left,
    complete_files: Collection[str] | None = None,
) -> dict[str, tuple[State, Record | None]]:
    """Each test's evidence state, by the same matching as the verdict, with the record
    behind it: the record of its current code, or for a changed test that of its old code
    (``pytest --tdd-status``)."""
    matcher = _Matcher(ledger, observations, missing_files, complete_files, left_file)
    found: dict[str, tuple[State, Record | None]] = {}
    for o in observations:
        m = matcher.match(o.nodeid, o.identity)
        found[o.nodeid] = (m.state, m.record if m.record is not None else m.previous)
    return found


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
        return "failed without an exception to judge (a crash, or a strict xfail that passed)"
    what = f"{failure.exception}: {failure.message}" if failure.message else failure.exception
    if failure.kind is not None and failure.kind not in accept:
        accepted = ", ".join(sorted(accept)) or "nothing"
        return (
            f"failed with kind {failure.kind}, which tdd_red_accept does not accept "
            f"(it accepts {accepted}): {what}"
        )
    return f"failed for the wrong reason, {failure.cause}: {what}"


def _judge_new(
    phase: Phase, o: Observation, m: _Match, accept: Collection[str], head: str | None
) -> tuple[Word, str | None, Record | None]:
    """Verdict, violation message and new record for a test without current evidence."""
    changed = m.state == "changed"
    if phase == "refactor":
        if changed:
            return "modified-after-red", f"{m.what_changed} since its evidence was recorded", None
        return "new-in-refactor", "a new test: a refactoring adds no tests", None
    if phase == "green":
        if changed:
            since = (
                "it was adopted (legacy)"
                if m.previous is not None and m.previous.status == "legacy"
                else "it was seen failing"
            )
            return "modified-after-red", f"{m.what_changed} since {since}", None
        if o.result not in RAN:
            return "not-run", _not_run(o), None
        if o.result == "failed":
            return "never-red", "fails, and was never recorded red", None
        if m.twin is not None:
            return (
                "never-red",
                f"never seen failing; its code is recorded at {m.twin}, in a file this run did"
                " not collect: if it moved from there, run that file too",
                None,
            )
        return "never-red", "never seen failing", None
    if o.result == "passed":
        if changed:
            return (
                "passed-in-red",
                "changed since its evidence was recorded, and passes: a changed test must "
                "fail first",
                None,
            )
        return "passed-in-red", "passes before it is implemented", None
    if o.result != "failed":
        return "not-run", _not_run(o), None
    if o.failure is not None and o.failure.accepted_by(accept):
        return "recorded-red", None, _red_record(o, o.failure, head)
    return "wrong-reason", _wrong_reason(o.failure, accept), None


def _not_run(o: Observation) -> str:
    if o.result == "not-run":
        return "a new test that was not run: the run ended before it (-x, --maxfail, a stop)"
    return f"a new test that was not run ({o.result})"


def _judge_known(phase: Phase, o: Observation, m: _Match) -> tuple[Word, str | None, Record | None]:
    """Verdict, violation message and new record for a test with current evidence."""
    record = m.record
    assert record is not None
    if o.result == "failed":
        if record.status != "red":
            return "regression", f"has {record.status} evidence and now fails", None
        if phase == "red":
            return "red", None, None
        if o.failure is None:
            return (
                "still-red",
                "recorded red, and now fails without an exception: a strict xfail that passes"
                " (remove its xfail mark), or a crash",
                None,
            )
        if o.failure.kind is None:
            what = f"{o.failure.exception}: {o.failure.message}".rstrip(": ")
            return (
                "still-red",
                f"recorded red, and now fails for the wrong reason, {o.failure.cause}: {what}",
                None,
            )
        return "still-red", "recorded red and still fails: implement what it asks for", None
    if o.result != "passed":
        return "skipped", None, None
    if record.status == "red":
        return "green", None, record._replace(status="green")
    return record.status, None, None


def judge(
    phase: Phase,
    observations: Collection[Observation],
    ledger: Mapping[str, tuple[Record, ...]],
    accept: Collection[str],
    head: str | None,
    uncollectable: Mapping[str, Failure] | None = None,
    missing_files: Collection[str] = (),
    complete_files: Collection[str] | None = None,
    left_file: LeftFile = never_left,
) -> Judgement:
    """Apply ``phase``'s contract to every observed test.

    ``uncollectable`` names test modules that could not be collected and whose tests
    could not be found either (a syntax error, say): in a red run each is a violation.
    ``missing_files`` are test files that no longer exist: their records may move to
    tests with the same code. ``complete_files`` are the test files this run collected in
    full: a record of code the run did not see, in any other file, is never dropped or
    replaced, nor taken by another test unless ``left_file`` says its test left (None:
    nothing is kept apart from the files of the observed tests, which count as complete
    for moves). ``left_file`` tells whether the test of a record in a file this run did not
    collect has left that file (its source no longer defines it): its record may move.
    """
    matcher = _Matcher(ledger, observations, missing_files, complete_files, left_file)
    judgement = Judgement()
    proved_something = False
    for o in observations:
        m = matcher.match(o.nodeid, o.identity)
        if o.exempt is not None:
            _exempt(o, m, ledger, judgement)
            continue
        if m.record is None:
            verdict, problem, new = _judge_new(phase, o, m, accept, head)
            proved_something |= o.result in RAN
        else:
            verdict, problem, new = _judge_known(phase, o, m)
            proved_something |= verdict == "red"
        if new is None and m.inherited_from is not None and problem is None:
            new = m.record  # copy inherited evidence to the test's current id
        if m.stale:
            judgement.changes.drop.add(o.nodeid)
        if new is not None:
            new = new._replace(
                nodeid=o.nodeid,
                fingerprint=o.identity.fingerprint,
                case=o.identity.case,
                deps=_deps_to_bind(o),
            )
            judgement.changes.put[o.nodeid] = new
            kept = matcher.unjudged(o.nodeid)
            if kept:
                judgement.changes.keep[o.nodeid] = kept
        violation = Violation(o.nodeid, verdict, problem) if problem is not None else None  # type: ignore[arg-type]
        if violation is not None:
            judgement.violations.append(violation)
        judgement.verdicts[o.nodeid] = Verdict(
            o.nodeid,
            verdict,
            m.state,
            new or m.record,
            violation,
            m.inherited_from,
        )
    if phase == "red":
        for nodeid, failure in sorted((uncollectable or {}).items()):
            if failure.accepted_by(accept):
                message = (
                    f"cannot be collected ({failure.kind}, {failure.exception}: "
                    f"{failure.message}), and no test was found in its source to record "
                    "red: pytest names its tests in a way the source does not show"
                )
            else:
                message = f"cannot be collected: {_wrong_reason(failure, accept)}"
            judgement.violations.append(Violation(nodeid, "wrong-reason", message))
    if phase == "red" and not proved_something:
        judgement.violations.append(
            Violation(
                None,
                "nothing-to-prove",
                "the red run executed no test without green or legacy evidence",
            )
        )
    return judgement


def expected_failures(
    phase: Phase | None,
    judgement: Judgement,
    failed_reports: Mapping[str, int],
    modules: Mapping[str, Sequence[str]],
) -> int:
    """How many of pytest's failures the run asked for: in a red run, every failed report
    of a test proven red, and the collection error of a module whose tests (``modules``
    maps a module to the tests found in its source) were all proven red."""
    if phase != "red":
        return 0
    proven = {n for n, v in judgement.verdicts.items() if v.verdict in PROVEN_RED}
    expected = sum(failed_reports.get(n, 0) for n in proven)
    for tests in modules.values():
        if tests and all(n in proven for n in tests):
            expected += 1
    return expected


def _exempt(
    o: Observation, m: _Match, ledger: Mapping[str, tuple[Record, ...]], judgement: Judgement
) -> None:
    """An exempt test is never recorded, by a phase or by adopt: what an earlier run left
    at its id goes."""
    judgement.verdicts[o.nodeid] = Verdict(o.nodeid, "exempt", m.state, m.record, note=o.exempt)
    if o.nodeid in ledger:
        judgement.changes.drop.add(o.nodeid)


def adopt(
    observations: Collection[Observation],
    ledger: Mapping[str, tuple[Record, ...]],
    missing_files: Collection[str] = (),
    complete_files: Collection[str] | None = None,
    *,
    empty: Collection[str] = frozenset(),
    left_file: LeftFile = never_left,
) -> Judgement:
    """Record every passing test without evidence as legacy evidence.

    A test whose code changed since its green or legacy record is re-adopted (and named
    as such); a red record, a cycle in progress, is never replaced; a test whose body is
    empty (``empty``) proves nothing and is not adopted; an exempt test is never recorded.
    """
    matcher = _Matcher(ledger, observations, missing_files, complete_files, left_file)
    judgement = Judgement()
    for o in observations:
        m = matcher.match(o.nodeid, o.identity)
        if o.exempt is not None:
            _exempt(o, m, ledger, judgement)
            continue
        verdict: Word
        note = None
        record = m.record
        if m.record is not None:
            verdict = m.record.status
        elif m.previous is not None and m.previous.status == "red":
            verdict = "not-adopted"
            note = (
                "it has red evidence (a cycle in progress): finish it with "
                "--tdd-phase=green, or record it red again with --tdd-phase=red"
            )
        elif o.nodeid in empty:
            verdict = "not-adopted"
            note = "its body is empty: it proves nothing; give it an assertion"
        elif o.result == "passed":
            verdict = "re-adopted" if m.state == "changed" else "adopted"
            if verdict == "re-adopted" and m.previous is not None:
                note = f"its code changed since its {m.previous.status} evidence"
            elif ledger:  # past onboarding, each adopted test is named
                note = "it had no evidence and was never seen failing"
            record = Record(
                o.nodeid, "legacy", o.identity.fingerprint, o.identity.case, deps=_deps_to_bind(o)
            )
            judgement.changes.put[o.nodeid] = record
            kept = matcher.unjudged(o.nodeid)
            if kept:
                judgement.changes.keep[o.nodeid] = kept
        else:
            verdict = "skipped" if o.result == "not-run" else o.result
        judgement.verdicts[o.nodeid] = Verdict(o.nodeid, verdict, m.state, record, note=note)
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
