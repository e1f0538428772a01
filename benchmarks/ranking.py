"""Ranking: each tree's top 10 against bm25 over every match, old and new interleaved.

    uv run python benchmarks/ranking.py --db /tmp/rk1m.db \
        --old-tree /tmp/old-ranking --old-db /work/bench-cache/synthetic-1000000.db

The new tree (this checkout) searches --db, which must hold current ranking lists (built
by `sclerotui db synth`, an import, or opening it writable once); the old tree searches
--old-db, the same records in the old schema (the old code refuses a newer schema). Each
round starts one process per tree, old and new alternating; a process searches every
query once to warm its connection, then `--runs` times, dropping what the last search kept
(as after a search for other words). The reference is FTS5's bm25(search_index, 8.0, 1.0)
over every match, nothing cut (the new tree's search with its lists set aside), taken once.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import RANKING_QUERIES  # noqa: E402

HERE = Path(__file__).resolve().parent.parent

WORKER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from sclerotui.query import parse
from sclerotui.search import Search
from sclerotui.store import Store
queries = json.loads(sys.argv[3])
runs = int(sys.argv[4])
with Store(sys.argv[2], read_only=True) as store:
    search = Search(store)
    out = {}
    for label, text in queries.items():
        search.hits(parse(text), limit=100)  # warm the connection's cache
    for label, text in queries.items():
        query = parse(text)
        wall, cpu = [], []
        for _ in range(runs):
            search.drop_kept()
            start, start_cpu = time.perf_counter(), time.process_time()
            hits = search.hits(query, limit=100)
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        proof = getattr(search, "last_proof", None)
        out[label] = {
            "wall": wall, "cpu": cpu, "top": [[h.kind, h.id] for h in hits[:10]],
            "proven": None if proof is None else proof.ranked is not None,
            "resolved": None if proof is None else proof.resolved,
            "proven_hits": None if proof is None or proof.ranked is None else proof.proven,
        }
print(json.dumps(out))
"""


def worker(tree: Path, db: Path, runs: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(tree), str(db), json.dumps(RANKING_QUERIES), str(runs)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def reference(db: Path) -> dict[str, tuple[list, dict, float]]:
    """Per query: the exact top 10, every match's exact score, and the time it took."""
    sys.path.insert(0, str(HERE))
    from sclerotui.query import fts_expression, parse
    from sclerotui.ranking import BODY_WEIGHT, TITLE_WEIGHT
    from sclerotui.search import Search
    from sclerotui.store import Store

    found = {}
    with Store(db, read_only=True) as store:
        search = Search(store)
        search.rank_ready = lambda: False  # FTS5 ranks every match
        for label, text in RANKING_QUERIES.items():
            query = parse(text)
            start = time.perf_counter()
            exact = search.hits(query, limit=10)
            seconds = time.perf_counter() - start
            expansions = {w: search._expand_word(w) for w in query.words}
            scored = dict(
                ((kind, record_id), score)
                for kind, record_id, score in store.read(
                    f"""SELECT kind, record_id, bm25(search_index, {TITLE_WEIGHT}, {BODY_WEIGHT})
                        FROM search_index WHERE search_index MATCH ?""",
                    [fts_expression(query, expansions.get)],
                )
            )
            found[label] = ([(h.kind, h.id) for h in exact], scored, seconds, exact[-1].rank)
    return found


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--old-tree", type=Path, required=True)
    parser.add_argument("--old-db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    trees = {"old": (args.old_tree, args.old_db), "new": (HERE, args.db)}
    results: dict[str, dict[str, dict]] = {"old": {}, "new": {}}
    for _ in range(args.rounds):
        for name, (tree, db) in trees.items():
            for label, got in worker(tree, db, args.runs).items():
                kept = results[name].setdefault(label, {"wall": [], "cpu": []})
                kept["wall"] += got["wall"]
                kept["cpu"] += got["cpu"]
                kept.update(
                    top=got["top"],
                    proven=got["proven"],
                    resolved=got["resolved"],
                    proven_hits=got.get("proven_hits"),
                )
    exact = reference(args.db)
    print(f"load average after the searches and the reference: {os.getloadavg()}")
    print(
        "query | tree | median ms | p95 ms | CPU median ms | same top 10 | overlap | "
        "counting ties | proven (records resolved; hits proven) | exact ranking ms"
    )
    for label, text in RANKING_QUERIES.items():
        top, scored, seconds, tenth = exact[label]
        for name in ("old", "new"):
            got = results[name][label]
            mine = [tuple(key) for key in got["top"]]
            tied = sum(1 for key in mine if scored.get(key, 1e9) <= tenth + 1e-12)
            print(
                f"{label} ({text}) | {name} | {statistics.median(got['wall']) * 1000:.1f} | "
                f"{p95(got['wall']) * 1000:.1f} | {statistics.median(got['cpu']) * 1000:.1f} | "
                f"{mine == top} | {len(set(mine) & set(top))}/10 | {tied}/10 | "
                f"{got['proven']} ({got['resolved']}; {got['proven_hits']}) | {seconds * 1000:.0f}"
            )


if __name__ == "__main__":
    main()
