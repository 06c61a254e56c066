"""The temporary trees of ``--tdd-verify`` (``basetree``) and the layout helpers of the
processes run in them (``verifyrun``), against real git repositories."""

from __future__ import annotations

import json
import os
import signal
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from pytest_tdd import basetree, verifyrun
from pytest_tdd.gitdiff import GitDiffError
from pytest_tdd.verifyrun import Layout

from helpers import GitRepo


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write(".gitignore", "ignored.txt\n")
    git_repo.write("calc.py", "A = 1\n")
    git_repo.write("run.sh", "#!/bin/sh\n").chmod(0o755)
    git_repo.write("tests/test_calc.py", "def test_a():\n    pass\n")
    git_repo.write("gone.py", "B = 2\n")
    os.symlink("calc.py", git_repo.path / "link.py")
    git_repo.commit("base")
    return git_repo


def test_changed_paths_name_every_change_since_the_base_with_its_status(repo: GitRepo) -> None:
    base = repo.head()
    repo.write("calc.py", "A = 2\n")
    repo.git("add", "calc.py")
    repo.write("new.py", "C = 3\n")
    repo.write("ignored.txt", "x\n")
    (repo.path / "gone.py").unlink()
    repo.write("tests/test_calc.py", "def test_b():\n    pass\n")
    assert basetree.changed_paths(repo.path, base) == {
        "calc.py": "M",
        "gone.py": "D",
        "new.py": "A",
        "tests/test_calc.py": "M",
    }


def test_changed_paths_against_a_commit_that_does_not_exist_is_an_error(repo: GitRepo) -> None:
    with pytest.raises(GitDiffError, match="git diff failed"):
        basetree.changed_paths(repo.path, "f" * 40)


def test_working_files_are_the_tracked_and_untracked_files_on_disk(repo: GitRepo) -> None:
    repo.write("new.py", "")
    repo.write("ignored.txt", "")
    (repo.path / "gone.py").unlink()
    assert basetree.working_files(repo.path) == [
        ".gitignore",
        "calc.py",
        "link.py",
        "new.py",
        "run.sh",
        "tests/test_calc.py",
    ]


def test_extract_writes_the_bases_files_with_their_modes_and_links(
    repo: GitRepo, tmp_path: Path
) -> None:
    base = repo.head()
    repo.write("calc.py", "A = 99\n")
    dest = tmp_path / "tree"
    written = basetree.extract(repo.path, base, dest, lambda p: p != "gone.py")
    assert written == [".gitignore", "calc.py", "link.py", "run.sh", "tests/test_calc.py"]
    assert (dest / "calc.py").read_text() == "A = 1\n"
    assert os.access(dest / "run.sh", os.X_OK)
    assert os.readlink(dest / "link.py") == "calc.py"
    assert not (dest / "gone.py").exists()


def test_extract_takes_files_the_archive_leaves_out_from_git_objects(
    repo: GitRepo, tmp_path: Path
) -> None:
    repo.write(".gitattributes", "tests/ export-ignore\n")
    base = repo.commit("export-ignore the tests")
    basetree.extract(repo.path, base, tmp_path / "tree", lambda p: True)
    assert (tmp_path / "tree" / "tests" / "test_calc.py").read_text() == (
        "def test_a():\n    pass\n"
    )


def test_extract_writes_files_as_a_checkout_has_them_without_export_substitution(
    repo: GitRepo, tmp_path: Path
) -> None:
    repo.write(".gitattributes", "version.py export-subst\n")
    repo.write("version.py", "COMMIT = '$Format:%H$'\n")
    base = repo.commit("a version file that git archive fills in")
    basetree.extract(repo.path, base, tmp_path / "tree", lambda p: True)
    assert (tmp_path / "tree" / "version.py").read_text() == "COMMIT = '$Format:%H$'\n"
    assert (tmp_path / "tree" / "calc.py").read_text() == "A = 1\n"


