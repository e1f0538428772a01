"""The pathways table: every node each case reaches, written with the case.

`pathway_steps` holds one row per (starting therapy, path, case): the starting therapy's own
row (path "") for every case that failed it, then one row per node the case's walk reaches.
It is derived from `record_therapies` (and the case's facets), never edited by hand: the
store writes a case's rows in the same transaction that writes the case, deletes them with
it (by their keys, computed from the case as stored: no index by case), and schema 8 fills
it from the existing cases. Aggregating a therapy's tree is then one
range scan, where the recursive walk over `record_therapies` took seconds at a million cases.

Pure functions and SQL text: the store (and schema 8) run them; no connection, no Textual.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from sclerotui.facets import FACETS
from sclerotui.vocabulary import FAILED_RESPONSES

FAILED = frozenset(r.value for r in FAILED_RESPONSES)
MAX_DEPTH = 6  # steps after the starting therapy (as the recursive walk stops)
REGIMEN = "+"  # joins the therapy ids of one step given together (slugs have no "+")
STEP = ">"  # joins the steps of a path
# A case's organs and autoantibodies as bits of one integer each, so a tree counts every
# organ and tests a filter with integer arithmetic (a text of marks tested with instr() took
# four times as long). A value's bit is its place in the vocabulary's enum (sclerotui/
# vocabulary.py, as the facet declares its values): the bits are stored, so a new value is
# appended at the enum's end and takes the next bit; a value moved or removed would change
# what a stored bit means (tests/test_pathway_index.py pins the assignments).
BITS: dict[str, tuple[str, ...]] = {
    name: FACETS[name].values or () for name in ("organ", "antibody")
}
ORGAN_BITS = BITS["organ"]
ANTIBODY_BITS = BITS["antibody"]
FILTERED = ("organ", "antibody", "type")  # the facets read besides the subtype column
# The key's columns first, in the key's order: SQLite 3.40's integrity check reads a WITHOUT
# ROWID table's other columns wrongly otherwise ("NULL value in pathway_steps.organs").
COLUMNS = (
    "start", "path", "response", "subtype", "case_id", "organs", "antibodies", "type",
    "illustrative",
)  # fmt: skip

CREATE = """
CREATE TABLE IF NOT EXISTS pathway_steps (
    start TEXT NOT NULL,
    path TEXT NOT NULL,
    response TEXT NOT NULL,
    subtype TEXT NOT NULL,
    case_id TEXT NOT NULL,
    organs INTEGER NOT NULL,
    antibodies INTEGER NOT NULL,
    type TEXT NOT NULL,
    illustrative INTEGER NOT NULL,
    PRIMARY KEY (start, path, response, subtype, case_id)
) WITHOUT ROWID;
"""
KEY = COLUMNS[:5]
# Schema 8-10's index by case (a third of the table's size) served only the deletes of a
# case's rows, which now go by key (schema 11 drops it).
CASE_INDEX = "idx_pathway_steps_case"


def mask(facet: str, values) -> int:
    """The bits of some organs or autoantibodies; a value without a bit (none in the
    vocabulary) sets none, so a filter for it finds no case, as in the facets table."""
    bits = BITS[facet]
    return sum(1 << bits.index(v) for v in set(values) if v in bits)


class CaseFacets(NamedTuple):
    """What a case's pathway rows carry besides the path, for counts and filters."""

    subtype: str
    case_id: str
    organs: int
    antibodies: int
    type: str
    illustrative: int


def case_facets(
    case_id: str, subtype: str, illustrative, facets: Iterable[tuple[str, str]]
) -> CaseFacets:
    """A case's row values from its facets (facet, value): organs, antibodies, type."""
    organs, antibodies, kind = [], [], ""
    for facet, value in facets:
        if facet == "organ":
            organs.append(value)
        elif facet == "antibody":
            antibodies.append(value)
        elif facet == "type":
            kind = value
    return CaseFacets(
        subtype,
        case_id,
        mask("organ", organs),
        mask("antibody", antibodies),
        kind,
        int(bool(illustrative)),
    )


