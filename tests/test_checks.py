"""`db check`: integrity and dataset rules run against what is actually in a database."""

from __future__ import annotations

import sqlite3

from sclerotui.checks import check_database, figure_problems
from sclerotui.store import Store


def tamper(path, sql: str, *args) -> None:
    """Change a database behind the store's back, as a bad tool or a bad disk might."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(sql, args)
    conn.close()


def test_mini_db_passes(store):
    assert check_database(store) == []


def test_impossible_figure_in_stored_event_is_named(mini_db):
    # Since schema 9 an event is its columns: a bad tool's figure there is found.
    tamper(mini_db, "UPDATE events SET measure = 'mRSS', value = 80 WHERE id = 'alpha-nin-fvc-0'")
    with Store(mini_db, read_only=True) as store:
        problems = check_database(store)
    assert len(problems) == 1
    assert problems[0].startswith("event alpha-nin-fvc-0: ")
    assert "mRSS 80 is outside 0–51" in problems[0]


def test_unreadable_record_json_is_named(mini_db):
    tamper(mini_db, "UPDATE cases SET data = '{not json' WHERE id = 'case-two'")
    with Store(mini_db, read_only=True) as store:
        problems = check_database(store)
    assert [p.split(":")[0] for p in problems] == ["case case-two"]


def test_dangling_reference_is_found(mini_db):
    conn = sqlite3.connect(mini_db)
    conn.execute("DELETE FROM sources WHERE id = 'pmid-beta'")
    conn.commit()
    conn.close()
    with Store(mini_db, read_only=True) as store:
        problems = check_database(store)
    assert "trial beta: sources: unknown source 'pmid-beta'" in problems
    assert "case case-three: sources: unknown source 'pmid-beta'" in problems
    assert any(p.startswith("foreign key: record_sources row") for p in problems)


def test_event_without_owner_is_found(mini_db):
    tamper(mini_db, "UPDATE events SET case_id = NULL WHERE id = 'case-one-dx'")
    with Store(mini_db, read_only=True) as store:
        assert check_database(store) == [
            "event case-one-dx: an event belongs to exactly one case or one trial arm",
            "event case-one-dx: belongs to no case or trial",
        ]


def test_figure_problems(mini_dataset):
    assert figure_problems(mini_dataset) == []
    mini_dataset.trials[1].primary_endpoint = None
    mini_dataset.events.append(
        mini_dataset.events[0].model_copy(
            update={"id": "seed-figure", "trial": None, "arm": None, "case": "case-one"}
            | {"source": "seed-fixture"}
        )
    )
    assert figure_problems(mini_dataset) == [
        "trial beta: primary_endpoint: missing",
        "case case-one: an illustrative case has figures from seed text",
    ]


def test_a_stored_event_flag_that_is_no_boolean_is_named(mini_db):
    # Since schema 9 `verified` is a column of 0 or 1; a 2 there is no flag, not "true".
    tamper(mini_db, "UPDATE events SET verified = 2 WHERE id = 'alpha-nin-fvc-0'")
    with Store(mini_db, read_only=True) as store:
        problems = check_database(store)
    assert [p.split(":")[0] for p in problems] == ["event alpha-nin-fvc-0"]
    assert "verified" in problems[0]
