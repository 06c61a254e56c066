"""Unit tests for the evidence file: its text format, loading and atomic saving."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pytest_tdd import evidence
from pytest_tdd.evidence import EvidenceError, Record

from helpers import build_ledger as ledger

RED = Record(
    "tests/test_a.py::test_x",
    "red",
    "0123456789abcdef",
    kind="assertion",
    exception="AssertionError",
    message="assert 1 == 2",
    head="abc1234",
)
GREEN = Record("tests/test_a.py::test_y[1]", "green", "fedcba9876543210", case="1111222233334444")
LEGACY = Record("tests/test_b.py::test_z", "legacy", "00000000ffffffff")


def test_the_text_is_sorted_one_record_per_line_with_a_trailing_newline() -> None:
    text = evidence.dumps(ledger(LEGACY, GREEN, RED))
    lines = text.splitlines()
    assert lines[0] == '{"pytest-tdd-evidence": 2}'
    assert [line.split('"', 4)[3] for line in lines[1:]] == [
        RED.nodeid,
        GREEN.nodeid,
        LEGACY.nodeid,
    ]
    assert text.endswith("}\n")


def test_a_record_line_is_readable_json_in_a_fixed_key_order() -> None:
    line = evidence.dumps(ledger(RED)).splitlines()[1]
    assert line == (
        '{"id": "tests/test_a.py::test_x", "status": "red", "fp": "0123456789abcdef", '
        '"kind": "assertion", "exc": "AssertionError", "msg": "assert 1 == 2", '
        '"head": "abc1234"}'
    )


def test_parse_reads_back_what_dumps_wrote() -> None:
    state = ledger(RED, GREEN, LEGACY)
    assert evidence.parse(evidence.dumps(state), "f") == state


def test_an_empty_file_is_an_empty_ledger() -> None:
    assert evidence.parse("", "f") == {}


def test_unsorted_lines_and_blank_lines_are_accepted() -> None:
    header, *records = evidence.dumps(ledger(RED, LEGACY)).splitlines()
    text = "\n".join([header, "", *reversed(records), ""])
    assert evidence.parse(text, "f") == ledger(RED, LEGACY)


def test_duplicate_lines_left_by_a_union_merge_are_kept_as_candidates() -> None:
    other = Record(RED.nodeid, "green", "1111111111111111", kind="assertion")
    text = evidence.dumps(ledger(RED)) + evidence.dumps(ledger(other)).splitlines()[1] + "\n"
    assert evidence.parse(text, "f") == {RED.nodeid: (RED, other)}


def test_identical_duplicate_lines_collapse() -> None:
    text = evidence.dumps(ledger(RED)) + evidence.dumps(ledger(RED)).splitlines()[1] + "\n"
    assert evidence.parse(text, "f") == ledger(RED)


def test_non_ascii_ids_are_written_as_text() -> None:
    record = Record("tests/test_ü.py::test_ß[ä b]", "legacy", "0" * 16)
    text = evidence.dumps(ledger(record))
    assert "test_ß[ä b]" in text
    assert evidence.parse(text, "f") == ledger(record)


def test_an_id_with_a_lone_surrogate_survives_a_round_trip() -> None:
    record = Record("tests/test_\udcff.py::test_x", "legacy", "0" * 16)
    text = evidence.dumps(ledger(record))
    text.encode("utf-8")
    assert evidence.parse(text, "f") == ledger(record)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"pytest-tdd-evidence": 1}\n{"id": "a", "status": "red"', "line 2: not valid JSON"),
        ("not json at all\n", "line 1: not valid JSON"),
        ('{"id": "a", "status": "legacy", "fp": "0"}\n', "line 1: missing the header"),
        ('{"pytest-tdd-evidence": 3}\n', "format version 3"),
        ('{"pytest-tdd-evidence": "1"}\n', "format version '1'"),
        ('{"pytest-tdd-evidence": 1}\n[1, 2]\n', "line 2: a record must be a JSON object"),
        ('{"pytest-tdd-evidence": 1}\n{"id": "a", "status": "blue", "fp": "0"}\n', "status"),
        ('{"pytest-tdd-evidence": 1}\n{"id": 3, "status": "legacy", "fp": "0"}\n', "'id'"),
        ('{"pytest-tdd-evidence": 1}\n{"status": "legacy", "fp": "0"}\n', "'id'"),
        ('{"pytest-tdd-evidence": 1}\n{"id": "a", "status": "legacy"}\n', "'fp'"),
        ('{"pytest-tdd-evidence": 1}\n{"id": "a", "status": "red", "fp": "0", "x": 1}\n', "'x'"),
        (
            '{"pytest-tdd-evidence": 1}\n{"id": "a", "status": "red", "fp": "0", "msg": 5}\n',
            "'msg'",
        ),
    ],
)
def test_a_malformed_file_is_refused_with_the_line_and_the_problem(text: str, problem: str) -> None:
    with pytest.raises(EvidenceError, match=r"^evidence file f: ") as raised:
        evidence.parse(text, "f")
    assert problem in str(raised.value)


def test_conflict_markers_are_refused_with_a_hint_about_union_merges() -> None:
    text = '{"pytest-tdd-evidence": 1}\n<<<<<<< HEAD\n'
    with pytest.raises(EvidenceError, match="merge conflict") as raised:
        evidence.parse(text, "f")
    assert "merge=union" in str(raised.value)


def test_load_of_a_missing_file_is_an_empty_ledger(tmp_path: Path) -> None:
    assert evidence.load(tmp_path / "missing.jsonl") == {}


def test_load_refuses_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(b'{"pytest-tdd-evidence": 1}\n\xff\xfe\n')
    with pytest.raises(EvidenceError, match="not UTF-8"):
        evidence.load(path)


def test_save_writes_the_text_and_load_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    evidence.save(path, ledger(RED, GREEN))
    assert path.read_text("utf-8") == evidence.dumps(ledger(RED, GREEN))
    assert evidence.load(path) == ledger(RED, GREEN)


def test_save_leaves_no_temporary_file_behind(tmp_path: Path) -> None:
    evidence.save(tmp_path / "e.jsonl", ledger(RED))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.jsonl"]


def test_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    evidence.save(path, ledger(RED))
    path.chmod(0o640)
    evidence.save(path, ledger(GREEN))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.tdd_exempt("skipped where the suite runs as root, so never seen red there")
@pytest.mark.skipif(os.geteuid() == 0, reason="root can write read-only files")
def test_save_into_a_read_only_folder_raises_an_error_naming_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(EvidenceError, match=r"evidence file .*e\.jsonl: cannot write it"):
            evidence.save(folder / "e.jsonl", ledger(RED))
    finally:
        folder.chmod(0o700)


def test_apply_puts_and_drops_records() -> None:
    other = Record(RED.nodeid, "green", RED.fingerprint, kind="assertion")
    base = {RED.nodeid: (RED, GREEN), LEGACY.nodeid: (LEGACY,)}
    changes = evidence.Changes(put={RED.nodeid: other}, drop={LEGACY.nodeid})
    assert evidence.apply(base, changes) == {RED.nodeid: (other,)}
    assert base == {RED.nodeid: (RED, GREEN), LEGACY.nodeid: (LEGACY,)}


def test_save_where_the_folder_is_a_file_raises_an_error_naming_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    with pytest.raises(EvidenceError, match=r"evidence file .*blocker/e\.jsonl: cannot write it"):
        evidence.save(blocker / "e.jsonl", ledger(RED))


def test_update_applies_the_changes_to_what_is_on_disk_now(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    evidence.save(path, ledger(LEGACY))  # written by another run since this one loaded
    assert evidence.update(path, evidence.Changes(put={RED.nodeid: RED}))
    assert evidence.load(path) == ledger(LEGACY, RED)


def test_update_without_changes_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    assert not evidence.update(path, evidence.Changes())
    assert not path.exists()


def test_update_that_changes_nothing_on_disk_leaves_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    evidence.save(path, ledger(RED))
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert not evidence.update(path, evidence.Changes(put={RED.nodeid: RED}))
    assert path.stat().st_mtime_ns == 1_000_000_000


def test_update_waits_for_the_lock_and_gives_up_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    with evidence.locked(path, timeout=1), pytest.raises(EvidenceError) as raised:
        evidence.update(path, evidence.Changes(put={RED.nodeid: RED}), timeout=0.2)
    assert "another pytest run has held its lock for 0.2 s" in str(raised.value)
    assert not path.exists()


def test_the_lock_is_released_after_an_update(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    evidence.update(path, evidence.Changes(put={RED.nodeid: RED}))
    with evidence.locked(path, timeout=0.2):
        pass


def test_update_removes_temporary_files_left_by_a_killed_writer(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    (tmp_path / ".e.jsonl.abc123.tmp").write_text("half a fi")
    (tmp_path / ".other.jsonl.abc123.tmp").write_text("not ours")
    evidence.update(path, evidence.Changes(put={RED.nodeid: RED}))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.jsonl.abc123.tmp", "e.jsonl"]


def test_update_never_overwrites_a_file_it_cannot_read(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text("garbage")
    with pytest.raises(EvidenceError, match="not valid JSON"):
        evidence.update(path, evidence.Changes(put={RED.nodeid: RED}))
    assert path.read_text() == "garbage"


def test_update_trusts_a_ledger_read_earlier_only_while_the_file_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "e.jsonl"
    evidence.save(path, ledger(LEGACY))
    known = (evidence.signature(path), *evidence.load_with_files(path))
    reads: list[Path] = []
    real_load = evidence.load
    real_load_with_files = evidence.load_with_files

    def counting_load(p: Path) -> tuple[evidence.Ledger, evidence.Files]:
        reads.append(p)
        return real_load_with_files(p)

    monkeypatch.setattr(evidence, "load_with_files", counting_load)
    evidence.update(path, evidence.Changes(put={RED.nodeid: RED}), known=known)
    assert reads == []
    evidence.update(path, evidence.Changes(put={GREEN.nodeid: GREEN}), known=known)
    assert reads == [path]  # the first update rewrote the file: read it again
    assert real_load(path) == ledger(LEGACY, RED, GREEN)


def test_a_float_version_is_not_version_one() -> None:
    with pytest.raises(EvidenceError, match=r"format version 1\.0 is not supported"):
        evidence.parse('{"pytest-tdd-evidence": 1.0}\n', "f")


def test_characters_that_some_tools_take_for_line_breaks_are_escaped() -> None:
    record = Record("t.py::test_x", "red", "0" * 16, message="a\u2028b\x85c")
    text = evidence.dumps(ledger(record))
    assert "\u2028" not in text
    assert "\\u2028" in text
    assert "\\u0085" in text


def test_a_file_with_windows_line_ends_is_read() -> None:
    text = evidence.dumps(ledger(RED, LEGACY)).replace("\n", "\r\n")
    assert evidence.parse(text, "f") == ledger(RED, LEGACY)


def test_a_version_1_file_is_parsed_but_load_names_the_upgrade(tmp_path: Path) -> None:
    text = '{"pytest-tdd-evidence": 1}\n{"id": "a", "status": "legacy", "fp": "0"}\n'
    assert list(evidence.parse(text, "f")) == ["a"]
    path = tmp_path / "e.jsonl"
    path.write_text(text, "utf-8")
    with pytest.raises(EvidenceError, match=r"format version 1 .*pytest --tdd-upgrade"):
        evidence.load(path)
    assert evidence.load_any(path)[0] == 1


def test_file_lines_come_first_sorted_by_path_and_read_back() -> None:
    files = {"tests/test_b.py": ("b" * 32,), "tests/test_a.py": ("a" * 32,)}
    text = evidence.dumps(ledger(RED, LEGACY), files)
    assert text.splitlines()[1:3] == [
        '{"file": "tests/test_a.py", "digest": "' + "a" * 32 + '"}',
        '{"file": "tests/test_b.py", "digest": "' + "b" * 32 + '"}',
    ]
    assert evidence.parse_with_files(text, "f") == (ledger(RED, LEGACY), files)
    assert evidence.parse(text, "f") == ledger(RED, LEGACY)


def test_two_file_lines_for_one_path_left_by_a_union_merge_are_both_kept() -> None:
    text = evidence.dumps(ledger(RED), {"t.py": ("a" * 32,)})
    text += '{"file": "t.py", "digest": "' + "b" * 32 + '"}\n'
    assert evidence.parse_with_files(text, "f")[1] == {"t.py": ("a" * 32, "b" * 32)}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"file": "t.py"}', "a file line needs 'file' and 'digest', strings, and nothing else"),
        ('{"file": "t.py", "digest": 1}', "a file line needs 'file' and 'digest'"),
        ('{"file": "t.py", "digest": "a", "id": "x"}', "a file line needs 'file' and 'digest'"),
    ],
)
def test_a_malformed_file_line_is_refused_with_its_line(line: str, problem: str) -> None:
    text = evidence.dumps(ledger(RED)) + line + "\n"
    with pytest.raises(EvidenceError, match=f"line 3: {problem}"):
        evidence.parse_with_files(text, "f")


def test_update_puts_and_drops_file_lines_and_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    evidence.save(path, ledger(RED), {"a.py": ("1" * 32,), "b.py": ("2" * 32, "3" * 32)})
    changes = evidence.Changes(files={"b.py": "4" * 32, "c.py": None, "a.py": None})
    assert evidence.update(path, changes)
    assert evidence.load_with_files(path) == (ledger(RED), {"b.py": ("4" * 32,)})


def test_update_of_records_keeps_the_file_lines_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    evidence.save(path, ledger(RED), {"a.py": ("1" * 32,)})
    assert evidence.update(path, evidence.Changes(put={LEGACY.nodeid: LEGACY}))
    assert evidence.load_with_files(path) == (ledger(RED, LEGACY), {"a.py": ("1" * 32,)})


def test_records_made_again_around_another_string_of_their_id_hold_that_string() -> None:
    nodeid = "".join(["tests/test_a.py::", "test_x"])  # equal to RED's id, another object
    assert nodeid is not RED.nodeid
    again = evidence.with_id((RED, RED._replace(fingerprint="ffff000011112222")), nodeid)
    assert again == (RED, RED._replace(fingerprint="ffff000011112222"))
    assert [record.nodeid is nodeid for record in again] == [True, True]
    assert all(type(record) is Record for record in again)


def test_a_ledger_gives_the_records_of_an_id_and_holds_them_with_the_string_it_was_given() -> None:
    other = GREEN._replace(fingerprint="ffff000011112222")
    held = evidence.Ledger([(RED.nodeid, (RED,)), (GREEN.nodeid, (GREEN, other))])
    # equal to the records' ids, other objects
    red_id, green_id = ("".join([nodeid[:5], nodeid[5:]]) for nodeid in (RED.nodeid, GREEN.nodeid))
    assert red_id is not RED.nodeid
    assert green_id is not GREEN.nodeid
    assert held.take_id(red_id) == (RED,)
    assert held.take_id(green_id) == (GREEN, other)
    assert held.take_id("tests/test_gone.py::test_q") == ()
    assert [nodeid is red_id or nodeid is green_id for nodeid in held] == [True, True]
    assert [r.nodeid is red_id for r in held[red_id]] == [True]
    assert [r.nodeid is green_id for r in held[green_id]] == [True, True]
    assert held == {RED.nodeid: (RED,), GREEN.nodeid: (GREEN, other)}


def test_a_ledger_made_from_a_mapping_holds_its_records() -> None:
    other = GREEN._replace(fingerprint="ffff000011112222")
    made = evidence.Ledger({RED.nodeid: (RED,), GREEN.nodeid: (GREEN, other)})
    assert list(made.items()) == [(RED.nodeid, (RED,)), (GREEN.nodeid, (GREEN, other))]


def test_the_union_merge_hint_names_the_evidence_file() -> None:
    text = '{"pytest-tdd-evidence": 1}\n<<<<<<< HEAD\n'
    with pytest.raises(EvidenceError) as raised:
        evidence.parse(text, "project/tdd-evidence.jsonl")
    assert "add 'tdd-evidence.jsonl merge=union' to .gitattributes" in str(raised.value)


def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    # Some Windows editors add one: the records are there all the same
    path = tmp_path / "tdd-evidence.jsonl"
    evidence.save(path, ledger(Record("t.py::t", "green", "f" * 16)))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert list(evidence.load(path)) == ["t.py::t"]


def test_a_file_no_one_may_write_is_left_as_it_is(tmp_path: Path) -> None:
    # Made read-only on purpose (chmod a-w): replacing it would go around that
    path = tmp_path / "tdd-evidence.jsonl"
    evidence.save(path, ledger(Record("t.py::t", "green", "f" * 16)))
    path.chmod(0o444)
    before = path.read_bytes()
    with pytest.raises(EvidenceError, match=r"is read-only .*chmod u\+w"):
        evidence.save(path, ledger(Record("t.py::u", "green", "e" * 16)))
    assert path.read_bytes() == before


def test_a_file_with_windows_line_endings_keeps_them_when_written_again(tmp_path: Path) -> None:
    # A checkout with core.autocrlf: rewriting it with LF would make every line a change
    path = tmp_path / "tdd-evidence.jsonl"
    evidence.save(path, ledger(Record("t.py::t", "green", "f" * 16)))
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    evidence.save(
        path, ledger(Record("t.py::t", "green", "f" * 16), Record("t.py::u", "red", "e" * 16))
    )
    written = path.read_bytes()
    assert written.count(b"\r\n") == written.count(b"\n") == 3
