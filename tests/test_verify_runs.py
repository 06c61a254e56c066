"""``--tdd-verify`` end to end: real git repositories, a change on a branch, and the
change's tests run against the base revision's code in a temporary tree.

Verify starts pytest processes of its own, so every run here is a subprocess run.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from helpers import INNER_ADDOPTS, GitRepo

IGNORED = ".pytest_cache/\n__pycache__/\n*.json\n*.md\n.coverage*\nstdout\nstderr\nrunpytest-*\n"
CALC = """\
def add(a, b):
    return a + b


def clamp(x, low, high):
    return x
"""
CALC_CLAMPED = """\
def add(a, b):
    return a + b


def clamp(x, low, high):
    return max(low, min(x, high))


def sub(a, b):
    return a - b
"""
TEST_ADD = "import calc\n\n\ndef test_add():\n    assert calc.add(1, 2) == 3\n"


@pytest.fixture
def git_repo_path(tdd: pytest.Pytester) -> Path:
    return tdd.path


@pytest.fixture(autouse=True)
def _no_github(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


def change(repo: GitRepo, base: Mapping[str, str], feature: Mapping[str, str | None]) -> None:
    """Commit ``base`` on main, then write ``feature`` (None deletes) on branch feature."""
    repo.write(".gitignore", IGNORED)
    for name, text in base.items():
        repo.write(name, text)
    repo.commit("base")
    repo.branch("feature")
    for name, content in feature.items():
        if content is None:
            (repo.path / name).unlink()
        else:
            repo.write(name, content)


def verify(tdd: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    result = tdd.runpytest_subprocess("--tdd-verify", "--tdd-base=main", "--tdd-json=r.json", *args)
    path = tdd.path / "r.json"
    assert path.is_file(), result.stdout.str() + result.stderr.str()
    data: dict[str, Any] = json.loads(path.read_text())
    return result, data


def verdicts(data: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {n: (e["verdict"], e["kind"]) for n, e in data["verify"]["tests"].items()}


def test_a_new_test_failing_on_an_assertion_against_the_base_is_proven_red(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    test = TEST_ADD + "\n\ndef test_clamp():\n    assert calc.clamp(-5, 0, 10) == 0\n"
    change(
        git_repo,
        {"calc.py": CALC, "test_calc.py": TEST_ADD},
        {"calc.py": CALC_CLAMPED, "test_calc.py": test},
    )
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert list(data["verify"]["tests"]) == ["test_calc.py::test_clamp"]
    assert data["verify"]["tests"]["test_calc.py::test_clamp"] == {
        "verdict": "red",
        "kind": "assertion",
        "exception": "AssertionError",
        "message": "assert -5 == 0",
    }
    result.stdout.fnmatch_lines(
        [
            "tdd: verify holds: 1 test of the change fails against the base's code for the "
            "right reason (assertion 1); base main (given with --tdd-base), merge-base *"
        ]
    )


def test_a_new_test_of_a_missing_attribute_is_proven_red_as_missing_api(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    test = TEST_ADD + "\n\ndef test_sub():\n    assert calc.sub(3, 1) == 2\n"
    change(
        git_repo,
        {"calc.py": CALC, "test_calc.py": TEST_ADD},
        {"calc.py": CALC_CLAMPED, "test_calc.py": test},
    )
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data) == {"test_calc.py::test_sub": ("red", "missing-api")}
    assert data["verify"]["tests"]["test_calc.py::test_sub"]["exception"] == "AttributeError"


def test_a_new_test_module_that_cannot_be_imported_on_the_base_is_proven_red(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    module = (
        "from calc import sub\n\n\ndef test_sub():\n    assert sub(3, 1) == 2\n\n\n"
        "def test_sub_negative():\n    assert sub(1, 3) == -2\n"
    )
    change(
        git_repo,
        {"calc.py": CALC, "test_calc.py": TEST_ADD},
        {"calc.py": CALC_CLAMPED, "test_sub.py": module},
    )
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data) == {
        "test_sub.py::test_sub": ("red", "missing-api"),
        "test_sub.py::test_sub_negative": ("red", "missing-api"),
    }
    assert data["verify"]["tests"]["test_sub.py::test_sub"]["exception"] == "ImportError"


def test_a_new_test_that_passes_on_the_base_is_a_violation_with_its_fix(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    test = TEST_ADD + "\n\ndef test_add_zero():\n    assert calc.add(0, 0) == 0\n"
    change(git_repo, {"calc.py": CALC, "test_calc.py": TEST_ADD}, {"test_calc.py": test})
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=2)
    assert verdicts(data) == {"test_calc.py::test_add_zero": ("passed", None)}
    assert [v["kind"] for v in data["violations"]] == ["passed-on-base"]
    assert data["ok"] is False
    result.stdout.fnmatch_lines(
        [
            "PASSED-ON-BASE test_calc.py::test_add_zero: passes against the base revision's "
            "code: it does not prove this change",
            "    fix: make it test what this change adds*",
            "tdd: verify fails: 1 violation (passed-on-base 1); base main*",
        ]
    )


def test_a_typo_only_reached_on_the_base_is_wrong_reason_on_base(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    base = CALC + "\n\ndef parse(text):\n    return None\n"
    feature = CALC + "\n\ndef parse(text):\n    return int(text)\n"
    test = TEST_ADD + (
        "\n\ndef test_parse():\n    result = calc.parse('1')\n    if result is None:\n"
        "        assert reslt == 1\n    assert result == 1\n"
    )
    change(
        git_repo,
        {"calc.py": base, "test_calc.py": TEST_ADD},
        {"calc.py": feature, "test_calc.py": test},
    )
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert verdicts(data) == {"test_calc.py::test_parse": ("wrong-reason", None)}
    entry = data["verify"]["tests"]["test_calc.py::test_parse"]
    assert (entry["verdict"], entry["kind"], entry["exception"]) == (
        "wrong-reason",
        None,
        "NameError",
    )
    assert [v["kind"] for v in data["violations"]] == ["wrong-reason-on-base"]
    result.stdout.fnmatch_lines(
        [
            "WRONG-REASON-ON-BASE test_calc.py::test_parse: against the base revision's code it "
            "failed for the wrong reason, raised in the test's own code*NameError*",
            "    fix: make it fail against the base revision's code on an assertion*",
        ]
    )


HANG = "import time\n\n\ndef wait():\n    while True:\n        time.sleep(0.05)\n"
TEST_WAIT = "import calc\n\n\ndef test_wait():\n    assert calc.wait() == 1\n"


def test_a_test_that_hangs_on_the_base_is_stopped_by_the_timeout_and_judged(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    pytest.importorskip("pytest_timeout")
    tdd.makeini("[pytest]\nconsole_output_style = classic\ntdd_verify_timeout = 2\n")
    change(
        git_repo,
        {"calc.py": HANG},
        {"calc.py": "def wait():\n    return 1\n", "test_calc.py": TEST_WAIT},
    )
    started = time.monotonic()
    result, data = verify(tdd)
    assert time.monotonic() - started < 30
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data) == {"test_calc.py::test_wait": ("red", "error")}


def test_without_pytest_timeout_a_hang_on_the_base_stops_that_run_and_fails(
    tdd: pytest.Pytester, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", INNER_ADDOPTS + " -p no:timeout")
    tdd.makeini("[pytest]\nconsole_output_style = classic\ntdd_verify_timeout = 2\n")
    change(
        git_repo,
        {"calc.py": HANG},
        {"calc.py": "def wait():\n    return 1\n", "test_calc.py": TEST_WAIT},
    )
    started = time.monotonic()
    result, data = verify(tdd)
    assert time.monotonic() - started < 30
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert verdicts(data) == {"test_calc.py::test_wait": ("wrong-reason", None)}
    assert data["verify"]["tests"]["test_calc.py::test_wait"]["message"].startswith(
        "did not finish against the base revision's code within 4 s"
    )


def test_a_renamed_test_is_not_the_changes(tdd: pytest.Pytester, git_repo: GitRepo) -> None:
    renamed = TEST_ADD.replace("def test_add(", "def test_addition(")
    change(git_repo, {"calc.py": CALC, "test_calc.py": TEST_ADD}, {"test_calc.py": renamed})
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert data["verify"]["tests"] == {}
    result.stdout.fnmatch_lines(["tdd: verify: no new or changed tests since base main*"])


def test_a_test_moved_to_another_file_is_not_the_changes(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    change(
        git_repo,
        {"calc.py": CALC, "test_calc.py": TEST_ADD},
        {"test_calc.py": None, "test_arithmetic.py": TEST_ADD},
    )
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert data["verify"]["tests"] == {}


SIGN = "def sign(x):\n    return 1 if x > 0 else -1\n"
SIGN_ZERO = "def sign(x):\n    return 0 if x == 0 else (1 if x > 0 else -1)\n"
TEST_SIGN = """\
import pytest

