"""Schema 9: events kept as their columns (no JSON copy) and facets WITHOUT ROWID. A schema-8
database upgrades in place keeping every record, byte for byte as exported; an older one
opened read-only reads the same; a failed upgrade changes nothing.

tests/fixtures/schema-8.db.gz was written by the schema-8 release (main at 59588b9):
`sclerotui db build` (the bundled records), an import of 25 generated cases, an import of a
case whose events have dates, notes, a statistic and a verified figure, and a user note."""

from __future__ import annotations

import gzip
import shutil
import sqlite3

import pytest

from sclerotui import schema
from sclerotui.checks import check_database
from sclerotui.cli import main
from sclerotui.dataset import bundled_dir, load_directory
from sclerotui.models import Dataset
from sclerotui.store import Store, StoreError

FIXTURE = "tests/fixtures/schema-8.db.gz"


@pytest.fixture
def schema_8(tmp_path):
    path = tmp_path / "old.db"
    with gzip.open(FIXTURE) as packed, open(path, "wb") as out:
        shutil.copyfileobj(packed, out)
    return path


def export_all(capsys, path, *flags) -> bytes:
    capsys.readouterr()
    assert main(["--db", str(path), *flags, "export"]) == 0
    return capsys.readouterr().out.encode()


def table_sql(path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"))
    finally:
        conn.close()


def test_the_fixture_is_a_schema_8_database(schema_8):
    conn = sqlite3.connect(schema_8)
    assert conn.execute("PRAGMA user_version").fetchone() == (8,)
    assert "data" in [row[1] for row in conn.execute("PRAGMA table_info(events)")]
    conn.close()


def test_a_schema_8_database_upgrades_keeping_every_record(schema_8, capsys):
    before = export_all(capsys, schema_8, "--read-only")  # read from the JSON copies
    with Store(schema_8, read_only=True) as old:
        records, notes = old.all_records(), old.read("SELECT * FROM user_notes")
        counts = old.counts()
    with Store(schema_8) as store:
        assert store.upgraded_from == 8
        assert store.backup_path is not None and store.backup_path.exists()
        assert store.schema_version == schema.SCHEMA_VERSION
        assert "data" not in store.columns("events")
        assert store.all_records() == records
        assert store.read("SELECT * FROM user_notes") == notes
        assert store.counts() == counts
        assert check_database(store) == []
        # The pages the JSON copies held are given back: the file is compacted.
        assert store.first("PRAGMA freelist_count") == (0,)
    after = export_all(capsys, schema_8)  # read from the columns
    assert after == before
    assert b'"date": "2019-03"' in after and b'"statistic": "change"' in after
    assert b'"verified": true' in after and b'"note": "Diagnosed in March' in after
    # The backup is the schema-8 file as it was.
    with Store(store.backup_path, read_only=True) as backup:
        assert backup.schema_version == 8
        assert backup.all_records() == records


def test_every_event_field_survives_the_upgrade(schema_8):
    with Store(schema_8, read_only=True) as old:
        events = {e.id: e for e in old.all_records().events}
    with Store(schema_8) as store:
        upgraded = {e.id: e for e in store.all_records().events}
    assert upgraded == events
    # Field by field, including the ones only the JSON copy held before.
    for event_id, event in events.items():
        assert upgraded[event_id].model_dump() == event.model_dump()
    fields = {name for e in events.values() for name, v in e.model_dump().items() if v}
    assert {"date", "note", "statistic", "unit", "verified", "series", "arm"} <= fields


def test_an_older_database_opened_read_only_is_left_as_it_was(schema_8):
    sql = table_sql(schema_8)
    with Store(schema_8, read_only=True) as store:
        assert store.schema_version == 8
        assert "schema 8 from an older release" in store.read_only_reason
        assert store.events("case", "dated-case")[0].date == "2019-03"
        assert check_database(store) == []
    assert table_sql(schema_8) == sql


def test_a_failed_upgrade_changes_nothing(schema_8, monkeypatch):
    with Store(schema_8, read_only=True) as old:
        records = old.all_records()
    sql = table_sql(schema_8)
    # Fails after the events were copied and their old table dropped: the last step.
    monkeypatch.setattr(schema, "FACET_INDEX", "CREATE INDEX broken ON no_such_table (x)")
    with pytest.raises(StoreError, match="cannot upgrade .* from schema 8: .*it is unchanged"):
        Store(schema_8)
    assert table_sql(schema_8) == sql
    with Store(schema_8, read_only=True) as store:
        assert store.schema_version == 8
        assert store.all_records() == records


def test_the_bundled_records_read_back_equal(tmp_path):
    bundled = load_directory(bundled_dir())
    with Store(tmp_path / "b.db", create=True) as store:
        store.write_dataset(bundled, "bundled")
        stored = store.all_records()

    def by_id(data: Dataset) -> dict:
        return {
            key: sorted(getattr(data, key), key=lambda r: r.id)
            for key in ("sources", "therapies", "trials", "cases", "events")
        }

    assert by_id(stored) == by_id(bundled)


def test_schema_9_keeps_each_event_once(tmp_path):
    # No JSON copy beside the columns, and the facets table is its key (no rowid table
    # plus an index of the same four columns).
    with Store(tmp_path / "n.db", create=True) as store:
        assert "data" not in store.columns("events")
        facets = store.first("SELECT sql FROM sqlite_master WHERE name = 'facets'")[0]
        assert "WITHOUT ROWID" in facets
        for column in ("therapy_id", "source_id"):
            sql = store.first(
                "SELECT sql FROM sqlite_master WHERE name = ?", [f"idx_events_{column}"]
            )[0]
            assert f"WHERE {column} IS NOT NULL" in sql


def test_an_upgrade_says_it_is_starting_before_the_backup(schema_8, capsys):
    heard = []
    with Store(schema_8, on_upgrade=lambda version: heard.append(version)) as store:
        assert heard == [8] and store.upgraded_from == 8


def test_the_cli_says_an_upgrade_is_starting(tmp_path, schema_8, capsys):
    assert main(["--db", str(schema_8), "export", "-o", str(tmp_path / "out.json")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"sclerotui: upgrading {schema_8} from schema 8: a backup copy")
    assert err[1].startswith(f"sclerotui: upgraded {schema_8} from schema 8")


def test_db_stats_says_the_upgrade_once(schema_8, capsys):
    assert main(["--db", str(schema_8), "db", "stats"]) == 0
    out, err = capsys.readouterr()
    said = (out + err).splitlines()
    assert sum(f"upgraded {schema_8} from schema 8" in line for line in said) == 1
    assert out.startswith(f"database: {schema_8}\n")


def test_ctrl_c_during_the_upgrade_leaves_the_database_as_it_was(schema_8, monkeypatch):
    with Store(schema_8, read_only=True) as old:
        records = old.all_records()
    sql = table_sql(schema_8)
    rebuild = schema._rebuild_events

    def rebuild_then_interrupt(db):
        rebuild(db)  # the events copied and the old table dropped, inside the transaction
        raise KeyboardInterrupt

    monkeypatch.setattr(schema, "_rebuild_events", rebuild_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        Store(schema_8)
    assert table_sql(schema_8) == sql
    with Store(schema_8, read_only=True) as store:
        assert store.schema_version == 8
        assert store.all_records() == records
