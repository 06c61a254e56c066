"""``pytest-tdd guard``: the answer to a coding agent's edit, from recorded Claude Code
``PreToolUse`` events (tests/data/hook-events) and the files of a project that real runs
of the plugin left behind."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_tdd import cli

from helpers import CALC_ADD, CALC_EMPTY, EVIDENCE, TEST_ADD

OK = pytest.ExitCode.OK
EVENTS = Path(__file__).parent / "data" / "hook-events"
TEST_SUB = "\n\ndef test_sub():\n    assert calc.sub(3, 2) == 1\n"
CALC_BROKEN = CALC_ADD.replace("a + b", "a - b")


def event_text(name: str, project: Path) -> str:
    """A recorded event with its placeholders filled in for ``project``."""
    text = (EVENTS / name).read_text("utf-8")
    for key, value in (
        ("$PROJECT", project),
        ("$OUTSIDE", project.parent / "elsewhere"),
        ("$HOME", project.parent / "home"),
    ):
        text = text.replace(key, json.dumps(str(value))[1:-1])
    return text


@dataclass
class Answer:
    code: int
    output: dict[str, Any] | None  # what the hook printed, as JSON; None when nothing
    err: str


Ask = Callable[[str], Answer]


@pytest.fixture
def ask(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Ask:
    """Run ``pytest-tdd guard`` in this process on a recorded event for ``tdd``'s project."""

    def run(name: str) -> Answer:
        monkeypatch.setattr(sys, "stdin", io.StringIO(event_text(name, tdd.path)))
        capsys.readouterr()
        code = cli.main(["guard"])
        out, err = capsys.readouterr()
        return Answer(code, json.loads(out) if out.strip() else None, err)

    return run


def denied(answer: Answer) -> str:
    """The reason of a deny answer (and that it is one)."""
    assert answer.code == 0
    assert answer.output is not None
    specific = answer.output.get("hookSpecificOutput", {})
    assert specific.get("hookEventName") == "PreToolUse"
    assert specific.get("permissionDecision") == "deny", answer.output
    reason: str = specific["permissionDecisionReason"]
    return reason


def allowed(answer: Answer) -> str | None:
    """What an answer that lets the edit through tells the agent, if anything. It never
    grants a permission: Claude Code's own permission rules still apply."""
    assert answer.code == 0
    if answer.output is None:
        return None
    specific = answer.output.get("hookSpecificOutput", {})
    assert "permissionDecision" not in specific
    context: str | None = specific.get("additionalContext")
    return context


