"""What one pytest process sees of the tests: their identities, outcomes and failures.

``Sighting`` is collected where tests are collected and run (a single process, or each
xdist worker) and is plain JSON-able data, so a worker can send it to the controller.
``Outcomes`` folds the reports of each test into one result, where the reports arrive
(a single process, or the xdist controller).
"""

from __future__ import annotations

import ast
import contextlib
import gc
import importlib.util
import inspect
import json
import os
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tdd import identity, memo
from pytest_tdd.phases import Identity, Observation, Result
from pytest_tdd.reasons import Failure

if TYPE_CHECKING:
    from pytest_tdd import closure

FAILURE_ATTR = "tdd_failure"  # set on failed reports; reports travel to the controller
NEW_ATTR = "tdd_new"  # set on the reports of a red run's tests that have no evidence


# In pytest's cache; the version names the fingerprint scheme.
CACHE_KEY = f"tdd/fingerprints-v{identity.SCHEME}"


def _valid_entry(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("hash"), str)
        and isinstance(entry.get("lines"), dict)
        and all(
            isinstance(k, str) and k.isdigit() and isinstance(v, str)
            for k, v in entry["lines"].items()
        )
    )


class SourceCache:
    """Each test file read and parsed at most once per run, and not at all when it is
    unchanged since a run that stored its fingerprints (keyed on the file's content)."""

    def __init__(
        self, stored: object = None, scheme: int = identity.SCHEME, *, keep: bool = True
    ) -> None:
        self.scheme = scheme
        self.keep = keep  # keep what a cache would store (there is a cache to write)
        self._indexes: dict[str, identity.SourceIndex | None] = {}
        self._trusted: set[str] = set()  # files whose index is what a file line vouched for
        self.contents: dict[str, str] = {}  # file -> the content_hash its index is of
        self._stored: dict[str, Any] = {}
        # Closure indexes of the files parsed here, for a ClosureCache to share.
        self.modules: dict[str, closure.ModuleIndex | None] = {}
        if isinstance(stored, dict):
            self._stored = {
                k: v for k, v in stored.items() if isinstance(k, str) and _valid_entry(v)
            }
        self.updated = False

    def index(
        self, filename: str, vouched: tuple[Mapping[int, str], Iterable[str]] | None = None
    ) -> identity.SourceIndex | None:
        """The fingerprints of ``filename``'s functions. ``vouched``: fingerprints guessed
        by line and the digests of the file's lines in the evidence, taken instead of a
        parse when the file's content and the guess give one of those digests (``memo``).
        """
        if filename in self._indexes:
            return self._indexes[filename]
        index = None
        try:
            data = Path(filename).read_bytes()
        except OSError:
            data = None
        if data is not None:
            digest = memo.content_hash(data)
            entry = self._stored.get(filename)
            if vouched is not None and memo.digest(digest, vouched[0]) in vouched[1]:
                self.trust(filename, digest, vouched[0])
                return self._indexes[filename]
            self.contents[filename] = digest
            if entry is not None and entry["hash"] == digest:
                index = identity.SourceIndex({int(k): v for k, v in entry["lines"].items()})
            else:
                with contextlib.suppress(SyntaxError, UnicodeDecodeError, ValueError):
                    index = self._parse(filename, data)
                if index is not None and self.keep:
                    lines = {str(k): v for k, v in index.by_line.items()}
                    self._stored[filename] = {"hash": digest, "lines": lines}
                    self.updated = True
        self._indexes[filename] = index
        return index

    def _parse(self, filename: str, data: bytes) -> identity.SourceIndex:
        """Fingerprint a file's functions; the same parse gives the file's closure index
        (``modules``) when the closure would read the file as the same text."""
        text = data.decode("utf-8")
        tree = ast.parse(text)
        if filename not in self.modules:
            with contextlib.suppress(SyntaxError, UnicodeDecodeError, ValueError, LookupError):
                shared = importlib.util.decode_source(data)
                if shared == text or shared == text.replace("\r\n", "\n").replace("\r", "\n"):
                    from pytest_tdd import closure

                    self.modules[filename] = closure.index_tree(tree, shared)
        return identity.index_tree(tree, scheme=self.scheme)

    def trust(self, filename: str, content: str, fingerprints: Mapping[int, str]) -> None:
        """Take ``fingerprints`` (by line) as the index of ``filename``, whose content is
        ``content``: vouched for by the evidence file's file line."""
        self._indexes[filename] = identity.SourceIndex(fingerprints)
        self._trusted.add(filename)
        self.contents[filename] = content

    def fingerprint(self, filename: str, line: int) -> str | None:
        """The fingerprint of the function at ``line`` of ``filename``. A line that the
        trusted fingerprints do not hold (a test the file line's guess did not cover: one
        deselected, say) is looked up in the file itself."""
        index = self.index(filename)
        found = index.at_line(line) if index is not None else None
        if found is None and filename in self._trusted:
            self._trusted.discard(filename)
            del self._indexes[filename]
            index = self.index(filename)
            found = index.at_line(line) if index is not None else None
        return found

    def release(self) -> None:
        """Forget the indexes of this run (collection is done); a file asked for again is
        read again."""
        self._indexes.clear()
        self._trusted.clear()
        self.modules.clear()
        self.contents.clear()

    def stored(self) -> dict[str, Any]:
        """What to keep for the next run: the entries of files that still exist."""
        return {name: entry for name, entry in self._stored.items() if Path(name).is_file()}


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection for a while: while the test files are parsed (the
    syntax trees are hundreds of thousands of short-lived objects without cycles, freed as
    each file is done; collecting among them cost more than the parse itself), while the
    run is judged (its many small records, all freed by reference counting), and while the
    xdist controller reads a worker's sighting (at 10k tests, 60 ms with the collector in
    its small heap, 25 ms without)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def code_of(item: pytest.Item) -> CodeType | None:
    """The code object of a test function (behind its decorators), if it has one."""
    function = getattr(item, "function", None)
    if function is None:
        return None
    if hasattr(function, "__wrapped__"):
        function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    return code if isinstance(code, CodeType) else None


