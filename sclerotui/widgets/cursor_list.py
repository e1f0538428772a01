"""The base of every list pane: an OptionList that keeps its cursor row in view."""

from __future__ import annotations

from collections.abc import Iterable

from rich._wrap import divide_line
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

    def add_below(self, options: list[Option]) -> None:
        """Options added under the rows on show. When the pane ends above them, only the
        scroll bar changes on screen, so the rows are not drawn again: OptionList repaints
        the whole list for every addition, and a key typed meanwhile waits for it."""
        window_end = self.scroll_offset.y + self.scrollable_content_region.height
        if self.styles.auto_dimensions or window_end > self.virtual_size.height:
            self.add_options(options)
            return
        own = self.__dict__.get("refresh")  # (a test may have wrapped it)
        self.refresh = _no_refresh  # the scroll bar still refreshes itself (_scroll_update)
        try:
            self.add_options(options)
        finally:
            if own is None:
                del self.refresh
            else:
                self.refresh = own

    def on_resize(self) -> None:
        # OptionList keeps its scroll offset when it shrinks: bring the cursor row back.
        # (Textual also runs a subclass's own on_resize: this one runs as well.)
        self.call_after_refresh(self.scroll_to_highlight)


def _no_refresh(*args, **kwargs) -> None:
    return None


class Row(Content):
    """A list row whose height is counted from its text alone.

    OptionList measures each option it is given by wrapping it (`get_height`): styled lines
    built, cut and padded only to be counted. For a window of 200 rows that was most of the
    time taken to show a list, and a screenful of search hits (which wrap) spent half its
    time there. The count here takes the same line breaks (rich's `divide_line`, as
    Content's wrapping does) without building the lines; tests compare it with Content's.
    """

    @classmethod
    def of(cls, content: Content) -> Row:
        return cls(content.plain, content.spans, strip_control_codes=False)

    def get_height(self, rules: RulesMap, width: int) -> int:
        text = self.plain
        padding = rules.get("line_pad", 0) * 2
        if "\t" in text or width <= padding:  # leave tabs to Content
            return super().get_height(rules, width)
        width -= padding
        fold = rules.get("text_overflow", "fold") == "fold"
        lines = text.split("\n")
        if rules.get("text_wrap", "wrap") == "nowrap":
            # Unwrapped lines are cut (one line each) or, with `fold`, cut every `width` cells.
            return (
                sum(max(1, -(-cell_len(line) // width)) for line in lines) if fold else len(lines)
            )
        return sum(
            1 if cell_len(line) <= width else len(divide_line(line, width, fold=fold)) + 1
            for line in lines
        )
