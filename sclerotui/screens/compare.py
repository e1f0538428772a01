"""Side-by-side comparison of the marked therapies: one column each, aspects aligned in rows."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Static

from sclerotui.compare import Column, measures, shared_scales, to_markdown, trial_line
from sclerotui.plot import render
from sclerotui.screens import screen_css
from sclerotui.text import one_line, visible
from sclerotui.widgets.detail import RESPONSE_STYLE
from sclerotui.widgets.key_footer import KeyFooter
from sclerotui.widgets.therapy_list import CLASS_LABELS
from sclerotui.widgets.timeline import SERIES_STYLES, STATISTIC_LABEL, legend_rows


def header_cell(column: Column) -> Content:
    therapy = column.therapy
    return Content("\n").join(
        [
            Content.styled(one_line(therapy.name), "bold $text-accent"),
            Content.styled(CLASS_LABELS.get(therapy.therapy_class.value, ""), "dim"),
            Content(visible(therapy.mechanism)),
        ]
    )


def trials_cell(column: Column) -> Content:
    rows = [Content.styled("Trials", "bold")]
    for trial in column.trials:
        style = "" if trial.verified else "$text-warning"
        rows.append(Content.styled(trial_line(trial), style))
        rows.append(Content.styled(f"  {one_line(trial.primary_endpoint or '—')}", "dim"))
        rows.append(Content(f"  → {one_line(trial.results)}"))  # whole: it wraps
    if not column.trials:
        rows.append(Content.styled("no trials", "dim italic"))
    return Content("\n").join(rows)


def plot_cell(column: Column, key: tuple[str, str], scale, width: int) -> Content:
    measure, statistic = key
    stat = STATISTIC_LABEL.get(statistic, statistic)
    rows = [Content.styled(f"{measure}{' ' + stat if stat else ''}", "bold")]
    group = next((g for g in column.groups if (g.measure, g.statistic) == key), None)
    if group is None:
        rows.append(Content.styled("no values", "dim italic"))
        return Content("\n").join(rows)
    plot = render(group.series, width=width, height=5, scale=scale)
    if plot.single_time:
        rows.append(Content.styled(plot.lines[0], "italic dim"))
    else:
        for line, cells in zip(plot.lines, plot.cells, strict=True):
            content = Content(line)
            for x, index in cells:
                content = content.stylize(SERIES_STYLES[index % len(SERIES_STYLES)], x, x + 1)
            rows.append(content)
    rows += legend_rows(group.series, plot)
    if group.unverified:
        rows.append(Content.styled("includes unverified values", "$text-warning"))
    return Content("\n").join(rows)


def safety_cell(column: Column) -> Content:
    rows = [Content.styled("Safety", "bold")]
    rows += [
        Content.assemble((f"{one_line(name)}: ", "bold"), visible(text))
        for name, text in column.safety
    ]
    if not column.safety:
        rows.append(Content.styled("not reported", "dim italic"))
    return Content("\n").join(rows)


def cases_cell(column: Column) -> Content:
    mix = [
        Content.assemble((f"  {response}: {count}", RESPONSE_STYLE.get(response, "")))
        for response, count in sorted(column.responses.items())
    ]
    position = column.position
    return Content("\n").join(
        [
            Content.styled(f"Cases: {column.cases}", "bold"),
            *mix,
            Content.styled("Pathways", "bold"),
            Content(
                f"  given after a failure: {position.used_after_failure} "
                f"({position.responded_after_failure} responded)"
            ),
            Content(f"  failed, then another therapy: {position.failed_then_other}"),
        ]
    )


class ComparisonScreen(Screen):
    DEFAULT_CSS = screen_css("compare.tcss")

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("e", "export", "Export"),
        Binding("g", "forest", "Forest plot"),
    ]

    def __init__(self, columns: list[Column]) -> None:
        super().__init__()
        self.columns = columns

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≡")
        with VerticalScroll(id="compare-body"):
            width = max(20, (self.app.size.width - 4) // max(1, len(self.columns)) - 4)
            scales = shared_scales(self.columns)
            rows = [("header", header_cell), ("trials", trials_cell)]
            for name, build in rows:
                with Horizontal(classes=f"compare-row compare-{name}"):
                    for column in self.columns:
                        yield Static(build(column), classes="compare-cell")
            for key in measures(self.columns):
                with Horizontal(classes="compare-row compare-plot"):
                    for column in self.columns:
                        yield Static(
                            plot_cell(column, key, scales[key], width), classes="compare-cell"
                        )
            for name, build in (("safety", safety_cell), ("cases", cases_cell)):
                with Horizontal(classes=f"compare-row compare-{name}"):
                    for column in self.columns:
                        yield Static(build(column), classes="compare-cell")
        yield KeyFooter()

    def on_mount(self) -> None:
        body = self.query_one("#compare-body")
        body.border_title = Content(
            "Comparison: " + " vs ".join(one_line(c.therapy.name) for c in self.columns)
        )
        body.focus()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_forest(self) -> None:
        """The outcomes any compared therapy has trial effects for, as forest plots."""
        from sclerotui.evidence import outcomes

        choices = {}
        for column in self.columns:
            for outcome in outcomes(self.app.main_screen.store, therapy=column.therapy.id):
                choices.setdefault(outcome.key, outcome)
        names = " vs ".join(one_line(c.therapy.name) for c in self.columns)
        self.app.main_screen.open_forest(list(choices.values()), names)

    def action_export(self) -> None:
        from sclerotui.screens.export import export_markdown

        ids = "-".join(c.therapy.id for c in self.columns)
        export_markdown(
            self.app,
            "this comparison",
            f"sclerotui-compare-{ids}.md",
            lambda: to_markdown(self.columns, {}),
        )
