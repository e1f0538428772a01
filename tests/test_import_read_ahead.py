"""Reading ahead: while one file of a batch is written, a second process loads the next.

Files under READ_AHEAD_BYTES are loaded in the importing process; these tests lower the
threshold to 0 so that small files take the second process, and compare with the same
import done without it."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import threading
from pathlib import Path

import pytest
from conftest import FIXTURES, write_case_file

import sclerotui.importers.importing as importing
from sclerotui.importers import LoadedFile
from sclerotui.importers.importing import import_files
from sclerotui.models import DataError
from sclerotui.store import Store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CSV = ROOT / "db" / "examples" / "clinic-cases.csv"
REGISTRY = FIXTURES / "registry"


@pytest.fixture
def received(monkeypatch) -> list:
    """What the importing process received from the reader, file by file (None: nothing,
    so the file was loaded in the importing process)."""
    seen = []
    receive = importing._ReadAhead.receive

    def spy(self):
        result = receive(self)
        seen.append(type(result[0]).__name__ if result else "NoneType")
        return result

    monkeypatch.setattr(importing._ReadAhead, "receive", spy)
    return seen


def read_ahead(monkeypatch, on: bool) -> None:
    monkeypatch.setattr(importing, "READ_AHEAD_BYTES", 0 if on else 1 << 40)


# Every table's rows but the time of import; the search index by its text.
TABLES = {
    "facets": "kind, record_id, facet, value",
    "record_therapies": "kind, record_id, therapy_id, step, response",
    "record_sources": "kind, record_id, source_id",
    "search_index": "kind, record_id, title, body",
    "search_terms": "term",
    "events": "id, case_id, trial_id, arm_id, week, date, kind, therapy_id, measure, value, "
    "source_id, statistic, unit, note, verified, series",
    "cases": "id, title, subtype, evidence_type, illustrative, synthetic, origin, data",
    "trials": "id, name, registry_id, year, evidence_type, n, verified, origin, data",
    "therapies": "id, name, class, aliases, origin, data",
    "sources": "id, kind, ref, citation, verified, origin",
    "therapy_stats": "*",
}


def records(db: Path) -> dict:
    with Store(db) as store:
        data = store.all_records()
        imports = [row[0:1] + row[2:] for row in store.imports()]  # without the time
        out = {
            table: sorted(store.conn.execute(f"SELECT {columns} FROM {table}"), key=repr)
            for table, columns in TABLES.items()
        }
    out["imports"] = imports
    for key in ("sources", "therapies", "trials", "cases", "events"):
        rows = [r.model_dump(mode="json") for r in getattr(data, key)]
        out[key] = sorted(rows, key=lambda r: r["id"])
    return out


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def import_into(db: Path, paths: list[Path]) -> list[str]:
    with Store(db) as store:
        return import_files(store, paths).lines()


@pytest.fixture
def batch(tmp_path) -> list[Path]:
    return [
        write_case_file(tmp_path / "first.json", "ahead-one"),
        EXAMPLE_CSV,
        REGISTRY / "single_study_results.json",
        write_case_file(tmp_path / "last.json", "ahead-two"),
    ]


def test_a_batch_read_ahead_writes_what_it_writes_without(
    batch, mini_db, tmp_path, monkeypatch, received
):
    serial_db = tmp_path / "serial.db"
    serial_db.write_bytes(mini_db.read_bytes())
    read_ahead(monkeypatch, False)
    serial_report = import_into(serial_db, batch)
    assert received == []

    built = []  # did the file come with its events' rows?
    import_file = Store.import_file

    def spy(self, data, origin, digest, replace, checked, events=None, log=True):
        built.append(events is not None)
        return import_file(self, data, origin, digest, replace, checked, events, log)

    monkeypatch.setattr(Store, "import_file", spy)
    read_ahead(monkeypatch, True)
    report = import_into(mini_db, batch)
    # Every file after the first came from the second process, with its events' rows.
    assert received == ["LoadedFile"] * 3
    assert built == [False, True, True, True]
    assert report == serial_report
    assert records(mini_db) == records(serial_db)
    assert multiprocessing.active_children() == []  # the reader is gone


def test_problems_found_by_the_reader_are_reported_as_ever(
    batch, mini_db, tmp_path, monkeypatch, received
):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text(json.dumps({"cases": [{"id": "x"}]}))
    not_json = tmp_path / "broken.json"
    not_json.write_text('{"cases": [')
    # Valid records, but an event of a case nobody brings: found by the importing process,
    # from what the reader sends of the event.
    orphan = write_case_file(tmp_path / "orphan.json", "orphan", refers_to="nobody")
    paths = [batch[0], bad_json, REGISTRY / "bad_studies.json", not_json, orphan, batch[3]]
    before = sha(mini_db)
    problems = {}
    for on in (False, True):
        read_ahead(monkeypatch, on)
        with pytest.raises(DataError) as caught:
            import_into(mini_db, paths)
        problems[on] = caught.value.problems
        assert sha(mini_db) == before
    assert received == ["DataError", "DataError", "DataError", "LoadedFile", "LoadedFile"]
    assert problems[True] == problems[False]
    assert any("event orphan-dx: case: unknown case 'nobody'" in p for p in problems[True])
    assert any("bad.json: cases[0] (x): title: Field required" in p for p in problems[True])
    assert any("broken.json: line 1" in p for p in problems[True])
    assert multiprocessing.active_children() == []


def test_a_registry_record_read_ahead_knows_the_therapy_of_the_file_before(
    mini_db, tmp_path, monkeypatch, received
):
    """A registry record names its interventions; one may be a therapy that the batch's
    previous file brings, which the reader must be told about."""
    therapy = {
        "id": "xyz-123",
        "name": "XYZ-123",
        "class": "other",
        "mechanism": "Investigational (test fixture)",
    }
    brings = tmp_path / "therapy.json"
    brings.write_text(json.dumps({"therapies": [therapy]}))
    read_ahead(monkeypatch, True)
    import_into(mini_db, [brings, REGISTRY / "unknown_intervention.json"])
    assert received == ["LoadedFile"]
    with Store(mini_db) as store:
        (trial_id,) = [row[0] for row in store.conn.execute("SELECT id FROM trials")][-1:]
        linked = {
            row[0]
            for row in store.conn.execute(
                "SELECT therapy_id FROM record_therapies WHERE record_id = ?", [trial_id]
            )
        }
    assert "xyz-123" in linked


def test_a_reader_that_dies_leaves_its_file_to_the_importing_process(
    batch, mini_db, tmp_path, monkeypatch, received
):
    expected_db = tmp_path / "expected.db"
    expected_db.write_bytes(mini_db.read_bytes())
    read_ahead(monkeypatch, False)
    import_into(expected_db, batch)

    request = importing._ReadAhead.request

    def request_then_die(self, *args):
        taken = request(self, *args)
        if taken:
            self.process.kill()  # as the kernel would, short of memory
            self.process.join()
        return taken

    monkeypatch.setattr(importing._ReadAhead, "request", request_then_die)
    read_ahead(monkeypatch, True)
    import_into(mini_db, batch)
    assert received == ["NoneType"]  # then no more requests
    assert records(mini_db) == records(expected_db)


def test_a_reader_that_cannot_start_leaves_every_file_to_the_importing_process(
    batch, mini_db, tmp_path, monkeypatch, received
):
    def cannot_start(self):
        raise OSError("no processes left")

    monkeypatch.setattr(importing._ReadAhead, "_start", cannot_start)
    read_ahead(monkeypatch, True)
    import_into(mini_db, batch)
    assert received == []
    with Store(mini_db) as store:
        assert [row[0] for row in store.imports()] == [path.name for path in batch]


def test_the_reader_sends_back_what_load_gives(tmp_path):
    """The reader's loop, run on a thread of this process over a pipe."""
    ours, theirs = multiprocessing.Pipe()
    loop = threading.Thread(target=importing._serve, args=(theirs,))
    loop.start()
    good = write_case_file(tmp_path / "good.json", "looped")
    nothing = importing._Reading([], {})
    ours.send((good, nothing, True))
    ours.send((good, nothing, False))  # only checking: no rows
    ours.send((tmp_path / "missing.json", nothing, True))
    # Not a problem with the file (here, a broken argument): None, and the importing
    # process loads the file itself.
    ours.send((REGISTRY / "single_study_results.json", object(), True))
    sent = [ours.recv() for _ in range(4)]
    ours.close()  # the importing side goes away: the loop ends
    loop.join(timeout=120)  # a ceiling: it ends as soon as its pipe closes
    assert not loop.is_alive()
    (first, rows, last), (again, none, _), (missing, _, _), broken = sent
    assert last  # a small file comes whole: its one part is its last
    assert isinstance(first, LoadedFile) and first.dataset.cases[0].id == "looped"
    assert [row[0] for row in rows] == ["looped-dx"]
    assert rows[0][6] == "diagnosis"  # the event's row: its kind column
    assert isinstance(again, LoadedFile) and none is None
    assert isinstance(missing, DataError) and "no such file" in missing.problems[0]
    assert broken is None


