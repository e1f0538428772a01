"""Search: text and the active filters in, ranked hits out.

A `Search` reads one database through its store's door and keeps, between keys, what the
last ranked search read and counted. The explorer holds one on a connection of its own;
the command line and export make one for a single search. The query language itself is in
sclerotui.query, the filters in sclerotui.facets, the ranking in sclerotui.ranking.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING

from sclerotui.facets import FACETS, NO_CRITERIA, Criteria, criteria_sql, filter_source
from sclerotui.query import (
    MARK_END,
    MARK_START,
    Query,
    SearchError,
    clean_for_index,
    excluded_match,
    fts_expression,
    parse,
)
from sclerotui.rank_index import MAX_EXPANSION
from sclerotui.store import Store

if TYPE_CHECKING:
    from sclerotui.rank_index import GroupList, Proof, TermList, Totals

SEARCH_RANKED = 2000  # records found by filters alone, or by filters and excluded words
# The first hits proven exact (the rest of a page are the best the proof scored, in exact
# order among themselves: see rank_index.Proof); proving 100 at a million records costs
# thousands of records resolved, often past the budget (docs/performance/ranking.md).
PROVEN = 10
OPENING = 120  # characters of a record's body shown for a hit found by filters alone
CACHE_MB = 16  # the explorer's search connection's page cache (see Search.open)
RECORD_TITLES = {
    "therapy": ("therapies", "name"),
    "trial": ("trials", "name"),
    "case": ("cases", "title"),
}
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")  # NOCASE


@dataclass(frozen=True)
class Hit:
    kind: str
    id: str
    title: str
    cut: str | Callable[[], str] = field(repr=False, compare=False)  # the snippet, or its cut
    rank: float
    therapy: str | None  # the therapy to show it under in the explorer

    @cached_property
    def snippet(self) -> str:
        """Text around the matches, with query.MARK_START/MARK_END around matched words.

        Cut when first read: the hits are ranked in a worker thread, and only those on
        screen need a snippet before the results' first frame."""
        return self.cut if isinstance(self.cut, str) else self.cut()


