"""What pytest-tdd costs on large suites: wall time, peak memory, evidence file I/O.

For each suite size (``--sizes``, default 1000,10000,50000) the script writes a synthetic,
self-contained project into a temporary folder: trivial tests whose bodies all differ,
``--per-file`` test items per file (default 100, one parametrized function with four
cases in each file), a ``pytest.ini`` and nothing else (no conftest). It then runs
``pytest --tdd-adopt`` once, so that every test has legacy evidence, checks that the
evidence file holds one record per test (and stops if not), and times six variants:

* ``plain``: ``pytest -p no:tdd -q`` (the plugin disabled: the baseline);
* ``green``: ``pytest --tdd-phase=green -q`` (every test has evidence: exit status 0);
* ``red``: ``pytest --tdd-phase=red -q`` (nothing new to prove: exit status 1, expected);

each serially and with ``-n 2`` (pytest-xdist). The variants are interleaved, round after
round (plain, green, red, plain -n 2, green -n 2, red -n 2, then again), ``--repeat``
rounds (default 5), so that machine noise hits every variant alike. Every variant gets
``-p no:cacheprovider`` unless ``--keep-cache`` is given, so that no variant profits from
cache writes another one skips. The plugin's source is copied from the checkout at the
start and put first on ``PYTHONPATH`` (``--no-snapshot`` uses the installed one), so
that edits made to the checkout while the benchmark runs do not mix versions. The runs'
environment is the script's without the variables in ``CLEARED_ENV`` (``PYTEST_ADDOPTS``,
``PYTHONDONTWRITEBYTECODE``, ...).

Printed per size and variant: the median wall time (with min and max), the overhead
against the plain run of the same mode (serial or -n 2), and the peak resident memory
(``ru_maxrss`` from ``os.wait4``; with -n 2 that value is the largest of the controller
and its workers, so the controller's and the workers' own peaks are also sampled from
/proc while the run lasts). Then, in-process, the median time of
``pytest_tdd.evidence.load`` and ``save`` (and ``update``, where the module has one) on
the evidence file of the 50k-test suite (the largest size, if 50000 is not among them).
Finally the targets, and whether each was met: overhead at most 5% of wall time at 10k
and 50k tests, growing linearly; evidence load+save for 50k tests under 0.5 s.

Run it from the checkout, with the virtual environment that has the plugin installed::

    .venv/bin/python benchmarks/bench_overhead.py                         # the full run
    .venv/bin/python benchmarks/bench_overhead.py --sizes 1000 --repeat 1 # a quick check
    .venv/bin/python benchmarks/bench_overhead.py --keep                  # keep the projects

The exit status is 0 when every run behaved as expected (the targets are reported, not
enforced), 1 when a run or the evidence file did not (the output says which).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import inspect
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

TARGET_OVERHEAD = 0.05  # at most 5% of the plain run's wall time ...
TARGET_OVERHEAD_SIZES = (10_000, 50_000)  # ... at these sizes
LINEAR_SLACK = 0.02  # the overhead share may grow by 2 points from 10k to 50k (noise)
TARGET_EVIDENCE_SECONDS = 0.5  # evidence load + save for 50k tests
EVIDENCE_SIZE = 50_000
CASES = 4  # cases of the parametrized function in each file
SAMPLE_INTERVAL = 0.1  # seconds between /proc samples of an xdist run's processes
STATE_FILE = "tdd-evidence.jsonl"
# Variables that would change what pytest or the plugin does in the runs. Without
# PYTHONDONTWRITEBYTECODE the rewritten test modules are cached as .pyc files (by the
# adopt step), as on a developer's machine, instead of being rewritten in every run.
CLEARED_ENV = (
    "PYTHONDONTWRITEBYTECODE",
    "PYTEST_ADDOPTS",
    "PYTEST_PLUGINS",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
    "PYTEST_TDD_PHASE",
    "PYTEST_XDIST_AUTO_NUM_WORKERS",
)


# -- the synthetic suite ----------------------------------------------------------------

_BODIES = (
    "def test_{n}():\n    assert {n} + 1 == {n1}\n",
    'def test_{n}():\n    value = "{n}"\n    assert value.isdigit()\n',
    "def test_{n}():\n    items = [{n}] * 3\n    assert sum(items) == {n3}\n",
    "def test_{n}():\n    assert isinstance({n}, int)\n",
    "def test_{n}():\n    pair = ({n}, {n1})\n    assert pair[0] < pair[1]\n",
)


def _module(first: int, count: int) -> str:
    """One test file: ``count`` test items numbered from ``first``, each body unique."""
    parts = ["import pytest\n"]
    plain = count
    if count >= 2 * CASES:
        values = ", ".join(str(first + i) for i in range(CASES))
        parts.append(
            f'@pytest.mark.parametrize("value", [{values}])\n'
            f"def test_{first}_cases(value):\n    assert value >= {first}\n"
        )
        plain -= CASES
    for n in range(first + count - plain, first + count):
        body = _BODIES[n % len(_BODIES)]
        parts.append(body.format(n=n, n1=n + 1, n3=3 * n))
    return "\n\n".join(parts)


def generate(root: Path, size: int, per_file: int) -> int:
    """Write a project with ``size`` test items into ``root``; return the file count."""
    tests = root / "tests"
    tests.mkdir(parents=True)
    (root / "pytest.ini").write_text(
        "[pytest]\nconsole_output_style = classic\ntestpaths = tests\n", "utf-8"
    )
    files = 0
    for first in range(0, size, per_file):
        count = min(per_file, size - first)
        (tests / f"test_f{files:05d}.py").write_text(_module(first, count), "utf-8")
        files += 1
    return files


# -- running pytest ---------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    name: str
    args: tuple[str, ...]
    workers: int  # 0: serial
    expected_exit: int
    baseline: str  # the plain variant of the same mode

    @property
    def mode(self) -> str:
        return "serial" if self.workers == 0 else f"-n {self.workers}"


def variants(workers: int) -> list[Variant]:
    found: list[Variant] = []
    for count in (0, workers):
        suffix = "" if count == 0 else f" -n {count}"
        extra = () if count == 0 else ("-n", str(count))
        base = f"plain{suffix}"
        found += [
            Variant(base, ("-p", "no:tdd", "-q", *extra), count, 0, base),
            Variant(f"green{suffix}", ("--tdd-phase=green", "-q", *extra), count, 0, base),
            Variant(f"red{suffix}", ("--tdd-phase=red", "-q", *extra), count, 1, base),
        ]
    return found


@dataclass
class Run:
    seconds: float
    exit_code: int
    maxrss_kib: int  # ru_maxrss of the process and the children it reaped
    cpu_seconds: float = 0.0  # user + system CPU time of the process and its reaped children
    controller_kib: int | None = None  # sampled VmHWM, -n runs only
    workers_kib: int | None = None  # the largest worker's sampled VmHWM
    output: str = ""


class TreeSampler:
    """Samples the peak RSS (VmHWM) of a process and its children from /proc until stopped.

    VmHWM only grows, so the last sample of each process is close to its peak; a peak in
    the last ``SAMPLE_INTERVAL`` before a process exits can be missed."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    @staticmethod
    def _hwm(pid: int) -> int | None:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as stream:
                for line in stream:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            return None
        return None

    def _children(self) -> list[int]:
        found: list[int] = []
        try:
            tasks = os.listdir(f"/proc/{self.pid}/task")
        except OSError:
            return found
        for task in tasks:
            try:
                with open(f"/proc/{self.pid}/task/{task}/children", encoding="ascii") as stream:
                    found += [int(pid) for pid in stream.read().split()]
            except (OSError, ValueError):
                continue
        return found

    def _loop(self) -> None:
        while not self._stop.is_set():
            for pid in [self.pid, *self._children()]:
                hwm = self._hwm(pid)
                if hwm is not None:
                    self.peaks[pid] = max(hwm, self.peaks.get(pid, 0))
            self._stop.wait(SAMPLE_INTERVAL)

    def stop(self) -> tuple[int | None, int | None]:
        """The controller's peak and the largest child's peak, in KiB."""
        self._stop.set()
        self._thread.join()
        children = [kib for pid, kib in self.peaks.items() if pid != self.pid]
        return self.peaks.get(self.pid), max(children, default=None)


