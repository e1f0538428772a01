"""Hostile records in the app: shown literally and legibly, never interpreted.

The records come from tests/hostile.py: Rich/Textual markup, ANSI and OSC escape sequences,
every C0 and C1 control, NUL, bidirectional overrides, zero-width and combining characters,
wide CJK and emoji, a 100,000-character narrative, 1,000 events, and numbers at the edges of
what the models allow. The app runs with a driver that is headless but keeps every byte the
app would send to the terminal, so the tests check the real output stream: only Textual's own
sequences (colours, cursor moves, synchronized updates, pointer shape) may be in it.
"""

from __future__ import annotations

import base64
import io
import re
from contextlib import asynccontextmanager

import pytest
from rich.console import Console
from rich.segment import Segment
from textual import events
from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import Input, OptionList, Static

from sclerotui.export import record_markdown
from sclerotui.screens.compare import ComparisonScreen
from sclerotui.screens.pathways import PathwaysScreen, PathwayTree, StartPicker
from sclerotui.store import Store
from sclerotui.widgets.detail import PREVIEW_CHARS, DetailView, RecordView
from sclerotui.widgets.evidence_list import EvidenceList
from sclerotui.widgets.search_input import SearchInput
from sclerotui.widgets.search_results import SearchResults
from sclerotui.widgets.therapy_list import TherapyList
from sclerotui.widgets.timeline import TimelineEvents
from tests.app.helpers import (
    caught_up,
    detail_text,
    explorer_ready,
    make_app,
    option_texts,
    settle,
    static_text,
)
from tests.hostile import (
    CONTROLS,
    END_MARK,
    ESCAPES,
    MANY_EVENTS,
    MARKUP,
    NARRATIVE_CHARS,
    NUL,
    WIDE,
    build_hostile_db,
)

# What Textual itself writes: styles (SGR), cursor moves (each line but the first preceded by
# a newline), synchronized-update brackets, cursor visibility, and the pointer shape (OSC 22).
TEXTUAL_SEQUENCES = re.compile(
    r"\x1b\[[0-9;]*m|\n?\x1b\[\d+;\d+H|\x1b\[\?(?:2026|25)[hl]|\x1b\]22;[a-z-]+\x07"
)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# In text handed to widgets or written to files, tabs and newlines are layout, not commands
# (Textual expands tabs itself: the output check above would see one that reached the stream).
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# How each kind of hostile string must look on screen.
SHOWN = {
    "clear": "␛[2J",
    "osc52": "␛]52;c;SGVsbG8=␇",
    "osc8": "␛]8;;http://evil␛\\link␛]8;;␛\\",
    "c1": "\\x9b2J",
    "nul": "nul␀byte",
    "rlo": "\\u202eexe.live\\u202c",
    "zero_width": "zero\\u200bwidth",
}

# Every hostile record, with what its detail pane must contain literally.
RECORDS = {
    ("therapy", "h-markup"): [
        "Markup [bold red]x[/] [@click=app.quit]quit[/]",
        *MARKUP.values(),
    ],
    ("therapy", "h-escape"): [SHOWN["clear"], SHOWN["osc52"], SHOWN["osc8"], SHOWN["c1"]],
    ("therapy", "h-unicode"): [WIDE, SHOWN["rlo"], SHOWN["zero_width"]],
    ("therapy", "h-bidi"): ["\\u202eBIDI name\\u202c ZW\\u200bSP\\ufeff"],
    ("therapy", "h-nul"): [SHOWN["nul"]],
    ("therapy", "h-long"): ["Long name name", "Long mechanism"],
    ("trial", "h-trial-markup"): [
        "Trial [bold red]x[/] [@click=app.quit]quit[/]",
        "Design: RCT [link=file:///etc/passwd]x[/link], phase [/]",
        "Finding [bold red]x[/]",
        "-1.79769e+308 [on red] vs 1.79769e+308; [@click=app.quit]quit[/]",
        "n=0",
        "Duration: 4.94066e-324 weeks",
    ],
    ("trial", "h-trial-escape"): [
        "Trial ␛[2J␛[31;1mescape",
        "n=10,000,000",
        "phase \\x9b2J",
        SHOWN["osc52"],
        SHOWN["osc8"],
        "Duration: 5200 weeks",
        "tab\there␍carriage␈back",
    ],
    ("trial", "h-trial-unicode"): [WIDE, SHOWN["rlo"]],
    ("case", "h-case-markup"): [
        "Case [bold red]x[/] [@click=app.quit]quit[/] [link=file:///etc/passwd]x[/link]",
        "age [bold red]x[/]",
        "[on red] still plain",
        "([@click=app.quit]quit[/])",
    ],
    ("case", "h-case-escape"): [
        "Case ␛[2J␛]52;c;SGVsbG8=␇escape",
        "age ␛c",
        SHOWN["nul"],
        SHOWN["c1"],
        "␁␂␃␄␅␆␇␈",
        "\\x80\\x81",
        "(␛[31;1m)",
    ],
    ("case", "h-case-unicode"): [WIDE, SHOWN["rlo"], SHOWN["zero_width"], "line\nseparator"],
    ("case", "h-case-long"): ["START xxxxx"],  # the rest on request: see the next test
    ("case", "h-case-many"): ["Case with a thousand events"],
    ("case", "h-case-one-point"): ["Case with one measured point"],
    ("case", "h-case-no-values"): ["Case with events but no values"],
    ("case", "h-case-edges"): ["Case at the edges nul␀byte [/]"],
}


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory):
    return build_hostile_db(tmp_path_factory.mktemp("hostile") / "hostile.db")


