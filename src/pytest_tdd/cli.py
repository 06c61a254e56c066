"""The ``pytest-tdd`` command.

``pytest-tdd guard`` reads a Claude Code ``PreToolUse`` hook event on its standard input
and answers in Claude Code's hook protocol: exit status 0, and on standard output

* to deny: ``{"hookSpecificOutput": {"hookEventName": "PreToolUse",
  "permissionDecision": "deny", "permissionDecisionReason": ...}}`` (Claude reads the
  reason);
* to let the edit through: nothing, or ``hookSpecificOutput.additionalContext`` when the
  agent should read why (refactoring, a regression to fix). It never answers
  ``"permissionDecision": "allow"``: that would also skip the permission prompts the user
  set up, and a TDD guard must never widen what an agent may do;
* when it cannot decide (a malformed event, an unreadable evidence file): a
  ``systemMessage`` for the user, and the decision of ini ``tdd_guard_on_error``.

``pytest-tdd guard --explain FILE`` prints the decision on FILE and what it rests on; exit
status 0 when the edit is allowed, 1 when it is denied.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_tdd import __version__, guard, project
from pytest_tdd.guard import Decision, GuardError
from pytest_tdd.project import Project, ProjectError

# The tools that write a file, and where their input names it.
EDIT_TOOLS = {
    "Write": "file_path",
    "Edit": "file_path",
    "MultiEdit": "file_path",
    "NotebookEdit": "notebook_path",
}
HOOK_EVENT = "PreToolUse"
GUARD_HELP = (
    "Answer a Claude Code PreToolUse hook event (JSON on standard input): deny an edit of "
    "the project's code that no failing test asks for."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-tdd", description="pytest-tdd's tools outside a pytest run."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    guard_parser = commands.add_parser("guard", help=GUARD_HELP, description=GUARD_HELP)
    guard_parser.add_argument(
        "--explain",
        metavar="FILE",
        help="print the decision on FILE and what it rests on, for a human",
    )
    return parser


def _out(line: str) -> None:
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # a reader that stopped early (`| head -1`): the rest is unread
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # and Python's flush at exit finds no pipe
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.explain is not None:
        return _explain(args.explain)
    return _hook(sys.stdin.read())


def _event(text: str) -> dict[str, Any]:
    try:
        event = json.loads(text)
    except ValueError as error:
        raise GuardError(f"the hook event is not valid JSON ({error})") from None
    if not isinstance(event, dict):
        raise GuardError("the hook event is not a JSON object")
    name = event.get("hook_event_name", HOOK_EVENT)
    if name != HOOK_EVENT:
        raise GuardError(f"the guard answers {HOOK_EVENT} events, not {name!r}")
    if not isinstance(event.get("tool_name"), str):
        raise GuardError("the hook event has no tool_name")
    return event


def _edited(event: dict[str, Any], cwd: Path) -> Path | None:
    """The file an edit tool is about to write, absolute; None for any other tool."""
    tool = event["tool_name"]
    key = EDIT_TOOLS.get(tool)
    if key is None:
        return None
    tool_input = event.get("tool_input")
    value = tool_input.get(key) if isinstance(tool_input, dict) else None
    if not isinstance(value, str) or not value:
        raise GuardError(f"the {tool} event has no tool_input.{key}")
    return Path(os.path.abspath(cwd / value))


def _hook(text: str) -> int:
    cwd = Path.cwd()
    try:
        event = _event(text)
        if isinstance(event.get("cwd"), str) and event["cwd"]:
            cwd = Path(event["cwd"])
        path = _edited(event, cwd)
        if path is None:
            return 0
        decision = guard.decide(path, project.find(path, cwd))
    except (GuardError, ProjectError) as error:
        return _cannot_decide(str(error), cwd)
    except Exception as error:  # the agent gets an answer, never a traceback
        return _cannot_decide(f"internal error: {type(error).__name__}: {error}", cwd)
    _answer(decision)
    return 0


def _answer(decision: Decision) -> None:
    specific: dict[str, str] = {"hookEventName": HOOK_EVENT}
    if not decision.allow:
        specific.update(permissionDecision="deny", permissionDecisionReason=decision.reason)
    elif decision.tell:
        specific["additionalContext"] = decision.reason
    else:
        return
    _out(json.dumps({"hookSpecificOutput": specific}))


def _on_error(cwd: Path) -> tuple[str, str]:
    """What ini ``tdd_guard_on_error`` asks for, and a note when it cannot be read."""
    try:
        value = project.find(cwd, cwd).text("tdd_guard_on_error", "allow").strip().lower()
    except ProjectError as error:
        return "allow", f"; its configuration cannot be read either ({error})"
    if value not in guard.ON_ERROR:
        return "allow", f"; tdd_guard_on_error = {value!r} is neither allow nor deny"
    return value, ""


def _cannot_decide(problem: str, cwd: Path) -> int:
    choice, note = _on_error(cwd)
    if choice == "deny":
        reason = (
            f"pytest-tdd guard cannot decide: {problem}; edits are denied until it can "
            f"(tdd_guard_on_error = deny){note}"
        )
        specific = {
            "hookEventName": HOOK_EVENT,
            "permissionDecision": "deny",
            "permissionDecisionReason": reason,
        }
        _out(json.dumps({"hookSpecificOutput": specific, "systemMessage": reason}))
        return 0
    message = f"pytest-tdd guard: {problem}; the edit is allowed{note} (tdd_guard_on_error = allow)"
    _out(json.dumps({"systemMessage": message}))
    return 0


def _explain(target: str) -> int:
    cwd = Path.cwd()
    path = Path(os.path.abspath(cwd / target))
    found: Project | None = None
    try:
        found = project.find(path, cwd)
        decision = guard.decide(path, found)
    except (GuardError, ProjectError) as error:
        choice, note = _on_error(cwd)
        decision = Decision(choice == "allow", f"cannot decide: {error}{note}")
        sys.stderr.write(f"pytest-tdd guard: {error}\n")
    _out(f"{'allow' if decision.allow else 'deny'} {target}: {decision.reason}")
    if found is not None:
        for line in guard.describe(found):
            _out(f"  {line}")
    return 0 if decision.allow else 1


def run() -> None:
    """The console script's entry point."""
    sys.exit(main())
