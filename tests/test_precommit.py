"""Where the plugin meets the tools around it: the hooks of ``.pre-commit-hooks.yaml`` run
by pre-commit itself, the ``pytest-tdd`` console script installed from a built wheel, and
GitHub's step summary.

The first two build and install the package, so they take seconds, not milliseconds
(marker ``packaging``); they need pip and the package index this machine uses for its
build requirements.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import venv
from pathlib import Path
from typing import Any

import pytest

from helpers import CALC_ADD, TEST_ADD, GitRepo

ROOT = Path(__file__).resolve().parents[1]
EVENTS = Path(__file__).parent / "data" / "hook-events"
SOURCE = ("src", "pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml")


def copy_source(target: Path) -> Path:
    """The files a build of this package needs, copied from the checkout to ``target``."""
    target.mkdir(parents=True)
    for name in SOURCE:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif path.is_file():
            shutil.copy2(path, target / name)
    return target


def isolated_env(home: Path) -> dict[str, str]:
    """This process's environment without git's, pytest's and pytest-tdd's own settings,
    with a git configuration of its own under ``home``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "PYTEST_", "PRE_COMMIT")) and k != "GITHUB_STEP_SUMMARY"
    }
    home.mkdir(parents=True, exist_ok=True)
    config = home / ".gitconfig"
    config.write_text(
        "[user]\n\tname = Test\n\temail = test@example.invalid\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
        encoding="utf-8",
    )
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(config),
        PRE_COMMIT_HOME=str(home / "pre-commit"),
    )
    return env


def git(cwd: Path, env: dict[str, str], *args: str) -> None:
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --- pre-commit -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def pre_commit_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo`` with every hook of this repository's hooks file, on a
    throw-away project whose one test passes and was never seen failing."""
    pytest.importorskip("pre_commit")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    base = tmp_path_factory.mktemp("pre-commit")
    env = isolated_env(base / "home")
    hooks = copy_source(base / "hooks")
    git(hooks, env, "init", "-q")
    git(hooks, env, "add", "-A")
    git(hooks, env, "commit", "-q", "-m", "hooks")
    project = base / "project"
    project.mkdir()
    (project / "calc.py").write_text(textwrap.dedent(CALC_ADD), "utf-8")
    (project / "test_calc.py").write_text(textwrap.dedent(TEST_ADD), "utf-8")
    git(project, env, "init", "-q")
    git(project, env, "add", "-A")
    git(project, env, "commit", "-q", "-m", "base")
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hooks), "--all-files", "--verbose"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.packaging
def test_the_green_gate_hook_fails_a_commit_whose_test_was_never_seen_failing(
    pre_commit_run: subprocess.CompletedProcess[str],
) -> None:
    output = pre_commit_run.stdout
    assert pre_commit_run.returncode == 1, output + pre_commit_run.stderr
    assert "- hook id: pytest-tdd-green" in output
    assert "NEVER-RED test_calc.py::test_add: never seen failing" in output
    assert "tdd: green fails: 1 violation (never-red 1)" in output


@pytest.mark.packaging
def test_the_status_hook_prints_each_test_and_passes(
    pre_commit_run: subprocess.CompletedProcess[str],
) -> None:
    output = pre_commit_run.stdout
    assert "- hook id: pytest-tdd-status" in output
    status_part = output.split("- hook id: pytest-tdd-status", 1)[1]
    assert "none    test_calc.py::test_add" in status_part
    assert "tdd: 1 test: none 1; next: " in status_part


# --- the console script ---------------------------------------------------------------


@pytest.mark.packaging
def test_the_console_script_of_the_built_wheel_answers_a_hook_event(tmp_path: Path) -> None:
    source = copy_source(tmp_path / "source")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", "dist", str(source)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("pytest_tdd_evidence-*.whl")
    venv.create(tmp_path / "venv", with_pip=False)
    python = tmp_path / "venv" / "bin" / "python"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
    script = tmp_path / "venv" / "bin" / "pytest-tdd"
    assert script.is_file()
    project = tmp_path / "project"
    project.mkdir()
    (project / "tox.ini").write_text("[pytest]\n", "utf-8")
    event = (EVENTS / "write-project-code.json").read_text("utf-8")
    event = event.replace("$PROJECT", str(project)).replace("$HOME", str(tmp_path))
    answered = subprocess.run(
        [str(script), "guard"], input=event, capture_output=True, text=True, timeout=60
    )
    assert answered.returncode == 0, answered.stderr
    output = json.loads(answered.stdout)
    assert output["hookSpecificOutput"]["permissionDecision"] == "deny"


# --- GitHub's step summary ------------------------------------------------------------


@pytest.fixture
def git_repo_path(tdd: pytest.Pytester) -> Path:
    return tdd.path


@pytest.fixture
def change(tdd: pytest.Pytester, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose branch adds ``add`` and its test; the step summary file, as
    GitHub Actions hands it to a step (a file that may already hold earlier lines)."""
    pytest.importorskip("pytest_cov")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tdd.path / "calc.py").write_text("def unrelated():\n    return 0\n", "utf-8")
    (tdd.path / ".gitignore").write_text(".pytest_cache/\n.coverage*\n__pycache__/\n*.md\n")
    git_repo.commit("base")
    git_repo.branch("feature")
    (tdd.path / "calc.py").write_text(textwrap.dedent(CALC_ADD).lstrip(), "utf-8")
    (tdd.path / "test_calc.py").write_text(textwrap.dedent(TEST_ADD).lstrip(), "utf-8")
    summary = tdd.path / "step-summary.md"
    summary.write_text("earlier step\n", "utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return summary


def diff_run(tdd: pytest.Pytester, *args: str) -> Any:
    return tdd.runpytest_subprocess(
        "--cov=calc", "--cov-branch", "--cov-report=", "--tdd-diff-cover", "--tdd-base=main", *args
    )


def test_the_markdown_report_is_added_to_githubs_step_summary(
    tdd: pytest.Pytester, change: Path
) -> None:
    assert diff_run(tdd).ret == pytest.ExitCode.OK
    text = change.read_text("utf-8")
    assert text.startswith("earlier step\n## Diff coverage: 100.00%")


@pytest.mark.tdd_exempt("holds before the step summary is used: it keeps that precedence")
def test_an_explicit_markdown_path_leaves_the_step_summary_alone(
    tdd: pytest.Pytester, change: Path
) -> None:
    assert diff_run(tdd, "--tdd-diff-markdown=diff.md").ret == pytest.ExitCode.OK
    assert change.read_text("utf-8") == "earlier step\n"
    assert (tdd.path / "diff.md").read_text("utf-8").startswith("## Diff coverage: 100.00%")
