"""Running pytest in a temporary tree for ``--tdd-verify``: the command, its environment,
its time limit, and what it reports back.

The process is the interpreter of this run (``sys.executable -m pytest``) with this plugin
(``-p tdd``) and the child plugin (``-p pytest_tdd.verifychild``), its working directory
and rootdir inside the tree, the configuration file of the tree (the one this run used,
at the same place), and the tree's import roots first on ``PYTHONPATH``: the folders of
pytest's ``pythonpath`` ini setting, then ``src`` when it holds the project (src layout),
else the rootdir (flat layout). Entries of ``PYTHONPATH`` inside the repository are left
out, and so are the variables that would make coverage measure the process.

Per-test time limit: with pytest-timeout installed, ``--timeout=<tdd_verify_timeout>``
judges a test that hangs on its own (a timeout in the project's code is red, of kind
``error``); without it, the whole process is stopped after ``tdd_verify_timeout`` times
(the number of tests + 1) seconds, and the tests it did not report are judged as not
having finished. A collection that does not finish in ``STARTUP_SECONDS`` plus that time is
an error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Any

from pytest_tdd import evidence
from pytest_tdd.verifychild import ENV

CHILD_PLUGIN = "pytest_tdd.verifychild"
_TEST_DIRS = frozenset({"tests", "test", "testing"})
_UNSET = ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG", "PYTEST_XDIST_AUTO_NUM_WORKERS")
_OUTPUT_LIMIT = 2000
# Seconds allowed for starting pytest and collecting, on top of the tests' own time limit,
# where that limit is a safety net only (collection, or pytest-timeout judges each test).
STARTUP_SECONDS = 60.0


class VerifyError(Exception):
    """Verify cannot give a trustworthy verdict; the message says why and what fixes it."""


@dataclass(frozen=True)
class Layout:
    """Where things are, relative to the repository's top folder: the rootdir, the
    directory pytest was started in, the configuration file, pytest's ``pythonpath``
    entries (outside the repository: absolute), and the options that depend on the
    plugins this run has."""

    rootdir: str  # "" when it is the repository's top folder
    invocation: str
    inifile: str | None  # repository-relative; None when there is none in the repository
    outside_ini: str | None = None  # an absolute configuration file outside the repository
    pythonpath: tuple[str, ...] = ()
    options: tuple[str, ...] = ()  # -n0, --no-cov
    timeout_plugin: bool = False


def _sub(base: Path, relative: str) -> Path:
    return base / relative if relative else base


def _holds_python(folder: Path) -> bool:
    try:
        return any(
            (entry.is_dir() and (entry / "__init__.py").is_file()) or entry.suffix == ".py"
            for entry in folder.iterdir()
        )
    except OSError:
        return False


def import_roots(tree: Path, layout: Layout) -> list[Path]:
    """The folders the project is imported from, in a tree: ``pythonpath`` entries, then
    ``src`` (of the rootdir, else of the repository) if it holds Python, else the rootdir."""
    roots = [p if os.path.isabs(p) else tree / p for p in (Path(e) for e in layout.pythonpath)]
    rootdir = _sub(tree, layout.rootdir)
    for src in (rootdir / "src", tree / "src"):
        if _holds_python(src):
            roots.append(src)
            break
    else:
        roots.append(rootdir)
    unique: list[Path] = []
    for root in roots:
        if root not in unique:
            unique.append(root)
    return unique


def _is_name(name: str) -> bool:
    return name.isidentifier() and name not in _TEST_DIRS and name != "conftest"


def project_names(roots: Iterable[Path]) -> set[str]:
    """The top-level modules and packages found in the import roots (test code aside)."""
    names = set()
    for root in roots:
        try:
            entries = list(root.iterdir())
        except OSError:
            continue
        for entry in entries:
            module = entry.suffix == ".py" and not entry.stem.startswith("test_")
            if module and _is_name(entry.stem):
                names.add(entry.stem)
            elif entry.is_dir() and _is_name(entry.name) and _holds_python(entry):
                names.add(entry.name)
    return names


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def installed_from(repo: Path, path: Sequence[str] | None = None) -> set[str]:
    """The top-level names of the distributions installed in this environment (or in the
    folders ``path``) from the repository: a wheel built there (as tox builds one) or an
    editable install, known by the ``direct_url.json`` pip writes."""
    from importlib import metadata

    folder = os.path.realpath(repo)
    names: set[str] = set()
    found = metadata.distributions() if path is None else metadata.distributions(path=list(path))
    for dist in found:
        try:
            url = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
        except ValueError:
            continue
        if not isinstance(url, str) or not url.startswith("file:"):
            continue
        path = urllib.request.url2pathname(urllib.parse.urlparse(url).path)
        if not _inside(os.path.realpath(path), folder):
            continue
        top = dist.read_text("top_level.txt")
        if top:
            names.update(line.strip() for line in top.splitlines() if line.strip())
            continue
        for file in dist.files or ():
            first = file.parts[0] if file.parts else ""
            if first.endswith((".dist-info", ".pth")) or first.startswith("__"):
                continue  # metadata, __pycache__, an editable install's finder
            name = first.removesuffix(".py")
            if name.isidentifier():
                names.add(name)
    return names


def compiled_modules(roots: Iterable[Path], names: Iterable[str]) -> list[str]:
    """Compiled extension modules of the project in the working tree's import roots and
    where this interpreter would import the project from: the base tree cannot have them."""
    import importlib.util

    folders = [r / n for r in roots for n in names]
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.submodule_search_locations:
            folders += [Path(p) for p in spec.submodule_search_locations]
    found: set[str] = set()
    for folder in folders:
        if folder.is_dir():
            for suffix in EXTENSION_SUFFIXES:
                found.update(str(p) for p in folder.rglob(f"*{suffix}"))
    return sorted(found)


@dataclass
class Outcome:
    """What a process in a tree reported: the child plugin's document, the red
    judgement's JSON report (``run`` only), whether it was stopped, and its output."""

    child: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] | None = None
    stopped: bool = False
    output: str = ""


