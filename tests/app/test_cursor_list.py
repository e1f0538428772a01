"""The list panes' base: a row's height counted from its text, rows added below the pane."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets.option_list import Option

from sclerotui.widgets.cursor_list import CursorList, Row

# Words of every width: ASCII, wide (two cells), combining marks, and runs longer than a line.
WORDS = st.sampled_from(
    ["a", "lung", "fibrosis", "cyclophosphamide", "x" * 45, "間質性肺疾患", "e\u0301", "—", "…"]
)
SPACES = st.sampled_from([" ", "  ", "\n", " \n", "\n\n"])
TEXTS = st.lists(st.tuples(WORDS, SPACES), max_size=30).map(
    lambda pairs: "".join(word + space for word, space in pairs)
)
RULES = st.fixed_dictionaries(
    {
        "text_wrap": st.sampled_from(["wrap", "nowrap"]),
        "text_overflow": st.sampled_from(["fold", "ellipsis", "clip"]),
        "line_pad": st.integers(0, 2),
    }
)


@settings(max_examples=600, deadline=None)
@given(text=TEXTS, rules=RULES, width=st.integers(1, 90))
def test_a_rows_height_is_the_height_content_wraps_it_to(text, rules, width):
    assume(width > 2 * rules["line_pad"])  # narrower, Textual's own measure fails
    expected = Content(text).get_height(rules, width)
    assert Row(text).get_height(rules, width) == expected


def test_a_hit_with_a_long_snippet_is_counted_over_several_lines():
    text = "case    Synthetic case 1\n        " + "skin thickening of the forearms " * 6
    rules = {"text_wrap": "wrap", "text_overflow": "fold", "line_pad": 0}
    assert Row(text).get_height(rules, 40) == Content(text).get_height(rules, 40) > 3


class OneList(App):
    CSS = "CursorList { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield CursorList(*[f"row {i}" for i in range(3)])


async def test_rows_added_below_are_drawn_when_the_pane_shows_them():
    app = OneList()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()  # three rows drawn in a pane with room for more
        rows = app.query_one(CursorList)
        rows.add_below([Option(f"row {i}") for i in range(3, 6)])
        await pilot.pause()
        assert "row 5" in screen_text(app)


async def test_rows_added_below_the_pane_leave_the_rows_on_show_as_drawn():
    app = OneList()
    async with app.run_test(size=(40, 12)) as pilot:
        rows = app.query_one(CursorList)
        rows.add_below([Option(f"row {i}") for i in range(3, 40)])
        await pilot.pause()
        repaints = []
        refresh = rows.refresh
        rows.refresh = lambda *args, **kwargs: repaints.append(kwargs) or refresh(*args, **kwargs)
        rows.add_below([Option(f"more {i}") for i in range(20)])
        await pilot.pause()
        assert repaints == [] and rows.option_count == 60
        drawn = screen_text(app)
        rows.refresh = refresh
        rows.refresh()  # what a repaint would draw: the same rows, the scroll bar as it is
        await pilot.pause()
        assert screen_text(app) == drawn and "row 0" in drawn
        rows.action_last()  # the new rows are there to be scrolled to
        await pilot.pause()
        assert "more 19" in screen_text(app)


def screen_text(app: App) -> str:
    """The screen as the widgets' own caches draw it (a missed repaint shows the old rows)."""
    update = app.screen._compositor.render_full_update()
    return "\n".join("".join(strip.text for strip in line) for line in update.strips)
