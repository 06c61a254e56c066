"""The verdicts of ``--tdd-verify``: which tests are the change's, and what their runs in
the temporary trees prove. Pure: plain data in, verdicts and violations out.

* A test is **the change's** when its identity (fingerprint, case) matches no test of the
  base revision: a test renamed or moved with the same code, or a case whose id shifted,
  is not. Only tests of *suspect* modules can be the change's: a module the change touched,
  a module whose test functions are defined in a file the change touched (an inherited
  method), or one below a ``conftest.py`` the change touched; the tests of every other
  module are the base's as they are. A test of the change whose node id exists on the base
  is **changed**, else **new**.
* Against the base revision's code, a test of the change must fail for a reason
  ``tdd_red_accept`` accepts (``red``); passing there is ``passed-on-base``, failing for
  another reason, being skipped there or not finishing is ``wrong-reason-on-base``.
* A changed test whose new version passes on the base has its **old** version run against
  the new code: it passes, or fails because the API it used is gone or deprecated:
  ``rewritten`` (listed); it fails otherwise: ``edited-to-pass``.
* A **removed** test (on the base, gone here, not moved) is run against the new code:
  ``passes``, ``removed-with-code`` (the code it tested is gone), ``removed-failing``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pytest_tdd.phases import Result, Violation, ViolationKind, _wrong_reason
from pytest_tdd.reasons import Failure

TestVerdict = Literal["red", "passed", "wrong-reason", "not-run", "rewritten", "edited-to-pass"]
RemovedVerdict = Literal["passes", "removed-with-code", "removed-failing"]
Key = tuple[str, "str | None", "str | None"]  # fingerprint, case, deps
_DEPRECATIONS = ("DeprecationWarning", "PendingDeprecationWarning", "FutureWarning")


@dataclass(frozen=True)
class RunTest:
    """A test of this run: its identity, its module and the file its function is defined
    in (repository-relative; None when unknown or outside), and its result here."""

    fingerprint: str
    case: str | None
    module: str
    source: str | None = None
    line: int | None = None
    result: Result = "passed"
    exempt: str | None = None  # the reason given to the tdd_exempt marker
    deps: str | None = None  # the digest of the test code it depends on (helpers, fixtures)
    deselected: bool = False  # collected here, left out by -k, -m or a plugin
    # in a file of test functions; not: a doctest of the project's code (--doctest-modules)
    in_test_code: bool = True

    @property
    def key(self) -> Key:
        return (self.fingerprint, self.case, self.deps)


@dataclass(frozen=True)
class BaseTests:
    """The base revision's tests of the modules collected there: node id -> identity
    (fingerprint, case, deps), and the fingerprints of the tests of base modules that could
    not be imported."""

    items: Mapping[str, Key]
    broken: Collection[str] = ()


@dataclass(frozen=True)
class Entry:
    verdict: str
    kind: str | None = None
    exception: str | None = None
    message: str | None = None
    violation: ViolationKind | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "kind": self.kind,
            "exception": self.exception,
            "message": self.message,
        }


def _under(path: str, folder: str) -> bool:
    return folder == "" or path.startswith(folder + "/")


def suspect_modules(
    tests: Mapping[str, RunTest], changed: Collection[str], everything: bool = False
) -> set[str]:
    """The modules whose tests may not be the base's (see the module's docstring); all of
    them with ``everything`` (a helper of the tests changed)."""
    if everything:
        return {t.module for t in tests.values()}
    folders = {posixpath.dirname(p) for p in changed if posixpath.basename(p) == "conftest.py"}
    return {
        t.module
        for t in tests.values()
        if t.module in changed
        or (t.source is not None and t.source in changed)
        or any(_under(t.module, folder) for folder in folders)
    }


def base_modules(
    changed: Mapping[str, str], suspects: Collection[str], is_test_module: Callable[[str], bool]
) -> list[str]:
    """The test modules to collect on the base: the suspects that exist there, and the test
    modules the change modified or deleted (where moved and removed tests come from)."""
    touched = {p for p, status in changed.items() if status != "A" and is_test_module(p)}
    return sorted(p for p in {*suspects, *touched} if changed.get(p) != "A")


def _new(
    tests: Mapping[str, RunTest], suspects: Collection[str], base: BaseTests
) -> dict[str, bool]:
    """The tests no base test matches, each mapped to whether its id is on the base."""
    known = set(base.items.values())
    known.update(t.key for t in tests.values() if t.module not in suspects)
    broken = set(base.broken)
    return {
        nodeid: nodeid in base.items
        for nodeid, test in tests.items()
        if test.module in suspects and test.key not in known and test.fingerprint not in broken
    }


def the_change(
    tests: Mapping[str, RunTest], suspects: Collection[str], base: BaseTests
) -> dict[str, bool]:
    """The change's tests, each mapped to whether it is changed (its id is on the base)."""
    return {n: c for n, c in _new(tests, suspects, base).items() if tests[n].exempt is None}


def exempt_changes(
    tests: Mapping[str, RunTest], suspects: Collection[str], base: BaseTests
) -> list[str]:
    """The new or changed tests marked ``tdd_exempt``: listed, never run on the base."""
    return [n for n in _new(tests, suspects, base) if tests[n].exempt is not None]


