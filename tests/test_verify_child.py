"""The plugin of the pytest processes ``--tdd-verify`` starts (``verifychild``), in this
process: its import finder, its check of where the project was imported from, and its
two modes, in pytester's in-process runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_tdd import identity, verifychild
from pytest_tdd.verifychild import TreeFinder


def test_the_finder_finds_a_project_module_in_the_trees_roots_only(tmp_path: Path) -> None:
    (tmp_path / "verify_pkg_xyz").mkdir()
    (tmp_path / "verify_pkg_xyz" / "__init__.py").write_text("")
    finder = TreeFinder([str(tmp_path)], ["verify_pkg_xyz", "json"])
    spec = finder.find_spec("verify_pkg_xyz")
    assert spec is not None
    assert spec.origin == str(tmp_path / "verify_pkg_xyz" / "__init__.py")
    with pytest.raises(ModuleNotFoundError, match="No module named 'json'") as raised:
        finder.find_spec("json")
    assert raised.value.name == "json"


def test_the_finder_leaves_other_modules_and_submodules_to_the_others(tmp_path: Path) -> None:
    finder = TreeFinder([str(tmp_path)], ["verify_pkg_xyz"])
    assert finder.find_spec("os") is None
    assert finder.find_spec("verify_pkg_xyz.sub") is None


def test_a_module_of_the_project_loaded_from_elsewhere_is_foreign(tmp_path: Path) -> None:
    found = verifychild.foreign_modules(str(tmp_path), str(tmp_path / "repo"), ["json"])
    assert found["json"] == str(Path(sys.modules["json"].__file__ or "").resolve())
    assert {name.partition(".")[0] for name in found} == {"json"}


def test_a_module_loaded_from_the_repositorys_working_tree_is_foreign(tmp_path: Path) -> None:
    helpers = Path(sys.modules["helpers"].__file__ or "").resolve()
    found = verifychild.foreign_modules(str(tmp_path), str(helpers.parent), [])
    assert found["helpers"] == str(helpers)


def test_installed_modules_and_those_of_the_tree_are_not_foreign() -> None:
    pytest_file = Path(sys.modules["pytest"].__file__ or "").resolve()
    here = Path(__file__).resolve().parent
    found = verifychild.foreign_modules(str(here), str(pytest_file.parents[2]), ["helpers"])
    assert "pytest" not in found
    assert "helpers" not in found


def test_instructions_in_the_environment_are_taken_out_of_it_and_install_the_finder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instructions = tmp_path / "i.json"
    instructions.write_text(json.dumps({"roots": [str(tmp_path)], "names": ["x"], "mode": "run"}))
    monkeypatch.setenv(verifychild.ENV, str(instructions))
    try:
        data = verifychild._boot()
        assert data is not None
        assert data["mode"] == "run"
        assert isinstance(sys.meta_path[0], TreeFinder)
    finally:
        if isinstance(sys.meta_path[0], TreeFinder):
            del sys.meta_path[0]
    assert verifychild.ENV not in __import__("os").environ
    assert verifychild._boot() is None


class _Register:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def pytest_configure(self, config: pytest.Config) -> None:
        verifychild.register(config, self.data)


def _instructions(pytester: pytest.Pytester, mode: str, **more: Any) -> dict[str, Any]:
    return {
        "mode": mode,
        "output": str(pytester.path / "child.json"),
        "tree": str(pytester.path),
        "repo": "/repo",
        "names": ["calc_verify_xyz"],
        **more,
    }


def test_collect_mode_writes_identities_with_tree_paths_as_in_the_working_tree(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(
        test_paths="""
        import pathlib, pytest

        @pytest.mark.parametrize("path", [pathlib.Path(__file__).parent / "data"])
        def test_path(path):
            assert path
        """,
        test_broken="import calc_verify_xyz\n\ndef test_gone():\n    assert calc_verify_xyz\n",
    )
    data = _instructions(tdd, "collect")
    tdd.inline_run("--collect-only", "-p", "no:tdd", plugins=[_Register(data)])
    written = json.loads((tdd.path / "child.json").read_text())
    [(nodeid, found)] = written["items"].items()
    assert nodeid == "test_paths.py::test_path[path0]"
    # fingerprint, case (its path as in the working tree), deps (no helper: None)
    assert found[1:] == [identity.case_fingerprint({"path": Path("/repo/data")}), None]
    assert list(written["broken"]) == ["test_broken.py"]
    assert len(written["broken"]["test_broken.py"]) == 1
    assert written["foreign"] == {}


def test_run_mode_keeps_the_tests_asked_for_and_every_case_of_a_function_asked_for(
    tdd: pytest.Pytester,
) -> None:
    tdd.makepyfile(
        test_m="""
        import pytest

        def test_a():
            pass

        def test_b():
            pass

        @pytest.mark.parametrize("x", [1, 2])
        def test_c(x):
            pass
        """
    )
    data = _instructions(tdd, "run", want=["test_m.py::test_a", "test_m.py::test_c"])
    recorded = tdd.inline_run("-p", "no:tdd", plugins=[_Register(data)])
    passed = sorted(
        r.nodeid for r in recorded.getreports("pytest_runtest_logreport") if r.when == "call"
    )
    assert passed == ["test_m.py::test_a", "test_m.py::test_c[1]", "test_m.py::test_c[2]"]
    assert json.loads((tdd.path / "child.json").read_text())["items"] == {}
