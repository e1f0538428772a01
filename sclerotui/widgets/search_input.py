"""The search box: an Input whose value never holds a control character."""

from __future__ import annotations

from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.widgets import Input

from sclerotui.text import without_controls


class SearchInput(Input):
    """Typed, pasted or assigned text loses its control characters (tabs and newlines become
    spaces). They cannot be searched for, and Input draws its value as it is, so an escape
    sequence pasted into the box would reach the terminal every time the box is drawn."""

    # Input sets its virtual size (the text's width) on every keystroke, and Widget's
    # virtual_size asks for a layout of the whole screen when it changes. The box's own size
    # is fixed by its CSS, so nothing else can move: the layout only repainted every list's
    # scroll bars, on the UI thread, while the search ran. A repaint of the box is enough.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), repaint=True)

    def validate_value(self, value: str) -> str:
        return without_controls(value)

    class Down(Message):
        """Down in the box, with text in it: the screen walks into the results."""

    def key_down(self, event: events.Key) -> None:
        if self.value.strip():
            event.stop()
            # Straight to the screen, ahead of keys still queued here: a Down or Enter typed
            # before the first Down moved the focus must still walk the results.
            self.screen.post_message(self.Down())
