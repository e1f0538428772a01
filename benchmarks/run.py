"""Benchmarks: start-up, search as you type, browsing, memory, import and size at scale.

    uv run python benchmarks/run.py [--sizes 10000,100000,1000000] [--runs 5]
        [--only startup,typing,pilot,pathways,ranking,lens,memory,import]

Synthetic databases are cached in benchmarks/cache/ (built by `sclerotui db synth`). Every
figure is a median over --runs runs with a baseline measured in the same run, so ratios hold on
a noisy machine. Nothing here is a pass/fail test; targets are compared in the printed table.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import fcntl
import gc
import json
import os
import platform
import pty
import re
import resource
import select
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / "cache"
sys.path.insert(0, str(ROOT))

QUERIES = {
    "one word": "fatigue",
    "two words": "skin thickening",
    "prefix": "reticul",
    "field filter": "organ:lung response:resistant",
}

BASELINE_APP = """
from textual.app import App
from textual.containers import Horizontal
from textual.widgets import Footer, Header, OptionList, Static

class Baseline(App):
    CSS = "OptionList, Static { width: 1fr; height: 1fr; }"
    def compose(self):
        yield Header()
        with Horizontal():
            yield OptionList(*[f"row {i}" for i in range(30)])
            yield Static("Detail pane")
            yield Static("Timeline pane")
        yield Footer()

Baseline().run()
"""


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def database(cases: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"synthetic-{cases}.db"
    if not path.exists():
        print(f"building {path} ({cases:,} cases) …", file=sys.stderr)
        partial = path.with_suffix(".partial")  # an interrupted build is not cached
        partial.unlink(missing_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sclerotui",
                "db",
                "synth",
                "--cases",
                str(cases),
                "--out",
                str(partial),
            ],
            check=True,
        )
        partial.rename(path)
    return path


# -- 1. start-up in a real pseudo-terminal ---------------------------------------------------


def first_paint(
    argv: list[str], markers: list[bytes], timeout: float = 30.0, cwd: Path | None = None
) -> list[float]:
    """Seconds from spawning argv in a pty to each of `markers` first appearing in its output
    (run in `cwd`: `python -m sclerotui` there runs that checkout's code)."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the program
        os.environ.update({"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"})
        if cwd is not None:
            os.chdir(cwd)
        os.execvp(argv[0], argv)
    seen = b""
    at: dict[bytes, float] = {}
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.01)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
                now = time.perf_counter() - start
                for marker in markers:
                    if marker not in at and marker in seen:
                        at[marker] = now
                if len(at) == len(markers):
                    return [at[marker] for marker in markers]
        missing = [marker for marker in markers if marker not in at]
        raise RuntimeError(f"{argv[:3]} did not paint {missing!r} within {timeout}s")
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


def compile_bytecode(trees: list[Path] = ()) -> None:
    """Byte-compile the app and its packages, as installing a wheel (or any earlier start on
    a machine that keeps .pyc files) does; otherwise every start compiles what it imports."""
    import sysconfig

    wheres = [ROOT / "sclerotui", Path(sysconfig.get_paths()["purelib"])]
    for where in [*wheres, *(Path(tree) / "sclerotui" for tree in trees)]:
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", "-j", "0", str(where)],
            check=True,
            stdout=subprocess.DEVNULL,
        )


# What the explorer's screen shows, in the order it fills: the panes (its first frame), the
# evidence list of the first therapy (its title names the therapy and counts the rows), and the
# first record in the detail pane (a synthetic database lists a case first).
STARTUP_MARKERS = [b"Outcome timeline", "Evidence —".encode(), b"Therapy sequence"]


# Start-ups are cheap to repeat and the noisiest figure: in one sample of 12 the minimal app
# took 334 ms at best and 425 ms at the median. A ratio of 5-run medians moved from 1.16
# to 1.56 between runs of the same code.
STARTUP_RUNS = 15


def bench_startup(
    db: Path, runs: int, trees: list[Path] = ()
) -> tuple[list[float], float, list[list[float]]]:
    """Medians of the app's first paint, lists filled and detail filled, and of the baseline's
    first paint, run in turns (so drift in the machine's speed falls on both alike); at
    least STARTUP_RUNS of each. `trees`: other checkouts (an older commit's), started in the
    same turns; their medians come last."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(BASELINE_APP)
    baseline, app = [], []
    others: list[list] = [[] for _ in trees]
    argv = [sys.executable, "-m", "sclerotui", "--db", str(db), "--read-only"]
    for _ in range(max(runs, STARTUP_RUNS)):
        baseline += first_paint([sys.executable, handle.name], [b"Timeline pane"])
        app.append(first_paint(argv, STARTUP_MARKERS, cwd=ROOT))
        for tree, times in zip(trees, others, strict=True):
            times.append(first_paint(argv, STARTUP_MARKERS, cwd=tree))
    os.unlink(handle.name)

    def medians(samples: list) -> list[float]:
        return [median(moment) for moment in zip(*samples, strict=True)]

    return medians(app), median(baseline), [medians(times) for times in others]


# -- 1b. every key of whole queries, typed in a real pseudo-terminal -------------------------

# Typed key by key from an empty search box: each key's own search, one-letter words and a
# filter followed by a short word included.
TYPED_QUERIES = ["organ:lung r", "skin thickening", "rituximab", "fatigue of hand"]

# The same-run baseline: a minimal app whose only work per key is to show the text typed in
# the same words as the app's results title (so the same marker finds both).
TYPING_BASELINE_APP = """
from textual.app import App
from textual.widgets import Input, Static

