"""The evidence file: a committed, reviewable record of what each test was seen doing.

Format (version 2): UTF-8 text, one JSON object per line. The first line is the header
``{"pytest-tdd-evidence": 2}``; every other line is one record, sorted by test id, keys
in a fixed order. Version 1 (fingerprint scheme 1, no ``deps``) is read only by the
upgrade (``pytest --tdd-upgrade``). One record per line makes the file friendly to
git's ``merge=union``: two branches that add different tests merge into a valid file. A
union merge can also leave two lines for one test; both are kept as candidates, and the
run that judges the test picks the one that matches its current code.

Between the header and the records come the file lines, sorted by path: ``{"file":
<test file>, "digest": <digest>}``. Each vouches for the fingerprints a test file's bytes give (see
``memo.py``), so that a fresh checkout takes them from the records instead of parsing
the file; a line that no longer matches is ignored, and deleting them all loses nothing.

Pure except ``load``, ``save`` and ``update``. ``save`` writes atomically (a temporary
file in the same folder, flushed to disk, then ``os.replace``), so a reader sees the old
file or the new one, even if the writer is killed. ``update`` is what a run calls: under
an OS lock, it reads the file as it is now, applies the run's changes and saves the result
if it differs, so that concurrent runs keep each other's records.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar, overload

FORMAT_KEY = "pytest-tdd-evidence"
FORMAT_VERSION = 2
# Version 1 holds fingerprints of scheme 1 and no ``deps``: it is read only to upgrade it.
READABLE_VERSIONS = (1, 2)
UPGRADE_COMMAND = "pytest --tdd-upgrade"
STATUSES = ("red", "green", "legacy")
Status = Literal["red", "green", "legacy"]

# JSON key -> Record attribute, in the order they are written.
_FIELDS = {
    "id": "nodeid",
    "status": "status",
    "fp": "fingerprint",
    "case": "case",
    "deps": "deps",
    "kind": "kind",
    "exc": "exception",
    "msg": "message",
    "head": "head",
}
_REQUIRED = ("id", "status", "fp")
LOCK_TIMEOUT = 60.0  # seconds


class EvidenceError(Exception):
    """The evidence file cannot be read or written; the message names it and the fix."""


class Record(NamedTuple):
    """What one test was seen doing, bound to the fingerprint of its code.

    A named tuple rather than a frozen dataclass: a file of 50,000 records is read in
    every run, and a tuple is built five times faster."""

    nodeid: str
    status: Status
    fingerprint: str
    case: str | None = None
    kind: str | None = None
    exception: str | None = None
    message: str | None = None
    head: str | None = None
    deps: str | None = None  # digest of the test code it depends on (helpers, fixtures)


_T = TypeVar("_T")


class Ledger(MutableMapping[str, tuple[Record, ...]]):
    """Test id -> its records; more than one only where a union merge left several.

    A test's lone record is kept as itself rather than in a tuple of one: every run holds
    the whole ledger from its start to its judgement, and at 50,000 tests the tuples were
    3 MiB of its peak memory. Reading gives a tuple either way."""

    __slots__ = ("_records",)

    def __init__(
        self,
        records: Mapping[str, tuple[Record, ...]] | Iterable[tuple[str, tuple[Record, ...]]] = (),
    ) -> None:
        self._records: dict[str, Record | tuple[Record, ...]] = {}
        for nodeid, held in records.items() if isinstance(records, Mapping) else records:
            self[nodeid] = held

    def __setitem__(self, nodeid: str, records: tuple[Record, ...]) -> None:
        self._records[nodeid] = records[0] if len(records) == 1 else records

    def __delitem__(self, nodeid: str) -> None:
        del self._records[nodeid]

    def __getitem__(self, nodeid: str) -> tuple[Record, ...]:
        held = self._records[nodeid]
        return (held,) if type(held) is Record else held  # type: ignore[return-value]

    @overload
    def get(self, nodeid: str, /) -> tuple[Record, ...] | None: ...
    @overload
    def get(self, nodeid: str, default: tuple[Record, ...] | _T, /) -> tuple[Record, ...] | _T: ...
    def get(self, nodeid: str, default: object = None, /) -> object:
        held = self._records.get(nodeid)
        if held is None:
            return default
        return (held,) if type(held) is Record else held

    def __contains__(self, nodeid: object) -> bool:
        return nodeid in self._records

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return f"Ledger({dict(self.items())!r})"

    def take_id(self, nodeid: str) -> tuple[Record, ...]:
        """The records at ``nodeid`` (none: an empty tuple), from now on held with this
        string of the id, key included (``with_id``); one call per test identified."""
        records = self._records
        held = records.pop(nodeid, None)
        if held is None:
            return ()
        if type(held) is Record:
            records[nodeid] = again = _new_record(Record, (nodeid, *held[1:]))
            return (again,)
        records[nodeid] = taken = with_id(held, nodeid)  # type: ignore[arg-type]
        return taken


# Test file -> the digests of its file lines; more than one only after a union merge.
Files = dict[str, tuple[str, ...]]


@dataclass
class Changes:
    """What a run changes in the ledger: records to put (replacing all candidates, except
    those listed in ``keep`` for that id: records of code the run did not judge) and ids
    to drop. Applied to the file as it is on disk just before writing."""

    put: dict[str, Record] = field(default_factory=dict)
    drop: set[str] = field(default_factory=set)
    keep: dict[str, tuple[Record, ...]] = field(default_factory=dict)
    files: dict[str, str | None] = field(default_factory=dict)  # file line to put, or drop

    def __bool__(self) -> bool:
        return bool(self.put or self.drop or self.files)


def apply_files(files: Mapping[str, tuple[str, ...]], changes: Changes) -> Files:
    """New file lines: ``files`` with the file lines of ``changes`` put or dropped."""
    result = {k: v for k, v in files.items() if k not in changes.files}
    result.update((k, (v,)) for k, v in changes.files.items() if v is not None)
    return result


def apply(
    ledger: Mapping[str, tuple[Record, ...]], changes: Changes
) -> dict[str, tuple[Record, ...]]:
    """A new ledger: ``ledger`` with ``changes`` applied."""
    result = {k: v for k, v in ledger.items() if k not in changes.drop}
    for nodeid, record in changes.put.items():
        kept = changes.keep.get(nodeid, ())
        result[nodeid] = (record, *(r for r in kept if r != record))
    return result


_KEYS = frozenset(_FIELDS)
_STATUSES = {status: status for status in STATUSES}
_quote = json.encoder.encode_basestring  # JSON string syntax, non-ASCII kept as it is
# Characters that some tools take for line breaks; they can only stand inside JSON strings.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _escape_line_breaks(text: str) -> str:
    for char, escaped in _LINE_BREAKS.items():
        if char in text:
            text = text.replace(char, escaped)
    return text


def _line(record: Record) -> str:
    nodeid, status, fingerprint, case, kind, exception, message, head, deps = record
    line = f'{{"id": {_quote(nodeid)}, "status": "{status}", "fp": {_quote(fingerprint)}'
    if case is not None:
        line += f', "case": {_quote(case)}'
    if deps is not None:
        line += f', "deps": {_quote(deps)}'
    if kind is not None:
        line += f', "kind": {_quote(kind)}'
    if exception is not None:
        line += f', "exc": {_quote(exception)}'
    if message is not None:
        line += f', "msg": {_quote(message)}'
    if head is not None:
        line += f', "head": {_quote(head)}'
    return line + "}"


def _ascii_line(line: str) -> str:
    """A line as JSON that escapes what UTF-8 cannot hold (a lone surrogate, from an
    undecodable file name)."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(json.loads(line), ensure_ascii=True)
    return line


