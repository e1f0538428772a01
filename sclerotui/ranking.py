"""Words as FTS5's index holds them, bm25's constants, and snippets cut in Python.

bm25 is FTS5's, with the same constants and column weights (see sclerotui.rank_index for
how the top hits are proven without scoring every match). Snippets are cut here from text
already read: a second query for them cost as much as the ranking. Pure functions, no
database access.
"""

from __future__ import annotations

import os
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property

K1 = 1.2  # FTS5's bm25 constants
B = 0.75
TITLE_WEIGHT = 8.0
BODY_WEIGHT = 1.0
TOKEN_RE = re.compile(r"[^\W_]+")  # letters and digits, as FTS5's unicode61 splits text
SENTENCE_END_RE = re.compile(r"[.!?;\n]")


def fold(text: str) -> str:
    """Lower case without diacritics (as 'unicode61 remove_diacritics 2' indexes text)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tokens(text: str) -> list[str]:
    return TOKEN_RE.findall(fold(text))


TOKEN_CHAR = r"[^\W_]"
NOT_TOKEN = r"[\W_]+"


@dataclass(frozen=True)
class Term:
    """One thing the query asks for: a typed word (any of its index terms, or any token
    with its prefix when the terms are not listed) or a phrase (tokens in order)."""

    terms: frozenset[str] = frozenset()
    prefix: str | None = None
    phrase: tuple[str, ...] = ()

    def positions(self, words: list[str]) -> list[tuple[int, int]]:
        """Where a text's folded tokens hold this term: (first token, token after it)."""
        if self.phrase:
            size = len(self.phrase)
            return [
                (at, at + size)
                for at in range(len(words) - size + 1)
                if tuple(words[at : at + size]) == self.phrase
            ]
        if self.prefix is not None:
            return [(at, at + 1) for at, word in enumerate(words) if word.startswith(self.prefix)]
        return [(at, at + 1) for at, word in enumerate(words) if word in self.terms]

    @cached_property
    def letters(self) -> str:
        """Letters every occurrence of the term holds (folded), for a quick substring test."""
        if self.phrase:
            return self.phrase[0]
        if self.prefix is not None:
            return self.prefix
        return os.path.commonprefix(sorted(self.terms))

    @cached_property
    def pattern(self) -> re.Pattern:
        """Finds the term in folded text as whole tokens (a prefix: at a token's start).

        Each alternative begins with the term's letters and checks the character before them
        only after they match, so the regex engine skips ahead to the letters: a look-behind
        in front made counting ten times slower."""
        if self.phrase:
            first, *rest = self.phrase
            body = NOT_TOKEN.join([_starting(first), *(re.escape(token) for token in rest)])
        elif self.prefix is not None:
            body = _starting(self.prefix) + TOKEN_CHAR + "*"
        else:
            body = "(?:" + "|".join(_starting(t) for t in sorted(self.terms) or ["\uffff"]) + ")"
        return re.compile(f"{body}(?!{TOKEN_CHAR})", re.DOTALL)


def _starting(letters: str) -> str:
    """The letters, where no token character comes just before them."""
    return f"{re.escape(letters)}(?<!{TOKEN_CHAR}.{{{len(letters)}}})"


SNIPPET_TOKENS = 12


def snippet(
    title: str,
    body: str,
    wanted: list[Term],
    start: str,
    end: str,
) -> str:
    """A window of SNIPPET_TOKENS tokens around the matches, each match between start and
    end marks, '…' where the window cuts the text: as FTS5's snippet() gives it, from text
    already read (a second query for the snippets cost as much as the ranking)."""
    best: tuple[int, str] | None = None
    for text in (title, body):
        folded = fold(text)
        if not any(term.pattern.search(folded) for term in wanted):
            continue
        found = _best_window(text, folded, wanted, start, end)
        if found is not None and (best is None or found[0] > best[0]):
            best = found
    if best is not None:
        return best[1]
    return _window(body or title, {}, 0, start, end, _spans(body or title))


def _spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in TOKEN_RE.finditer(text)]


