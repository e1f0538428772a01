"""Exporting records: native JSON (re-importable), CSV of cases and events, Markdown dossiers."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from sclerotui import lists
from sclerotui.importers.csv_cases import COLUMNS, encode_cell
from sclerotui.models import Case, Dataset, Source, Therapy, TimelineEvent, Trial
from sclerotui.plot import MARKERS, OVERLAP, measure_groups, render
from sclerotui.store import Store
from sclerotui.text import invisible_characters, shown
from sclerotui.vocabulary import SCALE_SHORT, SUBTYPE_SHORT, TYPE_SHORT

EXPORT_LIMIT = 100_000
DOSSIER_ITEMS = 200  # a therapy's dossier from the app lists this many of its trials and cases


def select(store: Store, query: str) -> tuple[list[str], Dataset]:
    """The records a search selects (all when the query is empty), with what they refer to,
    held in memory (an export streams them instead: `StoredRecords`).

    Returns the kinds and ids in hit order (for the dossier) and a self-contained Dataset.
    """
    records = StoredRecords(store, query)
    data = Dataset(
        sources=list(records.sources()),
        therapies=list(records.therapies()),
        trials=list(records.trials()),
        cases=list(records.cases()),
        events=list(records.events()),
    )
    return [f"{kind}:{record_id}" for kind, record_id, _ in records.order()], data


def complete(
    store: Store, therapies: list[Therapy], trials: list[Trial], cases: list[Case]
) -> Dataset:
    """A Dataset holding the records plus the therapies, sources and events they refer to."""
    therapy_ids = dict.fromkeys(t.id for t in therapies)
    for trial in trials:
        therapy_ids.update(dict.fromkeys(trial.therapies))
        therapy_ids.update(dict.fromkeys(a.therapy for a in trial.arms if a.therapy))
    for case in cases:
        therapy_ids.update(dict.fromkeys(t for step in case.therapies for t in step.therapies))
    events = [e for t in trials for e in store.events("trial", t.id)]
    events += [e for c in cases for e in store.events("case", c.id)]
    for event in events:
        if event.therapy:
            therapy_ids[event.therapy] = None
    all_therapies = [store.therapy(t) for t in therapy_ids]
    all_therapies = [t for t in all_therapies if t is not None]
    source_ids = [s for t in all_therapies for s in t.sources]
    source_ids += [s for t in trials for s in [*t.sources, *(f.source for f in t.findings)]]
    source_ids += [t.eligibility.source for t in trials if t.eligibility is not None]
    source_ids += [s for c in cases for s in c.sources]
    source_ids += [e.source for e in events if e.source]
    return Dataset(
        sources=store.sources(source_ids),
        therapies=all_therapies,
        trials=trials,
        cases=cases,
        events=events,
    )


# -- what an export writes, read as it is written ------------------------------------------


class Records:
    """The records an export writes, as the writers read them (`write_json`, `write_csv`,
    `write_markdown`): each kind in the order written, and a record's events."""

    def sources(self) -> Iterator[Source]:
        raise NotImplementedError

    def therapies(self) -> Iterator[Therapy]:
        raise NotImplementedError

    def trials(self) -> Iterator[Trial]:
        raise NotImplementedError

    def cases(self) -> Iterator[Case]:
        raise NotImplementedError

    def events(self) -> Iterator[TimelineEvent]:
        raise NotImplementedError

    def events_of(self, kind: str, record_id: str) -> list[TimelineEvent]:
        raise NotImplementedError

    def order(self) -> Iterator[tuple[str, str, Therapy | Trial | Case | None]]:
        """(kind, id, record or None) in the dossier's order."""
        raise NotImplementedError

    def source(self, source_id: str | None) -> Source | None:
        raise NotImplementedError

    def sectioned(self) -> set[str]:
        """The therapies that have a section in the dossier (those in `order`)."""
        return {rid for kind, rid, record in self.order() if kind == "therapy" and record}

    def listed_under(self, therapy_ids: set[str]) -> dict[str, tuple[Iterable, Iterable]]:
        """Each therapy's trials and cases among these records, in their order (a therapy's
        dossier section lists them)."""
        raise NotImplementedError


class HeldRecords(Records):
    """A Dataset in memory (the dossier of one record, as the app shows it)."""

    def __init__(self, data: Dataset, order: list[str] | None = None) -> None:
        self.data = data
        self.keys = order or []
        self.by_id = {
            "therapy": {t.id: t for t in data.therapies},
            "trial": {t.id: t for t in data.trials},
            "case": {c.id: c for c in data.cases},
        }
        self.source_map = {s.id: s for s in data.sources}
        self.owned: dict[tuple[str, str], list[TimelineEvent]] = {}
        for event in data.events:
            if event.case:
                self.owned.setdefault(("case", event.case), []).append(event)
            if event.trial:
                self.owned.setdefault(("trial", event.trial), []).append(event)

    def sources(self):
        return iter(self.data.sources)

    def therapies(self):
        return iter(self.data.therapies)

    def trials(self):
        return iter(self.data.trials)

    def cases(self):
        return iter(self.data.cases)

    def events(self):
        return iter(self.data.events)

    def events_of(self, kind, record_id):
        return self.owned.get((kind, record_id), [])

    def order(self):
        for key in self.keys:
            kind, record_id = key.split(":", 1)
            yield kind, record_id, self.by_id.get(kind, {}).get(record_id)

    def source(self, source_id):
        return self.source_map.get(source_id or "")

    def listed_under(self, therapy_ids):
        return {
            therapy: (
                [t for t in self.data.trials if therapy in t.therapies],
                [c for c in self.data.cases if any(therapy in s.therapies for s in c.therapies)],
            )
            for therapy in therapy_ids
        }


