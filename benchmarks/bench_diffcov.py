"""Benchmark: diff coverage in-process (gitdiff + diffcov) against coverage xml + diff-cover.

Builds a throw-away git repository with ``--files`` modules. Each module has a base commit
on ``main`` and a feature commit that appends functions of five statement lines each (about
50 changed statement lines per module); one test calls half of those functions, taking one
branch of each. Coverage is measured once (``pytest --cov --cov-branch``); then, in the same
run and on the same data, the script times alternately and repeatedly:

(a) in-process: ``resolve_base`` + ``changed_lines`` + loading the data + ``measure``;
(b) ``coverage xml`` + ``diff-cover --branch-coverage --format json`` (two processes).

It prints each round, the medians and the ratio (b)/(a), and checks that both found the same
number of changed statements and violations. ``--unchanged`` adds modules that exist on
``main`` and are executed but not changed, to show what a small change in a big project
costs. Usage (2,000 changed modules; then 20 changed modules in a 2,000-module project)::

    python benchmarks/bench_diffcov.py --files 2000 --rounds 3
    python benchmarks/bench_diffcov.py --files 20 --unchanged 1980 --rounds 3

Nearly all of (a) is coverage.py's static analysis of each changed file (tokenize, AST,
bytecode, possible arcs), the work ``coverage xml`` also does for every measured file.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import coverage

from pytest_tdd import diffcov, gitdiff

FUNCTIONS = 10  # appended per module: 10 functions x 5 statement lines = 50 changed lines


def run(cwd: Path, *args: str) -> None:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )


def isolate_git(home: Path) -> None:
    """Keep the user's git configuration out of the benchmark's repository."""
    config = home / "gitconfig"
    config.write_text("[user]\n\tname = Bench\n\temail = bench@example.invalid\n", "utf-8")
    os.environ.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(config))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "COVERAGE_FILE", "COVERAGE_RCFILE"):
        os.environ.pop(name, None)


def base_source(index: int) -> str:
    return f'"""Module {index}."""\n\nVALUE = {index}\n\n\ndef base(x):\n    return x + VALUE\n'


def feature_source(index: int) -> str:
    functions = (
        f"\n\ndef f{n}(x):\n    if x > 0:\n        y = x + {n}\n        return y\n    return -x\n"
        for n in range(FUNCTIONS)
    )
    return base_source(index) + "".join(functions)


def build(repo: Path, files: int, unchanged: int) -> None:
    package = repo / "src" / "bigpkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", "utf-8")
    (repo / "pytest.ini").write_text("[pytest]\npythonpath = src\n", "utf-8")
    (repo / ".gitignore").write_text(".coverage*\ncoverage.xml\n*.json\n__pycache__/\n", "utf-8")
    names = [f"m{i:05d}" for i in range(files)]
    still = [f"u{i:05d}" for i in range(unchanged)]
    for i, name in enumerate(names + still):
        (package / f"{name}.py").write_text(base_source(i), "utf-8")
    run(repo, "git", "init", "-q", "-b", "main")
    run(repo, "git", "add", "-A")
    run(repo, "git", "commit", "-q", "-m", "base")
    run(repo, "git", "switch", "-q", "-c", "feature")
    for i, name in enumerate(names):
        (package / f"{name}.py").write_text(feature_source(i), "utf-8")
    calls = "".join(f"        module.f{n}(1)\n" for n in range(0, FUNCTIONS, 2))
    (repo / "tests").mkdir()
    (repo / "tests" / "test_big.py").write_text(
        f"import importlib\n\nCHANGED = {names!r}\nUNCHANGED = {still!r}\n\n\n"
        "def test_half():\n"
        "    for name in CHANGED:\n"
        '        module = importlib.import_module(f"bigpkg.{name}")\n'
        f"{calls}"
        "    for name in UNCHANGED:\n"
        '        importlib.import_module(f"bigpkg.{name}").base(1)\n',
        "utf-8",
    )
    run(repo, "git", "add", "-A")
    run(repo, "git", "commit", "-q", "-m", "feature")


def in_process(repo: Path) -> tuple[int, int]:
    root = gitdiff.repository_root(repo)
    changed = gitdiff.changed_lines(root, gitdiff.resolve_base(root, "main"))
    cov = coverage.Coverage(data_file=str(repo / ".coverage"), config_file=False)
    cov.load()
    result = diffcov.measure(cov, changed, root)
    return result.num_lines, result.num_missing + result.num_partial


def with_diff_cover(repo: Path) -> tuple[int, int]:
    run(repo, sys.executable, "-m", "coverage", "xml", "-q", "-o", "coverage.xml")
    run(
        repo,
        *(sys.executable, "-m", "diff_cover.diff_cover_tool", "coverage.xml"),
        *("--compare-branch=main", "--branch-coverage", "--format=json:dc.json", "-q"),
    )
    report = json.loads((repo / "dc.json").read_text("utf-8"))
    return report["total_num_lines"], report["total_num_violations"]


def timed(action: Callable[[Path], tuple[int, int]], repo: Path) -> tuple[float, tuple[int, int]]:
    start = time.perf_counter()
    found = action(repo)
    return time.perf_counter() - start, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000, help="changed modules (2000)")
    parser.add_argument("--unchanged", type=int, default=0, help="unchanged modules (0)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (a) and (b) (3)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-diffcov-") as tmp:
        repo = Path(tmp) / "repo"
        isolate_git(Path(tmp))
        start = time.perf_counter()
        build(repo, options.files, options.unchanged)
        print(f"built {options.files} changed + {options.unchanged} unchanged modules")
        print(f"  in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        run(
            repo,
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:tdd", "-p", "no:cacheprovider"),
            *("--cov=src", "--cov-branch", "--cov-report="),
        )
        print(f"pytest --cov --cov-branch: {time.perf_counter() - start:.1f} s")
        os.chdir(repo)
        times: dict[str, list[float]] = {"a": [], "b": []}
        found: dict[str, tuple[int, int]] = {}
        actions = {"a": in_process, "b": with_diff_cover}
        for round_ in range(options.rounds):
            order = "ab" if round_ % 2 == 0 else "ba"
            for key in order:
                seconds, found[key] = timed(actions[key], repo)
                times[key].append(seconds)
            print(f"round {round_ + 1}: (a) {times['a'][-1]:.2f} s  (b) {times['b'][-1]:.2f} s")
        a, b = statistics.median(times["a"]), statistics.median(times["b"])
        print(f"(a) in-process changed_lines + measure: median {a:.2f} s")
        print(f"(b) coverage xml + diff-cover:          median {b:.2f} s")
        print(f"ratio (b)/(a): {b / a:.1f}")
        print(f"statements, violations: (a) {found['a']}  (b) {found['b']}")
        os.chdir(Path(tmp).parent)
        if found["a"] != found["b"]:
            raise SystemExit("the two ways disagree")


if __name__ == "__main__":
    main()
