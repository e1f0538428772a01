"""Today's export, frozen as it was before exports streamed (sclerotui/export.py at 579d59a,
select to export_text, less the forest plot and summary): the streaming export must write
the same bytes as this for the same database (tests/test_export_golden.py). Do not edit
to match a change in export.py: a difference is what these tests exist to catch."""

# ruff: noqa
from __future__ import annotations

import csv
import io
import json
import re
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
    """The records a search selects (all when the query is empty), with what they refer to.

    Returns the kinds and ids in hit order (for the dossier) and a self-contained Dataset.
    """
    if not query.strip():
        data = store.all_records()
        order = (
            [f"therapy:{t.id}" for t in data.therapies]
            + [f"trial:{t.id}" for t in data.trials]
            + [f"case:{c.id}" for c in data.cases]
        )
        return order, data
    from sclerotui.search import Search

    hits = Search(store).hits(query, limit=EXPORT_LIMIT)
    records = {"therapy": [], "trial": [], "case": []}
    for hit in hits:
        record = store.record(hit.kind, hit.id)
        if record is not None:
            records[hit.kind].append(record)
    return [f"{h.kind}:{h.id}" for h in hits], complete(store, *records.values())


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


def to_json(data: Dataset) -> str:
    """The same shape as the curated db/ files, so it imports back unchanged."""
    payload = {
        key: [
            record.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            for record in getattr(data, key)
        ]
        for key in ("sources", "therapies", "trials", "cases", "events")
    }
    for key in ("sources", "trials", "cases", "therapies"):
        for record in payload[key]:
            record.pop("origin", None)  # where it came from is the database's business
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    # json escapes C0 controls only; DEL, C1, bidi and other invisible characters are written
    # as \uXXXX too, so an editor or terminal shows what is there (json reads them back).
    return invisible_characters().sub(_json_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # JSON spells these as a UTF-16 surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def to_csv(data: Dataset) -> str:
    """Cases and their events, one row per event, in the CSV import format. Cells a
    spreadsheet would run as formulas, and control characters, are escaped as that format
    says (csv_cases.encode_cell), so the file is inert and still imports back unchanged."""
    sources = {s.id: s for s in data.sources}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for case in data.cases:
        source = sources.get(case.sources[0]) if case.sources else None
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
            "source": _source_text(source),
        }
        events = [e for e in data.events if e.case == case.id] or [None]
        for index, event in enumerate(events):
            row = dict(first) if index == 0 else {"case_id": case.id}
            if event is not None:
                row.update(_event_columns(event, sources))
            writer.writerow({key: encode_cell(value) for key, value in row.items()})
    return out.getvalue()


def _source_text(source: Source | None) -> str:
    if source is None:
        return ""
    if source.kind.value == "pmid":
        return f"PMID:{source.ref}"
    return source.ref or source.citation


def _event_columns(event: TimelineEvent, sources: dict[str, Source]) -> dict:
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
        "event_source": _source_text(sources.get(event.source or "")),
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

    def cite(self, source_id: str | None) -> str:
        if not source_id:
            return ""
        if source_id not in self.order:
            self.order.append(source_id)
        return f"[{self.order.index(source_id) + 1}]"

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
    therapies = {t.id: t for t in data.therapies}
    trials = {t.id: t for t in data.trials}
    cases = {c.id: c for c in data.cases}
    refs = References({s.id: s for s in data.sources})
    names = {t.id: t.name for t in data.therapies}
    parts = [
        f"# {cell(title)}",
        "",
        f"_Exported from sclerotui on {_stamp(now)}. {INTRO} Illustrative cases are "
        "teaching examples._",
        "",
    ]
    for note in notes:
        parts += [f"**Note:** {note}", ""]
    for key in order:
        kind, record_id = key.split(":", 1)
        if kind == "therapy" and record_id in therapies:
            parts += therapy_markdown(therapies[record_id], data, refs)
        elif kind == "trial" and record_id in trials:
            parts += trial_markdown(trials[record_id], data, refs)
        elif kind == "case" and record_id in cases:
            parts += case_markdown(cases[record_id], data, refs, names)
        parts += notes_markdown((user_notes or {}).get((kind, record_id), []))
    parts += refs.markdown()
    return "\n".join(parts) + "\n"


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


def therapy_markdown(therapy: Therapy, data: Dataset, refs: References) -> list[str]:
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
    trials = [t for t in data.trials if therapy.id in t.therapies]
    cases = [c for c in data.cases if any(therapy.id in s.therapies for s in c.therapies)]
    if trials:
        lines += ["| Trial | Type | n | Primary endpoint | Verified |", "|---|---|---|---|---|"]
        lines += [
            f"| {cell(t.name)} | {TYPE_SHORT.get(t.evidence_type.value)} | "
            f"{t.n if t.n is not None else '—'} | {cell(t.primary_endpoint)} | "
            f"{'yes' if t.verified else '**unverified**'} |"
            for t in trials
        ]
        lines.append("")
    if cases:
        lines += ["| Case | Subtype | Response to this therapy |", "|---|---|---|"]
        for case in cases:
            response = next(s.response.value for s in case.therapies if therapy.id in s.therapies)
            flag = " (illustrative)" if case.illustrative else ""
            lines.append(
                f"| {cell(case.title)}{flag} | {SUBTYPE_SHORT[case.subtype.value]} | {response} |"
            )
        lines.append("")
    return lines


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


def trial_markdown(trial: Trial, data: Dataset, refs: References) -> list[str]:
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
    events = [e for e in data.events if e.trial == trial.id]
    lines += timeline_markdown(events, arm_names, refs)
    return lines


def case_markdown(case: Case, data: Dataset, refs: References, names: dict[str, str]) -> list[str]:
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
    lines += timeline_markdown([e for e in data.events if e.case == case.id], {}, refs)
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
    order, data = select(store, query)
    if fmt == "json":
        return to_json(data)
    if fmt == "csv":
        return to_csv(data)
    title = f"sclerotui dossier: {query}" if query.strip() else "sclerotui dossier: all records"
    return to_markdown(data, order, title, user_notes=_user_notes(store, order))


def _user_notes(store: Store, order: list[str]) -> dict:
    from sclerotui.notes import notes_for_many

    return notes_for_many(store, [tuple(key.split(":", 1)) for key in order])
