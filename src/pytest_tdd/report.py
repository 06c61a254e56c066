"""Rendering: the terminal section and the JSON report. Pure: data in, text out."""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_tdd.phases import Judgement, Observation, Phase, Violation

_FIXES = {
    "never-red": "pytest --tdd-phase=red {id} (before the code that makes it pass exists), "
    "or mark it @pytest.mark.tdd_exempt('why')",
    "modified-after-red": "pytest --tdd-phase=red {id} against the code without the change "
    "that makes it pass, or restore the test as it was",
    "passed-in-red": "make it fail first; if it covers code that already exists, record it "
    "with pytest --tdd-adopt {id}",
    "wrong-reason": "make it fail on an assertion or a missing API, then pytest "
    "--tdd-phase=red {id}",
    "regression": "make it pass again: pytest {id}",
    "new-in-refactor": "a refactoring adds no tests: pytest --tdd-phase=red {id}, then green",
    "not-run": "pytest --tdd-phase={phase} {id} (without skip, xfail or -x)",
    "nothing-to-prove": "select the new tests: pytest --tdd-phase=red <their file or id>",
    "diff-coverage": "add tests that execute the missing lines, or exclude lines that need "
    "no test with '# pragma: no cover'; the threshold is --tdd-diff-fail-under",
}


def _plural(count: int, word: str, plural: str | None = None) -> str:
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


def exempt_lines(judgement: Judgement) -> list[str]:
    return [
        f"tdd: exempt {v.nodeid}: {v.note}"
        for v in judgement.verdicts.values()
        if v.verdict == "exempt"
    ]


def summary_line(phase: Phase, judgement: Judgement) -> str:
    if judgement.violations:
        counts = _counts(v.kind for v in judgement.violations)
        return f"tdd: {phase} fails: {_plural(len(judgement.violations), 'violation')} ({counts})"
    verdicts = list(judgement.verdicts.values())
    if phase == "red":
        new = [v for v in verdicts if v.verdict == "recorded-red"]
        kinds = _counts(v.record.kind if v.record else None for v in new)
        return (
            f"tdd: red holds: {_plural(len(new), 'new test')} seen failing for the right reason"
            f" ({kinds})"
        )
    turned = sum(1 for v in verdicts if v.verdict == "green" and v.evidence == "red")
    kept = sum(1 for v in verdicts if v.verdict != "exempt") - turned
    kept_text = f"{_plural(kept, 'test')} kept {'its' if kept == 1 else 'their'} evidence"
    if turned:
        return f"tdd: {phase} holds: {_plural(turned, 'test')} turned green, {kept_text}"
    return f"tdd: {phase} holds: {kept_text}"


def adopt_line(judgement: Judgement) -> str:
    verdicts = [v.verdict for v in judgement.verdicts.values()]
    adopted = verdicts.count("adopted")
    refused = sum(
        1 for v in verdicts if v in ("failed", "skipped", "xfailed", "xpassed", "not-run")
    )
    return (
        f"tdd: adopted {_plural(adopted, 'passing test')} as legacy evidence "
        f"({refused} not adopted: failed or skipped)"
    )


def to_json(
    phase: Phase | None,
    judgement: Judgement | None,
    observations: Iterable[Observation],
    violations: Iterable[Violation],
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """The ``--tdd-json`` document."""
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
        "ok": not violations,
        "tests": tests,
        "violations": [
            {"nodeid": v.nodeid, "kind": v.kind, "message": v.message} for v in violations
        ],
        "summary": dict(Counter(entry["verdict"] for entry in tests.values())),
        **extra,
    }
