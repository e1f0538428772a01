r"""Cases and their timeline events from a spreadsheet CSV: one row per event.

Case columns may be filled on the case's first row only; later rows of the same case leave
them empty (or repeat them exactly). Lists are separated by ';'. The therapy sequence is
`therapy:response;therapy:response`. A source is an NCT id, `PMID:123`, a DOI, or citation text.

A cell that starts with an apostrophe (') is one the export had to change, as spreadsheets mark
text that is not a formula: the apostrophe is dropped, and after it a backslash escapes (`\\`
is a backslash, `\u001b` or `\U000e0041` a character by its code). The export marks a cell
that starts with = + - @ a tab, a carriage return or an apostrophe (so no spreadsheet runs it
as a formula; plain numbers such as -0.5 are left as they are), and one holding a control or
invisible character, which it writes escaped (never raw: a terminal would obey it).
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
from sclerotui.text import invisible_characters

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
    "series",  # what the value is of, when not the whole measure (files before it still read)
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

# A cell a spreadsheet would read as a formula (OWASP, "CSV injection"), or one starting with
# the apostrophe that marks a changed cell; a plain number is no formula, and stays a number.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?\Z", re.I)
ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|\\)")


def encode_cell(value: str) -> str:
    """A value as the export writes it: inert in a spreadsheet and a terminal, and read back
    by `decode_cell` unchanged."""
    hidden = invisible_characters()
    if not hidden.search(value) and not (
        value.startswith(FORMULA_START) and not NUMBER.match(value)
    ):
        return value
    return "'" + hidden.sub(_code, value.replace("\\", "\\\\"))


def _code(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def decode_cell(value: str) -> str:
    """A cell's value: one the export marked with a leading apostrophe is unmarked and
    unescaped (see the module's docstring); any other is taken as it is."""
    if not value.startswith("'"):
        return value
    return ESCAPE.sub(_character, value[1:])


def _character(match: re.Match[str]) -> str:
    digits = match.group(1) or match.group(2)
    if digits is None:
        return "\\"
    code = int(digits, 16)
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return match.group()  # no character: kept as written
    return chr(code)


def parse_csv(path: Path) -> tuple[Dataset, list[str], dict[str, int]]:
    """The dataset, notes, and the line each case and event starts on (for later messages)."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError([f"{path}: cannot read: {error.strerror or error}"]) from None
    text = decode_text(raw, path)
    if "\x00" in text:
        raise DataError([f"{path}: contains NUL bytes; not a text CSV file"])
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    stream = io.StringIO(text, newline="")
    reader = csv.DictReader(stream, delimiter=delimiter)
    try:
        header = reader.fieldnames or []
    except csv.Error as error:
        raise DataError([f"{path}: line 1: unreadable CSV: {error}"]) from None
    if reader.line_num > 1:
        problem = _quote_left_open(path, text, 0, stream.tell(), 1, reader.line_num, delimiter)
        if problem:
            raise DataError([problem])
    problems = _check_header(path, header)
    if problems:
        raise DataError(problems)
    cases: dict[str, dict] = {}
    case_lines: dict[str, int] = {}
    events: list[tuple[int, dict]] = []
    line = reader.line_num
    while True:
        start = line + 1  # a row with quoted newlines spans lines: report where it starts
        offset = stream.tell()
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(f"{path}: line {start}: unreadable CSV: {error}")
            break
        line = reader.line_num
        if line > start or None in row.values():
            problem = _quote_left_open(path, text, offset, stream.tell(), start, line, delimiter)
            if problem:
                problems.append(problem)
                break
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


def _quote_left_open(
    path: Path, text: str, offset: int, end: int, first: int, last: int, delimiter: str
) -> str | None:
    """What is wrong when the row in text[offset:end] (lines first to last; the caller asks
    when it spans lines or has fewer cells than columns) is so because a quote was left open:
    the csv module then reads on, to the next quote or to the end of the file, as one value,
    and the row's other cells come out empty or shifted."""
    try:
        for _ in csv.reader(
            io.StringIO(text[offset:end], newline=""), delimiter=delimiter, strict=True
        ):
            pass
    except csv.Error as error:
        if end >= len(text) and "unexpected end of data" in str(error):
            return (
                f"{path}: line {first}: a quoted value opened on this row is never closed "
                '(a " is missing); it ran to the end of the file'
            )
        runs = f"runs on to line {last}" if last > first else "is not closed where it should be"
        return (
            f"{path}: line {first}: a quoted value opened on this row {runs} "
            '(a " is missing, or one too many)'
        )
    return None  # a value with line breaks in it, quoted as it should be


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
    row = {key.strip(): decode_cell((value or "").strip()) for key, value in row.items()}
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
            "series": row.get("series") or None,
        }
        try:
            dataset.events.append(TimelineEvent.model_validate(record))
        except ValidationError as error:
            problems.extend(describe_validation_error(error, where))
    dataset.sources.extend(sources.values())
    return dataset
