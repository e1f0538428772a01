"""Search hits: kind, title and a snippet with the matched words highlighted."""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sclerotui.search import split_snippet
from sclerotui.store import Hit
from sclerotui.text import one_line, shorten, visible
from sclerotui.widgets.cursor_list import CursorList, Row
from sclerotui.widgets.evidence_list import TITLE_CHARS
from sclerotui.widgets.therapy_list import VIM_KEYS

FIRST_HITS = 25  # before the pane has a size; the rest are added after the first frame
KIND_STYLE = {"therapy": "$text-accent", "trial": "$text-primary", "case": "$text-secondary"}


def hit_prompt(hit: Hit) -> Content:
    snippet = [
        (visible(text, multiline=False), "bold reverse" if matched else "dim")
        for text, matched in split_snippet(hit.snippet)
    ]
    return Content.assemble(
        (f"{hit.kind:<8}", KIND_STYLE.get(hit.kind, "")),
        (shorten(one_line(hit.title), TITLE_CHARS), "bold"),
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
        """The first screenful now, the rest once it is on screen (each row is measured)."""
        self.hits = hits
        self._filled += 1
        self.border_title = Content(one_line(summary))
        first = self.screenful()
        self.replace_options(self._hit_options(0, first))
        if hits:
            self.highlighted = 0
        if len(hits) > first:
            self.call_after_refresh(self._add_rest, self._filled, first)

    def screenful(self) -> int:
        """How many hits fill the pane: each is at least two lines (measuring a row that
        wraps is most of the cost of showing it)."""
        height = self.scrollable_content_region.height
        return height // 2 + 1 if height else FIRST_HITS

    def _hit_options(self, start: int, stop: int) -> list[Option]:
        return [
            Option(Row.of(hit_prompt(hit)), id=str(index))
            for index, hit in enumerate(self.hits[start:stop], start)
        ]

    def _add_rest(self, filled: int, start: int) -> None:
        if filled == self._filled:
            self.add_options(self._hit_options(start, len(self.hits)))

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
