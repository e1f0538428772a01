"""The database rows of validated records: record tables, facets, therapy links, sources, the
search index and events.

Pure functions, no database: an import's second process builds a file's rows while the
importing process writes the file before it (see sclerotui.importers.importing)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sclerotui.facets import facet_rows
from sclerotui.query import clean_for_index

if TYPE_CHECKING:
    from sclerotui.models import Case, Dataset, Therapy, TimelineEvent, Trial

RECORD = ("origin", "imported_at", "data")
COLUMNS = {
    "sources": ("id", "kind", "ref", "citation", "verified", "origin"),
    "therapies": ("id", "name", "class", "aliases", *RECORD),
    "trials": (
        "id",
        "name",
        "acronym",
        "registry_id",
        "year",
        "evidence_type",
        "n",
        "verified",
        "synthetic",
        *RECORD,
    ),
    "cases": ("id", "title", "subtype", "evidence_type", "illustrative", "synthetic", *RECORD),
    "facets": ("kind", "record_id", "facet", "value"),
    "record_therapies": ("kind", "record_id", "therapy_id", "step", "response"),
    "record_sources": ("kind", "record_id", "source_id"),
    "search_index": ("title", "body", "kind", "record_id"),
    "events": (
        "id",
        "case_id",
        "trial_id",
        "arm_id",
        "week",
        "date",
        "kind",
        "therapy_id",
        "measure",
        "value",
        "source_id",
        "statistic",
        "unit",
        "note",
        "verified",
        "series",
    ),
}
# The model's field of each event column, in COLUMNS["events"] order: since schema 9 an
# event is its columns (a JSON copy beside them was two thirds of the database).
EVENT_FIELDS = (
    "id", "case", "trial", "arm", "week", "date", "kind", "therapy", "measure", "value",
    "source", "statistic", "unit", "note", "verified", "series",
)  # fmt: skip


@dataclass
class Rows:
    """One dataset's rows, table by table, each a tuple in COLUMNS order."""

    therapies: list[tuple] = field(default_factory=list)
    trials: list[tuple] = field(default_factory=list)
    cases: list[tuple] = field(default_factory=list)
    facets: list[tuple] = field(default_factory=list)
    record_therapies: list[tuple] = field(default_factory=list)
    record_sources: list[tuple] = field(default_factory=list)
    search_index: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)


def dataset_rows(
    data: Dataset,
    origin: str,
    imported_at: str,
    classes: dict[str, str],
    events: list[tuple] | None = None,
) -> Rows:
    """Every row a dataset writes. `classes` gives each therapy's class by id (the
    database's and the dataset's); a trial or case is filed under its therapies' classes.
    `events` are the events' rows if built already (`event_rows`)."""
    rows = Rows()
    for therapy in data.therapies:
        _add_therapy(rows, therapy, origin, imported_at)
    for trial in data.trials:
        _add_trial(rows, trial, origin, imported_at, classes)
    for case in data.cases:
        _add_case(rows, case, origin, imported_at, classes)
    rows.events = event_rows(data) if events is None else events
    return rows


def event_rows(data: Dataset) -> list[tuple]:
    """The rows of a dataset's events: most of an import's rows, and of the time spent
    building them. They need nothing but the events, so an import's second process
    builds them."""
    return [event_row(event) for event in data.events]


def dump(model) -> str:
    """The model as JSON, by its own serializer: model_dump_json gives the same text but took
    twice as long, which showed on an import's millions of events."""
    return model.__pydantic_serializer__.to_json(model, by_alias=True).decode()


def event_row(event: TimelineEvent) -> tuple:
    return (
        event.id,
        event.case,
        event.trial,
        event.arm,
        event.week,
        event.date,
        event.kind,  # a StrEnum is a str: SQLite stores its text (.value is slow)
        event.therapy,
        event.measure,
        event.value,
        event.source,
        event.statistic,
        event.unit,
        event.note,
        event.verified,
        event.series,
    )


def event_fields(row: tuple) -> dict:
    """An event's fields from its columns (COLUMNS["events"] order), for the model to
    validate: every field given, as a stored JSON copy gave them all."""
    # `verified` is stored as 0 or 1, which the model reads as False or True (and anything
    # else a bad tool wrote there as the error it is).
    return dict(zip(EVENT_FIELDS, row, strict=True))


