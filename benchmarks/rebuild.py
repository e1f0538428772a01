"""The ranking lists' rebuild on a copy of a database, timed: with the second read
connection beside the writer's (as the code runs it), or on one connection alone.

    uv run python benchmarks/rebuild.py COPY.db par
    uv run python benchmarks/rebuild.py COPY.db seq

It writes the lists again (the same lists: tests/test_rank_index.py
::test_lists_scanned_on_two_connections_are_those_of_one); use a copy, not a file you read.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from sclerotui import schema
from sclerotui.store import Store


def main() -> None:
    path, mode = Path(sys.argv[1]), sys.argv[2]
    if mode == "seq":
        schema._second_reader = lambda conn: None
    elif mode != "par":
        sys.exit("usage: rebuild.py DB par|seq")
    with Store(path) as store:
        load = os.getloadavg()[0]
        wall, cpu = time.perf_counter(), time.process_time()
        listed = store.rebuild_rank_lists()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{mode}: {listed:,} terms listed, {wall:.2f} s wall, {cpu:.2f} s CPU (load {load:.2f})")


if __name__ == "__main__":
    main()
