"""The database's schema: the tables of the first release and the numbered migrations that
bring a database up to SCHEMA_VERSION. The store applies them inside its transactions."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sclerotui import pathway_index, rank_index

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import sqlite_utils


SCHEMA_VERSION = 11  # 1: first release; 2: the imports log; 3: therapy_stats; 4: search_terms;
# 5: events indexed by case and by trial apart; 6: origins say how a record came, the curated ids;
# 7: the user's own notes and bookmarks, and the lens's saved profile (see sclerotui/notes.py);
# 8: every case's pathway nodes, written with the case (pathway_steps, see pathway_index.py);
# 9: events are their columns, without a JSON copy; facets WITHOUT ROWID (a third the size);
# 10: each common term's best records by bm25, derived (rank_terms, rank_index.py);
# 11: indexes no query needs dropped (pathway rows are deleted by key; see _migrate_to_11)
RANK_LISTS = 10  # the ranking lists' migration
BUNDLED = "bundled"  # the origin of the curated records, written only by a bundled build
TOKENIZER = "unicode61 remove_diacritics 2"  # the search index's, and its term list's
REQUIRED_TABLES = {
    "meta",
    "sources",
    "therapies",
    "trials",
    "cases",
    "events",
    "facets",
    "record_therapies",
    "record_sources",
    "search_index",
}


def create(db: sqlite_utils.Database) -> None:
    """Every table of the latest schema, in a new database (inside a transaction)."""
    _create_tables(db)
    for target in range(2, SCHEMA_VERSION + 1):
        MIGRATIONS[target](db)


def migrate(db: sqlite_utils.Database, version: int) -> None:
    """An older release's database brought up to SCHEMA_VERSION (inside a transaction)."""
    for target in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[target](db)


def _migrate_to_2(db: sqlite_utils.Database) -> None:
    """Schema 2: a log of imported files (which file, when, how many records)."""
    db["imports"].create(
        {
            "id": int,
            "file": str,
            "sha256": str,
            "imported_at": str,
            "trials": int,
            "cases": int,
            "events": int,
            "replaced": int,
        },
        pk="id",
    )


COUNT_THERAPY_STATS = """
    INSERT INTO therapy_stats (therapy_id, trials, cases)
    SELECT t.id,
      (SELECT count(DISTINCT record_id) FROM record_therapies
         WHERE therapy_id = t.id AND kind = 'trial'),
      (SELECT count(DISTINCT record_id) FROM record_therapies
         WHERE therapy_id = t.id AND kind = 'case')
    FROM therapies t"""


def _migrate_to_3(db: sqlite_utils.Database) -> None:
    """Schema 3: per-therapy counts, so the therapy list never counts all cases at start-up,
    and an index giving a therapy's cases in id order (for windows of the evidence list)."""
    db["record_therapies"].create_index(["therapy_id", "kind", "record_id"], if_not_exists=True)
    db["therapy_stats"].create({"therapy_id": str, "trials": int, "cases": int}, pk="therapy_id")
    db.execute(COUNT_THERAPY_STATS)


