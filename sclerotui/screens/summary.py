"""Summary of findings for one therapy: one row per outcome, each cell traced to its findings."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from sclerotui.evidence import CERTAINTY, MAX_OUTCOMES, NO_POOLING, SummaryRow, finding_sources
from sclerotui.screens import screen_css
from sclerotui.store import Store
from sclerotui.text import counted, one_line, visible
from sclerotui.widgets.key_footer import KeyFooter
from sclerotui.widgets.therapy_list import VIM_KEYS


class SummaryList(OptionList):
    BINDINGS = VIM_KEYS


def summary_content(row: SummaryRow, width: int) -> Content:
    """The outcome, its studies and participants, each trial's effect, the range, certainty."""
    lines = [
        Content.styled(one_line(row.outcome.label), "bold"),
        Content(
            f"  {counted(row.studies, 'trial')} · participants {row.participants}"
            f" · certainty {row.certainty}"
        ),
    ]
    for c in row.comparisons:
        mark = ("", "") if c.verified else (" UNVERIFIED", "reverse $text-warning")
        subgroup = f", {c.subgroup}" if c.subgroup else ""
        lines.append(
            Content.assemble(
                f"  {one_line(c.trial_name)} ({c.when}{one_line(subgroup)}): {c.numbers}", mark
            )
        )
    lines.append(Content.styled(f"  range: {row.spread}", "dim"))
    return Content("\n").join(line.truncate(width - 2, ellipsis=True) for line in lines)


class SummaryScreen(Screen):
    """`enter` on an outcome lists the findings (and sources) every cell of it came from."""

    DEFAULT_CSS = screen_css("summary.tcss")

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("e", "export", "Export"),
    ]

    def __init__(
        self, store: Store, therapy_name: str, rows: list[SummaryRow], left_out: int
    ) -> None:
        super().__init__()
        self.store = store
        self.therapy_name = therapy_name
        self.rows = rows
        self.left_out = left_out

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≡")
        yield Static(id="summary-title")
        yield SummaryList(id="summary-rows")
        with VerticalScroll(id="summary-trace", can_focus=False):
            yield Static(id="summary-trace-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        more = f"; {counted(self.left_out, 'more outcome')} not shown" if self.left_out else ""
        self.query_one("#summary-title", Static).update(
            Content.assemble(
                ("Summary of findings: ", "bold"),
                (one_line(self.therapy_name), "bold $text-accent"),
                f" · {counted(len(self.rows), 'outcome')}, at most {MAX_OUTCOMES}{more}",
                f" · certainty of evidence {CERTAINTY} (no source grades it)\n",
                (NO_POOLING, "dim"),
            )
        )
        self.query_one("#summary-trace").border_title = "Where each figure came from (enter)"
        self.draw()
        self.query_one(SummaryList).focus()

    def on_resize(self) -> None:
        self.draw()

    def draw(self) -> None:
        width = max(40, self.size.width or self.app.size.width) - 2
        options = self.query_one(SummaryList)
        keep = options.highlighted
        options.clear_options()
        if not self.rows:
            options.add_option(
                Option(
                    Content.styled(
                        "No comparison with numbers for this therapy in the database", "dim"
                    ),
                    disabled=True,
                )
            )
            return
        options.add_options(Option(summary_content(row, width)) for row in self.rows)
        options.highlighted = min(keep or 0, len(self.rows) - 1)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if not 0 <= event.option_index < len(self.rows):
            return
        row = self.rows[event.option_index]
        lines = finding_sources(self.store, row.traced)
        self.query_one("#summary-trace-text", Static).update(
            Content.assemble(
                (f"{one_line(row.outcome.label)}: {counted(len(lines), 'finding')}\n", "bold"),
                *(Content(f"• {visible(line)}\n") for line in lines),
            )
        )

    def action_export(self) -> None:
        from sclerotui.export import summary_markdown
        from sclerotui.screens.export import export_markdown

        slug = re.sub(r"[^a-z0-9]+", "-", self.therapy_name.casefold()).strip("-") or "therapy"
        export_markdown(
            self.app,
            "this summary of findings",
            f"sclerotui-summary-{slug}.md",
            lambda: summary_markdown(self.store, self.therapy_name, self.rows, self.left_out),
        )

    def action_back(self) -> None:
        self.app.pop_screen()