import calc


@pytest.mark.parametrize("case", [{cases}])
def test_sign(case):
    x, expected = case
    assert calc.sign(x) == expected
"""


def test_when_a_case_is_inserted_only_it_is_the_changes_though_the_ids_shifted(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    change(
        git_repo,
        {"calc.py": SIGN, "test_calc.py": TEST_SIGN.format(cases="(1, 1), (-1, -1)")},
        {"calc.py": SIGN_ZERO, "test_calc.py": TEST_SIGN.format(cases="(0, 0), (1, 1), (-1, -1)")},
    )
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data) == {"test_calc.py::test_sign[case0]": ("red", "assertion")}


def test_a_changed_test_body_is_verified(tdd: pytest.Pytester, git_repo: GitRepo) -> None:
    feature = "def add(*numbers):\n    return sum(numbers)\n"
    test = "import calc\n\n\ndef test_add():\n    assert calc.add(1, 2, 3) == 6\n"
    change(
        git_repo,
        {"calc.py": CALC, "test_calc.py": TEST_ADD},
        {"calc.py": feature, "test_calc.py": test},
    )
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data) == {"test_calc.py::test_add": ("red", "missing-api")}


MIXIN = """\
import calc


class CalcContract:
    def test_add(self):
        assert calc.add(1, 2) == 3
