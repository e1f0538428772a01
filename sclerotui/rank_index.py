"""The ranking lists: each common term's best records by bm25, and a proof of the top hits.

FTS5's `bm25(search_index, 8.0, 1.0)` scores a record as the sum, over the phrases of the
query, of idf(phrase) x impact(phrase, record), where the impact grows with the phrase's
weighted count in the record and falls with the record's length. Ranking every match of a
common word therefore means scoring half the index. `rank_terms` holds, for each term in
more than LISTED_FROM records, its first DEPTH records in FTS5's own order for that term
alone (score, then rowid), their scores as FTS5 gave them, and the first record left out
(the bound: no record outside the list scores better for that term). A query's top hits are
then proven from the lists (see `prove`): the records in the lists are scored exactly, a
record in none of them can score at most the sum of the bounds, and when the k-th best
scored record beats every bound the top k are the exact ones. When the proof fails, the
caller ranks every match with FTS5.

The lists are derived from the search index alone and rebuilt after every write to it.
`rank_state` keeps the FTS5 index's own structure and averages records as they were when the
lists were built: FTS5 rewrites the structure record on every write, so lists whose state
differs from the index's are stale and ignored (never used for a ranking).

Pure functions and SQL text: the schema and the store run them; no connection, no Textual.
"""

from __future__ import annotations

import heapq
import math
import re
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from sclerotui.ranking import BODY_WEIGHT, K1, TITLE_WEIGHT, B

DEPTH = 2000  # records listed per term
LISTED_FROM = 500  # a term in at most this many records is ranked by FTS5 at query time

CREATE = """
CREATE TABLE IF NOT EXISTS rank_terms (
    term TEXT PRIMARY KEY,
    docs INTEGER NOT NULL,
    bound REAL,
    bound_doc INTEGER,
    listed BLOB NOT NULL,
    scores BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS rank_state (
    structure BLOB, averages BLOB, depth INTEGER, listed_from INTEGER
)
"""
# FTS5's records of the index's segments and of its row and token counts (see rank_state).
INDEX_STATE = "SELECT id, block FROM search_index_data WHERE id IN (1, 10) ORDER BY id"
TERM_RANKED = f"""SELECT rowid, bm25(search_index, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS score
    FROM search_index WHERE search_index MATCH ? ORDER BY score, rowid LIMIT ?"""
INSERT = "INSERT INTO rank_terms VALUES (?, ?, ?, ?, ?, ?)"


def quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def pack(rows: list[tuple[int, float]]) -> tuple[bytes, bytes]:
    return array("q", [r for r, _ in rows]).tobytes(), array("d", [s for _, s in rows]).tobytes()


def unpack(listed: bytes, scores: bytes) -> dict[int, float]:
    docs, values = array("q"), array("d")
    docs.frombytes(listed)
    values.frombytes(scores)
    return dict(zip(docs, values, strict=True))


def varints(blob: bytes) -> list[int]:
    """SQLite's variable-length integers, as FTS5 writes its records."""
    values, at = [], 0
    while at < len(blob):
        value = 0
        for i in range(9):
            byte = blob[at]
            at += 1
            if i == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        values.append(value)
    return values


@dataclass(frozen=True)
class Totals:
    """The index's row count and total token count (FTS5's averages record)."""

    rows: int
    tokens: int

    @classmethod
    def of(cls, averages: bytes) -> Totals:
        rows, *columns = varints(averages)
        return cls(rows, sum(columns))

    @property
    def average(self) -> float:
        return float(self.tokens) / float(self.rows)


def idf(docs: int, rows: int) -> float:
    """FTS5's idf, floored as it floors it."""
    value = math.log((rows - docs + 0.5) / (docs + 0.5))
    return value if value > 0.0 else 1e-6


def contribution(weight: float, frequency: float, length: int, average: float) -> float:
    """One phrase's part of a record's bm25 (positive), with FTS5's operations in its order."""
    return weight * ((frequency * (K1 + 1.0)) / (frequency + K1 * (1 - B + B * length / average)))


def frequency(title_hits: int, body_hits: int) -> float:
    return TITLE_WEIGHT * title_hits + BODY_WEIGHT * body_hits