def _migrate_to_4(db: sqlite_utils.Database) -> None:
    """Schema 4: every term in the search index, so a typed word is matched as the list of
    terms it begins (FTS5 merges a prefix's whole doclist before its first match)."""
    db.execute("CREATE TABLE search_terms (term TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute("CREATE VIRTUAL TABLE temp.all_terms USING fts5vocab(main, search_index, row)")
    try:
        db.execute("INSERT INTO search_terms SELECT term FROM temp.all_terms")
    finally:
        db.execute("DROP TABLE temp.all_terms")


def _migrate_to_5(db: sqlite_utils.Database) -> None:
    """Schema 5: a case's events and a trial's events are indexed apart. The two-owner indexes
    held every case event under a NULL trial sorted by week, so each new event went to a random
    place in a million-entry index: a third of an import's time. Lookups by either owner (`=`
    and `IN`) still use them; SQLite knows such a match cannot be NULL."""
    for owner in ("case", "trial"):
        db.execute(f"DROP INDEX IF EXISTS idx_events_{owner}_id_week")
        db.execute(
            f"CREATE INDEX idx_events_{owner}_id_week ON events ({owner}_id, week) "
            f"WHERE {owner}_id IS NOT NULL"
        )


def _migrate_to_6(db: sqlite_utils.Database) -> None:
    """Schema 6: an origin says how a record came, not just a file name ("import:x.json"; a
    file named "bundled" could pass for the curated data and be deleted by a refresh), and
    the curated data's ids are listed, so a user's record of one of them is known as theirs.
    The events of curated records count as curated (the only way to tell them before)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS curated (kind TEXT NOT NULL, id TEXT NOT NULL, "
        "PRIMARY KEY (kind, id)) WITHOUT ROWID"
    )
    for kind, table in (
        ("therapy", "therapies"),
        ("trial", "trials"),
        ("case", "cases"),
        ("source", "sources"),
    ):
        db.execute(
            f"INSERT OR IGNORE INTO curated SELECT '{kind}', id FROM {table} WHERE origin = ?",
            [BUNDLED],
        )
    for owner in ("trial", "case"):
        db.execute(
            f"INSERT OR IGNORE INTO curated SELECT 'event', id FROM events WHERE {owner}_id IN "
            f"(SELECT id FROM {owner}s WHERE origin = ?)",
            [BUNDLED],
        )
    # Origin by origin, through the origin index: a synthetic database holds a million cases.
    # ("synthetic" stays: db synth's; a file of that name is left so, and no refresh deletes it.)
    for table in ("therapies", "trials", "cases", "sources"):
        named = [row[0] for row in db.execute(f"SELECT DISTINCT origin FROM {table}")]
        for origin in named:
            if origin in (None, BUNDLED, "synthetic") or origin.startswith("import:"):
                continue
            data = (
                ", data = json_set(data, '$.origin', :new)" if table in ("trials", "cases") else ""
            )
            db.execute(
                f"UPDATE {table} SET origin = :new{data} WHERE origin = :old",
                {"new": f"import:{origin}", "old": origin},
            )


def _migrate_to_7(db: sqlite_utils.Database) -> None:
    """Schema 7: the user's notes and bookmarks on records (and on a trial's findings), and
    the patient lens's saved profile. Tables of their own, apart from the curated data and
    without foreign keys to it: a refresh of the bundled records never touches them, and a
    note outlives its record being replaced."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS user_notes (
            id INTEGER PRIMARY KEY,
            record_kind TEXT NOT NULL,
            record_id TEXT NOT NULL,
            finding TEXT,
            bookmark INTEGER NOT NULL DEFAULT 0,
            text TEXT NOT NULL DEFAULT '',
            author TEXT NOT NULL,
            created_at TEXT NOT NULL)"""
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_user_notes_record ON user_notes (record_kind, record_id)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS lens_profile (slot TEXT PRIMARY KEY, data TEXT NOT NULL, "
        "saved_at TEXT NOT NULL) WITHOUT ROWID"
    )


def _migrate_to_8(db: sqlite_utils.Database) -> None:
    """Schema 8: every node each case reaches on its pathways, written with the case, so a
    therapy's tree is one range scan (see pathway_index.py); filled from the stored cases."""
    for statement in pathway_index.CREATE.split(";"):
        if statement.strip():
            db.execute(statement)
    rebuild_pathway_steps(db.conn)


def rebuild_pathway_steps(conn: sqlite3.Connection) -> int:
    """Fill pathway_steps from the stored cases; returns how many rows it wrote. The caller
    holds the transaction."""
    conn.execute("DELETE FROM pathway_steps")
    written = 0
    for rows in pathway_index.stored_rows(conn.execute(pathway_index.STORED_CASES)):
        conn.executemany(pathway_index.INSERT, rows)
        written += len(rows)
    return written