def run_pytest(
    args: Sequence[str], cwd: Path, env: dict[str, str], log: Path, timeout: float, sample: bool
) -> Run:
    """Run pytest in ``cwd``; time it and read its peak RSS from ``os.wait4``."""
    command = [sys.executable, "-m", "pytest", *args]
    with log.open("wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=out)
        sampler = TreeSampler(process.pid) if sample else None
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # Ctrl-C or SIGTERM: stop pytest before the folder goes
            process.kill()
            process.wait()
            raise
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    controller, workers = sampler.stop() if sampler is not None else (None, None)
    return Run(
        seconds,
        process.returncode,
        usage.ru_maxrss,
        usage.ru_utime + usage.ru_stime,
        controller,
        workers,
        log.read_text("utf-8", errors="replace"),
    )


def passed_count(output: str) -> int | None:
    found = re.findall(r"(\d+) passed", output)
    return int(found[-1]) if found else None


def tdd_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("tdd")]


def tail(output: str, lines: int = 15) -> str:
    return "\n".join("    | " + line for line in output.splitlines()[-lines:])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "(missing)"


CHECKOUT = Path(__file__).resolve().parents[1]


def snapshot_plugin(root: Path) -> tuple[Path, str]:
    """Copy the checkout's ``src/pytest_tdd`` into ``root``, to be imported instead of the
    installed (editable) one: every run then measures the same code, even when the
    checkout is edited meanwhile. Returns the folder to put on the path and a description."""
    source = CHECKOUT / "src" / "pytest_tdd"
    if not (source / "plugin.py").is_file():
        raise SystemExit(f"no plugin source at {source}: run with --no-snapshot")
    target = root / "plugin-src"
    shutil.copytree(source, target / "pytest_tdd", ignore=shutil.ignore_patterns("__pycache__"))
    files = sorted((target / "pytest_tdd").glob("*.py"))
    hashed = hashlib.sha256(b"".join(f.name.encode() + f.read_bytes() for f in files))

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=CHECKOUT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else "?"

    dirty = git("status", "--porcelain", "--", "src/pytest_tdd")
    state = "with uncommitted changes" if dirty else "clean"
    described = (
        f"snapshot of {source} taken at start (git HEAD {git('rev-parse', '--short', 'HEAD')}, "
        f"src/pytest_tdd {state}; sha256 of its files {hashed.hexdigest()[:12]})"
    )
    return target, described


