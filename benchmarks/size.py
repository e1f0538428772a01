"""Database size and upgrade time (issue 27, schemas 9 and 11).

    uv run python benchmarks/size.py breakdown DB CASES
        bytes per case, table by table and index by index (SQLite's dbstat), read-only
    uv run python benchmarks/size.py upgrade OLDER_DB WORK_DIR
        copies an older file into WORK_DIR, opens it writable with this code (the backup,
        the migrations, and from a schema before 9 the VACUUM after them, as a user's first
        start does), prints wall and CPU time and the size after; deletes the copy and its
        backup at the end

Never writes the database it is given (the copy is worked on).
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sclerotui.store import Store  # noqa: E402


def breakdown(path: Path, cases: int) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = conn.execute(
        "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
    ).fetchall()
    total = sum(size for _, size in rows)
    print("| object | MB | share | bytes/case |\n|---|---:|---:|---:|")
    for name, size in rows:
        if size / cases >= 1:
            print(f"| {name} | {size / 1e6:.1f} | {100 * size / total:.1f}% | {size / cases:.0f} |")
    print(f"| **total** | {total / 1e6:.1f} | 100% | **{total / cases:.0f}** |")
    print(f"file: {path.stat().st_size:,} bytes, {path.stat().st_size / cases:,.0f} per case")


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def upgrade(source: Path, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    copy = work / source.name
    shutil.copyfile(source, copy)
    print(f"copied {source} ({source.stat().st_size / 1e9:.2f} GB); load {os.getloadavg()}")
    try:
        wall, used = time.perf_counter(), cpu()
        store = Store(copy)
        wall, used = time.perf_counter() - wall, cpu() - used
        print(
            f"open with upgrade from schema {store.upgraded_from}: {wall:.0f} s wall, "
            f"{used:.0f} s CPU (the backup copy, the migrations); load {os.getloadavg()}"
        )
        backup = store.backup_path
        if backup is not None:
            backup.unlink()
        free = store.first("PRAGMA freelist_count")[0] * store.first("PRAGMA page_size")[0]
        store.close()  # its WAL checkpointed into the file
        print(f"after: {copy.stat().st_size / 1e9:.2f} GB file, {free / 1e9:.2f} GB free pages")
    finally:
        for leftover in work.glob(f"{copy.stem}*"):
            leftover.unlink()


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    if command == "breakdown":
        breakdown(Path(rest[0]), int(rest[1]))
    elif command == "upgrade":
        upgrade(Path(rest[0]), Path(rest[1]))
    else:
        sys.exit(__doc__)
