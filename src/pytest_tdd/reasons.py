"""Why did a test fail, and does that failure count as red?

A test counts as red only when it fails because the feature it describes is not there
yet. The rule, in the order it is applied (docs/red-reasons.md shows examples):

* a failure in setup or teardown (a fixture, or a TestCase's ``setUp``, ``tearDown`` or
  cleanup, which pytest runs in its call phase) and a syntax error are never red;
* an exception group is judged by its members: red with the weakest member's kind
  (``KINDS`` is strongest first) when every member is red, else the wrong reason;
* pytest's ``Failed``: a pytest-timeout timeout is ``error`` when it interrupted the
  project's code, else the wrong reason; any other is ``assertion`` when raised from the
  test's or the project's code, and the wrong reason when pytest or a plugin raised it;
* ``assertion``: ``AssertionError``, a doctest's wrong output, ``NotImplementedError``
  from a stub in the project;
* ``missing-api``: an ``ImportError`` of a project module or of one that does not exist,
  an ``AttributeError`` on a project object (judged by its type), a ``TypeError`` of a
  call that does not fit a project callable, a protocol error on the test's own line on
  a value from the project (``expressions``);
* ``error``: any other exception raised inside the project's own code;
* anything else is the wrong reason: a typo or a bug in the test, a library called
  directly from the test.

Pure: it inspects exceptions, tracebacks and loaded modules, and imports nothing from
pytest (the plugin passes in pytest's ``Failed`` type).
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import importlib.util
import os
import re
import sys
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import BuiltinFunctionType, FrameType, FunctionType, ModuleType, TracebackType
from typing import TYPE_CHECKING, Literal, cast

from pytest_tdd import expressions
from pytest_tdd.vocabulary import KINDS as KINDS
from pytest_tdd.vocabulary import RedKind as RedKind

if TYPE_CHECKING:
    import doctest

When = Literal["setup", "call", "teardown", "collect"]
MESSAGE_LIMIT = 200
Origin = Literal["test", "project", "external"]
Verdict = tuple[RedKind | None, str]  # the kind (None: the wrong reason) and why

_TEST_DIRS = frozenset({"tests", "test", "testing"})
_EXTERNAL_DIRS = frozenset({"site-packages", "dist-packages", ".tox", ".nox", "node_modules"})
_TEST_FILES = ("test_*.py", "*_test.py", "conftest.py")
# Modules at the top of a source tree that are tooling, not the project's code.
_NOT_PROJECT_MODULES = frozenset({"setup", "noxfile", "tasks", "fabfile", "dodo", "manage"})
_TIMEOUT = re.compile(r"^Timeout (\(>|>)[\d.]+s")
_TIMEOUT_MODULE = "pytest_timeout"
_SIGNATURE = re.compile(
    r"^(?P<callee>[A-Za-z_][\w.]*)\(\) (?:got an unexpected keyword argument|"
    r"got multiple values for argument|got some positional-only arguments|missing \d+ "
    r"required|takes )"
)


@dataclass(frozen=True)
class Failure:
    """One failed phase of a test, judged."""

    when: When
    exception: str
    message: str
    kind: RedKind | None  # the failure counts as red, or None: the wrong reason
    cause: str  # why it was judged so, in words for the report

    def accepted_by(self, accept: Collection[str]) -> bool:
        return self.kind is not None and self.kind in accept


@functools.cache
def _external_prefixes() -> tuple[str, ...]:
    """Where the interpreter and installed packages live: code there is external."""
    import sysconfig

    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    prefixes.update(p for p in sysconfig.get_paths().values() if p)
    return tuple(sorted(os.path.abspath(p) + os.sep for p in prefixes))


def _doctest_error(error: object, name: str) -> bool:
    """Is ``error`` an instance of doctest's exception class ``name``? doctest is not
    imported for the question: a process that never imported it raised none of them."""
    doctest = sys.modules.get("doctest")
    return doctest is not None and isinstance(error, getattr(doctest, name))


class Origins:
    """Tells the project's own code from its tests and from everything else."""

    def __init__(self, root: Path, test_files: Iterable[str] = ()) -> None:
        self.root = os.path.abspath(root) + os.sep
        self.test_files = {os.path.abspath(f) for f in test_files}
        self._cache: dict[str, Origin] = {}
        self._installed: frozenset[str] | None = None  # the project's top-level names

    def _project_names(self) -> frozenset[str]:
        """The project's top-level packages and modules as its source tree holds them (in
        the rootdir and in ``src/``), so that a copy installed into an environment (tox
        installs a wheel) still counts as the project's code."""
        if self._installed is None:
            names = set()
            for folder in (self.root, os.path.join(self.root, "src")):
                try:
                    entries = list(os.scandir(folder))
                except OSError:
                    continue
                for entry in entries:
                    name = entry.name
                    if entry.is_dir() and os.path.isfile(os.path.join(entry.path, "__init__.py")):
                        names.add(name)
                    elif (
                        name.endswith(".py")
                        and name[:-3] not in _NOT_PROJECT_MODULES
                        and not any(fnmatch.fnmatch(name, p) for p in _TEST_FILES)
                    ):
                        names.add(name[:-3])
            self._installed = frozenset(names - _TEST_DIRS)
        return self._installed

    def source_of(self, name: str) -> str | None:
        """Where the project's source tree holds the top-level module or package ``name``
        (relative to the rootdir), if it does."""
        if name not in self._project_names():
            return None
        for folder in ("", "src"):
            for tail in (f"{name}.py", os.path.join(name, "__init__.py")):
                if os.path.isfile(os.path.join(self.root, folder, tail)):
                    return Path(folder, tail).as_posix()
        return None

    def _installed_origin(self, path: str) -> Origin:
        """A file under an environment: the project's if it is an installed copy of one of
        the project's own top-level packages or modules."""
        parts = path.split(os.sep)
        for marker in ("site-packages", "dist-packages"):
            if marker in parts:
                rest = parts[len(parts) - parts[::-1].index(marker) :]
                if rest and rest[0].removesuffix(".py") in self._project_names():
                    return "project"
        return "external"

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
        if not path.startswith(self.root) or path.startswith(_external_prefixes()):
            return self._installed_origin(path)
        parts = path[len(self.root) :].split(os.sep)
        if _EXTERNAL_DIRS.intersection(parts):
            return self._installed_origin(path)
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
        """Is ``obj`` the project's? Judged by where it is defined: a module by its file, a
        function by the file of its code, a class by its own module, and any other object
        by its type, whatever ``__module__`` a decorator copied onto it."""
        if isinstance(obj, ModuleType):
            return self.owns_module(obj)
        if isinstance(obj, FunctionType) and not obj.__code__.co_filename.startswith("<"):
            return self.of_file(obj.__code__.co_filename) == "project"
        if isinstance(obj, (type, FunctionType, BuiltinFunctionType)):
            owner = getattr(obj, "__module__", None)  # a function made by exec has no file
        else:
            owner = type(obj).__module__
        return isinstance(owner, str) and self.owns_module(sys.modules.get(owner))

    def project_modules(self) -> Iterator[ModuleType]:
        for module in list(sys.modules.values()):
            if self.owns_module(module):
                yield module


