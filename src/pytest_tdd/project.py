"""The project a file belongs to, found as pytest finds its rootdir and configuration file,
without importing pytest (``pytest-tdd guard`` answers in milliseconds).

pytest looks in a folder and in each folder above it for, in this order, ``pytest.toml``,
``.pytest.toml``, ``pytest.ini``, ``.pytest.ini`` (configuration even when empty),
``pyproject.toml`` with a ``[tool.pytest]`` or ``[tool.pytest.ini_options]`` table,
``tox.ini`` with a ``[pytest]`` section and ``setup.cfg`` with ``[tool:pytest]``; the
first folder that holds one is the rootdir. Without one, the folder of the first
``pyproject.toml`` met is, else the nearest folder with a ``setup.py``, else the folder
the search started from. pytest starts from its arguments (the current folder when it has
none); the guard starts from the folder of the file an agent edits, so that a project
nested in a repository finds its own configuration.
"""

from __future__ import annotations

import configparser
import os
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_STATE_FILE = "tdd-evidence.jsonl"  # as settings.DEFAULT_STATE_FILE (which needs pytest)
DEFAULT_CACHE_DIR = ".pytest_cache"


class ProjectError(Exception):
    """A configuration file that pytest would refuse too; the message names it."""


@dataclass(frozen=True)
class Project:
    root: Path
    config_file: Path | None = None
    values: Mapping[str, object] = field(default_factory=dict)

    def text(self, name: str, default: str) -> str:
        value = self.values.get(name)
        if value is None:
            return default
        return " ".join(map(str, value)) if isinstance(value, list) else str(value)

    def args(self, name: str, default: Sequence[str]) -> list[str]:
        """A value of pytest's ``args`` type: a list, or words split as a shell does."""
        value = self.values.get(name)
        if value is None:
            return list(default)
        if isinstance(value, list):
            return [str(v) for v in value]
        return shlex.split(str(value))

    @property
    def state_file(self) -> Path:
        return self.root / self.text("tdd_state_file", DEFAULT_STATE_FILE)

    @property
    def cache_dir(self) -> Path:
        return self.root / os.path.expandvars(self.text("cache_dir", DEFAULT_CACHE_DIR))

    def shown(self, path: Path) -> str:
        """``path`` relative to the rootdir where it lies below it."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def _toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10, where pytest itself depends on tomli
        try:
            import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
        except ImportError:
            raise ProjectError(f"{path}: reading it on Python 3.10 needs tomli") from None
    try:
        with path.open("rb") as stream:
            document: dict[str, Any] = tomllib.load(stream)
        return document
    except (OSError, ValueError) as error:  # TOMLDecodeError is a ValueError
        raise ProjectError(f"{path}: {error}") from None


def _ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(
        interpolation=None, strict=False, default_section="\0", inline_comment_prefixes=("#", ";")
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        with path.open(encoding="utf-8") as stream:
            parser.read_file(stream)
    except (OSError, UnicodeDecodeError, configparser.Error) as error:
        raise ProjectError(f"{path}: {error}") from None
    return parser


def _section(path: Path, name: str) -> dict[str, object] | None:
    parser = _ini(path)
    return dict(parser[name]) if parser.has_section(name) else None


def _pytest_ini(path: Path) -> dict[str, object]:
    return _section(path, "pytest") or {}


def _pytest_toml(path: Path) -> dict[str, object]:
    table = _toml(path).get("pytest")
    return dict(table) if isinstance(table, dict) else {}


def _pyproject(path: Path) -> dict[str, object] | None:
    tool = _toml(path).get("tool", {})
    table = tool.get("pytest") if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        return None
    native = {k: v for k, v in table.items() if k != "ini_options"}
    if native:
        return native
    ini = table.get("ini_options")
    if not isinstance(ini, dict):
        return None
    return {k: v if isinstance(v, list) else str(v) for k, v in ini.items()}


_LOADERS: dict[str, Callable[[Path], dict[str, object] | None]] = {
    "pytest.toml": _pytest_toml,
    ".pytest.toml": _pytest_toml,
    "pytest.ini": _pytest_ini,
    ".pytest.ini": _pytest_ini,
    "pyproject.toml": _pyproject,
    "tox.ini": lambda path: _section(path, "pytest"),
    "setup.cfg": lambda path: _section(path, "tool:pytest"),
}


def _existing_folder(path: Path) -> Path:
    """The nearest folder at or above ``path`` that exists (a new file's may not yet)."""
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            return candidate
    return path  # pragma: no cover - an absolute path has "/" above it


def _search(start: Path) -> Project | None:
    first_pyproject = None
    for base in (start, *start.parents):
        for name, load in _LOADERS.items():
            candidate = base / name
            if not candidate.is_file():
                continue
            if name == "pyproject.toml" and first_pyproject is None:
                first_pyproject = candidate
            values = load(candidate)
            if values is not None:
                return Project(base, candidate, values)
    if first_pyproject is not None:
        return Project(first_pyproject.parent, first_pyproject)
    for base in (start, *start.parents):
        if (base / "setup.py").is_file():
            return Project(base)
    return None


def find(path: Path, cwd: Path) -> Project:
    """The project of ``path`` (a file or a folder, absolute): its rootdir and the values of
    its pytest configuration. When nothing above ``path`` marks a project, it is the one
    around ``cwd``, where the agent works (``path`` may then lie outside it), else ``cwd``."""
    start = _existing_folder(path if path.is_dir() else path.parent)
    return _search(start) or _search(cwd) or Project(cwd)