# Schema 9's events: every field of the model a column of its own (the JSON copy `data` of
# schema 1-8 went), in rows.COLUMNS["events"] order after seq.
EVENTS_9 = """CREATE TABLE events_9 (
   "seq" INTEGER PRIMARY KEY,
   "id" TEXT NOT NULL,
   "case_id" TEXT REFERENCES "cases"("id"),
   "trial_id" TEXT REFERENCES "trials"("id"),
   "arm_id" TEXT,
   "week" REAL,
   "date" TEXT,
   "kind" TEXT NOT NULL,
   "therapy_id" TEXT REFERENCES "therapies"("id"),
   "measure" TEXT,
   "value" REAL,
   "source_id" TEXT REFERENCES "sources"("id"),
   "statistic" TEXT,
   "unit" TEXT,
   "note" TEXT,
   "verified" INTEGER,
   "series" TEXT
)"""
# Only events that name a therapy or cite a source are indexed by it (the foreign keys' look-
# ups, `x = ?`, use a partial index: such a match cannot be NULL); most events name neither.
EVENT_INDEXES_9 = (
    'CREATE UNIQUE INDEX "idx_events_id" ON "events" ("id")',
    "CREATE INDEX idx_events_case_id_week ON events (case_id, week) WHERE case_id IS NOT NULL",
    "CREATE INDEX idx_events_trial_id_week ON events (trial_id, week) WHERE trial_id IS NOT NULL",
    "CREATE INDEX idx_events_therapy_id ON events (therapy_id) WHERE therapy_id IS NOT NULL",
    "CREATE INDEX idx_events_source_id ON events (source_id) WHERE source_id IS NOT NULL",
)
FACETS_9 = """CREATE TABLE facets_9 (
   "kind" TEXT NOT NULL,
   "record_id" TEXT NOT NULL,
   "facet" TEXT NOT NULL,
   "value" TEXT NOT NULL,
   PRIMARY KEY ("kind", "record_id", "facet", "value")
) WITHOUT ROWID"""
FACET_INDEX = (
    'CREATE INDEX "idx_facets_facet_value_kind_record_id" '
    'ON "facets" ("facet", "value", "kind", "record_id")'
)


def _migrate_to_9(db: sqlite_utils.Database) -> None:
    """Schema 9: an event is its columns. Each event row kept a JSON copy of itself beside
    them (two thirds of a synthetic database); the fields only that copy held get columns.
    Facets, a table whose key is every column, are kept once (WITHOUT ROWID), not twice.
    Tables are copied, then indexed: building an index after the rows is faster than
    keeping it in step with each."""
    columns = [row[1] for row in db.execute("PRAGMA table_info(events)")]
    if "data" in columns:
        _rebuild_events(db)
    without_rowid = db.execute(
        "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE name = 'facets'"
    ).fetchone()[0]
    if not without_rowid:
        db.execute(FACETS_9)
        db.execute(
            "INSERT INTO facets_9 SELECT kind, record_id, facet, value FROM facets "
            "ORDER BY kind, record_id, facet, value"
        )
        db.execute("DROP TABLE facets")
        db.execute("ALTER TABLE facets_9 RENAME TO facets")
        db.execute(FACET_INDEX)


def _rebuild_events(db: sqlite_utils.Database) -> None:
    # The columns of schema 8 were written from the same validated model as its JSON; the
    # fields without a column come from the JSON (true and false as 1 and 0).
    extra = ", ".join(
        f"json_extract(data, '$.{field}')"
        for field in ("statistic", "unit", "note", "verified", "series")
    )
    db.execute(EVENTS_9)
    db.execute(
        "INSERT INTO events_9 SELECT seq, id, case_id, trial_id, arm_id, week, date, kind, "
        f"therapy_id, measure, value, source_id, {extra} FROM events ORDER BY seq"
    )
    db.execute("DROP TABLE events")
    db.execute("ALTER TABLE events_9 RENAME TO events")
    for statement in EVENT_INDEXES_9:
        db.execute(statement)


def _add_rank_lists(db: sqlite_utils.Database) -> None:
    """The ranking lists (see rank_index.py): empty, and so ignored, until the store fills
    them after the transaction that migrates (see rebuild_rank_lists)."""
    for statement in rank_index.CREATE.split(";"):
        if statement.strip():
            db.execute(statement)