def classify(
    error: BaseException, when: When, origins: Origins, *, fail_type: type[BaseException]
) -> Failure:
    """Judge one failure: ``when`` is pytest's phase ("setup", "call", "teardown") or
    "collect" for a test module that could not be imported."""
    error = _unwrap(error)
    # pytest runs a TestCase's setUp and tearDown in its call phase, and reports a
    # tearDown's error in its teardown phase when the test itself failed too
    unittest_part = _unittest_part(error.__traceback__) if when != "collect" else None
    if when in ("setup", "teardown") and unittest_part is None:
        kind, cause = None, f"a {when} error: a fixture failed, not the test"
    elif unittest_part is not None:
        phase, method = unittest_part
        kind, cause = None, f"a {phase} error: unittest's {method} failed, not the test"
    else:
        kind, cause = _Judge(origins, fail_type).judge(error)
    return Failure(when, type(error).__name__, _first_line(error), kind, cause)


class _Judge:
    """The rule for a failure of the test itself (the module's docstring states it)."""

    def __init__(self, origins: Origins, fail_type: type[BaseException]) -> None:
        self.origins = origins
        self.fail_type = fail_type

    def judge(self, error: BaseException) -> Verdict:
        members = _members(error)
        if members is not None:
            return self.group(members)
        if isinstance(error, SyntaxError):
            return None, "a syntax error"
        frames = _frames(error.__traceback__)
        if isinstance(error, self.fail_type):
            return self.failed(_first_line(error), frames)
        if isinstance(error, AssertionError):
            return "assertion", "an assertion failed"
        if _doctest_error(error, "DocTestFailure"):
            return "assertion", "a doctest printed something other than expected"
        origin = self.origin(frames)
        if isinstance(error, NotImplementedError) and origin == "project":
            return "assertion", "a stub in the project raised NotImplementedError"
        if isinstance(error, ImportError):
            ours, why = _missing_module_is_ours(error, self.origins)
            if ours:
                return "missing-api", why
            if origin == "test":
                return None, f"an import error in the test's own code: {why}"
        if isinstance(error, AttributeError) and self.origins.owns_object(
            getattr(error, "obj", None)
        ):
            return "missing-api", f"the project's code has no attribute {error.name!r} yet"
        if isinstance(error, TypeError) and _callee_is_ours(error, self.origins):
            return "missing-api", "a call into the project's code does not fit its signature"
        if origin == "project":
            return "error", "raised inside the project's code"
        if origin == "test" and self.origins.of_file(_filename(frames[-1])) == "test":
            return self.in_test(error)
        return None, "raised by third-party or standard-library code called from the test"

    def group(self, members: tuple[BaseException, ...]) -> Verdict:
        """Red when every member is red, with the weakest member's kind."""
        kinds: list[RedKind] = []
        for number, member in enumerate(members, 1):
            member = _unwrap(member)
            kind, cause = self.judge(member)
            if kind is None:
                what = f"{type(member).__name__}: {_first_line(member)}"
                return None, (
                    f"exception {number} of {len(members)} in the group fails for the wrong"
                    f" reason, {what}: {cause}"
                )
            kinds.append(kind)
        weakest = max(kinds, key=KINDS.index)
        counts = ", ".join(f"{kind} {n}" for kind, n in sorted(Counter(kinds).items()))
        return weakest, f"every exception in the group counts as red ({counts})"

    def failed(self, message: str, frames: list[FrameType]) -> Verdict:
        """pytest's ``Failed``: raised by the test or the project, or by pytest or a plugin
        (a hook in a ``conftest.py`` is a plugin: pytest called it, not the test)."""
        if _TIMEOUT.match(message) or any(_module_name(f) == _TIMEOUT_MODULE for f in frames):
            return self.timeout(frames)
        raiser = next((f for f in reversed(frames) if not _in_pytest(f)), None)
        ours = [f for f in frames if self.origins.of_file(_filename(f)) != "external"]
        if raiser in ours and os.path.basename(_filename(ours[0])) != "conftest.py":
            return "assertion", "pytest.fail, pytest.raises or pytest.warns"
        return None, "pytest or a plugin failed the test, not the test's code"

    def timeout(self, frames: list[FrameType]) -> Verdict:
        """A timeout of pytest-timeout, judged by the code it interrupted."""
        interrupted = []
        for frame in frames:
            if _module_name(frame) == _TIMEOUT_MODULE:
                break
            if not _in_pytest(frame):
                interrupted.append(frame)
        if self.origin(interrupted) == "project":
            return "error", "a timeout while in the project's code: the project did not finish"
        innermost = self.origins.of_file(_filename(interrupted[-1])) if interrupted else None
        where = "the test's own code" if innermost == "test" else "third-party code"
        return None, f"a timeout while in {where}: the test did not finish"

    def in_test(self, error: BaseException) -> Verdict:
        """An exception raised on a line of the test's own code."""
        operation = expressions.operation_of(error)
        if operation is None:
            return None, "raised in the test's own code (a typo or a bug in the test)"
        assert error.__traceback__ is not None
        entry = _last(error.__traceback__)
        if expressions.comes_from_project(operation, entry, self.origins.owns_object):
            return (
                "missing-api",
                f"a value from the project's code does not support {operation} yet",
            )
        return None, "raised in the test's own code, on a value that is not the project's"

    def origin(self, frames: list[FrameType]) -> Origin:
        """Where the error came from: the innermost frame that is not library code."""
        for frame in reversed(frames):
            origin = self.origins.of_file(_filename(frame))
            if origin != "external":
                return origin
        return "external"


