"""The forest plot: one outcome's trial comparisons lined up against the line of no effect."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from sclerotui.evidence import (
    ESTIMATE,
    ESTIMATE_UNVERIFIED,
    NO_EFFECT,
    NO_POOLING,
    WINDOWS,
    Comparison,
    Outcome,
    axis_for,
    draw,
    favours_line,
    forest,
)
from sclerotui.facets import NO_CRITERIA, Criteria
from sclerotui.screens import screen_css
from sclerotui.store import Store
from sclerotui.text import counted, one_line
from sclerotui.widgets.key_footer import KeyFooter
from sclerotui.widgets.therapy_list import VIM_KEYS


class ForestList(OptionList):
    BINDINGS = VIM_KEYS


def row_content(row: Comparison, axis, width: int) -> Content:
    """Two lines: who was compared, then the drawn interval, the numbers and the mark."""
    where = (
        ""
        if row.in_filters is None
        else ("  in filters" if row.in_filters else "  OUTSIDE filters")
    )
    subgroup = f" · {one_line(row.subgroup)}" if row.subgroup else ""
    first = Content.assemble(
        (one_line(row.trial_name), "bold"),
        f" · {row.n} · {row.when} · {one_line(row.arms)}{subgroup}",  # a long name cuts the arms
        (where, "italic"),
    ).truncate(width - 2, ellipsis=True)
    mark = (
        ("verified  ", "$text-success") if row.verified else ("UNVERIFIED", "reverse $text-warning")
    )
    second = Content.assemble(
        "  ", (draw(row, axis), "bold" if row.verified else ""), "  ", mark, "  ", row.numbers
    ).truncate(width - 2, ellipsis=True)
    return Content("\n").join([first, second])


class ForestScreen(Screen):
    """`enter` opens the trial of the highlighted comparison in the explorer."""

    DEFAULT_CSS = screen_css("forest.tcss")

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("o", "outcome(1)", "Next outcome"),
        Binding("O", "outcome(-1)", "Previous outcome", show=False),
        Binding("w", "window", "Timepoints"),
        Binding("e", "export", "Export"),
    ]

    def __init__(
        self,
        store: Store,
        choices: list[Outcome],
        start: int = 0,
        criteria: Criteria = NO_CRITERIA,
        context: str = "",
    ) -> None:
        super().__init__()
        self.store = store
        self.choices = choices
        self.index = start
        self.window = 0
        self.criteria = criteria
        self.context = context  # where it was opened from, e.g. "Tocilizumab"
        self.rows: list[Comparison] = []

    @property
    def outcome(self) -> Outcome:
        return self.choices[self.index]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≡")
        yield Static(id="forest-title")
        yield Static(id="forest-note")
        yield ForestList(id="forest-rows")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.refresh_rows()
        self.query_one(ForestList).focus()

    def on_resize(self) -> None:
        self.draw()

    def refresh_rows(self) -> None:
        self.rows = forest(self.store, self.outcome, WINDOWS[self.window], self.criteria)
        self.draw()

    def draw(self) -> None:
        width = max(40, self.size.width or self.app.size.width) - 2
        longest = max((len(row.numbers) for row in self.rows), default=0)
        drawn = max(12, min(40, width - longest - 20))  # the numbers and the mark always show
        axis = axis_for(self.rows, drawn)
        outcome = self.outcome
        filters = self.criteria.describe() if self.criteria else "no filters"
        self.query_one("#forest-title", Static).update(
            Content.assemble(
                ("Forest plot: ", "bold"),
                (one_line(outcome.label), "bold $text-accent"),
                f" · {WINDOWS[self.window].label} · {counted(len(self.rows), 'comparison')}",
                f" · outcome {self.index + 1} of {len(self.choices)}",
                (f" · from {one_line(self.context)}" if self.context else "", "dim"),
                (f" · {filters}", "dim"),
            )
        )
        scale = "log scale, " if axis.log else ""
        no_effect = "1" if axis.log else "0"
        self.query_one("#forest-note", Static).update(
            Content(
                f"{ESTIMATE} estimate ({ESTIMATE_UNVERIFIED} unverified)  ├─┤ interval  "
                f"{NO_EFFECT} no effect ({scale}at {no_effect})  ? bound not given\n"
                f"{favours_line(self.rows, axis)}\n{NO_POOLING}"
            )
        )
        rows = self.query_one(ForestList)
        keep = rows.highlighted
        rows.clear_options()
        if not self.rows:
            rows.add_option(
                Option(
                    Content.styled(
                        "No comparisons with numbers in this timepoint window (w)", "dim"
                    ),
                    disabled=True,
                )
            )
            return
        rows.add_options(Option(row_content(row, axis, width)) for row in self.rows)
        rows.highlighted = min(keep or 0, len(self.rows) - 1)

    def action_outcome(self, step: int) -> None:
        self.index = (self.index + step) % len(self.choices)
        self.refresh_rows()

    def action_window(self) -> None:
        self.window = (self.window + 1) % len(WINDOWS)
        self.refresh_rows()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.rows):
            self.app.open_in_explorer("trial", self.rows[event.option_index].trial_id)

    def action_export(self) -> None:
        from sclerotui.export import forest_markdown
        from sclerotui.screens.export import export_markdown

        outcome, window, rows = self.outcome, WINDOWS[self.window], list(self.rows)
        slug = re.sub(r"[^a-z0-9]+", "-", outcome.measure.casefold()).strip("-") or "outcome"
        export_markdown(
            self.app,
            "this forest plot",
            f"sclerotui-forest-{slug}.md",
            lambda: forest_markdown(self.store, outcome, window, self.criteria, self.context, rows),
        )

    def action_back(self) -> None:
        self.app.pop_screen()