def rebuild_rank_lists(
    conn: sqlite3.Connection, progress: Callable[[int, int], None] | None = None
) -> int:
    """Rebuild the ranking lists from the search index as it is committed; returns how many
    terms are listed; `progress(done, total)` after each term's list and each group's. The
    caller holds the transaction, begun after the index's last write: FTS5 records a write's
    segments at its commit, so lists built in the writing transaction would carry the state
    before it and be ignored as stale."""
    conn.execute("DELETE FROM rank_terms")
    conn.execute("DELETE FROM rank_state")
    conn.execute("CREATE VIRTUAL TABLE temp.rank_vocab USING fts5vocab(main, search_index, row)")
    try:
        common = conn.execute(
            "SELECT term, doc FROM temp.rank_vocab WHERE doc > ?", [rank_index.LISTED_FROM]
        ).fetchall()
    finally:
        conn.execute("DROP TABLE temp.rank_vocab")
    # A term's list is cut where more records hold it than are listed. (A group's list is
    # right for its terms whatever their lists are: searches use it where they are all cut.)
    cut = {term for term, docs in common if docs > rank_index.DEPTH}
    groups = sorted(_rank_groups(conn, cut))
    lists = [(term, docs, rank_index.quoted(term)) for term, docs in common]
    # (docs: a group's idf is never asked for; its terms' are.)
    lists += [(rank_index.group_key(g), 0, rank_index.group_match(g)) for g in groups]
    ranked = _ranked_rows(conn, [match for _, _, match in lists])
    for done, ((key, docs, _), rows) in enumerate(zip(lists, ranked, strict=True), 1):
        listed = [(rowid, -score) for rowid, score in rows[: rank_index.DEPTH]]
        cut_at = rows[rank_index.DEPTH] if len(rows) > rank_index.DEPTH else None
        bound = (-cut_at[1], cut_at[0]) if cut_at else (None, None)
        conn.execute(rank_index.INSERT, [key, docs, *bound, *rank_index.pack(listed)])
        if progress is not None:
            progress(done, len(lists))
    state = dict(conn.execute(rank_index.INDEX_STATE).fetchall())
    conn.execute(
        "INSERT INTO rank_state VALUES (?, ?, ?, ?)",
        [state.get(10), state.get(1), rank_index.DEPTH, rank_index.LISTED_FROM],
    )
    return len(common)


def _ranked_rows(conn: sqlite3.Connection, matches: list[str]) -> Iterator[list[tuple]]:
    """Each match's first DEPTH + 1 records by bm25, in order. FTS5's scans are most of a
    rebuild: where a second connection can read the same committed index (a WAL file, whose
    writer is this transaction), a thread scans on it too (SQLite lets go of the GIL while it
    runs), and this connection's transaction writes what both found."""
    second = _second_reader(conn)
    if second is None:
        for match in matches:
            yield conn.execute(rank_index.TERM_RANKED, [match, rank_index.DEPTH + 1]).fetchall()
        return
    found: dict[int, list[tuple] | BaseException] = {}
    taken = itertools.count()  # the next match to scan, for whichever connection is free
    ready, stop = threading.Condition(), threading.Event()

    def scan(connection: sqlite3.Connection) -> bool:
        index = len(matches) if stop.is_set() else next(taken)
        if index >= len(matches):
            return False
        try:
            rows = connection.execute(
                rank_index.TERM_RANKED, [matches[index], rank_index.DEPTH + 1]
            ).fetchall()
        except BaseException as error:  # noqa: BLE001 (handed to the caller's thread)
            rows = error
        with ready:
            found[index] = rows
            ready.notify()
        return True

    def scan_on_second() -> None:
        while scan(second):
            pass

    thread = threading.Thread(target=scan_on_second)
    thread.start()
    try:
        for index in range(len(matches)):
            while index not in found and scan(conn):
                pass
            with ready:
                ready.wait_for(lambda index=index: index in found)
                rows = found.pop(index)
            if isinstance(rows, BaseException):
                raise rows
            yield rows
    finally:
        stop.set()
        second.interrupt()
        thread.join()
        second.close()


