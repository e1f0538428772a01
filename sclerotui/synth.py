"""Synthetic databases for scale tests: many labelled, generated cases with realistic shapes.

Never part of the bundled data. Every generated case is flagged `synthetic`, cites one source
saying it is generated, and the database's meta table says `kind = synthetic`, so the app shows
a banner. Deterministic for a seed. Rows are written with executemany in batches (not through
pydantic, which would make a million cases take an hour); `sclerotui db check` re-validates
them with the models afterwards.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path

from sclerotui import pathway_index
from sclerotui.dataset import bundled_dir, load_directory
from sclerotui.facets import facet_rows
from sclerotui.models import Dataset, Source
from sclerotui.store import Store, StoreError

SOURCE = Source(
    id="synthetic-generator",
    kind="citation",
    verified=False,
    citation="sclerotui synthetic data generator — generated records, not patients",
)
SUBTYPES = ["diffuse", "limited", "sine"]
ORGANS = ["skin", "lung", "pah", "renal", "vascular", "gi", "cardiac", "musculoskeletal"]
ANTIBODIES = ["anti-scl-70", "anticentromere", "anti-rnap-iii", "anti-u1rnp", "negative"]
RESPONSES = ["responded", "partial", "resistant", "intolerant", "unknown"]
# Synthetic cases draw their therapies from these (the first bundled set), so each therapy's
# share of a synthetic database, and so the benchmarks, stay as they were when the bundled
# data grew (72 therapies, many named by one published case).
THERAPIES = [
    "methotrexate", "cyclophosphamide", "mycophenolate", "nintedanib", "hsct", "rituximab",
    "tocilizumab", "abatacept", "calcium-channel-blockers", "bosentan", "macitentan",
    "sildenafil", "epoprostenol", "iloprost", "ace-inhibitors", "plasma-exchange", "riociguat",
    "lenabasum", "azathioprine", "glucocorticoids",
]  # fmt: skip
# Narratives are drawn from this prose, word by word.
PROSE = (
    "skin thickening progressed despite therapy with worsening dyspnoea and a fall in "
    "forced vital capacity on repeat testing; digital ulcers healed slowly while "
    "Raynaud attacks continued in cold weather; renal function stayed stable and blood "
    "pressure was controlled; fatigue and reduced hand function limited daily activities; "
    "high-resolution CT showed ground glass and reticulation at the lung bases; the "
    "patient tolerated treatment with mild nausea and one respiratory infection"
)
WORDS = PROSE.split(" ")
BATCH = 5000


def synthesize(
    path: Path, cases: int, seed: int = 1, advance: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Write a new synthetic database of `cases` cases at path; returns counts. `advance`
    hears of each batch of cases written."""
    bundled = load_directory(bundled_dir())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Created 0600 before SQLite writes a byte, as every database here is (its WAL and
        # shared-memory files take the mode of the database file).
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise StoreError(
            f"{path} already exists; synthetic data is only written to a new file"
        ) from None
    except OSError as error:
        raise StoreError(f"cannot create {path}: {error.strerror}") from None
    store = Store(path, create=True)
    try:
        base = Dataset(sources=[*bundled.sources, SOURCE], therapies=bundled.therapies)
        store.write_dataset(base, "bundled")
        therapy_class = {t.id: t.therapy_class.value for t in bundled.therapies}
        rng = random.Random(seed)
        totals = {"cases": 0, "events": 0}
        pool = [t for t in THERAPIES if t in therapy_class]
        for batch in _batches(rng, cases, pool):
            _write_batch(store, batch, therapy_class)
            totals["cases"] += len(batch)
            totals["events"] += sum(len(c["events"]) for c in batch)
            if advance is not None:
                advance(len(batch))
        with store.transaction():
            store.set_meta("kind", "synthetic")
            store.set_meta("synthetic_seed", str(seed))
        store.refresh_statistics()
        store.rebuild_rank_lists()  # its batches write the search index directly
    finally:
        store.close()
    return totals


def import_payload(cases: int, seed: int = 3) -> dict:
    """An import file's worth of generated cases (for the import benchmark and crash tests).

    Written to a temporary file only: it is not flagged synthetic, as imports of real cases
    are not, so it must never be imported into a database anyone reads."""
    therapies = ["cyclophosphamide", "mycophenolate", "nintedanib", "rituximab", "hsct"]
    generated = [
        item for batch in _batches(random.Random(seed), cases, therapies) for item in batch
    ]
    for item in generated:
        item["case"].pop("origin"), item["case"].pop("synthetic")
        for event in item["events"]:
            if event.get("note") is None:
                event.pop("note", None)
    return {
        "sources": [SOURCE.model_dump(mode="json")],
        "cases": [item["case"] for item in generated],
        "events": [event for item in generated for event in item["events"]],
    }


def _batches(rng: random.Random, count: int, therapies: list[str]) -> Iterator[list[dict]]:
    batch = []
    for number in range(1, count + 1):
        batch.append(_case(rng, number, therapies))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _case(rng: random.Random, number: int, therapies: list[str]) -> dict:
    case_id = f"synth-{number:07d}"
    subtype = rng.choices(SUBTYPES, weights=[5, 4, 1])[0]
    organs = rng.sample(ORGANS, rng.randint(1, 4))
    steps = []
    for therapy in rng.sample(therapies, rng.randint(2, 5)):
        steps.append({"therapy": therapy, "response": rng.choices(RESPONSES, [3, 3, 4, 2, 1])[0]})
    narrative = " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 70)))
    record = {
        "id": case_id,
        "title": f"Synthetic case {number:,}: {subtype} SSc, {organs[0]}",
        "sex": rng.choice(["female", "female", "female", "male"]),
        "age_band": rng.choice(["20-29", "30-39", "40-49", "50-59", "60-69", "70-79"]),
        "subtype": subtype,
        "autoantibodies": [rng.choice(ANTIBODIES)],
        "organs": organs,
        "therapies": steps,
        "narrative": f"SYNTHETIC RECORD. {narrative}.",
        "illustrative": False,
        "evidence_type": "case-report",
        "sources": [SOURCE.id],
        "origin": "synthetic",
        "synthetic": True,
    }
    return {"case": record, "events": _events(rng, case_id, steps)}


def _events(rng: random.Random, case_id: str, steps: list[dict]) -> list[dict]:
    target = rng.randint(5, 40)
    events = [_event(case_id, 0, 0.0, "diagnosis", note="Diagnosis (synthetic)")]
    week = 0.0
    for step in steps:
        week += rng.randint(4, 52)
        events.append(_event(case_id, len(events), week, "therapy-start", step["therapy"]))
    mrss, fvc = rng.uniform(8, 40), rng.uniform(45, 95)
    while len(events) < target:
        week += rng.randint(4, 26)
        if rng.random() < 0.5:
            mrss = min(51.0, max(0.0, mrss + rng.uniform(-5, 3)))
            events.append(
                _event(
                    case_id, len(events), week, "measurement", None, "mRSS", round(mrss, 1), "units"
                )
            )
        else:
            fvc = min(150.0, max(10.0, fvc + rng.uniform(-6, 4)))
            events.append(
                _event(
                    case_id,
                    len(events),
                    week,
                    "measurement",
                    None,
                    "FVC %pred",
                    round(fvc, 1),
                    "% predicted",
                )
            )
    return events


def _event(
    case_id, index, week, kind, therapy=None, measure=None, value=None, unit=None, note=None
) -> dict:
    event = {
        "id": f"{case_id}-e{index:02d}",
        "case": case_id,
        "week": week,
        "kind": kind,
        "therapy": therapy,
        "note": note,
    }
    if value is not None:
        event |= {
            "measure": measure,
            "statistic": "value",
            "value": value,
            "unit": unit,
            "source": SOURCE.id,
            "verified": False,
        }
    return event


class _FacetView:
    """A generated case as sclerotui.facets reads a Case, without building the model."""

    def __init__(self, case: dict) -> None:
        self.subtype = case["subtype"]
        self.organs = case["organs"]
        self.autoantibodies = case["autoantibodies"]
        self.evidence_type = case["evidence_type"]
        self.therapies = [_StepView(step) for step in case["therapies"]]


class _StepView:
    def __init__(self, step: dict) -> None:
        self.therapies = [step["therapy"]]
        self.response = step["response"]


def _write_batch(store: Store, batch: list[dict], therapy_class: dict[str, str]) -> None:
    cases, facets, links, refs, index, events = [], [], [], [], [], []
    for item in batch:
        case = item["case"]
        cid = case["id"]
        cases.append(
            (
                cid,
                case["title"],
                case["subtype"],
                "case-report",
                0,
                1,
                "synthetic",
                None,
                json.dumps(case),
            )
        )
        facets += facet_rows("case", cid, _FacetView(case), therapy_class)
        links += [
            ("case", cid, s["therapy"], n, s["response"]) for n, s in enumerate(case["therapies"])
        ]
        refs.append(("case", cid, SOURCE.id))
        body = " ".join(
            [
                case["narrative"],
                case["subtype"],
                *case["organs"],
                *(f"{s['therapy']} {s['response']}" for s in case["therapies"]),
            ]
        )
        index.append((case["title"], body, "case", cid))
        events += [
            (
                e["id"],
                cid,
                None,
                None,
                e["week"],
                None,
                e["kind"],
                e.get("therapy"),
                e.get("measure"),
                e.get("value"),
                e.get("source"),
                json.dumps(e),
            )
            for e in item["events"]
        ]
    with store.transaction():
        store.execute_many(
            "INSERT INTO cases (id, title, subtype, evidence_type, illustrative, synthetic, "
            "origin, imported_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            cases,
        )
        store.execute_many("INSERT INTO facets VALUES (?, ?, ?, ?)", facets)
        store.execute_many(
            "INSERT INTO record_therapies (kind, record_id, therapy_id, step, "
            "response) VALUES (?, ?, ?, ?, ?)",
            links,
        )
        store.execute_many("INSERT INTO record_sources VALUES (?, ?, ?)", refs)
        store.execute_many(pathway_index.INSERT, pathway_index.rows_of(cases, facets, links))
        store.execute_many(
            "INSERT INTO search_index (title, body, kind, record_id) VALUES (?, ?, ?, ?)", index
        )
        store.add_search_terms([(title, body) for title, body, _, _ in index])
        store.execute_many(
            "INSERT INTO events (id, case_id, trial_id, arm_id, week, date, kind, therapy_id, "
            "measure, value, source_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            events,
        )
