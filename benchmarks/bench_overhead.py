"""What pytest-tdd costs on large suites, cold cache: wall time, CPU share, memory, evidence I/O.

For each size (``--sizes``, tests) the script writes a synthetic project (trivial tests,
``--per-file`` per file, bodies all different, one parametrized function per file), runs
``pytest --tdd-adopt`` once so that every test has evidence, then runs, alternating round
by round (the order reversed every other round), every variant ``--repeat`` times:

* ``plain``: ``pytest -p no:tdd`` (the baseline) and ``green``: ``pytest --tdd-phase=green``,
* each serially and with ``-n 2`` (``--workers``),

all with ``-p no:cacheprovider`` (a fresh CI checkout: no fingerprints cached, the
evidence file as committed, its file lines included), and ``green parse``: the same with
the evidence's file lines removed before each run (every test file parsed and
fingerprinted: a checkout whose test files all changed since the last run); with
``--warm``, also ``green warm``: green with pytest's cache kept between runs (a CI job
that restores ``.pytest_cache``), after one run that fills it. The plugin's source is
copied from the checkout first and put on ``PYTHONPATH``, so that edits made meanwhile do
not mix versions.

Figures, per size and variant:

* wall time: median (min-max), and green's overhead against plain of the same mode as the
  ratio of the medians and as the median of the per-round ratios;
* CPU time of the whole process tree (``os.wait4``), median, and its overhead;

  these from runs without the probe below: its wrappers cost green runs far more than a
  calibration on a no-op says (at 10k, about 3 points of overhead serially, 10 with
  ``-n 2``), so each variant also runs once per round with it, for the figures that need it:
* **plugin CPU share**: the CPU time spent inside pytest-tdd's own hook functions, over the
  run's CPU time. A probe plugin (``-p tddbench_probe``, loaded in plain runs too) wraps
  every hook implementation of pytest-tdd's plugin objects in every process (controller and
  workers) and adds up the thread CPU time (``time.thread_time``) spent in them, less the
  probe's own cost per call (calibrated on a no-op at start); the import of pytest-tdd
  (timed apart, in a fresh interpreter that has imported pytest) is added once per process.
  Measured within the run it describes, this share moves little with other load on the
  machine, where wall time moves a lot;
* peak memory: ``ru_maxrss`` of each process, written by the probe as pytest ends (the
  controller's and the largest worker's apart under ``-n``).

Then, in-process, the evidence file's ``load`` and ``save`` on a synthetic file of 50,000
records (``--evidence-records``), median of 5; and a least-squares line through the sizes
for green's extra wall time and the plugin's CPU time: the per-test cost.

Usage, from the checkout::

    .venv/bin/python benchmarks/bench_overhead.py --sizes 1000,10000 --repeat 3  # minutes
    .venv/bin/python benchmarks/bench_overhead.py --sizes 1000,10000,50000,100000 --repeat 3

The targets are reported, not enforced; the exit status is 1 only when a run misbehaved
(wrong exit status or test count).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

TARGET_WALL = 0.03  # green's wall-time overhead against plain, at 10k and 50k tests
TARGET_WALL_SIZES = (10_000, 50_000)
TARGET_SHARE = 0.02  # the plugin's CPU share at 10k tests
TARGET_MEMORY_MIB = 30.0  # extra peak memory at 50k tests, serially
TARGET_EVIDENCE = 0.2  # seconds, evidence load + save of 50k records
CASES = 4
CLEARED_ENV = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_TDD_PHASE", "PYTHONDONTWRITEBYTECODE")
CHECKOUT = Path(__file__).resolve().parents[1]
EVIDENCE = "tdd-evidence.jsonl"

PROBE = '''"""bench_overhead's probe: CPU time in pytest-tdd's hooks, and peak memory."""
import json, os, resource, time
import pluggy

_clock = time.thread_time
_spent = [0.0, 0]  # seconds, calls
_by_hook = {}  # hook -> [seconds, calls]
_done = set()


def _account(start, name):
    spent = _clock() - start
    _spent[0] += spent
    _spent[1] += 1
    entry = _by_hook.setdefault(name, [0.0, 0])
    entry[0] += spent
    entry[1] += 1


def _timed(function, name=""):
    def timed(*args, **kwargs):
        start = _clock()
        try:
            return function(*args, **kwargs)
        finally:
            _account(start, name)
    return timed


def _timed_generator(function, name):  # wrapper=True and hookwrapper=True hooks
    def timed(*args, **kwargs):
        inner = function(*args, **kwargs)  # a generator: nothing of it runs yet
        step, value = inner.send, None
        while True:
            start = _clock()
            try:
                item = step(value)
            except StopIteration as stop:
                return stop.value
            finally:
                _account(start, name)
            try:
                value, step = (yield item), inner.send
            except BaseException as error:
                value, step = error, inner.throw
    return timed


def _calibrate(calls=20000):
    """What the probe's own clock reads inside its wrapper, per call (taken off the hook
    time)."""
    noop = _timed(lambda: None)
    for _ in range(calls):
        noop()
    bias = _spent[0] / _spent[1]
    _spent[:] = [0.0, 0]
    _by_hook.clear()
    return bias


_BIAS = _calibrate()


def pytest_plugin_registered(plugin, manager):
    name = getattr(plugin, "__name__", None) or type(plugin).__module__
    if not isinstance(name, str) or not name.startswith("pytest_tdd"):
        return
    for caller in list(vars(manager.hook).values()):
        if not isinstance(caller, pluggy.HookCaller):
            continue
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and id(impl) not in _done:
                _done.add(id(impl))
                wrap = _timed_generator if impl.wrapper or impl.hookwrapper else _timed
                name = type(plugin).__name__ + "." + caller.name
                impl.function = wrap(impl.function, name)


def pytest_unconfigure(config):
    usage = resource.getrusage(resource.RUSAGE_SELF)
    record = {
        "worker": hasattr(config, "workerinput"),
        "hook_cpu": max(0.0, _spent[0] - _BIAS * _spent[1]),
        "calls": _spent[1],
        "hooks": {k: max(0.0, v[0] - _BIAS * v[1]) for k, v in _by_hook.items()},
        "maxrss_kib": usage.ru_maxrss,
    }
    with open(os.environ["TDDBENCH_PROBE_OUT"], "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\\n")
'''


# -- the synthetic suite ----------------------------------------------------------------

_BODIES = (
    "def test_{n}():\n    assert {n} + 1 == {n1}\n",
    'def test_{n}():\n    value = "{n}"\n    assert value.isdigit()\n',
    "def test_{n}():\n    items = [{n}] * 3\n    assert sum(items) == {n3}\n",
    "def test_{n}():\n    assert isinstance({n}, int)\n",
    "def test_{n}():\n    pair = ({n}, {n1})\n    assert pair[0] < pair[1]\n",
)


def module_source(first: int, count: int) -> str:
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
        parts.append(_BODIES[n % len(_BODIES)].format(n=n, n1=n + 1, n3=3 * n))
    return "\n\n".join(parts)


def generate(root: Path, size: int, per_file: int) -> None:
    tests = root / "tests"
    tests.mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n", "utf-8")
    for number, first in enumerate(range(0, size, per_file)):
        source = module_source(first, min(per_file, size - first))
        (tests / f"test_f{number:05d}.py").write_text(source, "utf-8")


# -- runs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    name: str
    args: tuple[str, ...]
    workers: int
    baseline: str
    parse_all: bool = False  # the evidence's file lines removed first: every file parsed


COLD = ("-p", "no:cacheprovider")


def variants(workers: int, warm: bool = False) -> list[Variant]:
    n = ("-n", str(workers))
    found = [
        Variant("plain", ("-p", "no:tdd", *COLD), 0, "plain"),
        Variant("green", ("--tdd-phase=green", *COLD), 0, "plain"),
        Variant("green parse", ("--tdd-phase=green", *COLD), 0, "plain", parse_all=True),
        Variant(f"plain -n {workers}", ("-p", "no:tdd", *COLD, *n), workers, f"plain -n {workers}"),
        Variant(
            f"green -n {workers}", ("--tdd-phase=green", *COLD, *n), workers, f"plain -n {workers}"
        ),
    ]
    if warm:  # pytest's cache kept between runs (a CI cache of .pytest_cache)
        found.append(Variant("green warm", ("--tdd-phase=green",), 0, "plain"))
    return found


@dataclass
class Run:
    wall: float
    cpu: float  # user + system, the process and its workers
    processes: list[dict[str, object]]  # the probe's records, one per process

    def plugin_cpu(self, import_cpu: float, tdd: bool) -> float:
        hooks = sum(float(str(p["hook_cpu"])) for p in self.processes)
        return hooks + (import_cpu * len(self.processes) if tdd else 0.0)

    def hooks(self) -> dict[str, float]:
        """CPU seconds per hook implementation, summed over the processes."""
        found: dict[str, float] = {}
        for process in self.processes:
            for name, spent in dict(process.get("hooks") or {}).items():  # type: ignore[call-overload]
                found[name] = found.get(name, 0.0) + float(spent)
        return found

    def peak_mib(self, worker: bool) -> float:
        peaks = [float(str(p["maxrss_kib"])) for p in self.processes if p["worker"] is worker]
        return max(peaks, default=0.0) / 1024


class Bench:
    def __init__(self, root: Path, options: argparse.Namespace) -> None:
        self.root = root
        self.options = options
        self.problems: list[str] = []
        source = root / "plugin-src"
        shutil.copytree(
            CHECKOUT / "src" / "pytest_tdd",
            source / "pytest_tdd",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        (source / "tddbench_probe.py").write_text(PROBE, "utf-8")
        self.probe_out = root / "probe.jsonl"
        self.env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
        path = [str(source), *filter(None, [os.environ.get("PYTHONPATH")])]
        self.env.update(PYTHONPATH=os.pathsep.join(path), TDDBENCH_PROBE_OUT=str(self.probe_out))
        self.common = ("-q",)
        self.import_cpu = self.time_import()

    def time_import(self) -> float:
        """CPU seconds to import the plugin in a process that has imported pytest."""
        code = (
            "import time, pytest\nstart = time.process_time()\nimport pytest_tdd.plugin\n"
            "print(time.process_time() - start, pytest_tdd.plugin.__file__)"
        )
        found = []
        for _ in range(5):
            done = subprocess.run(
                [sys.executable, "-c", code], env=self.env, capture_output=True, text=True
            )
            seconds, where = done.stdout.split()
            if not where.startswith(str(self.root)):
                raise SystemExit(f"the runs would import {where}, not the snapshot")
            found.append(float(seconds))
        return statistics.median(found)

    def pytest(
        self, args: Sequence[str], cwd: Path, log: Path, probe: bool = False
    ) -> tuple[Run, int, str]:
        self.probe_out.unlink(missing_ok=True)
        probing = ("-p", "tddbench_probe") if probe else ()
        with log.open("wb") as out:
            start = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "pytest", *args, *self.common, *probing],
                cwd=cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - start
        text = self.probe_out.read_text("utf-8") if self.probe_out.exists() else ""
        processes = [json.loads(line) for line in text.splitlines()]
        output = log.read_text("utf-8", errors="replace")
        run = Run(wall, usage.ru_utime + usage.ru_stime, processes)
        return run, os.waitstatus_to_exitcode(status), output

    def check(self, what: str, code: int, output: str, size: int) -> None:
        summary = output.strip().splitlines()[-1] if output.strip() else ""
        if code != 0 or f"{size} passed" not in summary:
            self.problems.append(f"{what}: exit status {code}, {summary!r}")
            print(f"!!! {self.problems[-1]}", flush=True)

    def measure(self, size: int) -> tuple[dict[str, list[Run]], dict[str, list[Run]]]:
        """The runs of each variant: timed (without the probe), and with the probe."""
        project = self.root / f"suite-{size}"
        generate(project, size, self.options.per_file)
        logs = self.root / "logs"
        logs.mkdir(exist_ok=True)
        _, code, output = self.pytest(["--tdd-adopt", *COLD], project, logs / f"{size}-adopt.log")
        self.check(f"{size} tests, adopt", code, output, size)
        if self.options.warm:  # fills the cache the warm variant reads
            _, code, output = self.pytest(["--tdd-phase=green"], project, logs / f"{size}-warm.log")
            self.check(f"{size} tests, warming the cache", code, output, size)
        runs: dict[str, list[Run]] = {}
        probed: dict[str, list[Run]] = {}
        order = variants(self.options.workers, self.options.warm)
        for number in range(self.options.repeat):
            for variant in order if number % 2 == 0 else order[::-1]:
                for probe, into in ((False, runs), (True, probed)):
                    tag = "-probe" if probe else ""
                    log = logs / f"{size}-{variant.name.replace(' ', '')}-{number}{tag}.log"
                    kept = drop_file_lines(project / EVIDENCE) if variant.parse_all else None
                    run, code, output = self.pytest(variant.args, project, log, probe)
                    if kept is not None:  # the other variants run with the file lines
                        (project / EVIDENCE).write_text(kept, "utf-8")
                    what = f"{size} tests, {variant.name}{tag}, round {number + 1}"
                    self.check(what, code, output, size)
                    into.setdefault(variant.name, []).append(run)
            walls = "  ".join(f"{v.name} {runs[v.name][-1].wall:.2f}" for v in order)
            print(f"  round {number + 1}: {walls}", flush=True)
        shutil.rmtree(project)
        return runs, probed


def drop_file_lines(path: Path) -> str:
    """Take the file lines out of the evidence (the next run parses every test file);
    return the text as it was."""
    text = path.read_text("utf-8")
    lines = text.splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith('{"file"')), "utf-8")
    return text


# -- figures ----------------------------------------------------------------------------


@dataclass
class Figures:
    size: int
    runs: dict[str, list[Run]]  # timed, without the probe
    probed: dict[str, list[Run]]  # with the probe: the plugin's CPU, its share, peak memory
    import_cpu: float
    rows: list[str] = field(default_factory=list)

    def median(self, name: str, what: str) -> float:
        return float(statistics.median(float(getattr(run, what)) for run in self.runs[name]))

    def overhead(self, variant: Variant, what: str = "wall") -> float:
        return self.median(variant.name, what) / self.median(variant.baseline, what) - 1

    def round_overhead(self, variant: Variant) -> float:
        pairs = zip(self.runs[variant.name], self.runs[variant.baseline], strict=True)
        return statistics.median(run.wall / base.wall - 1 for run, base in pairs)

    def plugin_cpu(self, variant: Variant) -> float:
        tdd = variant.name != variant.baseline
        return statistics.median(
            r.plugin_cpu(self.import_cpu, tdd) for r in self.probed[variant.name]
        )

    def share(self, variant: Variant) -> float:
        tdd = variant.name != variant.baseline
        runs = self.probed[variant.name]
        return statistics.median(r.plugin_cpu(self.import_cpu, tdd) / r.cpu for r in runs)

    def peak(self, variant: Variant, worker: bool) -> float:
        return statistics.median(run.peak_mib(worker) for run in self.probed[variant.name])


def print_figures(figures: Figures, workers: int) -> None:
    print(
        f"\n-- {figures.size} tests, {len(figures.runs['plain'])} runs per variant\n"
        f"{'variant':<12} {'wall s':>7} {'min-max':>13} {'overhead':>9} {'per-round':>9} "
        f"{'cpu s':>7} {'cpu +':>7} {'plugin cpu s':>12} {'share':>6} "
        f"{'peak MiB':>9} "
        f"{'worker MiB':>10}"
    )
    for variant in [v for v in variants(workers, warm=True) if v.name in figures.runs]:
        walls = [run.wall for run in figures.runs[variant.name]]
        judged = variant.name != variant.baseline
        over = f"{figures.overhead(variant):+.1%}" if judged else "-"
        rounds = f"{figures.round_overhead(variant):+.1%}" if judged else "-"
        cpu_over = f"{figures.overhead(variant, 'cpu'):+.1%}" if judged else "-"
        worker = f"{figures.peak(variant, True):.1f}" if variant.workers else "-"
        print(
            f"{variant.name:<12} {figures.median(variant.name, 'wall'):>7.2f} "
            f"{min(walls):>6.2f}-{max(walls):<6.2f} {over:>9} {rounds:>9} "
            f"{figures.median(variant.name, 'cpu'):>7.2f} {cpu_over:>7} "
            f"{figures.plugin_cpu(variant):>12.3f} {figures.share(variant):>6.2%} "
            f"{figures.peak(variant, False):>9.1f} {worker:>10}"
        )


def print_hooks(figures: Figures, workers: int, shown: int = 6) -> None:
    """Where the plugin's CPU time goes: the costliest hook implementations (medians)."""
    for variant in [v for v in variants(workers, warm=True) if v.name in figures.runs]:
        if variant.name == variant.baseline:
            continue
        runs = [run.hooks() for run in figures.probed[variant.name]]
        names = {name for hooks in runs for name in hooks}
        medians = {n: statistics.median(h.get(n, 0.0) for h in runs) for n in names}
        top = sorted(medians.items(), key=lambda pair: -pair[1])[:shown]
        print(f"  {variant.name}: " + ", ".join(f"{n} {s:.3f} s" for n, s in top))


