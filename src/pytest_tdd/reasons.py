"""Why did a test fail, and does that failure count as red?

A test counts as red only when it fails because the feature it describes is not there
yet: an assertion (``assertion``), a reach for project code that does not exist yet
(``missing-api``), or an exception raised inside the project's own code (``error``).
Anything else is a failure for the wrong reason: a typo or bug in the test itself, a
fixture error, a syntax error, a library called directly from the test, a timeout.

This module inspects exceptions, tracebacks and loaded modules, but imports nothing
from pytest: the plugin passes in pytest's ``Failed`` type.
"""

from __future__ import annotations

import difflib
import doctest
import fnmatch
import importlib.util
import os
import re
import sys
import sysconfig
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, ModuleType, TracebackType
from typing import Literal

KINDS = ("assertion", "missing-api", "error")
MESSAGE_LIMIT = 200
Origin = Literal["test", "project", "external"]

_TEST_DIRS = frozenset({"tests", "test", "testing"})
_EXTERNAL_DIRS = frozenset({"site-packages", "dist-packages", ".tox", ".nox", "node_modules"})
_TEST_FILES = ("test_*.py", "*_test.py", "conftest.py")
_TIMEOUT = re.compile(r"^Timeout (\(>|>)[\d.]+s")
_SIGNATURE = re.compile(
    r"^(?P<callee>[A-Za-z_][\w.]*)\(\) (?:got an unexpected keyword argument|"
    r"got multiple values for argument|got some positional-only arguments|missing \d+ "
    r"required|takes )"
)


@dataclass(frozen=True)
class Failure:
    """One failed phase of a test, judged."""

    when: str
    exception: str
    message: str
    kind: str | None  # one of KINDS when the failure can count as red, else None
    cause: str  # why it was judged so, in words for the report

    def accepted_by(self, accept: Collection[str]) -> bool:
        return self.kind is not None and self.kind in accept


class Origins:
    """Tells the project's own code from its tests and from everything else."""

    def __init__(self, root: Path, test_files: Iterable[str] = ()) -> None:
        self.root = os.path.abspath(root) + os.sep
        self.test_files = {os.path.abspath(f) for f in test_files}
        prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix}
        prefixes.update(p for p in sysconfig.get_paths().values() if p)
        self.external = tuple(sorted(os.path.abspath(p) + os.sep for p in prefixes))
        self._cache: dict[str, Origin] = {}

    def of_file(self, filename: str) -> Origin:
        origin = self._cache.get(filename)
        if origin is None:
            origin = self._cache[filename] = self._of_file(filename)
        return origin

    def _of_file(self, filename: str) -> Origin:
        if filename.startswith("<"):
            return "test" if filename.startswith("<doctest ") else "external"
        path = os.path.abspath(filename)
        if path in self.test_files:
            return "test"
        if not path.startswith(self.root) or path.startswith(self.external):
            return "external"
        parts = path[len(self.root) :].split(os.sep)
        if _EXTERNAL_DIRS.intersection(parts):
            return "external"
        if _TEST_DIRS.intersection(parts[:-1]) or any(
            fnmatch.fnmatch(parts[-1], p) for p in _TEST_FILES
        ):
            return "test"
        return "project"

    def owns_module(self, module: ModuleType | None) -> bool:
        if module is None:
            return False
        filename = getattr(module, "__file__", None)
        if filename:
            return self.of_file(filename) == "project"
        locations = getattr(module, "__path__", None) or ()  # a namespace package
        return any(self.of_file(os.path.join(p, "x.py")) == "project" for p in locations)

    def owns_object(self, obj: object) -> bool:
        if isinstance(obj, ModuleType):
            return self.owns_module(obj)
        owner = getattr(obj, "__module__", None) if isinstance(obj, type) else None
        if owner is None and not callable(obj):
            owner = type(obj).__module__
        if owner is None:
            owner = getattr(obj, "__module__", None)
        return isinstance(owner, str) and self.owns_module(sys.modules.get(owner))

    def project_modules(self) -> Iterator[ModuleType]:
        for module in list(sys.modules.values()):
            if self.owns_module(module):
                yield module


def _frames(traceback: TracebackType | None) -> list[FrameType]:
    frames = []
    while traceback is not None:
        frames.append(traceback.tb_frame)
        traceback = traceback.tb_next
    return frames


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else ""
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def _unwrap(error: BaseException) -> BaseException:
    """The error that matters behind a wrapper: pytest's for a test module that failed to
    import, doctest's for an example that raised, pytest's for several doctest failures."""
    if type(error).__name__ == "CollectError" and error.__cause__ is not None:
        return error.__cause__
    if isinstance(error, doctest.UnexpectedException):
        return error.exc_info[1]
    failures = getattr(error, "failures", None)  # pytest's MultipleDoctestFailures
    if isinstance(failures, list) and failures:
        unexpected = [f for f in failures if isinstance(f, doctest.UnexpectedException)]
        return _unwrap(unexpected[0] if unexpected else failures[0])
    return error


