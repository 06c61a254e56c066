"""What pytest-tdd costs a small run: the fixed cost that a single-test TDD loop pays.

``bench_overhead.py`` measures the cost per test on large suites; this script measures what
every run pays once, on a project of ``--tests`` trivial tests with their evidence:

* ``plain``: ``pytest -p no:tdd``, the baseline;
* ``installed``: ``pytest`` without a phase, the plugin merely installed (the everyday run
  of a project that uses it);
* ``green``: ``pytest --tdd-phase=green`` on the whole project;
* ``green one``: ``pytest --tdd-phase=green tests/test_calc.py::test_0``, the loop's run.

All with ``-p no:cacheprovider`` (a fresh checkout). By default each variant runs
``--rounds`` times, alternating, and the script prints the median CPU time (user + system,
``os.wait4``) and its overhead against ``plain``. With ``--instructions`` each variant runs
once under ``valgrind --tool=cachegrind --cache-sim=no`` with ``PYTHONHASHSEED=0``, and the
script prints the instructions executed: a count that other load on the machine does not
move (two runs of one variant differ by less than 0.01%), at about 40 times the run time.

Usage, from the checkout::

    .venv/bin/python benchmarks/bench_startup.py --rounds 9
    .venv/bin/python benchmarks/bench_startup.py --instructions
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench_overhead import CLEARED_ENV  # the same clean environment as the suite runs

COLD = ("-p", "no:cacheprovider", "-p", "no:randomly")
VARIANTS = {
    "plain": ("-p", "no:tdd"),
    "installed": (),
    "green": ("--tdd-phase=green",),
    "green one": ("--tdd-phase=green", "tests/test_calc.py::test_0"),
}


def make_project(root: Path, tests: int) -> None:
    (root / "tests").mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n", "utf-8")
    (root / "calc.py").write_text("def add(a, b):\n    return a + b\n", "utf-8")
    body = "\n\n".join(
        f"def test_{n}():\n    assert calc.add({n}, 1) == {n + 1}\n" for n in range(tests)
    )
    (root / "tests" / "test_calc.py").write_text(f"import calc\n\n\n{body}", "utf-8")


def pytest_command(args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", *COLD, *args]


def cpu_time(root: Path, env: dict[str, str], args: Sequence[str]) -> float:
    process = subprocess.Popen(
        pytest_command(args), cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    error = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"pytest {' '.join(args)} failed:\n{error.decode(errors='replace')}")
    return usage.ru_utime + usage.ru_stime


def instructions(root: Path, env: dict[str, str], args: Sequence[str]) -> int:
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    done = subprocess.run(
        [*command, *pytest_command(args)],
        cwd=root,
        env={**env, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind pytest {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tests", type=int, default=20, help="tests in the project")
    parser.add_argument("--rounds", type=int, default=9, help="alternating rounds (CPU time)")
    parser.add_argument("--instructions", action="store_true", help="count under valgrind")
    options = parser.parse_args(argv)
    if options.instructions and shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind on PATH")
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    with tempfile.TemporaryDirectory(prefix="tdd-startup-") as folder:
        root = Path(folder)
        make_project(root, options.tests)
        cpu_time(root, env, ["--tdd-adopt"])  # the evidence, and every bytecode cache
        for args in VARIANTS.values():
            cpu_time(root, env, args)
        figures: dict[str, float] = {}
        if options.instructions:
            for name, args in VARIANTS.items():
                figures[name] = instructions(root, env, args)
            unit, scale = "M instructions", 1e-6
        else:
            samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
            for round_number in range(options.rounds):
                order = list(VARIANTS) if round_number % 2 == 0 else list(reversed(VARIANTS))
                for name in order:
                    samples[name].append(cpu_time(root, env, VARIANTS[name]))
            figures = {name: statistics.median(values) for name, values in samples.items()}
            unit, scale = "ms CPU (median)", 1e3
    base = figures["plain"]
    print(f"{options.tests} tests, Python {sys.version.split()[0]}")
    for name, value in figures.items():
        extra = value - base
        change = f"{extra * scale:+8.1f} ({extra / base:+.1%})"
        print(f"{name:10s} {value * scale:10.1f} {unit}  {change}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
