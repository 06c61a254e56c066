"""Which lines a change touched, from git: the first half of diff coverage.

The change is the working tree against the merge-base of ``HEAD`` and a base ref, taken
with a single ``git diff <merge-base>``: committed, staged and unstaged edits together, in
the line numbers of the files as they are on disk (the numbers coverage measured). Rename
detection is asked for explicitly, so the user's ``diff.renames`` cannot change the
result; untracked files that git does not ignore count as wholly new; deleted lines count
for nothing. Paths are repository-relative with forward slashes.

Git always runs from an argument list, never a shell, with a timeout and the repository as
its working directory, through ``_git``, the package's one git runner (``head`` gives the
commit checked out, for the evidence of a red run); every failure becomes a
``GitDiffError`` whose message names the cause and the fix. ``parse_unified_diff`` is pure
and holds all of the parsing.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Seconds one git command may take before it is stopped.
TIMEOUT_SECONDS = 60.0
# The command-line option that names a base; error messages point the user to it.
BASE_OPTION = "--tdd-base"

_HUNK = re.compile(r"@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_SHALLOW_FIX = (
    "fetch the full history: `git fetch --unshallow` (in GitHub Actions, "
    "`fetch-depth: 0` in actions/checkout)"
)
# Settings of the user's environment that would change what `git diff` prints.
_UNSET = ("GIT_EXTERNAL_DIFF", "GIT_DIFF_OPTS")


class GitDiffError(Exception):
    """Git could not say what changed; the message names the cause and the fix."""


@dataclass(frozen=True)
class Base:
    """What the change is measured against.

    ``ref`` is the ref as chosen (``origin/main``), ``sha`` the merge-base of ``HEAD`` and
    that ref, and ``how`` says why this ref was chosen, for the report.
    """

    ref: str
    sha: str
    how: str

    def describe(self) -> str:
        return f"{self.ref} ({self.how}), merge-base {self.sha[:7]}"


def _git(root: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in _UNSET}
    env["GIT_OPTIONAL_LOCKS"] = "0"  # a read-only look must not fight the user's git for locks
    try:
        return subprocess.run(
            ["git", *args],
            cwd=root,
            env=env,
            input=stdin,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        if not root.is_dir():
            raise GitDiffError(
                f"{root} does not exist: run diff coverage inside a git checkout"
            ) from None
        raise GitDiffError(
            "git was not found on PATH: diff coverage and --tdd-verify ask git what changed;"
            " install git (or put it on PATH), or run without them"
        ) from None
    except subprocess.TimeoutExpired:
        raise GitDiffError(
            f"git {args[0]} did not finish within {TIMEOUT_SECONDS:g} s in {root}: "
            "check that the repository is healthy (`git status` should be quick)"
        ) from None
    except OSError as error:  # root is a file, or not ours to enter
        raise GitDiffError(f"cannot run git in {root}: {error}") from None


def _text(data: bytes) -> str:
    """Git output as text: paths are bytes on POSIX, kept round-trippable."""
    return data.decode("utf-8", "surrogateescape")


def _first_line(data: bytes) -> str:
    return _text(data).strip("\n")


def _message(done: subprocess.CompletedProcess[bytes]) -> str:
    return done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"


def repository_root(path: Path) -> Path:
    """The top directory of the git working tree that holds ``path``."""
    where = path.parent if path.is_file() else path
    done = _git(where, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise GitDiffError(
            f"{path} is not inside a git repository ({_message(done)}): diff coverage "
            "compares the working tree with a base commit, so run it in a git checkout, "
            "or turn diff coverage off"
        )
    return Path(_first_line(done.stdout))


def head(root: Path) -> str | None:
    """The full sha of the commit checked out in the repository that holds the directory
    ``root``; None when there is none (not a repository, no commit yet, git missing or
    stuck). Never raises."""
    try:
        return _commit(root, "HEAD")
    except GitDiffError:
        return None


def _check_ref(ref: str) -> None:
    if not ref.strip() or ref.startswith("-") or any(ord(c) < 32 or ord(c) == 127 for c in ref):
        raise GitDiffError(
            f"invalid base ref {ref!r}: a ref is a branch, tag or commit, must not start "
            f"with '-' or contain control characters; pass e.g. {BASE_OPTION}=origin/main"
        )


def _commit(root: Path, ref: str) -> str | None:
    """The commit ``ref`` names, or None."""
    done = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return _first_line(done.stdout) if done.returncode == 0 else None


def _symbolic(root: Path, ref: str) -> str | None:
    """The short name a symbolic ref points to (``origin/HEAD`` → ``origin/main``)."""
    done = _git(root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", ref)
    name = _first_line(done.stdout)
    return name if done.returncode == 0 and name and name != ref else None


def _is_shallow(root: Path) -> bool:
    return _first_line(_git(root, "rev-parse", "--is-shallow-repository").stdout) == "true"


def _default_ref(root: Path) -> tuple[str, str]:
    """The default base: the upstream, else origin/HEAD, else main, else master."""
    for symbol, how in (("@{upstream}", "the branch's upstream"), ("origin/HEAD", "origin/HEAD")):
        name = _symbolic(root, symbol)
        if name is not None and _commit(root, name) is not None:
            return name, how
    for name, how in (
        ("main", "no upstream or origin/HEAD"),
        ("master", "no upstream, origin/HEAD or main"),
    ):
        if _commit(root, name) is not None:
            return name, how
    raise GitDiffError(
        "no base to compare with: the branch has no upstream and there is no origin/HEAD, "
        f"main or master; pass one with {BASE_OPTION}=REF (e.g. {BASE_OPTION}=origin/develop)"
    )


def resolve_base(root: Path, ref: str | None) -> Base:
    """The base of the change: ``ref`` if given, else the default, and its merge-base."""
    if _commit(root, "HEAD") is None:
        repository_root(root)  # not a repository at all: say that instead
        raise GitDiffError(
            f"the repository at {root} has no commits yet (HEAD names no commit): "
            "commit a first version to measure changes against"
        )
    if ref is None:
        ref, how = _default_ref(root)
    else:
        _check_ref(ref)
        how = f"given with {BASE_OPTION}"
    target = _commit(root, ref)
    if target is None:
        if _is_shallow(root):
            raise GitDiffError(
                f"base ref {ref!r} does not name a commit in this shallow clone, which "
                f"lacks older history: {_SHALLOW_FIX}, or fetch the ref"
            )
        raise GitDiffError(
            f"base ref {ref!r} does not name a commit in {root}: check the spelling "
            "(`git branch -a` lists branches), or fetch it first (e.g. `git fetch origin main`)"
        )
    done = _git(root, "merge-base", "HEAD", target)
    if done.returncode != 0:
        if _is_shallow(root):
            raise GitDiffError(
                f"no merge-base of HEAD and {ref} in this shallow clone: the history that "
                f"joins them was not fetched; {_SHALLOW_FIX}"
            )
        raise GitDiffError(
            f"HEAD and {ref} have no common history (no merge-base): pass a base that this "
            f"branch grew from with {BASE_OPTION}=REF"
        )
    return Base(ref, _first_line(done.stdout), how)


def _unquote(name: str) -> str:
    """Undo git's C-style quoting of an unusual path (``"a\\tb\\303\\251"``)."""
    raw = name[1:-1].encode("utf-8", "surrogateescape")
    out = bytearray()
    i = 0
    while i < len(raw):
        byte = raw[i]
        i += 1
        if byte != 0x5C or i >= len(raw):
            out.append(byte)
            continue
        code = chr(raw[i])
        if code in "01234567":
            out.append(int(raw[i : i + 3], 8) & 0xFF)
            i += 3
        else:
            out.append(_ESCAPES.get(code, raw[i]))
            i += 1
    return out.decode("utf-8", "surrogateescape")


