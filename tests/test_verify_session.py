"""``--tdd-verify``'s glue in this process: a run that has nothing to prove starts no
process (so pytester runs it in-process), and a verification's session (``verifysession``)
called directly, which starts the pytest processes in its trees itself."""

from __future__ import annotations

import json
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from pytest_tdd import basetree, identity
from pytest_tdd.phases import Result
from pytest_tdd.verifyjudge import RunTest
from pytest_tdd.verifyrun import Layout, VerifyError
from pytest_tdd.verifysession import Context, Session

from helpers import GitRepo

ACCEPT = frozenset({"assertion", "missing-api", "error"})
CALC = "def add(a, b):\n    return a + b\n\n\ndef clamp(x, low, high):\n    return x\n"
TEST_BASE = """\
import calc


def test_add():
    assert calc.add(1, 2) == 3


def test_gone():
    assert calc.add(0, 0) == 0
"""
TEST_HERE = """\
import calc


def test_add():
    total = calc.add(1, 2)
    assert total == 3


def test_clamp():
    assert calc.clamp(-5, 0, 10) == 0


def test_later():
    assert calc.add(2, 2) == 4
"""


@pytest.fixture
def git_repo_path(tdd: pytest.Pytester) -> Path:
    return tdd.path


def test_a_run_with_no_test_changed_proves_nothing_and_writes_its_reports(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    git_repo.write(".gitignore", "*.json\n*.md\n")
    git_repo.write("calc.py", CALC)
    git_repo.write("test_calc.py", TEST_BASE)
    git_repo.commit("base")
    git_repo.write("calc.py", CALC + "\n# a comment\n")
    result = tdd.runpytest(
        "--tdd-verify", "--tdd-base=main", "--tdd-json=r.json", "--tdd-diff-markdown=v.md"
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["tdd: verify: no new or changed tests since base main*"])
    assert json.loads((tdd.path / "r.json").read_text())["verify"]["tests"] == {}
    assert (tdd.path / "v.md").read_text().endswith("\n\nNo new or changed tests.\n")


def test_a_markdown_report_that_cannot_be_written_fails_the_run(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    git_repo.write("test_calc.py", TEST_BASE.replace("import calc", "import calc  # noqa"))
    git_repo.write("calc.py", CALC)
    git_repo.commit("base")
    (tdd.path / "v.md").mkdir()
    result = tdd.runpytest("--tdd-verify", "--tdd-base=main", "--tdd-diff-markdown=v.md")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["tdd: ERROR cannot write the Markdown report *v.md*"])


def _tests(source: str, results: dict[str, Result]) -> dict[str, RunTest]:
    found = identity.find_tests_in_source(source, ["test"], ["Test"], scheme=identity.SCHEME)
    return {
        f"test_calc.py::{names[-1]}": RunTest(
            fp, None, "test_calc.py", "test_calc.py", 1, results.get(names[-1], "passed")
        )
        for names, fp in found
    }


def _context(repo: GitRepo, sha: str, tests: dict[str, RunTest]) -> Context:
    return Context(
        repo.path,
        sha,
        Layout(rootdir="", invocation="", inifile=None),
        tests,
        basetree.changed_paths(repo.path, sha),
        60.0,
        ACCEPT,
        lambda module: True,
    )


def test_a_session_proves_red_lists_rewritten_and_removed_tests_and_skips_what_did_not_run(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("calc.py", CALC)
    git_repo.write("test_calc.py", TEST_BASE)
    sha = git_repo.commit("base")
    git_repo.write("test_calc.py", TEST_HERE)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    session = Session(
        _context(git_repo, sha, _tests(TEST_HERE, {"test_later": "skipped"})), workspace
    )
    tests, removed = session.run(["test_calc.py"], {"test_calc.py"})
    assert {n: (e.verdict, e.kind) for n, e in tests.items()} == {
        "test_calc.py::test_add": ("rewritten", None),
        "test_calc.py::test_clamp": ("red", "assertion"),
        "test_calc.py::test_later": ("not-run", None),
    }
    assert {n: e.verdict for n, e in removed.items()} == {"test_calc.py::test_gone": "passes"}
    assert (workspace / "base" / "test_calc.py").read_text() == TEST_HERE
    assert (workspace / "new" / "test_calc.py").read_text() == TEST_BASE


def test_a_session_refuses_project_code_imported_from_the_working_tree(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("lib/helper_verify_xyz.py", "VALUE = 1\n")
    lib = str(git_repo.path / "lib")
    conftest = f"import sys\nsys.path.insert(0, {lib!r})\nimport helper_verify_xyz\n"
    git_repo.write("conftest.py", conftest)
    git_repo.write("test_calc.py", "def test_one():\n    assert 1\n")
    sha = git_repo.commit("base")
    git_repo.write("test_calc.py", "def test_two():\n    assert 2\n")
    tests = _tests("def test_two():\n    assert 2\n", {})
    session = Session(_context(git_repo, sha, tests), tmp_path)
    with pytest.raises(VerifyError, match="not all imported from the base tree: helper_verify_xyz"):
        session.run(["test_calc.py"], {"test_calc.py"})


def test_a_session_that_hears_nothing_from_pytest_says_what_it_printed(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("conftest.py", "raise SystemExit('no tests today')\n")
    git_repo.write("test_calc.py", "def test_one():\n    assert 1\n")
    sha = git_repo.commit("base")
    session = Session(
        _context(git_repo, sha, _tests("def test_one():\n    assert 1\n", {})), tmp_path
    )
    with pytest.raises(VerifyError, match=r"(?s)reported nothing; its output:.*no tests today"):
        session.run(["test_calc.py"], {"test_calc.py"})


def test_a_project_with_compiled_extension_modules_is_refused(git_repo: GitRepo) -> None:
    git_repo.write("pkg/__init__.py", "")
    git_repo.write(f"pkg/_speed{EXTENSION_SUFFIXES[0]}", "")
    sha = git_repo.commit("base")
    with pytest.raises(VerifyError, match="compiled extension modules"):
        Session(_context(git_repo, sha, {}), git_repo.path)