def _missing_module_is_ours(error: ImportError, origins: Origins) -> tuple[bool, str]:
    name = error.name or ""
    top = name.partition(".")[0]
    if not top:
        return False, "an import failed without naming the module"
    module = sys.modules.get(top)
    if module is None:
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            known = set(sys.stdlib_module_names) | {
                m.partition(".")[0] for m in sys.modules if not m.startswith("_")
            }
            close = difflib.get_close_matches(top, known, n=1, cutoff=0.8)
            if close:
                return False, f"no module {top!r}: it looks like a typo of {close[0]!r}"
            return True, f"the module {name!r} does not exist yet"
        locations = spec.submodule_search_locations or [spec.origin or ""]
        owned = any(origins.of_file(os.path.join(p, "x.py")) == "project" for p in locations)
        return owned, f"the module {name!r} is not the project's"
    if origins.owns_module(module):
        return True, f"the project's module {name!r} lacks what the test imports"
    return False, f"the module {name!r} is not the project's"


def _resolve(dotted: str, namespaces: Iterable[dict[str, object]]) -> object | None:
    head, *rest = dotted.split(".")
    for namespace in namespaces:
        if head not in namespace:
            continue
        obj = namespace[head]
        try:
            for part in rest:
                obj = getattr(obj, part)
        except AttributeError:
            continue
        return obj
    return None


def _callee_is_ours(error: TypeError, frames: list[FrameType], origins: Origins) -> bool:
    match = _SIGNATURE.match(str(error))
    if not match:
        return False
    caller = next(
        (f for f in reversed(frames) if origins.of_file(_filename(f)) != "external"), None
    )
    namespaces = [caller.f_locals, caller.f_globals] if caller else []
    namespaces += [vars(m) for m in origins.project_modules()]
    callee = _resolve(match["callee"], namespaces)
    return callee is not None and origins.owns_object(callee)


def _filename(frame: FrameType) -> str:
    return frame.f_code.co_filename


def _origin(frames: list[FrameType], origins: Origins) -> Origin:
    """Where the error came from: the innermost frame that is not library code."""
    for frame in reversed(frames):
        origin = origins.of_file(_filename(frame))
        if origin != "external":
            return origin
    return "external"


def classify(
    error: BaseException, when: str, origins: Origins, *, fail_type: type[BaseException]
) -> Failure:
    """Judge one failure: ``when`` is pytest's phase ("setup", "call", "teardown") or
    "collect" for a test module that could not be imported."""
    error = _unwrap(error)
    name = type(error).__name__
    message = _first_line(error)

    def judged(kind: str | None, cause: str) -> Failure:
        return Failure(when, name, message, kind, cause)

    if when in ("setup", "teardown"):
        return judged(None, f"a {when} error: a fixture failed, not the test")
    if isinstance(error, SyntaxError):
        return judged(None, "a syntax error")
    frames = _frames(error.__traceback__)
    if isinstance(error, fail_type):
        if _TIMEOUT.match(message) or any("pytest_timeout" in _filename(f) for f in frames):
            return judged(None, "a timeout: the test did not finish")
        return judged("assertion", "pytest.fail or pytest.raises")
    if isinstance(error, AssertionError):
        return judged("assertion", "an assertion failed")
    if isinstance(error, doctest.DocTestFailure):
        return judged("assertion", "a doctest printed something other than expected")
    origin = _origin(frames, origins)
    if isinstance(error, NotImplementedError) and origin == "project":
        return judged("assertion", "a stub in the project raised NotImplementedError")
    if isinstance(error, ImportError):
        ours, why = _missing_module_is_ours(error, origins)
        if ours:
            return judged("missing-api", why)
        if origin == "test":
            return judged(None, f"an import error in the test's own code: {why}")
    if isinstance(error, AttributeError) and origins.owns_object(getattr(error, "obj", None)):
        return judged("missing-api", f"the project's code has no attribute {error.name!r} yet")
    if isinstance(error, TypeError) and _callee_is_ours(error, frames, origins):
        return judged("missing-api", "a call into the project's code does not fit its signature")
    if origin == "project":
        return judged("error", "raised inside the project's code")
    if origin == "test" and frames and origins.of_file(_filename(frames[-1])) == "test":
        return judged(None, "raised in the test's own code (a typo or a bug in the test)")
    return judged(None, "raised by third-party or standard-library code called from the test")
