"""Registry import speed, old code against new: ClinicalTrials.gov records through parse_registry.

    uv run python benchmarks/registry.py --old REV [--rounds 10] [--repeat 30] [--cli]

REV (a commit, e.g. the one before a change) is unpacked with `git archive` into a temporary
directory. Each round starts one fresh process for the old tree and one for the new (this
checkout), in alternating order, and each times every workload --repeat times (the median is
kept), as CPU time of the process (what a busy machine disturbs least) and as wall time. The
figure per workload is the median over rounds, with the old/new ratio: the two are measured in
the same run, interleaved.

Workloads: each registry fixture of tests/fixtures/registry (one study, pages, the bad page,
whose problems are the error path), and a page of 300 studies made of the fixture studies with
their NCT ids renumbered (studies with results, matched arms, analyses). Parsing the JSON text
is not timed: both read the same parsed object. Each is timed with the cycle collector off,
as `sclerotui import` reads files (importing.collector_paused), and on, as a caller of
parse_registry alone would have it. With --cli, the whole command instead: `sclerotui import
--check` of the 300-study page on a database built from the bundled data (start-up, reading
the JSON, the mapping, the checks), old and new processes alternating.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "registry"


def workloads() -> dict[str, object]:
    found: dict[str, object] = {}
    studies = []
    for path in sorted(FIXTURES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[path.name] = data
        if path.name == "bad_studies.json":
            continue
        for study in data.get("studies", [data]):
            if isinstance(study, dict) and "protocolSection" in study:
                studies.append(study)
    page = []
    for index in range(300):
        study = copy.deepcopy(studies[index % len(studies)])
        study["protocolSection"]["identificationModule"]["nctId"] = f"NCT{91000000 + index}"
        page.append(study)
    found["page of 300 studies"] = {"studies": page}
    return found


def worker(repeat: int) -> None:
    """Time each workload in this process (whichever sclerotui PYTHONPATH gives)."""
    import sclerotui
    from sclerotui.dataset import bundled_dir, load_directory
    from sclerotui.importers.registry import parse_registry
    from sclerotui.models import DataError

    therapies = load_directory(bundled_dir()).therapies
    times: dict[str, float] = {}
    for name, data in workloads().items():
        for collector in ("off", "on"):
            if collector == "off":
                gc.disable()  # as `sclerotui import` reads files (importing.collector_paused)
            cpu, wall = [], []
            for _ in range(repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                with contextlib.suppress(DataError):  # the bad page: the error path
                    parse_registry(data, name, therapies)
                cpu.append(time.process_time() - started_cpu)
                wall.append(time.perf_counter() - started)
            gc.enable()
            gc.collect()
            times[f"{name}, gc {collector}, cpu"] = statistics.median(cpu)
            times[f"{name}, gc {collector}, wall"] = statistics.median(wall)
    print(json.dumps({"package": sclerotui.__file__, "times": times}))


def run_tree(tree: Path, repeat: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    result = subprocess.run(
        [sys.executable, __file__, "--worker", "--repeat", str(repeat)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
    )
    answer = json.loads(result.stdout)
    assert answer["package"].startswith(str(tree)), answer["package"]  # the tree asked for
    return answer["times"]


def run_cli(tree: Path, database: Path, page: Path) -> tuple[float, float, int]:
    """`sclerotui import --check PAGE` in a fresh process: its CPU time, wall time, exit code."""
    env = {**os.environ, "PYTHONPATH": str(tree), "SCLEROTUI_DATA_DIR": str(database.parent)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "sclerotui", "--db", str(database), "import", "--check", str(page)],
        env=env,
        capture_output=True,
        cwd=tree,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return cpu, wall, result.returncode


def end_to_end(old_tree: Path, rounds: int, directory: Path) -> None:
    import sysconfig

    # Byte-compiled, as an installed app is (this machine sets PYTHONDONTWRITEBYTECODE): else
    # each start compiles what it imports, and the figure is mostly the compiler's.
    for where in (old_tree / "sclerotui", ROOT / "sclerotui", sysconfig.get_paths()["purelib"]):
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", "-j", "0", str(where)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    database = directory / "bundled.db"
    subprocess.run(
        [sys.executable, "-m", "sclerotui", "db", "build", "--out", str(database)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SCLEROTUI_DATA_DIR": str(directory)},
        check=True,
        capture_output=True,
    )
    page = directory / "page.json"
    page.write_text(json.dumps(workloads()["page of 300 studies"]), encoding="utf-8")
    found: dict[str, list[tuple[float, float, int]]] = {"old": [], "new": []}
    for round_index in range(rounds):
        order = [("old", old_tree), ("new", ROOT)]
        if round_index % 2:
            order.reverse()
        for label, tree in order:
            found[label].append(run_cli(tree, database, page))
    print(f"sclerotui import --check of the 300-study page ({page.stat().st_size:,} bytes):")
    for label in ("old", "new"):
        cpu = statistics.median(run[0] for run in found[label]) * 1000
        wall = statistics.median(run[1] for run in found[label]) * 1000
        codes = sorted({run[2] for run in found[label]})
        print(f"  {label}: cpu {cpu:7.1f} ms, wall {wall:7.1f} ms, exit {codes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", help="the commit to compare with (git rev)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--cli", action="store_true", help="time `sclerotui import --check` end to end instead"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.repeat)
        return
    if not args.old:
        parser.error("--old REV is needed (the commit to compare with)")
    with tempfile.TemporaryDirectory(prefix="registry-old-") as directory:
        old_tree = Path(directory)
        archive = subprocess.run(
            ["git", "archive", args.old, "sclerotui", "db"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(old_tree)], input=archive, check=True)
        if args.cli:
            with tempfile.TemporaryDirectory(prefix="registry-cli-") as scratch:
                end_to_end(old_tree, args.rounds, Path(scratch))
            print("load average:", Path("/proc/loadavg").read_text().strip())
            return
        results: dict[str, dict[str, list[float]]] = {"old": {}, "new": {}}
        loads = []
        for round_index in range(args.rounds):
            order = [("old", old_tree), ("new", ROOT)]
            if round_index % 2:
                order.reverse()
            for label, tree in order:
                for name, seconds in run_tree(tree, args.repeat).items():
                    results[label].setdefault(name, []).append(seconds)
            loads.append(Path("/proc/loadavg").read_text().split()[0])
    print(f"{args.rounds} rounds x {args.repeat} repeats; load average per round:", *loads)
    print(f"{'workload':46} {'old ms':>9} {'new ms':>9} {'new/old':>8}")
    for name in sorted(results["old"], key=lambda name: (name.endswith("wall"), name)):
        old = statistics.median(results["old"][name]) * 1000
        new = statistics.median(results["new"][name]) * 1000
        print(f"{name:46} {old:9.3f} {new:9.3f} {new / old:8.2f}")


if __name__ == "__main__":
    main()
