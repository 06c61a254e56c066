"""The temporary trees ``--tdd-verify`` runs tests in, built without touching the repository.

A tree is a copy of the repository's files in a temporary directory outside it: the base
revision's files read from git objects (``git archive``, then ``git cat-file`` for any
file the archive left out, marked ``export-ignore``, or filled in, marked
``export-subst``), with some files taken from the working tree instead (``overlay``). Git
only reads: no checkout, no stash, no index, no ref, no worktree; the working tree is only
read. ``Workspace`` removes its trees when it
closes, at interpreter exit, and (while ``interruptible`` holds) when the run is stopped
with SIGTERM, which it turns into ``KeyboardInterrupt`` so that ``finally`` blocks run.

Git runs through ``gitdiff._git``, the package's one git runner. Paths are
repository-relative with forward slashes.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import signal
import stat
import tarfile
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import FrameType

from pytest_tdd.gitdiff import GitDiffError, _git, untracked_files

PREFIX = "pytest-tdd-verify-"
_BLOB_MODES = {"100644": 0o644, "100755": 0o755, "120000": 0}  # 0: a symbolic link


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _message(done: object) -> str:
    stderr = getattr(done, "stderr", b"") or b""
    return stderr.decode("utf-8", "replace").strip() or "git failed"


def changed_paths(root: Path, sha: str) -> dict[str, str]:
    """Every file that differs between commit ``sha`` and the working tree, with git's
    status letter (``A``, ``M``, ``D``, ``T``): committed, staged and unstaged changes, and
    untracked files that git does not ignore (``A``). Renames count as ``D`` and ``A``."""
    done = _git(
        root,
        *("diff", "--name-status", "-z", "--no-renames", "--no-ext-diff", "--no-textconv"),
        *(sha, "--"),
    )
    if done.returncode != 0:
        raise GitDiffError(f"git diff failed in {root} against {sha[:7]}: {_message(done)}")
    fields = done.stdout.split(b"\0")
    found: dict[str, str] = {}
    for status, name in zip(fields[0::2], fields[1::2], strict=False):
        if status and name:
            found[_text(name)] = _text(status)[:1]
    for untracked in untracked_files(root):
        found.setdefault(untracked, "A")
    return found


def working_files(root: Path) -> list[str]:
    """The files of the working tree that git tracks or would track (not ignored) and
    that exist on disk."""
    done = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if done.returncode != 0:
        raise GitDiffError(f"git ls-files failed in {root}: {_message(done)}")
    names = {_text(n) for n in done.stdout.split(b"\0") if n}
    return sorted(n for n in names if os.path.lexists(root / n))


def base_files(root: Path, sha: str) -> dict[str, tuple[str, str]]:
    """The files of commit ``sha``: path -> (mode, blob id); submodules are left out."""
    done = _git(root, "ls-tree", "-r", "-z", "--full-tree", sha)
    if done.returncode != 0:
        raise GitDiffError(f"git ls-tree failed in {root} for {sha[:7]}: {_message(done)}")
    found = {}
    for entry in done.stdout.split(b"\0"):
        if not entry:
            continue
        info, _, name = entry.partition(b"\t")
        mode, kind, oid = _text(info).split(" ")
        if kind == "blob" and mode in _BLOB_MODES:
            found[_text(name)] = (mode, oid)
    return found


def _inside(dest: Path, target: Path) -> bool:
    """Does ``target``'s folder lie inside ``dest``, following the links a tree may hold?"""
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.parent.resolve().is_relative_to(dest.resolve())


def _write(dest: Path, name: str, data: bytes, mode: str) -> None:
    target = dest / name
    if not _inside(dest, target):
        return
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    if mode == "120000":
        os.symlink(_text(data), target)
        return
    target.write_bytes(data)
    target.chmod(_BLOB_MODES[mode])


