"""Options, ini keys and environment variables, resolved once per run into ``Settings``.

Precedence: command line, then environment, then ini file, then default. Every bad value
is a ``pytest.UsageError`` that names where the value came from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_tdd.phases import PHASES, Phase
from pytest_tdd.reasons import KINDS

ENV_PHASE = "PYTEST_TDD_PHASE"
DEFAULT_STATE_FILE = "tdd-evidence.jsonl"

PHASE_HELP = (
    "red: record that each new test fails for the right reason; green: fail the run if a "
    "test was never seen failing or changed since; refactor: allow no new or changed tests. "
    f"Also set by the environment variable {ENV_PHASE}. Without a phase nothing is recorded."
)
STATE_FILE_HELP = (
    f"The evidence file, relative to the rootdir (default: {DEFAULT_STATE_FILE}). "
    "Commit it with the code."
)
RED_ACCEPT_HELP = (
    "Which failures count as red, separated by spaces: assertion (an assert, pytest.fail, "
    "pytest.raises that did not raise, NotImplementedError), missing-api (the test reaches "
    "for project code that does not exist yet), error (any other exception raised inside "
    "the project's code). Default: all three; 'assertion' alone is the strict mode."
)
ADOPT_HELP = (
    "Record every collected test that passes as existing (legacy) evidence, so that a "
    "project with an existing suite can start using pytest-tdd."
)
JSON_HELP = "Write a machine-readable report of this run to PATH."
LOCK_TIMEOUT_HELP = (
    "How many seconds a run waits for another run to finish writing the evidence file "
    "before it gives up with an error (default: 60)."
)
EXEMPT_MARKER = (
    "tdd_exempt(reason): exempt this test from pytest-tdd's gate; the reason is shown in "
    "the report."
)


@dataclass(frozen=True)
class Settings:
    phase: Phase | None
    state_file: Path
    accept: frozenset[str]
    adopt: bool
    json_path: Path | None
    rootpath: Path
    lock_timeout: float = 60.0

    @property
    def active(self) -> bool:
        return self.phase is not None or self.adopt or self.json_path is not None

    @property
    def records(self) -> bool:
        """Does this run judge tests against the evidence (and maybe write it)?"""
        return self.phase is not None or self.adopt


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("tdd", "test-driven development evidence (pytest-tdd)")
    group.addoption("--tdd-phase", metavar="PHASE", dest="tdd_phase", help=PHASE_HELP)
    group.addoption("--tdd-state-file", metavar="PATH", dest="tdd_state_file", help=STATE_FILE_HELP)
    group.addoption("--tdd-adopt", action="store_true", dest="tdd_adopt", help=ADOPT_HELP)
    group.addoption("--tdd-json", metavar="PATH", dest="tdd_json", help=JSON_HELP)
    parser.addini("tdd_state_file", STATE_FILE_HELP, default=DEFAULT_STATE_FILE)
    parser.addini("tdd_red_accept", RED_ACCEPT_HELP, type="args", default=list(KINDS))
    parser.addini("tdd_lock_timeout", LOCK_TIMEOUT_HELP, default="60")


def _phase(value: str | None, source: str) -> Phase | None:
    if value is None or value == "":
        return None
    for phase in PHASES:
        if value.strip().lower() == phase:
            return phase
    raise pytest.UsageError(f"{source}: unknown phase {value!r}; use one of {', '.join(PHASES)}")


def resolve(config: pytest.Config) -> Settings:
    """Read and check every pytest-tdd setting of this run."""
    phase = _phase(config.getoption("tdd_phase"), "--tdd-phase") or _phase(
        os.environ.get(ENV_PHASE), f"environment variable {ENV_PHASE}"
    )
    adopt = bool(config.getoption("tdd_adopt"))
    if adopt and phase is not None:
        raise pytest.UsageError(
            f"--tdd-adopt records passing tests as legacy evidence and cannot be combined "
            f"with the {phase} phase; run it on its own first"
        )
    accept = [str(v) for v in config.getini("tdd_red_accept")]
    unknown = sorted(set(accept) - set(KINDS))
    if unknown or not accept:
        raise pytest.UsageError(
            f"ini tdd_red_accept: unknown kind {unknown[0]!r}; use any of {', '.join(KINDS)}"
            if unknown
            else f"ini tdd_red_accept is empty; use any of {', '.join(KINDS)}"
        )
    invocation = config.invocation_params.dir
    cli_state = config.getoption("tdd_state_file")
    state_file = (
        invocation / cli_state
        if cli_state
        else config.rootpath / str(config.getini("tdd_state_file"))
    )
    json_path = config.getoption("tdd_json")
    lock_timeout = _seconds(str(config.getini("tdd_lock_timeout")), "ini tdd_lock_timeout")
    return Settings(
        phase=phase,
        state_file=state_file,
        accept=frozenset(accept),
        adopt=adopt,
        json_path=invocation / json_path if json_path else None,
        rootpath=config.rootpath,
        lock_timeout=lock_timeout,
    )


def _seconds(value: str, source: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise pytest.UsageError(f"{source}: {value!r} is not a number of seconds (0 or more)")
    return seconds