def explain(path: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main(["guard", "--explain", path])
    return code, capsys.readouterr().out


@pytest.fixture
def red(tdd: pytest.Pytester) -> pytest.Pytester:
    """A project whose test of ``add`` was recorded red: a cycle is open."""
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    return tdd


@pytest.fixture
def green(red: pytest.Pytester) -> pytest.Pytester:
    """The same project after ``add`` was written and the green run held."""
    red.makepyfile(calc=CALC_ADD)
    assert red.runpytest("--tdd-phase=green").ret == OK
    return red


# --- the rule -------------------------------------------------------------------------


def test_an_edit_of_test_code_is_allowed(tdd: pytest.Pytester, ask: Ask) -> None:
    assert allowed(ask("write-test-code.json")) is None


def test_project_code_with_no_failing_test_is_denied_with_what_to_do(
    tdd: pytest.Pytester, ask: Ask
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY)
    reason = denied(ask("write-project-code.json"))
    assert "no failing test asks for a change to calc.py" in reason
    assert "Write a failing test first, run `pytest --tdd-phase=red <its file>`" in reason


def test_project_code_may_be_edited_while_a_test_recorded_red_is_unchanged(
    red: pytest.Pytester, ask: Ask
) -> None:
    assert allowed(ask("edit-project-code.json")) is None


def test_every_edit_tool_is_judged_alike(red: pytest.Pytester, ask: Ask) -> None:
    assert allowed(ask("multiedit-project-code.json")) is None


def test_a_red_test_changed_since_its_record_opens_no_cycle_and_is_named(
    red: pytest.Pytester, ask: Ask
) -> None:
    red.makepyfile(test_calc=TEST_ADD.replace("(1, 2) == 3", "(2, 2) == 4"))
    reason = denied(ask("edit-project-code.json"))
    assert "test_calc.py::test_add is new or changed and was never seen failing" in reason
    assert "`pytest --tdd-phase=red test_calc.py::test_add`" in reason


def test_after_a_green_run_that_held_refactoring_is_allowed_and_the_refactor_run_named(
    green: pytest.Pytester, ask: Ask
) -> None:
    context = allowed(ask("edit-project-code.json"))
    assert context is not None
    assert "the last green run held and no test is red" in context
    assert "`pytest --tdd-phase=refactor`" in context


def test_a_new_test_not_yet_seen_failing_closes_the_refactoring(
    green: pytest.Pytester, ask: Ask
) -> None:
    green.makepyfile(test_calc=TEST_ADD + TEST_SUB)
    reason = denied(ask("edit-project-code.json"))
    assert "test_calc.py::test_sub is new or changed and was never seen failing" in reason
    assert "`pytest --tdd-phase=red test_calc.py::test_sub`" in reason


def test_a_module_collected_for_its_doctests_stays_project_code(
    tdd: pytest.Pytester, ask: Ask
) -> None:
    # --doctest-modules collects calc.py too: that does not make it test code, which any
    # edit may change; an edit of it is judged as project code (here: a refactoring).
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_ADD)
    assert tdd.runpytest("--tdd-adopt").ret == OK
    assert tdd.runpytest("--tdd-phase=green", "--doctest-modules").ret == OK
    context = allowed(ask("edit-project-code.json"))
    assert context is not None
    assert "the last green run held and no test is red" in context


def test_after_a_green_run_that_failed_project_code_is_denied(
    tdd: pytest.Pytester, ask: Ask
) -> None:
    tdd.makepyfile(calc=CALC_ADD, test_calc=TEST_ADD)
    assert tdd.runpytest("--tdd-phase=green").ret == pytest.ExitCode.TESTS_FAILED
    reason = denied(ask("edit-project-code.json"))
    assert "the last green run failed (never-red 1)" in reason


def test_a_regression_in_the_last_run_lets_the_code_be_fixed(
    green: pytest.Pytester, ask: Ask
) -> None:
    green.makepyfile(calc=CALC_BROKEN)
    assert green.runpytest("--tdd-phase=refactor").ret == pytest.ExitCode.TESTS_FAILED
    context = allowed(ask("edit-project-code.json"))
    assert context is not None
    assert "the last refactor run failed (regression 1)" in context


def test_the_evidence_file_may_not_be_edited_by_hand(red: pytest.Pytester, ask: Ask) -> None:
    reason = denied(ask("edit-evidence-file.json"))
    assert "tdd-evidence.jsonl is written by pytest-tdd's runs, never by hand" in reason