def _target(header: str) -> str | None:
    """The new-side path of a ``+++`` header, None for a deleted file."""
    if header == "/dev/null":
        return None
    if header.startswith('"') and header.endswith('"'):
        header = _unquote(header)
    else:
        header = header.removesuffix("\t")  # git appends a tab to names with spaces
    return header.removeprefix("b/")


def parse_unified_diff(text: str) -> dict[str, set[int]]:
    """The added lines of each file in a unified diff, numbered as in the new file.

    A file whose hunks only delete maps to an empty set; a file with no hunk at all (a pure
    rename, a mode change, a binary file) and a deleted file are absent.
    """
    files: dict[str, set[int]] = {}
    current: set[int] = set()  # a deleted file's lines go to a set nobody keeps
    in_file = False
    old_left = new_left = line = 0
    for number, row in enumerate(text.split("\n"), start=1):
        if old_left > 0 or new_left > 0:
            tag = row[:1]
            if tag == "+":
                current.add(line)
                line, new_left = line + 1, new_left - 1
            elif tag == "-":
                old_left -= 1
            elif tag in (" ", ""):
                line, old_left, new_left = line + 1, old_left - 1, new_left - 1
            elif tag != "\\":
                raise GitDiffError(f"unexpected line {number} in a diff hunk: {row!r}")
        elif row.startswith("+++ "):
            path = _target(row[4:])
            current = set() if path is None else files.setdefault(path, set())
            in_file = True
        elif row.startswith("diff "):
            in_file = False
        elif (hunk := _HUNK.match(row)) is not None:
            if not in_file:
                raise GitDiffError(f"a hunk before any file header at line {number} of a diff")
            old_count, start, new_count = hunk.groups()
            old_left = 1 if old_count is None else int(old_count)
            new_left = 1 if new_count is None else int(new_count)
            line = int(start)
    return files


