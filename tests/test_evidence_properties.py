"""Property-based tests of the evidence file's loader and writer.

Whatever bytes are on disk, loading gives a ledger or an ``EvidenceError`` naming the file,
never another exception, and never touches the file. Whatever ledger is saved, loading it
back gives the same ledger.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_tdd import evidence
from pytest_tdd.evidence import EvidenceError, Ledger, Record, Status

HEADER = '{"pytest-tdd-evidence": 2}'
SOURCE = "some dir/tdd-evidence.jsonl"  # the name parse puts in its messages
FIELDS = ("id", "status", "fp", "case", "kind", "exc", "msg", "head")

# Characters that JSON or the file format treat specially, non-BMP characters, and the lone
# surrogates that an undecodable file name gives (os.fsdecode of bytes 0x80-0xff).
SPECIAL = '"\\/\n\r\t\x00\x1f\x7f []{}:,#=<>\xa0é\u200b\ufeff\U0001f600\U0010ffff'
LONE_SURROGATES = "".join(chr(code) for code in range(0xDC80, 0xDD00))
# Characters that str.splitlines treats as line breaks (the file's lines end at "\n" only).
UNICODE_LINE_BREAKS = "\x85\u2028\u2029"

any_character = st.one_of(
    st.characters(),
    st.sampled_from(SPECIAL),
    st.sampled_from(LONE_SURROGATES),
)
any_text = st.text(any_character, max_size=12)
readable_text = st.text(
    st.one_of(
        st.characters(),
        st.sampled_from(UNICODE_LINE_BREAKS),
        st.sampled_from(SPECIAL),
        st.sampled_from(LONE_SURROGATES),
    ),
    max_size=12,
)
statuses: st.SearchStrategy[Status] = st.sampled_from(("red", "green", "legacy"))

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text())
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=6,
)
non_strings = json_values.filter(lambda value: not isinstance(value, str))

QUICK = settings(max_examples=100)  # cheap inputs: text, JSON values
STATES = settings(max_examples=30)  # whole ledgers, costlier to generate
WITH_FILES = settings(max_examples=20, deadline=None)


@st.composite
def records(draw: st.DrawFn, nodeid: str, text: st.SearchStrategy[str]) -> Record:
    optional = st.none() | text
    return Record(
        nodeid,
        draw(statuses),
        draw(text),
        case=draw(optional),
        kind=draw(optional),
        exception=draw(optional),
        message=draw(optional),
        head=draw(optional),
    )


@st.composite
def ledgers(draw: st.DrawFn, text: st.SearchStrategy[str] = readable_text) -> Ledger:
    """Any valid state: distinct ids, each with one or more distinct records."""
    result = Ledger()
    for nodeid in draw(st.lists(text, max_size=4, unique=True)):
        candidates = draw(st.lists(records(nodeid, text), min_size=1, max_size=2, unique=True))
        result[nodeid] = tuple(candidates)
    return result


def in_file_order(ledger: Mapping[str, tuple[Record, ...]]) -> list[Record]:
    return [record for nodeid in sorted(ledger) for record in ledger[nodeid]]


def ledger_of(records: list[Record]) -> Ledger:
    """The ledger of these record lines read in this order: distinct candidates per id."""
    result = Ledger()
    for record in records:
        candidates = result.get(record.nodeid, ())
        if record not in candidates:
            result[record.nodeid] = (*candidates, record)
    return result


def line_of(record: Record) -> str:
    return evidence.dumps({record.nodeid: (record,)}).split("\n")[1]


def parsed_or_refused(text: str) -> Ledger | None:
    """The ledger in ``text``, or None if parse refused it with a proper EvidenceError.

    Any other exception escapes, and fails the test that called this.
    """
    try:
        ledger = evidence.parse(text, SOURCE)
    except EvidenceError as error:
        message = str(error)
    else:
        assert_is_a_ledger(ledger)
        return ledger
    assert message.startswith(f"evidence file {SOURCE}: ")
    return None


def assert_is_a_ledger(ledger: object) -> None:
    assert isinstance(ledger, Mapping)
    for nodeid, candidates in ledger.items():
        assert isinstance(candidates, tuple)
        assert candidates
        assert all(isinstance(r, Record) and r.nodeid == nodeid for r in candidates)
    assert isinstance(ledger, Ledger)


@contextmanager
def evidence_file(content: bytes) -> Iterator[Path]:
    """A fresh file holding ``content``, in a folder of its own, removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tdd-evidence.jsonl"
        path.write_bytes(content)
        yield path


