"""The help screen: every key binding, generated from the BINDINGS that define them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
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

QUERY_HELP = f"""Search language: words (prefix-matched), "quoted phrases", -excluded,
and filters field:value — {" ".join(f"{name}:" for name in FACETS)}
e.g.  organ:lung response:resistant   therapy:cyclophosphamide -placebo   "skin score"
Values may be alternatives: organ:lung,skin.  Unverified figures are marked as such."""


def binding_rows(groups: list[tuple[str, list[Binding]]]) -> list[tuple[str, str, str]]:
    rows = []
    for where, bindings in groups:
        for binding in bindings:
            if isinstance(binding, tuple):
                binding = Binding(*binding)
            if binding.description:
                key = binding.key_display or binding.key.replace("slash", "/")
                rows.append((where, key, binding.description))
    return rows


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = screen_css("help.tcss")

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help")]

    def __init__(self, groups: list[tuple[str, list[Binding]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        rows = [Content.styled("sclerotui — keys", "bold $text-accent"), Content("")]
        for where, key, description in binding_rows(self.groups):
            rows.append(
                Content.assemble((f"{key:<16}", "bold"), (f"{where:<10}", "dim"), description)
            )
        for key, description in EXTRA_KEYS:
            rows.append(
                Content.assemble((f"{key:<16}", "bold"), (f"{'anywhere':<10}", "dim"), description)
            )
        rows += [
            Content(""),
            Content(QUERY_HELP),
            Content(""),
            Content.styled("escape closes this help", "dim"),
        ]
        with VerticalScroll(id="help-dialog"):
            yield Static(Content("\n").join(rows))
