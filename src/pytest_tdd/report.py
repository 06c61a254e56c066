"""Rendering: the terminal section and the JSON report. Pure: data in, text out."""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pytest_tdd.phases import Judgement, Observation, Verdict, Violation, ViolationKind
from pytest_tdd.vocabulary import Phase

_FIXES: dict[ViolationKind, str] = {
    "never-red": "pytest --tdd-phase=red {id} (before the code that makes it pass exists), "
    "or mark it @pytest.mark.tdd_exempt('why')",
    "modified-after-red": "pytest --tdd-phase=red {id} against the code without the change "
    "that makes it pass, or restore the test as it was",
    "passed-in-red": "make it fail first: write it against behaviour the code does not have "
    "yet, or leave it out of this cycle",
    "wrong-reason": "make it fail on an assertion or a missing API, then pytest "
    "--tdd-phase=red {id}",
    "regression": "make it pass again: pytest {id}",
    "still-red": "implement the code that makes it pass, then pytest --tdd-phase={phase} {id}",
    "new-in-refactor": "a refactoring adds no tests: pytest --tdd-phase=red {id}, then green",
    "not-run": "pytest --tdd-phase={phase} {id} (without skip, xfail or -x)",
    "nothing-to-prove": "select the new tests: pytest --tdd-phase=red <their file or id>",
    "diff-coverage": "add tests that execute the missing lines, or exclude lines that need "
    "no test with '# pragma: no cover'; the threshold is --tdd-diff-fail-under",
    # --tdd-verify
    "passed-on-base": "make it test what this change adds, so that it fails against the "
    "base revision's code; a test of behaviour the base already had belongs in a change "
    "of its own, or mark it @pytest.mark.tdd_exempt('why')",
    "wrong-reason-on-base": "make it fail against the base revision's code on an assertion "
    "or a missing API (tdd_red_accept), not on a typo, a fixture or a library error",
    "edited-to-pass": "restore what the old version of {id} checked and make the code pass "
    "it; if the behaviour change is meant, make it a change of its own that says so",
    "removed-failing": "restore {id} and make the code pass it, or delete the code it "
    "tests together with it",
}


def plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _counts(words: Iterable[str | None]) -> str:
    counter = Counter(w for w in words if w)
    return ", ".join(f"{word} {counter[word]}" for word in sorted(counter))


def fix_for(violation: Violation, phase: str) -> str:
    nodeid = shlex.quote(violation.nodeid) if violation.nodeid else ""
    return _FIXES[violation.kind].format(id=nodeid, phase=phase)


def violation_lines(violations: Iterable[Violation], phase: str) -> list[str]:
    lines = []
    for v in violations:
        where = f" {v.nodeid}" if v.nodeid else ""
        lines.append(f"{v.kind.upper()}{where}: {v.message}")
        lines.append(f"    fix: {fix_for(v, phase)}")
    return lines


def note_lines(judgement: Judgement) -> list[str]:
    """One line per test whose verdict carries a note: exempt, re-adopted, not adopted."""
    lines = []
    for v in judgement.verdicts.values():
        if v.note is None:
            continue
        word = "not adopted" if v.verdict == "not-adopted" else v.verdict
        lines.append(f"tdd: {word} {v.nodeid}: {v.note}")
    return lines


def gone_line(nodeids: Sequence[str], shown: int = 3) -> str:
    """The tests whose evidence a run drops because they no longer exist."""
    more = f" and {len(nodeids) - shown} more" if len(nodeids) > shown else ""
    return (
        f"tdd: dropped the evidence of {plural(len(nodeids), 'test')} that no longer "
        f"{'exists' if len(nodeids) == 1 else 'exist'}: " + ", ".join(nodeids[:shown]) + more
    )


def _red_part(verdicts: list[Verdict]) -> tuple[str, str]:
    new = [v for v in verdicts if v.verdict == "recorded-red"]
    kinds = _counts(v.record.kind if v.record else None for v in new)
    still = sum(1 for v in verdicts if v.verdict == "red")
    recorded = f"{plural(len(new), 'new test')} seen failing for the right reason ({kinds})"
    kept = f"{plural(still, 'test')} still red, evidence unchanged"
    return (recorded if new else "", kept if still else "")