class StoredRecords(Records):
    """The records a search selects (all when the query is empty) with the therapies,
    sources and events they refer to, read from the database as they are written: what is
    held at once is a record and its events, and the ids of the selection.

    With a query, the records the hits refer to are found by reading the selection once
    (`references`) before any is written; all records are read in the database's order."""

    def __init__(self, store: Store, query: str) -> None:
        self.store = store
        self.everything = not query.strip()
        self.hits: list[tuple[str, str]] = []
        if not self.everything:
            from sclerotui.search import Search

            self.hits = [(h.kind, h.id) for h in Search(store).hits(query, limit=EXPORT_LIMIT)]
        self._references: tuple[list[str], list[str]] | None = None
        self._sources: dict[str, Source | None] = {}

    def _hit_records(self, kind: str) -> Iterator:
        for of_kind, record_id in self.hits:
            if of_kind == kind:
                record = self.store.record(kind, record_id)
                if record is not None:
                    yield record

    def references(self) -> tuple[list[str], list[str]]:
        """The ids of the therapies and sources a query's records refer to, in the order
        `complete` lists them (read once, then kept: ids only)."""
        if self._references is None:
            hit_therapies = dict.fromkeys(t.id for t in self._hit_records("therapy"))
            of_records, of_events = {}, {}
            trial_sources, eligibility, case_sources, event_sources = {}, {}, {}, {}
            for trial in self._hit_records("trial"):
                of_records.update(dict.fromkeys(trial.therapies))
                of_records.update(dict.fromkeys(a.therapy for a in trial.arms if a.therapy))
                trial_sources.update(dict.fromkeys(trial.sources))
                trial_sources.update(dict.fromkeys(f.source for f in trial.findings))
                if trial.eligibility is not None:
                    eligibility[trial.eligibility.source] = None
            for case in self._hit_records("case"):
                of_records.update(dict.fromkeys(t for s in case.therapies for t in s.therapies))
                case_sources.update(dict.fromkeys(case.sources))
            for event in self.events():
                if event.therapy:
                    of_events[event.therapy] = None
                if event.source:
                    event_sources[event.source] = None
            therapy_ids = [*dict.fromkeys([*hit_therapies, *of_records, *of_events])]
            therapy_sources = [
                s for t in map(self.store.therapy, therapy_ids) if t is not None for s in t.sources
            ]
            source_ids = dict.fromkeys(therapy_sources)
            for more in (trial_sources, eligibility, case_sources, event_sources):
                source_ids.update(more)
            self._references = therapy_ids, list(source_ids)
        return self._references

    def sources(self):
        if self.everything:
            return self.store.each("source")
        return iter(self.store.sources(self.references()[1]))

    def therapies(self):
        if self.everything:
            return self.store.each("therapy")
        found = map(self.store.therapy, self.references()[0])
        return (t for t in found if t is not None)

    def trials(self):
        return self.store.each("trial") if self.everything else self._hit_records("trial")

    def cases(self):
        return self.store.each("case") if self.everything else self._hit_records("case")

    def events(self):
        if self.everything:
            yield from self.store.each("event")
            return
        for kind in ("trial", "case"):
            for record in self._hit_records(kind):
                yield from self.store.events(kind, record.id)

    def events_of(self, kind, record_id):
        # All records' events are listed as written; a query's, each record's in time order.
        return self.store.events(kind, record_id, as_written=self.everything)

    def order(self):
        if self.everything:
            for kind in ("therapy", "trial", "case"):
                for record in self.store.each(kind):
                    yield kind, record.id, record
            return
        for kind, record_id in self.hits:
            yield kind, record_id, self.store.record(kind, record_id)

    def source(self, source_id):
        if not source_id:
            return None
        if source_id not in self._sources:  # the sources are few beside the records
            found = self.store.sources([source_id])
            self._sources[source_id] = found[0] if found else None
        return self._sources[source_id]

    def sectioned(self):
        if self.everything:
            return {therapy.id for therapy in self.store.each("therapy")}
        return {therapy.id for therapy in self._hit_records("therapy")}

    def listed_under(self, therapy_ids):
        listed = {therapy: ([], []) for therapy in therapy_ids}
        if not listed:
            return {}
        for trial in self.trials():
            for therapy in therapy_ids.intersection(trial.therapies):
                listed[therapy][0].append(trial.id)
        for case in self.cases():
            steps = {t for step in case.therapies for t in step.therapies}
            for therapy in therapy_ids & steps:
                listed[therapy][1].append(case.id)
        # The ids are kept; each record is read again when its therapy's section is written.
        return {
            therapy: (
                _read_each(self.store.trial, trials),
                _read_each(self.store.case, cases),
            )
            for therapy, (trials, cases) in listed.items()
        }

    def total(self, fmt: str) -> int:
        """How many records the format writes (for a progress bar)."""
        if fmt == "md":
            return (
                sum(self.store.counts()[t] for t in ("therapies", "trials", "cases"))
                if (self.everything)
                else len(self.hits)
            )
        if self.everything:
            counts = self.store.counts()
            return counts["cases"] if fmt == "csv" else sum(counts.values())
        cases = sum(1 for kind, _ in self.hits if kind == "case")
        if fmt == "csv":
            return cases
        therapies, sources = self.references()
        return len(therapies) + len(sources) + len(self.hits) + sum(1 for _ in self.events())