def test_code_files(ids: Iterable[str], items: Iterable[pytest.Item]) -> set[str]:
    """The files of the test functions among ``items`` (with their node ids): test code. A
    module that --doctest-modules collects for its doctests alone is the project's code."""
    return {
        nodeid.partition("::")[0]
        for nodeid, item in zip(ids, items, strict=True)
        if isinstance(item, pytest.Function)
    }


def to_workeroutput(data: object) -> str:
    """What a worker puts in ``workeroutput`` for the controller: JSON text, which execnet
    sends as one string, far faster than it encodes nested dictionaries and tuples."""
    return json.dumps(data, separators=(",", ":"))


_NO_CODE: Any = object()


def identify(item: pytest.Item, sources: SourceCache, code: Any = _NO_CODE) -> Identity:
    """The identity of a collected test: its code's fingerprint and its case's values
    (``code``: its ``code_of``, when the caller has it already)."""
    fingerprint = None
    if isinstance(item, pytest.Function):
        if code is _NO_CODE:
            code = code_of(item)
        if code is not None:
            fingerprint = sources.fingerprint(code.co_filename, code.co_firstlineno)
        callspec = getattr(item, "callspec", None)
        case = identity.case_fingerprint(callspec.params) if callspec is not None else None
        if fingerprint is not None:
            return Identity(fingerprint, case)
    examples = getattr(getattr(item, "dtest", None), "examples", None)
    if examples is not None:  # a doctest
        return Identity(identity.doctest_fingerprint((e.source, e.want) for e in examples))
    # No source to fingerprint: bound to the test's id, so a rename makes it new.
    return Identity(identity.doctest_fingerprint([(item.nodeid, "")]))


def _empty() -> None:
    pass


def is_empty(item: pytest.Item) -> bool:
    """Is the test's body empty (``pass``, ``...`` or a docstring alone)? Such a test
    passes whatever the code does."""
    code = code_of(item)
    return code is not None and code.co_code == _empty.__code__.co_code


def stamp(path: Path) -> tuple[int, int] | None:
    """Identifies one version of a file: its modification time and size."""
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size)