def summary_line(phase: Phase, judgement: Judgement, failing: int = 0, uncollected: int = 0) -> str:
    """The phase's verdict on the run. ``uncollected`` counts the test files that could not
    be collected (asked of green and refactor): their tests were never judged."""
    verdicts = list(judgement.verdicts.values())
    if judgement.violations:
        counts = _counts(v.kind for v in judgement.violations)
        line = f"tdd: {phase} fails: {plural(len(judgement.violations), 'violation')} ({counts})"
        if phase == "red":
            new = [v for v in verdicts if v.verdict == "recorded-red"]
            if new:
                kinds = _counts(v.record.kind if v.record else None for v in new)
                line += f"; recorded {plural(len(new), 'new test')} red ({kinds})"
        if uncollected:
            line += f"; {plural(uncollected, 'test file')} could not be collected"
        return line
    if failing:
        return f"tdd: {phase} fails: {plural(failing, 'failing test')}"
    if uncollected:
        whose = "its" if uncollected == 1 else "their"
        return (
            f"tdd: {phase} fails: {plural(uncollected, 'test file')} could not be collected;"
            f" {whose} tests were not judged"
        )
    if phase == "red":
        parts = [p for p in _red_part(verdicts) if p]
        return "tdd: red holds: " + "; ".join(parts)
    turned = sum(1 for v in verdicts if v.verdict == "green" and v.evidence == "red")
    kept = sum(1 for v in verdicts if v.verdict != "exempt") - turned
    kept_text = f"{plural(kept, 'test')} kept {'its' if kept == 1 else 'their'} evidence"
    if turned:
        return f"tdd: {phase} holds: {plural(turned, 'test')} turned green, {kept_text}"
    return f"tdd: {phase} holds: {kept_text}"


def adopt_line(judgement: Judgement) -> str:
    verdicts = [v.verdict for v in judgement.verdicts.values()]
    adopted = verdicts.count("adopted")
    readopted = verdicts.count("re-adopted")
    refused = sum(1 for v in verdicts if v in ("failed", "skipped", "xfailed", "xpassed"))
    again = f", re-adopted {readopted} (their code changed)" if readopted else ""
    return (
        f"tdd: adopted {plural(adopted, 'passing test')} as legacy evidence{again} "
        f"({refused} not adopted: failed or skipped)"
    )


def to_json(
    phase: Phase | None,
    judgement: Judgement | None,
    observations: Iterable[Observation],
    violations: Iterable[Violation],
    extra: Mapping[str, Any],
    *,
    ok: bool,
) -> dict[str, Any]:
    """The ``--tdd-json`` document; ``ok`` says whether the run exits 0."""
    tests: dict[str, dict[str, Any]] = {}
    for o in observations:
        entry: dict[str, Any] = {"verdict": o.result, "outcome": o.result}
        if o.identity.fingerprint:
            entry["fingerprint"] = o.identity.fingerprint
            if o.identity.case is not None:
                entry["case"] = o.identity.case
        verdict = judgement.verdicts.get(o.nodeid) if judgement else None
        if verdict is not None:
            entry["verdict"] = verdict.verdict
            entry["evidence"] = verdict.evidence
            if verdict.record is not None and verdict.record.kind is not None:
                entry["red"] = {
                    "kind": verdict.record.kind,
                    "exception": verdict.record.exception,
                    "message": verdict.record.message,
                    "head": verdict.record.head,
                }
            if verdict.inherited_from is not None:
                entry["inherited_from"] = verdict.inherited_from
            if verdict.note is not None:
                entry["exempt"] = verdict.note
        if o.failure is not None:
            entry["failure"] = {
                "when": o.failure.when,
                "exception": o.failure.exception,
                "message": o.failure.message,
                "kind": o.failure.kind,
                "cause": o.failure.cause,
            }
        tests[o.nodeid] = entry
    violations = list(violations)
    return {
        "phase": phase,
        "ok": ok and not violations,
        "tests": tests,
        "violations": [
            {"nodeid": v.nodeid, "kind": v.kind, "message": v.message} for v in violations
        ],
        "summary": dict(Counter(entry["verdict"] for entry in tests.values())),
        **extra,
    }