def _second_reader(conn: sqlite3.Connection) -> sqlite3.Connection | None:
    """A read-only connection to the same file, if it is in WAL mode (a reader beside this
    transaction's writes); None otherwise (an in-memory or rollback-journal database)."""
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    path = next((row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"), "")
    if mode != "wal" or not path:
        return None
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    try:
        uri = f"{Path(path).as_uri()}?mode=ro"
        second = sqlite3.connect(uri, uri=True, check_same_thread=False)
        second.execute(f"PRAGMA cache_size = {int(cache)}")  # as much of the index as ours
    except sqlite3.Error:
        return None
    return second


def _rank_groups(conn: sqlite3.Connection, cut: set[str]) -> set[tuple[str, ...]]:
    """The sets of cut terms that typed words expand to, from the terms a search expands a
    word to (a database without that list expands none: see Search._expand_word)."""
    if (
        len(cut) < 2
        or not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_terms'"
        ).fetchone()
    ):
        return set()
    terms = [row[0] for row in conn.execute("SELECT term FROM search_terms ORDER BY term")]
    return rank_index.grouped(terms, cut, rank_index.MAX_EXPANSION)


# Indexes of schemas 1-10 that no statement needs (docs/performance/size3.md has each one's
# evidence); dropping one is quick, and its pages are reused by later writes.
# idx_cases_subtype: no query filters cases by the column (the subtype filter reads facets);
# only count(*) chose it, as the smallest index, and idx_cases_origin serves that as well.
DROPPED_11 = (pathway_index.CASE_INDEX, "idx_cases_subtype")


def _migrate_to_11(db: sqlite_utils.Database) -> None:
    """Schema 11: indexes no statement needs, dropped (3.6% of a synthetic file). The pathway
    rows of a case are deleted by their keys, computed from the case as stored (see
    Store._delete_pathway_rows), not looked up by case id."""
    for name in DROPPED_11:
        db.execute(f'DROP INDEX IF EXISTS "{name}"')


MIGRATIONS = {
    2: _migrate_to_2,
    3: _migrate_to_3,
    4: _migrate_to_4,
    5: _migrate_to_5,
    6: _migrate_to_6,
    7: _migrate_to_7,
    8: _migrate_to_8,
    9: _migrate_to_9,
    RANK_LISTS: _add_rank_lists,
    11: _migrate_to_11,
}


def _create_tables(db: sqlite_utils.Database) -> None:
    """The tables of schema 1; later schemas are reached through MIGRATIONS."""
    record = {"origin": str, "imported_at": str, "data": str}
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["sources"].create(
        {"id": str, "kind": str, "ref": str, "citation": str, "verified": int, "origin": str},
        pk="id",
        not_null={"kind", "citation"},
    )
    db["therapies"].create(
        {"id": str, "name": str, "class": str, "aliases": str, **record},
        pk="id",
        not_null={"name", "class", "data"},
    )
    db["trials"].create(
        {
            "id": str,
            "name": str,
            "acronym": str,
            "registry_id": str,
            "year": int,
            "evidence_type": str,
            "n": int,
            "verified": int,
            "synthetic": int,
            **record,
        },
        pk="id",
        not_null={"name", "evidence_type", "data"},
    )
    db["cases"].create(
        {
            "id": str,
            "title": str,
            "subtype": str,
            "evidence_type": str,
            "illustrative": int,
            "synthetic": int,
            **record,
        },
        pk="id",
        not_null={"title", "subtype", "data"},
    )
    db["events"].create(
        {
            "seq": int,
            "id": str,
            "case_id": str,
            "trial_id": str,
            "arm_id": str,
            "week": float,
            "date": str,
            "kind": str,
            "therapy_id": str,
            "measure": str,
            "value": float,
            "source_id": str,
            "data": str,
        },
        pk="seq",
        not_null={"id", "kind", "data"},
        foreign_keys=[
            ("case_id", "cases", "id"),
            ("trial_id", "trials", "id"),
            ("therapy_id", "therapies", "id"),
            ("source_id", "sources", "id"),
        ],
    )
    db["facets"].create(
        {"kind": str, "record_id": str, "facet": str, "value": str},
        pk=("kind", "record_id", "facet", "value"),
    )
    db["record_therapies"].create(
        {"kind": str, "record_id": str, "therapy_id": str, "step": int, "response": str},
        foreign_keys=[("therapy_id", "therapies", "id")],
    )
    db["record_sources"].create(
        {"kind": str, "record_id": str, "source_id": str},
        pk=("kind", "record_id", "source_id"),
        foreign_keys=[("source_id", "sources", "id")],
    )
    db["events"].create_index(["id"], unique=True)
    db["events"].create_index(["case_id", "week"])
    db["events"].create_index(["trial_id", "week"])
    db["events"].create_index(["therapy_id"])
    db["events"].create_index(["source_id"])
    db["facets"].create_index(["facet", "value", "kind", "record_id"])
    db["record_therapies"].create_index(["therapy_id", "kind", "response", "record_id"])
    db["record_therapies"].create_index(["kind", "record_id"])
    db["record_sources"].create_index(["source_id"])
    for table in ("therapies", "trials", "cases"):
        db[table].create_index(["origin"])
    db["therapies"].create_index(["class", "name"])
    db["trials"].create_index(["evidence_type"])
    db["cases"].create_index(["subtype"])
    db.execute(f"""CREATE VIRTUAL TABLE search_index USING fts5(
        title, body, kind UNINDEXED, record_id UNINDEXED,
        tokenize = '{TOKENIZER}')""")