# -- evidence file I/O ------------------------------------------------------------------


def median_seconds(action: Callable[[], object], repeat: int, before: Callable[[], None]) -> float:
    times: list[float] = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@dataclass
class EvidenceTiming:
    tests: int
    records: int
    size_bytes: int
    load: float
    save: float
    dumps: float
    update: float | None
    update_note: str


def time_evidence(source: Path, tests: int, workdir: Path, repeat: int) -> EvidenceTiming:
    """Median times of ``load``, ``save`` (and ``update``) on a copy of ``source``."""
    from pytest_tdd import evidence

    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / STATE_FILE

    def restore() -> None:
        shutil.copyfile(source, copy)

    restore()
    ledger = evidence.load(copy)
    records = sum(len(candidates) for candidates in ledger.values())
    load = median_seconds(lambda: evidence.load(copy), repeat, restore)
    save = median_seconds(lambda: evidence.save(copy, ledger), repeat, restore)
    dumps = median_seconds(lambda: evidence.dumps(ledger), repeat, lambda: None)
    loaded_again = evidence.load(copy)
    if loaded_again != ledger:
        raise SystemExit(f"evidence.save then evidence.load changed the ledger ({copy})")

    update_time: float | None = None
    update: object = getattr(evidence, "update", None)
    if not callable(update):
        note = "pytest_tdd.evidence has no update(): not timed"
    else:
        nodeid = min(ledger)
        record = ledger[nodeid][0]
        calls = iter(range(repeat))

        def one_update() -> object:
            changed = dataclasses.replace(
                record, status="green", kind="assertion", message=f"bench {next(calls)}"
            )
            return update(copy, evidence.Changes(put={nodeid: changed}))

        signature = inspect.signature(update)
        try:
            signature.bind(copy, evidence.Changes())
        except TypeError:
            note = f"update{signature} not timed: cannot call it as update(path, changes)"
        else:
            update_time = median_seconds(one_update, repeat, restore)
            note = f"update{signature}, one changed record"
    return EvidenceTiming(
        tests, records, source.stat().st_size, load, save, dumps, update_time, note
    )


