"""The search query language, parsed into a Query and translated into safe FTS5.

Words are prefix-matched, "quoted phrases" match in order, -word excludes, and field:value
filters narrow by facet. User text never reaches MATCH raw: every word is re-quoted, so no
input can be read by FTS5 as an operator. Pure functions, no database access.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sclerotui.facets import FACETS, FIELD_NAMES, Criteria

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
# Markers that wrap matched words in snippets; stripped from indexed text so data cannot fake them.
MARK_START = "\ue000"
MARK_END = "\ue001"


class SearchError(ValueError):
    """The query cannot be searched for; the message says why, for the user."""


@dataclass(frozen=True)
class Query:
    text: str
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    criteria: Criteria = field(default_factory=Criteria)

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.phrases or self.excluded or self.criteria)


TOKEN_RE = re.compile(r'(-?)(?:(\w[\w-]*):)?(?:"([^"]*)"?|(\S+))')


def _has_token_chars(text: str) -> bool:
    """FTS5's unicode61 tokenizer only indexes letters and digits."""
    return any(ch.isalnum() for ch in text)


def _resolve_field(name: str, value: str, where: str) -> tuple[str, str]:
    name = FIELD_NAMES.get(name.lower(), name.lower())
    value = value.strip().lower()
    if not value:
        raise SearchError(f"cannot search for {where!r}: {name}: needs a value")
    if FACETS[name].values is None:
        return name, value  # resolved against the data (a therapy's names) by the search
    choices = FACETS[name].words
    starts = {v for k, v in choices.items() if k.startswith(value)}
    if value not in choices and len(starts) == 1:
        return name, starts.pop()  # a unique prefix, as while typing "organ:lu"
    if value not in choices:
        known = ", ".join(sorted({v for v in choices.values()}))
        raise SearchError(f"cannot search for {where!r}: unknown {name} {value!r} (known: {known})")
    return name, choices[value]


def parse(text: str) -> Query:
    """Parse user text into a Query, or raise SearchError with a message for the user."""
    if len(text) > MAX_QUERY_CHARS:
        raise SearchError(
            f"cannot search for a query of {len(text):,} characters (at most {MAX_QUERY_CHARS:,})"
        )
    text = text.replace(MARK_START, " ").replace(MARK_END, " ")
    words: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    facets: dict[str, set[str]] = {}
    for match in TOKEN_RE.finditer(text):
        negate, name, quoted, bare = match.groups()
        raw = match.group(0)
        if name is not None and name.lower() in FIELD_NAMES:
            value = quoted if quoted is not None else (bare or "")
            if negate:
                raise SearchError(f"cannot search for {raw!r}: a field filter cannot be excluded")
            for part in value.split(","):
                key, resolved = _resolve_field(name, part, raw)
                facets.setdefault(key, set()).add(resolved)
            continue
        if bare and bare.endswith(":") and bare[:-1].lower() in FIELD_NAMES:
            raise SearchError(f"cannot search for {raw!r}: {bare[:-1]}: needs a value")
        term = quoted if quoted is not None else raw.removeprefix("-") if negate else raw
        if name is not None and quoted is None:
            term = raw.removeprefix("-")  # "word:thing" that is not a field: search the words
        if not _has_token_chars(term):
            continue  # lone operators, punctuation, emoji: nothing FTS5 could match
        if negate:
            excluded.append(term)
        elif quoted is not None or " " in term:
            phrases.append(term)
        else:
            words.append(term)
    if len(words) + len(phrases) + len(excluded) > MAX_TERMS:
        raise SearchError(
            f"cannot search for {len(words) + len(phrases) + len(excluded)} "
            f"terms at once (at most {MAX_TERMS})"
        )
    criteria = Criteria(**facets)
    query = Query(
        text=text,
        words=tuple(words),
        phrases=tuple(phrases),
        excluded=tuple(excluded),
        criteria=criteria,
    )
    if query.is_empty and text.strip():
        raise SearchError(f"cannot search for {text.strip()[:40]!r}: no letters or digits in it")
    return query


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


# Given a typed word, the index's terms that begin with it, or None when not known.
Expand = Callable[[str], "tuple[str, ...] | None"]


def word_matches(query: Query, expand: Expand | None = None) -> list[str]:
    """One FTS5 expression per typed word: any of the terms it begins.

    With the terms listed, the word is their OR (FTS5 reads those doclists in step and
    stops at a LIMIT); without, FTS5's prefix query, which merges them all first."""
    parts = []
    for word in query.words:
        terms = expand(word) if expand else None
        if terms is None:
            parts.append(_quote(word) + "*")
        elif terms:
            parts.append("(" + " OR ".join(_quote(term) for term in terms) + ")")
        else:
            parts.append(_quote(word))  # no term begins with it: matches nothing, quickly
    return parts


def phrase_matches(query: Query) -> list[str]:
    return [_quote(phrase) for phrase in query.phrases]


def positive_match(query: Query, expand: Expand | None = None) -> str | None:
    """The FTS5 MATCH expression for the words and phrases that must occur."""
    return " AND ".join(word_matches(query, expand) + phrase_matches(query)) or None


def excluded_match(query: Query) -> str | None:
    """The FTS5 MATCH expression for any excluded word (whole words, not prefixes)."""
    return " OR ".join(_quote(term) for term in query.excluded) or None


def fts_expression(query: Query, expand: Expand | None = None) -> str | None:
    positive = positive_match(query, expand)
    negative = excluded_match(query)
    if positive and negative:
        return f"({positive}) NOT ({negative})"
    return positive


def clean_for_index(text: str) -> str:
    """Text as it goes into the FTS index: without the snippet markers."""
    return text.replace(MARK_START, "").replace(MARK_END, "")


def split_snippet(snippet: str) -> list[tuple[str, bool]]:
    """Split a snippet into (text, is_match) runs, for highlighting without markup."""
    runs: list[tuple[str, bool]] = []
    for index, part in enumerate(re.split(f"[{MARK_START}{MARK_END}]", snippet)):
        if part:
            runs.append((part, index % 2 == 1))
    return runs
