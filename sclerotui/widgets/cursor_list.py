"""The base of every list pane: an OptionList that keeps its cursor row in view."""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from textual.content import Content
from textual.css.styles import RulesMap
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class CursorList(OptionList):
    # Textual lays out the whole screen whenever a widget's virtual size changes, which for a
    # list is every refill. The list's own size comes from CSS, not from its rows, and the
    # scroll bar's showing or hiding still asks for a layout of its own: a repaint is enough.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), repaint=True)

    def replace_options(self, options: Iterable[Option]) -> None:
        """All rows at once. (Clearing first measures the rows twice and, as the list empties
        and fills, hides and shows the scroll bar: two layouts of the screen for nothing.)"""
        options = list(options)
        if options:
            self.set_options(options)
        else:
            self.clear_options()

    def on_resize(self) -> None:
        # OptionList keeps its scroll offset when it shrinks: bring the cursor row back.
        # (Textual also runs a subclass's own on_resize: this one runs as well.)
        self.call_after_refresh(self.scroll_to_highlight)


class Row(Content):
    """A list row whose height is counted without wrapping it when that is known.

    OptionList measures each option it is given by wrapping it (`get_height`); for a window
    of 200 rows that was most of the time taken to show a list. A row in a list that does not
    wrap (`text-wrap: nowrap`), or whose lines all fit the width, is as many lines high as it
    has lines; anything else is measured as before.
    """

    @classmethod
    def of(cls, content: Content) -> Row:
        return cls(content.plain, content.spans, strip_control_codes=False)

    def get_height(self, rules: RulesMap, width: int) -> int:
        text = self.plain
        if rules.get("line_pad", 0) or "\t" in text:
            return super().get_height(rules, width)
        lines = text.split("\n")
        if rules.get("text_wrap", "wrap") == "nowrap":
            return len(lines)
        if all(cell_len(line) <= width for line in lines):
            return len(lines)
        return super().get_height(rules, width)