def _environment(repo: Path, roots: Sequence[Path], instructions: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _UNSET and not k.startswith("COV_CORE")}
    kept = [
        entry
        for entry in env.get("PYTHONPATH", "").split(os.pathsep)
        if entry and not Path(os.path.realpath(entry)).is_relative_to(os.path.realpath(repo))
    ]
    env["PYTHONPATH"] = os.pathsep.join([*(str(r) for r in roots), *kept])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env[ENV] = str(instructions)
    return env


def run(
    mode: str,
    *,
    repo: Path,
    tree: Path,
    work: Path,
    layout: Layout,
    paths: Sequence[str],
    want: Sequence[str] = (),
    timeout: float,
    names: Sequence[str],
) -> Outcome:
    """Run pytest in ``tree`` on ``paths`` (rootdir-relative), in ``mode``; ``work`` is a
    folder outside the tree for the files it writes."""
    roots = import_roots(tree, layout)
    rootdir = _sub(tree, layout.rootdir)
    work.mkdir(parents=True, exist_ok=True)
    output = work / f"{mode}.child.json"
    report = work / f"{mode}.report.json"
    instructions = work / f"{mode}.instructions.json"
    base_evidence = work / "evidence.jsonl"
    document = {
        "mode": mode,
        "output": str(output),
        "want": list(want),
        "tree": str(tree),
        "repo": str(repo),
        "roots": [str(r) for r in roots],
        "names": sorted(names),
    }
    instructions.write_text(json.dumps(document), "utf-8")
    ini = _sub(tree, layout.inifile) if layout.inifile else None
    if ini is None or not ini.is_file():
        ini = Path(layout.outside_ini) if layout.outside_ini else work / "empty.ini"
        if not ini.is_file():
            ini.write_text("[pytest]\n", "utf-8")
    command = [sys.executable, "-m", "pytest", "-p", "tdd", "-p", CHILD_PLUGIN]
    command += ["-c", str(ini), f"--rootdir={rootdir}", "-q"]
    command += list(layout.options)
    if mode == "collect":
        command += ["--collect-only"]
        limit = STARTUP_SECONDS + timeout * (len(paths) + 1)
    else:
        command += ["--tdd-phase=red", f"--tdd-state-file={base_evidence}"]
        command += [f"--tdd-json={report}", "--maxfail=0"]
        limit = run_limit(timeout, len(want), layout.timeout_plugin)
        if layout.timeout_plugin:
            command += [f"--timeout={timeout:g}"]
    command += [str(rootdir / p) for p in paths]
    cwd = _sub(tree, layout.invocation)
    if not cwd.is_dir():
        cwd = rootdir
    outcome = Outcome()
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=_environment(repo, roots, instructions),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=limit,
            check=False,
        )
        outcome.output = (done.stdout + done.stderr).decode("utf-8", "replace")
    except subprocess.TimeoutExpired as stopped:
        outcome.stopped = True
        text = (stopped.stdout or b"") + (stopped.stderr or b"")
        outcome.output = text.decode("utf-8", "replace")
    evidence.forget_lock(base_evidence)  # the base run's own file, done with
    if output.is_file():
        outcome.child = json.loads(output.read_text("utf-8"))
    if report.is_file():
        outcome.report = json.loads(report.read_text("utf-8"))
    return outcome


def run_limit(timeout: float, tests: int, timeout_plugin: bool) -> float:
    """Seconds a process running ``tests`` tests may take: with pytest-timeout, which stops
    each test after ``timeout``, a safety net; without, the rule itself."""
    limit = timeout * (tests + 1)
    return limit + STARTUP_SECONDS if timeout_plugin else limit


def tail(text: str) -> str:
    """The end of a process's output, for an error message."""
    text = text.strip()
    return text if len(text) <= _OUTPUT_LIMIT else "..." + text[-_OUTPUT_LIMIT:]