def test_short_of_memory_every_file_is_read_here(batch, mini_db, monkeypatch, received):
    """The reader would hold a second file's records: not when the machine lacks the room."""
    read_ahead(monkeypatch, True)
    smallest = min(path.stat().st_size for path in batch[1:])
    room = importing.READER_BYTES_PER_BYTE * smallest
    monkeypatch.setattr(importing, "memory_available", lambda: room - 1)
    import_into(mini_db, batch)
    assert received == []
    with Store(mini_db) as store:
        assert [row[0] for row in store.imports()] == [path.name for path in batch]


def test_the_reader_ignores_ctrl_c(tmp_path, monkeypatch):
    """Ctrl-C reaches every process of the terminal's group: the importing process stops the
    reader itself, and the reader must not die with a traceback of its own."""
    read_ahead(monkeypatch, True)
    ahead = importing._ReadAhead()
    try:
        nothing = importing._Reading([], {})
        assert ahead.request(write_case_file(tmp_path / "one.json", "one"), nothing, True)
        assert isinstance(ahead.receive()[0], LoadedFile)
        os.kill(ahead.process.pid, signal.SIGINT)
        assert ahead.request(write_case_file(tmp_path / "two.json", "two"), nothing, True)
        assert ahead.receive()[0].dataset.cases[0].id == "two"  # still there, still working
    finally:
        ahead.close()
    assert multiprocessing.active_children() == []