def recording_driver(output: list[str]) -> type[HeadlessDriver]:
    """A headless driver the app believes is a terminal: it renders, and we keep the bytes."""

    class RecordingDriver(HeadlessDriver):
        @property
        def is_headless(self) -> bool:
            return False

        def write(self, data: str) -> None:
            output.append(data)

        def flush(self) -> None:
            pass

    return RecordingDriver


@asynccontextmanager
async def run_hostile(db, size=(120, 40), notifications=True):
    """The app on the hostile database, with notifications on (toasts show record text too)."""
    app = make_app(db)
    output: list[str] = []
    app.driver_class = recording_driver(output)
    async with app.run_test(headless=False, size=size, notifications=notifications) as pilot:
        await caught_up(pilot)
        yield pilot, output


def foreign_sequences(output: list[str]) -> list[str]:
    """Control characters in the terminal output that Textual did not put there itself."""
    text = TEXTUAL_SEQUENCES.sub("", "".join(output))
    return [repr(text[max(0, m.start() - 25) : m.end() + 25]) for m in CONTROL.finditer(text)]


def text_controls(segments) -> list[str]:
    """Control characters inside the text of drawn segments.

    The byte stream cannot tell a record's "\x1b[31m" from Textual's own colour codes; the
    segments can: Textual's codes come from styles, never from a segment's text."""
    return [
        repr(segment.text[:60])
        for segment in segments
        if segment.control is None and CONTROL.search(segment.text)
    ]


def drawn_segments(app) -> list:
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return [segment for line in update.strips for strip in line for segment in strip]


def assert_clean_output(app, output: list[str], where: str) -> None:
    """Nothing but Textual's own sequences was sent; the screen's text holds no control."""
    found = foreign_sequences(output)
    assert not found, f"{where}: {len(found)} control character(s) sent raw, e.g. {found[:3]}"
    output.clear()
    found = text_controls(drawn_segments(app))
    assert not found, f"{where}: control characters drawn as text, e.g. {found[:3]}"


def assert_no_controls(texts: list[str], where: str) -> None:
    for text in texts:
        match = CONTROL_IN_TEXT.search(text)
        assert match is None, f"{where}: raw {match.group()!r} in {text[:80]!r}"