def record_data(**fields: object) -> dict[str, object]:
    return {"id": "tests/test_a.py::test_x", "status": "red", "fp": "0123456789abcdef", **fields}


def text_of(*lines: object) -> str:
    return "".join(f"{line if isinstance(line, str) else json.dumps(line)}\n" for line in lines)


# ---------------------------------------------------------------------------------------
# Any input: a ledger or an EvidenceError, never a traceback


@QUICK
@given(text=st.text())
def test_parse_of_any_text_returns_a_ledger_or_raises_an_evidence_error(text: str) -> None:
    parsed_or_refused(text)


@QUICK
@given(text=st.text(any_character))
def test_parse_of_any_text_with_special_characters_returns_a_ledger_or_an_error(
    text: str,
) -> None:
    parsed_or_refused(text)


@QUICK
@given(
    lines=st.lists(json_values.map(json.dumps) | any_text, max_size=5),
    header=st.booleans(),
)
def test_parse_of_lines_of_any_json_returns_a_ledger_or_raises_an_evidence_error(
    lines: list[str], header: bool
) -> None:
    parsed_or_refused("\n".join([HEADER, *lines] if header else lines))


@QUICK
@given(
    data=st.lists(
        st.fixed_dictionaries(
            {},
            optional=dict.fromkeys(FIELDS, json_values | any_text),
        ),
        max_size=4,
    )
)
def test_parse_of_records_with_any_fields_returns_a_ledger_or_raises_an_evidence_error(
    data: list[dict[str, object]],
) -> None:
    parsed_or_refused(text_of(HEADER, *data))


@WITH_FILES
@given(content=st.binary())
@example(content=b"")
@example(content=b"\xff\xfe")
@example(content=HEADER.encode() + b"\n\xed\xb3\xbf\n")  # an encoded surrogate
def test_load_of_any_bytes_returns_a_ledger_or_raises_an_evidence_error_naming_the_file(
    content: bytes,
) -> None:
    with evidence_file(content) as path:
        try:
            ledger = evidence.load(path)
        except EvidenceError as error:
            message = str(error)
        else:
            assert_is_a_ledger(ledger)
            return
    assert message.startswith(f"evidence file {path}: ")


@WITH_FILES
@given(content=st.binary() | ledgers().map(lambda ledger: evidence.dumps(ledger).encode()))
def test_load_never_modifies_the_file_it_reads(content: bytes) -> None:
    with evidence_file(content) as path:
        with suppress(EvidenceError):
            evidence.load(path)
        assert path.read_bytes() == content


# ---------------------------------------------------------------------------------------
# Truncated files: a cut inside a line is refused, never read as a shorter file

FIXED = {
    "tests/test_a.py::test_x": (
        Record("tests/test_a.py::test_x", "red", "0" * 16, kind="assertion", message="a\nb"),
        Record("tests/test_a.py::test_x", "green", "1" * 16, head="abc1234"),
    ),
    "tests/test_ü.py::test_ß[é \U0001f600]": (
        Record("tests/test_ü.py::test_ß[é \U0001f600]", "legacy", "2" * 16, case="c"),
    ),
    "tests/test_\udcff.py::test_y": (
        Record("tests/test_\udcff.py::test_y", "green", "3" * 16, message='"{[\\'),
    ),
}


def cuts(content: bytes) -> Iterator[tuple[bytes, bool, int]]:
    """Every prefix of ``content``: (prefix, whether it ends inside a line, complete lines)."""
    lines = content.split(b"\n")
    for length in range(len(content) + 1):
        prefix = content[:length]
        *complete, last = prefix.split(b"\n")
        inside = last != b"" and last != lines[len(complete)]
        yield prefix, inside, len(complete) + (last != b"")


def test_every_cut_of_a_file_inside_a_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tdd-evidence.jsonl"
    accepted = []
    for prefix, inside, _ in cuts(evidence.dumps(FIXED).encode()):
        if inside:
            path.write_bytes(prefix)
            try:
                evidence.load(path)
            except EvidenceError:
                continue
            accepted.append(prefix)
    assert accepted == []