def recorded_under(ids: Iterable[str], root: Path, evidence_file: Path) -> Path | None:
    """The folder the test files named by ``ids`` are under, when it is not ``root``, the
    rootdir of this run: the evidence file is outside the rootdir, none of them is under
    the rootdir, and one is under the evidence file's folder or an ancestor of the rootdir.
    Such ids were recorded with another rootdir; judged here, every record would be taken
    for a deleted test's. None when one of them is under the rootdir (the first one, as a
    rule), or none is anywhere; and for an evidence file in the rootdir, which the plugin
    writes with ids relative to it (an enclosing repository may have files of the same
    names)."""
    if Path(os.path.abspath(evidence_file)).is_relative_to(root):  # "..", normalised
        return None
    paths: dict[str, None] = {}
    for nodeid in ids:  # the first file is there, as a rule: one look
        path = nodeid.partition("::")[0]
        if path not in paths:
            if (root / path).exists():
                return None
            paths[path] = None
    for folder in (evidence_file.parent, *root.parents):
        if any((folder / path).exists() for path in paths):
            return folder
    return None


def span(item: pytest.Item) -> tuple[str, int, int] | None:
    """The file, first and last line of a test function's code: the file where it is
    defined (a method inherited from a class in another file lives there)."""
    code = code_of(item)
    if code is None:
        return None
    lines, pending = [code.co_firstlineno], [code]
    while pending:
        current = pending.pop()
        lines.extend(line for _, _, line in current.co_lines() if line is not None)
        pending.extend(c for c in current.co_consts if inspect.iscode(c))
    return code.co_filename, min(lines), max(lines)


def exempt_reason(item: pytest.Item) -> str | None:
    # A node's keywords hold the names of its markers and its parents' (a dictionary
    # lookup per node): the quick answer for the many tests without the marker.
    if "tdd_exempt" not in item.keywords:
        return None
    marker = item.get_closest_marker("tdd_exempt")
    if marker is None:
        return None
    reason = marker.args[0] if marker.args else marker.kwargs.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise pytest.UsageError(
            f"tdd_exempt on {item.nodeid} needs a reason: @pytest.mark.tdd_exempt('why')"
        )
    return reason


def failure_to_dict(failure: Failure) -> dict[str, Any]:
    return asdict(failure)


def failure_from_dict(data: object) -> Failure | None:
    if not isinstance(data, dict):
        return None
    return Failure(**data)


@dataclass
class Sighting:
    """Everything one process collected; JSON-able via ``to_dict``."""

    # nodeid -> its identity; each observation of the test shares it
    items: dict[str, Identity] = field(default_factory=dict)
    exempt: dict[str, str] = field(default_factory=dict)  # nodeid -> its tdd_exempt reason
    files: set[str] = field(default_factory=set)  # test files collected, rootdir-relative
    # of which test code: files of test functions, collected or deselected (a module that
    # --doctest-modules collects for its doctests alone is the project's code)
    test_code: set[str] = field(default_factory=set)
    # each collected file's (mtime_ns, size) then: one that changed since proves nothing
    stamps: dict[str, tuple[int, int]] = field(default_factory=dict)
    partial: set[str] = field(default_factory=set)  # of which not every test was selected
    # module nodeid -> why it could not be imported; its tests as found in its source
    broken: dict[str, dict[str, Any]] = field(default_factory=dict)
    from_source: dict[str, str] = field(default_factory=dict)  # test nodeid -> module nodeid
    source_tests: dict[str, str] = field(default_factory=dict)  # all found, selected or not
    empty: set[str] = field(default_factory=set)  # tests whose body is empty (adopt only)
    # nodeid -> (rootdir-relative file, first line, last line); diff contexts only
    spans: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    # test file -> the digest of its file line, for the files collected in full
    memo: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "exempt": self.exempt,
            "files": sorted(self.files),
            "test_code": sorted(self.test_code),
            "stamps": self.stamps,
            "partial": sorted(self.partial),
            "broken": self.broken,
            "from_source": self.from_source,
            "source_tests": self.source_tests,
            "empty": sorted(self.empty),
            "spans": self.spans,
            "memo": self.memo,
        }

    def merge(self, data: dict[str, Any]) -> None:
        self.items.update({k: Identity._make(v) for k, v in data["items"].items()})
        self.exempt.update(data["exempt"])
        self.files.update(data["files"])
        self.test_code.update(data["test_code"])
        self.stamps.update({k: tuple(v) for k, v in data["stamps"].items()})
        self.partial.update(data["partial"])
        self.broken.update(data["broken"])
        self.from_source.update(data["from_source"])
        self.source_tests.update(data["source_tests"])
        self.empty.update(data["empty"])
        self.spans.update({k: tuple(v) for k, v in data["spans"].items()})
        self.memo.update(data["memo"])

    def unrun(self) -> list[Observation]:
        """Every test this process collected, as an observation before any ran."""
        exempt = self.exempt
        return [
            Observation(nodeid, found, "not-run", None, exempt.get(nodeid))
            for nodeid, found in self.items.items()
        ]

    def missing_files(self, ledger: Iterable[str], root: Path) -> set[str]:
        """Test files named by the ledger's ids that no longer exist (their records may
        move to tests with the same code)."""
        paths = {nodeid.partition("::")[0] for nodeid in ledger}
        return {p for p in paths if p not in self.files and not (root / p).exists()}

    def complete_files(self, config: pytest.Config, root: Path) -> set[str]:
        """Test files this process collected in full, unchanged since. ``--lf`` skips whole
        files that had no failures, reporting them as collected with no tests: then none
        is complete."""
        if config.getoption("lf", False):
            return set()
        return {
            path
            for path in self.files - self.partial
            if self.stamps.get(path) == stamp(root / path)
        }

    def modules(self) -> dict[str, list[str]]:
        """Each module that could not be imported, with the tests found in its source."""
        found: dict[str, list[str]] = {module: [] for module in self.broken}
        for nodeid, module in self.from_source.items():
            found.setdefault(module, []).append(nodeid)
        return found