def dumps(
    ledger: Mapping[str, tuple[Record, ...]], files: Mapping[str, tuple[str, ...]] | None = None
) -> str:
    """The file's text: header, file lines sorted by path, records sorted by id, then a
    trailing newline (every line after the header in sorted order)."""
    lines = [f'{{"{FORMAT_KEY}": {FORMAT_VERSION}}}']
    for path, digests in sorted((files or {}).items()):
        lines.extend(f'{{"file": {_quote(path)}, "digest": {_quote(d)}}}' for d in digests)
    lines.extend(_line(record) for nodeid in sorted(ledger) for record in ledger[nodeid])
    text = _escape_line_breaks("\n".join(lines) + "\n")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _escape_line_breaks("\n".join(_ascii_line(line) for line in lines) + "\n")
    return text


def _all_strings(values: Iterable[object]) -> bool:
    """Are all the values strings? (What JSON gives is exactly ``str`` or no string at all,
    and ``str.join`` takes nothing else: faster than a check of each value's type.)"""
    try:
        "".join(values)  # type: ignore[arg-type]
    except TypeError:
        return False
    return True


# Builds a Record from a tuple of all its fields, without the Python-level constructor.
_new_record: Callable[[type[Record], tuple[Any, ...]], Record] = tuple.__new__


