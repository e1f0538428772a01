"""Export benchmark: `sclerotui export` peak RSS, wall and CPU time, old code against new in
turns, beside the explorer's idle RSS on the same database.

    uv run python benchmarks/exports.py --old /tmp/old-exports/.venv/bin/python \
        --sizes 10000,100000 --formats json,csv

`--old` is the Python of a checkout of the code before (its `-m sclerotui`); each export runs
in a fresh process from a neutral directory, its peak RSS and CPU time from wait4. The
outputs of old and new are compared byte for byte (a dossier's time stamp aside). The old
code's CSV and Markdown grew with cases x events (670 s for CSV at 10,000 cases): they are
run only up to --old-quadratic-max cases.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / "cache"
STAMP = re.compile(rb"_Exported from sclerotui on [^.]*\.")


def run(python: str, argv: list[str], cwd: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of one command."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [python, "-m", "sclerotui", *argv],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    err = child.stderr.read().decode()
    child.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv} failed: {err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def idle_rss(python: str, db: Path, cwd: str) -> float:
    """RSS (MB) of the explorer on db once its first screen is drawn and it waits."""
    code = f"""
import asyncio, gc
from sclerotui.app import SclerotuiApp
from sclerotui.store import Store
async def main():
    gc.disable()
    app = SclerotuiApp(Store({str(db)!r}, read_only=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(1.0)
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmRSS')))
asyncio.run(main())
"""
    out = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True, cwd=cwd
    ).stdout
    return int(out.strip().splitlines()[-1]) / 1024


def digest(path: Path) -> str:
    hashed = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hashed.update(STAMP.sub(b"", block))
    return hashed.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True, help="python of the checkout before")
    parser.add_argument("--new", default=sys.executable)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--formats", default="json,csv")
    parser.add_argument("--old-quadratic-max", type=int, default=10000)
    parser.add_argument("--skip-old", action="store_true", help="new code only")
    args = parser.parse_args()
    neutral = tempfile.mkdtemp(prefix="export-bench-")  # `-m sclerotui` must not see a tree
    os.environ["SCLEROTUI_DATA_DIR"] = neutral
    print(f"load average at the start: {os.getloadavg()}")
    for size in map(int, args.sizes.split(",")):
        db = CACHE / f"synthetic-{size}.db"
        idle = idle_rss(args.new, db, neutral)
        print(
            f"\n== {size:,} cases ({db.stat().st_size / 1e6:,.0f} MB); explorer idle {idle:.0f} MB"
        )
        for fmt in args.formats.split(","):
            sides = ["new"]
            quadratic = fmt in ("csv", "md") and size > args.old_quadratic_max
            if not args.skip_old and not quadratic:
                sides = ["old", "new"]
            outputs = {}
            for side in sides:
                python = args.old if side == "old" else args.new
                out = Path(neutral) / f"{side}.{fmt}"
                argv = ["--db", str(db), "--read-only", "export", "--format", fmt, "-o", str(out)]
                wall, cpu, rss = run(python, argv, neutral)
                outputs[side] = out
                print(
                    f"{fmt} {side}: {wall:6.1f} s wall, {cpu:6.1f} s CPU, peak RSS {rss:7,.0f} MB"
                    f" ({rss / idle:.2f}x idle; target <= 2), {out.stat().st_size / 1e6:,.0f} MB"
                    f" written; load {os.getloadavg()[0]:.2f}"
                )
            if len(outputs) == 2:
                same = digest(outputs["old"]) == digest(outputs["new"])
                print(f"{fmt}: old and new outputs {'identical' if same else 'DIFFER'}")
            elif quadratic and not args.skip_old:
                print(f"{fmt} old: not run (grows with cases x events; see the docstring)")
            for out in outputs.values():
                out.unlink()
    print(f"\nload average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
