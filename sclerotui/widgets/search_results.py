"""Search hits: kind, title and a snippet with the matched words highlighted."""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sclerotui.search import split_snippet
from sclerotui.store import Hit
from sclerotui.text import one_line, shorten, visible
from sclerotui.widgets.cursor_list import CursorList
from sclerotui.widgets.evidence_list import TITLE_CHARS
from sclerotui.widgets.therapy_list import VIM_KEYS

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

    def show_hits(self, hits: list[Hit], summary: str) -> None:
        self.hits = hits
        self.clear_options()
        self.border_title = Content(one_line(summary))
        self.add_options(Option(hit_prompt(hit), id=str(index)) for index, hit in enumerate(hits))
        if hits:
            self.highlighted = 0

    def show_message(self, message: str, title: str, error: bool = False) -> None:
        """The empty state or a query problem, in place of results."""
        self.hits = []
        self.clear_options()
        self.border_title = Content(one_line(title))
        style = "$text-error" if error else "italic"
        self.add_option(Option(Content.styled(one_line(message), style), disabled=True))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.HitChosen(self.hits[int(event.option.id)]))