# Which result a test keeps when its reports disagree: the most severe.
_SEVERITY: Mapping[str, int] = {
    "not-run": 0,
    "passed": 1,
    "xpassed": 2,
    "skipped": 3,
    "xfailed": 3,
    "failed": 4,
}


class Outcomes:
    """Folds each test's setup, call (and subtest) and teardown reports into one result."""

    def __init__(self) -> None:
        self.results: dict[str, Result] = {}
        self.failures: dict[str, Failure | None] = {}
        self.failed_reports: dict[str, int] = {}

    def add(self, report: pytest.TestReport) -> None:
        outcome = report.outcome
        if outcome == "passed" and report.when != "call":
            return  # the common case: a setup or teardown that passed says nothing
        nodeid = report.nodeid
        xfail = hasattr(report, "wasxfail")
        result: Result
        if outcome == "failed":
            result = "failed"
            self.failed_reports[nodeid] = self.failed_reports.get(nodeid, 0) + 1
            failure = failure_from_dict(getattr(report, FAILURE_ATTR, None))
            known = self.failures.get(nodeid)
            if nodeid not in self.failures or (
                known is not None and (failure is None or failure.kind is None)
            ):
                self.failures[nodeid] = failure  # keep the worst: a wrong reason wins
        elif outcome == "skipped":
            result = "xfailed" if xfail else "skipped"
        else:
            result = "xpassed" if xfail else "passed"
        current = self.results.get(nodeid)
        if current is None or _SEVERITY[result] > _SEVERITY[current]:
            self.results[nodeid] = result

    def observations(self, sighting: Sighting) -> Observed:
        return Observed(sighting, self)


class Observed(Collection[Observation]):
    """Every test this process collected, with its outcome: an observation each, made as
    it is iterated and not kept (at 50k tests, a list of them held through the judgement
    and after it cost several MiB of the run's peak memory). ``failed`` makes those of
    the failed tests alone."""

    def __init__(self, sighting: Sighting, outcomes: Outcomes) -> None:
        self.sighting = sighting
        self.outcomes = outcomes

    def __len__(self) -> int:
        return len(self.sighting.items)

    def __iter__(self) -> Iterator[Observation]:
        for nodeid, found in self.sighting.items.items():
            yield self._observe(nodeid, found)

    def __contains__(self, value: object) -> bool:
        return any(value == observation for observation in self)

    def failed(self) -> list[Observation]:
        """The observations whose result is "failed", in the same order, made without the
        others: a test fails when a report of it failed or its module cannot be imported."""
        ids = self.outcomes.failed_reports.keys() | self.sighting.from_source.keys()
        return [self._observe(n, found) for n, found in self.sighting.items.items() if n in ids]

    def _observe(self, nodeid: str, found: Identity) -> Observation:
        sighting = self.sighting
        module = sighting.from_source.get(nodeid)
        result: Result
        if module is not None:  # its module cannot be imported: failed, with its error
            result, failure = "failed", failure_from_dict(sighting.broken[module])
        else:
            result = self.outcomes.results.get(nodeid, "not-run")
            failure = self.outcomes.failures.get(nodeid)
        return Observation(nodeid, found, result, failure, sighting.exempt.get(nodeid))
