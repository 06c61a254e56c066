"""Which changed lines the tests executed: the second half of diff coverage.

``measure`` takes the changed lines of each file (from ``gitdiff``) and a
``coverage.Coverage`` object holding a run's combined data, and sorts each file's changed
*statements* into covered, missing (never executed) and partial (executed, but with a
branch never taken: not covered, as Codecov and SonarQube count it). A changed
continuation line counts as its statement; comments and blank lines do not count; lines
excluded from coverage (``# pragma: no cover``, ``exclude_lines``) are listed apart. Test
code never counts. The changed statements of a Python file that coverage did not measure
at all count as missing, unless coverage's or the caller's ``omit`` patterns exclude it.

``attribute`` answers, from pytest-cov's per-test contexts, which changed statements no new
test executed (leaving out those run at import or collection, by no test in particular)
and which new tests executed no changed statement.

Coverage's private ``_analyze``/``_get_file_reporter`` give what its public API lacks
(continuation lines mapped to statements, untaken branch destinations); they are called in
``_private_facts`` and ``_first_lines`` only, each with a fallback, as are ``coverage.files``
(coverage's own matching of ``omit`` patterns) in ``_coverage_omits`` and
``CoverageData._connect`` (one open data file for all the per-file queries) in
``_held_open``. ``coverage`` is imported lazily: it is an optional dependency of the plugin.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import coverage
    from coverage.data import CoverageData

TEST_DIRS = frozenset({"tests", "test", "testing"})
PYTHON_SUFFIXES = (".py", ".pyw")
# Why a changed file is left out (values of ``DiffCoverage.skipped``).
TEST_CODE = "test code"
OMITTED = "omitted"
NOT_PYTHON = "not Python"
# Why a changed statement was executed by no new test (values of ``Attribution.untested``).
NOT_RUN = "not run"
OTHER_TESTS_ONLY = "run by other tests only"
_PHASES = frozenset({"setup", "run", "teardown"})


class DiffCoverageError(Exception):
    """The coverage data cannot answer the question; the message says what to record."""


def looks_like_test_code(path: str) -> bool:
    """Whether a repository-relative path names test code, by pytest's usual names."""
    *folders, name = path.split("/")
    return (
        name == "conftest.py"
        or (name.startswith("test_") and name.endswith(".py"))
        or name.endswith("_test.py")
        or any(folder in TEST_DIRS for folder in folders)
    )


def _percent(covered: int, total: int) -> float | None:
    return covered / total * 100 if total else None


@dataclass(frozen=True)
class FileCoverage:
    """The changed statements of one file, by what the tests did with them.

    ``covered``, ``missing`` and ``partial`` are disjoint and together are the file's
    changed statements (first lines); ``excluded`` lists changed lines excluded from
    coverage. ``missing_branches`` holds the untaken ``(line, destination)`` exits of the
    partial lines (a negative destination leaves the function). ``measured_as`` is the file's
    name in the coverage data, None when coverage did not measure the file.
    """

    path: str
    covered: tuple[int, ...] = ()
    missing: tuple[int, ...] = ()
    partial: tuple[int, ...] = ()
    excluded: tuple[int, ...] = ()
    missing_branches: tuple[tuple[int, int], ...] = ()
    measured_as: str | None = None

    @property
    def measured(self) -> bool:
        return self.measured_as is not None

    @property
    def num_lines(self) -> int:
        return len(self.covered) + len(self.missing) + len(self.partial)

    @property
    def percent_covered(self) -> float | None:
        return _percent(len(self.covered), self.num_lines)


@dataclass(frozen=True)
class DiffCoverage:
    """Diff coverage of a change: files with changed statements or excluded lines, by
    repository-relative path, and the changed files left out, with the reason."""

    files: Mapping[str, FileCoverage] = field(default_factory=dict)
    skipped: Mapping[str, str] = field(default_factory=dict)

    @property
    def num_lines(self) -> int:
        return sum(file.num_lines for file in self.files.values())

    @property
    def num_covered(self) -> int:
        return sum(len(file.covered) for file in self.files.values())

    @property
    def num_missing(self) -> int:
        return sum(len(file.missing) for file in self.files.values())

    @property
    def num_partial(self) -> int:
        return sum(len(file.partial) for file in self.files.values())

    @property
    def percent_covered(self) -> float | None:
        """covered / (covered + missing + partial) * 100; None when nothing is measurable."""
        return _percent(self.num_covered, self.num_lines)

    @property
    def not_measured(self) -> tuple[str, ...]:
        """Changed files with statements that coverage did not measure at all."""
        return tuple(p for p, f in self.files.items() if not f.measured and f.num_lines)


@dataclass(frozen=True)
class _Facts:
    """What coverage knows of one file, with the changed lines at their statements' lines."""

    changed: frozenset[int]
    statements: frozenset[int]
    excluded: frozenset[int]
    missing: frozenset[int]
    partial: Mapping[int, tuple[int, ...]]  # executed branch line -> untaken destinations


