"""``--tdd-verify``: its options, the base it resolves, and a change without new tests.

Verify starts pytest processes of its own, so every run here is a subprocess run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import GitRepo

CALC = "def add(a, b):\n    return a + b\n"
TEST_CALC = "import calc\n\n\ndef test_add():\n    assert calc.add(1, 2) == 3\n"
IGNORED = ".pytest_cache/\n__pycache__/\n*.json\nstdout\nstderr\n"


@pytest.fixture
def git_repo_path(tdd: pytest.Pytester) -> Path:
    return tdd.path


@pytest.fixture
def repo(tdd: pytest.Pytester, git_repo: GitRepo) -> pytest.Pytester:
    """A flat project committed on ``main``, on a branch ``feature`` with nothing changed."""
    git_repo.write(".gitignore", IGNORED)
    git_repo.write("calc.py", CALC)
    git_repo.write("test_calc.py", TEST_CALC)
    git_repo.commit("base")
    git_repo.branch("feature")
    return tdd


def verify_json(tdd: pytest.Pytester) -> dict[str, Any]:
    path = tdd.path / "r.json"
    assert path.is_file()
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_help_lists_the_verify_option_and_its_ini_keys(tdd: pytest.Pytester) -> None:
    result = tdd.runpytest("--help")
    result.stdout.fnmatch_lines(["*--tdd-verify *"])
    result.stdout.fnmatch_lines(["*tdd_verify (bool):*", "*tdd_verify_timeout (string):*"])


def test_a_base_that_does_not_resolve_stops_the_run_before_any_test(
    repo: pytest.Pytester,
) -> None:
    result = repo.runpytest_subprocess("--tdd-verify", "--tdd-base=mian")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: verify: base ref 'mian' does not name a commit*"])
    result.stdout.no_fnmatch_line("*passed*")


def test_the_base_can_come_from_the_ini_key_tdd_base(repo: pytest.Pytester) -> None:
    repo.makeini("[pytest]\ntdd_base = mian\n")
    result = repo.runpytest_subprocess("--tdd-verify")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: verify: base ref 'mian' does not name a commit*"])


def test_outside_a_git_repository_verify_stops_with_a_clear_error(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tdd.path.parent))
    tdd.makepyfile(calc=CALC, test_calc=TEST_CALC)
    result = tdd.runpytest_subprocess("--tdd-verify")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: verify: *is not inside a git repository*"])


def test_a_timeout_that_is_not_a_positive_number_is_a_usage_error(repo: pytest.Pytester) -> None:
    repo.makeini("[pytest]\ntdd_verify_timeout = 0\n")
    result = repo.runpytest_subprocess("--tdd-verify")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: ini tdd_verify_timeout: '0' is not a number of seconds above 0"]
    )


def test_a_change_without_new_or_changed_tests_says_so_in_one_line_and_holds(
    repo: pytest.Pytester,
) -> None:
    (repo.path / "calc.py").write_text(CALC + "\n\ndef sub(a, b):\n    return a - b\n")
    result = repo.runpytest_subprocess("--tdd-verify", "--tdd-json=r.json")
    assert result.ret == pytest.ExitCode.OK
    lines = [line for line in result.stdout.lines if line.startswith("tdd: verify")]
    assert len(lines) == 1
    assert lines[0].startswith(
        "tdd: verify: no new or changed tests since base main (no upstream or origin/HEAD), "
        "merge-base "
    )
    section = verify_json(repo)["verify"]
    assert section["tests"] == {}
    assert section["removed"] == {}
    assert len(section["base"]) == 40


def test_the_ini_key_tdd_verify_turns_it_on(repo: pytest.Pytester) -> None:
    repo.makeini("[pytest]\ntdd_verify = true\n")
    result = repo.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["tdd: verify: no new or changed tests since base main*"])