def case_rows(links: Iterable[tuple[str, int, str]], facets: CaseFacets) -> list[tuple]:
    """The rows of one case, from its therapy links (therapy id, step, response).

    As the recursive walk reads `record_therapies`: a case starts from every therapy it
    failed, at the first step it failed it; the walk goes on to the next step's regimen
    (its therapies, in any order, as one key; its response the response of its first
    therapy by id) while that step failed too, up to MAX_DEPTH steps."""
    steps: dict[int, list[tuple[str, str]]] = {}
    for therapy, step, response in links:
        # No step lacks a response (the models require one); a NULL in an old file would
        # make a key column NULL, so it is read as unknown.
        steps.setdefault(step, []).append((therapy, response or "unknown"))
    first_failed: dict[str, tuple[int, str]] = {}
    for step in sorted(steps):
        for therapy, response in steps[step]:
            if response in FAILED and therapy not in first_failed:
                first_failed[therapy] = (step, response)
    regimens = {}
    for step, members in steps.items():
        lead_therapy, lead_response = min(members)
        regimens[step] = (REGIMEN.join(sorted({t for t, _ in members})), lead_response)
    rows = []
    for start, (first, response) in first_failed.items():
        rows.append((start, "", response, *facets))
        path: list[str] = []
        step = first + 1
        while step in regimens and len(path) < MAX_DEPTH:
            key, response = regimens[step]
            path.append(key)
            rows.append((start, STEP.join(path), response, *facets))
            if response not in FAILED:
                break
            step += 1
    return rows


def rows_of(cases: list[tuple], facets: list[tuple], links: list[tuple]) -> list[tuple]:
    """The rows of newly written cases, from the rows written for them: `cases` as the
    cases table's (id, title, subtype, evidence_type, illustrative, …), `facets` as
    (kind, record id, facet, value) and `links` as record_therapies' (kind, record id,
    therapy id, step, response); rows of other kinds are skipped."""
    links_of: dict[str, list[tuple[str, int, str]]] = {}
    for kind, record_id, therapy, step, response in links:
        if kind == "case":
            links_of.setdefault(record_id, []).append((therapy, step, response))
    facets_of: dict[str, list[tuple[str, str]]] = {}
    for kind, record_id, facet, value in facets:
        if kind == "case" and facet in FILTERED:
            facets_of.setdefault(record_id, []).append((facet, value))
    rows = []
    for case in cases:
        case_id = case[0]
        carried = case_facets(case_id, case[2], case[4], facets_of.get(case_id, ()))
        rows += case_rows(links_of.get(case_id, ()), carried)
    return rows


INSERT = (
    f"INSERT INTO pathway_steps ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
)


# One row by its key: a case's rows are the ones case_rows gives for it as stored.
DELETE = f"DELETE FROM pathway_steps WHERE {' AND '.join(f'{c} = ?' for c in KEY)}"


def stored_cases_sql(count: int) -> str:
    """STORED_CASES for `count` cases (≤ 999) by id: what their rows are computed from,
    read before the case, its links or its facets are deleted."""
    return f"{STORED_CASES} WHERE c.id IN ({','.join('?' * count)})"


def keys(rows: Iterable[tuple]) -> list[tuple]:
    """The keys of some rows of the table (to delete them with DELETE)."""
    return [row[: len(KEY)] for row in rows]


# Every stored case with its therapy links and filtered facets, read in one pass.
STORED_CASES = f"""SELECT c.id, c.subtype, c.illustrative,
      (SELECT group_concat(therapy_id || char(31) || step || char(31) || response, char(30))
       FROM record_therapies WHERE kind = 'case' AND record_id = c.id),
      (SELECT group_concat(facet || '=' || value, char(30)) FROM facets
       WHERE kind = 'case' AND record_id = c.id
         AND facet IN ({",".join(f"'{f}'" for f in FILTERED)}))
    FROM cases c"""


def stored_rows(stored_cases: Iterable[tuple], batch: int = 20_000) -> Iterator[list[tuple]]:
    """The table's rows from the rows of STORED_CASES, in batches (to fill the table from
    the stored cases: schema 8)."""
    pending: list[tuple] = []
    for case_id, subtype, illustrative, links, facets in stored_cases:
        parsed = []
        for link in links.split("\x1e") if links else ():
            therapy, step, response = link.split("\x1f")
            parsed.append((therapy, int(step), response))
        pairs = [tuple(f.split("=", 1)) for f in facets.split("\x1e")] if facets else []
        pending += case_rows(parsed, case_facets(case_id, subtype, illustrative, pairs))
        if len(pending) >= batch:
            yield pending
            pending = []
    yield pending
