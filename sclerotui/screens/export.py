"""Export dialog: asks where to write the Markdown dossier of the record on screen."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from sclerotui.files import write_private
from sclerotui.screens import screen_css
from sclerotui.text import one_line


class ExportScreen(ModalScreen[Path | None]):
    """enter writes the file (the caller's `write` does it); escape cancels."""

    DEFAULT_CSS = screen_css("export.tcss")

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, what: str, default: Path, write) -> None:
        super().__init__()
        self.what = what
        self.default = default
        self.write = write  # Path -> None, raises OSError

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Label(Content(f"Export {one_line(self.what)} to Markdown"), id="export-title")
            yield Input(str(self.default), id="export-path")
            yield Static(
                Content.styled("enter writes · escape cancels", "dim"), id="export-message"
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        message = self.query_one("#export-message", Static)
        if not event.value.strip():
            message.update(Content.styled("Give a file name.", "$text-error"))
            return
        if path.is_dir():
            message.update(
                Content.styled(f"{path} is a directory; add a file name.", "$text-error")
            )
            return
        try:
            self.write(path)
        except OSError as error:
            message.update(
                Content.styled(f"Cannot write {path}: {error.strerror or error}", "$text-error")
            )
            return
        self.dismiss(path.resolve())

    def action_cancel(self) -> None:
        self.dismiss(None)


def default_directory() -> Path:
    """Where `e` suggests writing: the user's documents directory, else the data directory
    beside their database (private), else home. Not the working directory: run from a git
    checkout, a dossier of case records there is one `git add` from being shared."""
    from platformdirs import user_documents_dir

    from sclerotui.bundle import default_db_path

    for candidate in (Path(user_documents_dir()), default_db_path().parent):
        if candidate.is_dir():
            return candidate
    return Path.home()


def export_markdown(app, what: str, file_name: str, text) -> None:
    """Ask where to write `text()` (Markdown), write it there, and say where it went."""

    def write(path: Path) -> None:
        write_private(path, text())

    def done(path: Path | None) -> None:
        if path is not None:
            app.notify(f"Wrote {path}", title="Exported", timeout=6, markup=False)

    app.push_screen(ExportScreen(what, default_directory() / file_name, write), done)
