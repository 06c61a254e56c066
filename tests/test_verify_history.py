"""``--tdd-verify`` and the tests a change rewrites or deletes: their old versions run
against the new code, in a second temporary tree (the working tree's code, the base's
test code).

Verify starts pytest processes of its own, so every run here is a subprocess run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from helpers import GitRepo

IGNORED = ".pytest_cache/\n__pycache__/\n*.json\nstdout\nstderr\nrunpytest-*\n"
CALC = """\
import warnings


def add(a, b):
    return a + b


def plus(a, b):
    return a + b


def total(prices):
    return sum(prices)


def clamp(x, low, high):
    return max(low, min(x, high))
"""
TEST_CALC = """\
import calc


def test_add():
    assert calc.add(1, 2) == 3


def test_plus():
    assert calc.plus(1, 2) == 3


def test_total():
    assert calc.total([1, 2]) == 3
"""
TEST_CLAMP = "import calc\n\n\ndef test_clamp():\n    assert calc.clamp(-5, 0, 10) == 0\n"


@pytest.fixture
def git_repo_path(tdd: pytest.Pytester) -> Path:
    return tdd.path


@pytest.fixture(autouse=True)
def _no_github(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


@pytest.fixture
def repo(tdd: pytest.Pytester, git_repo: GitRepo) -> GitRepo:
    """``calc.py`` with its tests committed on main; on branch feature, nothing changed."""
    tdd.makeini("[pytest]\nconsole_output_style = classic\nfilterwarnings = error\n")
    git_repo.write(".gitignore", IGNORED)
    git_repo.write("calc.py", CALC)
    git_repo.write("test_calc.py", TEST_CALC)
    git_repo.write("test_clamp.py", TEST_CLAMP)
    git_repo.commit("base")
    git_repo.branch("feature")
    return git_repo


def edit(repo: GitRepo, name: str, replacements: Mapping[str, str]) -> None:
    text = (repo.path / name).read_text()
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    repo.write(name, text)


def verify(tdd: pytest.Pytester) -> tuple[pytest.RunResult, dict[str, Any]]:
    result = tdd.runpytest_subprocess("--tdd-verify", "--tdd-base=main", "--tdd-json=r.json", "-v")
    path = tdd.path / "r.json"
    assert path.is_file(), result.stdout.str() + result.stderr.str()
    data: dict[str, Any] = json.loads(path.read_text())
    return result, data


def verdicts(section: Mapping[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {n: (e["verdict"], e["kind"]) for n, e in section.items()}


def test_a_test_rewritten_without_changing_what_it_checks_is_listed_as_rewritten(
    tdd: pytest.Pytester, repo: GitRepo
) -> None:
    edit(
        repo,
        "test_calc.py",
        {"assert calc.add(1, 2) == 3": "total = calc.add(1, 2)\n    assert total == 3"},
    )
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data["verify"]["tests"]) == {"test_calc.py::test_add": ("rewritten", None)}
    assert data["violations"] == []
    result.stdout.fnmatch_lines(
        ["    rewritten test_calc.py::test_add: its old version passes against the new code*"]
    )


def test_a_test_rewritten_because_the_api_it_used_was_removed_is_rewritten(
    tdd: pytest.Pytester, repo: GitRepo
) -> None:
    edit(repo, "calc.py", {"def plus(a, b):\n    return a + b\n": ""})
    edit(repo, "test_calc.py", {"assert calc.plus(1, 2) == 3": "assert calc.add(2, 1) == 3"})
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data["verify"]["tests"]) == {
        "test_calc.py::test_plus": ("rewritten", "missing-api")
    }
    assert data["verify"]["tests"]["test_calc.py::test_plus"]["exception"] == "AttributeError"


def test_a_test_rewritten_because_the_api_it_used_is_deprecated_is_rewritten(
    tdd: pytest.Pytester, repo: GitRepo
) -> None:
    deprecated = "def plus(a, b):\n    warnings.warn('use add', DeprecationWarning)\n"
    edit(repo, "calc.py", {"def plus(a, b):\n": deprecated})
    edit(repo, "test_calc.py", {"assert calc.plus(1, 2) == 3": "assert calc.add(2, 1) == 3"})
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data["verify"]["tests"]) == {"test_calc.py::test_plus": ("rewritten", "error")}
    assert data["verify"]["tests"]["test_calc.py::test_plus"]["exception"] == "DeprecationWarning"


def test_a_test_loosened_after_the_code_broke_it_is_edited_to_pass(
    tdd: pytest.Pytester, repo: GitRepo
) -> None:
    edit(repo, "calc.py", {"return sum(prices)": "return sum(prices) + 1"})
    edit(repo, "test_calc.py", {"assert calc.total([1, 2]) == 3": "assert calc.total([1, 2]) >= 3"})
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert verdicts(data["verify"]["tests"]) == {
        "test_calc.py::test_total": ("edited-to-pass", "assertion")
    }
    assert [v["kind"] for v in data["violations"]] == ["edited-to-pass"]
    result.stdout.fnmatch_lines(
        [
            "EDITED-TO-PASS test_calc.py::test_total: its new version passes against the base "
            "revision's code, and its old version fails against the new code: AssertionError*",
            "    fix: restore what the old version of test_calc.py::test_total checked*",
        ]
    )


def test_a_deleted_test_that_fails_against_the_new_code_is_removed_failing(
    tdd: pytest.Pytester, repo: GitRepo
) -> None:
    edit(repo, "calc.py", {"return sum(prices)": "return sum(prices) + 1"})
    edit(repo, "test_calc.py", {"\n\ndef test_total():\n    assert calc.total([1, 2]) == 3\n": ""})
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert verdicts(data["verify"]["removed"]) == {
        "test_calc.py::test_total": ("removed-failing", "assertion")
    }
    assert [v["kind"] for v in data["violations"]] == ["removed-failing"]
    result.stdout.fnmatch_lines(
        [
            "REMOVED-FAILING test_calc.py::test_total: deleted, and it fails against the new "
            "code: AssertionError*",
            "    fix: restore test_calc.py::test_total and make the code pass it*",
        ]
    )


def test_a_feature_deleted_with_its_tests_is_removed_with_code(
    tdd: pytest.Pytester, repo: GitRepo
) -> None:
    edit(repo, "calc.py", {"\n\ndef clamp(x, low, high):\n    return max(low, min(x, high))\n": ""})
    (repo.path / "test_clamp.py").unlink()
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert data["verify"]["tests"] == {}
    assert verdicts(data["verify"]["removed"]) == {
        "test_clamp.py::test_clamp": ("removed-with-code", "missing-api")
    }
    result.stdout.fnmatch_lines(
        ["    removed (removed-with-code) test_clamp.py::test_clamp: the code it tested is gone*"]
    )


def test_a_deleted_test_that_still_passes_is_listed_as_removed(
    tdd: pytest.Pytester, repo: GitRepo
) -> None:
    edit(repo, "test_calc.py", {"\n\ndef test_add():\n    assert calc.add(1, 2) == 3\n": ""})
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data["verify"]["removed"]) == {"test_calc.py::test_add": ("passes", None)}


HELPER = "def check_total(value):\n    assert value == 3\n"
TEST_WITH_HELPER = """\
import calc
from helpers import check_total


