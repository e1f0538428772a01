"""Search hits: kind, title and a snippet with the matched words highlighted."""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sclerotui.query import split_snippet
from sclerotui.search import Hit
from sclerotui.text import one_line, shorten, visible
from sclerotui.widgets.cursor_list import CursorList, Row
from sclerotui.widgets.evidence_list import TITLE_CHARS
from sclerotui.widgets.therapy_list import VIM_KEYS

FIRST_HITS = 25  # before the pane has a size; the rest are added after the first frame
REST_CHUNK = 10  # hits added per frame after the first: a few milliseconds of work each
KIND_STYLE = {"therapy": "$text-accent", "trial": "$text-primary", "case": "$text-secondary"}


def hit_prompt(hit: Hit) -> Content:
    runs = split_snippet(hit.snippet)
    title = one_line(hit.title)
    kind = (f"{hit.kind:<8}", KIND_STYLE.get(hit.kind, ""))
    quoted = "".join(text for text, _ in runs).strip().strip("…").strip()
    if quoted and quoted in title:
        # The words matched in the title: a snippet line would only repeat it. The title
        # shows the matches itself when the snippet holds all of it.
        if quoted == title and len(title) <= TITLE_CHARS:
            marked = [
                (visible(text, multiline=False), "bold reverse" if matched else "bold")
                for text, matched in runs
            ]
            return Content.assemble(kind, *marked)
        return Content.assemble(kind, (shorten(title, TITLE_CHARS), "bold"))
    snippet = [
        (visible(text, multiline=False), "bold reverse" if matched else "dim")
        for text, matched in runs
    ]
    return Content.assemble(
        kind,
        (shorten(title, TITLE_CHARS), "bold"),
        "\n        ",
        *snippet,
    )


class SearchResults(CursorList):
    BINDINGS = VIM_KEYS

    class HitChosen(Message):
        def __init__(self, hit: Hit) -> None:
            self.hit = hit
            super().__init__()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hits: list[Hit] = []
        self._filled = 0  # changes with every refill, so a late top-up knows it is stale

    def show_hits(self, hits: list[Hit], summary: str) -> None:
        """The hits that fill the pane now, the rest a few at a time once it is on screen."""
        self.hits = hits
        self._filled += 1
        self.border_title = Content(one_line(summary))
        first = self._first_screen()
        self.replace_options(first)
        if hits:
            self.highlighted = 0
        if len(hits) > len(first):
            self.call_after_refresh(self._add_rest, self._filled, len(first))

    def _first_screen(self) -> list[Option]:
        """Options for the hits that fill the pane and run just past it, measured as the list
        will measure them. Building a hit's row (its snippet, its wrapping) is most of the
        cost of showing it; and a list longer than the pane shows its scroll bar now, not
        when the rest come (showing it then took a layout of the whole screen)."""
        height = self.scrollable_content_region.height
        if not height:
            return self._hit_options(0, FIRST_HITS)
        padding = self.get_component_styles("option-list--option").padding
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        options: list[Option] = []
        lines = 0
        while lines <= height and len(options) < len(self.hits):
            option = self._hit_option(len(options))
            lines += option.prompt.get_height(self.styles, width - padding.width)
            options.append(option)
        return options

    def _hit_option(self, index: int) -> Option:
        return Option(Row.of(hit_prompt(self.hits[index])), id=str(index))

    def _hit_options(self, start: int, stop: int) -> list[Option]:
        return [self._hit_option(index) for index in range(start, min(stop, len(self.hits)))]

    def _add_rest(self, filled: int, start: int) -> None:
        """A few more hits, then the next few after the next frame: the UI thread stays free
        for keys (all the rest at once held it, longest while the next search ran)."""
        if filled != self._filled:
            return  # a newer search (or message) has replaced these hits
        stop = min(start + REST_CHUNK, len(self.hits))
        self.add_below(self._hit_options(start, stop))
        if stop < len(self.hits):
            self.call_after_refresh(self._add_rest, filled, stop)

    def stop_adding(self) -> None:
        """Add no more of the hits on show: a newer search is running and will replace them
        (adding them took the UI thread from the keys and the frames typing needs)."""
        self._filled += 1

    def show_message(self, message: str, title: str, error: bool = False) -> None:
        """The empty state or a query problem, in place of results."""
        self.hits = []
        self._filled += 1
        self.border_title = Content(one_line(title))
        style = "$text-error" if error else "italic"
        self.replace_options([Option(Content.styled(one_line(message), style), disabled=True)])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.HitChosen(self.hits[int(event.option.id)]))