def test_extract_of_nothing_runs_no_archive(repo: GitRepo, tmp_path: Path) -> None:
    assert basetree.extract(repo.path, repo.head(), tmp_path / "tree", lambda p: False) == []
    assert not (tmp_path / "tree").exists()


def test_a_link_in_the_tree_never_leads_a_write_out_of_it(repo: GitRepo, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, repo.path / "escape")
    base = repo.commit("a link out")
    dest = tmp_path / "tree"
    basetree.extract(repo.path, base, dest, lambda p: True)
    (repo.path / "escape").unlink()
    repo.write("escape/y.py", "Y = 1\n")
    basetree.overlay(repo.path, dest, ["escape/y.py", "calc.py"])
    assert list(outside.iterdir()) == []
    assert (dest / "calc.py").is_file()


def test_overlay_copies_working_files_and_links_and_remove_deletes(
    repo: GitRepo, tmp_path: Path
) -> None:
    dest = tmp_path / "tree"
    basetree.extract(repo.path, repo.head(), dest, lambda p: True)
    repo.write("calc.py", "A = 5\n")
    basetree.overlay(repo.path, dest, ["calc.py", "link.py", "run.sh"])
    basetree.remove(dest, ["gone.py", "never.py"])
    assert (dest / "calc.py").read_text() == "A = 5\n"
    assert os.readlink(dest / "link.py") == "calc.py"
    assert os.access(dest / "run.sh", os.X_OK)
    assert not (dest / "gone.py").exists()


def test_a_workspace_lies_outside_the_repository_and_is_removed_when_closed(
    repo: GitRepo,
) -> None:
    with basetree.Workspace(repo.path) as workspace:
        tree = workspace.tree("base")
        assert tree.is_dir()
        assert not workspace.path.is_relative_to(repo.path)
        assert workspace.path.name.startswith(basetree.PREFIX)
    assert not workspace.path.exists()


def test_a_workspace_refuses_a_temporary_folder_inside_the_repository(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = repo.path / "tmp"
    inside.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(inside))
    with pytest.raises(GitDiffError, match="set TMPDIR to a directory outside it"):
        basetree.Workspace(repo.path)
    assert list(inside.iterdir()) == []


def test_while_interruptible_sigterm_raises_keyboard_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt), basetree.interruptible():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_interruptible_leaves_another_handler_of_sigterm_alone() -> None:
    seen: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda number, frame: seen.append(number))
    try:
        with basetree.interruptible():
            os.kill(os.getpid(), signal.SIGTERM)
        assert seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_the_import_roots_are_pythonpath_then_src(tmp_path: Path) -> None:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "__init__.py").write_text("")
    layout = Layout(rootdir="", invocation="", inifile=None, pythonpath=("lib", "/elsewhere"))
    assert verifyrun.import_roots(tmp_path, layout) == [
        tmp_path / "lib",
        Path("/elsewhere"),
        tmp_path / "src",
    ]


def test_without_python_in_src_the_import_root_is_the_rootdir(tmp_path: Path) -> None:
    (tmp_path / "sub" / "src").mkdir(parents=True)
    (tmp_path / "sub" / "src" / "notes.txt").write_text("")
    layout = Layout(rootdir="sub", invocation="sub", inifile=None)
    assert verifyrun.import_roots(tmp_path, layout) == [tmp_path / "sub"]


def test_project_names_are_the_modules_and_packages_at_the_roots_test_code_aside(
    tmp_path: Path,
) -> None:
    for name in ("calc.py", "test_calc.py", "conftest.py", "pkg/__init__.py", "tests/x.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / "docs").mkdir()
    assert verifyrun.project_names([tmp_path, tmp_path / "missing"]) == {"calc", "pkg"}


def test_compiled_modules_of_the_project_are_found(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / f"_speed{EXTENSION_SUFFIXES[0]}").write_bytes(b"")
    assert verifyrun.compiled_modules([tmp_path], ["pkg", "absent_pkg_xyz"]) == [
        str(tmp_path / "pkg" / f"_speed{EXTENSION_SUFFIXES[0]}")
    ]


def _distribution(site: Path, name: str, url: str | None, files: list[str], top: str = "") -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    if url is not None:
        (info / "direct_url.json").write_text(json.dumps({"url": url}))
    if top:
        (info / "top_level.txt").write_text(top)
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in files))
    for file in files:  # Python 3.12+ lists only the files that exist
        (site / file).parent.mkdir(parents=True, exist_ok=True)
        (site / file).touch()


