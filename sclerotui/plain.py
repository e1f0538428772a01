"""A trial or case read for the screen without pydantic: the explorer's first record.

Importing the pydantic models costs about 100-150 ms (pydantic itself, then every model's
validator built), as much as the rest of the explorer's start-up over a bare Textual app. The
first frame shows one record; it is read here from the JSON the store keeps (written from
validated models), with each field the model has, its default where the JSON leaves it out,
and the vocabulary's enums where the model has them, so the detail pane draws it as it draws
a model. tests/test_plain.py checks every field of every model against pydantic's reading.

Only for showing: every action on a record (export, cite, notes…) reads the model again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from sclerotui.store import Store
from sclerotui.vocabulary import (
    Autoantibody,
    EffectScale,
    EvidenceType,
    Favours,
    Organ,
    Response,
    SourceKind,
    Subtype,
)


class Plain:
    """A record's fields as attributes, as its model has them."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        return f"Plain({self.__dict__!r})"


Convert = Callable[[Any], Any]


def _each(convert: Convert) -> Convert:
    return lambda values: [convert(value) for value in values]


def _reader(defaults: dict[str, Any], converts: dict[str, Convert]) -> Callable[[dict], Plain]:
    """A reader of one model's JSON object: defaults for the fields left out, converters for
    the fields that are enums or nested models (None stays None, as in an optional field)."""

    def read(data: dict) -> Plain:
        fields = {**defaults, **data}
        for name, convert in converts.items():
            if fields.get(name) is not None:
                fields[name] = convert(fields[name])
        # Lists are new per record, as pydantic copies a default.
        return Plain({k: list(v) if v == [] else v for k, v in fields.items()})

    return read


def _range(data: dict) -> Plain:
    return Plain({"min": None, "max": None, "min_inclusive": True, "max_inclusive": True, **data})


arm = _reader({"therapy": None, "dose": None, "n": None}, {})

finding = _reader(
    {
        "arm": None,
        "timepoint_weeks": None,
        "value": None,
        "comparator_value": None,
        "unit": None,
        "effect": None,
        "ci": None,
        "p": None,
        "text": None,
        "primary": False,
        "note": None,
        "estimate": None,
        "ci_low": None,
        "ci_high": None,
        "ci_level": None,
        "scale": None,
        "favours": None,
        "intervention_arm": None,
        "comparator_arm": None,
        "n_intervention": None,
        "n_comparator": None,
        "subgroup": None,
        "not_estimable": [],
    },
    {"scale": EffectScale, "favours": Favours},
)

eligibility = _reader(
    {
        "subtypes": None,
        "disease_years": None,
        "mrss": None,
        "fvc": None,
        "dlco": None,
        "age": None,
        "sex": None,
        "organs_required": [],
        "organs_excluded": [],
        "criteria_text": None,
        "note": None,
    },
    {
        "subtypes": _each(Subtype),
        "disease_years": _range,
        "mrss": _range,
        "fvc": _range,
        "dlco": _range,
        "age": _range,
        "organs_required": _each(Organ),
        "organs_excluded": _each(Organ),
    },
)

trial = _reader(
    {
        "acronym": None,
        "registry_id": None,
        "year": None,
        "phase": None,
        "n": None,
        "eligibility": None,
        "subtypes": [],
        "organs": [],
        "arms": [],
        "duration_weeks": None,
        "primary_endpoint": None,
        "findings": [],
        "safety": None,
        "origin": "bundled",
        "synthetic": False,
    },
    {
        "evidence_type": EvidenceType,
        "eligibility": eligibility,
        "subtypes": _each(Subtype),
        "organs": _each(Organ),
        "arms": _each(arm),
        "findings": _each(finding),
    },
)


def _step(data: dict) -> Plain:
    if "therapy" in data:  # the older single form, as the model reads it
        data = {"therapies": [data["therapy"]], **{k: v for k, v in data.items() if k != "therapy"}}
    return Plain({"note": None, **data, "response": Response(data["response"])})


case = _reader(
    {
        "sex": "unknown",
        "age_band": None,
        "autoantibodies": [],
        "organs": [],
        "evidence_type": EvidenceType.CASE_REPORT,
        "origin": "bundled",
        "synthetic": False,
    },
    {
        "subtype": Subtype,
        "autoantibodies": _each(Autoantibody),
        "organs": _each(Organ),
        "therapies": _each(_step),
        "evidence_type": EvidenceType,
    },
)

READERS = {"trial": ("trials", trial), "case": ("cases", case)}


def record(store: Store, kind: str, record_id: str) -> Plain | None:
    """A trial or case as the store keeps it, or None if there is none with that id."""
    table, read = READERS[kind]
    row = store.first(f"SELECT data FROM {table} WHERE id = ?", [record_id])
    return read(json.loads(row[0])) if row else None


def sources(store: Store, ids: Iterable[str]) -> list[Plain]:
    """The sources with these ids, in their order (as Store.sources gives them)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = store.read(
        f"SELECT id, kind, ref, citation, verified FROM sources WHERE id IN ({marks})", ids
    )
    found = {
        row[0]: Plain(
            {
                "id": row[0],
                "kind": SourceKind(row[1]),
                "ref": row[2],
                "citation": row[3],
                "verified": bool(row[4]),
            }
        )
        for row in rows
    }
    return [found[i] for i in ids if i in found]