class _read_each:  # noqa: N801 (used as a lazy list)
    """Records read by id when iterated (again on each iteration)."""

    def __init__(self, read, ids: list[str]) -> None:
        self.read, self.ids = read, ids

    def __bool__(self) -> bool:
        return bool(self.ids)

    def __iter__(self):
        return (record for record in map(self.read, self.ids) if record is not None)


JSON_KEYS = ("sources", "therapies", "trials", "cases", "events")


def write_json(records: Records, write: Callable[[str], None], advance=None) -> None:
    """The same shape as the curated db/ files, so it imports back unchanged: the text
    `json.dumps(payload, indent=2, ensure_ascii=False)` gives, written a record at a time."""
    escape = invisible_characters()
    write("{\n")
    for index, key in enumerate(JSON_KEYS):
        write(f'  "{key}": [')
        empty = True
        for record in getattr(records, key)():
            payload = record.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            if key != "events":
                payload.pop("origin", None)  # where it came from is the database's business
            text = json.dumps(payload, indent=2, ensure_ascii=False).replace("\n", "\n    ")
            # json escapes C0 controls only; DEL, C1, bidi and other invisible characters are
            # written as \uXXXX too, so an editor or terminal shows what is there (json reads
            # them back).
            write(("\n    " if empty else ",\n    ") + escape.sub(_json_escape, text))
            empty = False
            if advance is not None:
                advance(1)
        write("]" if empty else "\n  ]")
        write(",\n" if index < len(JSON_KEYS) - 1 else "\n")
    write("}\n")


def to_json(data: Dataset) -> str:
    """A Dataset as export writes it (`write_json`)."""
    parts: list[str] = []
    write_json(HeldRecords(data), parts.append)
    return "".join(parts)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # JSON spells these as a UTF-16 surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


class _Writable:
    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write


def write_csv(records: Records, write: Callable[[str], None], advance=None) -> None:
    """Cases and their events, one row per event, in the CSV import format. Cells a
    spreadsheet would run as formulas, and control characters, are escaped as that format
    says (csv_cases.encode_cell), so the file is inert and still imports back unchanged."""
    writer = csv.DictWriter(_Writable(write), fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for case in records.cases():
        first = {
            "case_id": case.id,
            "title": case.title,
            "sex": case.sex,
            "age_band": case.age_band or "",
            "subtype": case.subtype.value,
            "autoantibodies": ";".join(a.value for a in case.autoantibodies),
            "organs": ";".join(o.value for o in case.organs),
            "therapies": ";".join(
                f"{'+'.join(s.therapies)}:{s.response.value}" for s in case.therapies
            ),
            "narrative": case.narrative,
            "illustrative": "yes" if case.illustrative else "no",
            "source": _source_text(records.source(case.sources[0]) if case.sources else None),
        }
        events = records.events_of("case", case.id) or [None]
        for index, event in enumerate(events):
            row = dict(first) if index == 0 else {"case_id": case.id}
            if event is not None:
                row.update(_event_columns(event, records.source))
            writer.writerow({key: encode_cell(value) for key, value in row.items()})
        if advance is not None:
            advance(1)


def to_csv(data: Dataset) -> str:
    """A Dataset's cases and events as export writes them (`write_csv`)."""
    parts: list[str] = []
    write_csv(HeldRecords(data), parts.append)
    return "".join(parts)


def _source_text(source: Source | None) -> str:
    if source is None:
        return ""
    if source.kind.value == "pmid":
        return f"PMID:{source.ref}"
    return source.ref or source.citation


def _event_columns(event: TimelineEvent, source: Callable[[str | None], Source | None]) -> dict:
    def text(value):
        if value is None:
            return ""
        if not isinstance(value, float):
            return str(value)
        short = f"{value:g}"  # 52 rather than 52.0, when that is the same number
        return short if float(short) == value else repr(value)

    verified = "" if event.verified is None else "yes" if event.verified else "no"
    return {
        "event_id": event.id,
        "week": text(event.week),
        "date": event.date or "",
        "kind": event.kind.value,
        "therapy": event.therapy or "",
        "measure": event.measure or "",
        "statistic": event.statistic.value if event.statistic else "",
        "value": text(event.value),
        "unit": event.unit or "",
        "note": event.note or "",
        "event_source": _source_text(source(event.source)),
        "verified": verified,
        "series": event.series or "",
    }


# -- Markdown ----------------------------------------------------------------------------


# Record text in a dossier renders as that text and nothing else: every character Markdown
# (CommonMark, GitHub's tables, strikethrough and math) or HTML could read as markup is
# backslash-escaped, so `<script>`, `[x](javascript:…)`, `![](http://…)`, a code fence, `|` or
# `&amp;` show as typed. At the start of a line `#`, `>`, `-`, `+`, `=` and `1.` would begin a
# heading, quote or list, and leading spaces a code block: see markdown_block.
MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]<>&|~$#]")
LINE_START = re.compile(r"[-+=]|[0-9]{1,9}(?=[.)])")