# -- the measurement --------------------------------------------------------------------


@dataclass
class SizeResult:
    size: int
    files: int
    runs: dict[str, list[Run]] = field(default_factory=dict)
    first_output: dict[str, str] = field(default_factory=dict)
    adopt_seconds: float = 0.0

    def median(self, name: str) -> float:
        return statistics.median(run.seconds for run in self.runs[name])

    def overhead(self, variant: Variant) -> float:
        return self.median(variant.name) / self.median(variant.baseline) - 1

    def cpu_median(self, name: str) -> float:
        return statistics.median(run.cpu_seconds for run in self.runs[name])

    def cpu_overhead(self, variant: Variant) -> float:
        """The overhead in CPU time, which other work on a shared machine disturbs less."""
        return self.cpu_median(variant.name) / self.cpu_median(variant.baseline) - 1


def mib(kib: float | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f}"


@contextmanager
def workspace(keep: bool) -> Iterator[Path]:
    if keep:
        path = Path(tempfile.mkdtemp(prefix="pytest-tdd-bench-"))
        print(f"projects kept in {path} (--keep): remove it when done")
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="pytest-tdd-bench-") as name:
        yield Path(name)


class Bench:
    def __init__(self, options: argparse.Namespace, root: Path, plugin_path: Path | None) -> None:
        self.options = options
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
        if plugin_path is not None:
            self.env["PYTHONPATH"] = os.pathsep.join(
                [str(plugin_path), *filter(None, [os.environ.get("PYTHONPATH")])]
            )
        self.common = () if options.keep_cache else ("-p", "no:cacheprovider")
        self.variants = variants(options.workers)
        imported = subprocess.run(
            [sys.executable, "-c", "import pytest_tdd.plugin as p; print(p.__file__)"],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if plugin_path is not None and not imported.startswith(str(plugin_path)):
            raise SystemExit(f"the runs would import {imported!r}, not the snapshot")
        self.imported = imported
        self.problems: list[str] = []

    def problem(self, text: str) -> None:
        self.problems.append(text)
        print(f"!!! {text}", flush=True)

    def check(self, variant: Variant, run: Run, size: int, where: str) -> None:
        passed = passed_count(run.output)
        if run.exit_code != variant.expected_exit or passed != size:
            self.problem(
                f"{where}: exit status {run.exit_code} (expected {variant.expected_exit}), "
                f"{passed} passed (expected {size}); end of its output:\n{tail(run.output)}"
            )

    def measure(self, size: int) -> SizeResult:
        project = self.root / f"suite-{size}"
        logs = self.root / "logs"
        logs.mkdir(exist_ok=True)
        start = time.perf_counter()
        files = generate(project, size, self.options.per_file)
        print(
            f"\n== {size} tests in {files} files: generated in "
            f"{time.perf_counter() - start:.2f} s ({project})",
            flush=True,
        )
        result = SizeResult(size, files)
        state = project / STATE_FILE
        adopt = run_pytest(
            ["--tdd-adopt", "-q", *self.common],
            project,
            self.env,
            logs / f"{size}-adopt.log",
            self.options.timeout,
            sample=False,
        )
        result.adopt_seconds = adopt.seconds
        print(
            f"adopt: {adopt.seconds:.2f} s, exit {adopt.exit_code}; "
            + " / ".join(tdd_lines(adopt.output)),
            flush=True,
        )
        self.check_evidence(state, size, adopt)
        pristine = self.root / f"evidence-{size}.jsonl"
        shutil.copyfile(state, pristine)
        expected_digest = digest(state)

        for round_number in range(1, self.options.repeat + 1):
            for variant in self.variants:
                where = f"{size} tests, {variant.name}, round {round_number}"
                run = run_pytest(
                    [*variant.args, *self.common],
                    project,
                    self.env,
                    logs / f"{size}-{variant.name.replace(' ', '')}-{round_number}.log",
                    self.options.timeout,
                    sample=variant.workers > 0,
                )
                result.runs.setdefault(variant.name, []).append(run)
                result.first_output.setdefault(variant.name, run.output)
                self.check(variant, run, size, where)
                if digest(state) != expected_digest:
                    self.problem(
                        f"{where}: the run changed the evidence file; restored from the "
                        "copy taken after the adopt step"
                    )
                    shutil.copyfile(pristine, state)
                run.output = ""  # keep memory flat; the log file has it
            line = "  ".join(
                f"{v.name} {result.runs[v.name][-1].seconds:.2f}" for v in self.variants
            )
            print(f"round {round_number}: {line}", flush=True)
        return result

    def check_evidence(self, state: Path, size: int, adopt: Run) -> None:
        """Fail loudly unless the adopt step left exactly one record per test."""
        if adopt.exit_code != 0 or not state.exists():
            raise SystemExit(
                f"FAILED: the adopt step exited {adopt.exit_code} and left "
                f"{'a' if state.exists() else 'no'} {state}:\n{tail(adopt.output)}"
            )
        lines = [line for line in state.read_text("utf-8").splitlines()[1:] if line.strip()]
        records = [json.loads(line) for line in lines]
        ids = {record.get("id") for record in records if isinstance(record, dict)}
        if len(lines) != size or len(ids) != size:
            raise SystemExit(
                f"FAILED: the evidence file {state} has {len(lines)} records for "
                f"{len(ids)} ids after the adopt step; there are {size} tests "
                "(rerun with --keep to inspect it)"
            )
        print(f"evidence file: {len(lines)} records, one per test (checked)", flush=True)


# -- output -----------------------------------------------------------------------------


def print_size(result: SizeResult, bench: Bench) -> None:
    print(
        f"\n-- {result.size} tests, {result.files} files, "
        f"{len(result.runs[bench.variants[0].name])} runs per variant "
        f"(adopt step: {result.adopt_seconds:.2f} s)"
    )
    print(
        f"{'variant':<12} {'median s':>9} {'min-max s':>13} {'overhead':>9} "
        f"{'ms/1k tests':>11} {'cpu s':>7} {'cpu +':>7} {'peak RSS MiB':>12}  "
        f"{'-n: controller / worker MiB':<28}"
    )
    for variant in bench.variants:
        runs = result.runs[variant.name]
        seconds = [run.seconds for run in runs]
        median = result.median(variant.name)
        cpu = f"{result.cpu_median(variant.name):.2f}"
        if variant.name == variant.baseline:
            overhead = "-"
            per_k = "-"
            cpu_extra = "-"
        else:
            cpu_extra = f"{result.cpu_overhead(variant):+.1%}"
            extra = median - result.median(variant.baseline)
            overhead = f"{result.overhead(variant):+.1%}"
            per_k = f"{extra / result.size * 1000 * 1000:+.1f}"
        rss = statistics.median(run.maxrss_kib for run in runs)
        split = ""
        if variant.workers:
            controllers = [r.controller_kib for r in runs if r.controller_kib is not None]
            workers = [r.workers_kib for r in runs if r.workers_kib is not None]
            split = (
                f"{mib(statistics.median(controllers) if controllers else None)} / "
                f"{mib(statistics.median(workers) if workers else None)}"
            )
        print(
            f"{variant.name:<12} {median:>9.2f} {min(seconds):>6.2f}-{max(seconds):<6.2f} "
            f"{overhead:>9} {per_k:>11} {cpu:>7} {cpu_extra:>7} {mib(rss):>12}  {split:<28}"
        )
    for name in ("green", "red"):
        lines = tdd_lines(result.first_output.get(name, ""))
        if lines:
            print(f"  {name} run says: {' / '.join(lines)}")


def print_targets(results: list[SizeResult], bench: Bench, timing: EvidenceTiming | None) -> None:
    print("\n== targets")
    by_size = {result.size: result for result in results}
    judged = [v for v in bench.variants if v.name != v.baseline]
    for size in TARGET_OVERHEAD_SIZES:
        if size not in by_size:
            print(f"overhead <= {TARGET_OVERHEAD:.0%} at {size} tests: NOT MEASURED (size not run)")
            continue
        parts = []
        for variant in judged:
            overhead = by_size[size].overhead(variant)
            verdict = "met" if overhead <= TARGET_OVERHEAD else "MISSED"
            parts.append(f"{variant.name} {overhead:+.1%} {verdict}")
        met = all(by_size[size].overhead(v) <= TARGET_OVERHEAD for v in judged)
        print(
            f"overhead <= {TARGET_OVERHEAD:.0%} of wall time at {size} tests: "
            f"{'MET' if met else 'NOT MET'} ({'; '.join(parts)})"
        )
        cpu = "; ".join(f"{v.name} {by_size[size].cpu_overhead(v):+.1%}" for v in judged)
        print(f"  (for comparison, in CPU time, less disturbed by other work: {cpu})")
    small, large = TARGET_OVERHEAD_SIZES[0], max(by_size)
    if small in by_size and large > small:
        parts = []
        linear = True
        for variant in judged:
            before, after = by_size[small].overhead(variant), by_size[large].overhead(variant)
            ok = after <= before + LINEAR_SLACK
            linear &= ok
            parts.append(f"{variant.name} {before:+.1%} -> {after:+.1%}{'' if ok else ' GROWS'}")
        print(
            f"overhead growing linearly ({small} -> {large} tests; plain pytest is linear, so "
            f"the overhead's share may not grow by more than {LINEAR_SLACK * 100:.0f} points): "
            f"{'MET' if linear else 'NOT MET'} ({'; '.join(parts)})"
        )
    else:
        print(f"overhead growing linearly: NOT MEASURED (needs {small} and a larger size)")
    if timing is None:
        print("evidence load+save: NOT MEASURED")
        return
    total = timing.load + timing.save
    label = f"{timing.tests} tests" + (
        "" if timing.tests == EVIDENCE_SIZE else f" (not {EVIDENCE_SIZE}: the largest size run)"
    )
    met = total < TARGET_EVIDENCE_SECONDS
    print(
        f"evidence load+save under {TARGET_EVIDENCE_SECONDS} s for {label}: "
        f"{'MET' if met else 'NOT MET'} ({total:.3f} s = load {timing.load:.3f} s "
        f"+ save {timing.save:.3f} s)"
    )


def print_evidence(timing: EvidenceTiming, repeat: int) -> None:
    print(
        f"\n== evidence file I/O, in-process, median of {repeat}: {timing.records} records "
        f"for {timing.tests} tests, {timing.size_bytes / 1e6:.2f} MB"
    )
    print(f"load(path)           {timing.load:.3f} s")
    print(f"save(path, ledger)   {timing.save:.3f} s")
    print(f"  dumps(ledger) alone {timing.dumps:.3f} s (timed apart: not a share of save)")
    print(f"load + save          {timing.load + timing.save:.3f} s")
    shown = "-" if timing.update is None else f"{timing.update:.3f} s"
    print(f"update               {shown} ({timing.update_note})")


def sizes(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive integers: {text!r}")
    return values


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--sizes", type=sizes, default="1000,10000,50000", help="suite sizes, in tests"
    )
    parser.add_argument("--per-file", type=positive, default=100, help="test items per file")
    parser.add_argument("--repeat", type=positive, default=5, help="timed runs per variant")
    parser.add_argument("--workers", type=positive, default=2, help="the -n of the xdist runs")
    parser.add_argument(
        "--keep-cache",
        action="store_true",
        help="leave pytest's cacheprovider on; without it every run gets -p no:cacheprovider",
    )
    parser.add_argument(
        "--evidence-repeat", type=positive, default=7, help="calls per evidence I/O timing"
    )
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds before a pytest run is killed"
    )
    parser.add_argument(
        "--no-snapshot",
        action="store_true",
        help="import the installed pytest_tdd instead of a copy of the checkout's src taken "
        "at the start",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    return parser.parse_args(argv)


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # so that the temporary folder is removed


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    import pytest

    started = time.perf_counter()
    print("pytest-tdd overhead benchmark")
    print(f"command:  {shlex.join([sys.executable, *sys.argv])}")
    print(f"machine:  {os.cpu_count()} cores (os.cpu_count()), {platform.platform()}")
    print(f"python:   {platform.python_version()} ({sys.executable})")
    try:
        xdist_version = metadata.version("pytest-xdist")
    except metadata.PackageNotFoundError:
        raise SystemExit("pytest-xdist is not installed: the -n variants cannot run") from None
    print(f"pytest:   {pytest.__version__}, pytest-xdist {xdist_version}")
    print(
        f"sizes:    {', '.join(map(str, options.sizes))} tests, {options.per_file} per file; "
        f"{options.repeat} rounds, variants interleaved"
    )
    cache = (
        "ON in every run (--keep-cache)"
        if options.keep_cache
        else "OFF in every run (-p no:cacheprovider; --keep-cache leaves it on)"
    )
    print(f"cache:    pytest's cacheprovider {cache}")
    print(f"env:      cleared for the runs: {', '.join(CLEARED_ENV)}")
    print(
        f"targets:  overhead <= {TARGET_OVERHEAD:.0%} of wall time at "
        f"{' and '.join(map(str, TARGET_OVERHEAD_SIZES))} tests, growing linearly; "
        f"evidence load+save < {TARGET_EVIDENCE_SECONDS} s for {EVIDENCE_SIZE} tests"
    )
    print(
        "memory:   peak RSS = ru_maxrss from os.wait4: for -n runs the largest of the "
        "controller and its workers; their own peaks are sampled from /proc (VmHWM)"
    )

    results: list[SizeResult] = []
    timing: EvidenceTiming | None = None
    with workspace(options.keep) as root:
        plugin_path: Path | None = None
        if options.no_snapshot:
            described = "as installed (--no-snapshot): edits to the checkout during the run count"
        else:
            plugin_path, described = snapshot_plugin(root)
            sys.path.insert(0, str(plugin_path))  # the in-process evidence timing, too
        import pytest_tdd

        print(f"plugin:   {Path(pytest_tdd.__file__).parent}, {described}")
        bench = Bench(options, root, plugin_path)
        print(f"          the pytest runs import {bench.imported}")
        print("runs:     pytest " + " ".join(["--tdd-adopt -q", *bench.common]) + " (once)")
        for variant in bench.variants:
            print(f"          pytest {shlex.join([*variant.args, *bench.common])}")
        for size in options.sizes:
            results.append(bench.measure(size))
            print_size(results[-1], bench)
        evidence_size = EVIDENCE_SIZE if EVIDENCE_SIZE in options.sizes else max(options.sizes)
        timing = time_evidence(
            root / f"evidence-{evidence_size}.jsonl",
            evidence_size,
            root / "evidence-io",
            options.evidence_repeat,
        )
        print_evidence(timing, options.evidence_repeat)

        print("\n== summary")
        for result in results:
            print_size(result, bench)
        print_targets(results, bench, timing)
        if bench.problems:
            print(f"\n{len(bench.problems)} run(s) did not behave as expected:")
            for text in bench.problems:
                print(f"  - {text.splitlines()[0]}")
        print(f"\ntotal time: {time.perf_counter() - started:.0f} s")
        return 1 if bench.problems else 0


if __name__ == "__main__":
    sys.exit(main())
