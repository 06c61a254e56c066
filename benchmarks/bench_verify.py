"""Benchmark: the time ``--tdd-verify`` adds to a pytest run.

Builds a throw-away git repository: a package ``bigpkg`` (one module per test file) and
``--tests`` trivial tests (``--per-file`` per file, bodies all different), committed on
``main``; then, on branch ``feature``, a change that adds ``--new`` tests (spread over two
existing test files, so the base has to collect those files) and the functions that make
them pass (absent on the base: each new test is red there, ``missing-api``). Then it
times, alternating the order round by round:

(a) ``pytest -q -p no:cacheprovider`` (the plugin loaded, nothing asked of it);
(b) the same with ``--tdd-verify --tdd-base=main``;

and prints each round, the medians, the difference (what verify adds) and the verify
section's own ``seconds``; it checks that verify proved every new test red. The plugin's
source is copied from the checkout first and put on ``PYTHONPATH``, so that edits made
meanwhile do not mix versions. Usage::

    python benchmarks/bench_verify.py --tests 10000 --new 20 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(cwd: Path, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode not in ok:
        raise SystemExit(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return done


def copy_plugin(tmp: Path) -> None:
    """Run the plugin as it is now, whatever is edited in the checkout meanwhile."""
    source = Path(__file__).resolve().parent.parent / "src" / "pytest_tdd"
    shutil.copytree(source, tmp / "plugin" / "pytest_tdd")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(tmp / "plugin"), os.environ.get("PYTHONPATH")) if p
    )


def isolate_git(home: Path) -> None:
    """Keep the user's git configuration out of the benchmark's repository."""
    config = home / "gitconfig"
    config.write_text("[user]\n\tname = Bench\n\temail = bench@example.invalid\n", "utf-8")
    os.environ.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(config))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "PYTEST_ADDOPTS"):
        os.environ.pop(name, None)


def test_source(index: int, per_file: int) -> str:
    tests = "".join(
        f"\n\ndef test_{index}_{n}():\n    assert m{index}.base({n}) == {n + index}\n"
        for n in range(per_file)
    )
    return f"from bigpkg import m{index}\n{tests}"


def build(repo: Path, tests: int, per_file: int, new: int) -> None:
    package = repo / "src" / "bigpkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", "utf-8")
    (repo / "tests").mkdir()
    (repo / "pytest.ini").write_text("[pytest]\npythonpath = src\n", "utf-8")
    (repo / ".gitignore").write_text("__pycache__/\n*.json\n", "utf-8")
    files = max(1, tests // per_file)
    for i in range(files):
        (package / f"m{i}.py").write_text(f"def base(x):\n    return x + {i}\n", "utf-8")
        (repo / "tests" / f"test_m{i}.py").write_text(test_source(i, per_file), "utf-8")
    run(repo, "git", "init", "-q", "-b", "main")
    run(repo, "git", "add", "-A")
    run(repo, "git", "commit", "-q", "-m", "base")
    run(repo, "git", "switch", "-q", "-c", "feature")
    for n in range(new):
        i = n % 2  # two test files get the new tests
        module = package / f"m{i}.py"
        module.write_text(module.read_text("utf-8") + f"\n\ndef new{n}(x):\n    return x * {n}\n")
        test = repo / "tests" / f"test_m{i}.py"
        body = f"\n\ndef test_new_{n}():\n    assert m{i}.new{n}(2) == {2 * n}\n"
        test.write_text(test.read_text("utf-8") + body, "utf-8")


def timed(repo: Path, verify: bool) -> tuple[float, dict[str, object] | None]:
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    if verify:
        args += ["--tdd-verify", "--tdd-base=main", "--tdd-json=verify.json"]
    start = time.perf_counter()
    run(repo, *args)
    seconds = time.perf_counter() - start
    if not verify:
        return seconds, None
    section: dict[str, object] = json.loads((repo / "verify.json").read_text("utf-8"))["verify"]
    return seconds, section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=10000, help="tests in the suite (10000)")
    parser.add_argument("--per-file", type=int, default=100, help="tests per file (100)")
    parser.add_argument("--new", type=int, default=20, help="tests the change adds (20)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (a) and (b) (3)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        repo = Path(tmp) / "repo"
        isolate_git(Path(tmp))
        copy_plugin(Path(tmp))
        build(repo, options.tests, options.per_file, options.new)
        print(f"built {options.tests} tests, the change adds {options.new}")
        times: dict[bool, list[float]] = {False: [], True: []}
        inside: list[float] = []
        for round_ in range(options.rounds):
            order = (False, True) if round_ % 2 == 0 else (True, False)
            for verify in order:
                seconds, section = timed(repo, verify)
                times[verify].append(seconds)
                if section is not None:
                    tests = section["tests"]
                    assert isinstance(tests, dict)
                    red = [n for n, e in tests.items() if e["verdict"] == "red"]
                    if len(red) != options.new or len(tests) != options.new:
                        raise SystemExit(f"verify proved {len(red)} of {options.new}: {tests}")
                    inside.append(float(section["seconds"]))  # type: ignore[arg-type]
            print(
                f"round {round_ + 1}: (a) plain {times[False][-1]:.2f} s"
                f"  (b) --tdd-verify {times[True][-1]:.2f} s (verify {inside[-1]:.2f} s)"
            )
        plain, verified = statistics.median(times[False]), statistics.median(times[True])
        own = statistics.median(inside)
        print(f"(a) plain:        median {plain:.2f} s")
        print(f"(b) --tdd-verify: median {verified:.2f} s")
        print(f"verify adds {verified - plain:.2f} s (its own timing: median {own:.2f} s)")


if __name__ == "__main__":
    main()
