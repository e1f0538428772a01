"""The search box: an Input whose value never holds a control character."""

from __future__ import annotations

from textual.widgets import Input

from sclerotui.text import without_controls


class SearchInput(Input):
    """Typed, pasted or assigned text loses its control characters (tabs and newlines become
    spaces). They cannot be searched for, and Input draws its value as it is, so an escape
    sequence pasted into the box would reach the terminal every time the box is drawn."""

    def validate_value(self, value: str) -> str:
        return without_controls(value)
