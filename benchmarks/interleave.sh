#!/bin/bash
# Old against new, interleaved: benchmarks/run.py of an old checkout and of this tree,
# alternating, with the load average before and after each (docs/performance/size.md).
# Each tree's benchmarks/cache/synthetic-N.db is the database it is measured on.
# usage: benchmarks/interleave.sh OLD_TREE N PARTS ROUNDS OUT
old=$1; size=$2; parts=$3; rounds=$4; out=$5
new=$(cd "$(dirname "$0")/.." && pwd)
for r in $(seq 1 "$rounds"); do
  for side in old new; do
    if [ $side = old ]; then dir=$old; else dir=$new; fi
    echo "=== round $r $side ($dir, $(git -C "$dir" log --oneline -1)) load: $(cat /proc/loadavg) $(date -u +%T)" >> "$out"
    (cd "$dir" && uv run python benchmarks/run.py --sizes "$size" --runs 5 --only "$parts") >> "$out" 2>&1
    echo "--- end load: $(cat /proc/loadavg) $(date -u +%T)" >> "$out"
  done
done