def screen_lines(app) -> list[str]:
    """The screen as plain text lines, as the compositor draws it."""
    console = Console(
        width=app.size.width,
        height=app.size.height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text().splitlines()


async def open_record(pilot, kind: str, record_id: str) -> None:
    """Jump to a record and wait until the panes have followed.

    A jump sets off a chain of messages between the panes (therapy highlighted, evidence
    refilled, item highlighted); under load one pause does not always see its end."""
    screen = pilot.app.main_screen
    screen.jump_to(kind, record_id)
    evidence = screen.query_one(EvidenceList)
    detail = screen.query_one(DetailView)
    for _ in range(50):
        await caught_up(pilot)
        current = detail.current
        if kind == "therapy":
            landed = screen.therapy_id == record_id and (
                current is not None and (current.kind, current.record.id) == evidence.item
            )
        else:
            landed = current is not None and (current.kind, current.record.id) == (kind, record_id)
        if landed:
            break
    await caught_up(pilot)


def pane_texts(app) -> list[str]:
    screen = app.main_screen
    return [
        detail_text(app),
        *option_texts(screen.query_one(TherapyList)),
        *option_texts(screen.query_one(EvidenceList)),
        *option_texts(screen.query_one(TimelineEvents)),
        static_text(screen.query_one("#plot-text")),
    ]


# -- the protections themselves, without the app -----------------------------------------


def test_the_output_checks_catch_every_hostile_string_sent_raw():
    """The checks below would notice: a record string written raw is reported, by the byte
    stream check or (for what looks like Textual's own colour codes) by the segment check."""
    assert foreign_sequences(["\x1b[1;1H\x1b[31mok\x1b[0m\n\x1b[2;1Hfine"]) == []
    for raw in [*ESCAPES.values(), *CONTROLS, NUL, "\t"]:
        assert foreign_sequences(["\x1b[1;1H", "text " + raw]) or raw == ESCAPES["sgr"], raw
        assert text_controls([Segment("text " + raw)]), raw
    assert text_controls([Segment("plain ␛[2J text")]) == []


# -- the explorer ------------------------------------------------------------------------


async def test_every_hostile_record_is_shown_literally_and_nothing_reaches_the_terminal(
    hostile_db,
):
    async with run_hostile(hostile_db) as (pilot, output):
        app = pilot.app
        screen = app.main_screen
        for (kind, record_id), fragments in RECORDS.items():
            if kind == "therapy":
                # A jump to a therapy lands on its first evidence item: show the therapy itself
                # (its name is in the therapy list already; its evidence is visited below).
                therapy = screen.store.therapy(record_id)
                view = RecordView("therapy", therapy, screen.store.sources(therapy.sources))
                screen.query_one(DetailView).show(view)
                await caught_up(pilot)
            else:
                await open_record(pilot, kind, record_id)
            where = f"{kind} {record_id}"
            assert app.is_running, where
            assert app.screen is screen, where
            text = detail_text(app)
            for fragment in fragments:
                assert fragment in text, f"{where}: {fragment!r} not shown literally"
            assert_no_controls(pane_texts(app), where)
            assert_clean_output(pilot.app, output, where)
            # Below the fold too: every line of every section, rendered as it would be drawn.
            for section in screen.query_one(DetailView).sections.values():
                strips = section.render_lines(section.size.region)
                found = text_controls(segment for strip in strips for segment in strip)
                assert not found, f"{where}: control characters in the detail, e.g. {found[:3]}"
        # On screen as stored, markup and all; clicking the would-be action and link runs
        # nothing and opens nothing.
        opened: list[str] = []
        app.open_url = lambda url, **kwargs: opened.append(url)
        await open_record(pilot, "case", "h-case-markup")
        region = screen.query_one(DetailView).region
        lines = screen_lines(app)
        assert "Case [bold red]x[/]" in lines[region.y + 1]
        for target in ("[@click=app.quit]", "[link=file:///etc/passwd]"):
            # Where the detail pane draws it (parsed as markup, it would not be there at all).
            x, y = next(
                (line.index(target, region.x) + 3, y)
                for y, line in enumerate(lines)
                if region.y <= y < region.bottom and target in line[region.x : region.right]
            )
            await pilot.click(offset=(x, y))
            await caught_up(pilot)
        assert app.is_running and app.screen is screen
        assert opened == []


async def test_lists_stay_in_columns_and_long_text_is_whole_in_the_detail(hostile_db):
    """Wide, zero-width and long names are cut and padded by cells, so the therapy counts stay
    in their columns; a 1,800-character title is cut in the evidence list, whole in the detail;
    a 100,000-character narrative opens with its first part, is all there after Enter has
    shown the rest, and scrolls to its end."""
    async with run_hostile(hostile_db) as (pilot, output):
        screen = pilot.app.main_screen
        therapies = screen.query_one(TherapyList)
        rows = [o.prompt for o in therapies.options if o.id]
        assert len(rows) == 6
        # Long names wrap onto (at most four) more lines; the counts end every first line.
        firsts = [row.split()[0] for row in rows]
        assert len({first.cell_length for first in firsts}) == 1, [r.plain for r in rows]
        lines = [line for row in rows for line in row.split()]
        assert all(line.cell_length <= therapies.content_size.width for line in lines)
        assert all(len(row.split()) <= 4 for row in rows)
        assert any(row.plain.startswith(" 系统性硬化症") for row in rows)
        await open_record(pilot, "case", "h-case-long")
        titles = [t for t in option_texts(screen.query_one(EvidenceList)) if "Long case" in t]
        title = titles[0].split("\n")[0]  # the row's first line; the kind is the second
        assert len(titles) == 1 and title.endswith("…") and len(title) < 200
        # On screen the row is one line cut to the pane, not wrapped over many.
        region = screen.query_one(EvidenceList).region
        # (Read up to the pane's border: a line may hold wide characters left of the pane,
        # so character offsets are not cells.)
        shown = [
            line[line.index("Long case title") :].split("│")[0]
            for line in screen_lines(pilot.app)[region.y : region.bottom]
            if "Long case title" in line
        ]
        assert len(shown) == 1 and shown[0].rstrip().endswith("…")
        assert "Long case " + "title " * 299 + "title" in detail_text(pilot.app)
        # The 100,000-character narrative opens with its first part; Enter shows the rest,
        # part by part; then it is all there, and `end` scrolls to its last line.
        detail = screen.query_one(DetailView)
        head = static_text(detail.sections["narrative"])
        assert head.startswith("Narrative\nSTART xxx") and len(head) <= PREVIEW_CHARS
        assert list(detail.hints) == ["narrative"]
        more = static_text(detail.hints["narrative"])
        assert more.startswith("… 97,") and more.endswith(" more characters — Enter shows more")
        detail.focus()
        for _ in range(20):
            if not detail.hints:
                break
            await pilot.press("enter")
            await caught_up(pilot)
        narrative = "\n".join([head, *(static_text(part) for part in detail.more["narrative"])])
        assert len(narrative) > NARRATIVE_CHARS and narrative.endswith(END_MARK)
        assert 4 <= len(detail.more["narrative"]) <= 6  # 20,000 characters a part
        await pilot.press("end")
        await caught_up(pilot)
        assert detail.scroll_y > 1000 and detail.scroll_y == detail.max_scroll_y
        assert any(END_MARK.strip() in line for line in screen_lines(pilot.app))
        assert_clean_output(pilot.app, output, "long narrative")


async def test_timelines_many_events_one_point_no_values_and_extreme_values(hostile_db):
    async with run_hostile(hostile_db) as (pilot, output):
        app = pilot.app
        screen = app.main_screen
        events = screen.query_one(TimelineEvents)
        await open_record(pilot, "case", "h-case-many")
        assert events.option_count == MANY_EVENTS
        events.focus()
        await pilot.press("end", "enter")  # the last event points the detail at its section
        await caught_up(pilot)
        assert events.highlighted == MANY_EVENTS - 1
        assert "w999" in option_texts(events)[-1]
        await pilot.press("z")  # the timeline zoomed to the whole screen, and back
        await caught_up(pilot)
        assert screen.maximized is not None
        await pilot.press("z")
        assert_clean_output(pilot.app, output, "thousand events")

        await open_record(pilot, "case", "h-case-one-point")
        plot = static_text(screen.query_one("#plot-text"))
        assert "HAQ-DI ([bold red]x[/])" in plot and "patient: w12 3" in plot
        assert "w12 only: one time point" in plot and "┤" not in plot  # a value, not a plot

        await open_record(pilot, "case", "h-case-no-values")
        assert not screen.query_one("#plots").display
        whens = [text.split()[0] for text in option_texts(events)]
        assert sorted(whens) == ["0000", "w-1", "w0"]  # a date-only event is listed too
        assert_clean_output(pilot.app, output, "one point and no values")

        # Weeks and rates from -1.8e308 to 1.8e308: a plot, not a crash or a 300-digit axis.
        for record in [("case", "h-case-edges"), ("trial", "h-trial-escape")]:
            await open_record(pilot, *record)
            assert app.is_running
            text = static_text(screen.query_one("#plot-text", Static))
            assert "1.8e+308 ┤" in text and "1.79769e+308" in text, record
            lines = text.splitlines()
            drawn = [i for i, line in enumerate(lines) if "┤" in line or "└" in line]
            drawn += [i + 1 for i in drawn if "└" in lines[i]]  # the week labels under the axis
            widest = max(len(lines[i]) for i in drawn)
            assert len(drawn) >= 7 and widest <= screen.query_one("#plots").content_size.width
            assert_clean_output(app, output, f"{record} plot")


# -- search ------------------------------------------------------------------------------

PRINTABLE_QUERIES = [
    MARKUP["bold"],
    MARKUP["click"] + " " + MARKUP["escaped"],
    "系统性硬化症 e\u0301",
    "🧪",
    "x" * 10_000,
]
CONTROL_QUERIES = [
    ESCAPES["clear"],
    ESCAPES["osc8"],
    "\u202eexe zero\u200bwidth",
    NUL + " " + CONTROLS,
]


async def searched(pilot) -> None:
    """Wait until the results on screen are those of the text in the search box."""
    screen = pilot.app.main_screen
    search = screen.query_one("#search", Input)
    for _ in range(100):
        await caught_up(pilot)
        if search.value and screen.search_shown == search.value:
            break
    await caught_up(pilot)


async def search_for(pilot, output, queries) -> None:
    """Paste each query into the search box; results or a message, never a crash or a raw
    control character in the results or on the terminal."""
    screen = pilot.app.main_screen
    await pilot.press("slash")
    search = screen.query_one("#search", Input)
    results = screen.results_list()
    for query in queries:
        search.value = ""
        search.post_message(events.Paste(query))
        await searched(pilot)
        where = f"search {query[:20]!r}"
        assert pilot.app.is_running, where
        texts = option_texts(results)
        assert texts, where
        assert_no_controls([*texts, str(results.border_title)], where)
        assert_clean_output(pilot.app, output, where)


async def test_searching_for_hostile_strings_shows_results_or_a_message(hostile_db):
    async with run_hostile(hostile_db) as (pilot, output):
        await search_for(pilot, output, PRINTABLE_QUERIES)
        screen = pilot.app.main_screen
        search = screen.query_one("#search", Input)
        results = screen.query_one(SearchResults)
        search.value = "markup"
        await searched(pilot)
        assert any(
            "Case [bold red]x[/] [@click=app.quit]quit[/]" in t for t in option_texts(results)
        )
        search.value = "thickening"
        await searched(pilot)
        assert ("case", "h-case-long") in [(h.kind, h.id) for h in results.hits]
        await pilot.press("down", "enter")
        await caught_up(pilot)
        assert screen.item is not None
        assert_clean_output(pilot.app, output, "search hit opened")


async def test_pasting_control_characters_into_the_search_box(hostile_db):
    """The search box (SearchInput) drops controls: drawn as they are, they would reach the
    terminal every time the box is drawn."""
    async with run_hostile(hostile_db) as (pilot, output):
        search = pilot.app.main_screen.query_one("#search", Input)
        assert isinstance(search, SearchInput)
        await search_for(pilot, output, CONTROL_QUERIES)
        search.value = ""
        search.post_message(events.Paste("nul\x00byte \x1b[2Jrituximab\u202e\tx"))
        await caught_up(pilot)
        assert search.value == "nulbyte [2Jrituximab x"


# -- pathways and comparison ---------------------------------------------------------------


def tree_labels(screen) -> list[str]:
    labels = []

    def walk(node):
        labels.append(node.label.plain)
        for child in node.children:
            walk(child)

    walk(screen.query_one(PathwayTree).root)
    return labels


async def drawn(pilot) -> None:
    """Let workers finish and what they hand back be drawn."""
    await pilot.app.workers.wait_for_complete()
    await caught_up(pilot)


async def test_pathways_from_each_hostile_therapy(hostile_db):
    async with run_hostile(hostile_db) as (pilot, output):
        app = pilot.app
        await open_record(pilot, "therapy", "h-markup")
        await pilot.press("p")
        await drawn(pilot)
        screen = app.screen
        assert isinstance(screen, PathwaysScreen)
        # From the markup therapy, names in the tree are literal and cut by cells.
        labels = tree_labels(screen)
        assert labels[0].startswith("Markup [bold red]x[/] [@click=app.quit]quit[/] failed")
        assert any(label.startswith("→ Escape ␛[2J␛]52;c;SGVsbG8…  n=1") for label in labels)
        assert any(label.startswith("→ 系统性硬化症 全身性強皮症…  n=1") for label in labels)
        # A trial of two therapies that both followed is one row naming both.
        trials = option_texts(screen.query_one("#pathway-trials", OptionList))
        unicode_trial = [t for t in trials if ": Trial 系统性硬化症" in t]
        assert len(unicode_trial) == 1 and "\\u202eBIDI name" in unicode_trial[0]
        # The others (h-unicode, h-long) are in these trees as nodes.
        for therapy in ("h-escape", "h-bidi", "h-nul"):
            await pilot.press("s")  # another starting therapy, from the picker
            await caught_up(pilot)
            assert isinstance(app.screen, StartPicker)
            picker = app.screen.query_one(OptionList)
            assert "Markup [bold red]x[/] [@click=app.quit]quit[/]" in option_texts(picker)
            assert_no_controls(option_texts(picker), "start picker")
            picker.highlighted = picker.get_option_index(therapy)
            await pilot.press("enter")
            await drawn(pilot)
            assert app.screen is screen and screen.start == therapy
            texts = [
                static_text(screen.query_one("#pathway-title")),
                *tree_labels(screen),
                *option_texts(screen.query_one("#pathway-cases", OptionList)),
                *option_texts(screen.query_one("#pathway-trials", OptionList)),
            ]
            assert_no_controls(texts, f"pathways from {therapy}")
            assert_clean_output(app, output, f"pathways from {therapy}")
        await pilot.press("down", "enter")  # the first node: its cases
        await caught_up(pilot)
        await pilot.press("enter")  # the first case opens in the explorer
        await caught_up(pilot)
        assert app.screen is app.main_screen and app.main_screen.item[0] == "case"
        assert_clean_output(app, output, "pathways back to the explorer")


async def test_comparison_of_hostile_therapies_and_its_export(hostile_db, tmp_path):
    async with run_hostile(hostile_db, notifications=False) as (pilot, output):
        app = pilot.app
        for therapy in ("h-markup", "h-escape", "h-unicode", "h-long"):
            await open_record(pilot, "therapy", therapy)
            await pilot.press("m")
            await caught_up(pilot)
        await pilot.press("c")
        await settle(pilot)  # a worker gathers the comparison
        assert isinstance(app.screen, ComparisonScreen)
        cells = [static_text(cell) for cell in app.screen.query(".compare-cell").results(Static)]
        text = "\n".join(cells)
        assert "Markup [bold red]x[/] [@click=app.quit]quit[/]" in text
        assert "Escape ␛[2J␛]52;c;SGVsbG8=␇ therapy" in text
        assert "1.79769e+308" in text  # the rate plot on a shared scale
        assert_no_controls(cells, "comparison")
        assert_clean_output(pilot.app, output, "comparison")
        await pilot.press("e")
        await caught_up(pilot)
        target = tmp_path / "compare.md"
        app.screen.query_one("#export-path", Input).value = str(target)
        await pilot.press("enter")
        await caught_up(pilot)
        assert isinstance(app.screen, ComparisonScreen)
        assert_clean_output(pilot.app, output, "comparison export")
    exported = target.read_text(encoding="utf-8")
    # Markdown's brackets are escaped: the file renders the name as it is written.
    assert "Markup \\[bold red\\]x\\[/\\] \\[@click=app.quit\\]quit\\[/\\]" in exported
    assert_no_controls([exported], "comparison export")


async def test_marking_toast_shows_names_inertly(hostile_db):
    """The "Marked: …" toast quotes therapy names with their controls made visible."""
    async with run_hostile(hostile_db) as (pilot, output):
        await open_record(pilot, "therapy", "h-escape")
        output.clear()
        await pilot.press("m")
        await caught_up(pilot)
        assert_clean_output(pilot.app, output, "the 'Marked: …' toast")


# -- command palette -----------------------------------------------------------------------


async def palette_lines(pilot, query: str, wanted: str) -> list[str]:
    """Open the command palette, type `query`, and return the screen once `wanted` is on it
    (or after two seconds)."""
    await pilot.press("ctrl+p")
    await caught_up(pilot)
    await pilot.press(*query)
    for _ in range(40):
        await pilot.pause(0.05)
        lines = screen_lines(pilot.app)
        if any(wanted in line for line in lines):
            break
    return lines


async def test_command_palette_shows_titles_literally(hostile_db):
    """Hits are plain text: a title's [@click=app.quit] is not an action, [bold red] no style,
    and titles that are not valid markup (a lone [/], ␛[2J␛]…) are still found."""
    async with run_hostile(hostile_db) as (pilot, output):
        app = pilot.app
        shown = "trial: Trial [bold red]x[/] [@click=app.quit]quit[/]"
        lines = await palette_lines(pilot, "trial", shown)
        assert any(shown in line for line in lines)
        y = next(y for y, line in enumerate(lines) if "trial: Trial " in line)
        await pilot.click(offset=(lines[y].index("quit") + 1, y))
        await caught_up(pilot)
        assert app.is_running, "clicking a record title in the palette ran its [@click]"
        for query, title in [
            ("escape", "case: Case ␛[2J␛]52;c;SGVsbG8=␇escape"),
            ("edges", "case: Case at the edges nul␀byte [/]"),
        ]:  # titles that are not valid markup
            lines = await palette_lines(pilot, query, title)
            assert any(title in line for line in lines), query
            await pilot.press("escape")
        assert_clean_output(app, output, "command palette")


# -- export ------------------------------------------------------------------------------


def test_markdown_export_of_every_hostile_record_holds_no_control_character(hostile_db):
    with Store(hostile_db, read_only=True) as store:
        for kind, record_id in RECORDS:
            text = record_markdown(store, kind, record_id)
            assert text, (kind, record_id)
            assert_no_controls([text], f"export of {kind} {record_id}")
        markup = record_markdown(store, "case", "h-case-markup")
        # Markdown's brackets are escaped: the dossier renders the title as it is written.
        assert "Case \\[bold red\\]x\\[/\\] \\[@click=app.quit\\]quit\\[/\\]" in markup
        assert SHOWN["osc52"].replace("]", "\\]") in record_markdown(store, "case", "h-case-escape")


async def test_e_exports_the_hostile_case_on_screen(hostile_db, tmp_path):
    target = tmp_path / "case.md"
    async with run_hostile(hostile_db) as (pilot, output):
        app = pilot.app
        await open_record(pilot, "case", "h-case-escape")
        await pilot.press("e")
        await caught_up(pilot)
        app.screen.query_one("#export-path", Input).value = str(target)
        await pilot.press("enter")
        await caught_up(pilot)
        assert app.screen is app.main_screen
        assert_clean_output(pilot.app, output, "export")
        await pilot.press("y")  # the citation line, to the clipboard
        await caught_up(pilot)
        assert_no_controls([app.clipboard], "citation")
        # Textual's OSC 52 carries the citation as base64; nothing else may be sent.
        osc52 = f"\x1b]52;c;{base64.b64encode(app.clipboard.encode()).decode()}\x07"
        sent = "".join(output)
        assert sent.count(osc52) == 1
        assert_clean_output(app, [sent.replace(osc52, "")], "citation")
    assert_no_controls([target.read_text(encoding="utf-8")], "exported case")


# -- snapshots ---------------------------------------------------------------------------

SNAPSHOTS = {
    "case_markup_timeline-120x40": (("case", "h-case-markup"), (120, 40)),
    "case_escape_timeline-80x24": (("case", "h-case-escape"), (80, 24)),
    "trial_extremes_plot-120x40": (("trial", "h-trial-escape"), (120, 40)),
}


@pytest.mark.parametrize("name", list(SNAPSHOTS))
def test_hostile_snapshot(snap_compare, hostile_db, name):
    """The hostile record's detail beside its timeline (the event list focused)."""
    record, size = SNAPSHOTS[name]

    async def run_before(pilot):
        await explorer_ready(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await open_record(pilot, *record)
        await pilot.press("tab")  # to the timeline's event list
        await caught_up(pilot)

    assert snap_compare(make_app(hostile_db), terminal_size=size, run_before=run_before)