def _private_facts(cov: coverage.Coverage, name: str, lines: Iterable[int]) -> _Facts:
    reporter = cov._get_file_reporter(name)
    try:
        analysis = cov._analyze(name, reporter)  # coverage >= 7.17: parse the file once
    except TypeError:
        analysis = cov._analyze(name)
    branches = analysis.missing_branch_arcs() if analysis.has_arcs else {}
    return _Facts(
        frozenset(reporter.translate_lines(lines)),
        frozenset(analysis.statements),
        frozenset(analysis.excluded),
        frozenset(analysis.missing),
        {line: tuple(sorted(ends)) for line, ends in branches.items()},
    )


def _public_facts(cov: coverage.Coverage, name: str, lines: Iterable[int]) -> _Facts:
    """The same from the public API, less the statement map and branch destinations."""
    _, statements, excluded, missing, _ = cov.analysis2(name)
    stats = cov.branch_stats(name) if cov.get_data().has_arcs() else {}
    partial = {line: () for line, (total, taken) in stats.items() if taken < total}
    return _Facts(
        frozenset(lines), frozenset(statements), frozenset(excluded), frozenset(missing), partial
    )


def _facts(cov: coverage.Coverage, name: str, lines: Iterable[int]) -> _Facts:
    try:
        return _private_facts(cov, name, lines)
    except (AttributeError, TypeError):
        return _public_facts(cov, name, lines)


def _first_lines(cov: coverage.Coverage, name: str, lines: Iterable[int]) -> dict[int, int]:
    """Each line mapped to the first line of its statement (itself without the private API)."""
    try:
        translate = cov._get_file_reporter(name).translate_lines
        return {line: min(translate([line]), default=line) for line in lines}
    except (AttributeError, TypeError):
        return {line: line for line in lines}


def _file_coverage(path: str, measured_as: str | None, facts: _Facts) -> FileCoverage:
    statements = facts.changed & facts.statements
    missing = statements & facts.missing
    partial = {line for line in statements - missing if line in facts.partial}
    return FileCoverage(
        path,
        covered=tuple(sorted(statements - missing - partial)),
        missing=tuple(sorted(missing)),
        partial=tuple(sorted(partial)),
        excluded=tuple(sorted(facts.changed & facts.excluded)),
        missing_branches=tuple(
            (line, end) for line in sorted(partial) for end in facts.partial[line]
        ),
        measured_as=measured_as,
    )


def _held_open(data: CoverageData) -> contextlib.AbstractContextManager[object]:
    """Keep the data file open for a run of per-file queries: coverage otherwise opens and
    closes it for each one (three times per file analysed). A file without measured files
    is left alone: it may not exist, and opening it would create it."""
    try:
        held = data._connect() if data.measured_files() else None
    except AttributeError:
        held = None
    if not (hasattr(held, "__enter__") and hasattr(held, "__exit__")):
        return contextlib.nullcontext()
    return held  # type: ignore[return-value]


def _inside(path: Path, root: Path) -> str | None:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else None


def _repository_names(measured: Iterable[str], root: Path) -> dict[str, str]:
    """Measured file names (absolute, or relative to the current directory with coverage's
    ``relative_files``) by repository-relative path; files outside the repository are left out."""
    cwd, real_root = Path.cwd(), root.resolve()
    prefix = os.path.join(root, "")  # a plain prefix test first: pathlib is slow in bulk
    found = {}
    for name in measured:
        normal = os.path.normpath(os.path.join(cwd, name))
        if normal.startswith(prefix):
            found[normal[len(prefix) :].replace(os.sep, "/")] = name
            continue
        path = Path(normal)
        relative = _inside(path, root) or _inside(path.resolve(), real_root)
        if relative is not None:
            found[relative] = name
    return found


def _coverage_omits(cov: coverage.Coverage) -> Callable[[str], bool]:
    """Whether coverage's own ``[run] omit`` or ``[report] omit`` names an absolute path."""
    patterns = [*(cov.config.run_omit or ()), *(cov.config.report_omit or ())]
    try:
        from coverage.files import GlobMatcher, prep_patterns

        return GlobMatcher(prep_patterns(patterns), "omit").match
    except (ImportError, AttributeError, TypeError):
        absolute = [p if p.startswith(("*", "?")) else os.path.abspath(p) for p in patterns]
        return lambda path: any(fnmatch.fnmatchcase(path, p) for p in absolute)


def _matches(path: str, patterns: Sequence[str]) -> bool:
    """fnmatch against the repository-relative path, or the file name for a pattern
    without a slash."""
    name = path.rsplit("/", 1)[-1]
    return any(
        fnmatch.fnmatchcase(path, p) or ("/" not in p and fnmatch.fnmatchcase(name, p))
        for p in patterns
    )


