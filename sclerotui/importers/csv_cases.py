"""Cases and their timeline events from a spreadsheet CSV: one row per event.

Case columns may be filled on the case's first row only; later rows of the same case leave
them empty (or repeat them exactly). Lists are separated by ';'. The therapy sequence is
`therapy:response;therapy:response`. A source is an NCT id, `PMID:123`, a DOI, or citation text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

from pydantic import ValidationError

from sclerotui.dataset import decode_text
from sclerotui.models import (
    Case,
    DataError,
    Dataset,
    Source,
    TimelineEvent,
    describe_validation_error,
)

CASE_COLUMNS = [
    "case_id",
    "title",
    "sex",
    "age_band",
    "subtype",
    "autoantibodies",
    "organs",
    "therapies",
    "narrative",
    "illustrative",
    "source",
]
EVENT_COLUMNS = [
    "event_id",
    "week",
    "date",
    "kind",
    "therapy",
    "measure",
    "statistic",
    "value",
    "unit",
    "note",
    "event_source",
    "verified",
]
COLUMNS = CASE_COLUMNS + EVENT_COLUMNS
REQUIRED = [
    "case_id",
    "title",
    "subtype",
    "therapies",
    "narrative",
    "illustrative",
    "source",
    "kind",
]
TRUE = {"yes", "y", "true", "1"}
FALSE = {"no", "n", "false", "0"}


# Narratives can be long; the csv module's default limit is 131,072 characters per field.
csv.field_size_limit(16 * 1024 * 1024)


def parse_csv(path: Path) -> tuple[Dataset, list[str], dict[str, int]]:
    """The dataset, notes, and the line each case and event starts on (for later messages)."""
    text = decode_text(path.read_bytes(), path)
    if "\x00" in text:
        raise DataError([f"{path}: contains NUL bytes; not a text CSV file"])
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = reader.fieldnames or []
    except csv.Error as error:
        raise DataError([f"{path}: line 1: unreadable CSV: {error}"]) from None
    problems = _check_header(path, header)
    if problems:
        raise DataError(problems)
    cases: dict[str, dict] = {}
    case_lines: dict[str, int] = {}
    events: list[tuple[int, dict]] = []
    line = reader.line_num
    while True:
        start = line + 1  # a row with quoted newlines spans lines: report where it starts
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(f"{path}: line {start}: unreadable CSV: {error}")
            break
        line = reader.line_num
        if None in row:
            problems.append(f"{path}: line {start}: more values than columns")
            continue
        if all(not (value or "").strip() for value in row.values()):
            continue
        _collect(path, start, row, cases, case_lines, events, problems)
    if not cases and not problems:
        problems.append(f"{path}: no rows")
    dataset = _build(path, cases, case_lines, events, problems)
    if problems:
        raise DataError(problems)
    locations = {f"case {case_id}": line for case_id, line in case_lines.items()}
    locations |= {
        f"event {event.id}": line for event, (line, _) in zip(dataset.events, events, strict=True)
    }
    return dataset, [], locations


def _check_header(path: Path, header: list[str]) -> list[str]:
    names = [name.strip() for name in header]
    problems = []
    missing = [c for c in REQUIRED if c not in names]
    unknown = [c or "(an empty column name)" for c in names if c not in COLUMNS]
    if missing:
        problems.append(f"{path}: line 1: missing column(s): {', '.join(missing)}")
    if unknown:
        problems.append(
            f"{path}: line 1: unknown column(s): {', '.join(unknown)} (known: {', '.join(COLUMNS)})"
        )
    if len(set(names)) != len(names):
        problems.append(f"{path}: line 1: a column appears twice")
    return problems


def _collect(path, line, row, cases, case_lines, events, problems) -> None:
    row = {key.strip(): (value or "").strip() for key, value in row.items()}
    case_id = row.get("case_id", "")
    if not case_id:
        problems.append(f"{path}: line {line}: case_id: empty")
        return
    case_fields = {c: row.get(c, "") for c in CASE_COLUMNS if row.get(c, "")}
    if case_id not in cases:
        cases[case_id] = case_fields
        case_lines[case_id] = line
    else:
        for column, value in case_fields.items():
            first = cases[case_id].get(column)
            if first is None:
                cases[case_id][column] = value
            elif first != value and column != "case_id":
                problems.append(
                    f"{path}: line {line}: case {case_id}: {column}: {value!r} "
                    f"differs from line {case_lines[case_id]} ({first!r})"
                )
    if row.get("kind") or row.get("event_id"):
        events.append((line, row))


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def source_for(text: str) -> Source:
    """An NCT id, PMID or DOI becomes that kind of source; other text a citation."""
    text = text.strip()
    if re.fullmatch(r"NCT\d{8}", text, re.I):
        ref = text.upper()
        return Source(id=ref.lower(), kind="nct", ref=ref, citation=ref, verified=False)
    pmid = re.fullmatch(r"(?:PMID:?\s*)?(\d{1,9})", text, re.I)
    if pmid:
        return Source(
            id=f"pmid-{pmid.group(1)}",
            kind="pmid",
            ref=pmid.group(1),
            citation=f"PMID {pmid.group(1)}",
            verified=False,
        )
    if re.fullmatch(r"10\.\d{4,9}/\S+", text):
        slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
        return Source(
            id=f"doi-{slug}", kind="doi", ref=text, citation=f"doi:{text}", verified=False
        )
    digest = hashlib.sha1(text.encode()).hexdigest()[:10]
    return Source(id=f"cite-{digest}", kind="citation", citation=text, verified=False)


def _flag(value: str, column: str, where: str, problems: list[str]) -> bool | None:
    lowered = value.lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    problems.append(f"{where}: {column}: expected yes or no (got {value!r})")
    return None


def _build(path, cases, case_lines, events, problems) -> Dataset:
    dataset = Dataset()
    sources: dict[str, Source] = {}
    for case_id, row in cases.items():
        where = f"{path}: line {case_lines[case_id]}: case {case_id}"
        try:
            source = source_for(row.get("source", "")) if row.get("source") else None
        except ValidationError as error:
            problems.extend(describe_validation_error(error, f"{where}: source"))
            continue
        if source is not None:
            sources[source.id] = source
        steps = []
        for part in _split(row.get("therapies", "")):
            therapy, _, response = part.partition(":")
            regimen = [t.strip() for t in therapy.split("+")]  # therapies given together
            steps.append({"therapies": regimen, "response": response.strip() or "unknown"})
        illustrative = _flag(row.get("illustrative", ""), "illustrative", where, problems)
        if illustrative is None:
            illustrative = True  # already reported; a stand-in so other fields still get checked
        record = {
            "id": case_id,
            "title": row.get("title", ""),
            "subtype": row.get("subtype", ""),
            "sex": row.get("sex") or "unknown",
            "age_band": row.get("age_band") or None,
            "autoantibodies": _split(row.get("autoantibodies", "")),
            "organs": _split(row.get("organs", "")),
            "therapies": steps,
            "narrative": row.get("narrative", ""),
            "illustrative": illustrative,
            "sources": [source.id] if source else [],
        }
        try:
            dataset.cases.append(Case.model_validate(record))
        except ValidationError as error:
            problems.extend(describe_validation_error(error, where))
    for index, (line, row) in enumerate(events):
        where = f"{path}: line {line}: event {row.get('event_id') or index}"
        source_id = None
        if row.get("event_source"):
            try:
                source = source_for(row["event_source"])
                sources[source.id] = source
                source_id = source.id
            except ValidationError as error:
                problems.extend(describe_validation_error(error, f"{where}: event_source"))
        verified = (
            _flag(row["verified"], "verified", where, problems) if row.get("verified") else None
        )
        record = {
            "id": row.get("event_id") or f"{row['case_id']}-e{index + 1}",
            "case": row["case_id"],
            "week": row.get("week") or None,
            "date": row.get("date") or None,
            "kind": row.get("kind", ""),
            "therapy": row.get("therapy") or None,
            "measure": row.get("measure") or None,
            "statistic": row.get("statistic") or None,
            "value": row.get("value") or None,
            "unit": row.get("unit") or None,
            "note": row.get("note") or None,
            "source": source_id,
            "verified": verified,
        }
        try:
            dataset.events.append(TimelineEvent.model_validate(record))
        except ValidationError as error:
            problems.extend(describe_validation_error(error, where))
    dataset.sources.extend(sources.values())
    return dataset
