"""Rendering ``--tdd-verify``: terminal lines, the JSON section, Markdown, GitHub
annotations. Pure: a ``Verification`` in, text out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_tdd.gitdiff import Base
from pytest_tdd.report import fix_for, plural
from pytest_tdd.verifyjudge import Entry, violations


@dataclass
class Verification:
    """What verify found: the change's tests and the removed tests with their verdicts,
    and where each test of this run is defined (repository-relative file, line)."""

    base: Base
    tests: dict[str, Entry] = field(default_factory=dict)
    removed: dict[str, Entry] = field(default_factory=dict)
    places: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def empty(self) -> bool:
        return not self.tests and not self.removed


def _counts(entries: Mapping[str, Entry], attribute: str) -> str:
    found: dict[str, int] = {}
    for entry in entries.values():
        value = getattr(entry, attribute)
        if value:
            found[value] = found.get(value, 0) + 1
    return ", ".join(f"{k} {found[k]}" for k in sorted(found))


def summary(result: Verification) -> str:
    where = f"base {result.base.describe()}"
    if result.empty:
        return f"tdd: verify: no new or changed tests since {where}; nothing to prove against it"
    found = violations(result.tests, result.removed)
    if found:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(_tally(v.kind for v in found).items()))
        return f"tdd: verify fails: {plural(len(found), 'violation')} ({kinds}); {where}"
    red = {n: e for n, e in result.tests.items() if e.verdict == "red"}
    parts = []
    if red:
        verb = "fails" if len(red) == 1 else "fail"
        parts.append(
            f"{plural(len(red), 'test')} of the change {verb} against the base's code for "
            f"the right reason ({_counts(red, 'kind')})"
        )
    others = {n: e for n, e in result.tests.items() if e.verdict != "red"}
    if others:
        parts.append(_counts(others, "verdict"))
    if result.removed:
        parts.append(f"{plural(len(result.removed), 'removed test')}")
    return f"tdd: verify holds: {'; '.join(parts)}; {where}"


def _tally(words: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    for word in words:
        found[word] = found.get(word, 0) + 1
    return found


def detail_lines(result: Verification, verbose: bool) -> list[str]:
    """One line per test that is not a violation but worth naming: rewritten, not run,
    removed; with ``verbose``, the red ones too."""
    lines = []
    for nodeid, entry in result.tests.items():
        if entry.violation is None and (verbose or entry.verdict != "red"):
            lines.append(f"    {entry.verdict} {nodeid}: {_why(entry)}")
    for nodeid, entry in result.removed.items():
        if entry.violation is None:
            lines.append(f"    removed ({entry.verdict}) {nodeid}: {_why(entry)}")
    return lines


def _why(entry: Entry) -> str:
    if entry.verdict == "red":
        what = f"{entry.exception}: {entry.message}" if entry.message else entry.exception
        return f"{what} ({entry.kind})"
    return entry.message or ""


def to_json(result: Verification | None, problem: str | None, base: Base) -> dict[str, Any]:
    if result is None:
        return {"base": base.sha, "tests": {}, "removed": {}, "seconds": 0.0, "error": problem}
    data: dict[str, Any] = {
        "base": result.base.sha,
        "tests": {n: e.to_json() for n, e in sorted(result.tests.items())},
        "removed": {n: e.to_json() for n, e in sorted(result.removed.items())},
        "seconds": round(result.seconds, 3),
    }
    if problem is not None:
        data["error"] = problem
    return data


def _escape(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def github_annotations(result: Verification) -> list[str]:
    """``::error`` workflow commands for the violations, at each test's definition."""
    commands = []
    for v in violations(result.tests, result.removed):
        nodeid = v.nodeid or ""
        path, line = result.places.get(nodeid, (nodeid.partition("::")[0], None))
        where = f"file={_escape(path, True)}" + (f",line={line}" if line else "")
        message = f"{nodeid}: {v.message}\nfix: {fix_for(v, 'green')}"
        commands.append(f"::error {where},title={v.kind}::{_escape(message)}")
    return commands


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(result: Verification | None, problem: str | None, base: Base) -> str:
    """The verify section of the Markdown report."""
    if result is None:
        return f"## TDD verify: could not run\n\nBase: {base.describe()}.\n\n{problem}\n"
    found = violations(result.tests, result.removed)
    state = f"fails ({plural(len(found), 'violation')})" if found else "holds"
    lines = [f"## TDD verify: {state}", "", f"Base: {result.base.describe()}.", ""]
    if result.empty:
        lines.append("No new or changed tests.")
    if result.tests:
        lines += ["| Test | Verdict | Against the base |", "|---|---|---|"]
        for nodeid, entry in sorted(result.tests.items()):
            lines.append(f"| `{_cell(nodeid)}` | {entry.verdict} | {_cell(_why(entry))} |")
        lines.append("")
    if result.removed:
        lines += ["| Removed test | Verdict | Against the new code |", "|---|---|---|"]
        for nodeid, entry in sorted(result.removed.items()):
            lines.append(f"| `{_cell(nodeid)}` | {entry.verdict} | {_cell(_why(entry))} |")
        lines.append("")
    if found:
        lines += ["Fixes:", ""]
        lines += [f"- `{_cell(v.nodeid or '')}`: {_cell(fix_for(v, 'green'))}" for v in found]
    return "\n".join(lines).rstrip("\n") + "\n"
