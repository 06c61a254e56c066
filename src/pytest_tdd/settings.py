"""Options, ini keys and environment variables, resolved once per run into ``Settings``.

Precedence: command line, then environment, then ini file, then default. Every bad value
is a ``pytest.UsageError`` that names where the value came from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_tdd.vocabulary import KINDS, PHASES, Phase

ENV_PHASE = "PYTEST_TDD_PHASE"
DEFAULT_STATE_FILE = "tdd-evidence.jsonl"

PHASE_HELP = (
    "red: record that each new test fails for the right reason; green: fail the run if a "
    "test was never seen failing or changed since; refactor: allow no new or changed tests. "
    f"Also set by the environment variable {ENV_PHASE}. Without a phase no test is judged "
    "(--tdd-adopt records, without a phase)."
)
STATE_FILE_HELP = (
    "The evidence file, relative to the current directory (the ini key tdd_state_file: "
    f"relative to the rootdir; default: {DEFAULT_STATE_FILE}). Commit it with the code."
)
STATE_FILE_INI_HELP = (
    f"The evidence file, relative to the rootdir (default: {DEFAULT_STATE_FILE}). Commit it "
    "with the code."
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
UPGRADE_HELP = (
    "Move an evidence file of an older format version to the current one: collect the "
    "tests (none is run) and re-bind each record to its test's current code."
)
JSON_HELP = "Write a machine-readable report of this run to PATH."
LOCK_TIMEOUT_HELP = (
    "How many seconds a run waits for another run to finish writing the evidence file "
    "before it gives up with an error (default: 60)."
)
DIFF_COVER_HELP = (
    "Report how much of the code changed since the base revision the tests executed, "
    "from pytest-cov's coverage data (needs --cov), and fail the run below the threshold."
)
BASE_HELP = (
    "The base revision of diff coverage (default: the merge-base with the branch's "
    "upstream, else origin/HEAD, else main or master)."
)
DIFF_FAIL_UNDER_HELP = (
    "Fail the run when less than PCT percent of the changed executable lines were "
    "executed (default: 80; a float, never rounded)."
)
DIFF_MARKDOWN_HELP = (
    "Write the diff coverage report as Markdown to PATH, e.g. for a pull-request comment "
    "or $GITHUB_STEP_SUMMARY."
)
DIFF_CONTEXTS_HELP = (
    "Also list changed lines that no new or changed test executed, and new tests that "
    "execute no changed line (needs --cov-context=test, which costs time)."
)
DIFF_OMIT_HELP = (
    "Glob patterns of changed files that diff coverage leaves out, as coverage's own "
    "omit setting does."
)
# --tdd-verify
VERIFY_HELP = (
    "Prove red in CI: run the change's new and changed tests against the base revision's "
    "code (the base of --tdd-base) in a temporary tree, where each must fail for an "
    "accepted reason."
)
VERIFY_TIMEOUT_HELP = (
    "Seconds one test may run against the base revision with --tdd-verify (default: 60)."
)
# The plugin module a run against the base revision loads (``-p``): such a run never
# verifies nor measures diff coverage itself.
VERIFY_CHILD_PLUGIN = "pytest_tdd.verifychild"
# --tdd-status and the guard's ini keys (pytest-tdd guard reads them itself)
STATUS_HELP = (
    "Show each selected test's state against the evidence (none, red, green, legacy, "
    "exempt, changed) and the command to run next; collects, runs no test, leaves the "
    "evidence file alone."
)
GUARD_IGNORE_HELP = (
    "Glob patterns of files that pytest-tdd guard always lets a coding agent edit "
    "(rootdir-relative, or a file name), e.g. docs/* migrations/*."
)
GUARD_ON_ERROR_HELP = (
    "What pytest-tdd guard answers when it cannot decide (an unreadable evidence file, a "
    "malformed hook event): allow (the default) or deny."
)
EXEMPT_MARKER = (
    "tdd_exempt(reason): exempt this test from pytest-tdd's gate; the reason is shown in "
    "the report."
)


@dataclass(frozen=True)
class DiffSettings:
    base: str | None
    fail_under: float
    markdown: Path | None
    contexts: bool
    omit: tuple[str, ...]
    base_from_ini: bool = False
    step_summary: bool = False  # markdown is $GITHUB_STEP_SUMMARY, appended to


@dataclass(frozen=True)
class VerifySettings:
    base: str | None
    timeout: float
    markdown: Path | None
    base_from_ini: bool = False


@dataclass(frozen=True)
class Settings:
    phase: Phase | None
    state_file: Path
    accept: frozenset[str]
    adopt: bool
    json_path: Path | None
    rootpath: Path
    lock_timeout: float = 60.0
    diff: DiffSettings | None = None  # None: diff coverage is off
    upgrade: bool = False
    verify: VerifySettings | None = None  # None: --tdd-verify is off
    status: bool = False  # --tdd-status

    @property
    def active(self) -> bool:
        return (
            self.records
            or self.json_path is not None
            or self.diff is not None
            or self.verify is not None
        )

    def shown(self, path: Path) -> str:
        """``path`` as the reports name it: relative to the rootdir when inside it."""
        try:
            return path.relative_to(self.rootpath).as_posix()
        except ValueError:
            return str(path)

    @property
    def records(self) -> bool:
        """Does this run judge tests against the evidence (and maybe write it)?"""
        return self.phase is not None or self.adopt


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("tdd", "test-driven development evidence (pytest-tdd)")
    group.addoption("--tdd-phase", metavar="PHASE", dest="tdd_phase", help=PHASE_HELP)
    group.addoption("--tdd-state-file", metavar="PATH", dest="tdd_state_file", help=STATE_FILE_HELP)
    group.addoption("--tdd-adopt", action="store_true", dest="tdd_adopt", help=ADOPT_HELP)
    group.addoption("--tdd-upgrade", action="store_true", dest="tdd_upgrade", help=UPGRADE_HELP)
    group.addoption("--tdd-json", metavar="PATH", dest="tdd_json", help=JSON_HELP)
    parser.addini("tdd_state_file", STATE_FILE_INI_HELP, default=DEFAULT_STATE_FILE)
    parser.addini("tdd_red_accept", RED_ACCEPT_HELP, type="args", default=list(KINDS))
    parser.addini("tdd_lock_timeout", LOCK_TIMEOUT_HELP, default="60")
    group.addoption(
        "--tdd-diff-cover",
        action="store_true",
        default=None,
        dest="tdd_diff_cover",
        help=DIFF_COVER_HELP,
    )
    group.addoption("--tdd-base", metavar="REF", dest="tdd_base", help=BASE_HELP)
    group.addoption(
        "--tdd-diff-fail-under",
        metavar="PCT",
        dest="tdd_diff_fail_under",
        help=DIFF_FAIL_UNDER_HELP,
    )
    group.addoption(
        "--tdd-diff-markdown", metavar="PATH", dest="tdd_diff_markdown", help=DIFF_MARKDOWN_HELP
    )
    group.addoption(
        "--tdd-diff-contexts",
        action="store_true",
        dest="tdd_diff_contexts",
        help=DIFF_CONTEXTS_HELP,
    )
    parser.addini("tdd_diff_cover", DIFF_COVER_HELP, type="bool", default=False)
    parser.addini("tdd_base", BASE_HELP, default="")
    parser.addini("tdd_diff_fail_under", DIFF_FAIL_UNDER_HELP, default="80")
    parser.addini("tdd_diff_omit", DIFF_OMIT_HELP, type="args", default=[])
    # --tdd-verify
    group.addoption(
        "--tdd-verify", action="store_true", default=None, dest="tdd_verify", help=VERIFY_HELP
    )
    parser.addini("tdd_verify", VERIFY_HELP, type="bool", default=False)
    parser.addini("tdd_verify_timeout", VERIFY_TIMEOUT_HELP, default="60")
    # --tdd-status, and the ini keys of pytest-tdd guard
    group.addoption("--tdd-status", action="store_true", dest="tdd_status", help=STATUS_HELP)
    parser.addini("tdd_guard_ignore", GUARD_IGNORE_HELP, type="args", default=[])
    parser.addini("tdd_guard_on_error", GUARD_ON_ERROR_HELP, default="allow")


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
    upgrade = bool(config.getoption("tdd_upgrade"))
    if upgrade and (adopt or phase is not None):
        raise pytest.UsageError(
            "--tdd-upgrade only re-binds the evidence file; run it on its own, then the phase"
        )
    status = bool(config.getoption("tdd_status"))
    if status and (config.getoption("tdd_phase") or adopt or upgrade):
        raise pytest.UsageError(
            "--tdd-status only reads the evidence; run it on its own, without a phase, "
            "--tdd-adopt or --tdd-upgrade"
        )
    if status:
        phase = None  # a phase from the environment does not apply to the status view
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
    child = config.pluginmanager.has_plugin(VERIFY_CHILD_PLUGIN)  # a run against the base
    diff = None if child else _diff_settings(config)
    if diff is not None and diff.contexts and phase is None:
        raise pytest.UsageError(
            "--tdd-diff-contexts needs a phase (--tdd-phase): the phase's evidence tells "
            "which tests are new or changed"
        )
    return Settings(
        phase=phase,
        state_file=state_file,
        accept=frozenset(accept),
        adopt=adopt,
        json_path=invocation / json_path if json_path else None,
        rootpath=config.rootpath,
        lock_timeout=lock_timeout,
        diff=diff,
        upgrade=upgrade,
        verify=None if child else _verify_settings(config),
        status=status,
    )


def _percent(value: str, source: str) -> float:
    try:
        percent = float(value)
    except ValueError:
        percent = -1.0
    if not 0 <= percent <= 100:  # also refuses nan
        raise pytest.UsageError(f"{source}: {value!r} is not a percentage from 0 to 100")
    return percent


def _diff_settings(config: pytest.Config) -> DiffSettings | None:
    cli = config.getoption("tdd_diff_cover")
    if not cli and not config.getini("tdd_diff_cover"):
        return None
    source = "--tdd-diff-cover" if cli else "ini tdd_diff_cover"
    if not config.pluginmanager.hasplugin("pytest_cov"):
        raise pytest.UsageError(
            f"{source} needs pytest-cov's coverage data: pip install pytest-cov, then add "
            "--cov=<your package>"
        )
    if not config.getoption("cov_source", None):
        raise pytest.UsageError(
            f"{source} needs pytest-cov's coverage data: add --cov=<your package> (or --cov "
            "with coverage's own [run] source setting)"
        )
    if config.getoption("no_cov", False):
        raise pytest.UsageError(f"{source} cannot measure anything with --no-cov")
    cli_base = config.getoption("tdd_base")
    base = cli_base or str(config.getini("tdd_base")) or None
    if base is not None and base.startswith("-"):
        where = "--tdd-base" if cli_base else "ini tdd_base"
        raise pytest.UsageError(f"{where}: {base!r} starts with '-'; name a branch, tag or commit")
    cli_under = config.getoption("tdd_diff_fail_under")
    fail_under = _percent(
        cli_under if cli_under is not None else str(config.getini("tdd_diff_fail_under")),
        "--tdd-diff-fail-under" if cli_under is not None else "ini tdd_diff_fail_under",
    )
    contexts = bool(config.getoption("tdd_diff_contexts"))
    if contexts and config.getoption("cov_context", None) != "test":
        raise pytest.UsageError(
            "--tdd-diff-contexts needs --cov-context=test (pytest-cov then records which "
            "test executed each line)"
        )
    markdown = config.getoption("tdd_diff_markdown")
    # On GitHub Actions the report goes to the step summary unless a path is given
    summary = None if markdown else os.environ.get("GITHUB_STEP_SUMMARY") or None
    target = markdown or summary
    return DiffSettings(
        base=base,
        fail_under=fail_under,
        markdown=config.invocation_params.dir / target if target else None,
        contexts=contexts,
        omit=tuple(str(p) for p in config.getini("tdd_diff_omit")),
        base_from_ini=base is not None and not cli_base,
        step_summary=summary is not None,
    )


def _seconds(value: str, source: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise pytest.UsageError(f"{source}: {value!r} is not a number of seconds (0 or more)")
    return seconds


def _verify_settings(config: pytest.Config) -> VerifySettings | None:
    cli = config.getoption("tdd_verify")
    if not cli and not config.getini("tdd_verify"):
        return None
    cli_base = config.getoption("tdd_base")
    base = cli_base or str(config.getini("tdd_base")) or None
    if base is not None and base.startswith("-"):
        where = "--tdd-base" if cli_base else "ini tdd_base"
        raise pytest.UsageError(f"{where}: {base!r} starts with '-'; name a branch, tag or commit")
    value = str(config.getini("tdd_verify_timeout"))
    timeout = _seconds(value, "ini tdd_verify_timeout")
    if timeout <= 0:
        raise pytest.UsageError(
            f"ini tdd_verify_timeout: {value!r} is not a number of seconds above 0"
        )
    markdown = config.getoption("tdd_diff_markdown")
    return VerifySettings(
        base=base,
        timeout=timeout,
        markdown=config.invocation_params.dir / markdown if markdown else None,
        base_from_ini=base is not None and not cli_base,
    )