def test_the_evidence_file_may_not_be_edited_through_a_symbolic_link(
    red: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (red.path / "notes.txt").symlink_to(red.path / EVIDENCE)
    monkeypatch.chdir(red.path)
    code, out = explain("notes.txt", capsys)
    assert code == 1
    assert "tdd-evidence.jsonl is written by pytest-tdd's runs, never by hand" in out


def test_project_code_edited_through_a_symbolic_link_is_judged_as_project_code(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY)
    (tdd.path / "tests").mkdir()
    (tdd.path / "tests" / "calc_link.py").symlink_to(tdd.path / "calc.py")
    monkeypatch.chdir(tdd.path)
    code, out = explain("tests/calc_link.py", capsys)
    assert code == 1
    assert "pytest-tdd: no failing test asks for a change" in out


# --- what the guard leaves alone --------------------------------------------------------


def test_a_file_outside_the_project_is_allowed(tdd: pytest.Pytester, ask: Ask) -> None:
    assert allowed(ask("write-outside-project.json")) is None


def test_a_file_that_is_not_python_is_allowed(tdd: pytest.Pytester, ask: Ask) -> None:
    assert allowed(ask("edit-readme.json")) is None


def test_a_notebook_is_allowed(tdd: pytest.Pytester, ask: Ask) -> None:
    assert allowed(ask("edit-notebook.json")) is None


def test_a_tool_that_edits_no_file_gets_no_answer(tdd: pytest.Pytester, ask: Ask) -> None:
    answer = ask("run-bash.json")
    assert (answer.code, answer.output) == (0, None)


def test_a_file_matching_tdd_guard_ignore_is_allowed(
    tdd: pytest.Pytester,
    ask: Ask,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tdd.makeini("[pytest]\ntdd_guard_ignore =\n    docs/*\n    migrations/*\n")
    assert allowed(ask("write-migration.json")) is None
    monkeypatch.chdir(tdd.path)
    code, out = explain("migrations/0002_add_totals.py", capsys)
    assert code == 0
    assert out.splitlines()[0] == (
        "allow migrations/0002_add_totals.py: it matches the tdd_guard_ignore pattern "
        "'migrations/*'"
    )


def test_a_file_in_a_virtual_environment_inside_the_project_is_allowed(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tdd.path)
    code, out = explain(".venv/lib/python3.11/site-packages/requests/api.py", capsys)
    assert code == 0
    assert out.startswith("allow .venv/lib/python3.11/site-packages/requests/api.py: ")


# --- errors ---------------------------------------------------------------------------


def test_a_malformed_event_is_reported_and_allowed_by_default(
    tdd: pytest.Pytester, ask: Ask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tdd.path)
    answer = ask("truncated-event.txt")
    assert allowed(answer) is None
    assert answer.output is not None
    assert answer.output["systemMessage"].startswith(
        "pytest-tdd guard: the hook event is not valid JSON"
    )
    assert answer.output["systemMessage"].endswith("(tdd_guard_on_error = allow)")
    assert "Traceback" not in answer.err


def test_a_malformed_event_is_denied_when_the_guard_fails_closed(
    tdd: pytest.Pytester, ask: Ask
) -> None:
    tdd.makeini("[pytest]\ntdd_guard_on_error = deny\n")
    reason = denied(ask("edit-without-file-path.json"))
    assert reason.startswith(
        "pytest-tdd guard cannot decide: the Edit event has no tool_input.file_path"
    )


def test_unreadable_evidence_is_reported_and_allowed_by_default(
    tdd: pytest.Pytester, ask: Ask
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY)
    (tdd.path / EVIDENCE).write_text("<<<<<<< HEAD\n", "utf-8")
    answer = ask("edit-project-code.json")
    assert allowed(answer) is None
    assert answer.output is not None
    assert "an unresolved merge conflict" in answer.output["systemMessage"]


def test_unreadable_evidence_is_denied_when_the_guard_fails_closed(
    tdd: pytest.Pytester, ask: Ask
) -> None:
    tdd.makeini("[pytest]\ntdd_guard_on_error = deny\n")
    (tdd.path / EVIDENCE).write_text("<<<<<<< HEAD\n", "utf-8")
    reason = denied(ask("edit-project-code.json"))
    assert reason.startswith("pytest-tdd guard cannot decide: evidence file ")
    assert "an unresolved merge conflict" in reason


# --- the answer -----------------------------------------------------------------------


def test_a_deny_answer_follows_claude_codes_hook_protocol(tdd: pytest.Pytester, ask: Ask) -> None:
    answer = ask("write-project-code.json")
    assert answer.code == 0
    assert answer.output is not None
    assert list(answer.output) == ["hookSpecificOutput"]
    assert sorted(answer.output["hookSpecificOutput"]) == [
        "hookEventName",
        "permissionDecision",
        "permissionDecisionReason",
    ]


def test_explain_prints_the_decision_and_why_and_exits_1_on_deny(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY)
    monkeypatch.chdir(tdd.path)
    code, out = explain("calc.py", capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("deny calc.py: pytest-tdd: no failing test asks for a change")
    assert lines[1] == f"  project: {tdd.path} (tox.ini)"
    assert lines[2] == "  evidence: tdd-evidence.jsonl (no such file yet)"
    assert lines[3] == "  last phase run: none recorded in .pytest_cache"


# --- the project, as pytest finds it ----------------------------------------------------


def test_the_project_is_the_nearest_folder_with_pytest_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outer = tmp_path / "outer"
    (outer / "pkg").mkdir(parents=True)
    (outer / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = '-q'\n")
    (outer / "pkg" / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    monkeypatch.chdir(outer / "pkg")
    _, out = explain("mod.py", capsys)
    assert out.splitlines()[1] == f"  project: {outer} (pyproject.toml)"


def test_the_cache_dir_setting_is_honoured(
    tdd: pytest.Pytester, ask: Ask, monkeypatch: pytest.MonkeyPatch
) -> None:
    tdd.makeini("[pytest]\ncache_dir = build/pytest-cache\n")
    tdd.makepyfile(calc=CALC_EMPTY, test_calc=TEST_ADD)
    assert tdd.runpytest("--tdd-phase=red").ret == OK
    tdd.makepyfile(calc=CALC_ADD)
    assert tdd.runpytest("--tdd-phase=green").ret == OK
    assert (tdd.path / "build" / "pytest-cache").is_dir()
    context = allowed(ask("edit-project-code.json"))
    assert context is not None
    assert "the last green run held" in context


def test_a_phase_run_records_its_phase_and_result_in_pytests_cache(
    green: pytest.Pytester,
) -> None:
    path = green.path / ".pytest_cache" / "v" / "tdd" / "last-phase-run"
    assert path.is_file()
    entry = json.loads(path.read_text("utf-8"))
    assert {key: entry[key] for key in ("phase", "held", "violations", "failing")} == {
        "phase": "green",
        "held": True,
        "violations": {},
        "failing": 0,
    }


def test_the_guard_imports_no_pytest(red: pytest.Pytester) -> None:
    script = (
        "import sys\n"
        "from pytest_tdd import cli\n"
        "code = cli.main(['guard', '--explain', 'calc.py'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pytest', '_pytest'))\n"
        "print('loaded:', loaded, 'code:', code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=red.path, capture_output=True, text=True, check=False
    )
    assert done.stdout.splitlines()[-1] == "loaded: [] code: 0"


def test_explain_counts_the_tests_of_the_evidence_and_those_red(
    red: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(red.path)
    _, out = explain("calc.py", capsys)
    assert out.splitlines()[2] == "  evidence: tdd-evidence.jsonl (1 test, 1 red)"


def test_before_any_phase_run_a_test_not_yet_seen_failing_is_named(
    tdd: pytest.Pytester, ask: Ask
) -> None:
    tdd.makepyfile(calc=CALC_EMPTY)
    (tdd.path / "tests" / "unit").mkdir(parents=True)
    (tdd.path / "tests" / "unit" / "test_calc.py").write_text(TEST_ADD, "utf-8")
    reason = denied(ask("edit-project-code.json"))
    assert "tests/unit/test_calc.py::test_add is new or changed and was never seen" in reason


def test_a_status_run_does_not_hide_a_new_test_from_the_guard(
    green: pytest.Pytester, ask: Ask
) -> None:
    green.makepyfile(test_calc=TEST_ADD + TEST_SUB)
    assert green.runpytest("--tdd-status").ret == OK
    reason = denied(ask("edit-project-code.json"))
    assert "test_calc.py::test_sub is new or changed and was never seen failing" in reason


def test_explain_to_a_reader_that_stops_early_prints_no_traceback(tdd: pytest.Pytester) -> None:
    # pytest-tdd guard --explain calc.py | head -1: the pipe closes under the writer
    tdd.makepyfile(calc=CALC_EMPTY)
    script = "from pytest_tdd import cli; cli.run()"
    command = [sys.executable, "-c", script, "guard", "--explain", "calc.py"]
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(command, cwd=tdd.path, stdout=writer, stderr=subprocess.PIPE)
    finally:
        os.close(writer)
    assert "Traceback" not in done.stderr.decode()
    assert done.returncode == 1