def with_id(records: tuple[Record, ...], nodeid: str) -> tuple[Record, ...]:
    """``records`` (all of the test ``nodeid``) made again around this string of the id:
    a process that holds the string already (pytest's item) then holds one copy, not two
    (at 50k tests, 2.7 MiB of the judgement's peak memory)."""
    return tuple(_new_record(Record, (nodeid, *record[1:])) for record in records)


def _record(data: object, source: str, number: int) -> Record:
    if (
        type(data) is dict
        and data.keys() <= _KEYS
        and "id" in data
        and "fp" in data
        and type(data.get("status")) is str
        and data["status"] in _STATUSES
        and _all_strings(data.values())
    ):
        get = data.get
        return _new_record(
            Record,
            (
                data["id"],
                _STATUSES[data["status"]],  # one string per status, not one per record
                data["fp"],
                get("case"),
                get("kind"),
                get("exc"),
                get("msg"),
                get("head"),
                get("deps"),
            ),
        )
    where = f"evidence file {source}: line {number}"
    if not isinstance(data, dict):
        raise EvidenceError(f"{where}: a record must be a JSON object")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise EvidenceError(f"{where}: unknown key {unknown[0]!r}")
    for key in _REQUIRED:
        if key not in data:
            raise EvidenceError(f"{where}: the record has no {key!r}")
    for key, value in data.items():
        if not isinstance(value, str):
            raise EvidenceError(f"{where}: {key!r} must be a string")
    raise EvidenceError(f"{where}: status {data['status']!r} is not one of {', '.join(STATUSES)}")


def _not_json(
    line: str, where: str, error: ValueError | RecursionError, source: str
) -> EvidenceError:
    if line.startswith(("<<<<<<<", "=======", ">>>>>>>")):
        name = os.path.basename(source)
        return EvidenceError(
            f"{where}: an unresolved merge conflict; keep the lines of both sides, or "
            f"add '{name} merge=union' to .gitattributes so git does it for you"
        )
    if isinstance(error, RecursionError):
        return EvidenceError(f"{where}: not valid JSON (nested too deeply)")
    return EvidenceError(f"{where}: not valid JSON ({error})")


# What json.loads uses, with its defaults: (value, end), or StopIteration.
_decoder: Any = json.JSONDecoder()
_scan_once: Callable[[str, int], tuple[object, int]] = _decoder.scan_once


def _loads_line(line: str, source: str, number: int) -> object:
    try:
        return json.loads(line)
    except (ValueError, RecursionError) as error:
        raise _not_json(line, f"evidence file {source}: line {number}", error, source) from None


def _check_header(data: object, where: str, source: str) -> int:
    if not isinstance(data, dict) or FORMAT_KEY not in data:
        raise EvidenceError(f"{where}: missing the header line of a pytest-tdd file")
    version = data[FORMAT_KEY]
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise EvidenceError(
            f"evidence file {source}: format version {version!r} is not supported "
            f"by this pytest-tdd (it reads version {FORMAT_VERSION}); upgrade pytest-tdd"
        )
    return version


def parse(text: str, source: str) -> Ledger:
    """Read the file's text; raise ``EvidenceError`` naming ``source`` and the line."""
    return _parse(text, source)[1]


def parse_with_files(text: str, source: str) -> tuple[Ledger, Files]:
    """The records and the file lines of the file's text."""
    _, ledger, files = _parse(text, source)
    return ledger, files


_FILE_KEYS = frozenset(("file", "digest"))


def _file_line(data: dict[str, Any], files: Files, source: str, number: int) -> None:
    path, digest = data.get("file"), data.get("digest")
    if data.keys() != _FILE_KEYS or type(path) is not str or type(digest) is not str:
        raise EvidenceError(
            f"evidence file {source}: line {number}: a file line needs 'file' and 'digest', "
            "strings, and nothing else; delete the line (it only saves work)"
        )
    held = files.get(path, ())
    if digest not in held:
        files[path] = (*held, digest)