def test_every_cut_of_a_file_at_the_end_of_a_line_loads_the_records_before_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tdd-evidence.jsonl"
    ordered = in_file_order(FIXED)
    for prefix, inside, complete in cuts(evidence.dumps(FIXED).encode()):
        if not inside:
            path.write_bytes(prefix)
            assert evidence.load(path) == ledger_of(ordered[: max(complete - 1, 0)]), prefix


@STATES
@given(ledger=ledgers(), data=st.data())
def test_any_file_cut_inside_a_line_is_refused(ledger: Ledger, data: st.DataObject) -> None:
    text = evidence.dumps(ledger)
    ends = [index for index, char in enumerate(text) if char == "\n"]
    starts = [0, *(end + 1 for end in ends[:-1])]
    line = data.draw(st.integers(0, len(ends) - 1), label="line")
    cut = data.draw(st.integers(starts[line] + 1, ends[line] - 1), label="cut")
    with pytest.raises(EvidenceError, match=f"line {line + 1}: not valid JSON"):
        evidence.parse(text[:cut], SOURCE)


@STATES
@given(ledger=ledgers(), data=st.data())
def test_any_file_cut_at_the_end_of_a_line_loads_the_records_before_it(
    ledger: Ledger, data: st.DataObject
) -> None:
    text = evidence.dumps(ledger)
    lines = text.split("\n")[:-1]
    kept = data.draw(st.integers(1, len(lines)), label="kept lines")
    newline = data.draw(st.booleans(), label="with the last newline")
    cut = "\n".join(lines[:kept]) + ("\n" if newline else "")
    assert evidence.parse(cut, SOURCE) == ledger_of(in_file_order(ledger)[: kept - 1])


# ---------------------------------------------------------------------------------------
# Malformed files: refused with the line and the problem


@QUICK
@given(
    key=st.sampled_from(FIELDS),
    value=non_strings,
)
@example(key="status", value=None)
@example(key="msg", value=None)
@example(key="id", value=["a"])
def test_a_field_of_any_other_json_type_than_a_string_is_refused_naming_it(
    key: str, value: object
) -> None:
    text = text_of(HEADER, record_data(**{key: value}))
    with pytest.raises(EvidenceError) as raised:
        evidence.parse(text, SOURCE)
    assert str(raised.value) == f"evidence file {SOURCE}: line 2: {key!r} must be a string"


@pytest.mark.parametrize("status", [[], {}, ["red"], {"red": "green"}])
def test_a_status_that_is_a_json_array_or_object_is_refused_naming_it(status: object) -> None:
    text = text_of(HEADER, record_data(status=status))
    with pytest.raises(EvidenceError, match="line 2: 'status' must be a string"):
        evidence.parse(text, SOURCE)


@QUICK
@given(version=json_values.filter(lambda v: isinstance(v, bool) or v not in (1, 2)))
@example(version=3)
@example(version=0)
@example(version=-1)
@example(version=1.5)
@example(version=float("nan"))
@example(version="1")
@example(version=True)
@example(version=None)
@example(version=[1])
@example(version={"pytest-tdd-evidence": 1})
def test_a_header_with_any_other_version_is_refused(version: object) -> None:
    text = text_of({"pytest-tdd-evidence": version}, record_data())
    message = f"evidence file {SOURCE}: format version "
    with pytest.raises(EvidenceError, match=f"^{re.escape(message)}"):
        evidence.parse(text, SOURCE)


@STATES
@given(ledger=ledgers().filter(bool), blanks=st.lists(st.sampled_from(["", " ", "\t"])))
def test_a_file_whose_header_is_missing_is_refused(ledger: Ledger, blanks: list[str]) -> None:
    first = len(blanks) + 1
    text = "\n".join([*blanks, *evidence.dumps(ledger).split("\n")[1:]])
    with pytest.raises(EvidenceError, match=f"line {first}: missing the header line"):
        evidence.parse(text, SOURCE)


@QUICK
@given(line=json_values.map(json.dumps).filter(lambda line: "pytest-tdd-evidence" not in line))
def test_a_first_line_of_any_other_json_than_a_header_is_refused(line: str) -> None:
    with pytest.raises(EvidenceError, match="line 1: missing the header line"):
        evidence.parse(text_of(line, record_data()), SOURCE)


HUGE = ('a"\\\n\U0001f600\udcff[] ' * 12_500)[:100_000]


