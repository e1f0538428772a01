"""The store: opening safely, search through it, and all-or-nothing writes."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3

import pytest

from sclerotui import lists
from sclerotui.checks import check_database
from sclerotui.models import Case, Dataset, TimelineEvent
from sclerotui.query import MARK_END, MARK_START, SearchError, parse
from sclerotui.search import Search
from sclerotui.store import SCHEMA_VERSION, DuplicateError, ReadOnlyError, Store, StoreError

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def criteria(store: Store, text: str):
    return Search(store).filters(parse(text))


def hits(store: Store, text: str) -> list[tuple[str, str]]:
    query = parse(text)
    return [(h.kind, h.id) for h in Search(store).hits(query)]


def new_case(case_id: str = "user-case", therapy: str = "rituximab", **extra) -> Case:
    record = {
        "id": case_id,
        "title": "Imported case of morphea-like plaques",
        "subtype": "limited",
        "organs": ["skin"],
        "therapies": [{"therapy": therapy, "response": "resistant"}],
        "narrative": "Plaques kept spreading.",
        "illustrative": False,
        "sources": ["pmid-beta"],
    }
    return Case.model_validate(record | extra)


# -- reading ---------------------------------------------------------------------------


def test_a_connection_gets_the_page_cache_asked_for(store):
    from sclerotui.app import SclerotuiApp
    from sclerotui.search import CACHE_MB

    def cache_kib(conn: sqlite3.Connection) -> int:
        return -conn.execute("PRAGMA cache_size").fetchone()[0]

    with Store(store.path, read_only=True, cache_mb=16) as searcher:
        assert cache_kib(searcher.conn) == 16_000
    default = cache_kib(store.conn)
    app = SclerotuiApp(store)  # search runs on a connection with a bigger cache
    assert cache_kib(app.search.store.conn) == 1000 * CACHE_MB > default
    app.search.close()


def test_counts(store):
    assert store.counts() == {
        "therapies": 6,
        "trials": 3,
        "cases": 4,
        "events": 11,
        "sources": 4,
    }
    assert store.origins() == [("bundled", 7)]


def test_records_read_back_as_written(store, mini_dataset):
    assert store.all_records() == Dataset(
        sources=sorted(mini_dataset.sources, key=lambda s: s.id),
        therapies=sorted(mini_dataset.therapies, key=lambda t: t.id),
        trials=sorted(mini_dataset.trials, key=lambda t: t.id),
        cases=sorted(mini_dataset.cases, key=lambda c: c.id),
        events=mini_dataset.events,
    )
    assert store.trial("alpha").arms[0].n == 288
    assert store.case("nope") is None
    assert store.origin_of("case", "case-one")[0] == "bundled"


def test_search_ranks_and_marks_matches(store):
    found = Search(store).hits("rituximab")
    assert {(h.kind, h.id) for h in found} == {
        ("trial", "beta"),
        ("therapy", "rituximab"),
        ("case", "case-two"),
        ("case", "case-four"),
    }
    ranks = [h.rank for h in found]
    assert ranks == sorted(ranks)
    for hit in found:
        assert f"{MARK_START}" in hit.snippet and MARK_END in hit.snippet, hit
        assert hit.therapy == "rituximab"


def test_search_title_match_outranks_body_match(store):
    found = Search(store).hits("alpha")
    assert found[0].id == "alpha"
    assert found[0].snippet == f"{MARK_START}Alpha{MARK_END} lung trial"


def test_search_prefix_and_phrase(store):
    assert set(hits(store, "mycophen")) == {("therapy", "mycophenolate"), ("case", "case-three")}
    assert hits(store, '"digital ulcers"') == [("case", "case-two")]
    assert hits(store, '"ulcers digital"') == []


def test_search_same_step_rule(store):
    # case-three also had cyclophosphamide, but was intolerant, not resistant, to it.
    assert hits(store, "therapy:cyclophosphamide response:resistant") == [("case", "case-one")]
    assert hits(store, "therapy:cyclophosphamide response:intolerant") == [("case", "case-three")]


def test_search_facets_only(store):
    assert hits(store, "organ:lung response:resistant") == [("case", "case-one")]
    assert set(hits(store, "kind:trial organ:lung")) == {("trial", "alpha"), ("trial", "gamma")}


def test_search_with_words_and_facets(store):
    # A facet a kind lacks excludes that kind: the bosentan therapy has no subtype.
    assert hits(store, "bosentan subtype:limited") == [("case", "case-two")]
    assert hits(store, "bosentan subtype:diffuse") == []


def test_search_exclusion_only(store):
    found = set(hits(store, "-lung"))
    assert found == {
        ("trial", "beta"),
        ("therapy", "bosentan"),
        ("case", "case-two"),
        ("case", "case-four"),
    }


def test_search_word_and_exclusion(store):
    assert set(hits(store, "cyclophosphamide -transplant")) == {
        ("therapy", "cyclophosphamide"),
        ("trial", "gamma"),
        ("case", "case-three"),
    }


def test_search_hit_context_therapy(store):
    [hit] = Search(store).hits(parse("transplant kind:case"), criteria(store, "therapy:hsct"))
    assert (hit.id, hit.therapy) == ("case-one", "hsct")
    [hit] = Search(store).hits("transplant kind:case")
    assert hit.therapy == "cyclophosphamide"  # its first step


def test_search_text_from_data_cannot_fake_markers(tmp_path, mini_dataset):
    mini_dataset.cases[0].narrative = f"fake {MARK_START}marker{MARK_END} text"
    with Store(tmp_path / "m.db", create=True) as store:
        store.write_dataset(mini_dataset, "bundled")
        [hit] = Search(store).hits("fake")
    assert hit.snippet.count(MARK_START) == 1


def test_resolve_criteria(store):
    assert criteria(store, "therapy:cyc").therapy == frozenset({"cyclophosphamide"})
    assert criteria(store, "therapy:mmf").therapy == frozenset({"mycophenolate"})
    assert criteria(store, "therapy:Ofev,hsct").therapy == frozenset({"nintedanib", "hsct"})
    with pytest.raises(SearchError, match="therapy:aspirin: no therapy by that name"):
        criteria(store, "therapy:aspirin")


def test_events_in_time_order(store):
    assert [e.id for e in store.events("case", "case-one")] == [
        "case-one-dx",
        "case-one-cyc",
        "case-one-cyc-fail",
        "case-one-hsct",
        "case-one-better",
    ]
    weeks = [e.week for e in store.events("trial", "alpha")]
    assert weeks == sorted(weeks) and len(weeks) == 5


def test_events_sorted_even_when_written_out_of_order(tmp_path, mini_dataset):
    case = new_case()
    events = [
        TimelineEvent(id=f"u-{week}", case="user-case", week=week, kind="diagnosis")
        for week in (30, -2, 8)
    ]
    with Store(tmp_path / "m.db", create=True) as store:
        store.write_dataset(mini_dataset, "bundled")
        store.write_dataset(Dataset(cases=[case], events=events), "user-import")
        assert [e.id for e in store.events("case", "user-case")] == ["u--2", "u-8", "u-30"]


# -- writing ---------------------------------------------------------------------------


def test_duplicate_write_refused_and_changes_nothing(mini_db, mini_dataset):
    before = sha256(mini_db)
    with Store(mini_db) as store:
        addition = Dataset(cases=[new_case("case-one"), new_case("fresh")])
        with pytest.raises(DuplicateError) as caught:
            store.write_dataset(addition, "user-import")
        assert caught.value.clashes == ["case case-one"]
        assert "--replace" in str(caught.value)
        assert store.case("fresh") is None
        assert store.counts()["cases"] == 4
    assert sha256(mini_db) == before


def test_replace_updates_record_and_its_events(store):
    case = store.case("case-one").model_copy(
        update={
            "title": "Retitled zebra case",
            "narrative": "Rewritten.",
            "therapies": new_case().therapies,
        }
    )
    event = TimelineEvent(id="case-one-new", case="case-one", week=1, kind="diagnosis")
    store.write_dataset(Dataset(cases=[case], events=[event]), "user-import", replace=True)
    assert store.case("case-one").title == "Retitled zebra case"
    assert store.case("case-one").origin == "user-import"
    assert store.origin_of("case", "case-one")[0] == "user-import"
    assert [e.id for e in store.events("case", "case-one")] == ["case-one-new"]
    assert store.counts()["events"] == 11 - 5 + 1
    # Search index, facets and therapy links follow the new version.
    assert hits(store, "zebra") == [("case", "case-one")]
    assert hits(store, "transplant kind:case") == []
    assert ("case", "case-one") in hits(store, "therapy:rituximab response:resistant")
    assert hits(store, "therapy:cyclophosphamide response:resistant") == []
    assert check_database(store) == []


def test_replace_therapy_that_cases_point_to(store, mini_dataset):
    rituximab = next(t for t in mini_dataset.therapies if t.id == "rituximab")
    renamed = rituximab.model_copy(update={"name": "Rituximab (renamed)"})
    store.write_dataset(Dataset(therapies=[renamed]), "bundled", replace=True)
    assert store.therapy("rituximab").name == "Rituximab (renamed)"
    assert [i.id for i in lists.evidence(store, "rituximab")] == ["beta", "case-four", "case-two"]
    assert store.integrity_problems() == []


def test_failing_write_rolls_back(mini_db):
    orphan = TimelineEvent(id="orphan", case="no-such-case", week=0, kind="diagnosis")
    addition = Dataset(cases=[new_case()], events=[orphan])
    with Store(mini_db) as store:
        with pytest.raises(StoreError, match="FOREIGN KEY constraint failed.*nothing was changed"):
            store.write_dataset(addition, "user-import")
        assert store.case("user-case") is None
        assert store.counts()["events"] == 11
        # The connection is usable afterwards, outside any transaction.
        assert not store.conn.in_transaction
        store.write_dataset(Dataset(cases=[new_case()]), "user-import")
        assert store.case("user-case") is not None


def test_failing_write_on_disk_unchanged(mini_db):
    before = sha256(mini_db)
    orphan = TimelineEvent(id="orphan", case="no-such-case", week=0, kind="diagnosis")
    with Store(mini_db) as store, pytest.raises(StoreError):
        store.write_dataset(Dataset(cases=[new_case()], events=[orphan]), "user-import")
    assert sha256(mini_db) == before
    assert not mini_db.with_name("mini.db-wal").exists()


def test_replace_origin_keeps_other_origins(store, mini_dataset):
    store.write_dataset(Dataset(cases=[new_case()]), "user-import")
    smaller = mini_dataset.model_copy(
        update={
            "cases": [c for c in mini_dataset.cases if c.id != "case-two"],
        }
    )
    store.replace_origin(smaller, "bundled", {"bundled_fingerprint": "abc"})
    assert store.case("user-case") is not None
    assert store.case("case-two") is None
    assert store.meta("bundled_fingerprint") == "abc"
    assert store.counts()["cases"] == 4
    assert store.integrity_problems() == []


def test_replace_origin_refuses_to_orphan_other_records(store, mini_dataset):
    """A refresh that drops a therapy an imported case uses fails whole, changing nothing."""
    store.write_dataset(Dataset(cases=[new_case(therapy="bosentan")]), "user-import")
    without_bosentan = mini_dataset.model_copy(
        update={
            "therapies": [t for t in mini_dataset.therapies if t.id != "bosentan"],
            "cases": [c for c in mini_dataset.cases if c.id != "case-two"],
        }
    )
    with pytest.raises(StoreError, match="FOREIGN KEY"):
        store.replace_origin(without_bosentan, "bundled", {"bundled_fingerprint": "x"})
    assert store.therapy("bosentan") is not None
    assert store.case("case-two") is not None
    assert store.meta("bundled_fingerprint") is None


# -- read-only -------------------------------------------------------------------------


def test_read_only_refuses_writes_and_leaves_file_alone(mini_db):
    before, mtime = sha256(mini_db), mini_db.stat().st_mtime_ns
    with Store(mini_db, read_only=True) as store:
        assert store.read_only
        assert store.read_only_reason == "opened with --read-only"
        assert store.counts()["cases"] == 4
        assert [h.id for h in Search(store).hits("bosentan kind:therapy")] == ["bosentan"]
        with pytest.raises(ReadOnlyError, match="is read-only"):
            store.write_dataset(Dataset(cases=[new_case()]), "user-import")
        with pytest.raises(ReadOnlyError):
            store.replace_origin(Dataset(), "bundled", {})
    assert sha256(mini_db) == before
    assert mini_db.stat().st_mtime_ns == mtime


def test_cannot_create_read_only(tmp_path):
    with pytest.raises(StoreError, match="cannot create"):
        Store(tmp_path / "new.db", read_only=True, create=True)
    assert not (tmp_path / "new.db").exists()


@pytest.mark.skipif(IS_ROOT, reason="root ignores file permissions")
def test_unwritable_file_opens_read_only(mini_db):
    mini_db.chmod(0o444)
    try:
        with Store(mini_db) as store:
            assert store.read_only
            assert store.read_only_reason == "the file is not writable"
            assert store.counts()["therapies"] == 6
    finally:
        mini_db.chmod(0o644)


@pytest.mark.skipif(IS_ROOT, reason="root ignores file permissions")
def test_unwritable_directory_opens_read_only(mini_db):
    directory = mini_db.parent
    directory.chmod(0o555)
    try:
        with Store(mini_db) as store:
            assert store.read_only
            assert store.read_only_reason == "its directory is not writable"
            assert store.counts()["therapies"] == 6
    finally:
        directory.chmod(0o755)


@pytest.mark.parametrize(
    ("unwritable", "reason"),
    [("file", "the file is not writable"), ("dir", "its directory is not writable")],
)
def test_unwritable_reason_makes_store_read_only(mini_db, monkeypatch, unwritable, reason):
    """Runs as root too: os.access is what the store asks, so it stands in for chmod."""
    real_access = os.access
    target = mini_db if unwritable == "file" else mini_db.parent

    def access(path, mode, **kwargs):
        if mode == os.W_OK and os.fspath(path) == os.fspath(target):
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr("sclerotui.store.os.access", access)
    before = sha256(mini_db)
    with Store(mini_db) as store:
        assert (store.read_only, store.read_only_reason) == (True, reason)
        with pytest.raises(ReadOnlyError, match=reason):
            store.write_dataset(Dataset(cases=[new_case()]), "user-import")
    assert sha256(mini_db) == before


# -- opening what is not ours ----------------------------------------------------------


def assert_refused(path, *message_parts):
    before = sha256(path) if path.is_file() else None
    with pytest.raises(StoreError) as caught:
        Store(path)
    for part in message_parts:
        assert part in str(caught.value)
    if before is not None:
        assert sha256(path) == before
    return str(caught.value)


def test_refuses_non_sqlite_file(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes\n" * 10, encoding="utf-8")
    assert assert_refused(path) == f"{path} is not a SQLite database"


def test_refuses_directory(tmp_path):
    assert assert_refused(tmp_path) == f"{tmp_path} is a directory, not a database file"


def test_refuses_missing_path(tmp_path):
    path = tmp_path / "missing.db"
    assert_refused(path, f"no database at {path}", "sclerotui db build --out")
    assert not path.exists()


def test_refuses_other_applications_database(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
    conn.close()
    assert_refused(path, "is not a sclerotui database", "missing tables: cases")
    with pytest.raises(StoreError, match="not a sclerotui database"):
        Store(path, create=True)  # create never adopts someone else's file


def test_refuses_newer_schema(mini_db):
    with sqlite3.connect(mini_db) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    message = assert_refused(mini_db, "newer sclerotui", "schema 99", "upgrade sclerotui")
    assert f"up to {SCHEMA_VERSION}" in message


def test_refuses_truncated_database(mini_db, tmp_path):
    broken = tmp_path / "broken.db"
    broken.write_bytes(mini_db.read_bytes()[:200])
    assert_refused(broken, str(broken))


def test_empty_file_is_not_adopted(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    assert_refused(path, "is not a sclerotui database")


def test_create_makes_schema(tmp_path):
    path = tmp_path / "nested" / "new.db"
    with Store(path, create=True) as store:
        assert store.counts() == dict.fromkeys(
            ("therapies", "trials", "cases", "events", "sources"), 0
        )
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    with Store(path) as store:
        assert store.integrity_problems() == []


def test_integrity_problems_on_good_db(store):
    assert store.integrity_problems() == []


def test_copy_of_database_opens(mini_db, tmp_path):
    copy = tmp_path / "copy.db"
    shutil.copy(mini_db, copy)
    with Store(copy, read_only=True) as store:
        assert store.counts()["therapies"] == 6


def query_plan(conn, sql: str, args: list) -> str:
    return " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args))


def test_events_are_found_by_owner_through_their_own_index(store):
    # Schema 5 indexes case events and trial events apart (partial indexes); the lookups
    # the app and a replacing import make must still use them, not scan every event.
    conn = store.conn
    for owner in ("case", "trial"):
        plan = query_plan(conn, f"SELECT * FROM events WHERE {owner}_id = ?", ["x"])
        assert f"idx_events_{owner}_id_week" in plan, plan
        plan = query_plan(conn, f"DELETE FROM events WHERE {owner}_id IN (?, ?)", ["x", "y"])
        assert f"idx_events_{owner}_id_week" in plan, plan
    indexed = conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'idx_events_trial_id_week'"
    ).fetchone()[0]
    assert "WHERE trial_id IS NOT NULL" in indexed
    assert {e.trial for e in store.events("trial", "alpha")} == {"alpha"}
    assert {e.case for e in store.events("case", "case-one")} == {"case-one"}


def test_schema_4_upgrades_to_partial_event_indexes(mini_db):
    conn = sqlite3.connect(mini_db)
    for owner in ("case", "trial"):  # as schema 4 had them: every event in both
        conn.execute(f"DROP INDEX idx_events_{owner}_id_week")
        conn.execute(f"CREATE INDEX idx_events_{owner}_id_week ON events ({owner}_id, week)")
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    with Store(mini_db) as store:
        assert store.upgraded_from == 4
        sqls = [
            row[0]
            for row in store.conn.execute(
                "SELECT sql FROM sqlite_master WHERE name LIKE 'idx_events_%_id_week' ORDER BY name"
            )
        ]
        assert sqls == [
            "CREATE INDEX idx_events_case_id_week ON events (case_id, week) "
            "WHERE case_id IS NOT NULL",
            "CREATE INDEX idx_events_trial_id_week ON events (trial_id, week) "
            "WHERE trial_id IS NOT NULL",
        ]
        assert store.integrity_problems() == []