class Baseline(App):
    CSS = "Static { height: 1fr; border: round $primary; }"
    def compose(self):
        yield Input(id="search")
        yield Static("Detail pane", id="out")
    def on_input_changed(self, event):
        out = self.query_one("#out")
        out.border_title = f"1 result for {event.value}"
        out.update(event.value)

Baseline().run()
"""

ESCAPES = re.compile(
    rb"\x1b\[[0-9;:?<>=]*[ -/]*[@-~]"  # CSI: cursor moves, colours, modes
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    rb"|\x1b[()][0-9A-Za-z]|\x1b[=>78]"
)


class Terminal:
    """A program in a pseudo-terminal of 120x40, read as a terminal would be."""

    def __init__(self, argv: list[str], cwd: Path | None = None) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        self.process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            cwd=cwd,
        )
        os.close(slave)
        self.fd, self.output = master, b""

    def until(self, pattern: re.Pattern[bytes], since: int, timeout: float = 60.0) -> float:
        """perf_counter() when `pattern` first shows in what was written after byte `since`
        (escape sequences removed: a title is written between colour changes)."""
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            if pattern.search(ESCAPES.sub(b"", self.output[since:])):
                return time.perf_counter()
            ready, _, _ = select.select([self.fd], [], [], 0.5)
            if ready:
                try:
                    self.output += os.read(self.fd, 1 << 16)
                except OSError:
                    break
        raise RuntimeError(f"{pattern.pattern!r} never shown (last: {self.output[-300:]!r})")

    def drain(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    self.output += os.read(self.fd, 1 << 16)
                except OSError:
                    return

    def send(self, data: bytes) -> tuple[int, float]:
        since = len(self.output)
        os.write(self.fd, data)
        return since, time.perf_counter()

    def close(self) -> float:
        """Stop the program; the CPU seconds (user and system) it used."""
        self.process.kill()
        _, _, usage = os.wait4(self.process.pid, 0)
        self.process.returncode = -9
        os.close(self.fd)
        return usage.ru_utime + usage.ru_stime


def shown_for(text: str) -> re.Pattern[bytes]:
    """What the screen shows once a search's outcome for `text` is drawn: its results'
    title, its no-results message, or its error."""
    said = re.escape(text.encode())
    return re.compile(
        rb"results? for "
        + said
        + rb"(?![^\s\xe2])|No results for \xe2\x80\x9c"
        + said
        + rb"\xe2\x80\x9d|Search: cannot search"
    )


def type_queries(
    argv: list[str],
    ready: bytes,
    focus: bytes,
    gap: float,
    cwd: Path | None = None,
    cpu: list[float] | None = None,
) -> list[tuple[str, float | None]]:
    """Seconds from each key written to the pty to its outcome on screen, over every key of
    TYPED_QUERIES, after `focus` (keys that put the cursor in the search box); `gap` seconds
    pass between one key's outcome and the next key. The program's CPU seconds, start-up
    and typing, are added to `cpu`: on a busy machine a steadier figure than the wall clock."""
    terminal = Terminal(argv, cwd)
    try:
        terminal.until(re.compile(re.escape(ready)), 0)
        terminal.drain(1.0)
        terminal.send(focus)
        terminal.drain(0.5)
        times = []
        for query in TYPED_QUERIES:
            for end in range(1, len(query) + 1):
                since, sent = terminal.send(query[end - 1].encode())
                try:
                    shown = terminal.until(shown_for(query[:end]), since, timeout=10.0)
                except RuntimeError:  # (seen once in 600 keys: the title was not found)
                    times.append((query[:end], None))
                    continue
                times.append((query[:end], shown - sent))
                terminal.drain(gap)
            terminal.send(b"\x15")  # ctrl+u: the box empties, the evidence list comes back
            terminal.drain(0.8)
        return times
    finally:
        used = terminal.close()
        if cpu is not None:
            cpu.append(used)


def bench_typing(
    db: Path, runs: int, gap: float = 0.15, trees: list[Path] = ()
) -> tuple[list[tuple[str, float]], list[tuple[str, float]], list[list[tuple[str, float]]]]:
    """Every key of the typed queries in the app and in the baseline, runs in turns; and in
    the app from other checkouts (`trees`), in the same turns."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(TYPING_BASELINE_APP)
    app, baseline = [], []
    others: list[list] = [[] for _ in trees]
    argv = [sys.executable, "-m", "sclerotui", "--db", str(db), "--read-only"]
    for _ in range(max(1, runs // 2)):
        baseline += type_queries([sys.executable, handle.name], b"Detail pane", b"", gap)
        app += type_queries(argv, b"Outcome timeline", b"/", gap, ROOT, TYPING_CPU[ROOT])
        for tree, times in zip(trees, others, strict=True):
            times += type_queries(argv, b"Outcome timeline", b"/", gap, tree, TYPING_CPU[tree])
    os.unlink(handle.name)
    return app, baseline, others


TYPING_CPU: dict[Path, list[float]] = collections.defaultdict(list)  # per checkout, per run


# -- 2 and 3. search as you type and browsing, driven through Pilot --------------------------


def raw_fts(db: Path, query: str) -> float:
    """The baseline: the FTS5 query alone on the same database, best of 5."""
    from sclerotui.query import fts_expression, parse

    expression = fts_expression(parse(query))
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        if expression:
            conn.execute(
                "SELECT rowid FROM search_index WHERE search_index MATCH ? "
                "ORDER BY bm25(search_index) LIMIT 100",
                [expression],
            ).fetchall()
        else:  # a filter-only query: the facet lookup it needs
            conn.execute(
                "SELECT record_id FROM facets WHERE facet = 'organ' AND value = 'lung' LIMIT 100"
            ).fetchall()
        times.append(time.perf_counter() - start)
    conn.close()
    return median(times)


class Frames:
    """When the screen first paints a frame for which each of some conditions holds.

    Wraps the main screen's compositor refresh: the moment a frame has been composed is the
    moment a terminal would receive it. Pilot's own waits (it sleeps until the process looks
    idle) are not part of any figure.
    """

    def __init__(self, screen) -> None:
        self.conditions: list = []
        self.at: list[float | None] = []
        self.seen = asyncio.Event()
        paint = screen._compositor_refresh

        def timed_paint() -> None:
            paint()
            now = time.perf_counter()
            for index, condition in enumerate(self.conditions):
                if self.at[index] is None and condition():
                    self.at[index] = now
            if self.conditions and None not in self.at:
                self.seen.set()

        screen._compositor_refresh = timed_paint

    def expect(self, *conditions) -> None:
        self.conditions, self.at = list(conditions), [None] * len(conditions)
        self.seen.clear()

    async def since(self, start: float, timeout: float = 30.0) -> list[float]:
        """Seconds from start to the first frame showing each expected state.

        Waits on an event the frame sets, rather than polling: a poll wakes the event loop,
        which then takes the interpreter's lock from a search worker (the figures did not
        move measurably when this changed)."""
        try:
            await asyncio.wait_for(self.seen.wait(), timeout)
        except TimeoutError:
            raise RuntimeError("the expected frame never came") from None
        self.conditions = []
        return [at - start for at in self.at]


TYPED = "skin thickening"  # then one more key, "s", is timed from its arrival to its echo
ECHO_DELAYS = {
    # when the key arrives: seconds after the search's last key was handled, or after its
    # results' first frame
    "idle (baseline)": ("results", [0.4]),
    "while a search runs": ("typed", [0.0, 0.005, 0.010, 0.015]),
    "while results are drawn": ("results", [0.0, 0.010, 0.020, 0.030]),
}


async def key_echoes(pilot, frames: Frames, runs: int) -> dict[str, list[float]]:
    """Key echo: from a key's arrival to the first frame whose search box shows it.

    The key comes from another thread, as a terminal's input thread delivers it, at a set
    moment: while the search for the text so far runs, or while its results are drawn (the
    rest of the hits are added after the first frame), against the same key with nothing
    running. Typing must never wait for a search or for its results."""
    from textual.events import Key

    app, screen = pilot.app, pilot.app.main_screen
    box = screen.query_one("#search")
    echoes: dict[str, list[float]] = {}
    for label, (after, delays) in ECHO_DELAYS.items():
        echoes[label] = []
        for run in range(max(runs, 5)):
            delay = delays[run % len(delays)]
            box.value = ""
            await pilot.pause()
            box.focus()
            await pilot.press(*TYPED[:-1])
            await pilot.pause(0.1)
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen.search_shown = None
            typed, results, sent = threading.Event(), threading.Event(), []

            def shown(results=results) -> bool:
                if screen.search_shown == TYPED:
                    results.set()
                    return True
                return False

            def typist(begin=typed if after == "typed" else results, sent=sent, delay=delay):
                begin.wait(10)
                time.sleep(delay)
                sent.append(time.perf_counter())
                app.post_message(Key("s", "s"))

            threading.Thread(target=typist, daemon=True).start()
            echo = lambda: box.value == TYPED + "s"  # noqa: E731
            # A key during the search cancels it: its results never show.
            frames.expect(*([echo] if after == "typed" else [shown, echo]))
            start = time.perf_counter()
            await pilot.press(TYPED[-1])
            typed.set()
            echoed = (await frames.since(start))[-1]
            echoes[label].append(start + echoed - sent[0])
            await pilot.pause(0.2)
            await app.workers.wait_for_complete()
    return echoes


async def pilot_measurements(db: Path, runs: int) -> dict:
    from sclerotui import lists
    from sclerotui.app import SclerotuiApp
    from sclerotui.store import Store
    from sclerotui.widgets.detail import DetailView
    from sclerotui.widgets.evidence_list import EvidenceList
    from sclerotui.widgets.therapy_list import TherapyList

    # As `sclerotui` launches it (cli.cmd_launch): the cycle collector off until the first
    # frame, then back on with start-up's objects frozen (SclerotuiApp.on_ready). Left on,
    # a full collection over them (31-53 ms at 1M cases) lands in some timed searches.
    gc.disable()
    app = SclerotuiApp(Store(db, read_only=True))
    # The frame rate the app set before it imported Textual (an import here would sort first).
    fps = sys.modules["textual.constants"].MAX_FPS
    results: dict = {"search": {}, "browse": {}, "fps": fps}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        frames = Frames(screen)
        box = screen.query_one("#search")
        results["search, nothing kept"] = {}
        for label, query in QUERIES.items():
            for kept in (True, False):
                times = []
                for _ in range(runs):
                    box.value = ""
                    await pilot.pause()
                    box.focus()
                    await pilot.press(*query[:-1])
                    await pilot.pause(0.1)  # the search for the text so far has started
                    await app.workers.wait_for_complete()
                    await pilot.pause()
                    if not kept:  # as if the last search had matched other records
                        screen.search.drop_kept()
                    screen.search_shown = None  # this run's results are not on screen yet
                    frames.expect(lambda query=query: screen.search_shown == query)
                    start = time.perf_counter()
                    await pilot.press(query[-1])
                    times.append((await frames.since(start))[0])
                results["search" if kept else "search, nothing kept"][label] = times
        results["typing"] = await key_echoes(pilot, frames, runs)
        box.value = ""
        await pilot.press("escape")
        await pilot.pause()
        busiest = max(lists.therapies(screen.store), key=lambda row: row.cases)
        other = "nintedanib" if busiest.therapy.id != "nintedanib" else "hsct"
        evidence = screen.query_one(EvidenceList)
        detail = screen.query_one(DetailView)

        def position() -> int:
            return evidence.window_offset + (evidence.highlighted or 0)

        def detail_follows() -> bool:
            view = detail.current
            return view is not None and (view.kind, view.record.id) == evidence.item

        async def timed(action, moved) -> tuple[float, float]:
            """(first frame showing the list moved, first frame with the detail following)."""
            frames.expect(moved, lambda: moved() and detail_follows())
            start = time.perf_counter()
            await action()
            listed, followed = await frames.since(start)
            await pilot.pause()
            return listed, followed

        async def fresh_list() -> None:
            screen.jump_to("therapy", other)
            await pilot.pause()
            screen.jump_to("therapy", busiest.therapy.id)
            await pilot.pause()
            evidence.focus()
            await pilot.pause()

        therapies = screen.query_one(TherapyList)

        async def select() -> None:  # the therapy list's cursor lands on it, as a key would
            therapies.highlighted = therapies.get_option_index(busiest.therapy.id)

        def listed() -> bool:
            return (
                screen.therapy_id == busiest.therapy.id
                and evidence.total == busiest.trials + busiest.cases
                and evidence.option_count > 0
            )

        measured: dict[str, list[tuple[float, float]]] = {"select therapy": [], "page down": []}
        measured["jump to end"] = []
        for _ in range(runs):
            therapies.focus()
            therapies.highlighted = therapies.get_option_index(other)
            await pilot.pause()
            measured["select therapy"].append(await timed(select, listed))
            await fresh_list()
            for _ in range(3):  # each page-down on its own
                before = position()
                measured["page down"].append(
                    await timed(
                        lambda: pilot.press("pagedown"), lambda before=before: position() > before
                    )
                )
            await fresh_list()
            measured["jump to end"].append(
                await timed(lambda: pilot.press("end"), lambda: position() == evidence.total - 1)
            )
        for action, pairs in measured.items():
            results["browse"][action] = [listed for listed, _ in pairs]
            results["browse"][f"{action} + detail"] = [followed for _, followed in pairs]
        results["rows_held"] = evidence.option_count
        results["busiest_cases"] = evidence.total
        results["frozen"] = gc.get_freeze_count()
    app.store.close()
    gc.unfreeze()  # the next database's run starts as a new process would: this run's
    gc.enable()  # garbage collected, not frozen with the next start-up's objects
    gc.collect()
    return results


PATHWAY_FILTERS = {
    "no filters": {},
    "organ:lung": {"organ": frozenset({"lung"})},
    "subtype:diffuse antibody:anti-scl-70": {
        "subtype": frozenset({"diffuse"}),
        "antibody": frozenset({"anti-scl-70"}),
    },
}


def bench_pathways(
    db: Path, runs: int
) -> tuple[dict[str, tuple[float, float, float, float, int]], str]:
    """For the busiest therapy, with and without filters: the pathway tree, the cases behind
    its first node (what moving the tree's cursor waits for), the count of its starting
    cases, and the same tree walked by the recursive query (the baseline: what the tree
    took before pathway_steps, once per filter); and the number of nodes."""
    from sclerotui import lists
    from sclerotui.facets import Criteria
    from sclerotui.pathways import cases_at, pathway_tree, starting_cases, walked_tree
    from sclerotui.store import Store

    results = {}
    with Store(db, read_only=True) as store:
        busiest = max(lists.therapies(store), key=lambda row: row.cases).therapy.id
        for label, values in PATHWAY_FILTERS.items():
            criteria = Criteria(**values)
            tree, cases, count = [], [], []
            for _ in range(runs):
                start = time.perf_counter()
                nodes = pathway_tree(store, busiest, criteria)
                tree.append(time.perf_counter() - start)
                start = time.perf_counter()
                cases_at(store, busiest, nodes[0].path, criteria)
                cases.append(time.perf_counter() - start)
                start = time.perf_counter()
                starting_cases(store, busiest, criteria)
                count.append(time.perf_counter() - start)
            start = time.perf_counter()
            walked = walked_tree(store, busiest, criteria)
            walk = time.perf_counter() - start
            assert [n.path for n in walked] == [n.path for n in nodes], "table != walk"
            results[label] = (median(tree), median(cases), median(count), walk, len(nodes))
    return results, busiest


# -- 3b. ranking against the exact bm25 ranking ------------------------------------------------

RANKING_QUERIES = {
    "one common word": "fatigue",
    "two words": "skin thickening",
    "prefix": "reticul",
    "phrase": '"ground glass"',
    "one word, filtered": "fatigue organ:lung",
    "two words, filtered": "skin thickening subtype:diffuse",
    "prefix, filtered": "reticul organ:renal",
    "phrase, filtered": '"ground glass" subtype:limited',
}


def bench_ranking(db: Path) -> list[tuple]:
    """For each query: the app's search (as the screen asks it: 100 hits, criteria resolved;
    median of 3 with nothing kept from an earlier search), and how many of its top 10 are in
    the top 10 of bm25 over every match with the same column weights (FTS5's own ranking,
    nothing cut, nothing estimated); "counting ties": the app's hits whose exact score is
    no worse than the exact 10th's. (benchmarks/ranking.py compares old and new code.)"""
    from sclerotui.query import fts_expression, parse
    from sclerotui.ranking import BODY_WEIGHT, TITLE_WEIGHT
    from sclerotui.search import Search
    from sclerotui.store import Store

    results = []
    with Store(db, read_only=True) as store:
        search = Search(store)
        for label, text in RANKING_QUERIES.items():
            query = parse(text)
            times = []
            for _ in range(3):
                search.drop_kept()
                start = time.perf_counter()
                hits = search.hits(query, limit=100)
                times.append(time.perf_counter() - start)
            exact_search = Search(store)
            exact_search.rank_ready = lambda: False  # no ranking lists: FTS5 ranks every match
            start = time.perf_counter()
            exact = exact_search.hits(query, limit=10)
            exact_seconds = time.perf_counter() - start
            mine = {(hit.kind, hit.id) for hit in hits[:10]}
            overlap = len(mine & {(hit.kind, hit.id) for hit in exact})
            expression = fts_expression(query, {w: search._expand_word(w) for w in query.words}.get)
            scored = {
                (kind, record_id): score
                for kind, record_id, score in store.read(
                    f"""SELECT kind, record_id, bm25(search_index, {TITLE_WEIGHT}, {BODY_WEIGHT})
                        FROM search_index WHERE search_index MATCH ?""",
                    [expression],
                )
            }
            tenth = exact[-1].rank if exact else 0.0
            tied = sum(1 for key in mine if scored.get(key, 1e9) <= tenth + 1e-9)
            results.append(
                (label, text, median(times) * 1000, overlap, tied, exact_seconds * 1000,
                 len(scored))
            )  # fmt: skip
    return results


def bench_lens(db: Path, runs: int) -> dict[str, float]:
    """The patient lens: similar cases for two profiles (with failed therapies, as a
    clinician brings them, and without), the trials' eligibility, and the pathways from her
    last failed therapy (a worker's job), against the same-run baseline of counting the
    cases that failed her first therapy (one indexed count over the same table)."""
    from sclerotui import lists
    from sclerotui.lens import Profile, ProfileStep, lens_pathways, similar_cases, trial_fit
    from sclerotui.store import Store

    with Store(db, read_only=True) as store:
        busiest = sorted(lists.therapies(store), key=lambda row: -row.cases)
        first, second = busiest[0].therapy.id, busiest[1].therapy.id
        failed = Profile(
            subtype="diffuse",
            autoantibodies=["anti-scl-70"],
            organs=["lung", "skin"],
            steps=[
                ProfileStep(therapies=[first], response="resistant"),
                ProfileStep(therapies=[second], response="resistant"),
            ],
            fvc=55,
        )
        untreated = Profile(subtype="diffuse", autoantibodies=["anti-scl-70"], organs=["lung"])
        timings: dict[str, list[float]] = {}

        def timed(label, call):
            start = time.perf_counter()
            call()
            timings.setdefault(label, []).append(time.perf_counter() - start)

        for _ in range(runs):
            timed("similar cases (2 failed therapies)", lambda: similar_cases(store, failed))
            timed("similar cases (no therapy given)", lambda: similar_cases(store, untreated))
            timed("eligible trials", lambda: trial_fit(store, failed))
            timed("pathways (worker)", lambda: lens_pathways(store, failed))
            timed(
                "baseline: count her first therapy's failures",
                lambda: store.conn.execute(
                    "SELECT count(DISTINCT record_id) FROM record_therapies WHERE therapy_id = ?"
                    " AND kind = 'case' AND response IN ('partial', 'resistant', 'intolerant')",
                    [first],
                ).fetchone(),
            )
        trials = store.counts()["trials"]
    result = {label: median(times) for label, times in timings.items()}
    result["trials"] = trials
    return result


def print_lens(db: Path, runs: int) -> None:
    measured = bench_lens(db, runs)
    trials = int(measured.pop("trials"))
    baseline = measured["baseline: count her first therapy's failures"]
    for label, seconds in measured.items():
        extra = f" ({trials} trials)" if label == "eligible trials" else ""
        print(
            f"lens {label:<45} median {seconds * 1000:7.1f} ms  "
            f"(ratio {seconds / baseline:5.1f} to the baseline){extra}"
        )


# -- 4. memory --------------------------------------------------------------------------------


def peak_rss_mb(db: Path) -> float:
    """Peak RSS of a process that opens the explorer on db and searches it."""
    code = f"""
import asyncio, gc
from sclerotui.app import SclerotuiApp
from sclerotui.store import Store
from sclerotui import lists
async def main():
    gc.disable()  # as the launcher does (see pilot_measurements)
    app = SclerotuiApp(Store({str(db)!r}, read_only=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for q in {list(QUERIES.values())!r}:
            app.main_screen.query_one('#search').value = q
            await pilot.pause(0.3)
            await app.workers.wait_for_complete()
        await pilot.press('end')
        await pilot.pause()
asyncio.run(main())
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child started by a big
# benchmark process would report the parent's peak.
print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM')))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return int(out.stdout.strip().splitlines()[-1]) / 1024


# -- 5. import ---------------------------------------------------------------------------------


def split_import(payload: dict, where: Path, per_file: int = 20_000) -> list[Path]:
    """Files of at most per_file cases with their events (an import file may be 200 MB at
    most); the first brings the source the others cite."""
    events_of: dict[str, list] = {}
    for event in payload["events"]:
        events_of.setdefault(event["case"], []).append(event)
    paths = []
    for start in range(0, len(payload["cases"]), per_file):
        cases = payload["cases"][start : start + per_file]
        part = {
            "sources": payload["sources"] if start == 0 else [],
            "cases": cases,
            "events": [event for case in cases for event in events_of.get(case["id"], [])],
        }
        path = where / f"import-{start // per_file + 1}.json"
        path.write_text(json.dumps(part))
        paths.append(path)
    return paths


def in_fresh_process(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and output of a command run in a process of its own.

    The peak is that of the process and the processes it starts, summed (sampled from /proc
    every 0.2 s): an import's reader runs beside it. `wait4` gives the largest one alone."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], tree_rss(child.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stdout.close()
    if child.returncode != 0:
        raise RuntimeError(f"{argv[:4]} failed ({child.returncode}):\n{output}")
    # CPU seconds of the command and the processes it waited for (an import's reader).
    LAST_CPU[0] = usage.ru_utime + usage.ru_stime
    return seconds, max(peak[0], usage.ru_maxrss * 1024) / 2**20, output


LAST_CPU = [0.0]


def tree_rss(root: int) -> int:
    """Resident bytes of a process and its children, from /proc (0 once it has gone)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        # After the command's name: state, ppid, …; rss is the 22nd.
        if int(entry.name) == root or int(fields[1]) == root:
            total += int(fields[21]) * page
    return total


def write_import_files(cases: int, where: Path) -> None:
    from sclerotui.synth import import_payload

    payload = import_payload(cases)
    split_import(payload, where)
    print(json.dumps({"events": len(payload["events"])}))


def raw_insert(where: Path) -> None:
    """The baseline: the same files' cases and events put in by sqlite-utils, unvalidated."""
    import sqlite_utils

    parts = [json.loads(path.read_text()) for path in sorted(where.glob("import-*.json"))]
    raw_db = sqlite_utils.Database(where / "raw.db")
    start = time.perf_counter()  # files read before the clock
    raw_db["cases"].insert_all(
        ({"id": c["id"], "data": json.dumps(c)} for part in parts for c in part["cases"]),
        pk="id",
    )
    raw_db["events"].insert_all(
        (
            {"id": e["id"], "case_id": e["case"], "data": json.dumps(e)}
            for part in parts
            for e in part["events"]
        ),
        pk="id",
    )
    print(json.dumps({"seconds": time.perf_counter() - start}))


def bench_import(cases: int) -> dict:
    """Validated import of generated cases (`sclerotui import`, as a user runs it) vs raw
    insert_all of the same rows.

    Each step runs in a process of its own. Generating 100k cases holds 2 GB of records; an
    import timed in the process that built them ran 30% slower than one started fresh, as a
    user's is."""
    from sclerotui.bundle import build

    me = [sys.executable, str(Path(__file__).resolve())]
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        _, _, output = in_fresh_process([*me, "--import-step", "write", str(cases), tmp])
        events = json.loads(output.strip().splitlines()[-1])["events"]
        sources = sorted(where.glob("import-*.json"))
        db = where / "target.db"
        build(db)[0].close()
        validated, peak, _ = in_fresh_process(
            [sys.executable, "-m", "sclerotui", "--db", str(db), "import", *map(str, sources)]
        )
        cpu = LAST_CPU[0]
        _, raw_peak, output = in_fresh_process([*me, "--import-step", "raw", "0", tmp])
        raw = json.loads(output.strip().splitlines()[-1])["seconds"]
    return {
        "cases": cases,
        "events": events,
        "validated": validated,
        "raw": raw,
        "peak": peak,
        "raw_peak": raw_peak,
        "cpu": cpu,
    }


# -- the table --------------------------------------------------------------------------------


PARTS = ("startup", "typing", "pilot", "pathways", "ranking", "lens", "memory", "import")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--import-cases", type=int, default=20000)
    parser.add_argument(
        "--tree",
        action="append",
        default=[],
        type=Path,
        help="startup: also start the app from this checkout (an older commit's worktree), "
        "in the same turns",
    )
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"the parts to run, of {','.join(PARTS)}"
    )
    # The import benchmark's own steps, each run in a fresh process (see bench_import).
    parser.add_argument("--import-step", nargs=3, metavar=("STEP", "CASES", "DIR"))
    args = parser.parse_args()
    if args.import_step:
        step, cases, where = args.import_step
        if step == "write":
            write_import_files(int(cases), Path(where))
        else:
            raw_insert(Path(where))
        return
    parts = set(args.only.split(","))
    if parts - set(PARTS):
        parser.error(f"--only: unknown parts {sorted(parts - set(PARTS))}; known: {PARTS}")
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"machine: {platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores; runs={args.runs}"
    )
    compile_bytecode(args.tree)
    print("bytecode compiled for the app and its packages (as an installed wheel has it)")
    rss = {}
    for cases in sizes:
        db = database(cases)
        print(
            f"\n== {cases:,} synthetic cases ({db.stat().st_size / 1e6:,.0f} MB, "
            f"{db.stat().st_size / cases:,.0f} bytes per case incl. events and FTS)"
        )
        if "startup" in parts:
            print_startup(db, args.runs, args.tree)
        if "pilot" in parts:
            print_pilot(db, args.runs)
        if "pathways" in parts:
            print_pathways(db, args.runs)
        if "typing" in parts:
            print_typing(db, args.runs, args.tree)
        if "ranking" in parts:
            print_ranking(db)
        if "lens" in parts:
            print_lens(db, args.runs)
        if "memory" in parts:
            rss[cases] = peak_rss_mb(db)
            print(f"peak RSS: {rss[cases]:.0f} MB")
    if len(rss) > 1:
        small, large = min(rss), max(rss)
        print(
            f"\nmemory: {large:,} vs {small:,} cases: +{rss[large] - rss[small]:.0f} MB "
            "(target <= 40 MB)"
        )
    if "import" in parts:
        print_import(args.import_cases)
    print(
        f"max RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
        " MB"
    )


