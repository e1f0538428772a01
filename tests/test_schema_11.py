"""Schema 11: indexes no statement needs are dropped (docs/performance/size3.md has each
one's evidence). A schema-10 file upgrades in place by DROP INDEX (no table copied, no
VACUUM), keeping every record and its pathways; new and synthetic files never have them."""

from __future__ import annotations

import sqlite3

from conftest import build_mini_db
from test_pathway_index import THERAPIES, dataset, long_failures, rebuilt_rows, stored_rows

from sclerotui import pathway_index, schema
from sclerotui.checks import check_database
from sclerotui.store import Store

# How schema 10 wrote them (sqlite_master's text in main's 1M benchmark file).
SCHEMA_10_INDEXES = (
    "CREATE INDEX idx_pathway_steps_case ON pathway_steps (case_id)",
    'CREATE INDEX "idx_cases_subtype"\n    ON "cases" ("subtype")',
)


def indexes(store: Store) -> set[str]:
    return {row[0] for row in store.read("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_the_dropped_indexes_are_named_and_schema_10_wrote_them():
    assert schema.SCHEMA_VERSION == 11
    assert schema.DROPPED_11 == (pathway_index.CASE_INDEX, "idx_cases_subtype")
    assert all(name in sql for name, sql in zip(schema.DROPPED_11, SCHEMA_10_INDEXES, strict=True))


def test_a_new_and_a_synthetic_database_have_none_of_them(tmp_path, synthetic_store):
    with Store(tmp_path / "new.db", create=True) as store:
        assert not indexes(store) & set(schema.DROPPED_11)
        assert indexes(store)  # the others are there
    assert not indexes(synthetic_store) & set(schema.DROPPED_11)
    assert "idx_record_therapies_kind_record_id" in indexes(synthetic_store)


def test_a_schema_10_database_upgrades_by_dropping_them(tmp_path):
    """The index of a schema-10 file goes on its first writable start; its records, pathways
    and check stay, and a --replace import after it deletes the old pathway rows by key."""
    path = build_mini_db(tmp_path / "old.db")
    with Store(path) as store:
        store.write_dataset(
            dataset([long_failures(i, THERAPIES[i:]) for i in range(5)]), "import:x.json"
        )
        records, rows, counts = store.all_records(), stored_rows(store), store.counts()
    conn = sqlite3.connect(path)
    for sql in SCHEMA_10_INDEXES:
        conn.execute(sql)
    conn.execute("PRAGMA user_version = 10")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.upgraded_from == 10 and store.schema_version == 11
        assert store.backup_path is not None and store.backup_path.exists()
        assert not indexes(store) & set(schema.DROPPED_11)
        assert store.all_records() == records and stored_rows(store) == rows
        assert store.counts() == counts  # count(*) of cases reads idx_cases_origin now
        plan = store.first("EXPLAIN QUERY PLAN SELECT count(*) FROM cases")[-1]
        assert "COVERING INDEX idx_cases_origin" in plan, plan
        assert check_database(store) == []
        store.write_dataset(
            dataset([long_failures(i + 1, THERAPIES[:2]) for i in range(5)]),
            "import:x.json",
            replace=True,
        )
        assert stored_rows(store) == rebuilt_rows(store) != rows
    with Store(store.backup_path, read_only=True) as backup:
        assert backup.schema_version == 10
        assert pathway_index.CASE_INDEX in indexes(backup)