@pytest.mark.parametrize(
    "record",
    [
        Record("tests/test_a.py::test_x", "red", "0" * 16, message=HUGE),
        Record(f"tests/test_a.py::test_x[{HUGE}]", "green", "0" * 16),
        Record(HUGE, "legacy", HUGE, HUGE, HUGE, HUGE, HUGE, HUGE),
    ],
    ids=["message", "id", "every field"],
)
def test_huge_fields_survive_a_save_and_a_load(tmp_path: Path, record: Record) -> None:
    path = tmp_path / "tdd-evidence.jsonl"
    evidence.save(path, {record.nodeid: (record,)})
    assert evidence.load(path) == {record.nodeid: (record,)}


def test_a_huge_line_that_is_not_json_is_refused() -> None:
    with pytest.raises(EvidenceError, match="line 2: not valid JSON"):
        evidence.parse(text_of(HEADER, "{" + HUGE), SOURCE)


# Deeply nested JSON makes json.loads raise RecursionError: it must be the one clear error.
DEEP = "[" * 100_000


@pytest.mark.parametrize(
    "text",
    [
        DEEP,
        f'{{"pytest-tdd-evidence": {DEEP}',
        f"{HEADER}\n{DEEP}",
        f'{HEADER}\n{{"id": "a", "status": "red", "fp": {DEEP}',
        f"{HEADER}\n{DEEP}{']' * len(DEEP)}",
    ],
    ids=["first line", "version", "record line", "field", "closed nesting"],
)
def test_deeply_nested_json_is_refused_with_an_evidence_error(text: str) -> None:
    with pytest.raises(EvidenceError, match=f"^{re.escape(f'evidence file {SOURCE}: ')}"):
        evidence.parse(text, SOURCE)


def test_update_refuses_a_deeply_nested_file_with_an_evidence_error(tmp_path: Path) -> None:
    path = tmp_path / "tdd-evidence.jsonl"
    path.write_text(f"{HEADER}\n{DEEP}\n")
    record = Record("tests/test_a.py::test_x", "red", "0" * 16)
    with pytest.raises(EvidenceError):
        evidence.update(path, evidence.Changes(put={record.nodeid: record}))


def test_update_never_overwrites_a_deeply_nested_file(tmp_path: Path) -> None:
    path = tmp_path / "tdd-evidence.jsonl"
    path.write_text(f"{HEADER}\n{DEEP}\n")
    record = Record("tests/test_a.py::test_x", "red", "0" * 16)
    with suppress(EvidenceError, RecursionError):
        evidence.update(path, evidence.Changes(put={record.nodeid: record}))
    assert path.read_text() == f"{HEADER}\n{DEEP}\n"


# ---------------------------------------------------------------------------------------
# Union merges: duplicate lines, in any order, with blank lines


@STATES
@given(ledger=ledgers(), data=st.data())
def test_union_merged_lines_in_any_order_keep_each_distinct_record_once(
    ledger: Ledger, data: st.DataObject
) -> None:
    ordered = in_file_order(ledger)
    repeated = data.draw(st.lists(st.sampled_from(ordered)), label="repeated") if ordered else []
    merged = data.draw(st.permutations([*ordered, *repeated]), label="merged")
    blanks = st.lists(st.sampled_from(["", " ", "\t "]), max_size=2)
    lines = [HEADER]
    for record in merged:
        lines += [*data.draw(blanks, label="blank lines"), line_of(record)]
    text = "\n".join(lines) + data.draw(st.sampled_from(["", "\n", "\n\n"]), label="end")
    assert evidence.parse(text, SOURCE) == ledger_of(merged)


@STATES
@given(record=records("tests/test_a.py::test_x", readable_text), data=st.data())
def test_a_test_merged_with_two_different_records_keeps_both_in_file_order(
    record: Record, data: st.DataObject
) -> None:
    other = data.draw(
        records(record.nodeid, readable_text).filter(lambda r: r != record), label="other"
    )
    text = text_of(HEADER, line_of(other), line_of(record), line_of(other))
    assert evidence.parse(text, SOURCE) == {record.nodeid: (other, record)}


# ---------------------------------------------------------------------------------------
# Valid states: what is written is read back, in a deterministic text


@STATES
@given(ledger=ledgers())
def test_parse_reads_back_what_dumps_wrote_for_any_state(ledger: Ledger) -> None:
    assert evidence.parse(evidence.dumps(ledger), SOURCE) == ledger


