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
import tempfile
from bisect import bisect
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from functools import partial
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
    path: Path,
    cases: int,
    seed: int = 1,
    advance: Callable[[int], None] | None = None,
    bars: Callable[..., AbstractContextManager[Callable[[float], None]]] | None = None,
) -> dict[str, int]:
    """Write a new synthetic database of `cases` cases at path; returns counts. `advance`
    hears of each batch of cases written; `bars(description, total, unit)`, if given, is a
    bar for each step after the cases (the indexes, then the ranking lists).

    The database is written to a hidden file beside path and renamed into place when whole:
    until then nobody reads it, so it is filled as a bulk load (Store.bulk_load). If the
    work stops (an error, Ctrl-C), neither file is left."""
    bundled = load_directory(bundled_dir())
    path.parent.mkdir(parents=True, exist_ok=True)
    _claim(path)
    try:
        work = _work_file(path)
        try:
            totals = _fill(work, bundled, cases, seed, advance, bars)
            _sync(work)
            os.replace(work, path)
        finally:
            for leftover in (work, *(work.with_name(work.name + x) for x in _SIDE_FILES)):
                leftover.unlink(missing_ok=True)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return totals


_SIDE_FILES = ("-journal", "-wal", "-shm")
# The tables a synthetic database fills in bulk; their indexes are built after the rows.
_BULK_TABLES = (
    "cases", "events", "facets", "record_therapies", "record_sources", "pathway_steps",
)  # fmt: skip


