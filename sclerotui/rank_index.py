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

A typed word that begins several terms is an OR group: its part of a record's score is the
sum of its terms' parts, and for a record in no list the proof could only bound that by the
sum of its cut terms' bounds, far above any record's real part when the terms are all common.
So for each set of cut terms that a typed prefix expands to (two or more), `rank_terms` also
holds the group's own list under `group_key` (the terms joined by spaces, which no term holds):
its first DEPTH records by the sum of those terms' parts, in FTS5's order for the terms ORed,
and the first record left out as its bound (see `GroupList`).

The lists are derived from the search index alone and rebuilt after every write to it.
`rank_state` keeps the FTS5 index's own structure and averages records as they were when the
lists were built: FTS5 rewrites the structure record on every write, so lists whose state
differs from the index's are stale and ignored (never used for a ranking).

Pure functions and SQL text: the schema and the store run them; no connection, no Textual.
"""

from __future__ import annotations

import bisect
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
BATCH = 100  # records resolved at first, doubled each round
MAX_EXPANSION = 64  # a typed word that begins more terms is left to FTS5's prefix query

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
# A group's sum as FTS5 adds it may differ from the proof's (another order) in the last bits.
SLACK = 1e-9
TERM_RANKED = f"""SELECT rowid, bm25(search_index, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS score
    FROM search_index WHERE search_index MATCH ? ORDER BY score, rowid LIMIT ?"""
INSERT = "INSERT INTO rank_terms VALUES (?, ?, ?, ?, ?, ?)"


def quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def group_key(terms: Iterable[str]) -> str:
    """The key of a group's list in rank_terms: FTS5's unicode61 tokens hold no space."""
    return " ".join(sorted(terms))


def group_match(terms: Iterable[str]) -> str:
    return " OR ".join(quoted(term) for term in sorted(terms))


def grouped(terms: list[str], cut: set[str], most: int) -> set[tuple[str, ...]]:
    """The sets of two or more cut terms that a typed word expands to: `terms` sorted, each
    ASCII letters-and-digits prefix of a cut term that begins at most `most` terms (a word
    that begins more is left to FTS5's prefix query: see Search._expand_word)."""
    found: set[tuple[str, ...]] = set()
    seen: set[str] = set()
    for term in sorted(cut):
        for end in range(1, len(term) + 1):
            prefix = term[:end]
            if prefix in seen or not (prefix.isascii() and prefix.isalnum()):
                continue
            seen.add(prefix)
            low = bisect.bisect_left(terms, prefix)
            high = bisect.bisect_left(terms, prefix + "\U0010ffff")
            if high - low <= most:
                chosen = tuple(t for t in terms[low:high] if t in cut)
                if len(chosen) >= 2:
                    found.add(chosen)
    return found


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
class GroupList:
    """The records scoring most for a group of cut terms together (the sum of their parts,
    positive, as FTS5 summed them), and `bound`: no record left out scores more than it for
    the group (None: every record holding one of the terms is listed)."""

    terms: frozenset[str]
    scores: dict[int, float]
    bound: float | None

    def cap(self, rowid: int | None = None) -> float:
        """The most a record's parts for the group's terms can add up to (None: a record
        in no list)."""
        score = self.bound or 0.0
        if rowid is not None:
            score = self.scores.get(rowid, score)
        return score * (1.0 + SLACK)


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
    caps: list[GroupList | None] | None = None,
) -> Proof:
    """The exact top k (rowid, score) of the records matching every group (a group: any of
    its terms), scored as FTS5's bm25 sums its phrases, or ranked=None when not proven.

    `resolve(rowids, terms)` gives the exact scores of those records for those terms (none
    for a term a record lacks); `check(rowids)` gives those of them that match the query and
    pass its filters (None: every record holding a term of each group does). Records are
    taken best bound first; at most `budget` are resolved before giving up.

    `caps[i]`, where given, is the list of group i's cut terms together (see GroupList): a
    record it leaves out scores at most its bound for them, often far less than the sum of
    their own bounds."""
    caps = [
        cap
        if cap is not None and cap.terms == {t.term for t in group if t.bound is not None}
        else None
        for group, cap in zip(groups, caps or [None] * len(groups), strict=True)
    ]
    terms = [term for group in groups for term in group]
    cut_terms = list({t.term: t for t in terms if t.bound is not None}.values())
    unseen = _unseen(groups, caps)
    known = _known(groups, caps, unseen)
    upper = _uppers(known, groups, caps)
    order = sorted(upper, key=lambda rowid: (-upper[rowid], rowid))
    if unseen > -math.inf and sum(1 for r in order[:k] if upper[r] > unseen) < k:
        return Proof(None, 0)  # no k records can beat a record in no list: give up now

    def resolved(batch: list[int]) -> int:
        """Resolves the batch's records for the cut terms; returns how many it resolved."""
        unresolved = [r for r in batch if any(t.term not in known[r] for t in cut_terms)]
        if unresolved:
            scored = resolve(unresolved, cut_terms)
            for rowid in unresolved:
                parts = known[rowid]
                for term in cut_terms:
                    parts.setdefault(term.term, scored.get(rowid, {}).get(term.term, 0.0))
        return len(unresolved)

    best: list[tuple[float, int]] = []  # the top k so far, as (score, -rowid): a min-heap
    at, spent, size = 0, 0, max(k, BATCH)
    while at < len(order):
        if len(best) == k and upper[order[at]] < best[0][0]:
            break  # no record left, listed or not, can reach the k-th score
        batch = order[at : at + size]
        if len(best) == k:  # (only those that can still reach the k-th score)
            batch = batch[: bisect.bisect_left(batch, True, key=lambda r: upper[r] < best[0][0])]
        at += len(batch)
        size *= 2
        if spent + sum(1 for r in batch if any(t.term not in known[r] for t in cut_terms)) > budget:
            return Proof(None, spent)
        spent += resolved(batch)
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
        ranked += _tail(ranked, order, at, wanted, known, groups, check, resolved, budget)
    proven = next((n for n, (score, _) in enumerate(ranked) if not score > rest), len(ranked))
    return Proof([(-negated, score) for score, negated in ranked], spent, proven)


def _known(
    groups: list[list[TermList]], caps: list[GroupList | None], unseen: float
) -> dict[int, dict[str, float]]:
    """The listed records that may rank, and their parts known from the lists. A record
    listed only for cut terms of groups that have a group's list, and in none of those,
    scores at most what a record in no list can (`unseen`): it is left out, as they are."""
    known: dict[int, dict[str, float]] = {}
    skipped: list[TermList] = []
    for group, cap in zip(groups, caps, strict=True):
        for term in group:
            if cap is not None and term.bound is not None and unseen > -math.inf:
                skipped.append(term)
                continue
            for rowid, score in term.scores.items():
                known.setdefault(rowid, {})[term.term] = score
        for rowid in cap.scores if cap is not None else ():
            known.setdefault(rowid, {})
    for term in skipped:
        for rowid, score in term.scores.items():
            if rowid in known:
                known[rowid][term.term] = score
    return known


def _unseen(groups: list[list[TermList]], caps: list[GroupList | None]) -> float:
    """The most a record in no list can score: each group's cut terms' bounds, or its
    list's bound (-inf: such a record cannot match)."""
    # A record in no list holds only terms whose lists are cut: each group needs one.
    if not all(any(term.bound is not None for term in group) for group in groups):
        return -math.inf
    if not any(caps):
        return sum(term.bound or 0.0 for group in groups for term in group)
    if any(cap is not None and cap.bound is None for cap in caps):
        return -math.inf  # every record holding one of a group's cut terms is listed
    return sum(
        sum(term.bound or 0.0 for term in group) if cap is None else cap.cap()
        for group, cap in zip(groups, caps, strict=True)
    ) * (1.0 + SLACK)


def _uppers(
    known: dict[int, dict[str, float]],
    groups: list[list[TermList]],
    caps: list[GroupList | None],
) -> dict[int, float]:
    """The most each listed record that may match can score: its known parts, plus for each
    group the bounds of its cut terms not known for it, or the group's cap if lower. Summed
    in another order than FTS5's, so raised by SLACK: a bound may be high, never low."""
    where: dict[str, list[tuple[int, float | None]]] = {}
    for at, group in enumerate(groups):
        for term in group:
            where.setdefault(term.term, []).append((at, term.bound))
    cut_sums = [sum(t.bound or 0.0 for t in group) for group in groups]
    # A record may hold an unlisted term of a group with a cut term; else it must hold one.
    may_hold = [any(t.bound is not None for t in group) for group in groups]
    upper: dict[int, float] = {}
    for rowid, parts in known.items():
        part = [0.0] * len(groups)
        cut_part = [0.0] * len(groups)
        bounds_known = [0.0] * len(groups)
        held = list(may_hold)
        for name, score in parts.items():
            for at, bound in where.get(name, ()):
                part[at] += score
                held[at] = True
                if bound is not None:
                    cut_part[at] += score
                    bounds_known[at] += bound
        if not all(held):
            continue
        total = 0.0
        for at, cap in enumerate(caps):
            missing = max(0.0, cut_sums[at] - bounds_known[at])
            most = part[at] + missing
            if cap is not None and missing > 0.0:
                most = min(most, part[at] - cut_part[at] + cap.cap(rowid))
            total += most
        upper[rowid] = total * (1.0 + SLACK)
    return upper


def _tail(
    ranked: list[tuple[float, int]],
    order: list[int],
    at: int,
    wanted: int,
    known: dict[int, dict[str, float]],
    groups: list[list[TermList]],
    check: Callable[[list[int]], set[int]] | None,
    resolved: Callable[[list[int]], int],
    budget: int,
) -> list[tuple[float, int]]:
    """The best scored records after the ranked ones, up to `wanted` in all, in exact order
    among themselves (a record not resolved might come between): while too few of those
    scored match, more listed records are resolved, best bound first."""
    terms = [term for group in groups for term in group]
    chosen = {-negated for _, negated in ranked}
    done = set(order[:at])
    spent = 0
    passed: dict[int, bool] = {}  # what check said, by rowid
    while True:
        scored = sorted(
            (
                (_total(known[r], terms), -r)
                for r in done
                if r not in chosen and _holds_all(known[r], groups)
            ),
            reverse=True,
        )
        tail: list[tuple[float, int]] = []
        for start in range(0, len(scored), 2 * wanted):
            chunk = scored[start : start + 2 * wanted]
            if check is not None:
                asked = [-negated for _, negated in chunk if -negated not in passed]
                passing = check(asked) if asked else set()
                passed.update((rowid, rowid in passing) for rowid in asked)
                chunk = [entry for entry in chunk if passed[-entry[1]]]
            tail += chunk[: wanted - len(ranked) - len(tail)]
            if len(ranked) + len(tail) == wanted:
                return tail
        if at >= len(order) or spent > budget:
            return tail
        batch = order[at : at + 2 * wanted]
        at += len(batch)
        spent += resolved(batch)
        done.update(batch)


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