def _line_count(path: Path) -> int:
    """The number of lines of a file; 0 for a binary or unreadable one."""
    count, last = 0, b"\n"
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 16):
                if count == 0 and last == b"\n" and b"\0" in chunk[:8000]:
                    return 0
                count += chunk.count(b"\n")
                last = chunk[-1:]
    except OSError:
        return 0
    return count + (last != b"\n")


def untracked_files(root: Path) -> list[str]:
    """Files git does not track and does not ignore, repository-relative."""
    done = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    if done.returncode != 0:
        raise GitDiffError(f"git ls-files failed in {root}: {_message(done)}")
    names = _text(done.stdout).split("\0")
    return [name for name in names if name and not name.endswith("/")]


def changed_lines(root: Path, base: Base) -> dict[str, frozenset[int]]:
    """The changed lines of every file changed since ``base``, by repository-relative path.

    Includes untracked, non-ignored files (every line). A file whose only change is
    deletions maps to an empty set; deleted files are absent.
    """
    if _SHA.fullmatch(base.sha) is None:
        raise GitDiffError(f"{base.sha!r} is not a commit id: get the base from resolve_base()")
    done = _git(
        root,
        *("-c", "core.quotePath=false", "-c", "diff.suppressBlankEmpty=false"),
        *("diff", "--no-color", "--no-ext-diff", "--no-textconv", "--find-renames"),
        *("--unified=0", "--inter-hunk-context=0", "--diff-filter=AMRT"),
        *("--src-prefix=a/", "--dst-prefix=b/", base.sha, "--"),
    )
    if done.returncode != 0:
        raise GitDiffError(f"git diff failed in {root} against {base.describe()}: {_message(done)}")
    found = parse_unified_diff(_text(done.stdout))
    for name in untracked_files(root):
        found.setdefault(name, set(range(1, _line_count(root / name) + 1)))
    return {name: frozenset(found[name]) for name in sorted(found)}
