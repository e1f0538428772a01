"""The outcome timeline: a small plot per measure (a series per arm) and the events in order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Vertical, VerticalScroll
from textual.content import Content, Span
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from sclerotui.text import one_line
from sclerotui.widgets.cursor_list import CursorList, Row
from sclerotui.widgets.therapy_list import VIM_KEYS

if TYPE_CHECKING:
    from sclerotui.models import TimelineEvent
    from sclerotui.plot import MeasureGroup

# The plotting module is imported when a timeline is first drawn: the first frame has none.

SERIES_STYLES = [
    "$text-primary",
    "$text-warning",
    "$text-success",
    "$text-error",
    "$text-secondary",
    "$text-accent",
]
STATISTIC_LABEL = {
    "value": "",
    "change": "change from baseline",
    "rate": "rate",
    "count": "count",
    "percent": "% of patients",
}
# Each event kind in words that read whole in the list ("therapy-star" was cut from 13).
KIND_LABEL = {
    "diagnosis": "diagnosis",
    "therapy-start": "started",
    "therapy-stop": "stopped",
    "measurement": "measured",
    "response-assessment": "response",
    "adverse-event": "adverse event",
    "procedure": "procedure",
}
# Which detail section an event points at, by event kind (measurements: the results).
SECTION_FOR_KIND = {
    "diagnosis": "header",
    "therapy-start": "sequence",
    "therapy-stop": "sequence",
    "measurement": "results",
    "response-assessment": "sequence",
    "adverse-event": "safety",
    "procedure": "sequence",
}


def when(event: TimelineEvent) -> str:
    if event.week is None:
        return event.date or "?"
    if abs(event.week) >= 104 and event.week % 52 == 0:
        return f"y{event.week / 52:g}"
    return f"w{event.week:g}"


def event_prompt(
    event: TimelineEvent, arm_names: dict[str, str], therapy_names: dict[str, str]
) -> Content:
    kind = KIND_LABEL.get(event.kind.value, event.kind.value)
    parts: list = [(f"{when(event):>5} ", "bold"), (f"{kind:<9} ", "dim")]
    if event.arm:
        parts.append((f"{one_line(arm_names.get(event.arm, event.arm))}: ", "$text-primary"))
    elif event.therapy:
        parts.append(
            (f"{one_line(therapy_names.get(event.therapy, event.therapy))}: ", "$text-secondary")
        )
    if event.value is not None:
        stat = STATISTIC_LABEL.get(event.statistic.value if event.statistic else "value", "")
        parts.append((f"{one_line(event.measure or '')} {event.value:g}", "bold"))
        parts.append(f" {one_line(event.unit or '')}{f' ({stat})' if stat else ''}")
        if event.verified is False:
            parts.append((" unverified", "reverse $text-warning"))
    if event.note:
        parts.append(((" — " if event.value is not None else "") + one_line(event.note), ""))
    return Content.assemble(*parts)


def series_spans(cells: list[tuple[int, int]]) -> list[Span]:
    """One span per run of neighbouring cells of one series (a span per cell is slow to draw)."""
    spans: list[Span] = []
    for column, series_index in sorted(cells):
        style = SERIES_STYLES[series_index % len(SERIES_STYLES)]
        if spans and spans[-1].end == column and spans[-1].style == style:
            spans[-1] = Span(spans[-1].start, column + 1, style)
        else:
            spans.append(Span(column, column + 1, style))
    return spans


def legend_rows(series: list, plot) -> list[Content]:
    """Each series with the marker it is drawn with (shape, not colour alone, tells them
    apart: NO_COLOR has none) and its values; a note when points share a cell."""
    from sclerotui.plot import OVERLAP, marker

    rows = []
    for index, one in enumerate(series):
        shown = one.points[1:] if one.implicit_baseline else one.points
        values = " → ".join(f"w{w:g} {v:g}" for w, v in shown)
        rows.append(
            Content.assemble(
                (
                    "" if plot.single_time else f"{marker(index)} ",
                    SERIES_STYLES[index % len(SERIES_STYLES)],
                ),
                (one_line(one.name), "bold"),
                f": {values}",
            )
        )
    if plot.overlap:
        rows.append(Content.styled(f"{OVERLAP} series overlap there (values above)", "dim"))
    return rows


def plot_content(group: MeasureGroup, width: int) -> Content:
    """One measure's plot, a legend and the values as text."""
    stat = STATISTIC_LABEL.get(group.statistic, group.statistic)
    title = f"{group.measure}{' ' + stat if stat else ''} ({one_line(group.unit) or 'no unit'})"
    rows: list[Content] = [Content.styled(title, "bold")]
    from sclerotui.plot import render

    plot = render(group.series, width=max(20, width), height=5)
    if plot.single_time:
        rows.append(Content.styled(plot.lines[0], "italic dim"))
    else:
        for line, cells in zip(plot.lines, plot.cells, strict=True):
            rows.append(Content(line, spans=series_spans(cells)))
    rows += legend_rows(group.series, plot)
    if group.unverified:
        rows.append(Content.styled("includes unverified values", "$text-warning"))
    return Content("\n").join(rows)


