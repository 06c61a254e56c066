"""A full red -> green cycle on examples/calculator, narrated.

Run it with ``python tasks.py demo`` from the checkout (it installs what it needs), or
with any Python that has pytest-tdd installed: ``python examples/demo.py``. It works on a
copy of the example in a temporary folder and leaves the checkout untouched.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent / "calculator"
STEPS = EXAMPLE / "steps"


def say(text: str) -> None:
    print(f"\n### {text}", flush=True)


def pytest(project: Path, *args: str, expect: int) -> bool:
    """Run pytest in the project, show its output, and check its exit status."""
    command = ["pytest", *args]
    print(f"$ {' '.join(command)}", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    print(done.stdout.rstrip())
    ok = done.returncode == expect
    print(f"-> exit status {done.returncode} ({'as expected' if ok else f'expected {expect}'})")
    return ok


def run(project: Path) -> bool:
    test_file = project / "tests" / "test_calculator.py"
    results = []

    say("An existing project adopts pytest-tdd: its passing test becomes legacy evidence.")
    results.append(pytest(project, "--tdd-adopt", "-q", expect=0))

    say("Red: a test for add(), written before add() exists, must fail for the right reason.")
    shutil.copy(STEPS / "step1_test_add.py", test_file)
    results.append(pytest(project, "--tdd-phase=red", "-q", expect=0))

    say("Green: add() is implemented; the test that was seen failing may now pass.")
    shutil.copy(STEPS / "step2_calculator.py", project / "calculator.py")
    results.append(pytest(project, "--tdd-phase=green", "-q", expect=0))

    say("A test written after the code passes at once: the green gate refuses it (never-red).")
    shutil.copy(STEPS / "step3_test_after_the_fact.py", test_file)
    results.append(pytest(project, "--tdd-phase=green", "-q", expect=1))

    say("The evidence file, to commit with the code:")
    print((project / "tdd-evidence.jsonl").read_text().rstrip())
    return all(results)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="pytest-tdd-demo-") as folder:
        project = Path(folder) / "calculator"
        shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("steps", "__pycache__"))
        ok = run(project)
    print(
        "\ndemo: every step behaved as described"
        if ok
        else "\ndemo: a step did not behave as described"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
