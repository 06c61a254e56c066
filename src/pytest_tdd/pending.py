"""What waits for a phase run, read from files alone: the last phase run that pytest's
cache holds, the tests recorded red whose cycle is open, and the tests written or changed
since the last phase run that were never seen failing. ``pytest-tdd guard`` decides with
it, so it imports no pytest.

A phase run leaves ``last_run_entry`` in pytest's cache at its end (``reportside``), never
in the evidence file. A test "unchanged" since its red record is one whose fingerprint is
still in its file; a change in the helpers or fixtures it uses is left to the green run to
find. A test "new or changed" is one in a test file changed since the last phase run whose
fingerprint is in no evidence record and was not among the tests without evidence that run
saw (exempt ones, those it failed).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_tdd import evidence, identity
from pytest_tdd.project import Project
from pytest_tdd.reasons import Origins

LAST_RUN_KEY = "tdd/last-phase-run"  # in pytest's cache
PYTHON_SUFFIXES = (".py", ".pyw")
_CLOCK_SLACK_NS = 2_000_000_000  # file times may lag the clock that stamped the run


def last_run_entry(
    phase: str,
    held: bool,
    violations: Iterable[str],
    failing: int,
    test_files: Iterable[str],
    unproven: Iterable[str] = (),
) -> dict[str, Any]:
    """What a phase run leaves in pytest's cache for the guard (never in the evidence):
    ``unproven`` are the fingerprints of the tests it saw that have no evidence of their
    code (exempt, or failing the gate): tests it has told about already."""
    return {
        "phase": phase,
        "held": held,
        "violations": dict(sorted(Counter(violations).items())),
        "failing": failing,
        "time": time.time(),
        "test_files": sorted(test_files),
        "unproven": sorted(set(unproven)),
    }


@dataclass(frozen=True)
class LastRun:
    phase: str
    held: bool
    violations: Mapping[str, int]
    failing: int
    time: float
    test_files: tuple[str, ...]
    unproven: frozenset[str] = frozenset()

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
                frozenset(str(f) for f in data.get("unproven", ())),
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


def _candidates(project: Project, last: LastRun | None, since_ns: int | None) -> list[str]:
    """Test files, rootdir-relative, that may hold tests no phase run has seen: those the
    last phase run collected and the Python test files beside them (without a last run,
    every test file in the usual places), changed on disk since ``since_ns``."""
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
    found = []
    for name in sorted(names):
        try:
            if since_ns is None or (root / name).stat().st_mtime_ns >= since_ns:
                found.append(name)
        except OSError:
            continue
    return found


def new_tests(project: Project, ledger: evidence.Ledger, last: LastRun | None) -> list[str]:
    """Tests written or changed since the last phase run (without one, since the evidence
    file was written) that have no evidence and that run did not see: they must be seen
    failing before the code that makes them pass."""
    if last is not None:
        since: int | None = int(last.time * 1e9) - _CLOCK_SLACK_NS
    else:
        try:
            since = project.state_file.stat().st_mtime_ns - _CLOCK_SLACK_NS
        except OSError:
            since = None  # no evidence yet: every test file
    changed = _candidates(project, last, since)
    if not changed:
        return []
    known = {r.fingerprint for records in ledger.values() for r in records}
    known |= last.unproven if last else frozenset()
    functions = project.args("python_functions", ["test"])
    classes = project.args("python_classes", ["Test"])
    found: list[str] = []
    for name in changed:
        try:
            source = (project.root / name).read_text("utf-8")
            tests = identity.find_tests_in_source(
                source, functions, classes, scheme=identity.SCHEME
            )
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        found.extend(
            "::".join([name, *names]) for names, fingerprint in tests if fingerprint not in known
        )
    return found