def print_startup(db: Path, runs: int, trees: list[Path] = ()) -> None:
    load = os.getloadavg()[0]
    (app, lists, detail), baseline, others = bench_startup(db, runs, trees)
    print(
        f"start-up to first paint: {app * 1000:.0f} ms vs minimal app "
        f"{baseline * 1000:.0f} ms (ratio {app / baseline:.2f}; target <= 1.3); "
        f"evidence listed at {lists * 1000:.0f} ms (ratio {lists / baseline:.2f}), first "
        f"record in the detail at {detail * 1000:.0f} ms (ratio {detail / baseline:.2f}; "
        f"target <= 1.3); load average {load:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    for tree, (app, lists, detail) in zip(trees, others, strict=True):
        print(
            f"   same turns, {tree}: first paint {app * 1000:.0f} ms ({app / baseline:.2f}), "
            f"evidence {lists * 1000:.0f} ms ({lists / baseline:.2f}), first record "
            f"{detail * 1000:.0f} ms ({detail / baseline:.2f})"
        )


def print_typing(db: Path, runs: int, trees: list[Path] = ()) -> None:
    load = os.getloadavg()[0]
    app, baseline, others = bench_typing(db, runs, trees=trees)
    missed = sum(1 for _, seconds in app + baseline if seconds is None)
    app = [(text, seconds) for text, seconds in app if seconds is not None]
    baseline = [(text, seconds) for text, seconds in baseline if seconds is not None]
    times = [seconds for _, seconds in app]
    base = [seconds for _, seconds in baseline]
    if missed:
        print(f"   ({missed} key(s) whose outcome was not found on screen within 10 s: left out)")
    slowest = sorted(app, key=lambda pair: -pair[1])[:5]
    print(
        f"every key typed in a pty ({len(times)} keys of {len(TYPED_QUERIES)} queries): "
        f"median {median(times) * 1000:.0f} ms, p95 {p95(times) * 1000:.0f} ms "
        f"(targets <= 50 and <= 100 ms at 1M) vs the minimal app echoing the same keys: "
        f"median {median(base) * 1000:.0f} ms, p95 {p95(base) * 1000:.0f} ms; slowest: "
        + ", ".join(f"{text!r} {seconds * 1000:.0f}" for text, seconds in slowest)
    )
    for query in TYPED_QUERIES:
        mine = [seconds for text, seconds in app if query.startswith(text)]
        print(
            f"   {query!r:<20} median {median(mine) * 1000:4.0f} ms  max {max(mine) * 1000:4.0f} ms"
        )
    for tree, keys in zip(trees, others, strict=True):
        done = [seconds for _, seconds in keys if seconds is not None]
        slowest = sorted((pair for pair in keys if pair[1] is not None), key=lambda p: -p[1])[:5]
        print(
            f"   same turns, {tree}: median {median(done) * 1000:.0f} ms, p95 "
            f"{p95(done) * 1000:.0f} ms ({len(keys) - len(done)} not found); slowest: "
            + ", ".join(f"{text!r} {seconds * 1000:.0f}" for text, seconds in slowest)
        )
    print(f"   load average {load:.2f} before, {os.getloadavg()[0]:.2f} after")
    for tree in [ROOT, *trees]:
        used = TYPING_CPU.pop(tree, [])
        if used:
            print(
                f"   CPU seconds of each app run (start-up and all its keys), {tree}: "
                + ", ".join(f"{seconds:.2f}" for seconds in used)
            )


def print_pathways(db: Path, runs: int) -> None:
    results, busiest = bench_pathways(db, runs)
    for label, (tree, node, count, walk, nodes) in results.items():
        print(
            f"pathways of {busiest} ({label}; {nodes:,} nodes): tree {tree * 1000:.0f} ms "
            f"(target <= 200), its first node's cases {node * 1000:.1f} ms (target <= 50), "
            f"its failed cases counted {count * 1000:.1f} ms; the recursive walk (before) "
            f"{walk * 1000:.0f} ms"
        )


def print_ranking(db: Path) -> None:
    for label, query, ms, overlap, tied, exact_ms, matches in bench_ranking(db):
        print(
            f"ranking {label:<20} {query!r:<34} app {ms:6.1f} ms; top 10 overlap with "
            f"exact bm25 over every match ({matches:,} match its words) {overlap}/10 "
            f"({tied}/10 counting ties; the exact ranking took {exact_ms:,.0f} ms)"
        )


def print_pilot(db: Path, runs: int) -> None:
    measured = asyncio.run(pilot_measurements(db, runs))
    print(
        f"(driven through Pilot; frames at up to {measured['fps']} a second; "
        f"{measured['frozen']:,} start-up objects frozen, as at launch)"
    )
    for label, times in measured["search"].items():
        raw = raw_fts(db, QUERIES[label])
        ui = median(times)
        cold = measured["search, nothing kept"][label]
        print(
            f"search {label:<13} median {ui * 1000:6.0f} ms  p95 {p95(times) * 1000:6.0f} "
            f"ms  raw FTS {raw * 1000:6.1f} ms  (nothing kept from the last search: median "
            f"{median(cold) * 1000:.0f}, p95 {p95(cold) * 1000:.0f} ms)"
        )
    idle = median(measured["typing"]["idle (baseline)"])
    for label, times in measured["typing"].items():
        print(
            f"key echo {label:<23} median {median(times) * 1000:5.0f} ms  max "
            f"{max(times) * 1000:5.0f} ms  (ratio {median(times) / idle:.1f} to idle)"
        )
    for action, times in measured["browse"].items():
        print(
            f"browse {action:<23} median {median(times) * 1000:6.0f} ms  p95 "
            f"{p95(times) * 1000:6.0f} ms "
            f"({measured['busiest_cases']:,} rows; list holds {measured['rows_held']})"
        )


def print_import(cases: int) -> None:
    result = bench_import(cases)
    rate = result["events"] / result["validated"]
    print(
        f"\nimport of {result['cases']:,} cases / {result['events']:,} events: validated "
        f"{result['validated']:.1f} s ({rate:,.0f} events/s; {result['cpu']:.1f} s CPU with "
        f"its reader), raw insert_all "
        f"{result['raw']:.1f} s, ratio {result['validated'] / result['raw']:.1f} "
        f"(targets >= 20,000 events/s and <= 3x); peak RSS of the import {result['peak']:,.0f} MB "
        f"(its processes together) vs the raw insert's {result['raw_peak']:,.0f} MB, ratio "
        f"{result['peak'] / result['raw_peak']:.2f} (target <= 2)"
    )


if __name__ == "__main__":
    # The explorer restores the session kept in its data directory: every run starts from an
    # empty one, so no run sees another's state (nor the user's).
    os.environ["SCLEROTUI_DATA_DIR"] = tempfile.mkdtemp(prefix="sclerotui-bench-")
    main()
