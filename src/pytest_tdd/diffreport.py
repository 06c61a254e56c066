"""Rendering diff coverage: terminal lines, the JSON section, Markdown, GitHub annotations.

Pure: a ``DiffCoverage`` (and its base) in, text out. Percentages are shown with two
decimals and compared unrounded: 79.99% is below 80%.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_tdd.diffcov import Attribution, DiffCoverage, FileCoverage
from pytest_tdd.gitdiff import Base
from pytest_tdd.phases import Violation


def _runs(lines: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive lines as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    for line in sorted(lines):
        if runs and line == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], line)
        else:
            runs.append((line, line))
    return runs


def ranges(lines: Iterable[int]) -> str:
    """``[14, 20, 21, 22]`` as ``"14, 20-22"``."""
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in _runs(lines))


def _threshold(fail_under: float) -> str:
    return f"{fail_under:g}%"


def _not_covered(result: DiffCoverage) -> int:
    return result.num_missing + result.num_partial


def is_below(result: DiffCoverage, fail_under: float) -> bool:
    percent = result.percent_covered
    return percent is not None and percent < fail_under


def summary(result: DiffCoverage, base: Base, fail_under: float) -> str:
    where = f"base {base.describe()}"
    percent = result.percent_covered
    if percent is None:
        return f"tdd: diff coverage: no measurable changed lines; {where}"
    verdict = "below" if is_below(result, fail_under) else "meets"
    return (
        f"tdd: diff coverage {percent:.2f}% of {result.num_lines} changed lines "
        f"({result.num_covered} covered, {result.num_missing} missing, "
        f"{result.num_partial} partial), {verdict} {_threshold(fail_under)}; {where}"
    )


def violation(result: DiffCoverage, fail_under: float) -> Violation | None:
    if not is_below(result, fail_under):
        return None
    return Violation(
        None,
        "diff-coverage",
        f"{result.percent_covered:.2f}% of {result.num_lines} changed lines covered, "
        f"below {_threshold(fail_under)}",
    )


def _file_line(file: FileCoverage) -> str | None:
    details = []
    if file.missing:
        details.append(f"missing {ranges(file.missing)}")
    if file.partial:
        details.append(f"partial {ranges(file.partial)}")
    if not details:
        return None
    if not file.measured:
        return f"    {file.path} not measured by coverage (outside its source?): " + "; ".join(
            details
        )
    return f"    {file.path} {file.percent_covered or 0:.2f}%: " + "; ".join(details)


def file_lines(result: DiffCoverage) -> list[str]:
    """One line per file with changed lines the tests did not (fully) execute."""
    return [line for f in result.files.values() if (line := _file_line(f)) is not None]


def attribution_lines(attribution: Attribution) -> list[str]:
    lines = []
    if attribution.untested:
        lines.append("tdd: changed lines no new or changed test executed:")
        for path, reasons in attribution.untested.items():
            listed = ", ".join(f"{line} ({reasons[line]})" for line in sorted(reasons))
            lines.append(f"    {path}: {listed}")
    if attribution.idle_tests:
        lines.append("tdd: new or changed tests that executed no changed line:")
        lines.extend(f"    {test}" for test in attribution.idle_tests)
    return lines


def to_json(
    result: DiffCoverage,
    base: Base,
    fail_under: float,
    attribution: Attribution | None = None,
) -> dict[str, Any]:
    """The ``diff_coverage`` section of the ``--tdd-json`` report."""
    data: dict[str, Any] = {
        "base": base.ref,
        "merge_base": base.sha,
        "base_chosen_as": base.how,
        "fail_under": fail_under,
        "percent_covered": result.percent_covered,
        "num_lines": result.num_lines,
        "num_covered": result.num_covered,
        "num_missing": _not_covered(result),
        "num_partial": result.num_partial,
        "files": {
            path: {
                "percent_covered": f.percent_covered,
                "covered_lines": list(f.covered),
                "missing_lines": list(f.missing),
                "partial_lines": list(f.partial),
                "excluded_lines": list(f.excluded),
                "measured": f.measured,
            }
            for path, f in result.files.items()
        },
        "not_measured": list(result.not_measured),
        "skipped": dict(result.skipped),
    }
    if attribution is not None:
        data["contexts"] = {
            "untested_lines": {
                path: {str(line): why for line, why in sorted(reasons.items())}
                for path, reasons in attribution.untested.items()
            },
            "idle_tests": list(attribution.idle_tests),
            "lines_by_test": dict(attribution.lines_by_test),
        }
    return data


def github_annotations(result: DiffCoverage) -> list[str]:
    """GitHub Actions workflow commands that mark uncovered lines in the pull request."""
    commands = []
    for f in result.files.values():
        for first, last in _runs(f.missing):
            what = f"Line {first} was" if first == last else f"Lines {first}-{last} were"
            commands.append(
                f"::warning file={f.path},line={first},endLine={last},"
                f"title=Missing coverage::{what} not executed by the tests"
            )
        for line in f.partial:
            commands.append(
                f"::warning file={f.path},line={line},endLine={line},"
                f"title=Partial coverage::Line {line} has a branch the tests never took"
            )
    return commands


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _code(text: str) -> str:
    """``text`` as one Markdown code span, whatever backticks it holds: fenced by more
    backticks than its longest run, and padded with a space (which Markdown strips)."""
    runs = re.findall("`+", text)
    if not runs:
        return f"`{text}`"
    fence = "`" * (max(map(len, runs)) + 1)
    return f"{fence} {text} {fence}"


def _by_reason(reasons: Mapping[int, str]) -> list[tuple[str, list[int]]]:
    """A file's untested lines grouped by reason, the group with the first line first."""
    groups: dict[str, list[int]] = {}
    for line in sorted(reasons):
        groups.setdefault(reasons[line], []).append(line)
    return list(groups.items())