def _members(error: BaseException) -> tuple[BaseException, ...] | None:
    """The exceptions an exception group holds; duck-typed, so that the ``exceptiongroup``
    backport of Python 3.10 is recognised as well as the builtin."""
    members = getattr(error, "exceptions", None)
    if not isinstance(members, tuple) or not members:
        return None
    return members if all(isinstance(m, BaseException) for m in members) else None


# The methods through which unittest calls a TestCase's own set-up and clean-up code.
# pytest runs them in its call phase, so an error there reaches it as the test's.
_UNITTEST_PARTS: Mapping[str, tuple[str, str]] = {
    "_callSetUp": ("setup", "setUp"),
    "_callTearDown": ("teardown", "tearDown"),
    "doCleanups": ("teardown", "cleanup"),
    "_callCleanup": ("teardown", "cleanup"),
}


# Class and module set-up that pytest calls itself, from its setup and teardown phases.
_UNITTEST_CLASS_PARTS: Mapping[str, tuple[str, str]] = {
    "setUpClass": ("setup", "setUpClass"),
    "setUpModule": ("setup", "setUpModule"),
    "tearDownClass": ("teardown", "tearDownClass"),
    "tearDownModule": ("teardown", "tearDownModule"),
}


def _unittest_part(traceback: TracebackType | None) -> tuple[str, str] | None:
    """The phase and method when ``traceback`` runs through unittest's call of a
    TestCase's ``setUp``, ``tearDown`` or a cleanup (``asyncSetUp`` and the others too),
    or through pytest's call of its ``setUpClass`` (and the others of class or module)."""
    frames = _frames(traceback)
    for frame in frames:
        part = _UNITTEST_PARTS.get(frame.f_code.co_name)
        if part is not None and str(frame.f_globals.get("__name__", "")).startswith("unittest."):
            return part
    called_by_pytest = False
    for frame in frames:
        part = _UNITTEST_CLASS_PARTS.get(frame.f_code.co_name)
        if part is not None and called_by_pytest:
            return part
        called_by_pytest = str(frame.f_globals.get("__name__", "")) == "_pytest.unittest"
    return None


