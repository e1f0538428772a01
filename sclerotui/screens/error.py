"""The screen shown when the database fails under the app: what happened, and the way out.

Damage in a big file may surface only when a query reaches the broken pages, long after
opening. The app stops using the database then, rather than show half an answer.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from sclerotui.text import visible


class DatabaseErrorScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    DatabaseErrorScreen {
        align: center middle;
    }
    #database-error {
        width: 80%;
        max-width: 90;
        height: auto;
        max-height: 90%;
        border: thick $error;
        background: $surface;
        padding: 1 2;
    }
    """
    BINDINGS = [Binding("q,escape,enter", "quit_app", "Quit")]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="database-error"):
            yield Static(Content.styled("The database cannot be used", "bold $text-error"))
            yield Static(Content(visible(self.message)))
            yield Static(
                Content.styled("Nothing was written to it. Press q to quit.", "dim"),
            )

    def action_quit_app(self) -> None:
        self.app.exit(return_code=2)