# A record line exactly as ``_line`` writes it, whose strings hold no escape: what JSON
# reads from it is the text between the quotes. Any other line goes through the JSON
# scanner and ``_record``, which read it, or refuse it, as ``json.loads`` would.
_STRING = r'"([^"\\\x00-\x1f]*)"'
_CANONICAL = re.compile(
    rf'\{{"id": {_STRING}, "status": "(red|green|legacy)", "fp": {_STRING}'
    rf'(?:, "case": {_STRING})?(?:, "deps": {_STRING})?(?:, "kind": {_STRING})?'
    rf'(?:, "exc": {_STRING})?(?:, "msg": {_STRING})?(?:, "head": {_STRING})?\}}'
).fullmatch


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text``, as ``text.split("\\n")`` gives them, one at a time: a list of
    50,000 lines held while the records are built raised the load's peak memory by 7 MiB.

    Lines end at "\\n" only (and "\\r\\n" from a checkout that converts line ends):
    str.splitlines would also break at characters such as U+2028 inside a message."""
    start, size = 0, len(text)
    while start <= size:
        end = text.find("\n", start)
        if end < 0:
            end = size
        yield text[start:end]
        start = end + 1


def _parse(text: str, source: str) -> tuple[int, Ledger, Files]:
    ledger = Ledger()
    records = ledger._records  # filled directly: the one place that builds a whole ledger
    files: Files = {}
    scan = _scan_once
    version = 0
    for number, raw in enumerate(_lines(text), start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line or line.isspace():
            continue
        canonical = _CANONICAL(line) if version else None
        if canonical is not None:  # a record as ``dumps`` writes it, without escapes
            nodeid, status, fp, case, deps, kind, exception, message, head = canonical.groups()
            record = _new_record(
                Record, (nodeid, _STATUSES[status], fp, case, kind, exception, message, head, deps)
            )
        else:
            # The C scanner alone (what json.loads calls after its checks) for a line that
            # is one JSON value and nothing else; json.loads for any other line, so that
            # it is read, or refused, as json.loads reads or refuses it.
            try:
                data, end = scan(line, 0)
                whole = end == len(line)
            except (StopIteration, ValueError, RecursionError):
                whole = False
            if not whole:
                data = _loads_line(line, source, number)
            if not version:
                version = _check_header(data, f"evidence file {source}: line {number}", source)
                continue
            if type(data) is dict and "file" in data:
                _file_line(data, files, source, number)
                continue
            record = _record(data, source, number)
        held = records.get(record.nodeid)
        if held is None:
            records[record.nodeid] = record
        else:
            candidates = ledger[record.nodeid]
            if record not in candidates:
                records[record.nodeid] = (*candidates, record)
    return version or FORMAT_VERSION, ledger, files


def load(path: Path) -> Ledger:
    """The ledger in ``path``; empty if there is no such file. A file of an older format
    version is refused with the command that upgrades it."""
    return load_with_files(path)[0]


def load_with_files(path: Path) -> tuple[Ledger, Files]:
    """The ledger and the file lines in ``path``, as ``load`` reads them."""
    version, ledger, files = _load(path)
    if version != FORMAT_VERSION:
        raise EvidenceError(
            f"evidence file {path}: format version {version} holds fingerprints of an "
            f"older scheme; run `{UPGRADE_COMMAND}` once to re-bind each record to its "
            "test's current code"
        )
    return ledger, files


def load_any(path: Path) -> tuple[int, Ledger]:
    """The format version and ledger in ``path``, of any version this package reads."""
    version, ledger, _ = _load(path)
    return version, ledger


def _load(path: Path) -> tuple[int, Ledger, Files]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return FORMAT_VERSION, Ledger(), {}
    except OSError as error:
        raise EvidenceError(f"evidence file {path}: cannot read it ({error})") from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark some editors add is not data
    except UnicodeDecodeError as error:
        raise EvidenceError(f"evidence file {path}: not UTF-8 text ({error})") from None
    del raw  # the text alone while the records are built
    return _parse(text, str(path))


def save(
    path: Path,
    ledger: Mapping[str, tuple[Record, ...]],
    files: Mapping[str, tuple[str, ...]] | None = None,
) -> None:
    """Write ``ledger`` (and ``files``) to ``path`` atomically, keeping the permissions and
    the line endings of the old file; its folder is made if it is missing."""
    data = dumps(ledger, files).encode("utf-8")
    if _windows_line_endings(path):  # a checkout with core.autocrlf
        data = data.replace(b"\n", b"\r\n")
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_umask()
    else:
        if not mode & 0o222:  # made read-only on purpose: replacing it would go around that
            raise EvidenceError(
                f"evidence file {path}: it is read-only (mode {mode:o}); make it writable"
                f" (chmod u+w {path}) to record evidence; it was left as it is"
            )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # a folder named in the settings
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, path)
            _sync_folder(path.parent)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise EvidenceError(f"evidence file {path}: cannot write it ({error})") from None


def _windows_line_endings(path: Path) -> bool:
    """Does the file at ``path`` end its first line with CR LF?"""
    try:
        with open(path, "rb") as file:
            first = file.readline(4096)
    except OSError:
        return False
    return first.endswith(b"\r\n")


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; elsewhere the rename is all there is)."""
    if sys.platform == "win32":  # pragma: no cover - the suite runs on POSIX only
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _lock_path(path: Path) -> Path:
    """Where the lock for ``path`` lives: in the temporary folder, so that it leaves no
    file in the project, named after the evidence file's absolute path."""
    key = hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogatepass")).hexdigest()
    return Path(tempfile.gettempdir()) / f"pytest-tdd-{key[:24]}.lock"