def markdown_text(text: str) -> str:
    """Record text for inline Markdown (a heading, a list item, a table cell): on one line,
    controls and invisible characters shown, markup characters escaped."""
    return _escape_markdown(shown(" ".join(text.split()), multiline=False))


def cell(text: str | None) -> str:
    """Record text safe inside a Markdown table cell, heading or list item, without the
    curators' verification marks (see without_marks)."""
    return markdown_text(without_marks(text))


def markdown_block(text: str) -> str:
    """Record text that has lines (a narrative) as Markdown paragraphs showing that text: its
    line breaks kept (as hard breaks), blank lines between paragraphs, nothing else."""
    paragraphs = []
    for paragraph in re.split(r"\n(?:[ \t]*\n)+", shown(text).strip()):
        lines = [_markdown_line(line) for line in paragraph.split("\n")]
        paragraphs.append("\\\n".join(lines))
    return "\n\n".join(paragraphs)


def _markdown_line(line: str) -> str:
    line = _escape_markdown(line.rstrip())
    body = line.lstrip(" \t")
    indent = line[: len(line) - len(body)]
    start = LINE_START.match(body)
    if start and body[0].isdigit():
        body = f"{body[: start.end()]}\\{body[start.end() :]}"  # "1\." is no list item
    elif start:
        body = "\\" + body
    # Indentation would make a code block: as character references, spaces are only text.
    return indent.replace(" ", "&#32;").replace("\t", "&#9;") + body


def _escape_markdown(text: str) -> str:
    return MARKDOWN_SPECIAL.sub(lambda match: "\\" + match.group(), text)


# Research notes in record text: a verification mark ("[V]", "[V2, ERR review table]", "[U]")
# says how a curator checked a figure and where it was read. A dossier is for colleagues: the
# marks go; a figure's status shows as **unverified**, its source as a numbered reference.
VERIFICATION_MARK = re.compile(r"\s*\[(?:V2?|U)(?:/U)?(?:[ ,;:][^\[\]]*)?\]")


# Which mirror of a registry or of PubMed a fact was read on is a note for curators too: a
# parenthesis naming one goes, and so does a sentence about one (unless it marks a figure
# unverified, which must stay).
MIRROR_PARENTHESIS = re.compile(r"\s*\([^()]*\bmirrors?\b[^()]*\)", re.IGNORECASE)
MIRROR_SENTENCE = re.compile(r"[^.!?\n]*\bmirrors?\b[^.!?\n]*(?:[.!?]|$)", re.IGNORECASE)


def without_marks(text: str | None) -> str:
    """Prose without verification marks and notes on mirrors; an "[U…]" mark becomes
    "(unverified)"."""
    if not text:
        return ""
    text = VERIFICATION_MARK.sub(
        lambda m: " (unverified)" if m.group().strip().startswith("[U") else "", text
    )
    if "mirror" not in text.casefold():
        return text
    text = MIRROR_PARENTHESIS.sub("", text)
    return MIRROR_SENTENCE.sub(
        lambda m: m.group() if "unverified" in m.group() else "", text
    ).strip()


def note_text(text: str | None) -> str:
    """A note up to its first verification mark (what follows names where it was read); a
    note cut at an "[U…]" mark says (unverified)."""
    if not text:
        return ""
    mark = VERIFICATION_MARK.search(text)
    if mark is None:
        return text
    kept = text[: mark.start()].rstrip(" ;,")
    unverified = mark.group().strip().startswith("[U")
    return f"{kept} (unverified)".strip() if unverified else kept


def weeks(value: float | None) -> str:
    """Weeks as written (104, not 104.0)."""
    return "—" if value is None else f"{value:g}"