def _attribution_markdown(attribution: Attribution) -> list[str]:
    lines = ["### Who tested the change", ""]
    lines += ["#### Changed lines that no new or changed test executed", ""]
    if attribution.untested:
        lines += ["| File | Lines | Why |", "|---|---|---|"]
        for path, reasons in attribution.untested.items():
            for why, numbers in _by_reason(reasons):
                lines.append(f"| {_cell(_code(path))} | {ranges(numbers)} | {_cell(why)} |")
    else:
        lines.append("None.")
    lines += ["", "#### New or changed tests that executed no changed line", ""]
    if attribution.idle_tests:
        lines += [f"- {_code(test)}" for test in attribution.idle_tests]
    elif attribution.lines_by_test:
        lines.append("None.")
    else:
        lines.append("None: no new or changed test ran.")
    return lines


def to_markdown(
    result: DiffCoverage,
    base: Base,
    fail_under: float,
    attribution: Attribution | None = None,
) -> str:
    """A report for a pull-request comment or ``$GITHUB_STEP_SUMMARY``."""
    percent = result.percent_covered
    if percent is None:
        title = "## Diff coverage: no measurable changed lines"
    else:
        verdict = "below" if is_below(result, fail_under) else "meets"
        title = f"## Diff coverage: {percent:.2f}% ({verdict} {_threshold(fail_under)})"
    lines = [title, "", f"Base: {base.describe()}.", ""]
    if percent is None:
        lines.append("No measurable changed lines.")
    else:
        lines += [
            f"{result.num_lines} changed lines: {result.num_covered} covered, "
            f"{result.num_missing} missing, {result.num_partial} partial.",
            "",
            "| File | Covered | Missing lines | Partial lines |",
            "|---|---|---|---|",
        ]
        for f in result.files.values():
            if not f.num_lines:
                continue
            shown = f"{f.percent_covered or 0:.2f}%" if f.measured else "not measured"
            lines.append(
                f"| `{_cell(f.path)}` | {shown} | {ranges(f.missing)} | {ranges(f.partial)} |"
            )
    if attribution is not None:
        lines += ["", *_attribution_markdown(attribution)]
    return "\n".join(lines) + "\n"