def _entries(traceback: TracebackType | None) -> list[TracebackType]:
    entries = []
    while traceback is not None:
        entries.append(traceback)
        traceback = traceback.tb_next
    return entries


def _frames(traceback: TracebackType | None) -> list[FrameType]:
    return [entry.tb_frame for entry in _entries(traceback)]


def _last(traceback: TracebackType) -> TracebackType:
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    return traceback


def _filename(frame: FrameType) -> str:
    return frame.f_code.co_filename


def _module_name(frame: FrameType) -> str:
    name = frame.f_globals.get("__name__")
    return name if isinstance(name, str) else ""


def _in_pytest(frame: FrameType) -> bool:
    """Is this pytest's own code? (Its exceptions claim to live in ``builtins``.)"""
    return _module_name(frame).partition(".")[0] in ("_pytest", "pytest")


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else ""
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def _unwrap(error: BaseException) -> BaseException:
    """The error that matters behind a wrapper: pytest's for a test module that failed to
    import, doctest's for an example that raised, pytest's for several doctest failures."""
    if type(error).__name__ == "CollectError" and error.__cause__ is not None:
        return error.__cause__
    if _doctest_error(error, "UnexpectedException"):
        return cast("doctest.UnexpectedException", error).exc_info[1]
    failures = getattr(error, "failures", None)  # pytest's MultipleDoctestFailures
    if isinstance(failures, list) and failures:
        unexpected = [f for f in failures if _doctest_error(f, "UnexpectedException")]
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
        source = origins.source_of(top) if spec is None else None
        if source is not None:
            return False, (
                f"the module {top!r} is in the project ({source}) but cannot be imported:"
                " it is not on the import path (install the project, or set pytest's"
                " pythonpath)"
            )
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


def _callee_is_ours(error: TypeError, origins: Origins) -> bool:
    match = _SIGNATURE.match(str(error))
    if not match:
        return False
    entry = next(
        (
            e
            for e in reversed(_entries(error.__traceback__))
            if origins.of_file(_filename(e.tb_frame)) != "external"
        ),
        None,
    )
    ours = expressions.call_is_projects(entry, origins.owns_object) if entry else None
    if ours is not None:  # the call itself says what it calls
        return ours
    caller = entry.tb_frame if entry is not None else None
    namespaces = [caller.f_locals, caller.f_globals] if caller else []
    namespaces += [vars(m) for m in origins.project_modules()]
    callee = _resolve(match["callee"], namespaces)
    return callee is not None and origins.owns_object(callee)
