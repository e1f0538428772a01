"""Terminals of every size, live resizing, NO_COLOR and 16/256-colour terminals.

Pilot drives the app at small and huge sizes and checks that what the keys reach is on
screen; a real pseudo-terminal runs `python -m sclerotui` with different TERM settings.
"""

from __future__ import annotations

import pytest
from textual.errors import NoWidget
from textual.widget import Widget
from textual.widgets import Footer, Input, SelectionList

from sclerotui.facets import Criteria, dialog_facets
from sclerotui.screens.filters import FilterScreen
from sclerotui.screens.help import HelpScreen
from sclerotui.screens.pathways import PathwaysScreen, PathwayTree
from sclerotui.widgets.evidence_list import EvidenceList
from sclerotui.widgets.search_results import SearchResults
from sclerotui.widgets.therapy_list import TherapyList
from tests.app.helpers import caught_up, make_app
from tests.app.pty_session import run_many_in_pty

SIZES = [(40, 12), (60, 20), (80, 24), (120, 40), (200, 60), (300, 100)]


def size_id(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def visible_region(widget: Widget):
    """The part of the widget actually drawn on its screen (empty if it is not drawn)."""
    try:
        return widget.screen.find_widget(widget).visible_region
    except NoWidget:
        return None


def assert_visible(widget: Widget, min_width: int = 1, min_height: int = 1) -> None:
    region = visible_region(widget)
    label = f"{widget!r} at {widget.app.size}"
    assert region is not None, f"{label} is not drawn"
    assert region.width >= min_width and region.height >= min_height, f"{label}: {region}"
    assert widget.screen.region.contains_region(region), f"{label} leaves the screen"


def screen_text(app) -> list[str]:
    """The characters on screen, one string per row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def quick_settle(pilot) -> None:
    """Let a search or the pathways aggregation finish (faster than settle())."""
    await pilot.pause(0.1)
    await pilot.app.workers.wait_for_complete()
    await caught_up(pilot)


async def resize(pilot, width: int, height: int) -> None:
    """Resize the terminal and wait until the screen has taken the new size (under load,
    one pause after the app hears of it is not always enough for the screen)."""
    await pilot.resize_terminal(width, height)
    for _ in range(12_000):  # a 120 s ceiling, reached only if the resize is never seen
        if pilot.app.screen.size == (width, height):
            break
        await pilot.pause(0.01)
    await caught_up(pilot)


def assert_highlight_on_screen(option_list) -> None:
    """The highlighted row of a list is within the rows its pane shows."""
    assert option_list.highlighted is not None
    option = option_list.get_option_at_index(option_list.highlighted)
    prompt = str(getattr(option.prompt, "plain", option.prompt))
    words = prompt.split()[:1]
    rows = screen_text(option_list.app)
    region = visible_region(option_list)
    shown = "\n".join(row[region.x : region.right] for row in rows[region.y : region.bottom])
    assert words and words[0][:6] in shown, f"{prompt!r} not in\n{shown}"


@pytest.mark.parametrize("size", SIZES, ids=size_id)
async def test_usable_at_every_size(mini_db, size):
    app = make_app(mini_db)
    async with app.run_test(size=size) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        assert app.screen is screen
        therapies = screen.query_one(TherapyList)
        assert app.focused is therapies
        # A pane with a border needs 3 rows to show one row of content.
        assert_visible(therapies, min_width=12, min_height=3)
        assert screen.therapy_id == "nintedanib"
        assert_highlight_on_screen(therapies)
        assert_visible(screen.query_one(Footer))

        await pilot.press("j")  # the next therapy: evidence follows
        await caught_up(pilot)
        assert screen.therapy_id == "rituximab"
        assert_highlight_on_screen(therapies)

        await pilot.press("slash")
        search = screen.query_one("#search", Input)
        assert app.focused is search
        assert_visible(search, min_width=10)
        search.value = "bos"  # as typed: the same Changed message
        await pilot.press("enter")
        await quick_settle(pilot)
        results = screen.query_one(SearchResults)
        assert app.focused is results
        assert [hit.id for hit in results.hits][:1] == ["bosentan"]
        assert_visible(results, min_height=3)
        await pilot.press("escape")  # clears the search, back to the therapies
        await caught_up(pilot)
        assert app.focused is therapies

        await pilot.press("question_mark")
        await caught_up(pilot)
        assert isinstance(app.screen, HelpScreen)
        dialog = app.screen.query_one("#help-dialog")
        assert_visible(dialog, min_width=min(size[0] - 4, 30), min_height=3)
        await pilot.press("escape")
        await caught_up(pilot)
        assert app.screen is screen

        await pilot.press("p")
        await quick_settle(pilot)
        assert isinstance(app.screen, PathwaysScreen)
        tree = app.screen.query_one(PathwayTree)
        assert app.focused is tree
        assert_visible(tree, min_width=12, min_height=3)
        await pilot.press("escape")
        await caught_up(pilot)
        assert app.screen is screen
        assert app.focused is therapies
        assert screen.therapy_id == "rituximab"


async def test_filter_dialog_is_readable_on_a_small_terminal(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.press("f")
        await caught_up(pilot)
        assert isinstance(app.screen, FilterScreen)
        for name in (facet.name for facet in dialog_facets()):
            facet = app.screen.query_one(f"#facet-{name}", SelectionList)
            assert app.focused is facet
            assert_visible(facet, min_width=20, min_height=3)
            # The value under the cursor can be read, not only its check box.
            assert_highlight_on_screen(facet)
            await pilot.press("tab")
        await pilot.press("space", "escape")  # back at subtype: toggles its first value
        await caught_up(pilot)
        assert app.screen is app.main_screen
        assert app.main_screen.criteria == Criteria(subtype=frozenset({"limited"}))


# Smallest, largest, and back across the narrow/wide boundary (fresh starts cover the rest).
RESIZES = [(40, 12), (300, 100), (60, 20), (120, 40)]


async def select_rituximab_second_item(pilot):
    await caught_up(pilot)
    await pilot.press("j", "tab", "j")  # rituximab, then into its evidence, second item
    await caught_up(pilot)


async def test_live_resize_keeps_focus_and_selection(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_rituximab_second_item(pilot)
        screen = app.main_screen
        evidence = screen.query_one(EvidenceList)
        assert app.focused is evidence
        chosen = (screen.therapy_id, screen.item, evidence.highlighted)
        assert chosen[1] is not None
        for width, height in RESIZES:
            await resize(pilot, width, height)
            assert app.size == (width, height)
            assert screen.has_class("narrow") == (width < 110)
            assert app.focused is evidence, f"focus lost at {width}x{height}"
            assert (screen.therapy_id, screen.item, evidence.highlighted) == chosen
            assert_visible(evidence, min_height=3)
            assert_visible(screen.query_one(TherapyList), min_width=12, min_height=3)

        # The same with a search on screen, and with the help open over it.
        await pilot.press("slash")
        search = screen.query_one("#search", Input)
        search.value = "ritux"
        await quick_settle(pilot)
        results = screen.query_one(SearchResults)
        for width, height in [(40, 12), (80, 24)]:
            await resize(pilot, width, height)
            assert app.focused is search and search.value == "ritux"
            assert_visible(search, min_width=10)
            assert_visible(results, min_height=3)
        await pilot.press("down", "question_mark")  # in the search box "?" is text
        await resize(pilot, 40, 12)
        assert isinstance(app.screen, HelpScreen)
        assert_visible(app.screen.query_one("#help-dialog"), min_width=30, min_height=3)
        await pilot.press("escape")
        await caught_up(pilot)
        assert app.screen is screen and app.focused is results
        assert search.value == "ritux" and results.hits


async def test_shrinking_keeps_the_cursor_row_on_screen(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_rituximab_second_item(pilot)
        await resize(pilot, 40, 12)
        await caught_up(pilot)
        assert_highlight_on_screen(app.main_screen.query_one(TherapyList))
        assert_highlight_on_screen(app.main_screen.query_one(EvidenceList))


# -- real terminals ---------------------------------------------------------------------

# SGR colour codes that carry no hue: black, white and the greys of the 16-colour palette.
ACHROMATIC_16 = {30, 37, 90, 97, 40, 47, 100, 107, 39, 49}
CHROMATIC_16 = set(range(30, 38)) | set(range(40, 48)) | set(range(90, 98)) | set(range(100, 108))
CHROMATIC_16 -= ACHROMATIC_16


def colours(parameters: list[int]) -> list[tuple[str, ...]]:
    """The colours one SGR sequence sets: ('16', n), ('256', n) or ('rgb', r, g, b)."""
    found, i = [], 0
    while i < len(parameters):
        code = parameters[i]
        if code in (38, 48) and i + 1 < len(parameters):
            if parameters[i + 1] == 5:
                found.append(("256", parameters[i + 2]))
                i += 3
                continue
            if parameters[i + 1] == 2:
                found.append(("rgb", *parameters[i + 2 : i + 5]))
                i += 5
                continue
        if code in CHROMATIC_16 | ACHROMATIC_16:
            found.append(("16", code))
        i += 1
    return found


def is_grey(colour: tuple) -> bool:
    kind, *values = colour
    if kind == "16":
        return values[0] in ACHROMATIC_16
    if kind == "256":
        n = values[0]
        if n in (0, 7, 8, 15) or n >= 232:
            return True
        if 16 <= n <= 231:
            n -= 16
            return n // 36 == (n // 6) % 6 == n % 6
        return False
    r, g, b = values
    return r == g == b


TERMINALS = {
    "xterm": {"TERM": "xterm"},
    "256color": {"TERM": "xterm-256color"},
    "256color-no-color": {"TERM": "xterm-256color", "NO_COLOR": "1"},
}


@pytest.fixture(scope="module")
def terminal_runs(tmp_path_factory):
    """`python -m sclerotui` once per terminal kind, all at once; COLORTERM is never set."""
    from tests.conftest import build_mini_db

    directory = tmp_path_factory.mktemp("terminals")
    db = build_mini_db(directory / "mini.db")
    return run_many_in_pty(
        {
            name: dict(argv=["--db", str(db)], env=env, wait_for=b"Nintedanib", cwd=directory)
            for name, env in TERMINALS.items()
        }
    )


@pytest.mark.parametrize("name", list(TERMINALS))
def test_real_terminal_starts_paints_and_quits(terminal_runs, name):
    run = terminal_runs[name]
    env = TERMINALS[name]
    assert run.painted, f"no first paint within the deadline:\n{run.text[-2000:]}"
    assert run.returncode == 0, run.text[-2000:]
    assert "Traceback" not in run.text
    used = [c for sgr in run.sgr_parameters() for c in colours(sgr)]
    assert used, "the app drew without any colour attributes at all"
    # The app speaks the palette the terminal announced: no 24-bit colour without COLORTERM,
    # and nothing beyond the 16 base colours on TERM=xterm.
    kinds = {c[0] for c in used}
    assert "rgb" not in kinds
    if env["TERM"] == "xterm":
        assert kinds == {"16"}
    if "NO_COLOR" in env:
        # Textual keeps brightness (so focus and selection stay visible) but drops every hue.
        assert all(is_grey(c) for c in used), sorted({c for c in used if not is_grey(c)})
    else:
        assert not all(is_grey(c) for c in used)