class References:
    """A dossier's numbered references: a source takes its number where it is first cited,
    and the list at the end gives each in full (citation.reference)."""

    def __init__(self, sources: dict[str, Source]) -> None:
        self.sources = sources
        self.order: list[str] = []
        self.number: dict[str, int] = {}

    def cite(self, source_id: str | None) -> str:
        if not source_id:
            return ""
        if source_id not in self.number:
            self.order.append(source_id)
            self.number[source_id] = len(self.order)
        return f"[{self.number[source_id]}]"

    def cite_all(self, ids) -> str:
        return ", ".join(self.cite(source_id) for source_id in dict.fromkeys(ids))

    def markdown(self) -> list[str]:
        if not self.order:
            return []
        from sclerotui.citation import reference

        lines = ["## References", ""]
        index = 0
        while index < len(self.order):  # a reference may cite another, which then joins
            source = self.sources.get(self.order[index])
            text = reference(source) if source is not None else "(not in this database)"
            lines.append(f"- [{index + 1}] {cell(self._numbered(text))}")
            index += 1
        return lines + [""]

    def _numbered(self, text: str) -> str:
        """A citation that names another source by its key says its number instead."""
        for source_id in self.sources:
            if source_id in text:
                text = re.sub(
                    rf"(?<![\w-]){re.escape(source_id)}(?![\w-])",
                    lambda _, key=source_id: self.cite(key),
                    text,
                )
        return text


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")


INTRO = (
    "Figures marked **unverified** were not verified in a stored source; numbers in brackets "
    "are the references at the end."
)


def to_markdown(
    data: Dataset,
    order: list[str],
    title: str,
    notes: tuple[str, ...] = (),
    user_notes: dict | None = None,
    now: datetime | None = None,
) -> str:
    """`user_notes`: the user's own notes by (kind, id) (sclerotui.notes), each record's
    written after it under a heading that says whose they are."""
    parts: list[str] = []
    write_markdown(HeldRecords(data, order), title, parts.append, notes, user_notes, now)
    return "".join(parts)


def write_markdown(
    records: Records,
    title: str,
    write: Callable[[str], None],
    notes: tuple[str, ...] = (),
    user_notes: dict | None = None,
    now: datetime | None = None,
    advance=None,
) -> None:
    """The dossier of the records, written a record at a time: each line and its line end."""

    def lines(parts: Iterable[str]) -> None:
        for part in parts:
            write(part + "\n")

    source_map = {s.id: s for s in records.sources()}
    refs = References(source_map)
    names = {t.id: t.name for t in records.therapies()}
    lines(
        [
            f"# {cell(title)}",
            "",
            f"_Exported from sclerotui on {_stamp(now)}. {INTRO} Illustrative cases are "
            "teaching examples._",
            "",
        ]
    )
    for note in notes:
        lines([f"**Note:** {note}", ""])
    listed = records.listed_under(records.sectioned())
    for kind, record_id, record in records.order():
        if record is not None:
            if kind == "therapy":
                lines(therapy_markdown(record, *listed[record_id], refs))
            elif kind == "trial":
                lines(trial_markdown(record, records.events_of("trial", record_id), refs))
            elif kind == "case":
                events = records.events_of("case", record_id)
                lines(case_markdown(record, events, refs, names))
        lines(notes_markdown((user_notes or {}).get((kind, record_id), [])))
        if advance is not None:
            advance(1)
    lines(refs.markdown())


def notes_markdown(notes: list) -> list[str]:
    """The user's notes on one record, labelled as theirs (not from any source)."""
    if not notes:
        return []
    lines = ["### Your notes (written in sclerotui; not from the sources)", ""]
    for note in notes:
        on = f" on finding “{cell(note.finding)}”" if note.finding else ""
        what = "Bookmarked" if note.bookmark else f"{cell(note.text)}"
        lines.append(f"- {what}{on} — {cell(note.author)}, {note.created_at}")
    return lines + [""]


def therapy_markdown(
    therapy: Therapy, trials: Iterable[Trial], cases: Iterable[Case], refs: References
) -> Iterator[str]:
    """A therapy's section, with the trials and cases (of those exported) that use it: read
    as written, so a therapy of 100,000 cases is never held whole."""
    lines = [
        f"## Therapy: {cell(therapy.name)}",
        "",
        f"- Class: {therapy.therapy_class.value}",
        f"- Mechanism: {cell(therapy.mechanism)}",
        f"- Also known as: {cell(', '.join(therapy.aliases)) or 'none recorded'}",
        f"- Organ domains: {', '.join(o.value for o in therapy.organs) or 'none recorded'}",
    ]
    if therapy.sources:
        lines.append(f"- Sources: {refs.cite_all(therapy.sources)}")
    lines.append("")
    yield from lines
    if trials:
        yield from ["| Trial | Type | n | Primary endpoint | Verified |", "|---|---|---|---|---|"]
        for t in trials:
            yield (
                f"| {cell(t.name)} | {TYPE_SHORT.get(t.evidence_type.value)} | "
                f"{t.n if t.n is not None else '—'} | {cell(t.primary_endpoint)} | "
                f"{'yes' if t.verified else '**unverified**'} |"
            )
        yield ""
    if cases:
        yield from ["| Case | Subtype | Response to this therapy |", "|---|---|---|"]
        for case in cases:
            response = next(s.response.value for s in case.therapies if therapy.id in s.therapies)
            flag = " (illustrative)" if case.illustrative else ""
            yield f"| {cell(case.title)}{flag} | {SUBTYPE_SHORT[case.subtype.value]} | {response} |"
        yield ""


