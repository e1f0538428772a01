"""Any export imports back unchanged, however big: a JSON file of our format over
STREAM_BYTES is read a record at a time (sclerotui/importers/stream.py) and written in parts
in one transaction. The limits are parameters here, so small files stand for big ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import build_mini_db, sha
from conftest import run_cli as run

from sclerotui import importers
from sclerotui.cli import EXIT_BAD_INPUT, EXIT_OK
from sclerotui.importers import stream
from sclerotui.importers.stream import RecordStream
from sclerotui.store import Store
from sclerotui.vocabulary import DataError

KEYS = ("sources", "therapies", "trials", "cases", "events")


@pytest.fixture
def small_limits(monkeypatch):
    """The old whole-file limit at 200 KB, files from 100 KB read in parts of 40 records,
    in blocks of 4 KB: an export of 60 synthetic cases (about 450 KB) is over the limit."""
    monkeypatch.setattr(importers, "MAX_FILE_BYTES", 200_000)
    monkeypatch.setattr(importers, "STREAM_BYTES", 100_000)
    monkeypatch.setattr(importers, "PART_RECORDS", 40)
    monkeypatch.setattr(stream, "BLOCK_BYTES", 4096)


@pytest.fixture(scope="module")
def synthetic_db(tmp_path_factory) -> Path:
    from sclerotui.synth import synthesize

    path = tmp_path_factory.mktemp("stream") / "synthetic.db"
    synthesize(path, 60, seed=5)
    return path


def test_an_export_over_the_old_limit_imports_back_and_exports_the_same_bytes(
    capsys, small_limits, synthetic_db, tmp_path, monkeypatch
):
    exported = tmp_path / "all.json"
    assert run(capsys, "--db", synthetic_db, "--read-only", "export", "-o", exported)[0] == 0
    assert exported.stat().st_size > importers.MAX_FILE_BYTES
    empty = tmp_path / "empty.db"
    assert run(capsys, "db", "create", empty)[0] == EXIT_OK
    parts = []
    import_file = Store.import_file

    def spy(self, data, *args, **options):
        parts.append(len(data.cases) + len(data.events))
        return import_file(self, data, *args, **options)

    monkeypatch.setattr(Store, "import_file", spy)
    code, out, err = run(capsys, "--db", empty, "import", exported)
    assert code == EXIT_OK, err
    assert len(parts) > 10 and max(parts) <= 40  # written in parts, never whole
    again = tmp_path / "again.json"
    assert run(capsys, "--db", empty, "--read-only", "export", "-o", again)[0] == EXIT_OK
    assert sha(again) == sha(exported)
    with Store(empty, read_only=True) as store:
        logged = store.imports()
        assert len(logged) == 1 and logged[0][0] == "all.json"  # one file, logged once
        assert logged[0][3:] == (60, store.counts()["events"])
        digest = store.first("SELECT sha256 FROM imports")[0]
    assert digest == sha(exported)


def test_without_parts_the_old_limit_refuses_that_file(
    capsys, small_limits, synthetic_db, tmp_path, monkeypatch
):
    """What the test above would meet were the file read whole (the bound stays for CSV
    and registry records, read whole)."""
    exported = tmp_path / "all.json"
    assert run(capsys, "--db", synthetic_db, "--read-only", "export", "-o", exported)[0] == 0
    monkeypatch.setattr(importers, "STREAM_BYTES", 1 << 40)
    empty = tmp_path / "empty.db"
    assert run(capsys, "db", "create", empty)[0] == EXIT_OK
    code, _, err = run(capsys, "--db", empty, "import", exported)
    assert code == EXIT_BAD_INPUT and "larger than the 200,000 bytes" in err


def test_a_problem_in_a_late_part_leaves_the_database_as_it_was(
    capsys, small_limits, synthetic_db, tmp_path
):
    exported = tmp_path / "all.json"
    assert run(capsys, "--db", synthetic_db, "--read-only", "export", "-o", exported)[0] == 0
    data = json.loads(exported.read_text())
    data["events"][-1]["week"] = "soon"  # the last part's last record
    data["events"].append(dict(data["events"][0]))  # an id an early part brought
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data, indent=1))
    empty = tmp_path / "empty.db"
    assert run(capsys, "db", "create", empty)[0] == EXIT_OK
    before = sha(empty)
    code, _, err = run(capsys, "--db", empty, "import", broken)
    assert code == EXIT_BAD_INPUT
    last = len(data["events"]) - 2
    assert f"events[{last}]" in err and "week" in err, err
    assert "Traceback" not in err
    assert sha(empty) == before


def test_a_reference_to_a_later_record_is_named_with_the_rule(capsys, small_limits, tmp_path):
    """Read in parts, an event before its case cannot be checked against it: refused, with
    the rule that says why."""
    db = build_mini_db(tmp_path / "mini.db")
    cases = [
        {
            "id": f"later-{n}",
            "title": f"Case {n}",
            "subtype": "limited",
            "therapies": [{"therapy": "mycophenolate", "response": "partial"}],
            "narrative": "x" * 2000,
            "illustrative": True,
            "sources": ["seed-fixture"],
        }
        for n in range(60)
    ]
    events = [
        {"id": f"later-{n}-dx", "case": f"later-{n}", "week": 0, "kind": "diagnosis"}
        for n in range(60)
    ]
    path = tmp_path / "events-first.json"
    path.write_text(json.dumps({"events": events, "cases": cases}))
    assert path.stat().st_size > importers.STREAM_BYTES
    before = sha(db)
    code, _, err = run(capsys, "--db", db, "import", path)
    assert code == EXIT_BAD_INPUT
    assert "event later-0-dx: case: unknown case 'later-0'" in err
    assert "a record may refer only to records before it in the file" in err
    assert sha(db) == before


# -- the reader, as an attacker would write the file ------------------------------------


def records_of(path: Path, max_record: int = 1 << 20) -> list:
    return list(RecordStream(path, max_record).records(KEYS))


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64, 1 << 20])
def test_records_read_in_any_block_size_are_those_json_reads(tmp_path, monkeypatch, block):
    monkeypatch.setattr(stream, "BLOCK_BYTES", block)
    document = {
        "sources": [{"id": "s1", "kind": "other", "citation": '“quoted” \\ "x" ]}{['}],
        "therapies": [],
        "cases": [{"id": "c1", "n": 123456789, "f": -1.5e-7, "u": "é😀\u2028", "z": None}],
        "events": [{"id": "e1", "nested": [[{"a": [1, 2, {"b": "]"}]}]]}, {"id": "e2"}],
    }
    path = tmp_path / "doc.json"
    path.write_text("\ufeff" + json.dumps(document, indent=3, ensure_ascii=False) + "\n ")
    found = records_of(path)
    expected = [(k, i, r) for k in document for i, r in enumerate(document[k])]
    assert found == expected


BAD = [
    ("empty", "", "the file is empty"),
    ("spaces", "  \n ", "the file is empty"),
    ("array", "[]", "line 1, column 1: invalid JSON: expected a JSON object"),
    ("truncated", '{"cases": [{"id": "a"}, {"id": ', "line 1, column 32: invalid JSON"),
    ("no close", '{"cases": [{"id": "a"}', "line 1, column 23: invalid JSON: expected ','"),
    ("extra", '{"cases": []} {}', "line 1, column 15: invalid JSON: extra data"),
    ("trailing comma", '{"cases": [{"id": "a"},]}', "line 1, column 24: invalid JSON"),
    ("unknown key", '{"cases": [], "patients": []}', "unknown top-level key 'patients'"),
    ("twice", '{"cases": [],\n "cases": []}', "line 2, column 2: invalid JSON: the key 'cases'"),
    ("not a list", '{"cases": {"id": "a"}}', "line 1, column 11: cases: expected a list"),
    ("duplicate keys", '{"cases": [{"id": "a", "id": "b"}]}', "the key 'id' appears twice"),
    ("deep", '{"cases": [' + "[" * 100_000 + "]" * 100_000 + "]}", "nested too deeply"),
    ("big int", '{"cases": [{"n": ' + "9" * 5000 + "}]}", "a number of 5,000 digits"),
    ("bare key", "{cases: []}", "line 1, column 2: invalid JSON: expected a key"),
]


@pytest.mark.parametrize("name,text,message", BAD, ids=[b[0] for b in BAD])
def test_a_bad_file_is_refused_naming_the_file_and_where(
    tmp_path, monkeypatch, name, text, message
):
    monkeypatch.setattr(stream, "BLOCK_BYTES", 5)
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(DataError) as raised:
        records_of(path)
    problem = raised.value.problems[0]
    assert problem.startswith(f"{path}: ") and message in problem, problem


def test_a_record_longer_than_the_bound_is_not_read(tmp_path, monkeypatch):
    """The bound for hostile input: one record of 10 MB, with a bound of 1 MB, is refused
    once 1 MB of it is read (not read to its end), naming the record."""
    monkeypatch.setattr(stream, "BLOCK_BYTES", 64 * 1024)
    path = tmp_path / "long.json"
    path.write_text(
        '{"cases": [{"id": "a"},\n {"id": "b", "narrative": "' + "x" * 10_000_000 + '"}]}'
    )
    reading = RecordStream(path, max_record=1_000_000)
    found = []
    with pytest.raises(DataError) as raised:
        for record in reading.records(KEYS):
            found.append(record)
    assert found == [("cases", 0, {"id": "a"})]
    assert raised.value.problems == [
        f"{path}: line 2, column 2: cases[1]: longer than 1,000,000 characters; not read"
    ]
    assert reading.offset < 2_000_000


@pytest.mark.parametrize(
    "raw,message",
    [
        (b'{"cases": [{"id": "\xff"}]}', "not UTF-8 text (byte 19)"),
        ('{"cases": []}'.encode("utf-16"), "UTF-16 text"),
        ('{"cases": []}'.encode("utf-16-le"), "looks like UTF-16 (little-endian)"),
    ],
)
def test_text_that_is_not_utf8_is_refused(tmp_path, raw, message):
    path = tmp_path / "bytes.json"
    path.write_bytes(raw)
    with pytest.raises(DataError) as raised:
        records_of(path)
    assert message in raised.value.problems[0]
