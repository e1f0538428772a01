"""Schema 11's evidence (issue 27, docs/performance/size3.md).

    uv run python benchmarks/size3.py plans DB WORK
        copies DB to WORK; runs the list, evidence, pathways, lens and store functions that
        read record_therapies, tracing their statements; prints each distinct statement's
        plan with all three record_therapies indexes and with each dropped in turn (in a
        transaction rolled back); deletes WORK at the end
    uv run python benchmarks/size3.py replace-file DB OUT
        writes OUT: every 100th case of DB (1,000 of 100k) with its events, as our JSON
        (for `sclerotui import --replace OUT`)
    uv run python benchmarks/size3.py delete DB FILE
        times Store._delete_records of FILE's cases in DB, in a transaction rolled back
        (wall and CPU), and checks none of their pathway rows is left

Never writes DB itself, except `delete`, which rolls back.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sclerotui import lens, lists, pathway_index, pathways  # noqa: E402
from sclerotui.facets import Criteria  # noqa: E402
from sclerotui.store import Store  # noqa: E402

INDEXES = (
    "idx_record_therapies_therapy_id_kind_record_id",
    "idx_record_therapies_therapy_id_kind_response_record_id",
    "idx_record_therapies_kind_record_id",
)


def _exercise(store: Store) -> None:
    start = "cyclophosphamide"
    first = store.first(
        "SELECT record_id FROM record_therapies WHERE therapy_id = ? AND kind = 'case'", [start]
    )[0]
    for criteria in (
        Criteria(),
        Criteria(response={"resistant"}),
        Criteria(organ={"lung"}),
        Criteria(therapy={"rituximab"}, response={"resistant"}),
        Criteria(subtype={"diffuse"}),
    ):
        lists.therapies(store, criteria)
        total = lists.evidence_count(store, start, criteria)
        lists.evidence(store, start, criteria, offset=0, total=total)
        lists.evidence(store, start, criteria, offset=max(0, total - 100), total=total)
        lists.evidence_position(store, start, criteria, "case", first)
        pathways.starting_cases(store, start, criteria)
    pathways.walked_tree(store, start, Criteria(subtype={"diffuse"}))
    pathways.walked_cases_at(store, start, ("rituximab",), Criteria())
    pathways.related_trials(store, start, ["rituximab", "nintedanib"])
    pathways.position(store, start)
    pathways.response_mix(store, start)
    step = lens.ProfileStep
    for profile in (
        lens.Profile(
            subtype="diffuse",
            organs=["lung"],
            autoantibodies=["anti-scl-70"],
            steps=[
                step(therapies=[start], response="resistant"),
                step(therapies=["rituximab"], response="responded"),
            ],
        ),
        lens.Profile(steps=[step(therapies=["hsct"], response="responded")]),
    ):
        lens.similar_cases(store, profile)
    store.therapies_of([("case", first), ("trial", "x")])
    ids = [row[0] for row in store.read("SELECT id FROM cases LIMIT 3")]
    list(pathway_index.stored_rows(store.read(pathway_index.stored_cases_sql(len(ids)), ids)))


def plans(source: Path, work: Path) -> None:
    shutil.copyfile(source, work)
    try:
        traced: dict[str, str] = {}

        def note(sql: str) -> None:
            if "record_therapies" in sql and not sql.startswith("EXPLAIN"):
                shape = re.sub(r"'[^']*'", "?", " ".join(sql.split()))
                traced.setdefault(re.sub(r"(\?\s*,\s*)+\?", "?", shape), sql)

        with Store(work) as store:
            store.conn.set_trace_callback(note)
            _exercise(store)
            store.conn.set_trace_callback(None)
        statements = [
            *traced.values(),
            "DELETE FROM record_therapies WHERE kind = 'case' AND record_id IN ('a', 'b')",
            "SELECT 1 FROM record_therapies WHERE therapy_id = 'x'",  # the foreign key's
        ]
        # A fresh connection without a statement cache: a cached EXPLAIN keeps its old plan.
        conn = sqlite3.connect(work, isolation_level=None, cached_statements=0)
        for number, sql in enumerate(statements):
            print(f"\n=== Q{number}: {' '.join(sql.split())[:400]}")
            for dropped in (None, *INDEXES):
                conn.execute("BEGIN")
                if dropped:
                    conn.execute(f"DROP INDEX {dropped}")
                try:
                    plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
                except sqlite3.Error as error:
                    plan = [f"ERROR {error}"]
                conn.execute("ROLLBACK")
                print(f"  -- without {dropped or '(none)'}:")
                for line in plan:
                    print(f"        {line}")
        conn.close()
    finally:
        for leftover in work.parent.glob(f"{work.name}*"):
            leftover.unlink()


def replace_file(source: Path, out: Path) -> None:
    from sclerotui.export import to_json
    from sclerotui.models import Dataset

    with Store(source, read_only=True) as store:
        ids = [row[0] for row in store.read("SELECT id FROM cases ORDER BY id")][::100][:1000]
        cases = [store.case(case_id) for case_id in ids]
        events = [event for case_id in ids for event in store.events("case", case_id)]
    out.write_text(to_json(Dataset(cases=cases, events=events)))
    print(f"{out}: {len(cases)} cases, {len(events)} events")


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def delete(path: Path, file: Path) -> None:
    ids = [case["id"] for case in json.loads(file.read_text())["cases"]]
    with Store(path) as store:
        store.conn.execute("BEGIN")
        wall, used = time.perf_counter(), cpu()
        store._delete_records("case", ids)
        wall, used = time.perf_counter() - wall, cpu() - used
        left = sum(
            store.first(
                f"SELECT count(*) FROM pathway_steps WHERE case_id IN ({','.join('?' * len(c))})",
                c,
            )[0]
            for c in (ids[i : i + 500] for i in range(0, len(ids), 500))
        )
        store.conn.execute("ROLLBACK")
    print(
        f"delete of {len(ids)} cases: {wall * 1000:.0f} ms wall, {used * 1000:.0f} ms CPU; "
        f"their pathway rows left: {left}; load {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    command, *rest = sys.argv[1:] or ["help"]
    if command == "plans":
        plans(Path(rest[0]), Path(rest[1]))
    elif command == "replace-file":
        replace_file(Path(rest[0]), Path(rest[1]))
    elif command == "delete":
        delete(Path(rest[0]), Path(rest[1]))
    else:
        sys.exit(__doc__)
