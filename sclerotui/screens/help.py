"""The help screen: every key binding, generated from the BINDINGS that define them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from sclerotui.facets import FACETS
from sclerotui.screens import screen_css

EXTRA_KEYS = [
    ("tab / shift+tab", "Next / previous pane"),
    ("↑ ↓  j k", "Move in a list; scroll the detail"),
    ("enter", "Open: therapy → its evidence; item → detail; hit → its place; event → detail"),
    ("ctrl+p", "Command palette: jump to any therapy, trial or case by name"),
]

# Every filter of sclerotui.facets; note: has a line of its own, below.
FILTERS = " ".join(f"{name}:" for name, facet in FACETS.items() if facet.sql != "note")
QUERY_HELP = f"""Search language: words (prefix-matched), "quoted phrases", -excluded,
and filters field:value — {FILTERS}
e.g.  organ:lung response:resistant   therapy:cyclophosphamide -placebo   "skin score"
Values may be alternatives: organ:lung,skin.  Unverified figures are marked as such.
note:word finds records whose notes (yours, a / b) hold the word; note:* any note or bookmark."""


def binding_rows(groups: list[tuple[str, list[Binding]]]) -> list[tuple[str, str, str]]:
    rows = []
    for where, bindings in groups:
        for binding in bindings:
            if isinstance(binding, tuple):
                binding = Binding(*binding)
            if binding.description:
                key = binding.key_display or binding.key.replace("slash", "/")
                # The footer's short label, and the longer one where there is one.
                text = binding.description
                if binding.tooltip:
                    text = f"{text}: {binding.tooltip[0].lower()}{binding.tooltip[1:]}"
                rows.append((where, key, text))
    return rows


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = screen_css("help.tcss")

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help")]

    def __init__(self, groups: list[tuple[str, list[Binding]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        rows = binding_rows(self.groups) + [("anywhere", k, d) for k, d in EXTRA_KEYS]
        with VerticalScroll(id="help-dialog"):
            yield Static(Content.styled("sclerotui — keys", "bold $text-accent"), id="help-title")
            # A grid, so a description that wraps stays in its own column.
            with Grid(id="help-keys"):
                for where, key, description in rows:
                    yield Static(Content.styled(key, "bold"), classes="help-key")
                    yield Static(Content.styled(where, "dim"), classes="help-where")
                    yield Static(Content(description), classes="help-text")
            yield Static(Content(QUERY_HELP), id="help-query")
            yield Static(Content.styled("escape closes this help", "dim"))

    def help_text(self) -> str:
        """Everything the help says, as plain text."""
        return "\n".join(str(getattr(s.content, "plain", s.content)) for s in self.query(Static))
