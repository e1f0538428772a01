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
    phrase_matches,
    word_matches,
)
from sclerotui.store import Store

if TYPE_CHECKING:
    from sclerotui.ranking import Counted

SEARCH_RANKED = 2000  # a search ranks at most this many matches (see Search._ranked)
OPENING = 120  # characters of a record's body shown for a hit found by filters alone
SHARE_SAMPLE = 1000  # matches read to estimate how common a term is (see Search._share)
MAX_EXPANSION = 64  # a typed word that begins more terms is left to FTS5's prefix query
# Up to this many index entries for the terms, FTS5's bm25() ranks (see Search._ranked).
FTS_RANKED_ROWS = 50_000
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
        # What the last ranked search read and counted, and the database's state it was
        # read in (see _keep_while_unchanged).
        self._texts: dict[int, tuple] = {}  # its candidates by rowid
        self._counted: Counted | None = None  # their folded texts and its terms' counts
        self._shares: dict[str, float] = {}  # its terms' shares of the index
        self._kept_state: tuple[int, int] | None = None

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
        kind_clauses = []
        restricted = False  # reading each match's kind costs a row lookup: skip it if we can
        for kind in ("therapy", "trial", "case"):
            if criteria.kind and kind not in criteria.kind:
                restricted = True
                continue
            clause, clause_args = criteria_sql(kind, "search_index.record_id", criteria, None)
            restricted = restricted or bool(clause)
            kind_clauses.append(f"(search_index.kind = '{kind}' {clause})")
            args.extend(clause_args)
        if not kind_clauses:
            return []
        if restricted or not where:
            where.append("(" + " OR ".join(kind_clauses) + ")")
        where_sql = " AND ".join(where)
        if match:
            rows = self._ranked(query, expansions, match, where_sql, args, limit)
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
        where_sql: str,
        args: list,
        limit: int,
    ) -> list[tuple]:
        """The best matches among the first SEARCH_RANKED, ranked as bm25 ranks them.

        Ranking every match of a broad word on a million records would take seconds. Matches
        come in rowid order (therapies, trials, then cases as added), so only the first
        SEARCH_RANKED are ranked. FTS5's bm25() counts every record holding each term before
        it scores one: when the terms are rare that is quick, and done in SQLite, off the
        interpreter's lock. When they are common, the ranking is done in Python (see
        sclerotui.ranking) with each term's share of the index estimated from a sample."""
        from sclerotui.ranking import Term, scores, snippet, tokens

        self._keep_while_unchanged()
        top = self._top_rowid()
        words = zip(query.words, word_matches(query, expansions.get), strict=True)
        wanted = [
            Term(**_word_term(word, expansions.get(word)), share=self._share(expression, top))
            for word, expression in words
        ]
        wanted += [
            Term(phrase=tuple(tokens(phrase)), share=self._share(expression, top))
            for phrase, expression in zip(query.phrases, phrase_matches(query), strict=True)
        ]
        if sum(term.share for term in wanted) * top <= FTS_RANKED_ROWS:
            return self._ranked_by_fts(match, where_sql, args, limit)
        candidates = self._candidates(where_sql, args)
        texts = [(row[3], row[4]) for row in candidates]
        scored = scores(texts, wanted, top, [row[0] for row in candidates], self._counted)
        best = sorted(range(len(candidates)), key=lambda i: (scored[i], candidates[i][0]))[:limit]
        return [
            (
                *candidates[i][1:4],
                partial(snippet, *candidates[i][3:5], wanted, MARK_START, MARK_END),
                scored[i],
            )
            for i in best
        ]

    def _candidates(self, where_sql: str, args: list) -> list[tuple]:
        """(rowid, kind, record_id, title, body) of the first SEARCH_RANKED matches by rowid.

        The rowids come from the index, then the texts from FTS5's content table, 500 at a
        time: asked for a match's columns, FTS5 looks each row up on its own (slower; see
        docs/PERFORMANCE.md). Typing on within a word mostly matches the records the last key
        matched: their texts are kept from the last search (see _keep_while_unchanged)."""
        first = f"""FROM search_index WHERE {where_sql}
                    ORDER BY search_index.rowid LIMIT {SEARCH_RANKED}"""
        if not self.has_content_table:
            return self.store.read(
                f"""SELECT search_index.rowid, search_index.kind, search_index.record_id,
                           search_index.title, search_index.body {first}""",
                args,
            )
        rowids = [row[0] for row in self.store.read(f"SELECT search_index.rowid {first}", args)]
        kept = self._texts
        texts = {rowid: kept[rowid] for rowid in rowids if rowid in kept}
        for chunk in _chunks([rowid for rowid in rowids if rowid not in texts], 500):
            for row in self.store.read(
                f"""SELECT id, c2, c3, c0, c1 FROM search_index_content
                    WHERE id IN ({",".join("?" * len(chunk))})""",
                chunk,
            ):
                texts[row[0]] = row
        self._texts = texts  # this search's candidates only
        return [texts[rowid] for rowid in rowids if rowid in texts]

    def _keep_while_unchanged(self) -> None:
        """Drops what the last ranked search kept (texts, counts, shares) if the database
        has changed since: a kept text or count would rank and cut by the old words."""
        state = self.store.change_marker()
        if state is None or state != self._kept_state:  # (None before the first search too)
            self.drop_kept()
            self._kept_state = state

    def drop_kept(self) -> None:
        """Forgets what the last ranked search read and counted (the benchmark times a search
        without it, as after a search that matched other records)."""
        from sclerotui.ranking import Counted

        self._texts, self._counted, self._shares = {}, Counted(), {}

    @cached_property
    def has_content_table(self) -> bool:
        """Whether FTS5 keeps the index's texts in the table laid out as _candidates reads
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
        """bm25() and snippet() in SQLite, over the first SEARCH_RANKED matches."""
        from sclerotui.ranking import BODY_WEIGHT, SNIPPET_TOKENS, TITLE_WEIGHT, show_mark

        where_sql, args = self._first_ranked(where_sql, args)
        # Ties (rare after a ranking) by rowid: reading 2,000 titles would cost more.
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

    def _share(self, expression: str, top: int) -> float:
        """The fraction of the index's rowid range holding matches of an expression.

        Counted when there are fewer than SHARE_SAMPLE; otherwise estimated from the rowid
        of the SHARE_SAMPLE-th match, which reads a sample, not the whole doclist. Kept
        while the database is unchanged: a word typed on after keeps its share."""
        if expression in self._shares:
            return self._shares[expression]
        rowids = [
            row[0]
            for row in self.store.read(
                "SELECT rowid FROM search_index WHERE search_index MATCH ? ORDER BY rowid LIMIT ?",
                [expression, SHARE_SAMPLE],
            )
        ]
        share = len(rowids) / top if len(rowids) < SHARE_SAMPLE else SHARE_SAMPLE / rowids[-1]
        if len(self._shares) > 1000:  # a long session's words: start again
            self._shares.clear()
        self._shares[expression] = share
        return share

    def _top_rowid(self) -> int:
        row = self.store.first("SELECT rowid FROM search_index ORDER BY rowid DESC LIMIT 1")
        return row[0] if row else 1

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


def _word_term(word: str, terms: tuple[str, ...] | None) -> dict:
    if terms is not None:
        return {"terms": frozenset(terms)}
    from sclerotui.ranking import tokens

    parts = tokens(word)
    if len(parts) == 1:
        return {"prefix": parts[0]}
    return {"phrase": tuple(parts)}  # "t-cell*": near enough for ranking


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