def _best_window(
    text: str, folded: str, wanted: list[Term], start: str, end: str
) -> tuple[int, str] | None:
    if text.isascii():  # folding kept every character in place: split the folded text
        found = list(TOKEN_RE.finditer(folded))
        spans = [m.span() for m in found]
        words = [m.group() for m in found]
    else:
        spans = _spans(text)
        words = [fold(text[a:b]) for a, b in spans]
    hits: list[tuple[int, int, int]] = []  # (first token, token after, which term)
    for number, term in enumerate(wanted):
        hits += [(first, after, number) for first, after in term.positions(words)]
    if not hits:
        return None
    sentences = _sentence_starts(text, spans)
    positions = sorted(p for p, _, _ in hits)
    best_score, best_first = -1, 0
    for first in _window_starts(len(spans), positions, sentences):
        inside = [n for p, _, n in hits if first <= p < first + SNIPPET_TOKENS]
        # Most different terms, then most matches, then (as FTS5) the start of a sentence.
        score = 1000 * len(set(inside)) + 10 * len(inside) + sentences.get(first, 0)
        if score > best_score:
            best_score, best_first = score, first
    marked = {first: after for first, after, _ in sorted(hits)}  # the longest run wins
    return best_score, _window(text, marked, best_first, start, end, spans)


def _sentence_starts(text: str, spans: list) -> dict[int, int]:
    """The tokens that start a sentence, with FTS5's bonus for starting a window there: the
    text's first token, and each token after a stop (found once per text, not per window)."""
    if not spans:
        return {}
    starts = [a for a, _ in spans]
    found = {bisect_right(starts, mark.start()): 3 for mark in SENTENCE_END_RE.finditer(text)}
    found.pop(len(spans), None)  # a stop after the last token starts nothing
    found[0] = 5
    return found


def _window_starts(count: int, positions: list[int], sentences: dict[int, int]) -> list[int]:
    """Where a window may start: a little before each match, or at a sentence start that
    keeps it in the window."""
    limit = max(0, count - SNIPPET_TOKENS)
    starts = {0}
    for at in positions:
        starts.add(max(0, min(at - SNIPPET_TOKENS // 4, limit)))
        low, high = max(0, at - SNIPPET_TOKENS + 1), min(at, limit)
        starts.update(first for first in sentences if low <= first <= high)
    return sorted(starts)


def _window(
    text: str, marked: dict[int, int], first: int, start: str, end: str, spans: list
) -> str:
    """Tokens first.. of text, from the first token's start; marked maps a match's first
    token to the token after it (a phrase is marked as one run)."""
    if not spans:
        return text[:120]
    last = _through_mark(text, spans, min(first + SNIPPET_TOKENS, len(spans)))
    pieces = ["…" if first > 0 else ""]
    cursor = spans[first][0]
    closing_at = -1
    for at in range(first, last):
        a, b = spans[at]
        pieces.append(text[cursor:a])
        if at in marked and closing_at < at:
            pieces.append(start)
            closing_at = min(marked[at], last) - 1
        pieces.append(text[a:b])
        if at == closing_at:
            pieces.append(end)
        cursor = b
    if last < len(spans) and text[cursor : spans[last][0]].lstrip().startswith(")"):
        pieces.append(")")  # the mark's closing bracket
    pieces.append("…" if last < len(spans) else text[cursor:].rstrip())
    return "".join(pieces)


MARK_REACH = 8  # tokens past a window's end where a figure's "(unverified)" may still stand
CLAUSE_BREAK_RE = re.compile(r"[;:!?]|[.,](?=\s)")  # a decimal point is no stop


def show_mark(cut: str, text: str, start: str, end: str) -> str:
    """A snippet made elsewhere (FTS5's snippet()) from `text`, carried on through the
    "(unverified)" of a figure it shows, as `_window` carries its own."""
    if not cut.endswith("…"):
        return cut
    shown = cut[:-1].replace(start, "").replace(end, "")
    tail = shown[-40:].lstrip("…")
    at = text.find(tail) if tail else -1
    if at < 0:
        return cut
    after = at + len(tail)
    spans = _spans(text)
    last = bisect_right([a for a, _ in spans], after - 1)
    moved = _through_mark(text, spans, last)
    if moved == last:
        return cut
    rest = text[after : spans[moved - 1][1]]
    following = text[spans[moved - 1][1] : spans[moved][0] if moved < len(spans) else None]
    if following.lstrip().startswith(")"):
        rest += ")"
    return cut[:-1] + rest + ("…" if moved < len(spans) else "")


def _through_mark(text: str, spans: list, last: int) -> int:
    """Where a window ends, moved on to take in the "unverified" that marks a figure it shows:
    a snippet that cuts "+2.14 (unverified)" after 2.14 would pass the figure off as checked."""
    tail = range(max(0, last - 3), last)
    if not any(any(c.isdigit() for c in text[a:b]) for a, b in (spans[i] for i in tail)):
        return last
    for at in range(last, min(last + MARK_REACH, len(spans))):
        a, b = spans[at]
        if CLAUSE_BREAK_RE.search(text[spans[at - 1][1] : a]):
            return last  # the clause ended: a mark further on is another figure's
        if text[a:b].lower() == "unverified":
            return at + 1
    return last
