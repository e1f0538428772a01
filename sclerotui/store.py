"""The one door to SQLite: opening (read-only or not) and health checks, writes, record reads,
and the small door (read, first, scan, write, interrupt) the feature rooms query through.

Each record is kept whole as JSON (so it reads back exactly as validated) beside the columns
and link tables the filters and the search need. Writes happen in one transaction each.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import (
    AbstractContextManager,
    ExitStack,
    contextmanager,
    nullcontext,
    suppress,
)
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    import sqlite_utils

    from sclerotui.models import Case, Dataset, KnownIds, Source, Therapy, TimelineEvent, Trial

# The pydantic models are imported by the methods that build them, not with this module: the
# explorer's first screen needs none (they cost a large share of start-up), nor does it need
# sclerotui.rows, which a write imports.
from sclerotui import pathway_index, schema
from sclerotui.origin import Origin, describe_origin, timestamp
from sclerotui.schema import (
    BUNDLED,
    COUNT_THERAPY_STATS,
    REQUIRED_TABLES,
    SCHEMA_VERSION,
    TOKENIZER,
)

BUSY_TIMEOUT_MS = 3000
# Files up to this size get PRAGMA quick_check when opened (a few ms per MB). Bigger ones are
# checked by `sclerotui db check`; damage found later is reported as it surfaces.
QUICK_CHECK_MAX_BYTES = 32 * 1024 * 1024


class StoreError(Exception):
    """A database that cannot be used as asked; the message says what, where and what to do."""


class DamagedError(StoreError):
    """The file is a SQLite database but some of it cannot be read."""


class RecordDamaged(DamagedError):
    """A record whose stored JSON the models refuse: edited outside sclerotui, or damaged."""


class ListsNotRebuilt(StoreError):
    """Interrupted after a write was saved, while the ranking lists were rebuilt."""


class BusyError(StoreError):
    """Another process holds the write lock longer than we wait."""


class ReadOnlyError(StoreError):
    pass


class Store:
    """One database file, opened read-only or read-write; owns its connection."""

    def __init__(
        self,
        path: Path,
        read_only: bool = False,
        create: bool = False,
        check: bool = True,
        cache_mb: int | None = None,
        on_upgrade: Callable[[int], None] | None = None,
    ):
        """check=False skips the damage check at open: for `db check`, which reports it.
        cache_mb sets the connection's page cache (SQLite's default is 2 MB). on_upgrade
        hears the old schema before an upgrade starts (minutes for a large file)."""
        self.on_upgrade = on_upgrade
        self.path = Path(path)
        self.check = check
        self.cache_mb = cache_mb
        self.read_only_reason: str | None = None
        self.upgraded_from: int | None = None
        # A bar for the ranking lists' rebuild after a write (the command line sets it):
        # rank_progress(total) is a context that yields advance(amount).
        self.rank_progress: (
            Callable[[int], AbstractContextManager[Callable[[float], None]]] | None
        ) = None
        self.backup_path: Path | None = None
        self.read_only = read_only
        self._check_path(create)
        if not read_only and self.path.exists():
            reason = _unwritable_reason(self.path)
            if reason:
                self.read_only, self.read_only_reason = True, reason
        elif read_only:
            self.read_only_reason = "opened with --read-only"
        self.conn = self._connect()
        # For a store shared with a worker thread. Re-entrant: a worker holds it across a
        # whole comparison, whose parts also take it.
        self.lock = threading.RLock()
        self._search_written = False  # the transaction wrote the search index (see transaction)
        self._check_schema(create)

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils on the same connection, for writes; imported when first needed
        (it pulls in click, dateutil and pluggy: a fifth of a second the explorer never uses)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn, execute_plugins=False)

    # -- opening -------------------------------------------------------------------------

    def _check_path(self, create: bool) -> None:
        try:
            self._check_path_kind(create)
        except OSError as error:  # e.g. a directory on the way that we may not enter
            raise StoreError(f"cannot open {self.path}: {error.strerror}") from None

    def _check_path_kind(self, create: bool) -> None:
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a directory, not a database file")
        if not self.path.exists() and not create:
            raise StoreError(
                f"no database at {self.path} (create one with "
                f"'sclerotui db build --out {self.path}')"
            )
        if self.path.exists() and self.path.stat().st_size and not _looks_like_sqlite(self.path):
            raise StoreError(f"{self.path} is not a SQLite database")
        if create and self.read_only:
            raise StoreError(f"cannot create {self.path} read-only")

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            conn = self._connect_read_only()
        else:
            if not self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if self.cache_mb is not None:
            conn.execute(f"PRAGMA cache_size = {-1000 * int(self.cache_mb)}")  # negative: in KiB
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _connect_read_only(self) -> sqlite3.Connection:
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as error:
            # A WAL database needs its -shm file; in a directory we cannot write, SQLite
            # cannot create it. Immutable mode reads the file as it is, without one.
            if "readonly" not in str(error) and "unable to open" not in str(error):
                return conn  # reported with its file name by _check_schema
            conn.close()
            conn = sqlite3.connect(f"{uri}&immutable=1", uri=True, check_same_thread=False)
            self.read_only_reason = (self.read_only_reason or "read-only") + (
                "; read as a snapshot: changes other programs make are not seen"
            )
        return conn

    def _check_length(self) -> None:
        """A file cut short (a copy that did not finish) is refused before any query."""
        size = self.path.stat().st_size if self.path.exists() else 0
        expected = _header_size(self.path) if size else 0
        wal = self.path.with_name(self.path.name + "-wal")
        if expected and size < expected and not wal.exists():
            raise DamagedError(
                f"{self.path} is truncated ({size:,} of {expected:,} bytes); "
                "restore it from a backup"
            )

    def _check_health(self) -> None:
        """Refuse a damaged file before anything reads (or writes) a wrong answer from it."""
        if self.path.stat().st_size > QUICK_CHECK_MAX_BYTES:
            return
        rows = [row[0] for row in self.conn.execute("PRAGMA quick_check(3)")]
        if rows != ["ok"]:
            lines = [line for row in rows for line in row.splitlines() if "***" not in line]
            raise DamagedError(
                f"{self.path} is damaged (quick_check: {lines[0] if lines else rows[0]}); "
                f"restore it from a backup; 'sclerotui db check {self.path}' lists the problems"
            )

    def _check_schema(self, create: bool) -> None:
        try:
            if self.check:
                self._check_length()
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {
                row[0]
                for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if tables and self.check:
                self._check_health()
        except sqlite3.DatabaseError as error:
            self.close()
            raise describe_database_error(self.path, error, checking=not self.check) from None
        except StoreError:
            self.close()
            raise
        if not tables and create:
            self.create_schema()
            return
        if version > SCHEMA_VERSION:
            self.close()
            raise StoreError(
                f"{self.path} was written by a newer sclerotui (schema {version}, "
                f"this release reads up to {SCHEMA_VERSION}); upgrade sclerotui"
            )
        missing = REQUIRED_TABLES - tables
        if missing:
            self.close()
            raise StoreError(
                f"{self.path} is not a sclerotui database "
                f"(missing tables: {', '.join(sorted(missing))})"
            )
        if version < SCHEMA_VERSION:
            self._upgrade(version)

    def _upgrade(self, version: int) -> None:
        """Bring an older release's database up to date, after a backup copy beside it."""
        if self.read_only:
            # Reads work on the old schema; writing would need the upgrade.
            self.read_only_reason = (self.read_only_reason or "read-only") + (
                f"; schema {version} from an older release (open it writable once to upgrade)"
            )
            return
        if self.on_upgrade is not None:
            self.on_upgrade(version)
        self.backup_path = self._backup(f"schema-{version}")
        try:
            with self.transaction():
                schema.migrate(self.db, version)
                self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._search_written = True  # the ranking lists are built after it commits
        except (sqlite3.Error, StoreError) as error:
            self.close()
            raise StoreError(
                f"cannot upgrade {self.path} from schema {version}: {error}; "
                f"it is unchanged (a copy is at {self.backup_path})"
            ) from None
        self.upgraded_from = version
        if version < 9:
            self._compact_after_upgrade()

    def _compact_after_upgrade(self) -> None:
        """Give back the pages the upgrade to schema 9 freed (the events' JSON copies, two
        thirds of a synthetic database): VACUUM rewrites the file without them. It runs
        after the upgrade has committed, so a failure (the disk full, another reader) only
        leaves the file larger than it needs to be."""
        if self.conn.execute("PRAGMA freelist_count").fetchone()[0]:
            with suppress(sqlite3.Error):
                self.conn.execute("VACUUM")

    def _backup(self, label: str) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        for attempt in range(100):
            extra = f"-{attempt}" if attempt else ""
            name = f"{self.path.stem}.{label}-backup-{stamp}{extra}{self.path.suffix}"
            target = self.path.with_name(name)
            try:
                # Created 0600 before a byte of it is written: it holds the same records.
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                break
            except FileExistsError:
                continue  # a backup from the same second: never overwrite one
            except OSError as error:
                raise StoreError(
                    f"cannot write a backup beside {self.path}: {error.strerror}; it is unchanged"
                ) from None
        copy = sqlite3.connect(target)
        try:
            self.conn.backup(copy)
        finally:
            copy.close()
        os.chmod(target, 0o600)
        return target

    def close(self) -> None:
        self.conn.close()

    def stop_and_close(self) -> None:
        """Close a connection a worker thread may be using: stop its query, then close once
        the worker lets go of the lock (closing a connection mid-query from another thread
        can crash the interpreter)."""
        self.interrupt()
        with self.lock:
            self.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the door: how feature modules (search, lists, pathways, lens, notes …) run SQL ----

    def read(self, sql: str, params: Iterable = ()) -> list[tuple]:
        """The rows of one query, with parameters (never formatted into the SQL)."""
        return self.conn.execute(sql, list(params)).fetchall()

    def first(self, sql: str, params: Iterable = ()) -> tuple | None:
        """The first row of one query, or None."""
        return self.conn.execute(sql, list(params)).fetchone()

    def scan(self, sql: str, params: Iterable = ()) -> Iterator[tuple]:
        """The rows of one query, one at a time (for reads too big to hold at once)."""
        yield from self.conn.execute(sql, list(params))

    def write(self, sql: str, params: Iterable = ()) -> int:
        """One statement that changes rows, inside `transaction()`; how many it changed."""
        self._require_writable("write")
        return self.conn.execute(sql, list(params)).rowcount

    def insert(self, sql: str, params: Iterable = ()) -> int:
        """One INSERT inside `transaction()`; the new row's rowid."""
        self._require_writable("write")
        return self.conn.execute(sql, list(params)).lastrowid

    def execute_many(self, sql: str, rows: Iterable[tuple]) -> None:
        """One statement for many rows; inside `transaction()`."""
        self._require_writable("write")
        self.conn.executemany(sql, rows)

    def interrupt(self) -> None:
        """Stop the query running on this connection (from another thread): it ends with
        sqlite3.OperationalError "interrupted", for its worker to drop."""
        self.conn.interrupt()

    def has_table(self, name: str) -> bool:
        found = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]
        ).fetchone()
        return found is not None

    def columns(self, table: str) -> list[str]:
        """A table's column names, in order ([] if there is no such table)."""
        return [row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")]

    # -- schema --------------------------------------------------------------------------

    def create_schema(self) -> None:
        self._require_writable("create a database")
        with self.transaction():
            schema.create(self.db)
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.conn.execute("PRAGMA journal_mode = WAL")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all."""
        self._require_writable("write")
        try:
            # Waits up to BUSY_TIMEOUT_MS for another writer, then gives up whole.
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise describe_database_error(self.path, error) from None
        # Foreign keys are checked at commit, not per statement, so a refresh can delete and
        # re-insert a therapy or source that records of another origin point to.
        self.conn.execute("PRAGMA defer_foreign_keys = ON")
        self._search_written = False
        try:
            yield
            self.conn.commit()  # a failed commit leaves the transaction open: rolled back below
        except sqlite3.IntegrityError as error:
            dangling = self.integrity_problems()[:5]
            self.conn.rollback()
            details = f" ({'; '.join(dangling)})" if dangling else ""
            raise StoreError(
                f"cannot write to {self.path}: {error}{details}; nothing was changed"
            ) from None
        except sqlite3.DatabaseError as error:
            self.conn.rollback()
            raise describe_database_error(self.path, error) from None
        except BaseException:
            self.conn.rollback()
            raise
        if self._search_written:
            self._search_written = False
            try:
                self.rebuild_rank_lists()
            except KeyboardInterrupt:
                raise ListsNotRebuilt(
                    f"interrupted after the write to {self.path} was saved, while its ranking "
                    "lists were rebuilt: searches stay exact but rank every match (slower on a "
                    f"large database) until the next import or 'sclerotui db reindex {self.path}'"
                ) from None

    def rebuild_rank_lists(self) -> int:
        """Rebuild the ranking lists from the committed search index, in a transaction of
        their own (see schema.rebuild_rank_lists); returns how many terms are listed.
        Stopped or failed, the lists are left as they were: stale, so searches ignore them
        and rank every match."""
        if not self.has_table("rank_terms"):
            return 0
        with ExitStack() as stack, self.transaction():
            advance = None

            def step(done: int, total: int) -> None:
                nonlocal advance
                if advance is None:
                    bar = self.rank_progress
                    advance = stack.enter_context(bar(total)) if bar else lambda amount: None
                advance(1)

            return schema.rebuild_rank_lists(self.conn, step)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read inside sees the database as one state (a read transaction): a search
        that checks the ranking lists against the index, then reads both, must not see
        another process's import and rebuild land in between."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    @contextmanager
    def bulk_load(
        self,
        tables: Iterable[str],
        cache_mb: int = 256,
        progress: Callable[[int], AbstractContextManager[Callable[[float], None]]] | None = None,
    ) -> Iterator[None]:
        """Settings for filling a new file nobody else sees until it is renamed into place
        (`db synth`): no rollback journal, no syncs, no foreign key look-ups per row (what
        is written refers to what was written first), and the tables' indexes built once
        after the rows rather than kept in step with every row. A failure leaves the file
        to be deleted, not used. The indexes, foreign keys and WAL mode are back at the end;
        `progress(total)`, if given, is a bar for building the indexes (minutes at 1M)."""
        self._require_writable("write")
        marks = ",".join("?" * len(tables := list(tables)))
        indexes = self.conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) ORDER BY rowid",
            tables,
        ).fetchall()
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "foreign_keys = OFF"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute(f"PRAGMA cache_size = {-1000 * cache_mb}")
        with self.transaction():
            for name, _ in indexes:
                self.conn.execute(f'DROP INDEX "{name}"')
        yield
        bar = progress(len(indexes)) if progress else nullcontext(lambda amount: None)
        with self.transaction(), bar as advance:
            for _, sql in indexes:
                self.conn.execute(sql)
                advance(1)
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA journal_mode = WAL")

    def fill_search_terms(self) -> None:
        """search_terms from the whole search index at once (after a bulk load): the terms
        `add_search_terms` would have added batch by batch."""
        self.conn.execute(
            "CREATE VIRTUAL TABLE temp.all_terms USING fts5vocab(main, search_index, row)"
        )
        try:
            with self.transaction():
                self.conn.execute("INSERT OR IGNORE INTO search_terms SELECT term FROM all_terms")
        finally:
            self.conn.execute("DROP TABLE temp.all_terms")

    def _require_writable(self, action: str) -> None:
        if self.read_only:
            why = self.read_only_reason or "it is open read-only"
            raise ReadOnlyError(f"cannot {action}: {self.path} is read-only ({why})")

    # -- meta ----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])

    # -- writing -------------------------------------------------------------------------

    def import_file(
        self,
        data: Dataset,
        origin: str,
        digest: str,
        replace: bool = False,
        checked: bool = False,
        events: list[tuple] | None = None,
        log: bool = True,
    ) -> None:
        """Write one file's records and log the file in the imports table. Called inside
        `transaction()`, so that a batch of files commits together or not at all. `checked`
        says the caller has just found none of its ids in the database (`existing`);
        `events` are its events' rows if built already (`rows.event_rows`). A file read in
        parts is written part by part (`log=False`), then logged once (`log_import`)."""
        if describe_origin(origin)[0] != "import":
            raise ValueError(f"{origin!r} is not an import's origin (see import_origin)")
        self._insert(data, origin, replace, checked, events, refresh=log)
        if log:
            counts = {key: len(getattr(data, key)) for key in ("trials", "cases", "events")}
            self.log_import(origin, digest, counts, replace)  # statistics recounted there

    def log_import(self, origin: str, digest: str, counts: dict[str, int], replace: bool) -> None:
        """Log an imported file in the imports table (its trials, cases and events), and
        recount the therapies' statistics its records change."""
        self._refresh_statistics()
        self.conn.execute(
            "INSERT INTO imports (file, sha256, imported_at, trials, cases, events, "
            "replaced) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                describe_origin(origin)[1],
                digest,
                timestamp(),
                counts["trials"],
                counts["cases"],
                counts["events"],
                int(replace),
            ],
        )

    def imports(self) -> list[tuple]:
        return list(
            self.conn.execute(
                "SELECT file, imported_at, trials, cases, events FROM imports ORDER BY id"
            )
        )

    def write_dataset(self, data: Dataset, origin: str, replace: bool = False) -> None:
        """Insert every record of a dataset in one transaction.

        Existing ids are an error unless `replace`, which swaps the old record (and its
        events) for the new one.
        """
        with self.transaction():
            self._insert(data, origin, replace)

    def replace_origin(self, data: Dataset, origin: str, meta: dict[str, str]) -> list[str]:
        """Swap every record of one origin (the bundled data) for a new set, atomically.

        A record of another origin with the id of one of the new set's is the user's (an
        import, or a curated record they replaced): it stays, and the new record of that id
        is left out ("trial x" returned for each therapy, trial or case left out). So a
        refresh of the curated data never deletes, nor stumbles over, what the user wrote."""
        with self.transaction():
            self._delete_origin(origin, data)
            kept, fresh = self._without_held(data)
            self._insert(fresh, origin, replace=False, checked=True)
            if origin == BUNDLED:
                self.conn.execute("DELETE FROM curated")
                self._add_curated(data)
            for key, value in meta.items():
                self.set_meta(key, value)
        return kept

    def _delete_origin(self, origin: str, coming: Dataset) -> None:
        """Delete one origin's records. The events the user added to them stay (a curated
        record's are listed in `curated`), as do its sources that the user's records cite
        and the coming set lacks: deferred foreign keys then check what still refers to
        a deleted record at commit."""
        curated_events = origin == BUNDLED
        for table, kind in (("cases", "case"), ("trials", "trial"), ("therapies", "therapy")):
            ids = [
                row[0]
                for row in self.conn.execute(f"SELECT id FROM {table} WHERE origin = ?", [origin])
            ]
            self._delete_records(kind, ids, curated_events)
        coming_sources = {source.id for source in coming.sources}
        cited = """SELECT source_id FROM record_sources UNION
                   SELECT source_id FROM events WHERE source_id IS NOT NULL"""
        for (source_id,) in self.conn.execute(
            f"SELECT id FROM sources WHERE origin = ? AND id IN ({cited})", [origin]
        ).fetchall():
            if source_id not in coming_sources:
                coming_sources.add(source_id)  # kept below: the user's records cite it
                self.conn.execute(
                    "UPDATE sources SET origin = ? WHERE id = ?", [f"{origin}-kept", source_id]
                )
        self.conn.execute("DELETE FROM sources WHERE origin = ?", [origin])
        self.conn.execute(
            "UPDATE sources SET origin = ? WHERE origin = ?", [origin, f"{origin}-kept"]
        )

    def _without_held(self, data: Dataset) -> tuple[list[str], Dataset]:
        """The dataset without the records whose ids the database holds (after the old
        records of its origin are gone, those are the user's), and their labels."""
        held = set(self.existing(data))
        held_sources = set()
        ids = [source.id for source in data.sources]
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            held_sources |= {
                row[0]
                for row in self.conn.execute(f"SELECT id FROM sources WHERE id IN ({marks})", chunk)
            }
        if not held and not held_sources:
            return [], data
        kept = [label for label in held if not label.startswith("event ")]
        fresh = data.model_copy(
            update={
                "therapies": [t for t in data.therapies if f"therapy {t.id}" not in held],
                "trials": [t for t in data.trials if f"trial {t.id}" not in held],
                "cases": [c for c in data.cases if f"case {c.id}" not in held],
                "events": [
                    e
                    for e in data.events
                    if f"event {e.id}" not in held
                    and f"trial {e.trial}" not in held
                    and f"case {e.case}" not in held
                ],
                "sources": [s for s in data.sources if s.id not in held_sources],
            }
        )
        return sorted(kept), fresh

    def _add_curated(self, data: Dataset) -> None:
        """List a bundled dataset's ids: a user's record of one of them overrides it."""
        self.conn.executemany(
            "INSERT OR IGNORE INTO curated (kind, id) VALUES (?, ?)",
            [
                *(("therapy", t.id) for t in data.therapies),
                *(("trial", t.id) for t in data.trials),
                *(("case", c.id) for c in data.cases),
                *(("event", e.id) for e in data.events),
                *(("source", s.id) for s in data.sources),
            ],
        )

    def _delete_records(self, kind: str, ids: list[str], curated_events: bool = False) -> None:
        """Delete records with their events (only the curated ones if `curated_events`)."""
        table = {"case": "cases", "trial": "trials", "therapy": "therapies"}[kind]
        only = " AND id IN (SELECT id FROM curated WHERE kind = 'event')" if curated_events else ""
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            if kind == "case":
                # First: the rows are computed from the case as stored (links, facets).
                self._delete_pathway_rows(chunk)
            if kind in ("case", "trial"):
                self.conn.execute(f"DELETE FROM events WHERE {kind}_id IN ({marks}){only}", chunk)
            for link in ("facets", "record_therapies", "record_sources"):
                self.conn.execute(
                    f"DELETE FROM {link} WHERE kind = ? AND record_id IN ({marks})", [kind, *chunk]
                )
            self.conn.execute(
                f"DELETE FROM search_index WHERE kind = ? AND record_id IN ({marks})",
                [kind, *chunk],
            )
            self._search_written = True
            self.conn.execute(f"DELETE FROM {table} WHERE id IN ({marks})", chunk)

    def _delete_pathway_rows(self, case_ids: list[str]) -> None:
        """Delete the pathway rows of some stored cases (≤ 999) by their keys: the rows the
        store wrote for each, computed again by the same function from what is stored."""
        stored = self.conn.execute(pathway_index.stored_cases_sql(len(case_ids)), case_ids)
        for rows in pathway_index.stored_rows(stored):
            self.conn.executemany(pathway_index.DELETE, pathway_index.keys(rows))

    def _insert(
        self,
        data: Dataset,
        origin: str,
        replace: bool,
        checked: bool = False,
        events: list[tuple] | None = None,
        refresh: bool = True,
    ) -> None:
        """`events`: the events' rows if built already (by an import's second process).
        `refresh`: recount the therapies' statistics (else the caller does, once)."""
        if replace:
            self._delete_records("case", [c.id for c in data.cases])
            self._delete_records("trial", [t.id for t in data.trials])
            self._delete_records("therapy", [t.id for t in data.therapies])
        elif not checked:
            self._refuse_existing(data)
        sources = [
            (s.id, s.kind.value, s.ref, s.citation, s.verified, origin) for s in data.sources
        ]
        # A source already held (say, a curated registry record) is kept unless replacing.
        self._insert_rows("sources", sources, "OR REPLACE" if replace else "OR IGNORE")
        classes = dict(self.conn.execute("SELECT id, class FROM therapies"))
        classes |= {t.id: t.therapy_class.value for t in data.therapies}
        from sclerotui.rows import dataset_rows

        rows = dataset_rows(data, origin, timestamp(), classes, events)
        # Records before what refers to them.
        for table in (
            "therapies",
            "trials",
            "cases",
            "facets",
            "record_therapies",
            "record_sources",
            "search_index",
        ):
            self._insert_rows(table, getattr(rows, table))
        self.conn.executemany(
            pathway_index.INSERT,
            pathway_index.rows_of(rows.cases, rows.facets, rows.record_therapies),
        )
        self.add_search_terms([(title, body) for title, body, _, _ in rows.search_index])
        self._search_written = bool(rows.search_index) or self._search_written
        self._insert_rows("events", rows.events)
        if origin == BUNDLED:
            self._add_curated(data)
        if refresh:
            self._refresh_statistics()

    def add_search_terms(self, texts: list[tuple[str, str]]) -> None:
        """Add the terms of newly indexed text to search_terms, split by FTS5 itself.

        A scratch FTS5 table with the same tokenizer gives exactly the terms the index holds,
        so a word typed in search expands to every term that starts with it."""
        if not texts:
            return
        self.conn.execute(
            f"CREATE VIRTUAL TABLE temp.new_text USING fts5(title, body, "
            f"tokenize = '{TOKENIZER}', detail = none)"
        )
        try:
            self.conn.executemany("INSERT INTO temp.new_text (title, body) VALUES (?, ?)", texts)
            self.conn.execute(
                "CREATE VIRTUAL TABLE temp.new_terms USING fts5vocab(temp, new_text, row)"
            )
            self.conn.execute("INSERT OR IGNORE INTO search_terms SELECT term FROM temp.new_terms")
        finally:
            self.conn.execute("DROP TABLE IF EXISTS temp.new_terms")
            self.conn.execute("DROP TABLE temp.new_text")

    def _insert_rows(self, table: str, rows: list[tuple], conflict: str = "") -> None:
        """One executemany for a table's rows, in the order of `rows.COLUMNS`.

        sqlite-utils' insert_all inspects every value of every row in Python; on an import
        of 100k cases that was three quarters of the time. Values are bound by position:
        binding by name looks each one up by its name, a quarter of the events' insert."""
        if not rows:
            return
        from sclerotui.rows import COLUMNS

        columns = COLUMNS[table]
        names = ", ".join(f'"{column}"' for column in columns)
        marks = ", ".join("?" * len(columns))
        self.conn.executemany(f"INSERT {conflict} INTO {table} ({names}) VALUES ({marks})", rows)

    def refresh_statistics(self) -> None:
        """Recount every therapy's trials and cases (after bulk writes such as `db synth`)."""
        with self.transaction():
            self._refresh_statistics()

    def _refresh_statistics(self) -> None:
        # The unfiltered counts the therapy list starts with; kept in step with every write
        # so start-up never counts a million cases.
        self.conn.execute("DELETE FROM therapy_stats")
        self.conn.execute(COUNT_THERAPY_STATS)

    def _refuse_existing(self, data: Dataset) -> None:
        clashes = self.existing(data)
        if clashes:
            shown = ", ".join(clashes[:10]) + (" …" if len(clashes) > 10 else "")
            raise DuplicateError(
                f"already in the database: {shown} (use --replace to update them)", clashes
            )

    def event_owners(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        """The case or trial ("case", id) each of these event ids belongs to, if held."""
        owners = {}
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            for event_id, case_id, trial_id in self.conn.execute(
                f"SELECT id, case_id, trial_id FROM events WHERE id IN ({marks})", chunk
            ):
                owners[event_id] = ("case", case_id) if case_id else ("trial", trial_id)
        return owners

    def registry_trials(self) -> dict[str, str]:
        """The trials' ids by registry id (NCT…), for trials that have one."""
        return dict(
            self.conn.execute("SELECT registry_id, id FROM trials WHERE registry_id IS NOT NULL")
        )

    def registry_clashes(self, data: Dataset) -> list[str]:
        """Trials whose registry id the database already holds under another trial id."""
        found = []
        for trial in data.trials:
            if trial.registry_id:
                row = self.conn.execute(
                    "SELECT id FROM trials WHERE registry_id = ? AND id != ?",
                    [trial.registry_id, trial.id],
                ).fetchone()
                if row:
                    found.append(
                        f"trial {trial.id}: {trial.registry_id} is already in the "
                        f"database as trial {row[0]}; not importing it twice"
                    )
        return found

    def existing(self, data: Dataset) -> list[str]:
        """Records of a dataset whose ids the database already holds ("case x", …)."""
        clashes = []
        for table, records in (
            ("therapies", data.therapies),
            ("trials", data.trials),
            ("cases", data.cases),
            ("events", data.events),
        ):
            ids = [r.id for r in records]
            for chunk in _chunks(ids, 500):
                marks = ",".join("?" * len(chunk))
                found = self.conn.execute(
                    f"SELECT id FROM {table} WHERE id IN ({marks})", chunk
                ).fetchall()
                clashes += [
                    f"{table[:-1] if table != 'therapies' else 'therapy'} {row[0]}" for row in found
                ]
        return clashes

    # -- reading -------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        tables = ("therapies", "trials", "cases", "events", "sources")
        return {t: self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}

    def origins(self) -> list[tuple[str, int]]:
        sql = """SELECT origin, count(*) FROM (SELECT origin FROM trials UNION ALL
                 SELECT origin FROM cases) GROUP BY origin ORDER BY origin"""
        return list(self.conn.execute(sql))

    def model(self, kind: str, record_id: str, data: str) -> Therapy | Trial | Case:
        """The record of a row's stored JSON, or RecordDamaged naming it and what is wrong."""
        from pydantic import ValidationError

        from sclerotui.models import Case, Therapy, Trial

        model = {"therapy": Therapy, "trial": Trial, "case": Case}[kind]
        try:
            return model.model_validate_json(data)
        except ValidationError as error:
            from sclerotui.models import describe_validation_error

            problems = describe_validation_error(error, f"{kind} {record_id!r}")
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise RecordDamaged(
                f"{self.path}: {problems[0]}{more}: the stored record cannot be read; "
                f"'sclerotui db check {self.path}' lists the problems"
            ) from None

    def _one(self, kind: str, record_id: str) -> Therapy | Trial | Case | None:
        table = {"therapy": "therapies", "trial": "trials", "case": "cases"}[kind]
        row = self.conn.execute(f"SELECT data FROM {table} WHERE id = ?", [record_id]).fetchone()
        return self.model(kind, record_id, row[0]) if row else None

    def therapy(self, therapy_id: str) -> Therapy | None:
        return self._one("therapy", therapy_id)

    def therapy_records(self) -> list[Therapy]:
        """Every therapy as a model (importers match names and aliases against them)."""
        rows = self.conn.execute(
            "SELECT id, data FROM therapies ORDER BY class, name COLLATE NOCASE"
        )
        return [self.model("therapy", therapy_id, data) for therapy_id, data in rows]

    def trial(self, trial_id: str) -> Trial | None:
        return self._one("trial", trial_id)

    def case(self, case_id: str) -> Case | None:
        return self._one("case", case_id)

    def record(self, kind: str, record_id: str) -> Therapy | Trial | Case | None:
        return {"therapy": self.therapy, "trial": self.trial, "case": self.case}[kind](record_id)

    def origin_of(self, kind: str, record_id: str) -> Origin | None:
        table = {"therapy": "therapies", "trial": "trials", "case": "cases"}[kind]
        row = self.conn.execute(
            f"SELECT origin, imported_at FROM {table} WHERE id = ?", [record_id]
        ).fetchone()
        if row is None:
            return None
        origin_kind, where = describe_origin(row[0])
        overrides = origin_kind == "import" and self._is_curated(kind, record_id)
        return Origin(where, row[1], origin_kind, overrides)

    def _is_curated(self, kind: str, record_id: str) -> bool:
        if not self.has_curated:
            return False  # an older database opened read-only: it does not know
        found = self.conn.execute(
            "SELECT 1 FROM curated WHERE kind = ? AND id = ?", [kind, record_id]
        ).fetchone()
        return found is not None

    def curated_overridden(self) -> set[tuple[str, str]]:
        """(kind, id) of the user's records that stand in for curated ones (imported with
        --replace over them, or held before the curated data brought that id)."""
        if not self.has_curated:
            return set()
        # From the curated list (small) to each record by its key, never over all cases.
        sql = " UNION ALL ".join(
            f"SELECT c.kind, c.id FROM curated c CROSS JOIN {table} r ON r.id = c.id "
            f"WHERE c.kind = '{kind}' AND r.origin != ?"
            for kind, table in (("therapy", "therapies"), ("trial", "trials"), ("case", "cases"))
        )
        return {(row[0], row[1]) for row in self.conn.execute(sql, [BUNDLED] * 3)}

    @cached_property
    def has_pathway_steps(self) -> bool:
        """Schema 8 keeps every case's pathway nodes; an older database opened read-only
        has none, and its pathways are walked from record_therapies."""
        return self.has_table("pathway_steps")

    @cached_property
    def has_notes(self) -> bool:
        """Schema 7 keeps the user's notes; an older database opened read-only has none."""
        return self.has_table("user_notes")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    @cached_property
    def has_curated(self) -> bool:
        """Schema 6 lists the curated ids; an older database opened read-only does not."""
        found = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'curated'"
        ).fetchone()
        return found is not None

    def sources(self, ids: Iterable[str]) -> list[Source]:
        from sclerotui.models import Source

        ids = list(dict.fromkeys(ids))
        found = {}
        for chunk in _chunks(ids, 500):  # well under SQLite's parameter limit
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT id, kind, ref, citation, verified FROM sources WHERE id IN ({marks})",
                chunk,
            )
            for row in rows:
                found[row[0]] = Source(
                    id=row[0], kind=row[1], ref=row[2], citation=row[3], verified=bool(row[4])
                )
        return [found[i] for i in ids if i in found]

    def events(self, kind: str, record_id: str, as_written: bool = False) -> list[TimelineEvent]:
        """A case's or trial's events in time order, or (`as_written`) in the order they
        were written, as `all_records` lists them."""

        column = {"case": "case_id", "trial": "trial_id"}[kind]
        order = "seq" if as_written else "coalesce(week, 0), date, seq"
        rows = self.conn.execute(
            f"SELECT {self._event_columns} FROM events WHERE {column} = ? ORDER BY {order}",
            [record_id],
        )
        return [self.event_from_row(row) for row in rows]

    @cached_property
    def _event_columns(self) -> str:
        """What an event is read from: its columns (schema 9), or the JSON copy an older
        database opened read-only keeps."""
        if "data" in self.columns("events"):
            return "data"
        from sclerotui.rows import COLUMNS

        return ", ".join(f'"{column}"' for column in COLUMNS["events"])

    def event_from_row(self, row: tuple) -> TimelineEvent:
        """The event of a row read with `_event_columns` (raises pydantic's ValidationError
        for a row that is no valid event)."""
        from sclerotui.models import TimelineEvent

        if len(row) == 1:
            return TimelineEvent.model_validate_json(row[0])
        from sclerotui.rows import event_fields

        return TimelineEvent.model_validate(event_fields(row))

    def scan_events(self) -> Iterator[tuple[str, tuple]]:
        """(id, row) of every event by id, the row for `event_from_row`: for `db check`,
        which validates each event itself and names the ones that fail."""
        for row in self.conn.execute(f"SELECT id, {self._event_columns} FROM events ORDER BY id"):
            yield row[0], row[1:]

    def therapy_words(self) -> list[tuple[str, str, list[str]]]:
        """Every therapy's (id, name, aliases), from columns: for reading typed words."""
        rows = self.conn.execute("SELECT id, name, aliases FROM therapies ORDER BY id")
        return [(therapy_id, name, json.loads(aliases)) for therapy_id, name, aliases in rows]

    def all_records(self) -> Dataset:
        """Everything in the database as one Dataset (for checks; an export reads it a
        record at a time: `each`)."""
        from sclerotui.models import Dataset

        return Dataset(
            sources=list(self.each("source")),
            therapies=list(self.each("therapy")),
            trials=list(self.each("trial")),
            cases=list(self.each("case")),
            events=list(self.each("event")),
        )

    def each(self, kind: str) -> Iterator[Source | Therapy | Trial | Case | TimelineEvent]:
        """Every record of a kind, one at a time, in the order `all_records` lists them:
        sources, therapies, trials and cases by id, events as written."""
        if kind == "source":
            ids = [row[0] for row in self.conn.execute("SELECT id FROM sources ORDER BY id")]
            for chunk in _chunks(ids, 500):
                yield from self.sources(chunk)
            return
        if kind == "event":  # from their columns, or an older file's JSON copy
            for row in self.conn.execute(f"SELECT {self._event_columns} FROM events ORDER BY seq"):
                yield self.event_from_row(row)
            return
        table = {"therapy": "therapies", "trial": "trials", "case": "cases"}[kind]
        for record_id, data in self.conn.execute(f"SELECT id, data FROM {table} ORDER BY id"):
            yield self.model(kind, record_id, data)

    def integrity_problems(self) -> list[str]:
        rows = [row[0] for row in self.conn.execute("PRAGMA integrity_check")]
        problems = [] if rows == ["ok"] else [f"integrity_check: {row}" for row in rows]
        problems += [
            f"foreign key: {row[0]} row {row[1]} points to a missing {row[2]}"
            for row in self.conn.execute("PRAGMA foreign_key_check")
        ]
        return problems

    def known_ids(self) -> KnownIds:
        """Ids that records being imported may refer to."""
        from sclerotui.models import KnownIds

        column = lambda sql: {row[0] for row in self.conn.execute(sql)}  # noqa: E731
        arms = set()
        for trial_id, data in self.conn.execute("SELECT id, data FROM trials"):
            arms |= {(trial_id, arm["id"]) for arm in json.loads(data).get("arms", [])}
        return KnownIds(
            sources=column("SELECT id FROM sources"),
            therapies=column("SELECT id FROM therapies"),
            cases=column("SELECT id FROM cases"),
            arms=arms,
        )

    def titles(self, limit: int = 5000) -> list[tuple[str, str, str]]:
        """(kind, id, title) of therapies, trials and cases, for jump-to-anything."""
        sql = """SELECT 'therapy', id, name FROM therapies UNION ALL
                 SELECT 'trial', id, name FROM trials UNION ALL
                 SELECT 'case', id, title FROM cases LIMIT ?"""
        return list(self.conn.execute(sql, [limit]))

    def context_therapy(self, kind: str, record_id: str) -> str | None:
        """The therapy a record is listed under by default: itself, or its first."""
        if kind == "therapy":
            return record_id
        return (self.therapies_of([(kind, record_id)]).get((kind, record_id)) or [None])[0]

    def therapies_of(self, records: list[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
        """Each trial's and case's therapies in step order, for many records in one query per
        kind (not a query per record)."""
        found: dict[tuple[str, str], list[str]] = {}
        for kind in ("trial", "case"):
            ids = [rid for of_kind, rid in records if of_kind == kind]
            for chunk in _chunks(ids, 500):  # well under SQLite's parameter limit
                rows = self.conn.execute(
                    f"SELECT record_id, therapy_id FROM record_therapies "
                    f"WHERE kind = ? AND record_id IN ({','.join('?' * len(chunk))}) "
                    f"ORDER BY record_id, coalesce(step, 0), rowid",
                    [kind, *chunk],
                )
                for rid, therapy_id in rows:
                    found.setdefault((kind, rid), []).append(therapy_id)
        return found

    def change_marker(self) -> tuple[int, int] | None:
        """A value that changes when the database does: another connection's commit changes
        data_version, this one's total_changes. None if it cannot be read just now."""
        try:
            version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:
            return None
        return version, self.conn.total_changes


class DuplicateError(StoreError):
    def __init__(self, message: str, clashes: list[str]):
        super().__init__(message)
        self.clashes = clashes


# -- helpers -------------------------------------------------------------------------------


def _looks_like_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError as error:
        raise StoreError(f"cannot read {path}: {error.strerror}") from None


def _header_size(path: Path) -> int:
    """The file size the SQLite header promises (0 when the header does not say)."""
    with open(path, "rb") as handle:
        header = handle.read(100)
    if len(header) < 100:
        return 0
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count is only valid when the change counter matches "version-valid-for".
    if header[24:28] != header[92:96]:
        return 0
    return page_size * pages


def describe_database_error(path: Path, error: sqlite3.Error, checking: bool = False) -> StoreError:
    """One message a user can act on, for an error SQLite raised on this file (`checking`:
    raised under `db check`, which must not suggest running itself)."""
    text = str(error)
    if "locked" in text or "busy" in text:
        return BusyError(
            f"{path} is busy: another program is writing to it (waited "
            f"{BUSY_TIMEOUT_MS // 1000} s); nothing was changed; try again in a moment"
        )
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        hint = "" if checking else f"; 'sclerotui db check {path}' lists the problems"
        return DamagedError(f"{path} is damaged ({text}); restore it from a backup{hint}")
    if "disk is full" in text or "disk I/O" in text:
        return StoreError(f"cannot use {path}: {text}; nothing was changed")
    if "readonly" in text:
        return ReadOnlyError(f"cannot write to {path}: it is read-only ({text})")
    return StoreError(f"{path} cannot be read as a database: {text}")


def _unwritable_reason(path: Path) -> str | None:
    if not os.access(path, os.W_OK):
        return "the file is not writable"
    if not os.access(path.parent, os.W_OK):
        return "its directory is not writable"
    return None


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