def _claim(path: Path) -> None:
    """Create path, empty and 0600, refusing one that exists (before SQLite writes a byte,
    as every database here is: its WAL and shared-memory files take its mode)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise StoreError(
            f"{path} already exists; synthetic data is only written to a new file"
        ) from None
    except OSError as error:
        raise StoreError(f"cannot create {path}: {error.strerror}") from None


def _work_file(path: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)  # mkstemp makes it 0600
    return Path(name)


def _sync(path: Path) -> None:
    """On disk before the rename, so a crash after it never leaves a file cut short (the
    bulk load wrote without syncing)."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _fill(
    path: Path,
    bundled: Dataset,
    cases: int,
    seed: int,
    advance: Callable[[int], None] | None,
    bars: Callable[..., AbstractContextManager[Callable[[float], None]]] | None = None,
) -> dict[str, int]:
    store = Store(path, create=True)
    indexing = partial(bars, "building indexes", unit="indexes") if bars else None
    store.rank_progress = partial(bars, "ranking lists", unit="terms") if bars else None
    try:
        base = Dataset(sources=[*bundled.sources, SOURCE], therapies=bundled.therapies)
        store.write_dataset(base, "bundled")
        therapy_class = {t.id: t.therapy_class.value for t in bundled.therapies}
        rng = random.Random(seed)
        totals = {"cases": 0, "events": 0}
        pool = [t for t in THERAPIES if t in therapy_class]
        with store.bulk_load(_BULK_TABLES, progress=indexing):
            for batch in _batches(rng, cases, pool):
                _write_batch(store, batch, therapy_class)
                totals["cases"] += len(batch)
                totals["events"] += sum(len(c["events"]) for c in batch)
                if advance is not None:
                    advance(len(batch))
        store.fill_search_terms()
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
    events = []
    for item in generated:
        item["case"].pop("origin"), item["case"].pop("synthetic")
        for row in item["events"]:
            event = _event_record(row)
            if event.get("note") is None:
                event.pop("note", None)
            events.append(event)
    return {
        "sources": [SOURCE.model_dump(mode="json")],
        "cases": [item["case"] for item in generated],
        "events": events,
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


# The draws below are random.Random's own, unrolled (choice(seq) is seq[_randbelow(len(seq))],
# randint(a, b) is a + _randbelow(b - a + 1), _randbelow(n) draws n.bit_length() bits until
# the number is below n, uniform(a, b) is a + (b - a) * random(), choices with weights is a
# bisect of random() * total into the running sums): the same numbers from the same seed, so
# a seed's database is the one earlier releases wrote (tests/test_synth.py pins it), at a
# third of the calls' cost: a million cases draw a hundred million numbers.
_SUBTYPE_SUMS, _RESPONSE_SUMS = [5, 9, 10], [3, 6, 10, 12, 13]
_WORD_BITS = len(WORDS).bit_length()
_SEXES = ["female", "female", "female", "male"]
_AGE_BANDS = ["20-29", "30-39", "40-49", "50-59", "60-69", "70-79"]


def _below(bits: Callable[[int], int], n: int) -> int:
    k = n.bit_length()
    r = bits(k)
    while r >= n:
        r = bits(k)
    return r


def _case(rng: random.Random, number: int, therapies: list[str]) -> dict:
    bits, real = rng.getrandbits, rng.random
    case_id = f"synth-{number:07d}"
    subtype = SUBTYPES[bisect(_SUBTYPE_SUMS, real() * 10.0, 0, 2)]
    organs = rng.sample(ORGANS, 1 + _below(bits, 4))
    steps = [
        {"therapy": therapy, "response": RESPONSES[bisect(_RESPONSE_SUMS, real() * 13.0, 0, 4)]}
        for therapy in rng.sample(therapies, 2 + _below(bits, 4))
    ]
    words, count, n = [], 30 + _below(bits, 41), len(WORDS)
    for _ in range(count):
        r = bits(_WORD_BITS)
        while r >= n:
            r = bits(_WORD_BITS)
        words.append(WORDS[r])
    record = {
        "id": case_id,
        "title": f"Synthetic case {number:,}: {subtype} SSc, {organs[0]}",
        "sex": _SEXES[_below(bits, 4)],
        "age_band": _AGE_BANDS[_below(bits, 6)],
        "subtype": subtype,
        "autoantibodies": [ANTIBODIES[_below(bits, len(ANTIBODIES))]],
        "organs": organs,
        "therapies": steps,
        "narrative": f"SYNTHETIC RECORD. {' '.join(words)}.",
        "illustrative": False,
        "evidence_type": "case-report",
        "sources": [SOURCE.id],
        "origin": "synthetic",
        "synthetic": True,
    }
    return {"case": record, "events": _events(rng, case_id, steps)}


def _events(rng: random.Random, case_id: str, steps: list[dict]) -> list[tuple]:
    """A case's events as rows of EVENT_INSERT (the columns a generated event fills; the
    others, always NULL, are not bound row by row); `_event_record` gives one as an import
    file's record."""
    bits, real = rng.getrandbits, rng.random
    target = 5 + _below(bits, 36)
    rows = [(f"{case_id}-e00", case_id, 0.0, "diagnosis", None, None, None, None, None, None,
             "Diagnosis (synthetic)", None)]  # fmt: skip
    week = 0.0
    for step in steps:
        week += 4 + _below(bits, 49)
        rows.append((f"{case_id}-e{len(rows):02d}", case_id, week, "therapy-start",
                     step["therapy"], None, None, None, None, None, None, None))  # fmt: skip
    mrss = 8 + 32 * real()
    fvc = 45 + 50 * real()
    while len(rows) < target:
        r = bits(_WEEK_BITS)
        while r >= 23:
            r = bits(_WEEK_BITS)
        week += 4 + r
        if real() < 0.5:
            mrss = min(51.0, max(0.0, mrss + (-5 + 8 * real())))
            measure, value, unit = "mRSS", round(mrss, 1), "units"
        else:
            fvc = min(150.0, max(10.0, fvc + (-6 + 10 * real())))
            measure, value, unit = "FVC %pred", round(fvc, 1), "% predicted"
        rows.append((f"{case_id}-e{len(rows):02d}", case_id, week, "measurement", None,
                     measure, value, SOURCE.id, "value", unit, None, False))  # fmt: skip
    return rows


_WEEK_BITS = (23).bit_length()
# A generated event's columns (trial, arm, date and series are NULL: not bound per row, a
# quarter of the binding of 22 million rows).
EVENT_INSERT = (
    "INSERT INTO events (id, case_id, week, kind, therapy_id, measure, value, source_id, "
    "statistic, unit, note, verified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _event_record(row: tuple) -> dict:
    """A generated event's row as the record an import file holds (as schema 8 wrote it)."""
    (event_id, case_id, week, kind, therapy, measure, value, source, statistic, unit, note,
     verified) = row  # fmt: skip
    record = {
        "id": event_id,
        "case": case_id,
        "week": week,
        "kind": kind,
        "therapy": therapy,
        "note": note,
    }
    if value is not None:
        record |= {
            "measure": measure,
            "statistic": statistic,
            "value": value,
            "unit": unit,
            "source": source,
            "verified": verified,
        }
    return record


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
        events += item["events"]
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
        store.execute_many(
            EVENT_INSERT,
            events,
        )