class Search:
    """Searches one database: `hits(text, filters)` is the one way in."""

    def __init__(self, store: Store, owned: bool = False) -> None:
        """`owned`: the search opened the store and closes it (see open)."""
        self.store = store
        self.owned = owned
        # What ranked searches read, and the database's state it was read in (see
        # _keep_while_unchanged): the terms' ranking lists, whether the stored ones are current.
        self._lists: dict[str, TermList] = {}
        self._groups: dict[str, GroupList | None] = {}  # by group_key (see _group_list)
        self._resolved: dict[str, dict[int, float]] = {}  # by term, rowid (see _resolve_scores)
        self._rank_ready: bool | None = None
        self._totals: Totals | None = None
        self._kept_state: tuple[int, int] | None = None
        self.last_proof: Proof | None = None  # how the last ranked search was ranked

    @classmethod
    def open(cls, path: Path) -> Search:
        """A search with a read-only connection of its own, for the explorer: a key typed
        while it runs interrupts only the search, and its page cache holds the index."""
        return cls(Store(path, read_only=True, check=False, cache_mb=CACHE_MB), owned=True)

    @property
    def path(self) -> Path:
        return self.store.path

    def interrupt(self) -> None:
        """Stop the query running for an older text (it ends as interrupted)."""
        self.store.interrupt()

    def close(self) -> None:
        """Close the connection, stopping a search a worker may still run."""
        if self.owned:
            self.store.stop_and_close()

    # -- the way in ------------------------------------------------------------------------

    def hits(
        self, query: Query | str, filters: Criteria = NO_CRITERIA, limit: int = 50
    ) -> list[Hit]:
        """Ranked hits for the text (or its parsed query) under the active filters; raises
        SearchError with a message for the user."""
        if isinstance(query, str):
            query = parse(query)
        with self.store.lock:  # the explorer's worker and its interrupting keys share it
            criteria = self.filters(query, filters)
            if criteria.note and not self.store.has_notes:
                raise SearchError(
                    f"cannot search notes: {self.store.path} has none (schema "
                    f"{self.store.schema_version}, from an older release, opened read-only)"
                )
            try:
                with self.store.snapshot():
                    return self._search(query, criteria, limit)
            except sqlite3.OperationalError as error:
                # The parser should make this impossible; never a crash for the user.
                raise SearchError(f"cannot search for {query.text!r}: {error}") from None

    def filters(self, query: Query, filters: Criteria = NO_CRITERIA) -> Criteria:
        """The filters a search applies: those typed in the text, with the words naming
        therapies replaced by their ids, and the active ones (a facet's values from either
        are alternatives)."""
        typed = query.criteria
        for facet in FACETS.values():
            if facet.sql == "therapy" and typed.get(facet.name):
                typed = typed.with_values(facet.name, self._resolve(facet.name, typed))
        return typed.merged(filters)

    def _resolve(self, name: str, typed: Criteria) -> frozenset[str]:
        ids: set[str] = set()
        for word in typed.get(name):
            matched = self.resolve_therapy(word)
            if not matched:
                raise SearchError(f"cannot search for {name}:{word}: no therapy by that name")
            ids.update(matched)
        return frozenset(ids)

    def resolve_therapy(self, word: str) -> list[str]:
        """Therapy ids whose id, name or alias begins with a word (for `therapy:` filters)."""
        word = word.lower()
        found = []
        for therapy_id, name, aliases in self.store.read("SELECT id, name, aliases FROM therapies"):
            names = [therapy_id, name.lower(), *(a.lower() for a in json.loads(aliases))]
            if any(n == word or n.startswith(word) for n in names):
                found.append(therapy_id)
        return found

    # -- finding -------------------------------------------------------------------------

    def _search(self, query: Query, criteria: Criteria, limit: int) -> list[Hit]:
        expansions = {word: self._expand_word(word) for word in query.words}
        where: list[str] = []
        args: list = []
        match = fts_expression(query, expansions.get)
        if match:
            where.append("search_index MATCH ?")
            args.append(match)
        elif query.excluded:
            where.append(
                "search_index.rowid NOT IN "
                "(SELECT rowid FROM search_index WHERE search_index MATCH ?)"
            )
            args.append(excluded_match(query))
        # Reading each match's kind costs a row lookup: skip it if we can.
        restricted, kinds_sql, kinds_args = _filter_sql(
            criteria, "search_index.kind", "search_index.record_id"
        )
        if not kinds_sql:
            return []
        args.extend(kinds_args)
        if restricted or not where:
            where.append(kinds_sql)
        where_sql = " AND ".join(where)
        if match:
            checked = (where_sql, args) if restricted or query.excluded else None
            rows = self._ranked(query, expansions, match, checked, criteria, limit)
        elif query.excluded:
            rows = self._filtered(where_sql, args, limit)
        else:
            rows = self._by_filters(criteria, limit)
        wanted = set(criteria.therapy)
        for word in query.words:
            if len(word) >= 3:
                wanted.update(self.resolve_therapy(word))
        therapies = self.store.therapies_of([(kind, rid) for kind, rid, *_ in rows])
        return [
            Hit(kind, rid, title, snip, score, _preferred(kind, rid, therapies, wanted))
            for kind, rid, title, snip, score in rows
        ]

    def _ranked(
        self,
        query: Query,
        expansions: dict[str, tuple[str, ...] | None],
        match: str,
        checked: tuple[str, list] | None,
        criteria: Criteria,
        limit: int,
    ) -> list[tuple]:
        """The best `limit` matches, exactly as bm25 over every match ranks them.

        Ranking every match of a common word on a million records takes FTS5 a third of a
        second or more. The ranking lists (sclerotui.rank_index) hold each common term's best
        records: when they prove the top hits, those are read; when they cannot (a phrase, a
        word left to FTS5's prefix query, lists stale or absent, a filter that passes too
        few of the listed records), FTS5 ranks every match: slower, never different."""
        from sclerotui.rank_index import prove
        from sclerotui.ranking import Term

        self._keep_while_unchanged()
        words = [expansions.get(word) for word in query.words]
        self.last_proof = None
        if not query.phrases and all(terms is not None for terms in words) and self.rank_ready():
            # A record holding a term of every word matches, unless filters or excluded
            # words say otherwise.
            matching = None
            if checked is not None:
                matching = partial(self._matching, query, criteria, *checked)
            try:
                groups = [[self._term_list(term) for term in terms or ()] for terms in words]
                caps = [self._group_list(group) for group in groups]
            except (ValueError, TypeError):  # a list damaged by hand: rank every match
                self._rank_ready = False
            else:
                proof = prove(
                    groups,
                    min(limit, PROVEN),
                    self._resolve_scores,
                    matching,
                    wanted=limit,
                    caps=caps,
                )
                self.last_proof = proof
                if proof.ranked is not None:
                    wanted = [Term(terms=frozenset(terms or ())) for terms in words]
                    ranked = proof.ranked
                    if len(ranked) < limit:
                        ranked = self._filled(
                            proof, checked or ("search_index MATCH ?", [match]), limit
                        )
                    return self._proven_rows(ranked, wanted)
        where_sql, args = checked or ("search_index MATCH ?", [match])
        return self._ranked_by_fts(match, where_sql, args, limit)

    def _filled(self, proof: Proof, checked: tuple[str, list], limit: int) -> list:
        """The proven records, then up to `limit` in all of the others that match, by
        score: those the proof scored, and others FTS5 finds first (a page is full while
        records match, though only the proven ones are sure to be the best)."""
        from sclerotui.ranking import BODY_WEIGHT, TITLE_WEIGHT

        assert proof.ranked is not None
        where_sql, args = checked
        ranked = proof.ranked
        marks = ",".join("?" * len(ranked))
        more = self.store.read(
            f"""SELECT search_index.rowid, -bm25(search_index, {TITLE_WEIGHT}, {BODY_WEIGHT})
                FROM search_index WHERE {where_sql} AND search_index.rowid NOT IN ({marks})
                LIMIT ?""",
            [*args, *(rowid for rowid, _ in ranked), limit - len(ranked)],
        )
        rest = sorted([*ranked[proof.proven :], *more], key=lambda row: (-row[1], row[0]))
        return [*ranked[: proof.proven], *rest][:limit]

    def rank_ready(self) -> bool:
        """Whether the ranking lists are there and were built from the index as it is now
        (see rank_index: FTS5 rewrites its structure record on every write)."""
        if self._rank_ready is None:
            from sclerotui.rank_index import DEPTH, INDEX_STATE, LISTED_FROM, Totals

            ready = False
            if self.store.has_table("rank_state") and self.store.has_table("search_index_docsize"):
                state = self.store.first(
                    "SELECT structure, averages, depth, listed_from FROM rank_state"
                )
                now = dict(self.store.read(INDEX_STATE))
                if now.get(1) and state == (now.get(10), now[1], DEPTH, LISTED_FROM):
                    self._totals = Totals.of(now[1])
                    ready = self._totals.rows > 0
            self._rank_ready = ready
        return self._rank_ready

    def _term_list(self, term: str) -> TermList:
        """A term's ranking list: stored for a common term, else every record holding it,
        ranked by FTS5 now (a term in few records is quick to rank)."""
        from sclerotui.rank_index import TermList, quoted, unpack
        from sclerotui.ranking import BODY_WEIGHT, TITLE_WEIGHT

        if term in self._lists:
            return self._lists[term]
        row = self.store.first(
            "SELECT docs, bound, listed, scores FROM rank_terms WHERE term = ?", [term]
        )
        if row is not None:
            found = TermList(term, unpack(row[2], row[3]), row[1], row[0])
        else:
            scored = {
                rowid: -score
                for rowid, score in self.store.read(
                    f"""SELECT rowid, bm25(search_index, {TITLE_WEIGHT}, {BODY_WEIGHT})
                        FROM search_index WHERE search_index MATCH ?""",
                    [quoted(term)],
                )
            }
            found = TermList(term, scored, None, len(scored))
        if len(self._lists) > 500:  # a long session's words: start again
            self._lists.clear()
        self._lists[term] = found
        return found

    def _group_list(self, group: list[TermList]) -> GroupList | None:
        """The stored list of a typed word's cut terms together (see rank_index.GroupList),
        or None: fewer than two are cut, or the lists were built before groups were."""
        from sclerotui.rank_index import GroupList, group_key, unpack

        cut = frozenset(term.term for term in group if term.bound is not None)
        if len(cut) < 2:
            return None
        key = group_key(cut)
        if key not in self._groups:
            row = self.store.first(
                "SELECT bound, listed, scores FROM rank_terms WHERE term = ?", [key]
            )
            found = None if row is None else GroupList(cut, unpack(row[1], row[2]), row[0])
            if len(self._groups) > 500:  # a long session's words: start again
                self._groups.clear()
            self._groups[key] = found
        return self._groups[key]

    def _resolve_scores(self, rowids: list[int], terms: list[TermList]) -> dict:
        """The exact bm25 parts of these records for these terms: kept from an earlier key
        (typing on within a word resolves the same records for the same common term), or
        resolved now (see _resolved_now)."""
        kept = self._resolved
        if sum(len(parts) for parts in kept.values()) > 200_000:  # a long session: start again
            kept.clear()
        scored: dict[int, dict[str, float]] = {}
        missing = {
            term.term: [rowid for rowid in rowids if rowid not in kept.setdefault(term.term, {})]
            for term in terms
        }
        asked = sorted({rowid for found in missing.values() for rowid in found})
        if asked:  # (each record's text read once for every term it lacks)
            fresh = self._resolved_now(asked, [term for term in terms if missing[term.term]])
            for name, found in missing.items():
                for rowid in found:
                    kept[name][rowid] = fresh.get(rowid, {}).get(name, 0.0)
        for term in terms:
            known = kept[term.term]
            for rowid in rowids:
                if known[rowid]:
                    scored.setdefault(rowid, {})[term.term] = known[rowid]
        return scored

    def _resolved_now(self, rowids: list[int], terms: list[TermList]) -> dict:
        """The exact bm25 parts of these records for these (common) terms, as FTS5 computes
        them: the record's length from FTS5's docsize records, the index's totals from its
        averages record, each term's hits per column counted in the record's text (see
        rank_index.ascii_hits), or by FTS5's highlight() where the text is not ASCII."""
        from sclerotui.rank_index import ascii_hits, contribution, frequency, idf, sizes

        assert self._totals is not None  # (rank_ready read them)
        lengths: dict[int, int] = {}
        texts: dict[int, tuple[str, str]] = {}
        for chunk in _chunks(rowids, 500):
            marks = ",".join("?" * len(chunk))
            lengths.update(
                (rowid, sizes(blob))
                for rowid, blob in self.store.read(
                    f"SELECT id, sz FROM search_index_docsize WHERE id IN ({marks})", chunk
                )
            )
            texts.update(
                (row[0], (row[1], row[2])) for row in self.store.read(self._texts_sql(marks), chunk)
            )
        rows, average = self._totals.rows, self._totals.average
        weights = {term.term: idf(term.docs, rows) for term in terms}
        hits: dict[int, dict[str, tuple[int, int]]] = {}
        other = []
        for rowid, (title, body) in texts.items():
            if title.isascii() and body.isascii():
                hits[rowid] = ascii_hits(title.lower(), body.lower(), weights)
            else:
                other.append(rowid)
        for chunk in _chunks(other, 500):
            for term in terms:
                hits_of = self._highlighted_hits(term.term, chunk)
                for rowid in chunk:
                    hits.setdefault(rowid, {})[term.term] = hits_of.get(rowid, (0, 0))
        return {
            rowid: {
                term: contribution(weights[term], frequency(*counted), lengths[rowid], average)
                for term, counted in found.items()
                if counted != (0, 0)
            }
            for rowid, found in hits.items()
            if rowid in lengths
        }

    def _texts_sql(self, marks: str) -> str:
        """(rowid, title, body) of the records whose rowids fill the marks."""
        if self.has_content_table:
            return f"SELECT id, c0, c1 FROM search_index_content WHERE id IN ({marks})"
        return f"SELECT rowid, title, body FROM search_index WHERE rowid IN ({marks})"

    def _highlighted_hits(self, term: str, rowids: list[int]) -> dict[int, tuple[int, int]]:
        """A term's hits in the title and the body of each record, counted by FTS5."""
        from sclerotui.rank_index import quoted

        marks = ",".join("?" * len(rowids))
        found = {}
        for rowid, title, marked_title, body, marked_body in self.store.read(
            f"""SELECT rowid, title, highlight(search_index, 0, char(57344), ''),
                       body, highlight(search_index, 1, char(57344), '')
                FROM search_index WHERE search_index MATCH ? AND rowid IN ({marks})""",
            [quoted(term), *rowids],
        ):
            # Marks added, less any the text held (one character each: none overlap).
            found[rowid] = (
                marked_title.count(MARK_START) - title.count(MARK_START),
                marked_body.count(MARK_START) - body.count(MARK_START),
            )
        return found

    def _matching(
        self, query: Query, criteria: Criteria, where_sql: str, args: list, rowids: list[int]
    ) -> set[int]:
        """Those of the records (each holding a term of every word) that match the query and
        pass its filters. Without excluded words only the filters are checked, on FTS5's
        content table: FTS5 asked for a match by rowid seeks each term's entries again."""
        marks = ",".join("?" * len(rowids))
        if not query.excluded and self.has_content_table:
            _, filters_sql, filters_args = _filter_sql(criteria, "c.c2", "c.c3")
            sql = f"SELECT c.id FROM search_index_content c WHERE {filters_sql} AND c.id IN"
            return {row[0] for row in self.store.read(f"{sql} ({marks})", [*filters_args, *rowids])}
        return {
            row[0]
            for row in self.store.read(
                f"""SELECT search_index.rowid FROM search_index
                    WHERE {where_sql} AND search_index.rowid IN ({marks})""",
                [*args, *rowids],
            )
        }

    def _proven_rows(self, ranked: list[tuple[int, float]], wanted: list) -> list[tuple]:
        """(kind, record_id, title, snippet cut, bm25) of the ranked records, in order."""
        from sclerotui.ranking import snippet

        texts: dict[int, tuple] = {}
        for chunk in _chunks([rowid for rowid, _ in ranked], 500):
            marks = ",".join("?" * len(chunk))
            if self.has_content_table:
                sql = f"SELECT id, c2, c3, c0, c1 FROM search_index_content WHERE id IN ({marks})"
            else:
                sql = f"""SELECT rowid, kind, record_id, title, body FROM search_index
                          WHERE rowid IN ({marks})"""
            texts.update((row[0], row) for row in self.store.read(sql, chunk))
        return [
            (
                *texts[rowid][1:4],
                partial(snippet, *texts[rowid][3:5], wanted, MARK_START, MARK_END),
                -score,
            )
            for rowid, score in ranked
            if rowid in texts
        ]

    def _keep_while_unchanged(self) -> None:
        """Drops what the last ranked search kept (term lists, whether the ranking lists are
        current) if the database has changed since: a kept list would rank by old scores."""
        state = self.store.change_marker()
        if state is None or state != self._kept_state:  # (None before the first search too)
            self.drop_kept()
            self._kept_state = state

    def drop_kept(self) -> None:
        """Forgets the term lists read and whether the ranking lists are current (the
        benchmark times a search without them, as after a search for other words)."""
        self._lists = {}
        self._groups = {}
        self._resolved = {}
        self._rank_ready = None

    @cached_property
    def has_content_table(self) -> bool:
        """Whether FTS5 keeps the index's texts in the table laid out as _proven_rows reads
        it: columns c0-c3 holding the index's columns (title, body, kind, record_id)."""
        from sclerotui.rows import COLUMNS

        fts = self.store.columns("search_index")
        content = self.store.columns("search_index_content")
        return fts == list(COLUMNS["search_index"]) and content == ["id", "c0", "c1", "c2", "c3"]

    @cached_property
    def has_search_terms(self) -> bool:
        """Schema 4 lists the index's terms; an older database opened read-only does not."""
        return self.store.has_table("search_terms")

    def _ranked_by_fts(self, match: str, where_sql: str, args: list, limit: int) -> list[tuple]:
        """bm25() and snippet() in SQLite, over every match: the exact ranking."""
        from sclerotui.ranking import BODY_WEIGHT, SNIPPET_TOKENS, TITLE_WEIGHT, show_mark

        # Ties by rowid, as the ranking lists order them.
        rows = self.store.read(
            f"""SELECT search_index.kind, search_index.record_id, search_index.title,
                       snippet(search_index, -1, char(57344), char(57345), '…', {SNIPPET_TOKENS}),
                       bm25(search_index, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS score,
                       search_index.body
                FROM search_index WHERE {where_sql}
                ORDER BY score, search_index.rowid LIMIT ?""",
            [*args, limit],
        )
        # A cut that shows a figure keeps the figure's "(unverified)" (from the same text).
        return [(*row[:3], show_mark(row[3], row[5], MARK_START, MARK_END), row[4]) for row in rows]

    def _expand_word(self, word: str) -> tuple[str, ...] | None:
        """The index's terms that begin with a typed word, or None to let FTS5 find them."""
        if not (word.isascii() and word.isalnum()) or not self.has_search_terms:
            return None
        low = word.lower()
        terms = tuple(
            row[0]
            for row in self.store.read(
                "SELECT term FROM search_terms WHERE term >= ? AND term < ? ORDER BY term LIMIT ?",
                [low, low + "\U0010ffff", MAX_EXPANSION + 1],
            )
        )
        return None if len(terms) > MAX_EXPANSION else terms

    def _first_ranked(self, where_sql: str, args: list) -> tuple[str, list]:
        """The condition narrowed to the first SEARCH_RANKED matches in rowid order (the
        scan for the cut stops there, where ordering all matches would read every one)."""
        cut = self.store.first(
            f"SELECT search_index.rowid FROM search_index WHERE {where_sql} "
            f"ORDER BY search_index.rowid LIMIT 1 OFFSET {SEARCH_RANKED - 1}",
            args,
        )
        if cut is None:
            return where_sql, args
        return f"{where_sql} AND search_index.rowid <= ?", [*args, cut[0]]

    def _by_filters(self, criteria: Criteria, limit: int) -> list[tuple]:
        """Records that pass the filters alone (no words), by title: the first SEARCH_RANKED
        of each kind, found from the facet index (scanning the search index for them would
        read every record's text on the way)."""
        chosen: list[tuple] = []
        for kind, (table, title) in RECORD_TITLES.items():
            clause, clause_args = criteria_sql(kind, "d.record_id", criteria, None)
            if (criteria.kind and kind not in criteria.kind) or "AND 0" in clause:
                continue
            source, source_args, facet = filter_source(kind, criteria, table)
            if facet is not None:  # the source holds only records with it: no check per record
                clause, clause_args = criteria_sql(kind, "d.record_id", criteria, facet)
            # Ordered as the search index's titles (markers removed) in SQLite, each kind's
            # first `limit`; the kinds are merged below.
            chosen += self.store.read(
                f"""SELECT '{kind}', r.id, r.{title} FROM {table} r WHERE r.id IN (
                      SELECT DISTINCT d.record_id FROM ({source}) d WHERE 1 {clause}
                      LIMIT {SEARCH_RANKED})
                    ORDER BY replace(replace(r.{title}, char(57344), ''), char(57345), '')
                      COLLATE NOCASE LIMIT ?""",
                [*source_args, *clause_args, limit],
            )
        chosen.sort(key=lambda row: clean_for_index(row[2]).translate(ASCII_LOWER))
        return self._with_openings(chosen[:limit])

    def _with_openings(self, chosen: list[tuple]) -> list[tuple]:
        """(kind, id, title, the opening of the body it is searched by, 0) of each record.

        A case's body opens with its narrative: read from its JSON by SQLite, which is
        cheaper than building the case's model. A narrative shorter than the opening is
        followed by the rest of the body: built from the model."""
        from sclerotui.rows import index_text

        cases = [record_id for kind, record_id, _ in chosen if kind == "case"]
        narratives: dict[str, str] = {}
        for chunk in _chunks(cases, 500):
            narratives.update(
                self.store.read(
                    f"""SELECT id, json_extract(data, '$.narrative') FROM cases
                        WHERE id IN ({",".join("?" * len(chunk))})""",
                    chunk,
                )
            )
        rows = []
        for kind, record_id, title in chosen:
            narrative = narratives.get(record_id) if kind == "case" else None
            opening = clean_for_index(narrative or "")[:OPENING]
            if len(opening) == OPENING:
                rows.append((kind, record_id, clean_for_index(title), opening, 0))
                continue
            record = self.store.record(kind, record_id)
            if record is not None:
                title, body = index_text(kind, record)
                rows.append((kind, record_id, title, body[:OPENING], 0))
        return rows

    def _filtered(self, where_sql: str, args: list, limit: int) -> list[tuple]:
        """Records that pass a filter and lack excluded words, by title (no words to rank
        them by): only the search index knows which records hold a word."""
        where_sql, args = self._first_ranked(where_sql, args)
        return self.store.read(
            f"""SELECT search_index.kind, search_index.record_id, search_index.title,
                       substr(search_index.body, 1, {OPENING}), 0
                FROM search_index WHERE {where_sql}
                ORDER BY search_index.title COLLATE NOCASE LIMIT ?""",
            [*args, limit],
        )


def _filter_sql(criteria: Criteria, kind_column: str, id_column: str) -> tuple[bool, str, list]:
    """Whether the filters restrict records at all, and the SQL that holds a record (by its
    kind and id columns) to them ("" when no kind can pass)."""
    clauses, args = [], []
    restricted = False
    for kind in ("therapy", "trial", "case"):
        if criteria.kind and kind not in criteria.kind:
            restricted = True
            continue
        clause, clause_args = criteria_sql(kind, id_column, criteria, None)
        restricted = restricted or bool(clause)
        clauses.append(f"({kind_column} = '{kind}' {clause})")
        args.extend(clause_args)
    return restricted, "(" + " OR ".join(clauses) + ")" if clauses else "", args


def _preferred(
    kind: str, record_id: str, therapies: dict[tuple[str, str], list[str]], wanted: set[str]
) -> str | None:
    """Which therapy to show a hit under: itself, a filtered-for one, or its first."""
    if kind == "therapy":
        return record_id
    steps = therapies.get((kind, record_id), [])
    preferred = [t for t in steps if t in wanted]
    return (preferred or steps or [None])[0]


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