NOT_ESTIMABLE_WORDS = {"estimate": "estimate", "ci_low": "lower bound", "ci_high": "upper bound"}


def finding_effect(finding) -> str:
    """A finding's effect, interval (with its level, or none claimed) and p, as stored."""
    effect = finding.effect
    if effect is None and finding.estimate is not None and finding.scale is not None:
        effect = f"{SCALE_SHORT[finding.scale]} {finding.estimate:g}"
    interval = None
    if finding.ci:
        stated = "%" in finding.ci or finding.ci_level is None
        interval = finding.ci if stated else f"{finding.ci_level:g}% CI {finding.ci}"
        interval = interval if "CI" in interval else f"CI {interval}"
    parts = [without_marks(effect), interval, finding.p and f"p {finding.p}"]
    parts.append(without_marks(finding.text))
    if finding.not_estimable:
        names = ", ".join(NOT_ESTIMABLE_WORDS[name] for name in finding.not_estimable)
        parts.append(f"not estimable: {names}")
    return "; ".join(part for part in parts if part)


def trial_markdown(trial: Trial, events: list[TimelineEvent], refs: References) -> list[str]:
    kind = TYPE_SHORT.get(trial.evidence_type.value, trial.evidence_type.value)
    lines = [
        f"## Trial: {cell(trial.name)}",
        "",
        f"{kind}{f', n={trial.n:,}' if trial.n is not None else ''}"
        f"{f', {cell(trial.registry_id)}' if trial.registry_id else ''}"
        f"{f', {trial.year}' if trial.year else ''}"
        f"{'' if trial.verified else ' — **primary result unverified**'}",
        "",
        f"- Design: {cell(without_marks(trial.design))}",
        f"- Population: {cell(without_marks(trial.population))}",
        f"- Primary endpoint: {cell(without_marks(trial.primary_endpoint)) or 'not reported'}",
        f"- Results: {cell(without_marks(trial.results))}",
        f"- Safety: {cell(without_marks(trial.safety)) or 'not reported'}",
        f"- Sources: {refs.cite_all(trial.sources)}",
        "",
    ]
    if trial.arms:
        lines += ["| Arm | Intervention | Dose | n |", "|---|---|---|---|"]
        lines += [
            f"| {cell(a.name)} | {cell(a.intervention)} | {cell(a.dose)} | "
            f"{a.n if a.n is not None else '—'} |"
            for a in trial.arms
        ]
        lines.append("")
    arm_names = {a.id: a.name for a in trial.arms}
    if trial.findings:
        lines += [
            "| Measure | Arm | Week | Value | Effect / CI / p | Verified | Source |",
            "|---|---|---|---|---|---|---|",
        ]
        for f in trial.findings:
            value = f"{f.value:g} {f.unit or ''}".strip() if f.value is not None else "—"
            lines.append(
                f"| {cell(f.measure)} | {cell(arm_names.get(f.arm or '', 'between arms'))}"
                f" | {weeks(f.timepoint_weeks)} | {cell(value)} | {cell(finding_effect(f))} | "
                f"{'yes' if f.verified else '**unverified**'} | {refs.cite(f.source)} |"
            )
        lines.append("")
    lines += timeline_markdown(events, arm_names, refs)
    return lines


def case_markdown(
    case: Case, events: list[TimelineEvent], refs: References, names: dict[str, str]
) -> list[str]:
    lines = [f"## Case: {cell(case.title)}", ""]
    if case.illustrative:
        lines += ["> **Illustrative case** — a teaching example, not a real patient record.", ""]
    lines += [
        f"- {SUBTYPE_SHORT[case.subtype.value]}, {case.sex}, "
        f"age {cell(case.age_band) or 'not reported'}",
        f"- Autoantibodies: {', '.join(a.value for a in case.autoantibodies) or 'none recorded'}",
        f"- Organs: {', '.join(o.value for o in case.organs) or 'none recorded'}",
        f"- Sources: {refs.cite_all(case.sources)}",
        "",
        "| Step | Therapy | Response | Note |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {i} | {cell(' + '.join(names.get(t, t) for t in s.therapies))} | {s.response.value} "
        f"| {cell(note_text(s.note))} |"
        for i, s in enumerate(case.therapies, 1)
    ]
    lines += ["", markdown_block(without_marks(case.narrative)), ""]
    lines += timeline_markdown(events, {}, refs)
    return lines


def _series_name(event: TimelineEvent, arm_names: dict[str, str]) -> str:
    name = arm_names.get(event.arm or "", event.arm or "patient")
    return f"{name}, {event.series}" if event.series else name  # as plot.measure_groups names it


