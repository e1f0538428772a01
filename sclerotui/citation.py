"""Citations a clinician can paste: the record's sources in a Vancouver-like style.

A source's stored citation text is a research record: bibliographic facts, identifiers, and
notes for the curators in brackets (``[SLS-II: …; PMID and DOI not verified]``, ``[V2]``) or
in parentheses (``(authors not given in the fact sheet)``). A pasted citation carries the
facts and the identifiers, never the notes. Nothing is completed from memory: a source
without authors or journal is cited with what it has. Pure functions, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sclerotui.text import one_line

# Notes for curators: anything in square brackets, and parentheses or sentences that talk
# about how a fact was checked rather than state one.
_BRACKETED = re.compile(r"\[[^\[\]]*\]")
_SPACE_BEFORE_STOP = re.compile(r"\s+(?=[.,;:](?:\s|$))")
_NOTE_WORDS = re.compile(
    r"fact sheet|not (?:given|verified|recorded|reported)|unverified|\bverified\b|mirror|"
    r"third[- ]party|\bread via\b|\bseen on\b",
    re.IGNORECASE,
)
_PARENTHESIS = re.compile(r"\(([^()]*)\)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")

# Identifiers written in the text. A DOI runs to the next space; trailing punctuation of the
# sentence is not part of it.
_PMID = re.compile(r"\bPMID:?\s*([0-9]{1,9})\b", re.IGNORECASE)
_DOI = re.compile(r"\b(?:doi:\s*|https?://(?:dx\.)?doi\.org/)(10\.[0-9]{4,9}/\S+)", re.IGNORECASE)
_NCT = re.compile(r"\bNCT[0-9]{8}\b")
_TRAILING = ".,;:"

NOT_VERIFIED = "(not verified)"
NO_DETAILS = "(no citation details recorded)"


@dataclass(frozen=True)
class CitedSource:
    """What a citation needs of a source (models.Source has these fields)."""

    kind: str  # nct, pmid, doi, seed, citation
    ref: str | None
    citation: str
    verified: bool


def _kind(source) -> str:
    kind = source.kind
    return getattr(kind, "value", kind)


def strip_notes(text: str) -> str:
    """The citation text without curators' notes: bracketed notes, then parentheses and
    sentences about verification or where a fact was read."""

    def parenthesis(match: re.Match) -> str:
        return " " if _NOTE_WORDS.search(match.group(1)) else match.group(0)

    previous = None
    while previous != text:  # nested brackets go from the inside out
        previous, text = text, _BRACKETED.sub(" ", text)
    text = _PARENTHESIS.sub(parenthesis, text)
    text = _SPACE_BEFORE_STOP.sub("", " ".join(text.split()))  # "2640 [V2]." → "2640."
    sentences = []
    for sentence in _SENTENCE_END.split(text):
        # "; " parts a clause ("doi:… [V]; PMID … verified via …"); "2016;4(9)" stays whole.
        clauses = sentence.split("; ")
        kept = [clause for clause in clauses if not _NOTE_WORDS.search(clause)]
        if kept == clauses:
            sentences.append(sentence)
        elif kept:
            sentences.append(_finish("; ".join(kept)))
    return " ".join(" ".join(sentences).split())


def _identifiers(text: str) -> tuple[str, list[tuple[str, str]]]:
    """(the bibliographic part, [(kind, identifier)]) of note-free text: the identifiers end
    the bibliographic part, and anything after them is theirs (a clause of the note kind was
    removed already)."""
    found: list[tuple[int, str, str]] = []
    for kind, pattern in (("doi", _DOI), ("pmid", _PMID), ("nct", _NCT)):
        for match in pattern.finditer(text):
            value = match.group(1) if match.groups() else match.group(0)
            found.append((match.start(), kind, value.rstrip(_TRAILING)))
    if not found:
        return text, []
    head = text[: min(start for start, _, _ in found)]
    return head, [(kind, value) for _, kind, value in sorted(found)]


def _finish(text: str) -> str:
    """A sentence ends with a full stop (not a comma or semicolon left by a cut)."""
    text = text.strip().rstrip(",;:").strip()
    if text and text[-1] not in ".!?":
        text += "."
    return text


def _identifier_text(kind: str, value: str) -> str:
    if kind == "doi":
        return f"doi:{value}"
    if kind == "pmid":
        return f"PMID: {value}"
    return f"ClinicalTrials.gov: {value}"


def reference(source) -> str:
    """One source as a reference: authors, title, journal, year as the data gives them, then
    its identifiers (doi, PMID, registry). An unverified source is marked so."""
    kind = _kind(source)
    if kind == "nct" and source.ref:
        text = _identifier_text("nct", source.ref) + "."
        return text if source.verified else f"{text} {NOT_VERIFIED}"
    head, identifiers = _identifiers(strip_notes(source.citation))
    if source.ref and kind in ("pmid", "doi"):
        identifiers.append((kind, source.ref))
    unique: dict[tuple[str, str], str] = {}  # a DOI is the same in any letter case
    for found_kind, value in identifiers:
        unique.setdefault((found_kind, value.lower()), value)
    order = ("doi", "pmid", "nct")
    parts = [_finish(head)] if head.strip(" .,;:") else []
    for (found_kind, _), value in sorted(unique.items(), key=lambda i: order.index(i[0][0])):
        parts.append(_identifier_text(found_kind, value) + ".")
    text = one_line(" ".join(parts))
    if not text:
        text = NO_DETAILS  # the text was all notes
    return text if source.verified else f"{text} {NOT_VERIFIED}"


def record_citation(title: str, sources: Sequence) -> str:
    """What `y` copies: the record's title with its registry ids, then its publications, one
    a line (numbered when there are several)."""
    registry = [s for s in sources if _kind(s) == "nct" and s.ref]
    others = [s for s in sources if not (_kind(s) == "nct" and s.ref)]
    first = _finish(one_line(title))
    if registry:
        first += " " + " ".join(reference(s) for s in _unique(registry))
    lines = [first]
    references = list(dict.fromkeys(reference(s) for s in others))
    # A source with nothing citable (a review named only as the fact sheet names it) adds
    # nothing a colleague could look up: it is counted, not listed.
    bare = sum(1 for text in references if text.startswith(NO_DETAILS))
    references = [text for text in references if not text.startswith(NO_DETAILS)]
    if len(references) == 1:
        lines.append(references[0])
    else:
        lines += [f"{number}. {text}" for number, text in enumerate(references, 1)]
    if bare:
        lines.append(f"(and {bare} source{'s' if bare > 1 else ''} without citation details)")
    return "\n".join(lines)


def _unique(sources: Iterable) -> list:
    seen: set[str] = set()
    kept = []
    for source in sources:
        if source.ref not in seen:
            seen.add(source.ref)
            kept.append(source)
    return kept
