"""The base of every list pane: an OptionList that keeps its cursor row in view."""

from __future__ import annotations

from textual.widgets import OptionList


class CursorList(OptionList):
    def on_resize(self) -> None:
        # OptionList keeps its scroll offset when it shrinks: bring the cursor row back.
        # (Textual also runs a subclass's own on_resize: this one runs as well.)
        self.call_after_refresh(self.scroll_to_highlight)