def removed(
    tests: Mapping[str, RunTest], base: BaseTests, complete: Callable[[str], bool]
) -> list[str]:
    """Base tests gone from this run and not moved, in modules ``complete`` says this run
    collected in full (or deleted)."""
    keys = {t.key for t in tests.values()}
    return sorted(
        nodeid
        for nodeid, key in base.items.items()
        if nodeid not in tests and key not in keys and complete(nodeid.partition("::")[0])
    )


def observed(report: Mapping[str, Any] | None, nodeid: str) -> Mapping[str, Any] | None:
    """A test's entry in a red run's JSON report; for a case of a module that could not be
    imported, the entry of its function (found in the module's source)."""
    tests = (report or {}).get("tests", {})
    entry = tests.get(nodeid)
    if entry is None and nodeid.endswith("]"):
        entry = tests.get(nodeid[: nodeid.find("[")])
    return entry if isinstance(entry, dict) else None


def _failure(entry: Mapping[str, Any]) -> dict[str, Any]:
    failure = entry.get("failure")
    return failure if isinstance(failure, dict) else {}


def _what(failure: Mapping[str, Any]) -> str:
    exception, message = failure.get("exception") or "", failure.get("message") or ""
    return f"{exception}: {message}" if message else exception


def _unfinished(stopped: bool, limit: str) -> Entry | None:
    if not stopped:
        return None
    return Entry(
        "wrong-reason",
        message=f"did not finish against the base revision's code within {limit} (the "
        "whole run there was stopped); install pytest-timeout to judge each test on its own",
        violation="wrong-reason-on-base",
    )


def on_base(
    entry: Mapping[str, Any] | None, accept: Collection[str], stopped: bool = False, limit: str = ""
) -> Entry:
    """A test of the change, run against the base revision's code."""
    if entry is None or entry.get("outcome") == "not-run":
        return _unfinished(stopped, limit) or Entry(
            "wrong-reason",
            message="not collected against the base revision's code (does its id depend on "
            "the project's code?)",
            violation="wrong-reason-on-base",
        )
    outcome = entry.get("outcome")
    if outcome in ("passed", "xpassed"):
        return Entry(
            "passed",
            message="passes against the base revision's code: it does not prove this change",
            violation="passed-on-base",
        )
    if outcome != "failed":
        return Entry(
            "wrong-reason",
            message=f"{outcome} against the base revision's code; a test of the change must "
            "fail there",
            violation="wrong-reason-on-base",
        )
    failure = _failure(entry)
    kind, exception = failure.get("kind"), failure.get("exception")
    if kind is not None and kind in accept:
        return Entry("red", kind, exception, failure.get("message"))
    known = Failure(
        failure.get("when", "call"),
        exception or "",
        failure.get("message") or "",
        kind,
        failure.get("cause") or "",
    )
    why = _wrong_reason(known if failure else None, accept)
    return Entry(
        "wrong-reason",
        kind,
        exception,
        f"against the base revision's code it {why}",
        violation="wrong-reason-on-base",
    )


def old_version(entry: Mapping[str, Any] | None, new: Entry) -> Entry:
    """A changed test whose new version passes on the base (``new``), by its old version
    run against the new code."""
    outcome = entry.get("outcome", "not-run") if entry is not None else "not-run"
    if entry is None or outcome not in ("passed", "xpassed", "failed"):
        # Neither proven red nor caught edited: say so, without a violation (as for an old
        # version that cannot reach an API the change removed).
        return Entry(
            "not-run",
            message=f"its new version {new.message or 'passes there'}; its old version "
            f"{outcome} against the new code: review the rewrite",
        )
    if outcome != "failed":
        return Entry(
            "rewritten", message="its old version passes against the new code: only rewritten"
        )
    failure = _failure(entry)
    kind, exception = failure.get("kind"), failure.get("exception")
    what = _what(failure)
    if kind == "missing-api":
        return Entry(
            "rewritten",
            kind,
            exception,
            f"its old version uses an API the change removed or changed: {what}",
        )
    if exception in _DEPRECATIONS and kind == "error":
        return Entry("rewritten", kind, exception, f"its old version uses a deprecated API: {what}")
    return Entry(
        "edited-to-pass",
        kind,
        exception,
        f"its new version passes against the base revision's code, and its old version "
        f"fails against the new code: {what}",
        violation="edited-to-pass",
    )


def removed_verdict(entry: Mapping[str, Any] | None) -> Entry:
    """A removed test, by its base version run against the new code."""
    if entry is None or entry.get("outcome") != "failed":
        outcome = (entry or {}).get("outcome", "not run")
        message = "passes against the new code" if outcome == "passed" else f"{outcome} there"
        return Entry("passes", message=message)
    failure = _failure(entry)
    kind, exception = failure.get("kind"), failure.get("exception")
    if kind == "missing-api":
        return Entry(
            "removed-with-code",
            kind,
            exception,
            f"the code it tested is gone: {_what(failure)}",
        )
    return Entry(
        "removed-failing",
        kind,
        exception,
        f"deleted, and it fails against the new code: {_what(failure)}",
        violation="removed-failing",
    )


def violations(tests: Mapping[str, Entry], gone: Mapping[str, Entry]) -> list[Violation]:
    found = []
    for entries in (tests, gone):
        for nodeid, entry in entries.items():
            if entry.violation is not None and entry.message is not None:
                found.append(Violation(nodeid, entry.violation, entry.message))
    return found