def test_the_names_installed_from_the_repository_come_from_pips_direct_url(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    site = tmp_path / "site"
    wheel = (repo / ".tox" / "calc-1.0-py3-none-any.whl").as_uri()
    _distribution(site, "calc", wheel, ["calc/__init__.py", "extra.py", "__pycache__/x.pyc"])
    _distribution(site, "tool", repo.as_uri(), ["_tool.pth"], top="tool\nhelper\n")
    _distribution(site, "other", (tmp_path / "other").as_uri(), ["other/__init__.py"])
    _distribution(site, "pypi", None, ["pypi/__init__.py"])
    _distribution(site, "web", "https://example.invalid/x.whl", ["web/__init__.py"])
    (site / "broken-1.0.dist-info").mkdir()
    (site / "broken-1.0.dist-info" / "direct_url.json").write_text("{not json")
    found = verifyrun.installed_from(repo, [str(site)])
    assert found == {"calc", "extra", "tool", "helper"}


def test_the_limit_of_a_run_is_a_safety_net_with_pytest_timeout_and_the_rule_without() -> None:
    assert verifyrun.run_limit(2, 3, timeout_plugin=False) == 8
    assert verifyrun.run_limit(2, 3, timeout_plugin=True) == 8 + verifyrun.STARTUP_SECONDS


def test_the_tail_of_a_long_output_is_kept() -> None:
    assert verifyrun.tail("  short \n") == "short"
    assert verifyrun.tail("x" * 3000 + "end") == "..." + ("x" * 3000 + "end")[-2000:]


def test_a_run_puts_the_trees_roots_first_and_leaves_the_repositorys_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, tree, work = tmp_path / "repo", tmp_path / "tree", tmp_path / "work"
    (repo / "src").mkdir(parents=True)
    (tree / "src" / "calc").mkdir(parents=True)
    (tree / "src" / "calc" / "__init__.py").write_text("WHERE = 'base'\n")
    probe = "import os, calc\n\ndef test_where():\n    assert calc.WHERE == 'base', os.environ\n"
    (tree / "test_where.py").write_text(probe)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(repo / "src"), str(tmp_path)]))
    monkeypatch.setenv("COVERAGE_PROCESS_START", "x")
    layout = Layout(rootdir="", invocation="", inifile=None)
    outcome = verifyrun.run(
        "run",
        repo=repo,
        tree=tree,
        work=work,
        layout=layout,
        paths=["test_where.py"],
        want=["test_where.py::test_where"],
        timeout=60,
        names=["calc"],
    )
    assert outcome.report is not None, outcome.output
    assert outcome.report["tests"]["test_where.py::test_where"]["outcome"] == "passed"
    assert outcome.child["foreign"] == {}
    assert (work / "empty.ini").read_text() == "[pytest]\n"


def test_a_run_that_outlives_its_limit_is_stopped(tmp_path: Path) -> None:
    tree, work = tmp_path / "tree", tmp_path / "work"
    tree.mkdir()
    (tree / "conftest.py").write_text("import time\n\ntime.sleep(30)\n")
    layout = Layout(rootdir="", invocation="elsewhere", inifile="pytest.ini")
    outcome = verifyrun.run(
        "run",
        repo=tmp_path / "repo",
        tree=tree,
        work=work,
        layout=layout,
        paths=[],
        timeout=0.5,
        names=[],
    )
    assert outcome.stopped
    assert outcome.child == {}
    assert outcome.report is None