def forget_lock(path: Path) -> None:
    """Remove the lock file of an evidence file that no other run can use any more (one in
    a temporary folder that is done with); the lock of a shared file is left in place."""
    _lock_path(path).unlink(missing_ok=True)


if sys.platform == "win32":  # pragma: no cover - the suite runs on POSIX only
    import msvcrt

    def _try_lock(handle: int) -> bool:
        try:
            msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(handle: int) -> bool:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


@contextmanager
def locked(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the OS lock that guards ``path`` against other pytest-tdd runs.

    The lock is released by the OS when the process ends, however it ends.
    """
    lock = _lock_path(path)
    try:
        handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except PermissionError:  # made by another user: reading is enough to lock
        handle = os.open(lock, os.O_RDONLY)
    try:
        deadline = time.monotonic() + timeout
        while not _try_lock(handle):
            if time.monotonic() >= deadline:
                raise EvidenceError(
                    f"evidence file {path}: another pytest run has held its lock for "
                    f"{timeout:g} s ({lock}); if no other run is active, delete that file"
                )
            time.sleep(0.02)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _remove_leftovers(path: Path) -> None:
    """Temporary files of a writer that was killed before its rename (under the lock, no
    other writer can own one)."""
    pattern = f".{glob.escape(path.name)}.*.tmp"
    for leftover in path.parent.glob(pattern):
        leftover.unlink(missing_ok=True)


Signature = tuple[int, int, int]


def signature(path: Path) -> Signature | None:
    """Identifies one version of the file: a rewrite (a new inode) or an edit changes it."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def update(
    path: Path,
    changes: Changes,
    timeout: float = LOCK_TIMEOUT,
    known: tuple[Signature | None, Ledger, Files] | None = None,
) -> bool:
    """Apply ``changes`` to the file as it is on disk now; True if it was written.

    ``known`` is the ledger and file lines read earlier with the file's signature at the
    time: when the file has not changed since, it is not read again. Raises
    ``EvidenceError`` when the file cannot be read (it is then left alone), cannot be
    written, or its lock cannot be had within ``timeout`` seconds.
    """
    if not changes:
        return False
    with locked(path, timeout):
        if path.parent.is_dir():
            _remove_leftovers(path)
        now = signature(path)
        if known is not None and known[0] == now:
            on_disk, files = known[1], known[2]
        else:
            on_disk, files = load_with_files(path)
        updated, updated_files = apply(on_disk, changes), apply_files(files, changes)
        if now is None and not updated:  # file lines alone never make a file
            return False
        if now is not None and updated == on_disk and updated_files == files:
            return False
        save(path, updated, updated_files)
        return True
