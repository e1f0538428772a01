"""Command palette provider: jump to any therapy, trial or case by fuzzy name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from sclerotui.text import one_line


def highlight(matcher, text: str) -> Content:
    """The matched letters in bold. Matcher.highlight would parse a record's title as
    markup: a title holding [@click=…] would run an action, a lone [/] would raise."""
    content = Content(text)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class JumpProvider(Provider):
    async def startup(self) -> None:
        store = self.app.store  # the explorer's; a worker may be reading it too
        with store.lock:
            self.titles = store.titles()

    def _open(self, kind: str, record_id: str) -> None:
        self.app.main_screen.jump_to(kind, record_id)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for kind, record_id, title in self.titles:
            text = f"{kind}: {one_line(title)}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    highlight(matcher, text),
                    partial(self._open, kind, record_id),
                    text=text,
                    help=f"open this {kind} in the explorer",
                )

    async def discover(self) -> Hits:
        for kind, record_id, title in self.titles[:40]:
            text = f"{kind}: {one_line(title)}"
            yield DiscoveryHit(Content(text), partial(self._open, kind, record_id), text=text)
