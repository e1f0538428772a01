"""Each key of the typing benchmark's queries searched in one process, on one Search as the
app keeps it between keys: wall and CPU per key, and how it was ranked.

    uv run python benchmarks/typed_keys.py /tmp/rk1m.db
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import TYPED_QUERIES  # noqa: E402

from sclerotui.query import SearchError  # noqa: E402
from sclerotui.search import Search  # noqa: E402


def main() -> None:
    search = Search.open(Path(sys.argv[1]))
    print(f"load average at start: {os.getloadavg()}")
    for query in TYPED_QUERIES:
        for end in range(1, len(query) + 1):
            text = query[:end]
            start, cpu = time.perf_counter(), time.process_time()
            try:
                hits = search.hits(text, limit=100)
                [hit.snippet for hit in hits[:30]]  # a screenful's snippets, as shown
            except SearchError:
                pass
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            proof = search.last_proof
            how = (
                "FTS5 over every match"
                if proof is None or proof.ranked is None
                else f"proven ({proof.resolved} resolved)"
            )
            print(f"{text!r:24} wall {wall * 1000:7.1f} ms  CPU {cpu * 1000:6.1f} ms  {how}")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