def index_text(kind: str, record: Therapy | Trial | Case) -> tuple[str, str]:
    """The (title, body) a record is searched by, as written to the search index."""
    if kind == "therapy":
        return clean_for_index(record.name), clean_for_index(_therapy_body(record))
    if kind == "trial":
        return clean_for_index(record.name), clean_for_index(_trial_body(record))
    return clean_for_index(record.title), clean_for_index(_case_body(record))


def _therapy_body(therapy: Therapy) -> str:
    return " ".join(
        [
            therapy.mechanism,
            *therapy.aliases,
            therapy.therapy_class.value,
            *(o.value for o in therapy.organs),
        ]
    )


def _trial_body(trial: Trial) -> str:
    return " ".join(
        filter(
            None,
            [
                trial.acronym,
                trial.registry_id,
                trial.design,
                trial.population,
                trial.primary_endpoint,
                trial.results,
                trial.safety,
                *(s.value for s in trial.subtypes),
                *(o.value for o in trial.organs),
                *(f"{a.name} {a.intervention} {a.dose or ''}" for a in trial.arms),
                *(f.text or "" for f in trial.findings),
            ],
        )
    )


def _case_body(case: Case) -> str:
    steps = " ".join(
        f"{' '.join(s.therapies)} {s.response.value} {s.note or ''}" for s in case.therapies
    )
    return " ".join(
        [
            case.narrative,
            steps,
            case.subtype.value,
            *(o.value for o in case.organs),
            *(a.value for a in case.autoantibodies),
            "illustrative" if case.illustrative else "",
        ]
    )


def _sources(rows: Rows, kind: str, record_id: str, ids) -> None:
    rows.record_sources.extend((kind, record_id, s) for s in dict.fromkeys(ids))


def _add_therapy(rows: Rows, therapy: Therapy, origin: str, imported_at: str) -> None:
    rows.therapies.append(
        (
            therapy.id,
            therapy.name,
            therapy.therapy_class.value,
            json.dumps(therapy.aliases),
            origin,
            imported_at,
            dump(therapy),
        )
    )
    rows.facets.extend(facet_rows("therapy", therapy.id, therapy, {}))
    _sources(rows, "therapy", therapy.id, therapy.sources)
    rows.search_index.append((*index_text("therapy", therapy), "therapy", therapy.id))


def _add_trial(rows: Rows, trial: Trial, origin: str, imported_at: str, classes: dict) -> None:
    rows.trials.append(
        (
            trial.id,
            trial.name,
            trial.acronym,
            trial.registry_id,
            trial.year,
            trial.evidence_type.value,
            trial.n,
            trial.verified,
            trial.synthetic,
            origin,
            imported_at,
            # The stored record says where it came from, as the origin column does.
            dump(trial.model_copy(update={"origin": origin})),
        )
    )
    rows.facets.extend(facet_rows("trial", trial.id, trial, classes))
    rows.record_therapies.extend(
        ("trial", trial.id, t, None, None) for t in dict.fromkeys(trial.therapies)
    )
    eligibility = [trial.eligibility.source] if trial.eligibility is not None else []
    _sources(
        rows, "trial", trial.id, [*trial.sources, *(f.source for f in trial.findings), *eligibility]
    )
    rows.search_index.append((*index_text("trial", trial), "trial", trial.id))


def _add_case(rows: Rows, case: Case, origin: str, imported_at: str, classes: dict) -> None:
    rows.cases.append(
        (
            case.id,
            case.title,
            case.subtype.value,
            case.evidence_type.value,
            case.illustrative,
            case.synthetic,
            origin,
            imported_at,
            dump(case.model_copy(update={"origin": origin})),
        )
    )
    rows.facets.extend(facet_rows("case", case.id, case, classes))
    # A regimen's therapies share their step's number: pathways read a step as one unit.
    rows.record_therapies.extend(
        ("case", case.id, therapy, index, step.response.value)
        for index, step in enumerate(case.therapies)
        for therapy in step.therapies
    )
    _sources(rows, "case", case.id, case.sources)
    rows.search_index.append((*index_text("case", case), "case", case.id))
