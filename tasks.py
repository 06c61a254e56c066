"""The project's two commands; needs nothing but Python 3.10+ and pip.

    python tasks.py demo   # a full red -> green cycle, and the gate catching a test
                           # that never failed, on the example project in examples/
    python tasks.py test   # the whole test suite: every supported Python, the oldest
                           # supported pytest, ruff and mypy (through tox)

Each command makes its own virtual environment under the checkout (.venv-demo,
.venv-tasks) on first use and reuses it afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SUPPORTED = ("3.11", "3.10", "3.12", "3.13")  # the first is the default


def _python_of(env: Path) -> Path:
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _environment(name: str, *requirements: str) -> Path:
    """A virtual environment with ``requirements`` installed; made once."""
    env = ROOT / name
    python = _python_of(env)
    marker = env / "installed.txt"
    wanted = "\n".join(requirements)
    if not python.exists():
        print(f"tasks: creating {name}", flush=True)
        venv.create(env, with_pip=True)
    if not marker.exists() or marker.read_text() != wanted:
        subprocess.run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", *requirements], check=True)
        marker.write_text(wanted)
    return python


def _pyenv_versions() -> str | None:
    """Every supported Python that pyenv has, for tox to find (PYENV_VERSION)."""
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    listed = subprocess.run(
        [pyenv, "versions", "--bare"], capture_output=True, text=True, check=False
    ).stdout.split()
    chosen = []
    for minor in SUPPORTED:
        patches = [v for v in listed if v.startswith(minor + ".") and v[len(minor) + 1 :].isdigit()]
        if patches:
            chosen.append(max(patches, key=lambda v: int(v.rsplit(".", 1)[1])))
    return ":".join(chosen) or None


def test(args: list[str]) -> int:
    python = _environment(".venv-tasks", "tox>=4.11")
    env = dict(os.environ)
    versions = _pyenv_versions()
    if versions:
        # pyenv's shims set PYENV_VERSION to the one running Python: add the others.
        current = [v for v in env.get("PYENV_VERSION", "").split(":") if v]
        combined = ":".join(current + [v for v in versions.split(":") if v not in current])
        env["PYENV_VERSION"] = combined
        print(f"tasks: PYENV_VERSION={combined}", flush=True)
    return subprocess.run([python, "-m", "tox", "run", *args], cwd=ROOT, env=env).returncode


def demo(args: list[str]) -> int:
    python = _environment(".venv-demo", "-e", str(ROOT))
    return subprocess.run([python, ROOT / "examples" / "demo.py", *args], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    commands = {"test": test, "demo": demo}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
