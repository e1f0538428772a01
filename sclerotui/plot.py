"""Small text plots of outcome measures over time: one series per trial arm.

Pure functions from numbers to lines of characters, so plots render identically in the
terminal, in snapshot tests and in Markdown exports. The widget only adds colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MARKERS = "●▲■◆○△□◇"
OVERLAP = "*"  # two or more series' points in one cell: neither hides the other unsaid


def marker(index: int) -> str:
    """The marker of the series at `index`: the plot and its legend use the same."""
    return MARKERS[index % len(MARKERS)]


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[tuple[float, float], ...]  # (week, value), sorted by week
    implicit_baseline: bool = False  # the first point is the definitional 0 of a change


@dataclass(frozen=True)
class Plot:
    lines: list[str]
    # For each line, the (column, series index) of every character drawn for a series.
    cells: list[list[tuple[int, int]]]
    overlap: bool = False  # some cell holds points of two or more series (drawn OVERLAP)
    single_time: bool = False  # every value is at one time point: no axes, nothing to trend


def _fmt(value: float) -> str:
    # Thousands are written out (1,500 mL); beyond a million the digits say nothing more.
    return f"{value:,.0f}" if 1000 <= abs(value) < 1e6 else f"{value:.3g}"


def _scale(value: float, low: float, high: float, size: int) -> int:
    if high == low:
        return size // 2
    span = high - low
    if math.isinf(span):  # the range overflows a float (-1e308 to 1e308): scale halves
        fraction = (value / 2 - low / 2) / (high / 2 - low / 2)
    else:
        fraction = (value - low) / span
    return min(size - 1, max(0, round(fraction * (size - 1))))


def render(
    series: list[Series],
    width: int = 40,
    height: int = 6,
    scale: tuple[float, float, float, float] | None = None,
) -> Plot:
    """Draw the series on a shared scale: y labels on the left, weeks along the bottom.

    `scale` (low, high, first week, last week) fixes the axes, so plots side by side compare.
    """
    points = [p for s in series for p in s.points]
    if not points:
        return Plot(["(no numeric values)"], [[]])
    weeks = {w for w, _ in points}
    if len(weeks) == 1:
        # Values at one time point (a baseline, say) on an axis of their own spread read
        # as a trend: 72.4 and 72.7 filled the plot's height. The values are written out.
        return Plot(
            [f"w{_fmt(weeks.pop())} only: one time point, no trend to plot"], [[]], single_time=True
        )
    low, high, first, last = scale or bounds(series)
    if low == high:
        low, high = low - 1, high + 1  # a flat line still needs a scale
    label_width = max(len(_fmt(high)), len(_fmt(low)))
    plot_width = max(8, width - label_width - 2)
    height = max(3, height)
    grid = [[" "] * plot_width for _ in range(height)]
    owner: dict[tuple[int, int], int] = {}
    points_at: dict[tuple[int, int], set[int]] = {}  # which series have a point in a cell
    for index, one in enumerate(series):
        cells = [
            (_scale(w, first, last, plot_width), height - 1 - _scale(v, low, high, height))
            for w, v in one.points
        ]
        for (x0, y0), (x1, y1) in zip(cells, cells[1:], strict=False):
            for step in range(1, max(abs(x1 - x0), 1)):
                x = x0 + step
                y = round(y0 + (y1 - y0) * step / max(x1 - x0, 1))
                if grid[y][x] == " ":
                    grid[y][x], owner[(y, x)] = "·", index
        for x, y in cells:
            points_at.setdefault((y, x), set()).add(index)
    overlap = False
    for (y, x), indexes in points_at.items():
        if len(indexes) > 1:
            grid[y][x] = OVERLAP
            owner.pop((y, x), None)
            overlap = True
        else:
            (index,) = indexes
            grid[y][x], owner[(y, x)] = marker(index), index
    lines, cells_by_line = [], []
    for row, chars in enumerate(grid):
        label = _fmt(high) if row == 0 else _fmt(low) if row == height - 1 else ""
        prefix = f"{label:>{label_width}} ┤"
        lines.append(prefix + "".join(chars))
        cells_by_line.append(
            [(len(prefix) + x, owner[(row, x)]) for x in range(plot_width) if (row, x) in owner]
        )
    axis = " " * label_width + " └" + "─" * plot_width
    start, end = f"w{_fmt(first)}", f"w{_fmt(last)}"
    ticks = " " * (label_width + 2) + start
    if last != first:
        ticks += end.rjust(plot_width - len(start))
    lines += [axis, ticks]
    cells_by_line += [[], []]
    return Plot(lines, cells_by_line, overlap=overlap)


def bounds(series: list[Series]) -> tuple[float, float, float, float]:
    """(lowest value, highest value, first week, last week) over all the series."""
    points = [p for s in series for p in s.points]
    values = [v for _, v in points]
    weeks = [w for w, _ in points]
    return min(values), max(values), min(weeks), max(weeks)


@dataclass(frozen=True)
class MeasureGroup:
    """One plot: a measure and statistic, with a series per arm (or one for a case)."""

    measure: str
    statistic: str
    unit: str
    series: list[Series]
    unverified: bool  # any value in it unverified


def measure_groups(events, arm_names: dict[str, str] | None = None) -> list[MeasureGroup]:
    """Group numeric timeline events into plots, in first-seen order of measure."""
    arm_names = arm_names or {}
    groups: dict[tuple[str, str], dict[str, list[tuple[float, float]]]] = {}
    units: dict[tuple[str, str], str] = {}
    unverified: dict[tuple[str, str], bool] = {}
    for event in events:
        if event.value is None or event.week is None or event.measure is None:
            continue
        statistic = event.statistic.value if event.statistic else "value"
        key = (event.measure, statistic)
        name = arm_names.get(event.arm or "", event.arm or "patient")
        name = f"{name}, {event.series}" if event.series else name  # one quantity, one population
        groups.setdefault(key, {}).setdefault(name, []).append((event.week, event.value))
        units.setdefault(key, event.unit or "")
        unverified[key] = unverified.get(key, False) or event.verified is False
    return [
        MeasureGroup(
            measure,
            statistic,
            units[(measure, statistic)],
            [_series(name, points, statistic) for name, points in arms.items()],
            unverified[(measure, statistic)],
        )
        for (measure, statistic), arms in groups.items()
    ]


def _series(name: str, points: list[tuple[float, float]], statistic: str) -> Series:
    """A change from baseline is zero at baseline by definition: draw from there."""
    points = sorted(points)
    implicit = statistic == "change" and points[0][0] > 0
    if implicit:
        points.insert(0, (0.0, 0.0))
    return Series(name, tuple(points), implicit_baseline=implicit)