@WITH_FILES
@given(ledger=ledgers())
def test_load_reads_back_what_save_wrote_for_any_state(ledger: Ledger) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tdd-evidence.jsonl"
        evidence.save(path, ledger)
        assert evidence.load(path) == ledger


@WITH_FILES
@given(old=ledgers(), new=ledgers())
def test_load_reads_back_what_save_wrote_over_another_state(old: Ledger, new: Ledger) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tdd-evidence.jsonl"
        evidence.save(path, old)
        evidence.save(path, new)
        assert evidence.load(path) == new
        assert [p.name for p in Path(folder).iterdir()] == [path.name]


@STATES
@given(ledger=ledgers(any_text), data=st.data())
def test_dumps_gives_the_same_text_whatever_the_insertion_order(
    ledger: Ledger, data: st.DataObject
) -> None:
    shuffled = dict(data.draw(st.permutations(list(ledger.items())), label="insertion order"))
    assert evidence.dumps(shuffled) == evidence.dumps(ledger)


@STATES
@given(ledger=ledgers(any_text))
def test_dumps_writes_the_header_and_one_line_per_record_each_ended_by_a_newline(
    ledger: Ledger,
) -> None:
    text = evidence.dumps(ledger)
    assert text.endswith("\n")
    lines = text[:-1].split("\n")
    assert lines[0] == HEADER
    assert len(lines) == 1 + sum(len(candidates) for candidates in ledger.values())


@STATES
@given(ledger=ledgers(any_text))
def test_each_line_that_dumps_writes_is_the_json_of_one_record_in_file_order(
    ledger: Ledger,
) -> None:
    lines = evidence.dumps(ledger).split("\n")[1:-1]
    assert [list(json.loads(line).items()) for line in lines] == [
        json_fields(record) for record in in_file_order(ledger)
    ]


def json_fields(record: Record) -> list[tuple[str, str]]:
    """The record's fields as JSON keys and values, in the file's key order."""
    values = [record.nodeid, record.status, record.fingerprint, record.case, record.kind]
    values += [record.exception, record.message, record.head]
    return [(key, value) for key, value in zip(FIELDS, values, strict=True) if value is not None]


@STATES
@given(ledger=ledgers(any_text))
def test_dumps_writes_text_that_encodes_to_utf8(ledger: Ledger) -> None:
    evidence.dumps(ledger).encode("utf-8")


@pytest.mark.parametrize(
    "record",
    [
        record
        for char in UNICODE_LINE_BREAKS
        for record in (
            Record(f"a{char}b", "red", "0"),
            Record("a", "red", f"0{char}1"),
            Record("a", "red", "0", message=f"x{char}y"),
        )
    ],
    ids=[f"{name} in {field}" for name in ("NEL", "LS", "PS") for field in ("id", "fp", "msg")],
)
def test_a_field_holding_a_unicode_line_break_survives_a_round_trip(record: Record) -> None:
    assert evidence.parse(evidence.dumps({record.nodeid: (record,)}), SOURCE) == {
        record.nodeid: (record,)
    }


# ---------------------------------------------------------------------------------------
# update never overwrites a file it cannot read

unreadable = st.one_of(
    st.binary(min_size=1),
    st.text(min_size=1).map(lambda text: text.encode("utf-8", "surrogatepass")),
    ledgers().filter(bool).map(lambda ledger: evidence.dumps(ledger).encode()[:-2]),
    st.tuples(ledgers(), st.binary(min_size=1)).map(
        lambda pair: evidence.dumps(pair[0]).encode() + pair[1]
    ),
).filter(lambda content: parsed_or_refused_bytes(content) is None)


def parsed_or_refused_bytes(content: bytes) -> Ledger | None:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return parsed_or_refused(text)


@settings(WITH_FILES, suppress_health_check=[HealthCheck.filter_too_much])
@given(content=unreadable)
def test_update_never_overwrites_a_file_it_cannot_read(content: bytes) -> None:
    record = Record("tests/test_a.py::test_x", "red", "0" * 16)
    with evidence_file(content) as path:
        with pytest.raises(EvidenceError, match=f"^{re.escape(f'evidence file {path}: ')}"):
            evidence.update(path, evidence.Changes(put={record.nodeid: record}))
        assert path.read_bytes() == content