class TimelineEvents(CursorList):
    BINDINGS = VIM_KEYS

    class EventChosen(Message):
        def __init__(self, event: TimelineEvent) -> None:
            self.event = event
            super().__init__()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.events: list[TimelineEvent] = []

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.EventChosen(self.events[int(event.option.id)]))


class TimelinePane(Vertical):
    """Plots above, the event list below; both scroll on their own.

    Both are mounted when the first timeline is shown, not with the explorer's first frame
    (in which the pane is empty): every widget takes time to style, lay out and draw.
    """

    ALLOW_MAXIMIZE = True  # `z` on the event list zooms the whole pane, plots included

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        # Empty (narrow) until a timeline has events: the first frame is laid out as the
        # first record without events will be (at 80x24, growing the panes beside it after
        # the first frame left a stale picture of the timeline in the terminal).
        self.add_class("-empty")
        self._shown: tuple | None = None
        self._width = 0
        # Built by the first show(); the plot text is kept, as the scroll holding it mounts
        # its children only once it is mounted itself.
        self._plots: VerticalScroll | None = None
        self._plot_text = Static(id="plot-text")
        self._events = TimelineEvents(id="events")

    def on_resize(self) -> None:
        # Plots are drawn to the pane's width: re-draw when it changes.
        if self._plots is not None and self._plots.content_size.width != self._width:
            self.show(*self._shown)

    def _mount_parts(self) -> VerticalScroll:
        self._plots = VerticalScroll(self._plot_text, id="plots", can_focus=False)
        self.mount(self._plots, self._events)
        # Not laid out yet: the plots are drawn at a guessed width, then again at theirs.
        self.call_after_refresh(self.on_resize)
        return self._plots

    def show(
        self,
        events: list[TimelineEvent],
        arm_names: dict[str, str],
        therapy_names: dict[str, str],
        empty: str = "No timeline",
    ) -> None:
        plots_pane = self._plots or self._mount_parts()
        width = max(20, (plots_pane.content_size.width or 38) - 2)
        self._shown = (events, arm_names, therapy_names, empty)
        self._width = plots_pane.content_size.width
        from sclerotui.plot import measure_groups

        groups = measure_groups(events, arm_names)
        plots = [plot_content(group, width) for group in groups]
        if not events:
            text = Content.styled(empty, "italic dim")
        elif plots:
            text = Content("\n\n").join(plots)
        else:
            text = Content.styled(
                "No measured values in this timeline (events only).", "italic dim"
            )
        self._plot_text.update(text)
        # With events but nothing to plot, the event list gets the whole pane; with no
        # events, the pane narrows to its message and the detail beside it takes the room.
        plots_pane.display = bool(plots) or not events
        self.set_class(not events, "-empty")
        event_list = self._events  # (held: a pane closing as the app quits mounts nothing)
        event_list.display = bool(events)
        event_list.events = events
        event_list.replace_options(
            Option(Row.of(event_prompt(e, arm_names, therapy_names)), id=str(i))
            for i, e in enumerate(events)
        )
