"""`db synth`: the same records for a seed as before, written as a bulk load into a file that
appears only when whole, and a database as sound as any other."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from sclerotui import synth
from sclerotui.checks import check_database
from sclerotui.store import Store, StoreError


def test_a_seed_gives_the_records_earlier_releases_wrote():
    # The digest of seed 1's first 6,000 cases as schema 8's generator (plain random calls)
    # wrote them: the unrolled draws must give the same numbers, so benchmark databases of
    # one seed hold the same content across releases.
    digest = hashlib.sha256()
    for batch in synth._batches(random.Random(1), 6000, list(synth.THERAPIES)):
        for item in batch:
            item = item | {"events": [synth._event_record(row) for row in item["events"]]}
            digest.update(json.dumps(item, sort_keys=True).encode())
    assert digest.hexdigest() == "bd35523f95be28cff59dddb7627ac2a003a4810a4cd4901dfcf9b64cf980f011"


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    path = tmp_path_factory.mktemp("synth") / "s.db"
    totals = synth.synthesize(path, 300, seed=5)
    return path, totals


def test_a_bulk_loaded_database_passes_db_check(synthesized):
    # Foreign keys are not looked up row by row during the load: the check proves the rows
    # refer to what exists, and every record validates.
    path, totals = synthesized
    with Store(path, read_only=True) as store:
        assert check_database(store) == []
        assert store.counts()["cases"] == totals["cases"] == 300
        assert store.counts()["events"] == totals["events"]
        assert store.meta("kind") == "synthetic"


def test_a_bulk_loaded_database_has_every_index_and_setting_of_a_new_one(synthesized, tmp_path):
    path, _ = synthesized
    schema_sql = "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
    with Store(tmp_path / "new.db", create=True) as fresh:
        expected = fresh.read(schema_sql)
    with Store(path, read_only=True) as store:
        assert store.read(schema_sql) == expected
        assert store.first("PRAGMA journal_mode") == ("wal",)
        # The terms typed words expand to: every term of the search index, filled once.
        store.conn.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, search_index, row)")
        indexed = {row[0] for row in store.read("SELECT term FROM temp.v")}
        assert {row[0] for row in store.read("SELECT term FROM search_terms")} == indexed


def test_the_same_seed_writes_the_same_records(synthesized, tmp_path):
    path, _ = synthesized
    again = tmp_path / "again.db"
    synth.synthesize(again, 300, seed=5)
    with Store(path, read_only=True) as one, Store(again, read_only=True) as two:
        assert one.all_records() == two.all_records()


def test_an_interrupted_synth_leaves_no_file(tmp_path, monkeypatch):
    written = []

    def write_then_stop(store, batch, classes):
        if written:
            raise KeyboardInterrupt  # Ctrl-C during the second batch
        written.append(len(batch))
        original(store, batch, classes)

    original = synth._write_batch
    monkeypatch.setattr(synth, "_write_batch", write_then_stop)
    monkeypatch.setattr(synth, "BATCH", 50)
    with pytest.raises(KeyboardInterrupt):
        synth.synthesize(tmp_path / "s.db", 200)
    assert written == [50]
    assert list(tmp_path.iterdir()) == []  # neither the database nor its hidden work file


def test_an_existing_file_is_refused_and_kept(tmp_path):
    path = tmp_path / "s.db"
    path.write_text("mine")
    with pytest.raises(StoreError, match="already exists"):
        synth.synthesize(path, 10)
    assert path.read_text() == "mine"
    assert list(tmp_path.iterdir()) == [path]
