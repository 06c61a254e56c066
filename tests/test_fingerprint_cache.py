"""Fingerprints are cached between runs, keyed on each test file's content."""

from __future__ import annotations

import ast
import gc
from pathlib import Path

import pytest

from pytest_tdd import closure, identity, observe

from helpers import CALC_ADD, CALC_EMPTY, TEST_ADD

SOURCE = "def test_a():\n    assert f() == 1\n\n\ndef test_b():\n    assert f() == 2\n"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files that were parsed and fingerprinted (their first line)."""
    seen: list[str] = []
    real = identity.index_tree

    def counting(tree: ast.Module, *, scheme: int = identity.SCHEME) -> identity.SourceIndex:
        seen.append(ast.unparse(tree).partition("\n")[0])
        return real(tree, scheme=scheme)

    monkeypatch.setattr(identity, "index_tree", counting)
    return seen


def test_a_file_is_parsed_once_per_run(tmp_path: Path, parses: list[str]) -> None:
    path = tmp_path / "test_a.py"
    path.write_text(SOURCE)
    cache = observe.SourceCache()
    first = cache.index(str(path))
    assert cache.index(str(path)) is first
    assert len(parses) == 1


def test_an_unchanged_file_is_not_parsed_again_in_the_next_run(
    tmp_path: Path, parses: list[str]
) -> None:
    path = tmp_path / "test_a.py"
    path.write_text(SOURCE)
    first_run = observe.SourceCache()
    expected = first_run.index(str(path))
    second_run = observe.SourceCache(first_run.stored())
    assert second_run.index(str(path)) == expected
    assert len(parses) == 1
    assert not second_run.updated


def test_a_changed_file_is_parsed_again(tmp_path: Path, parses: list[str]) -> None:
    path = tmp_path / "test_a.py"
    path.write_text(SOURCE)
    first_run = observe.SourceCache()
    first_run.index(str(path))
    path.write_text(SOURCE.replace("== 2", "== 3"))
    second_run = observe.SourceCache(first_run.stored())
    index = second_run.index(str(path))
    assert len(parses) == 2
    assert second_run.updated
    assert index is not None
    assert index.at_line(5) == identity.index_source(path.read_text()).at_line(5)


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "junk",
        [1, 2],
        {"x": 1},
        {"/a.py": {"hash": 1}},
        {"/a.py": {"hash": "h", "lines": {"x": 1}}},
    ],
)
def test_a_damaged_cache_is_ignored(tmp_path: Path, stored: object) -> None:
    path = tmp_path / "test_a.py"
    path.write_text(SOURCE)
    index = observe.SourceCache(stored).index(str(path))
    assert index == identity.index_source(SOURCE)


def test_the_cache_forgets_files_that_no_longer_exist(tmp_path: Path) -> None:
    path = tmp_path / "test_a.py"
    path.write_text(SOURCE)
    first_run = observe.SourceCache()
    first_run.index(str(path))
    path.unlink()
    assert observe.SourceCache(first_run.stored()).stored() == {}


def test_a_phase_run_stores_fingerprints_in_pytests_cache(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 0\n")
    tdd.runpytest("--tdd-phase=red")
    config = tdd.parseconfigure()
    assert config.cache is not None
    stored = config.cache.get(observe.CACHE_KEY, None)
    assert list(stored) == [str(tdd.path / "test_x.py")]


def test_a_corrupt_fingerprint_cache_does_not_stop_the_run(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    tdd.runpytest("--tdd-phase=red")
    cache_file = tdd.path / ".pytest_cache" / "v" / observe.CACHE_KEY
    cache_file.write_text('{"half": ')
    tdd.makepyfile(calc=CALC_ADD)
    assert tdd.runpytest("--tdd-phase=green").ret == pytest.ExitCode.OK


def test_under_xdist_the_controller_stores_what_the_workers_fingerprinted(
    tdd: pytest.Pytester,
) -> None:
    pytest.importorskip("xdist")
    tdd.makepyfile(test_x="def test_x():\n    assert 0\n", test_y="def test_y():\n    assert 0\n")
    tdd.runpytest("--tdd-phase=red", "-n", "2")
    config = tdd.parseconfigure()
    assert config.cache is not None
    stored = config.cache.get(observe.CACHE_KEY, None)
    assert sorted(stored) == [str(tdd.path / "test_x.py"), str(tdd.path / "test_y.py")]


def digests(index: closure.ModuleIndex | None) -> dict[str, str | None]:
    """What a closure index gives for each name a module defines, and its lines."""
    assert index is not None
    found = {name: index.digest((name,)) for name in sorted(index.names)}
    assert found
    found["lines"] = "|".join(index.lines)
    return found


def test_a_file_fingerprinted_is_not_parsed_again_for_the_test_code_closure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "test_a.py"
    path.write_text(SOURCE)
    parsed: list[str] = []
    real = closure.index_source

    def counting(source: str) -> closure.ModuleIndex:
        parsed.append(source)
        return real(source)

    monkeypatch.setattr(closure, "index_source", counting)
    sources = observe.SourceCache()
    sources.index(str(path))
    shared = closure.ClosureCache(sources.modules).index(str(path))
    assert parsed == []
    assert digests(shared) == digests(closure.ClosureCache().index(str(path)))


@pytest.mark.parametrize("line_end", ["\r\n", "\r"])
def test_a_file_with_other_line_ends_gives_the_closure_the_index_of_its_own_parse(
    tmp_path: Path, line_end: str
) -> None:
    path = tmp_path / "test_a.py"
    path.write_bytes(SOURCE.replace("\n", line_end).encode())
    sources = observe.SourceCache()
    sources.index(str(path))
    shared = closure.ClosureCache(sources.modules).index(str(path))
    assert digests(shared) == digests(closure.ClosureCache().index(str(path)))


@pytest.mark.parametrize("enabled", [True, False])
def test_pausing_the_garbage_collector_restores_the_state_it_found(enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()
    try:
        with observe.gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_without_a_cache_to_write_nothing_is_kept_for_it(tmp_path: Path) -> None:
    path = tmp_path / "test_a.py"
    path.write_text(SOURCE)
    sources = observe.SourceCache(keep=False)
    assert sources.index(str(path)) is not None
    assert sources.stored() == {}
    assert not sources.updated


def test_released_indexes_are_computed_again_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "test_a.py"
    path.write_text(SOURCE)
    sources = observe.SourceCache()
    first = sources.index(str(path))
    sources.release()
    again = sources.index(str(path))
    assert again is not first
    assert again is not None
    assert first is not None
    assert again.by_line == first.by_line


def test_a_line_that_trusted_fingerprints_miss_is_fingerprinted_from_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "test_a.py"
    path.write_text("def test_a():\n    assert 1\n\n\ndef test_b():\n    assert 2\n")
    real = identity.index_source(path.read_text(), scheme=identity.SCHEME).by_line
    sources = observe.SourceCache()
    sources.trust(str(path), "content", {1: real[1]})  # what the file line vouched for
    assert sources.fingerprint(str(path), 1) == real[1]
    assert sources.fingerprint(str(path), 5) == real[5]  # a test the guess did not cover
