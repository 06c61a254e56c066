"""File lines: what a test file's bytes give, vouched for in the evidence file.

A fresh checkout (a CI job, no ``.pytest_cache``) would parse and fingerprint every test
file. The evidence already holds each test's fingerprint; what it cannot tell alone is
whether the file still gives it. A file line does: its digest binds the file's bytes and
the fingerprint of each test function in it, by line, as a run computed them
(``digest``). A later run guesses the fingerprints from the records (``guess``: the one
fingerprint the records of a line's tests hold) and takes them only if the digest of its
guess is a digest the file line holds. The fingerprints are a pure function of the bytes,
so a matching digest proves the guess right; any change to the file, to a test's records
or to the scheme gives another digest, and the file is parsed as before. A wrong or stale
file line can cost time, never a verdict.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Set

from pytest_tdd import identity


def content_hash(data: bytes) -> str:
    """What a file's bytes are known by (the key of pytest's cache of fingerprints too)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def digest(content: str, fingerprints: Mapping[int, str], scheme: int = identity.SCHEME) -> str:
    """The digest of a file's content (``content_hash``) and the fingerprints of its test
    functions by line."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"pytest-tdd file line, scheme {scheme}\n{content}".encode())
    h.update("".join(f"\n{line} {fp}" for line, fp in sorted(fingerprints.items())).encode())
    return h.hexdigest()


def guess(found: Mapping[int, Set[str]]) -> dict[int, str] | None:
    """Each line's fingerprint as the evidence has it: the fingerprints held by the records
    of the tests defined at that line. None unless every line holds exactly one."""
    if not found or any(len(fingerprints) != 1 for fingerprints in found.values()):
        return None
    return {line: next(iter(fingerprints)) for line, fingerprints in found.items()}
