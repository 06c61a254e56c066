"""May a coding agent edit this file now? The logic of ``pytest-tdd guard``, agent-neutral.

Decided from files alone, without collecting or running a test and without importing
pytest: the project's pytest configuration (``project``), the evidence file, and what
waits for a phase run (``pending``: the last phase run, open cycles, tests never seen
failing). The rule, in order:

1. a file outside the project, not Python, matching ini ``tdd_guard_ignore``, or in a
   virtual environment is allowed: it is not the guard's; the evidence file and pytest's
   cache are written by runs only, never by hand: denied;
2. test code (``reasons.Origins``, the rule of the whole plugin) is allowed;
3. project code is allowed while a cycle is open: a test recorded red, not yet green, whose
   code is unchanged (its fingerprint is still in its file; a change in the helpers or
   fixtures it uses is left to the green run to find);
4. a test that is new or changed since the last phase run and was never seen failing must
   be seen failing first: denied, naming it;
5. after a green or refactor run that held (nothing red), project code may be refactored;
   after one that failed only because tests that had evidence fail, it may be fixed;
6. anything else is denied, with what to do.
"""

from __future__ import annotations

import fnmatch
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_tdd import evidence
from pytest_tdd.pending import PYTHON_SUFFIXES, LastRun, new_tests, open_cycle
from pytest_tdd.project import Project
from pytest_tdd.reasons import Origins

ON_ERROR = ("allow", "deny")
# Violations whose fix is a change of project code: the tests that fail had evidence.
_FIXABLE = frozenset({"regression", "diff-coverage"})


class GuardError(Exception):
    """The guard cannot decide; the message says why."""


@dataclass(frozen=True)
class Decision:
    allow: bool
    reason: str
    tell: bool = False  # an allowed edit whose reason the agent should read too


def _ids(nodeids: Sequence[str]) -> str:
    shown = ", ".join(nodeids[:3])
    return shown + (f" and {len(nodeids) - 3} more" if len(nodeids) > 3 else "")


def _targets(nodeids: Sequence[str]) -> str:
    if len(nodeids) <= 3:
        return "".join(" " + shlex.quote(n) for n in nodeids)
    return "".join(" " + shlex.quote(f) for f in sorted({n.partition("::")[0] for n in nodeids}))


def _ignored(shown: str, patterns: Sequence[str]) -> str | None:
    """The first pattern that names the rootdir-relative path, or its file name for a
    pattern without a slash (as ``tdd_diff_omit``)."""
    name = shown.rsplit("/", 1)[-1]
    for pattern in patterns:
        if fnmatch.fnmatchcase(shown, pattern) or (
            "/" not in pattern and fnmatch.fnmatchcase(name, pattern)
        ):
            return pattern
    return None


def load_evidence(project: Project) -> evidence.Ledger:
    try:
        return evidence.load(project.state_file)
    except evidence.EvidenceError as error:
        raise GuardError(str(error)) from None


def _followed(path: Path, project: Project) -> Path:
    """``path`` with its symbolic links followed, written under ``project.root`` when it
    leads into the project (a write through a link lands there); else ``path``."""
    real = Path(os.path.realpath(path))
    if real == path:
        return path
    try:
        return project.root / real.relative_to(os.path.realpath(project.root))
    except ValueError:
        return path


def decide(path: Path, project: Project) -> Decision:
    """May ``path`` (absolute) of ``project`` be edited now? Raises ``GuardError`` when the
    evidence cannot be read."""
    path = _followed(path, project)
    try:
        shown = path.relative_to(project.root).as_posix()
    except ValueError:
        return Decision(True, f"it is outside the project ({project.root})")
    if path in (project.state_file, _followed(project.state_file, project)):
        return Decision(
            False,
            f"pytest-tdd: {shown} is written by pytest-tdd's runs, never by hand: record a "
            "test seen failing with `pytest --tdd-phase=red <test>`, and commit the file as "
            "the runs leave it.",
        )
    if project.cache_dir == path or project.cache_dir in path.parents:
        return Decision(False, f"pytest-tdd: {shown} is pytest's cache, written by its runs.")
    if not shown.endswith(PYTHON_SUFFIXES):
        return Decision(True, "it is not a Python file")
    pattern = _ignored(shown, project.args("tdd_guard_ignore", ()))
    if pattern is not None:
        return Decision(True, f"it matches the tdd_guard_ignore pattern {pattern!r}")
    last = LastRun.read(project)
    known = [str(project.root / f) for f in last.test_files] if last else []
    origin = Origins(project.root, known).of_file(str(path))
    if origin == "test":
        return Decision(True, "it is test code")
    if origin == "external":
        return Decision(True, "it is not the project's own code (a virtual environment?)")
    return _project_code(shown, project, last)


def _project_code(shown: str, project: Project, last: LastRun | None) -> Decision:
    ledger = load_evidence(project)
    cycle = open_cycle(project, ledger)
    if cycle:
        one = len(cycle) == 1
        return Decision(
            True,
            f"pytest-tdd: a cycle is open: {_ids(cycle)} {'is' if one else 'are'} recorded "
            f"red; make {'it' if one else 'them'} pass, then run `pytest --tdd-phase=green`.",
        )
    new = new_tests(project, ledger, last)
    if new:
        one = len(new) == 1
        return Decision(
            False,
            f"pytest-tdd: {_ids(new)} {'is' if one else 'are'} new or changed and "
            f"{'was' if one else 'were'} never seen failing: run "
            f"`pytest --tdd-phase=red{_targets(new)}` before editing {shown}.",
        )
    if last is not None and last.phase in ("green", "refactor"):
        if last.held:
            return Decision(
                True,
                f"pytest-tdd: the last {last.phase} run held and no test is red: refactoring "
                f"{shown} is fine; check it with `pytest --tdd-phase=refactor`. New behaviour "
                "needs a failing test first.",
                tell=True,
            )
        if (last.violations or last.failing) and set(last.violations) <= _FIXABLE:
            return Decision(
                True,
                f"pytest-tdd: the last {last.phase} run failed ({last.counts()}): fix "
                f"{shown} until `pytest --tdd-phase={last.phase}` holds.",
                tell=True,
            )
    if last is None:
        why = f" (no phase run is recorded in {project.shown(project.cache_dir)})"
    elif not last.held:
        why = f" (the last {last.phase} run failed ({last.counts()}))"
    else:
        why = ""
    return Decision(
        False,
        f"pytest-tdd: no failing test asks for a change to {shown} yet{why}. Write a failing "
        "test first, run `pytest --tdd-phase=red <its file>` to record that it fails for "
        f"the right reason, then edit {shown}.",
    )


def describe(project: Project) -> list[str]:
    """What the decision rests on, for a human (``pytest-tdd guard --explain``)."""
    config = project.config_file.name if project.config_file else "no pytest configuration"
    lines = [f"project: {project.root} ({config})"]
    shown = project.shown(project.state_file)
    if not project.state_file.exists():
        lines.append(f"evidence: {shown} (no such file yet)")
    else:
        try:
            ledger = load_evidence(project)
            red = sum(1 for rs in ledger.values() if any(r.status == "red" for r in rs))
            tests = f"{len(ledger)} test{'' if len(ledger) == 1 else 's'}"
            lines.append(f"evidence: {shown} ({tests}, {red} red)")
        except GuardError as error:
            lines.append(f"evidence: unreadable: {error}")
    last = LastRun.read(project)
    where = project.shown(project.cache_dir)
    lines.append(f"last phase run: {last.describe() if last else f'none recorded in {where}'}")
    return lines