def measure(
    cov: coverage.Coverage,
    changed: Mapping[str, Iterable[int]],
    root: Path,
    *,
    is_test_code: Callable[[str], bool] = looks_like_test_code,
    omit: Sequence[str] = (),
) -> DiffCoverage:
    """Diff coverage of ``changed`` (changed lines by repository-relative path) measured by
    ``cov``, for the repository at ``root``. ``omit`` adds glob patterns of files to leave
    out to coverage's own ``omit`` settings."""
    from coverage.exceptions import CoverageException

    data = cov.get_data()
    names = _repository_names(data.measured_files(), root)
    coverage_omits = _coverage_omits(cov)
    files: dict[str, FileCoverage] = {}
    skipped: dict[str, str] = {}
    with _held_open(data):
        for path in sorted(changed):
            lines = frozenset(changed[path])
            name = names.get(path)
            if not lines:
                continue
            if name is None and not path.endswith(PYTHON_SUFFIXES):
                skipped[path] = NOT_PYTHON
            elif is_test_code(path):
                skipped[path] = TEST_CODE
            elif _matches(path, omit) or coverage_omits(os.path.realpath(root / path)):
                skipped[path] = OMITTED
            else:
                try:
                    facts = _facts(cov, str(root / path) if name is None else name, lines)
                except (CoverageException, OSError) as error:
                    skipped[path] = f"cannot be analysed: {error}"
                    continue
                file = _file_coverage(path, name, facts)
                if file.num_lines or file.excluded:
                    files[path] = file
    return DiffCoverage(files, skipped)


@dataclass(frozen=True)
class Attribution:
    """Who tested the change, from per-test contexts.

    ``untested``: per file, the changed statements that no new test executed, each with the
    reason (``NOT_RUN``, ``OTHER_TESTS_ONLY``); statements executed at import or collection
    (by no test in particular: a ``def``, an ``import``) are left out. ``idle_tests``: the
    new tests that executed no changed statement. ``lines_by_test``: how many changed
    statements each new test executed.
    """

    untested: Mapping[str, Mapping[int, str]]
    idle_tests: tuple[str, ...]
    lines_by_test: Mapping[str, int]


def _static_context(cov: coverage.Coverage) -> str:
    """Coverage's static context (``[run] context``), "" when none is set. It names what
    runs outside any test (imports, collection) and prefixes every test's context."""
    context = getattr(cov.config, "context", None)
    return context if isinstance(context, str) else ""


def _test_of(context: str, static: str = "") -> str | None:
    """The node id of a pytest-cov context (``tests/t.py::test_a[1]|run``, after
    ``static|`` under a static context), else None."""
    if static:
        if not context.startswith(static + "|"):
            return None
        context = context[len(static) + 1 :]
    nodeid, bar, phase = context.rpartition("|")
    return nodeid if bar and phase in _PHASES else None


def _owner(nodeid: str, new_tests: Collection[str]) -> str | None:
    """The new test a node id belongs to: itself, or the function of a parametrized case
    (the id cut at one of its brackets: a folder's name may hold brackets too)."""
    if nodeid in new_tests:
        return nodeid
    if nodeid.endswith("]"):
        for at, char in enumerate(nodeid):
            if char == "[" and nodeid[:at] in new_tests:
                return nodeid[:at]
    return None


def _contexts(cov: coverage.Coverage, name: str) -> dict[int, set[str]]:
    """The contexts that executed each statement of a measured file, by first line."""
    by_line = cov.get_data().contexts_by_lineno(name)
    first = _first_lines(cov, name, by_line)
    contexts: dict[int, set[str]] = {}
    for line, names in by_line.items():
        contexts.setdefault(first[line], set()).update(names)
    return contexts


def attribute(
    cov: coverage.Coverage, result: DiffCoverage, new_tests: Collection[str]
) -> Attribution:
    """Which changed statements of ``result`` no test in ``new_tests`` (node ids; an id
    without parameters stands for all its cases) executed, and which of those tests
    executed none. Needs the data of a run with pytest-cov's ``--cov-context=test``.

    A statement executed outside any test (coverage's empty or static context: module
    import, collection) belongs to no test in particular and is not listed."""
    static = _static_context(cov)
    measured = cov.get_data().measured_contexts()
    if not any(_test_of(context, static) for context in measured):
        raise DiffCoverageError(
            "the coverage data has no per-test contexts: record them by running pytest "
            "with pytest-cov's --cov-context=test"
        )
    wanted = frozenset(new_tests)
    owner_of: dict[str, str | None] = {}
    for context in measured:
        test = _test_of(context, static)
        owner_of[context] = None if test is None else _owner(test, wanted)
    outside_tests = {"", static}
    counts = dict.fromkeys(sorted(wanted), 0)
    untested: dict[str, dict[int, str]] = {}
    with _held_open(cov.get_data()):
        for path, file in result.files.items():
            contexts = {} if file.measured_as is None else _contexts(cov, file.measured_as)
            for line in sorted(file.covered + file.missing + file.partial):
                ran = contexts.get(line, set())
                owners = {owner for context in ran if (owner := owner_of.get(context))}
                for owner in owners:
                    counts[owner] += 1
                if not owners and not ran & outside_tests:
                    untested.setdefault(path, {})[line] = OTHER_TESTS_ONLY if ran else NOT_RUN
    idle = tuple(test for test, count in counts.items() if count == 0)
    return Attribution(untested, idle, counts)
