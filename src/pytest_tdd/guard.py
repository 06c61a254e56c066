"""May a coding agent edit this file now? The logic of ``pytest-tdd guard``, agent-neutral.

Decided from files alone, without collecting or running a test and without importing
pytest: the project's pytest configuration (``project``), the evidence file, the last
phase run that pytest's cache holds (``last_run_entry``, written at the end of every phase
run), the fingerprints pytest-tdd keeps in that cache, and the test files themselves. The
rule, in order:

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
import hashlib
import json
import os
import shlex
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_tdd import evidence, identity
from pytest_tdd.project import Project
from pytest_tdd.reasons import Origins

LAST_RUN_KEY = "tdd/last-phase-run"  # in pytest's cache
FINGERPRINTS_KEY = f"tdd/fingerprints-v{identity.SCHEME}"  # observe.CACHE_KEY (needs pytest)
PYTHON_SUFFIXES = (".py", ".pyw")
ON_ERROR = ("allow", "deny")
# Violations whose fix is a change of project code: the tests that fail had evidence.
_FIXABLE = frozenset({"regression", "diff-coverage"})
_CLOCK_SLACK_NS = 2_000_000_000  # file times may lag the clock that stamped the run


class GuardError(Exception):
    """The guard cannot decide; the message says why."""


@dataclass(frozen=True)
class Decision:
    allow: bool
    reason: str
    tell: bool = False  # an allowed edit whose reason the agent should read too


def last_run_entry(
    phase: str, held: bool, violations: Iterable[str], failing: int, test_files: Iterable[str]
) -> dict[str, Any]:
    """What a phase run leaves in pytest's cache for the guard (never in the evidence)."""
    return {
        "phase": phase,
        "held": held,
        "violations": dict(sorted(Counter(violations).items())),
        "failing": failing,
        "time": time.time(),
        "test_files": sorted(test_files),
    }


@dataclass(frozen=True)
class LastRun:
    phase: str
    held: bool
    violations: Mapping[str, int]
    failing: int
    time: float
    test_files: tuple[str, ...]

    @classmethod
    def read(cls, project: Project) -> LastRun | None:
        """The last phase run, or None when none is recorded (or the entry is damaged)."""
        data = _json(project.cache_dir / "v" / LAST_RUN_KEY)
        try:
            return cls(
                str(data["phase"]),
                data["held"] is True,
                {str(k): int(v) for k, v in data["violations"].items()},
                int(data["failing"]),
                float(data["time"]),
                tuple(str(f) for f in data["test_files"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def counts(self) -> str:
        parts = [f"{kind} {count}" for kind, count in sorted(self.violations.items())]
        if self.failing:
            parts.append(f"{self.failing} failing test{'' if self.failing == 1 else 's'}")
        return ", ".join(parts)

    def describe(self) -> str:
        minutes = max(0, int(time.time() - self.time) // 60)
        result = "held" if self.held else f"failed ({self.counts()})"
        return f"{self.phase}, {result}, {minutes} min ago"


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


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


def decide(path: Path, project: Project) -> Decision:
    """May ``path`` (absolute) of ``project`` be edited now? Raises ``GuardError`` when the
    evidence cannot be read."""
    try:
        shown = path.relative_to(project.root).as_posix()
    except ValueError:
        return Decision(True, f"it is outside the project ({project.root})")
    if path == project.state_file:
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


def _fingerprints(path: Path) -> set[str] | None:
    """Every function's fingerprint in a Python file; None when it cannot be read."""
    try:
        source = path.read_text("utf-8")
        return set(identity.index_source(source, scheme=identity.SCHEME).by_line.values())
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None


def open_cycle(project: Project, ledger: evidence.Ledger) -> list[str]:
    """The tests recorded red, not yet green, whose code is still as it was recorded."""
    by_file: dict[str, list[evidence.Record]] = {}
    for records in ledger.values():
        settled = {(r.fingerprint, r.case) for r in records if r.status != "red"}
        for r in records:
            if r.status == "red" and (r.fingerprint, r.case) not in settled:
                by_file.setdefault(r.nodeid.partition("::")[0], []).append(r)
    found: list[str] = []
    for name, reds in sorted(by_file.items()):
        path = project.root / name
        if not path.is_file():
            continue  # a test file that is gone closes nothing
        fingerprints = _fingerprints(path) if name.endswith(PYTHON_SUFFIXES) else None
        found.extend(
            r.nodeid for r in reds if fingerprints is None or r.fingerprint in fingerprints
        )
    return sorted(set(found))


def _folders(root: Path, tops: Iterable[str]) -> set[str]:
    """``tops`` and every folder below them, rootdir-relative, hidden ones left out."""
    found = set()
    for top in tops:
        for folder, subfolders, _ in os.walk(root / top):
            subfolders[:] = [s for s in subfolders if not s.startswith((".", "__"))]
            found.add(Path(folder).relative_to(root).as_posix())
    return found


def _candidates(project: Project, last: LastRun | None) -> list[str]:
    """Test files, rootdir-relative, that may hold tests no phase run has seen: those the
    last phase run collected and the Python test files beside them, changed on disk since
    it ended; without a last run, every test file in the usual places."""
    root = project.root
    collected = list(last.test_files) if last else []
    origins = Origins(root, [str(root / f) for f in collected])
    names = set(collected)
    folders = {os.path.dirname(f) for f in collected} | {"", "tests", "test"}
    if last is None:
        folders |= _folders(root, ("tests", "test"))
    for folder in folders:
        try:
            entries = list(os.scandir(root / folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith(".py") and origins.of_file(entry.path) == "test":
                names.add(Path(entry.path).relative_to(root).as_posix())
    if last is None:
        return sorted(names)
    since = int(last.time * 1e9) - _CLOCK_SLACK_NS
    found = []
    for name in sorted(names):
        try:
            if (root / name).stat().st_mtime_ns >= since:
                found.append(name)
        except OSError:
            continue
    return found


def new_tests(project: Project, ledger: evidence.Ledger, last: LastRun | None) -> list[str]:
    """Tests that no phase run has seen since they were written or changed, and that have
    no evidence: they must be seen failing before the code that makes them pass."""
    changed = _candidates(project, last)
    if not changed:
        return []
    stored = _json(project.cache_dir / "v" / FINGERPRINTS_KEY)
    cache: dict[str, Any] = stored if isinstance(stored, dict) else {}
    known = {r.fingerprint for records in ledger.values() for r in records}
    functions = project.args("python_functions", ["test"])
    classes = project.args("python_classes", ["Test"])
    found: list[str] = []
    for name in changed:
        path = project.root / name
        try:
            data = path.read_bytes()
            entry = cache.get(str(path))
            lines = entry.get("lines", {}) if isinstance(entry, dict) else {}
            if isinstance(entry, dict) and entry.get("hash") == _digest(data):
                continue  # as the last run that read it saw it
            tests = identity.find_tests_in_source(
                data.decode("utf-8"), functions, classes, scheme=identity.SCHEME
            )
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        seen = set(lines.values()) if isinstance(lines, dict) else set()
        found.extend(
            "::".join([name, *names])
            for names, fingerprint in tests
            if fingerprint not in known and fingerprint not in seen
        )
    return found


def _digest(data: bytes) -> str:
    """How pytest-tdd's fingerprint cache names a file's content (``observe.SourceCache``)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


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
