"""Tests of the changed-lines engine: a pure diff parser, then real throw-away git repositories.

Every repository lives under ``tmp_path``, with the system and global git configuration
replaced by a file of the test's own, so the developer's settings cannot leak in. No test
needs a network.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_tdd import gitdiff
from pytest_tdd.gitdiff import Base, GitDiffError

from helpers import GitRepo

# ---------------------------------------------------------------------------------------
# The pure parser


def test_added_lines_are_numbered_as_in_the_new_file() -> None:
    text = "--- a/m.py\n+++ b/m.py\n@@ -3,0 +4,2 @@\n+x = 1\n+y = 2\n@@ -9 +11 @@\n-old\n+new\n"
    assert gitdiff.parse_unified_diff(text) == {"m.py": {4, 5, 11}}


def test_a_hunk_that_only_deletes_leaves_the_file_with_no_lines() -> None:
    text = "--- a/m.py\n+++ b/m.py\n@@ -5,2 +4,0 @@\n-gone = 1\n-gone = 2\n"
    assert gitdiff.parse_unified_diff(text) == {"m.py": set()}


def test_context_lines_between_merged_hunks_are_not_changes() -> None:
    text = "+++ b/m.py\n@@ -1,3 +1,3 @@\n-a\n+A\n b\n-c\n+C\n"
    assert gitdiff.parse_unified_diff(text) == {"m.py": {1, 3}}


def test_an_empty_context_line_counts_as_context() -> None:
    """``diff.suppressBlankEmpty`` prints a blank context line without its space."""
    text = "+++ b/m.py\n@@ -1,3 +1,3 @@\n-a\n+A\n\n-c\n+C\n"
    assert gitdiff.parse_unified_diff(text) == {"m.py": {1, 3}}


def test_an_added_line_that_looks_like_a_file_header_stays_a_line() -> None:
    text = "+++ b/m.py\n@@ -0,0 +1,2 @@\n+++ not a header\n+--- nor this\n"
    assert gitdiff.parse_unified_diff(text) == {"m.py": {1, 2}}


def test_a_hunk_header_without_a_count_means_one_line() -> None:
    text = "+++ b/m.py\n@@ -7 +7 @@\n-a\n+b\n"
    assert gitdiff.parse_unified_diff(text) == {"m.py": {7}}


def test_the_no_newline_marker_is_not_a_line() -> None:
    marker = "\\ No newline at end of file\n"
    text = f"+++ b/m.py\n@@ -1 +1 @@\n-a\n{marker}+b\n{marker}"
    assert gitdiff.parse_unified_diff(text) == {"m.py": {1}}


def test_a_deleted_file_is_absent() -> None:
    text = "--- a/m.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n"
    assert gitdiff.parse_unified_diff(text) == {}


def test_a_file_without_hunks_is_absent() -> None:
    text = (
        "diff --git a/x.bin b/x.bin\nindex 1..2 100644\nBinary files a/x.bin and b/x.bin differ\n"
        "diff --git a/o.py b/n.py\nsimilarity index 100%\nrename from o.py\nrename to n.py\n"
    )
    assert gitdiff.parse_unified_diff(text) == {}


def test_a_name_with_a_space_loses_the_tab_git_appends() -> None:
    text = "+++ b/my dir/my file.py\t\n@@ -0,0 +1 @@\n+a\n"
    assert gitdiff.parse_unified_diff(text) == {"my dir/my file.py": {1}}


def test_a_quoted_name_is_unquoted() -> None:
    text = '+++ "b/qu\\"o\\\\te\\ttab.py"\n@@ -0,0 +1 @@\n+a\n'
    assert gitdiff.parse_unified_diff(text) == {'qu"o\\te\ttab.py': {1}}


def test_octal_escapes_in_a_quoted_name_are_utf8_bytes() -> None:
    text = '+++ "b/h\\303\\251llo.py"\n@@ -0,0 +1 @@\n+a\n'
    assert gitdiff.parse_unified_diff(text) == {"héllo.py": {1}}


def test_a_name_without_a_prefix_is_kept_whole() -> None:
    text = "+++ m.py\n@@ -0,0 +1 @@\n+a\n"
    assert gitdiff.parse_unified_diff(text) == {"m.py": {1}}


def test_a_hunk_before_any_file_header_is_refused() -> None:
    with pytest.raises(GitDiffError, match="hunk before any file header"):
        gitdiff.parse_unified_diff("@@ -0,0 +1 @@\n+a\n")


def test_a_malformed_hunk_line_is_refused() -> None:
    with pytest.raises(GitDiffError, match="unexpected line 3 in a diff hunk"):
        gitdiff.parse_unified_diff("+++ b/m.py\n@@ -0,0 +1,2 @@\n?a\n")


_lines = st.lists(st.sampled_from(["a", "b", "c", "", "# c", "x = 1"]), max_size=12)


@given(old=_lines, new=_lines)
def test_the_parser_agrees_with_difflib_on_which_new_lines_changed(
    old: list[str], new: list[str]
) -> None:
    text = "\n".join(difflib.unified_diff(old, new, "a/m.py", "b/m.py", n=0, lineterm=""))
    expected: set[int] = set()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag in ("insert", "replace"):
            expected.update(range(j1 + 1, j2 + 1))
    assert gitdiff.parse_unified_diff(text).get("m.py", set()) == expected


# ---------------------------------------------------------------------------------------
# Throw-away repositories


# The names these tests use for the shared helper's parts.
Repo = GitRepo
new_repo = GitRepo.init
clone = GitRepo.clone


@pytest.fixture
def repo(git_repo: GitRepo) -> Repo:
    return git_repo


def changed(repo: Repo, ref: str = "main") -> dict[str, frozenset[int]]:
    return gitdiff.changed_lines(repo.path, gitdiff.resolve_base(repo.path, ref))


def lines(text: str) -> str:
    return "".join(f"{line}\n" for line in text.split("|"))


TWENTY = "".join(f"value_{n} = {n}\n" for n in range(1, 21))


def test_the_root_is_found_from_a_subdirectory(repo: Repo) -> None:
    (repo.path / "a" / "b").mkdir(parents=True)
    assert gitdiff.repository_root(repo.path / "a" / "b") == repo.path.resolve()


def test_the_root_is_found_from_a_file(repo: Repo) -> None:
    repo.write("pkg/m.py", "x = 1\n")
    assert gitdiff.repository_root(repo.path / "pkg" / "m.py") == repo.path.resolve()


def test_a_directory_outside_any_repository_is_an_error(tmp_path: Path, git_home: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitDiffError, match=r"not inside a git repository.*git checkout"):
        gitdiff.repository_root(plain)


def test_a_base_outside_any_repository_is_an_error(tmp_path: Path, git_home: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitDiffError, match="not inside a git repository"):
        gitdiff.resolve_base(plain, "main")


def test_a_directory_that_does_not_exist_is_an_error(tmp_path: Path, git_home: Path) -> None:
    with pytest.raises(GitDiffError, match="does not exist"):
        gitdiff.repository_root(tmp_path / "nowhere")


def test_git_missing_from_path_is_an_error(
    tmp_path: Path, git_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(GitDiffError, match=r"git was not found.*install git"):
        gitdiff.repository_root(tmp_path)


def test_a_git_that_hangs_is_stopped_with_an_error(
    tmp_path: Path, git_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 10\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(gitdiff, "TIMEOUT_SECONDS", 0.2)
    with pytest.raises(GitDiffError, match=r"git rev-parse did not finish within 0\.2 s"):
        gitdiff.repository_root(tmp_path)


def test_a_given_ref_is_resolved_to_its_merge_base(repo: Repo) -> None:
    repo.write("m.py", "x = 1\n")
    fork = repo.commit("base")
    repo.git("switch", "-q", "-c", "feature")
    repo.write("m.py", "x = 2\n")
    repo.commit("feature")
    repo.git("switch", "-q", "main")
    repo.write("other.py", "y = 1\n")
    repo.commit("main moves on")
    repo.git("switch", "-q", "feature")
    assert gitdiff.resolve_base(repo.path, "main") == Base("main", fork, "given with --tdd-base")


def test_a_base_describes_itself_for_the_report() -> None:
    base = Base("origin/main", "1a2b3c4d5e6f" + "0" * 28, "the branch's upstream")
    assert base.describe() == "origin/main (the branch's upstream), merge-base 1a2b3c4"


def test_a_misspelt_ref_is_an_error_that_names_it(repo: Repo) -> None:
    repo.commit("base")
    with pytest.raises(GitDiffError, match=r"base ref 'mian' does not name a commit.*spelling"):
        gitdiff.resolve_base(repo.path, "mian")


@pytest.mark.parametrize("ref", ["-x", "--output=evil.txt", "", "main\nHEAD", "a\x00b"])
def test_a_ref_that_could_act_as_an_option_or_is_malformed_is_refused(repo: Repo, ref: str) -> None:
    repo.commit("base")
    with pytest.raises(GitDiffError, match="invalid base ref"):
        gitdiff.resolve_base(repo.path, ref)
    assert not (repo.path / "evil.txt").exists()


def test_a_repository_without_commits_is_an_error(repo: Repo) -> None:
    with pytest.raises(GitDiffError, match="no commits yet"):
        gitdiff.resolve_base(repo.path, None)


def test_unrelated_histories_are_an_error(repo: Repo) -> None:
    repo.commit("base")
    repo.git("switch", "-q", "--orphan", "island")
    repo.commit("island")
    with pytest.raises(GitDiffError, match="no common history"):
        gitdiff.resolve_base(repo.path, "main")


def test_without_upstream_or_origin_the_default_is_main(repo: Repo) -> None:
    head = repo.commit("base")
    assert gitdiff.resolve_base(repo.path, None) == Base("main", head, "no upstream or origin/HEAD")


def test_without_main_the_default_is_master(tmp_path: Path, git_home: Path) -> None:
    repo = new_repo(tmp_path / "old")
    repo.git("branch", "-m", "master")
    head = repo.commit("base")
    assert gitdiff.resolve_base(repo.path, None).ref == "master"
    assert gitdiff.resolve_base(repo.path, None).sha == head


def test_without_any_default_base_the_error_says_how_to_give_one(repo: Repo) -> None:
    repo.git("branch", "-m", "trunk")
    repo.commit("base")
    with pytest.raises(GitDiffError, match=r"no base to compare with.*--tdd-base=REF"):
        gitdiff.resolve_base(repo.path, None)


@pytest.fixture
def origin(tmp_path: Path, git_home: Path) -> Repo:
    origin = new_repo(tmp_path / "origin")
    origin.write("m.py", "x = 1\n")
    origin.commit("one")
    origin.write("m.py", "x = 2\n")
    origin.commit("two")
    return origin


def test_the_default_base_is_the_branch_upstream(origin: Repo, tmp_path: Path) -> None:
    work = clone(origin, tmp_path / "work")
    work.git("switch", "-q", "-c", "feature", "--track", "origin/main")
    work.commit("feature")
    assert gitdiff.resolve_base(work.path, None) == Base(
        "origin/main", origin.git("rev-parse", "HEAD"), "the branch's upstream"
    )


def test_without_an_upstream_the_default_is_origin_head(origin: Repo, tmp_path: Path) -> None:
    work = clone(origin, tmp_path / "work")
    work.git("switch", "-q", "--no-track", "-c", "feature", "origin/main")
    work.commit("feature")
    assert gitdiff.resolve_base(work.path, None) == Base(
        "origin/main", origin.git("rev-parse", "HEAD"), "origin/HEAD"
    )


def test_a_shallow_clone_missing_the_merge_base_says_how_to_fetch_it(
    origin: Repo, tmp_path: Path
) -> None:
    origin.git("switch", "-q", "-c", "feature")
    origin.commit("three")
    origin.commit("four")
    origin.git("switch", "-q", "main")
    work = clone(origin, tmp_path / "work", "--depth", "1", "--no-single-branch")
    work.git("switch", "-q", "feature")
    with pytest.raises(GitDiffError, match="shallow clone") as caught:
        gitdiff.resolve_base(work.path, "origin/main")
    assert "git fetch --unshallow" in str(caught.value)
    assert "fetch-depth: 0" in str(caught.value)


def test_a_shallow_clone_missing_the_base_commit_says_how_to_fetch_it(
    origin: Repo, tmp_path: Path
) -> None:
    first = origin.git("rev-parse", "HEAD~1")
    work = clone(origin, tmp_path / "work", "--depth", "1")
    with pytest.raises(GitDiffError, match=r"shallow clone.*git fetch --unshallow"):
        gitdiff.resolve_base(work.path, first)


def test_committed_staged_and_unstaged_changes_are_in_working_tree_lines(repo: Repo) -> None:
    repo.write(
        "calc.py", lines("def add(a, b):|    return a + b|||def sub(a, b):|    return a - b")
    )
    repo.commit("base")
    repo.git("switch", "-q", "-c", "feature")
    with (repo.path / "calc.py").open("a", encoding="utf-8") as out:
        out.write(lines("||def mul(a, b):|    return a * b"))
    repo.commit("committed")
    with (repo.path / "calc.py").open("a", encoding="utf-8") as out:
        out.write(lines("||def div(a, b):|    return a / b"))
    repo.git("add", "calc.py")
    text = (repo.path / "calc.py").read_text(encoding="utf-8")
    repo.write("calc.py", lines("import os|import sys|") + text)
    assert changed(repo) == {"calc.py": frozenset({1, 2, 3, *range(10, 18)})}


def test_a_rename_is_detected_even_when_the_repository_turns_renames_off(repo: Repo) -> None:
    repo.git("config", "diff.renames", "false")
    repo.write("old_name.py", TWENTY)
    repo.commit("base")
    repo.git("switch", "-q", "-c", "feature")
    repo.git("mv", "old_name.py", "new_name.py")
    repo.write("new_name.py", TWENTY.replace("value_7 = 7", "value_7 = 70"))
    repo.commit("rename and edit")
    assert changed(repo) == {"new_name.py": frozenset({7})}


def test_a_deletion_only_change_maps_the_file_to_no_lines(repo: Repo) -> None:
    repo.write("m.py", TWENTY)
    repo.commit("base")
    repo.write("m.py", TWENTY.replace("value_3 = 3\n", ""))
    assert changed(repo) == {"m.py": frozenset()}


def test_a_deleted_file_contributes_nothing(repo: Repo) -> None:
    repo.write("m.py", TWENTY)
    repo.commit("base")
    (repo.path / "m.py").unlink()
    assert changed(repo) == {}


def test_an_untracked_module_is_wholly_new_and_an_ignored_one_is_absent(repo: Repo) -> None:
    repo.write(".gitignore", "scratch_*.py\n")
    repo.commit("base")
    repo.write("pkg/new_module.py", "a = 1\n\nb = 2")
    repo.write("scratch_notes.py", "c = 3\n")
    assert changed(repo) == {"pkg/new_module.py": frozenset({1, 2, 3})}


def test_empty_and_binary_untracked_files_have_no_lines(repo: Repo) -> None:
    repo.commit("base")
    repo.write("empty.py", "")
    (repo.path / "blob.bin").write_bytes(b"\x00\x01\n\x02\n")
    assert changed(repo) == {"blob.bin": frozenset(), "empty.py": frozenset()}


def test_a_nested_repository_is_not_an_untracked_file(repo: Repo) -> None:
    repo.commit("base")
    new_repo(repo.path / "vendored")
    assert changed(repo) == {}


def test_names_with_spaces_quotes_and_non_ascii_letters_survive(repo: Repo) -> None:
    names = ["dir with space/mödule.py", 'qu"ote.py', "tab\there.py", "日本.py"]
    for name in names:
        repo.write(name, "x = 1\n")
    repo.commit("base")
    for name in names:
        repo.write(name, "x = 1\ny = 2\n")
    repo.write("néw file.py", "z = 3\n")
    expected = {name: frozenset({2}) for name in names} | {"néw file.py": frozenset({1})}
    assert changed(repo) == expected


def test_the_users_diff_settings_do_not_change_the_result(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.write("m.py", TWENTY)
    repo.commit("base")
    repo.write("m.py", TWENTY.replace("value_2 = 2", "value_2 = 22").replace("value_5 ", "v5 "))
    plain = changed(repo)
    for key, value in [
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("diff.suppressBlankEmpty", "true"),
        ("diff.interHunkContext", "10"),
        ("diff.context", "5"),
        ("diff.external", "false"),
        ("color.ui", "always"),
        ("core.quotePath", "true"),
    ]:
        repo.git("config", key, value)
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", "false")
    assert changed(repo) == plain == {"m.py": frozenset({2, 5})}


def test_a_failing_diff_is_an_error_with_gits_message(repo: Repo) -> None:
    repo.commit("base")
    bogus = Base("main", "f" * 40, "given with --tdd-base")
    with pytest.raises(GitDiffError, match="git diff failed"):
        gitdiff.changed_lines(repo.path, bogus)


def test_a_base_sha_that_is_not_hexadecimal_is_refused(repo: Repo) -> None:
    repo.commit("base")
    with pytest.raises(GitDiffError, match="not a commit id"):
        gitdiff.changed_lines(repo.path, Base("main", "--output=x", "given with --tdd-base"))


def test_the_hunks_of_a_deleted_file_do_not_leak_into_the_next_file() -> None:
    text = (
        "diff --git a/gone.py b/gone.py\n--- a/gone.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n"
        "diff --git a/kept.py b/kept.py\n--- a/kept.py\n+++ b/kept.py\n@@ -1 +1,2 @@\n-a\n+b\n+c\n"
    )
    assert gitdiff.parse_unified_diff(text) == {"kept.py": {1, 2}}


def test_a_dangling_untracked_symlink_has_no_lines(repo: Repo) -> None:
    repo.commit("base")
    (repo.path / "link.py").symlink_to(repo.path / "missing.py")
    assert changed(repo) == {"link.py": frozenset()}


def test_a_corrupt_index_is_an_error_with_gits_message(repo: Repo) -> None:
    repo.commit("base")
    (repo.path / ".git" / "index").write_bytes(b"garbage")
    with pytest.raises(GitDiffError, match=r"git ls-files failed.*index"):
        gitdiff.untracked_files(repo.path)


# ---------------------------------------------------------------------------------------
# head(): the commit checked out, asked with the same runner; never an error


def test_head_is_the_full_sha_of_the_commit_checked_out(git_repo: GitRepo) -> None:
    git_repo.commit("first")
    second = git_repo.commit("second")
    assert gitdiff.head(git_repo.path) == second


def test_head_is_found_from_a_subdirectory(git_repo: GitRepo) -> None:
    sha = git_repo.commit("first")
    (git_repo.path / "pkg").mkdir()
    assert gitdiff.head(git_repo.path / "pkg") == sha


def test_head_of_a_repository_without_commits_is_none(git_repo: GitRepo) -> None:
    assert gitdiff.head(git_repo.path) is None


def test_head_outside_any_repository_is_none(tmp_path: Path, git_home: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert gitdiff.head(plain) is None


def test_head_of_a_directory_that_does_not_exist_is_none(tmp_path: Path, git_home: Path) -> None:
    assert gitdiff.head(tmp_path / "nowhere") is None


def test_head_of_a_path_that_is_a_file_is_none(git_repo: GitRepo) -> None:
    git_repo.commit("first")
    assert gitdiff.head(git_repo.write("m.py", "x = 1\n")) is None


def test_head_without_git_on_path_is_none(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.commit("first")
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert gitdiff.head(git_repo.path) is None


def test_head_from_a_git_that_hangs_is_none(
    tmp_path: Path, git_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 10\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(gitdiff, "TIMEOUT_SECONDS", 0.2)
    assert gitdiff.head(tmp_path) is None


def test_git_missing_from_path_is_an_error_that_names_both_users_of_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # diff coverage and --tdd-verify both ask git: the message must fit either
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GitDiffError) as raised:
        gitdiff.repository_root(tmp_path)
    assert str(raised.value) == (
        "git was not found on PATH: diff coverage and --tdd-verify ask git what changed;"
        " install git (or put it on PATH), or run without them"
    )