def timeline_markdown(
    events: list[TimelineEvent], arm_names: dict[str, str], refs: References
) -> list[str]:
    if not events:
        return []
    lines = [
        "### Timeline",
        "",
        "| Week | Kind | Arm / therapy | Measure | Value | Note | Source |",
        "|---|---|---|---|---|---|---|",
    ]
    unverified: set[tuple] = set()
    for e in events:
        value = "" if e.value is None else cell(f"{e.value:g} {e.unit or ''}".strip())
        if e.value is not None and e.verified is False:
            value += " **unverified**"
            statistic = e.statistic.value if e.statistic else "value"
            unverified.add((e.measure, statistic, _series_name(e, arm_names), e.week, e.value))
        who = arm_names.get(e.arm or "", e.arm or "") or (e.therapy or "")
        when = f"{e.week:g}" if e.week is not None else (e.date or "")
        lines.append(
            f"| {when} | {e.kind.value} | {cell(who)} | {cell(e.measure)} | "
            f"{value} | {cell(note_text(e.note))} | {refs.cite(e.source)} |"
        )
    lines.append("")
    for group in measure_groups(events, arm_names):
        lines += plot_markdown(group, unverified)
    return lines


PLOT_UNVERIFIED = "Includes unverified values"


def plot_markdown(group, unverified: set[tuple]) -> list[str]:
    """A text plot, its legend with the plot's own markers, and every value written out with
    the unverified ones marked (the plot's axis labels cannot carry a mark)."""
    plot = render(group.series, width=60, height=6)
    legend = ", ".join(
        f"{MARKERS[index % len(MARKERS)]} {cell(s.name)}" for index, s in enumerate(group.series)
    )
    lines = [f"{group.measure} ({group.statistic}, {cell(group.unit)}): {legend}", ""]
    if group.unverified:
        lines += [f"**{PLOT_UNVERIFIED}**, marked in the values below the plot.", ""]
    if plot.single_time:  # nothing drawn: the values below are the whole plot
        lines += ["Values at one time point only: no trend to plot.", ""]
    else:
        lines += ["```", *plot.lines, "```", ""]
        if plot.overlap:
            lines += [f"{cell(OVERLAP)} marks a point shared by two or more series.", ""]
    for index, series in enumerate(group.series):
        shown = series.points[1:] if series.implicit_baseline else series.points
        values = ", ".join(
            f"week {w:g}: {cell(f'{v:g}')}"
            + (
                " **unverified**"
                if (group.measure, group.statistic, series.name, w, v) in unverified
                else ""
            )
            for w, v in shown
        )
        lines.append(f"- {MARKERS[index % len(MARKERS)]} {cell(series.name)}: {values}")
    return lines + [""]


def export_text(store: Store, query: str, fmt: str) -> str:
    """What `export` writes, as one text (for a small selection)."""
    parts: list[str] = []
    export(store, query, fmt, parts.append)
    return "".join(parts)


def export(
    store: Store,
    query: str,
    fmt: str,
    write: Callable[[str], None],
    progress: Callable[[int], Callable[[float], None]] | None = None,
) -> None:
    """Write the records a search selects (all when the query is empty) in a format, a
    record at a time. `progress(total)`, if given, is called once the selection is known
    and returns advance(amount), called as records are written."""
    records = StoredRecords(store, query)
    advance = progress(records.total(fmt)) if progress is not None else None
    if fmt == "json":
        write_json(records, write, advance)
    elif fmt == "csv":
        write_csv(records, write, advance)
    else:
        title = f"sclerotui dossier: {query}" if query.strip() else "sclerotui dossier: all records"
        write_markdown(records, title, write, user_notes=_every_user_note(store), advance=advance)


def _every_user_note(store: Store) -> dict:
    """The user's notes by record (they are few; a dossier writes those of its records)."""
    from sclerotui.notes import all_notes

    found: dict[tuple[str, str], list] = {}
    for note in all_notes(store):
        found.setdefault((note.kind, note.record_id), []).append(note)
    return found


def _user_notes(store: Store, order: list[str]) -> dict:
    from sclerotui.notes import notes_for_many

    return notes_for_many(store, [tuple(key.split(":", 1)) for key in order])


def record_markdown(store: Store, kind: str, record_id: str) -> str:
    """The dossier of one record as shown in the app (a therapy with its evidence)."""
    record = store.record(kind, record_id)
    if record is None:
        return ""
    name = getattr(record, "name", None) or getattr(record, "title", record_id)
    notes: tuple[str, ...] = ()
    if kind == "therapy":
        evidence = lists.evidence(store, record_id, limit=DOSSIER_ITEMS)
        total = lists.evidence_count(store, record_id)
        if total > len(evidence):
            # A therapy can have 100,000 cases; the dossier must not pass for all of them.
            notes = (
                f"this dossier lists the first {len(evidence):,} of the {total:,} trials and "
                f"cases of {cell(name)} in this database (trials first, then cases in id "
                f"order). All of them: `sclerotui export therapy:{record_id} --format csv`.",
            )
        trials = [store.trial(i.id) for i in evidence if i.kind == "trial"]
        cases = [store.case(i.id) for i in evidence if i.kind == "case"]
        data = complete(store, [record], [t for t in trials if t], [c for c in cases if c])
    else:
        data = complete(
            store, [], [record] if kind == "trial" else [], [record] if kind == "case" else []
        )
    order = [f"{kind}:{record_id}"]
    return to_markdown(data, order, f"sclerotui: {name}", notes, _user_notes(store, order))