def test_total():
    check_total(calc.total([1, 2]))
"""


def test_a_test_whose_helper_was_loosened_after_the_code_broke_it_is_edited_to_pass(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    git_repo.write(".gitignore", IGNORED)
    git_repo.write("calc.py", CALC)
    git_repo.write("tests/helpers.py", HELPER)
    git_repo.write("tests/test_total.py", TEST_WITH_HELPER)
    git_repo.commit("base")
    git_repo.branch("feature")
    edit(git_repo, "calc.py", {"return sum(prices)": "return sum(prices) + 1"})
    edit(git_repo, "tests/helpers.py", {"assert value == 3": "assert value >= 3"})
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert verdicts(data["verify"]["tests"]) == {
        "tests/test_total.py::test_total": ("edited-to-pass", "assertion")
    }


def test_a_changed_test_whose_old_version_is_skipped_on_the_new_code_is_not_run(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    tdd.makeini("[pytest]\nconsole_output_style = classic\n")
    git_repo.write(".gitignore", IGNORED)
    git_repo.write("calc.py", "MODE = 'old'\n\n\ndef add(a, b):\n    return a + b\n")
    old = "import pytest\n\nimport calc\n\n\ndef test_add():\n"
    old += "    if calc.MODE != 'old':\n        pytest.skip('old mode only')\n"
    old += "    assert calc.add(1, 2) == 3\n"
    git_repo.write("test_calc.py", old)
    git_repo.commit("base")
    git_repo.branch("feature")
    git_repo.write("calc.py", "MODE = 'new'\n\n\ndef add(a, b):\n    return a + b\n")
    git_repo.write(
        "test_calc.py", "import calc\n\n\ndef test_add():\n    assert calc.add(2, 1) == 3\n"
    )
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data["verify"]["tests"]) == {"test_calc.py::test_add": ("not-run", None)}
    message = data["verify"]["tests"]["test_calc.py::test_add"]["message"]
    assert "its old version skipped against the new code" in message
    assert data["violations"] == []
