"""``--tdd-verify`` with the project installed in the environment, as tox does (a wheel) or
as developers do (an editable install): the base revision's code must still be the code
the tests import in the base tree, or verify must refuse and say why.

Each test makes a virtual environment of its own (``--without-pip``) that sees this
environment's packages (pytest and the plugin) through a ``.pth`` file, and installs the
project into it: a wheel with pip, or an editable install written as pip writes one for a
backend that installs by path (hatchling).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from helpers import INNER_ADDOPTS, GitRepo

IGNORED = ".pytest_cache/\n__pycache__/\n*.json\n.tox/\nstdout\nstderr\nrunpytest-*\n"
CALC = "def clamp(x, low, high):\n    return x\n"
CALC_CLAMPED = "def clamp(x, low, high):\n    return max(low, min(x, high))\n"
TEST_CLAMP = "import calc\n\n\ndef test_clamp():\n    assert calc.clamp(-5, 0, 10) == 0\n"


@pytest.fixture
def git_repo_path(tdd: pytest.Pytester) -> Path:
    return tdd.path


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A virtual environment that sees this one's packages; its interpreter."""
    home = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True)
    python = home / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    outer = sysconfig.get_paths()["purelib"]
    Path(purelib, "outer.pth").write_text(f"import site; site.addsitedir({outer!r})\n")
    return python


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(repo: Path, package_dir: str) -> Path:
    """A wheel of the working tree's ``calc`` package (from ``package_dir``) and of any
    top-level module beside it, in ``.tox/dist`` as tox builds one."""
    files: dict[str, bytes] = {}
    for path in sorted((repo / package_dir).rglob("*.py")):
        files[path.relative_to(repo / package_dir).as_posix()] = path.read_bytes()
    info = "calc-1.0.dist-info"
    files[f"{info}/METADATA"] = b"Metadata-Version: 2.1\nName: calc\nVersion: 1.0\n"
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = [_record_line(n, d) for n, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = repo / ".tox" / "dist" / "calc-1.0-py3-none-any.whl"
    wheel.parent.mkdir(parents=True)
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


def pip_install(python: Path, wheel: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )


def editable_install(python: Path, repo: Path, package_dir: str) -> None:
    """What pip leaves for an editable install by a backend that installs by path."""
    purelib = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (purelib / "_calc.pth").write_text(str(repo / package_dir) + "\n")
    info = purelib / "calc-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: calc\nVersion: 1.0\n")
    url = {"url": repo.as_uri(), "dir_info": {"editable": True}}
    (info / "direct_url.json").write_text(json.dumps(url))
    (info / "RECORD").write_text("_calc.pth,,\ncalc-1.0.dist-info/RECORD,,\n")


def project(repo: GitRepo, base: Mapping[str, str], feature: Mapping[str, str]) -> None:
    repo.write(".gitignore", IGNORED)
    for name, text in base.items():
        repo.write(name, text)
    repo.commit("base")
    repo.branch("feature")
    for name, text in feature.items():
        repo.write(name, text)


def verify(
    tdd: pytest.Pytester, python: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    done = subprocess.run(
        [str(python), "-m", "pytest", "--tdd-verify", "--tdd-base=main", "--tdd-json=r.json"],
        cwd=tdd.path,
        env={**os.environ, "PYTEST_ADDOPTS": INNER_ADDOPTS},
        capture_output=True,
        text=True,
        check=False,
    )
    path = tdd.path / "r.json"
    assert path.is_file(), done.stdout + done.stderr
    data: dict[str, Any] = json.loads(path.read_text())
    return done, data


def verdicts(data: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {n: (e["verdict"], e["kind"]) for n, e in data["verify"]["tests"].items()}


SRC_BASE = {"src/calc/__init__.py": CALC}
SRC_FEATURE = {"src/calc/__init__.py": CALC_CLAMPED, "tests/test_calc.py": TEST_CLAMP}


def test_with_the_project_installed_as_a_wheel_the_base_revisions_code_is_imported(
    tdd: pytest.Pytester, git_repo: GitRepo, venv: Path
) -> None:
    project(git_repo, SRC_BASE, SRC_FEATURE)
    pip_install(venv, build_wheel(tdd.path, "src"))
    done, data = verify(tdd, venv)
    assert done.returncode == 0, done.stdout
    assert verdicts(data) == {"tests/test_calc.py::test_clamp": ("red", "assertion")}


def test_with_an_editable_install_the_base_revisions_code_is_imported(
    tdd: pytest.Pytester, git_repo: GitRepo, venv: Path
) -> None:
    project(git_repo, SRC_BASE, SRC_FEATURE)
    editable_install(venv, tdd.path, "src")
    done, data = verify(tdd, venv)
    assert done.returncode == 0, done.stdout
    assert verdicts(data) == {"tests/test_calc.py::test_clamp": ("red", "assertion")}


def test_a_module_only_the_change_has_is_not_taken_from_the_installed_wheel(
    tdd: pytest.Pytester, git_repo: GitRepo, venv: Path
) -> None:
    test = "import extra\n\n\ndef test_twice():\n    assert extra.twice(2) == 4\n"
    feature = {"src/extra.py": "def twice(x):\n    return 2 * x\n", "tests/test_extra.py": test}
    project(git_repo, SRC_BASE, feature)
    pip_install(venv, build_wheel(tdd.path, "src"))
    done, data = verify(tdd, venv)
    assert done.returncode == 0, done.stdout
    assert verdicts(data) == {"tests/test_extra.py::test_twice": ("red", "missing-api")}


LIB_BASE = {"lib/calc/__init__.py": CALC}
LIB_FEATURE = {"lib/calc/__init__.py": CALC_CLAMPED, "tests/test_calc.py": TEST_CLAMP}


def test_a_package_away_from_the_import_roots_is_refused_naming_the_pythonpath_setting(
    tdd: pytest.Pytester, git_repo: GitRepo, venv: Path
) -> None:
    project(git_repo, LIB_BASE, LIB_FEATURE)
    pip_install(venv, build_wheel(tdd.path, "lib"))
    done, data = verify(tdd, venv)
    assert done.returncode == pytest.ExitCode.TESTS_FAILED
    assert data["verify"]["tests"] == {}
    assert "pythonpath" in data["verify"]["error"]
    assert "'calc'" in data["verify"]["error"]
    assert "tdd: ERROR verify: " in done.stdout


def test_with_pythonpath_naming_its_folder_an_unusual_layout_is_verified(
    tdd: pytest.Pytester, git_repo: GitRepo, venv: Path
) -> None:
    tdd.makeini("[pytest]\nconsole_output_style = classic\npythonpath = lib\n")
    project(git_repo, LIB_BASE, LIB_FEATURE)
    pip_install(venv, build_wheel(tdd.path, "lib"))
    done, data = verify(tdd, venv)
    assert done.returncode == 0, done.stdout
    assert verdicts(data) == {"tests/test_calc.py::test_clamp": ("red", "assertion")}
