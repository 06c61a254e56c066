"""The command line, ini and environment interface, and its usage errors."""

from __future__ import annotations

import pytest

from helpers import EVIDENCE, TEST_ADD


def test_help_lists_every_option_and_ini_key(tdd: pytest.Pytester) -> None:
    result = tdd.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "test-driven development evidence (pytest-tdd):",
            "*--tdd-phase=PHASE*red: record that each new test fails*",
            "*--tdd-state-file=PATH*",
            "*--tdd-adopt*",
            "*--tdd-json=PATH*",
        ]
    )
    result.stdout.fnmatch_lines(["*tdd_state_file (string):*", "*tdd_red_accept (args):*"])


def test_the_exempt_marker_is_registered(tdd: pytest.Pytester) -> None:
    result = tdd.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.tdd_exempt(reason): *"])


def test_an_unknown_phase_is_a_usage_error(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(TEST_ADD)
    result = tdd.runpytest("--tdd-phase=blue")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--tdd-phase: unknown phase 'blue'; use one of red, green, refactor"]
    )


def test_an_unknown_phase_in_the_environment_names_the_variable(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_TDD_PHASE", "grene")
    result = tdd.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*environment variable PYTEST_TDD_PHASE: unknown phase 'grene'*"])


def test_the_phase_can_come_from_the_environment(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 1\n")
    monkeypatch.setenv("PYTEST_TDD_PHASE", "green")
    result = tdd.runpytest()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["NEVER-RED test_x.py::test_x*"])


def test_the_command_line_phase_wins_over_the_environment(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 0\n")
    monkeypatch.setenv("PYTEST_TDD_PHASE", "green")
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == pytest.ExitCode.OK


def test_an_unknown_red_accept_kind_is_a_usage_error(tdd: pytest.Pytester) -> None:
    tdd.makeini("[pytest]\ntdd_red_accept = assertion typo-kind\n")
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini tdd_red_accept: unknown kind 'typo-kind'*"])


def test_adopt_and_a_phase_together_are_a_usage_error(tdd: pytest.Pytester) -> None:
    result = tdd.runpytest("--tdd-adopt", "--tdd-phase=green")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--tdd-adopt * cannot be combined with the green phase*"])


def test_without_a_phase_nothing_is_recorded_or_judged(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 1\n")
    result = tdd.runpytest()
    assert result.ret == pytest.ExitCode.OK
    assert not (tdd.path / EVIDENCE).exists()
    result.stdout.no_fnmatch_line("tdd: *")
    result.stdout.no_fnmatch_line("*= tdd =*")


def test_a_run_without_a_phase_imports_only_the_plugins_options(tdd: pytest.Pytester) -> None:
    # Installed, the plugin is loaded into every pytest run; one without a phase (the
    # everyday run) must not pay for importing the modules that judge and record.
    tdd.makeconftest(
        """
        import sys

        def pytest_unconfigure(config):
            loaded = sorted(m for m in sys.modules if m.startswith("pytest_tdd."))
            print("loaded:", " ".join(loaded))
        """
    )
    tdd.makepyfile(test_x="def test_x():\n    assert 1\n")
    result = tdd.runpytest_subprocess("-s")
    assert result.ret == pytest.ExitCode.OK
    line = next(text for text in result.outlines if text.startswith("loaded:"))
    assert line.split()[1:] == ["pytest_tdd.plugin", "pytest_tdd.settings", "pytest_tdd.vocabulary"]


def test_the_plugin_can_be_disabled(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 1\n")
    result = tdd.runpytest("-p", "no:tdd", "--help")
    result.stdout.no_fnmatch_line("*--tdd-phase*")


def test_collect_only_records_nothing(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 0\n")
    result = tdd.runpytest("--tdd-phase=red", "--collect-only")
    assert result.ret == pytest.ExitCode.OK
    assert not (tdd.path / EVIDENCE).exists()


def test_the_state_file_can_be_set_in_the_ini_file(tdd: pytest.Pytester) -> None:
    tdd.makeini("[pytest]\ntdd_state_file = evidence/tdd.jsonl\n")
    tdd.mkdir("evidence")
    tdd.makepyfile(test_x="def test_x():\n    assert 0\n")
    tdd.runpytest("--tdd-phase=red")
    assert (tdd.path / "evidence" / "tdd.jsonl").is_file()
    assert not (tdd.path / EVIDENCE).exists()


def test_the_header_names_the_phase_and_the_evidence_file(tdd: pytest.Pytester) -> None:
    tdd.makepyfile(test_x="def test_x():\n    assert 0\n")
    result = tdd.runpytest("--tdd-phase=red")
    result.stdout.fnmatch_lines(["tdd: phase red, evidence in tdd-evidence.jsonl (a new file)"])


def test_a_lock_timeout_that_is_not_a_number_is_a_usage_error(tdd: pytest.Pytester) -> None:
    tdd.makeini("[pytest]\ntdd_lock_timeout = soon\n")
    result = tdd.runpytest("--tdd-phase=red")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini tdd_lock_timeout: 'soon' is not a number of seconds*"])