# -- forest plot and summary of findings -----------------------------------------------------


def _in_filters(row) -> str:
    return "—" if row.in_filters is None else "yes" if row.in_filters else "**no**"


def _comparison_cells(row) -> str:
    subgroup = f"; {row.subgroup}" if row.subgroup else ""
    return (
        f"{cell(row.trial_name)} | {cell(row.arms + subgroup)} | {cell(row.n)} | {row.when} | "
        f"{cell(row.numbers)} | {'yes' if row.verified else '**unverified**'}"
    )


def forest_markdown(
    store: Store,
    outcome,
    window,
    criteria=None,
    context: str = "",
    rows=None,
    now: datetime | None = None,
) -> str:
    """One outcome's forest plot as the screen shows it: a row per trial comparison with its
    numbers, mark and source, the intervals drawn against the line of no effect, and no pooled
    estimate. `rows`: the screen's own rows (else read with evidence.forest)."""
    from sclerotui.evidence import (
        ESTIMATE,
        ESTIMATE_UNVERIFIED,
        NO_EFFECT,
        NO_POOLING,
        axis_for,
        draw,
        favours_line,
        forest,
    )
    from sclerotui.facets import NO_CRITERIA

    criteria = criteria or NO_CRITERIA
    if rows is None:
        rows = forest(store, outcome, window, criteria)
    refs = References({s.id: s for s in store.sources(row.source for row in rows)})
    filters = criteria.describe() if criteria else ""
    lines = [
        f"# Forest plot: {cell(outcome.label)}",
        "",
        f"_Exported from sclerotui on {_stamp(now)}. {INTRO}_",
        "",
        f"- Timepoints: {window.label}",
        f"- Filters: {cell(filters)} (the In filters column says whether each trial's "
        "population matches them)"
        if filters
        else "- Filters: none",
        *([f"- Opened from: {cell(context)}"] if context else []),
        f"- Comparisons: {len(rows)}",
        "",
        NO_POOLING,
        "",
    ]
    if not rows:
        lines += ["No comparison with numbers in this timepoint window.", ""]
        return "\n".join(lines) + "\n"
    lines += [
        "| # | Trial | Arms | n | When | Estimate (interval) | Verified | In filters | Source |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {index} | {_comparison_cells(row)} | {_in_filters(row)} | {refs.cite(row.source)} |"
        for index, row in enumerate(rows, 1)
    ]
    axis = axis_for(rows, 50)
    scale = "log scale, no effect at 1" if axis.log else "no effect at 0"
    lines += [
        "",
        f"Each row's interval against the line of no effect ({scale}): {ESTIMATE} estimate, "
        f"{ESTIMATE_UNVERIFIED} unverified estimate, ├─┤ interval, {NO_EFFECT} no effect, "
        "? a bound not given.",
        "",
        "```",
        *(f"{index:>3}  {draw(row, axis)}" for index, row in enumerate(rows, 1)),
        f"     {favours_line(rows, axis)}",
        "```",
        "",
    ]
    return "\n".join(lines + refs.markdown()) + "\n"


def summary_markdown(
    store: Store, therapy_name: str, rows, left_out: int, now: datetime | None = None
) -> str:
    """A therapy's summary of findings as the screen shows it: an overview row per outcome,
    then every trial effect behind it with its mark and source."""
    from sclerotui.evidence import CERTAINTY, MAX_OUTCOMES, NO_POOLING

    refs = References(
        {s.id: s for s in store.sources(c.source for row in rows for c in row.comparisons)}
    )
    more = f"; {left_out} more not shown" if left_out else ""
    lines = [
        f"# Summary of findings: {cell(therapy_name)}",
        "",
        f"_Exported from sclerotui on {_stamp(now)}. {INTRO}_",
        "",
        f"- Outcomes: {len(rows)} (at most {MAX_OUTCOMES}{more})",
        f"- Certainty of evidence: {CERTAINTY} (no source grades it)",
        "",
        NO_POOLING,
        "",
    ]
    if not rows:
        lines += ["No comparison with numbers for this therapy in the database.", ""]
        return "\n".join(lines) + "\n"
    lines += [
        "| Outcome | Trials | Participants | Range across trials | Certainty |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {cell(row.outcome.label)} | {row.studies} | {row.participants} | "
        f"{cell(row.spread)} | {row.certainty} |"
        for row in rows
    ]
    lines.append("")
    for row in rows:
        lines += [
            f"## {cell(row.outcome.label)}",
            "",
            "| Trial | Arms | n | When | Estimate (interval) | Verified | Source |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [f"| {_comparison_cells(c)} | {refs.cite(c.source)} |" for c in row.comparisons]
        lines.append("")
    return "\n".join(lines + refs.markdown()) + "\n"
