"""Dataset integrity rules, run on any database (`sclerotui db check`) and on the bundled data."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from pydantic import ValidationError

from sclerotui.models import (
    Case,
    Dataset,
    Therapy,
    TimelineEvent,
    Trial,
    describe_validation_error,
    validate_dataset,
)
from sclerotui.store import Store

TABLES = (
    ("therapies", "therapy", Therapy),
    ("trials", "trial", Trial),
    ("cases", "case", Case),
    ("events", "event", TimelineEvent),
)


def check_database(store: Store, advance: Callable[[int], None] | None = None) -> list[str]:
    """Every problem found, one line each, naming the record. `advance` hears of every
    thousand records validated."""
    try:
        problems = store.integrity_problems()
    except sqlite3.DatabaseError as error:
        return [f"integrity_check: {error}"]
    if problems and problems[0].startswith("integrity_check"):
        return problems  # records read from a damaged file prove nothing more
    data = Dataset(sources=store.sources(r[0] for r in store.scan("SELECT id FROM sources")))
    for table, label, model in TABLES:
        records = getattr(data, table)
        if table == "events":  # columns since schema 9, not a JSON copy
            stored, build = store.scan_events(), store.event_from_row
        else:
            stored = store.scan(f"SELECT id, data FROM {table} ORDER BY id")
            build = model.model_validate_json
        for done, (record_id, raw) in enumerate(stored, 1):
            if advance is not None and done % 1000 == 0:
                advance(1000)
            try:
                records.append(build(raw))
            except ValidationError as error:
                problems += describe_validation_error(error, f"{label} {record_id}")
    problems += validate_dataset(data)
    problems += figure_problems(data)
    problems += [
        f"event {row[0]}: belongs to no case or trial"
        for row in store.scan("SELECT id FROM events WHERE case_id IS NULL AND trial_id IS NULL")
    ]
    return problems


def figure_problems(data: Dataset) -> list[str]:
    """Evidence integrity: every number carries a source and a verification status."""
    problems = []
    for trial in data.trials:
        if not trial.sources:
            problems.append(f"trial {trial.id}: no source")
        if trial.primary_endpoint is None and not trial.synthetic:
            problems.append(f"trial {trial.id}: primary_endpoint: missing")
    for event in data.events:
        if event.value is not None and (event.source is None or event.verified is None):
            problems.append(f"event {event.id}: a figure without source or verified flag")
    seed_figures = {
        e.case
        for e in data.events
        if e.case and e.value is not None and (e.source or "").startswith("seed")
    }
    for case in data.cases:
        if case.illustrative and case.id in seed_figures:
            problems.append(f"case {case.id}: an illustrative case has figures from seed text")
    return problems
