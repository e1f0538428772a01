"""The note dialog: a note on the record on screen, or on one of a trial's findings."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from sclerotui.notes import MAX_NOTE_CHARS
from sclerotui.screens import screen_css
from sclerotui.text import one_line, shorten, without_controls


class NoteScreen(ModalScreen[tuple[str, str | None] | None]):
    """Returns (text, finding key or None); enter keeps the note, escape cancels."""

    DEFAULT_CSS = screen_css("notes.tcss")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, kind: str, title: str, findings: list[str]) -> None:
        super().__init__()
        self.kind = kind
        self.title_text = title
        self.findings = findings

    def compose(self) -> ComposeResult:
        with Vertical(id="note-dialog"):
            yield Label(
                Content.assemble(("Your note on ", "bold"), shorten(one_line(self.title_text), 60)),
                id="note-title",
            )
            if self.findings:
                options = [Option(f"this {self.kind} as a whole", id="record")]
                options += [
                    Option(Content(shorten(one_line(key), 90)), id=f"finding:{index}")
                    for index, key in enumerate(self.findings)
                ]
                targets = OptionList(*options, id="note-target")
                targets.border_title = "On what (↑↓, then tab or enter)"
                yield targets
            yield Input(placeholder="your note", id="note-text", max_length=MAX_NOTE_CHARS)
            yield Static(
                Content.styled(
                    "enter keeps it (with your user name and the time) · escape cancels", "dim"
                ),
                id="note-message",
            )

    def on_mount(self) -> None:
        self.query_one("#note-text", Input).focus()
        if self.findings:
            self.query_one("#note-target", OptionList).highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#note-text", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = without_controls(event.value).strip()
        if not text:
            self.query_one("#note-message", Static).update(
                Content.styled("Type the note first (escape cancels).", "$text-error")
            )
            return
        finding = None
        if self.findings:
            chosen = self.query_one("#note-target", OptionList).highlighted or 0
            finding = self.findings[chosen - 1] if chosen > 0 else None
        self.dismiss((text, finding))

    def action_cancel(self) -> None:
        self.dismiss(None)