def _raw_blobs(root: Path, oids: list[str]) -> list[bytes]:
    """The contents of the blobs ``oids``, as stored (no filter), in one ``git cat-file``."""
    done = _git(root, "cat-file", "--batch", stdin="".join(f"{o}\n" for o in oids).encode())
    if done.returncode != 0:
        raise GitDiffError(f"git cat-file failed in {root}: {_message(done)}")
    out, at, found = done.stdout, 0, []
    for oid in oids:
        end = out.index(b"\n", at)
        header = out[at:end].split(b" ")
        if len(header) != 3:
            raise GitDiffError(f"git cat-file found no object {oid} in {root}")
        size = int(header[2])
        found.append(out[end + 1 : end + 1 + size])
        at = end + 1 + size + 1
    return found


def _substituted(root: Path, sha: str) -> set[str]:
    """The files of ``sha`` that hold a ``$Format:`` placeholder, which ``git archive``
    fills in where the file is marked ``export-subst``."""
    done = _git(root, "grep", "-l", "-z", "-F", "-e", "$Format:", sha, "--")
    if done.returncode not in (0, 1):  # 1: no file holds one
        raise GitDiffError(f"git grep failed in {root} for {sha[:7]}: {_message(done)}")
    prefix = f"{sha}:"
    return {_text(n).removeprefix(prefix) for n in done.stdout.split(b"\0") if n}


def extract(root: Path, sha: str, dest: Path, keep: Callable[[str], bool]) -> list[str]:
    """Write the files of commit ``sha`` for which ``keep`` is true into ``dest``, as a
    checkout of ``sha`` writes them; return their paths.

    ``git archive`` gives the files through the checkout filters (line ends, smudge), but
    leaves out those marked ``export-ignore`` and fills in ``$Format:`` placeholders in
    those marked ``export-subst``: such files are read from git objects as stored."""
    files = {name: info for name, info in base_files(root, sha).items() if keep(name)}
    if not files:
        return []
    done = _git(root, "archive", "--format=tar", sha)
    if done.returncode != 0:
        raise GitDiffError(f"git archive failed in {root} for {sha[:7]}: {_message(done)}")
    as_stored = _substituted(root, sha) & files.keys()
    written = set(as_stored)
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
        for member in tar:
            info = files.get(member.name)
            if info is None or member.name in written:
                continue
            if member.issym():
                data = member.linkname.encode("utf-8", "surrogateescape")
            elif member.isfile():
                stream = tar.extractfile(member)
                if stream is None:
                    continue
                data = stream.read()
            else:
                continue
            _write(dest, member.name, data, info[0])
            written.add(member.name)
    # Left out of the archive (export-ignore), or filled in by it (export-subst).
    rest = sorted(as_stored | (files.keys() - written))
    for name, data in zip(rest, _raw_blobs(root, [files[n][1] for n in rest]), strict=True):
        _write(dest, name, data, files[name][0])
    return sorted(files)


def overlay(root: Path, dest: Path, names: Iterable[str]) -> None:
    """Copy the working tree's files ``names`` into ``dest``, over what is there."""
    for name in names:
        source = root / name
        target = dest / name
        if not _inside(dest, target):
            continue
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        else:
            shutil.copyfile(source, target)
            target.chmod(stat.S_IMODE(source.stat().st_mode))


def remove(dest: Path, names: Iterable[str]) -> None:
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            (dest / name).unlink()


class Workspace:
    """A temporary directory outside the repository, removed when closed (a context
    manager), at interpreter exit at the latest."""

    def __init__(self, root: Path) -> None:
        path = Path(tempfile.mkdtemp(prefix=PREFIX)).resolve()
        if path.is_relative_to(root.resolve()):
            shutil.rmtree(path, ignore_errors=True)
            raise GitDiffError(
                f"the temporary directory {path.parent} is inside the repository {root}: "
                "set TMPDIR to a directory outside it"
            )
        self.path = path
        atexit.register(self.close)

    def tree(self, name: str) -> Path:
        tree = self.path / name
        tree.mkdir()
        return tree

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        atexit.unregister(self.close)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}")


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """While inside, SIGTERM raises ``KeyboardInterrupt`` (so that trees are removed and the
    processes started are stopped), if nobody else handles SIGTERM."""
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
