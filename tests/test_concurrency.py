"""Two pytest runs at the same time against one evidence file keep each other's records."""

from __future__ import annotations

import subprocess
import sys

import pytest

from helpers import statuses

# Each run waits, once its tests start (so after it has read the evidence file), until
# the other run has started too: both read the file before either writes it, which is
# exactly when a last-writer-wins file would lose one run's records.
BARRIER = """
import os, pathlib, time
import pytest

@pytest.fixture(autouse=True, scope="session")
def both_runs_started():
    here = pathlib.Path(__file__).parent
    (here / f"started-{os.environ['RUN_NAME']}").touch()
    deadline = time.monotonic() + 60
    while not all((here / f"started-{name}").exists() for name in ("a", "b")):
        assert time.monotonic() < deadline, "the other run never started"
        time.sleep(0.05)
"""

TESTS = "\n\n".join(f"def test_{i}():\n    assert {i} < 0" for i in range(5))


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_two_runs_on_different_tests_at_once_both_keep_their_evidence(
    tdd: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: list[str]
) -> None:
    if workers:
        pytest.importorskip("xdist")
    tdd.makeconftest(BARRIER)
    tdd.makepyfile(test_a=TESTS, test_b=TESTS)
    runs = []
    for name in ("a", "b"):
        monkeypatch.setenv("RUN_NAME", name)
        runs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-p",
                    "no:cacheprovider",
                    "--tdd-phase=red",
                    f"test_{name}.py",
                    *workers,
                ],
                cwd=tdd.path,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], "\n".join(outputs)
    assert sorted(statuses(tdd)) == sorted(
        f"test_{name}.py::test_{i}" for name in ("a", "b") for i in range(5)
    )