def fit(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Least squares: (slope, intercept)."""
    if len(points) < 2:
        return (points[0][1] / points[0][0] if points else 0.0), 0.0
    return statistics.linear_regression([x for x, _ in points], [y for _, y in points])


def time_evidence(folder: Path, records: int) -> tuple[float, float]:
    """Median seconds of ``evidence.load`` and ``evidence.save`` of ``records`` records."""
    from pytest_tdd import evidence

    ledger: evidence.Ledger = {}
    for n in range(records):
        case = f"{n:016x}" if n % 25 < CASES else None
        nodeid = f"tests/test_f{n // 100:05d}.py::test_{n}" + (f"[{n}]" if case else "")
        ledger[nodeid] = (evidence.Record(nodeid, "legacy", f"{n * 7919:016x}", case),)
    path = folder / "tdd-evidence.jsonl"
    evidence.save(path, ledger)
    loads, saves = [], []
    for _ in range(5):
        start = time.perf_counter()
        loaded = evidence.load(path)
        loads.append(time.perf_counter() - start)
        start = time.perf_counter()
        evidence.save(path, loaded)
        saves.append(time.perf_counter() - start)
    return statistics.median(loads), statistics.median(saves)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,50000,100000", help="suite sizes, tests")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of alternating runs")
    parser.add_argument("--per-file", type=int, default=100, help="tests per file")
    parser.add_argument("--workers", type=int, default=2, help="the -n of the xdist runs")
    parser.add_argument(
        "--warm", action="store_true", help="also green with pytest's cache kept between runs"
    )
    parser.add_argument("--evidence-records", type=int, default=50_000)
    options = parser.parse_args(argv)
    sizes = [int(part) for part in options.sizes.split(",")]
    import pytest

    print(f"command: python benchmarks/bench_overhead.py {' '.join(sys.argv[1:])}")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    print(f"python {platform.python_version()}, pytest {pytest.__version__}")
    every = {}
    with tempfile.TemporaryDirectory(prefix="pytest-tdd-bench-") as name:
        bench = Bench(Path(name), options)
        sys.path.insert(0, str(Path(name) / "plugin-src"))  # the evidence timing, too
        print(f"plugin import: {bench.import_cpu * 1000:.0f} ms CPU per process")
        for size in sizes:
            print(f"\n== {size} tests", flush=True)
            every[size] = Figures(size, *bench.measure(size), bench.import_cpu)
            print_figures(every[size], options.workers)
            print("plugin CPU by hook (all processes):")
            print_hooks(every[size], options.workers)
        load, save = time_evidence(Path(name), options.evidence_records)

    print("\n== summary")
    for figures in every.values():
        print_figures(figures, options.workers)
    plain, green, parse, plain_n, green_n = variants(options.workers)
    print("\nper-test cost (least squares over the sizes):")
    for variant in (green, parse, green_n):
        extra = [
            (s, f.median(variant.name, "wall") - f.median(variant.baseline, "wall"))
            for s, f in every.items()
        ]
        plugin = [(s, f.plugin_cpu(variant)) for s, f in every.items()]
        (wall_slope, wall_zero), (cpu_slope, cpu_zero) = fit(extra), fit(plugin)
        print(
            f"  {variant.name:<11} extra wall {wall_slope * 1e6:+.1f} us/test "
            f"({wall_zero:+.2f} s fixed); plugin CPU {cpu_slope * 1e6:.1f} us/test "
            f"({cpu_zero:+.3f} s fixed)"
        )
    print(
        f"evidence, {options.evidence_records} records: load {load:.3f} s + save {save:.3f} s "
        f"= {load + save:.3f} s"
    )

    print("\n== targets")
    for size in TARGET_WALL_SIZES:
        if size not in every:
            print(f"wall overhead <= {TARGET_WALL:.0%} at {size}: not measured")
            continue
        for variant in (green, parse, green_n):
            over = every[size].overhead(variant)
            verdict = "holds" if over <= TARGET_WALL else "DOES NOT HOLD"
            print(
                f"wall overhead <= {TARGET_WALL:.0%}, {size}, {variant.name}: {over:+.1%} {verdict}"
            )
    if 10_000 in every:
        for variant in (green, parse, green_n):
            share = every[10_000].share(variant)
            verdict = "holds" if share <= TARGET_SHARE else "DOES NOT HOLD"
            print(
                f"plugin CPU share <= {TARGET_SHARE:.0%}, 10000, {variant.name}: "
                f"{share:.2%} {verdict}"
            )
    if 50_000 in every:
        memory = every[50_000].peak(green, False) - every[50_000].peak(plain, False)
        verdict = "holds" if memory <= TARGET_MEMORY_MIB else "DOES NOT HOLD"
        print(f"memory <= +{TARGET_MEMORY_MIB:.0f} MiB, 50000, serial: {memory:+.1f} MiB {verdict}")
        worker = every[50_000].peak(green_n, True) - every[50_000].peak(plain_n, True)
        print(f"memory per worker, 50000: {worker:+.1f} MiB (was +72 to +115 MiB)")
    verdict = "holds" if load + save <= TARGET_EVIDENCE else "DOES NOT HOLD"
    print(f"evidence load + save <= {TARGET_EVIDENCE} s: {load + save:.3f} s {verdict}")
    for problem in bench.problems:
        print(f"problem: {problem}")
    return 1 if bench.problems else 0


if __name__ == "__main__":
    sys.exit(main())