def ascii_hits(title: str, body: str, terms: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Each term's hits in a lower-cased ASCII title and body: in ASCII text FTS5's
    unicode61 tokenizer takes each run of letters and digits as a token, folded to lower
    case (anything else separates tokens)."""
    finder = _finder(tuple(sorted(terms)))
    counts = {term: [0, 0] for term in terms}
    for column, text in enumerate((title, body)):
        for token in finder(text):
            counts[token][column] += 1
    return {term: (title_hits, body_hits) for term, (title_hits, body_hits) in counts.items()}


@lru_cache(maxsize=64)
def _finder(terms: tuple[str, ...]) -> Callable[[str], list[str]]:
    """Finds the terms as whole ASCII tokens (a term that is not ASCII is never found)."""
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(f"(?<![a-z0-9])(?:{alternatives or '(?!)'})(?![a-z0-9])").findall


def sizes(blob: bytes) -> int:
    """A record's length in tokens from FTS5's docsize record (every column's)."""
    return sum(varints(blob))


@dataclass
class TermList:
    """One term's records and their scores for it alone (positive: higher is better).
    `bound` is None when every record holding the term is listed; otherwise no record left
    out scores more than it for this term."""

    term: str
    scores: dict[int, float]
    bound: float | None
    docs: int


@dataclass
class Proof:
    """What `prove` ranked: the top records by (score, rowid), best first, or None if the
    lists could not prove them; how many records it resolved; how many of the first ranked
    are proven in place (at least the k asked for; those after are the best the lists
    scored, in exact order among themselves, but a record not scored might come between)."""

    ranked: list[tuple[int, float]] | None
    resolved: int
    proven: int = 0


def prove(
    groups: list[list[TermList]],
    k: int,
    resolve: Callable[[list[int], list[TermList]], dict[int, dict[str, float]]],
    check: Callable[[list[int]], set[int]] | None,
    budget: int = 2000,
    wanted: int = 0,
) -> Proof:
    """The exact top k (rowid, score) of the records matching every group (a group: any of
    its terms), scored as FTS5's bm25 sums its phrases, or ranked=None when not proven.

    `resolve(rowids, terms)` gives the exact scores of those records for those terms (none
    for a term a record lacks); `check(rowids)` gives those of them that match the query and
    pass its filters (None: every record holding a term of each group does). Records are
    taken best bound first; at most `budget` are resolved before giving up."""
    terms = [term for group in groups for term in group]
    # A record in no list holds only terms whose lists are cut: each group needs one.
    if all(any(term.bound is not None for term in group) for group in groups):
        unseen = sum(term.bound or 0.0 for term in terms)
    else:
        unseen = -math.inf
    known: dict[int, dict[str, float]] = {}
    for term in terms:
        for rowid, score in term.scores.items():
            known.setdefault(rowid, {})[term.term] = score
    cut = [term for term in terms if term.bound is not None]
    upper: dict[int, float] = {}
    for rowid, parts in known.items():
        if _may_match(parts, groups):
            total = _total(parts, terms)
            upper[rowid] = total + sum(t.bound or 0.0 for t in cut if t.term not in parts)
    order = sorted(upper, key=lambda rowid: (-upper[rowid], rowid))
    if unseen > -math.inf and sum(1 for r in order[:k] if upper[r] > unseen) < k:
        return Proof(None, 0)  # no k records can beat a record in no list: give up now
    best: list[tuple[float, int]] = []  # the top k so far, as (score, -rowid): a min-heap
    at, spent, size = 0, 0, max(k, 100)
    while at < len(order):
        if len(best) == k and upper[order[at]] < best[0][0]:
            break  # no record left, listed or not, can reach the k-th score
        batch = order[at : at + size]
        at += len(batch)
        size *= 2
        unresolved = [r for r in batch if any(t.term not in known[r] for t in cut)]
        spent += len(unresolved)
        if spent > budget:
            return Proof(None, spent)
        if unresolved:
            scored = resolve(unresolved, list({t.term: t for t in cut}.values()))
            for rowid in unresolved:
                parts = known[rowid]
                for term in cut:
                    parts.setdefault(term.term, scored.get(rowid, {}).get(term.term, 0.0))
        entries = [(_total(known[r], terms), -r) for r in batch if _holds_all(known[r], groups)]
        if len(best) == k:  # (checking only those that would enter the top k)
            entries = [entry for entry in entries if entry > best[0]]
        if check is not None and entries:
            passing = check([-negated for _, negated in entries])
            entries = [entry for entry in entries if -entry[1] in passing]
        for entry in entries:
            if len(best) < k:
                heapq.heappush(best, entry)
            elif entry > best[0]:
                heapq.heapreplace(best, entry)
    if len(best) == k and not unseen < best[0][0]:
        return Proof(None, spent)  # a record in no list might score as well
    if len(best) < k and unseen > -math.inf:
        return Proof(None, spent)  # fewer than k listed: others may match
    ranked = sorted(best, reverse=True)
    rest = max(unseen, upper[order[at]] if at < len(order) else -math.inf)
    if wanted > len(ranked):
        chosen = {-negated for _, negated in ranked}
        scored = sorted(
            (
                (_total(known[r], terms), -r)
                for r in known
                if r not in chosen
                and all(t.term in known[r] for t in cut)
                and _holds_all(known[r], groups)
            ),
            reverse=True,
        )
        for start in range(0, len(scored), 2 * wanted):
            chunk = scored[start : start + 2 * wanted]
            if check is not None:
                passing = check([-negated for _, negated in chunk])
                chunk = [entry for entry in chunk if -entry[1] in passing]
            ranked += chunk[: wanted - len(ranked)]
            if len(ranked) == wanted:
                break
    proven = next((n for n, (score, _) in enumerate(ranked) if not score > rest), len(ranked))
    return Proof([(-negated, score) for score, negated in ranked], spent, proven)


def _may_match(parts: dict[str, float], groups: list[list[TermList]]) -> bool:
    """Whether a record may hold a term of every group: it holds one, or one is cut short."""
    return all(
        any(term.term in parts or term.bound is not None for term in group) for group in groups
    )


def _holds_all(parts: dict[str, float], groups: list[list[TermList]]) -> bool:
    return all(any(parts.get(term.term, 0.0) > 0.0 for term in group) for group in groups)


def _total(parts: dict[str, float], terms: Iterable[TermList]) -> float:
    """The parts summed in the query's phrase order, as FTS5 sums them."""
    total = 0.0
    for term in terms:
        total += parts.get(term.term, 0.0)
    return total
