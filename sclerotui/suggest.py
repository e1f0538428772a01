"""Words a clinician types, read as the filters they name.

`cyclophosphamide failed lung` is three words to full-text search, and no record holds all
three. Read with the vocabularies the query language already knows, it is
`therapy:cyclophosphamide response:resistant organ:lung`. The app offers that reading for
the user to accept or ignore; plain words are never rewritten behind their back. Pure
functions, no database: the caller passes the therapies' names and aliases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sclerotui.facets import FACET_LIST, FACETS
from sclerotui.query import TOKEN_RE, SearchError, parse

# The facets a plain word can name, as facets.py declares them (Facet.plain).
FIELDS = tuple(facet.name for facet in FACET_LIST if facet.plain)
LONGEST = 5  # words in the longest name looked for

# Words of the vocabularies too common in ordinary text to read as a filter on their own.
AMBIGUOUS = frozenset(
    {"other", "unknown", "not reported", "not tested", "negative", "response", "stable", "function"}
)
# Linking words dropped from a reading when they stand between recognised words
# ("cyclophosphamide failed with diffuse lung disease"): as full-text words they would
# demand that every record contain "with". A word after an organ ("lung disease") goes too.
LINKING = frozenset(
    {"with", "and", "after", "despite", "on", "of", "in", "the", "a", "an", "to", "for", "who"}
)
ORGAN_TAILS = frozenset({"disease", "involvement"})
# Inflections a clinician types that the vocabularies lack.
EXTRA = {
    "response": {
        "failing": "resistant",
        "fail": "resistant",
        "fails": "resistant",
        "failure": "resistant",
        "nonresponder": "resistant",
        "unresponsive": "resistant",
        "resistance": "resistant",
        "intolerance": "intolerant",
        "responders": "responded",
    },
    "organ": {"lungs": "lung", "kidneys": "renal", "ulcers": "vascular"},
}
_EDGE_PUNCTUATION = ".,;!?()"


@dataclass(frozen=True)
class Term:
    """Words of the text read as one filter."""

    words: str
    field: str
    value: str

    @property
    def filter(self) -> str:
        return f"{self.field}:{self.value}"


@dataclass(frozen=True)
class Reading:
    """The text with recognised words replaced by filters (`text`), and what was read."""

    text: str
    terms: tuple[Term, ...]


def vocabulary(
    therapies: Iterable[tuple[str, str, Iterable[str]]], vocabularies: dict | None = None
) -> dict[str, tuple[str, str]]:
    """{lower-case words: (field, value)} from the query language's aliases, the app's
    vocabularies (their multi-word aliases, e.g. "interstitial lung disease") and the
    therapies (id, name, aliases). Therapies win a clash: a drug's name is meant as one. A
    word two values of the vocabularies claim names neither (so the facets' order is no
    choice between them)."""
    claims: dict[str, set[tuple[str, str]]] = {}
    for field in FIELDS:
        facet = FACETS[field]
        if facet.values is None:
            continue  # free words (therapies: from the arguments)
        named = [
            (alias, entry["id"])
            for entry in (vocabularies or {}).get(facet.vocabulary, [])
            for alias in [entry.get("id", ""), *entry.get("aliases", [])]
        ]
        named += [*facet.words.items(), *EXTRA.get(field, {}).items()]
        for alias, value in named:
            claims.setdefault(alias.lower(), set()).add((field, value))
    words = {word: next(iter(named)) for word, named in claims.items() if len(named) == 1}
    for ambiguous in AMBIGUOUS:
        words.pop(ambiguous, None)
    for therapy_id, name, aliases in therapies:
        for alias in [therapy_id, name, *aliases]:
            if alias.strip():
                words[" ".join(alias.lower().split())] = ("therapy", therapy_id)
    return words


def _bare(word: str) -> str:
    return word.strip(_EDGE_PUNCTUATION).lower()


def read_as(text: str, words: dict[str, tuple[str, str]]) -> Reading | None:
    """The reading of `text` with filters for the words `words` knows, or None when it has
    none (or the reading could not be searched). Quoted phrases, exclusions and typed
    field:value filters are kept as they are; so are words not recognised."""
    tokens = [
        (match.group(0), not match.group(1) and match.group(2) is None and match.group(3) is None)
        for match in TOKEN_RE.finditer(text)
    ]
    out: list[tuple[str, Term | None]] = []  # (text, the term it stands for)
    index = 0
    while index < len(tokens):
        token, plain = tokens[index]
        found = None
        if plain:
            for length in range(min(LONGEST, len(tokens) - index), 0, -1):
                span = tokens[index : index + length]
                if not all(is_plain for _, is_plain in span):
                    continue
                phrase = " ".join(_bare(word) for word, _ in span)
                if phrase in words:
                    field, value = words[phrase]
                    found = (length, Term(" ".join(word for word, _ in span), field, value))
                    break
        if found is None:
            out.append((token, None))
            index += 1
            continue
        length, term = found
        index += length
        if term.field == "organ" and index < len(tokens):
            tail, tail_plain = tokens[index]
            if tail_plain and _bare(tail) in ORGAN_TAILS:
                index += 1
        out.append((term.filter, term))
    terms = tuple(term for _, term in out if term is not None)
    if not terms:
        return None
    # Values of one field are alternatives in the query language: written as one filter,
    # where the first of them stood, the reading shows that ("therapy:rituximab,tocilizumab").
    values: dict[str, list[str]] = {}
    for term in terms:
        if term.value not in values.setdefault(term.field, []):
            values[term.field].append(term.value)
    kept: list[str] = []
    for position, (token, term) in enumerate(out):
        if term is None:
            if not (_bare(token) in LINKING and _between_terms(out, position)):
                kept.append(token)
        elif term.field in values:
            kept.append(f"{term.field}:{','.join(values.pop(term.field))}")
    reading = Reading(" ".join(kept), _merged(terms))
    try:
        parse(reading.text)
    except SearchError:
        return None
    return reading


def _between_terms(out: list[tuple[str, Term | None]], position: int) -> bool:
    """A linking word with a recognised word somewhere on each side."""
    before = any(term is not None for _, term in out[:position])
    after = any(term is not None for _, term in out[position + 1 :])
    return before and after


def _merged(terms: tuple[Term, ...]) -> tuple[Term, ...]:
    """One term per filter (typing "ild lung" reads organ:lung once)."""
    seen: dict[str, Term] = {}
    for term in terms:
        seen.setdefault(term.filter, term)
    return tuple(seen.values())