"""
TEST_IMPL = "from mixins import CalcContract\n\n\nclass TestCalc(CalcContract):\n    pass\n"


def test_a_method_inherited_from_a_changed_mixin_in_another_file_is_verified_where_collected(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    tdd.makeini("[pytest]\nconsole_output_style = classic\npythonpath = .\n")
    mixin = MIXIN + "\n    def test_sub(self):\n        assert calc.sub(3, 1) == 2\n"
    change(
        git_repo,
        {"calc.py": CALC, "tests/mixins.py": MIXIN, "tests/test_impl.py": TEST_IMPL},
        {"calc.py": CALC_CLAMPED, "tests/mixins.py": mixin},
    )
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data) == {"tests/test_impl.py::TestCalc::test_sub": ("red", "missing-api")}


def test_a_src_layout_is_verified_against_the_base_package(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    tdd.makeini("[pytest]\nconsole_output_style = classic\npythonpath = src\n")
    test = TEST_ADD + "\n\ndef test_clamp():\n    assert calc.clamp(-5, 0, 10) == 0\n"
    change(
        git_repo,
        {"src/calc/__init__.py": CALC, "tests/test_calc.py": TEST_ADD},
        {"src/calc/__init__.py": CALC_CLAMPED, "tests/test_calc.py": test},
    )
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data) == {"tests/test_calc.py::test_clamp": ("red", "assertion")}


def test_a_new_test_skipped_here_is_listed_as_not_run(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    test = "import pytest\n\n" + TEST_ADD
    test += "\n\n@pytest.mark.skip('later')\ndef test_sub():\n    assert calc.sub(3, 1) == 2\n"
    change(git_repo, {"calc.py": CALC, "test_calc.py": TEST_ADD}, {"test_calc.py": test})
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data) == {"test_calc.py::test_sub": ("not-run", None)}


def test_a_doctest_in_the_projects_code_is_not_run_and_that_code_stays_the_bases(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    # With --doctest-modules the change's new doctest lives in calc.py, the project's code:
    # verify must not lay that file over the base, where test_sub is red.
    documented = CALC_CLAMPED.replace(
        "def sub(a, b):\n", 'def sub(a, b):\n    """\n    >>> sub(3, 1)\n    2\n    """\n'
    )
    test = TEST_ADD + "\n\ndef test_sub():\n    assert calc.sub(3, 1) == 2\n"
    change(
        git_repo,
        {"calc.py": CALC, "test_calc.py": TEST_ADD},
        {"calc.py": documented, "test_calc.py": test},
    )
    result, data = verify(tdd, "--doctest-modules")
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data) == {
        "calc.py::calc.sub": ("not-run", None),
        "test_calc.py::test_sub": ("red", "missing-api"),
    }


def _snapshot(repo: GitRepo) -> dict[str, Any]:
    """The working tree's bytes (what the run itself writes aside), the index, the refs,
    the stashes and the worktrees."""
    written = {"r.json", "stdout", "stderr"}
    files = {}
    for path in sorted(repo.path.rglob("*")):
        relative = path.relative_to(repo.path)
        if relative.parts[0] in (".git", ".pytest_cache") or "__pycache__" in relative.parts:
            continue
        if path.is_file() and str(relative) not in written:
            files[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return {
        "files": files,
        "index": hashlib.sha256((repo.path / ".git" / "index").read_bytes()).hexdigest(),
        "refs": repo.git("for-each-ref"),
        "worktrees": repo.git("worktree", "list", "--porcelain"),
        "stash": repo.git("stash", "list"),
        "head": repo.git("rev-parse", "HEAD"),
    }


def test_the_users_repository_is_left_untouched(tdd: pytest.Pytester, git_repo: GitRepo) -> None:
    test = TEST_ADD + "\n\ndef test_clamp():\n    assert calc.clamp(-5, 0, 10) == 0\n"
    change(
        git_repo,
        {"calc.py": CALC, "test_calc.py": TEST_ADD},
        {"calc.py": CALC_CLAMPED, "test_calc.py": test},
    )
    git_repo.git("add", "calc.py")  # one change staged, one not
    status = git_repo.git("status", "--porcelain")
    before = _snapshot(git_repo)
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data) == {"test_calc.py::test_clamp": ("red", "assertion")}
    assert _snapshot(git_repo) == before
    assert git_repo.git("status", "--porcelain") == status


def test_the_temporary_trees_are_removed_after_the_run(
    tdd: pytest.Pytester, git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    test = TEST_ADD + "\n\ndef test_clamp():\n    assert calc.clamp(-5, 0, 10) == 0\n"
    change(
        git_repo,
        {"calc.py": CALC, "test_calc.py": TEST_ADD},
        {"calc.py": CALC_CLAMPED, "test_calc.py": test},
    )
    _, data = verify(tdd)
    assert verdicts(data) == {"test_calc.py::test_clamp": ("red", "assertion")}
    assert [p.name for p in temporary.iterdir() if p.name.startswith("pytest-tdd-verify-")] == []


def test_the_temporary_trees_are_removed_when_the_run_is_terminated(
    tdd: pytest.Pytester, git_repo: GitRepo, tmp_path: Path
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    started = tmp_path / "started"
    test = (
        "import pathlib, calc\n\n\ndef test_wait():\n"
        "    if 'pytest-tdd-verify-' in calc.__file__:  # against the base\n"
        f"        pathlib.Path({str(started)!r}).write_text('')\n"
        "    assert calc.wait() == 1\n"
    )
    change(
        git_repo,
        {"calc.py": HANG},
        {"calc.py": "def wait():\n    return 1\n", "test_calc.py": test},
    )
    env = {**os.environ, "TMPDIR": str(temporary), "PYTEST_ADDOPTS": INNER_ADDOPTS}
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--tdd-verify", "--tdd-base=main", "-p", "no:timeout"],
        cwd=tdd.path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not started.exists() or not any(temporary.iterdir()):
            assert time.monotonic() < deadline
            assert process.poll() is None
            time.sleep(0.1)
        time.sleep(0.5)  # the base run's test is now hanging
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        process.kill()
    assert [p.name for p in temporary.iterdir() if p.name.startswith("pytest-tdd-verify-")] == []


def test_two_workers_give_the_same_verify_section_as_a_serial_run(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    pytest.importorskip("xdist")
    test = TEST_ADD + (
        "\n\ndef test_clamp():\n    assert calc.clamp(-5, 0, 10) == 0\n"
        "\n\ndef test_add_zero():\n    assert calc.add(0, 0) == 0\n"
    )
    change(
        git_repo,
        {"calc.py": CALC, "test_calc.py": TEST_ADD},
        {"calc.py": CALC_CLAMPED, "test_calc.py": test},
    )
    _, serial = verify(tdd)
    _, parallel = verify(tdd, "-n", "2")
    for data in (serial, parallel):
        data["verify"].pop("seconds")
    assert parallel["verify"] == serial["verify"]
    assert verdicts(serial) == {
        "test_calc.py::test_add_zero": ("passed", None),
        "test_calc.py::test_clamp": ("red", "assertion"),
    }


def test_verify_and_the_green_phase_both_apply(tdd: pytest.Pytester, git_repo: GitRepo) -> None:
    test = TEST_ADD + "\n\ndef test_add_zero():\n    assert calc.add(0, 0) == 0\n"
    change(git_repo, {"calc.py": CALC, "test_calc.py": TEST_ADD}, {"test_calc.py": test})
    result, data = verify(tdd, "--tdd-phase=green")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    kinds = sorted(v["kind"] for v in data["violations"])
    assert kinds == ["never-red", "never-red", "passed-on-base"]


def test_github_actions_get_an_error_annotation_at_the_test(
    tdd: pytest.Pytester, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    test = TEST_ADD + "\n\ndef test_add_zero():\n    assert calc.add(0, 0) == 0\n"
    change(git_repo, {"calc.py": CALC, "test_calc.py": TEST_ADD}, {"test_calc.py": test})
    result, _ = verify(tdd)
    result.stdout.fnmatch_lines(
        [
            "::error file=test_calc.py,line=8,title=passed-on-base::test_calc.py::test_add_zero:"
            " passes against the base revision's code*%0Afix: make it test what*"
        ]
    )


def test_the_markdown_report_holds_verify_after_diff_coverage(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    pytest.importorskip("pytest_cov")
    test = TEST_ADD + "\n\ndef test_clamp():\n    assert calc.clamp(-5, 0, 10) == 0\n"
    change(
        git_repo,
        {"calc.py": CALC, "test_calc.py": TEST_ADD},
        {"calc.py": CALC_CLAMPED, "test_calc.py": test},
    )
    verify(
        tdd,
        "--cov=calc",
        "--cov-report=",
        "--tdd-diff-cover",
        "--tdd-diff-fail-under=0",
        "--tdd-diff-markdown=report.md",
    )
    text = (tdd.path / "report.md").read_text()
    assert text.startswith("## Diff coverage")
    assert "## TDD verify: holds\n" in text
    assert (
        "| `test_calc.py::test_clamp` | red | AssertionError: assert -5 == 0 (assertion) |" in text
    )


def test_a_new_test_deselected_here_is_listed_as_not_run(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    test = TEST_ADD + "\n\ndef test_clamp():\n    assert calc.clamp(-5, 0, 10) == 0\n"
    change(
        git_repo,
        {"calc.py": CALC, "test_calc.py": TEST_ADD},
        {"calc.py": CALC_CLAMPED, "test_calc.py": test},
    )
    result, data = verify(tdd, "-k", "not clamp")
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data) == {"test_calc.py::test_clamp": ("not-run", None)}
    assert "deselected" in data["verify"]["tests"]["test_calc.py::test_clamp"]["message"]


def test_a_new_exempt_test_is_listed_as_not_run_with_its_reason(
    tdd: pytest.Pytester, git_repo: GitRepo
) -> None:
    test = "import pytest\n\n" + TEST_ADD
    test += "\n\n@pytest.mark.tdd_exempt('smoke test')\ndef test_sub():\n"
    test += "    assert calc.sub(3, 1) == 2\n"
    change(
        git_repo,
        {"calc.py": CALC, "test_calc.py": TEST_ADD},
        {"calc.py": CALC_CLAMPED, "test_calc.py": test},
    )
    result, data = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert verdicts(data) == {"test_calc.py::test_sub": ("not-run", None)}
    assert "smoke test" in data["verify"]["tests"]["test_calc.py::test_sub"]["message"]


def test_a_verify_run_leaves_no_lock_file_behind(
    tdd: pytest.Pytester,
    git_repo: GitRepo,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # The base run's evidence file is its own, in a folder made for it: so is its lock
    private = tmp_path_factory.mktemp("tmpdir")
    monkeypatch.setenv("TMPDIR", str(private))
    test = TEST_ADD + "\n\ndef test_sub():\n    assert calc.sub(3, 1) == 2\n"
    change(
        git_repo,
        {"calc.py": CALC, "test_calc.py": TEST_ADD},
        {"calc.py": CALC_CLAMPED, "test_calc.py": test},
    )
    result, _ = verify(tdd)
    assert result.ret == pytest.ExitCode.OK
    assert sorted(p.name for p in private.glob("pytest-tdd-*.lock")) == []
