"""Unit tests for the file lines' digests: what a test file's bytes give, vouched for."""

from __future__ import annotations

from pytest_tdd import identity, memo

SOURCE = b"def test_a():\n    assert 1\n\n\ndef test_b():\n    assert 2\n"


def real_pairs(data: bytes) -> dict[int, str]:
    index = identity.index_source(data.decode(), scheme=identity.SCHEME)
    return {line: fp for line, fp in index.by_line.items() if line in (1, 5)}


def test_the_digest_binds_the_bytes_the_lines_and_their_fingerprints() -> None:
    pairs = real_pairs(SOURCE)
    content = memo.content_hash(SOURCE)
    digest = memo.digest(content, pairs)
    assert digest == memo.digest(content, dict(reversed(pairs.items())))
    assert digest != memo.digest(memo.content_hash(SOURCE + b"\n"), pairs)
    assert digest != memo.digest(content, {**pairs, 5: "0" * 16})
    assert digest != memo.digest(content, {1: pairs[1]})
    assert len(digest) == 32


def test_a_guess_takes_the_one_fingerprint_each_line_has_in_the_evidence() -> None:
    assert memo.guess({1: {"a" * 16}, 5: {"b" * 16}}) == {1: "a" * 16, 5: "b" * 16}
    assert memo.guess({1: {"a" * 16}, 5: set()}) is None  # a test without evidence
    assert memo.guess({1: {"a" * 16, "c" * 16}}) is None  # old and new code's records
    assert memo.guess({}) is None
