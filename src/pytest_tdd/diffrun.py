"""Diff coverage for one pytest run: the glue between pytest, pytest-cov and the engine.

The base is resolved when the run starts, so a base that does not resolve stops the run
before any test; the changed lines are measured after the run loop, from the coverage
data that pytest-cov has combined by then (its own run-loop wrapper finishes first). Only
the process that judges the run (a single process, or the xdist controller) uses it.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_tdd import diffcov, diffreport, gitdiff
from pytest_tdd.phases import Violation
from pytest_tdd.settings import DiffSettings


def _coverage_of(config: pytest.Config) -> Any:
    """pytest-cov's combined ``coverage.Coverage``, or None when it measured nothing."""
    plugin = config.pluginmanager.getplugin("_cov")
    controller = getattr(plugin, "cov_controller", None)
    return getattr(controller, "cov", None)


class DiffRun:
    def __init__(self, rootpath: Path, settings: DiffSettings) -> None:
        self.settings = settings
        self.rootpath = rootpath
        try:
            self.root = gitdiff.repository_root(rootpath)
            self.base = gitdiff.resolve_base(self.root, settings.base)
        except gitdiff.GitDiffError as error:
            raise pytest.UsageError(f"diff coverage: {error}") from None
        if settings.base_from_ini:
            self.base = replace(self.base, how="set by ini tdd_base")
        self.result: diffcov.DiffCoverage | None = None
        self.attribution: diffcov.Attribution | None = None
        self.problem: str | None = None

    def measure(
        self,
        config: pytest.Config,
        test_files: Iterable[str],
        new_tests: Collection[str],
        spans: Mapping[str, tuple[str, int, int]] | None = None,
    ) -> None:
        """Measure the change; ``test_files`` are rootdir-relative, never counted.

        ``new_tests`` are the tests without evidence of their current code; ``spans`` (a
        test's rootdir-relative file and first and last line) add the tests whose own code
        the change touched, so that a run after the cycle still knows the change's tests.
        """
        cov = _coverage_of(config)
        if cov is None:
            self.problem = "diff coverage: pytest-cov recorded no coverage data in this run"
            return
        tests = {Path(os.path.relpath(self.rootpath / f, self.root)).as_posix() for f in test_files}
        try:
            changed = gitdiff.changed_lines(self.root, self.base)
            self.result = diffcov.measure(
                cov,
                changed,
                self.root,
                is_test_code=lambda p: p in tests or diffcov.looks_like_test_code(p),
                omit=self.settings.omit,
            )
            if self.settings.contexts:
                touched = self._touched(changed, spans or {})
                self.attribution = diffcov.attribute(cov, self.result, {*new_tests, *touched})
        except (gitdiff.GitDiffError, diffcov.DiffCoverageError) as error:
            self.problem = f"diff coverage: {error}"

    def _touched(
        self, changed: Mapping[str, Collection[int]], spans: Mapping[str, tuple[str, int, int]]
    ) -> set[str]:
        """The tests whose own lines changed since the base."""
        found = set()
        for nodeid, (path, first, last) in spans.items():
            lines = changed.get(Path(os.path.relpath(self.rootpath / path, self.root)).as_posix())
            if lines and any(first <= line <= last for line in lines):
                found.add(nodeid)
        return found

    @property
    def violation(self) -> Violation | None:
        if self.result is None:
            return None
        return diffreport.violation(self.result, self.settings.fail_under)

    def summary_lines(self, verbose: bool) -> list[str]:
        if self.result is None:
            return []
        lines = [diffreport.summary(self.result, self.base, self.settings.fail_under)]
        if verbose or self.violation is not None:
            lines += diffreport.file_lines(self.result)
        else:  # files that coverage did not measure are always named
            lines += [line for line in diffreport.file_lines(self.result) if "not measured" in line]
        if self.attribution is not None:
            lines += diffreport.attribution_lines(self.attribution)
        return lines

    def annotations(self) -> list[str]:
        if self.result is None or os.environ.get("GITHUB_ACTIONS") != "true":
            return []
        return diffreport.github_annotations(self.result)

    def to_json(self) -> dict[str, Any]:
        if self.result is None:
            return {"base": self.base.ref, "merge_base": self.base.sha, "error": self.problem}
        return diffreport.to_json(
            self.result, self.base, self.settings.fail_under, self.attribution
        )

    def write_markdown(self) -> str | None:
        """Write the Markdown report if asked; return a problem, if any."""
        path = self.settings.markdown
        if path is None or self.result is None:
            return None
        text = diffreport.to_markdown(
            self.result, self.base, self.settings.fail_under, self.attribution
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a" if self.settings.step_summary else "w", encoding="utf-8") as out:
                out.write(text)  # GitHub's step summary is appended to
        except OSError as error:
            return f"cannot write the Markdown report {path}: {error}"
        return None
