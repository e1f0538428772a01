"""Plots that read right: legends show each series' own marker, overlapping points are
marked and said, and values at one time point are written, not plotted as a trend."""

from __future__ import annotations

from sclerotui.plot import MARKERS, OVERLAP, Series, render
from sclerotui.widgets.timeline import legend_rows


def drawn_markers(plot) -> set[str]:
    return {char for line in plot.lines for char in line if char in MARKERS or char == OVERLAP}


def test_each_series_is_drawn_and_listed_with_its_own_marker():
    series = [
        Series("Macitentan 3 mg", ((0, 1.0), (16, 0.9))),
        Series("Macitentan 10 mg", ((0, 2.0), (16, 1.6))),
        Series("Placebo", ((0, 3.0), (16, 0.2))),
    ]
    plot = render(series, width=40, height=6)
    legend = [str(row) for row in legend_rows(series, plot)]
    markers = [row.split(" ", 1)[0] for row in legend]
    assert markers == ["●", "▲", "■"]  # was ● for all three
    assert drawn_markers(plot) == set(markers)
    for row, one in zip(legend, series, strict=True):
        assert one.name in row


def test_overlapping_points_are_marked_and_said_and_neither_series_hidden():
    """SLS-II's arms end at 3.3 and 3.0 from 0: at this height both ends share a cell."""
    series = [
        Series("Mycophenolate mofetil", ((0, 0.0), (104, 3.3)), implicit_baseline=True),
        Series("Cyclophosphamide", ((0, 0.0), (104, 3.0)), implicit_baseline=True),
    ]
    plot = render(series, width=40, height=5)
    assert plot.overlap and OVERLAP in "".join(plot.lines)
    legend = [str(row) for row in legend_rows(series, plot)]
    assert legend[0].startswith("● Mycophenolate mofetil: w104 3.3")
    assert legend[1].startswith("▲ Cyclophosphamide: w104 3")
    assert "overlap" in legend[-1]
    # Apart, each keeps its own marker and no overlap is claimed.
    apart = render([series[0], Series("Other", ((0, 9.0), (104, 12.0)))], width=40, height=5)
    assert not apart.overlap and drawn_markers(apart) == {"●", "▲"}


def test_values_at_one_time_point_are_written_not_plotted():
    """SENSCIS's baselines (72.4 and 72.7) filled a plot's height as if they were a trend."""
    series = [Series("Nintedanib", ((0, 72.4),)), Series("Placebo", ((0, 72.7),))]
    plot = render(series, width=40, height=5)
    assert plot.single_time
    assert len(plot.lines) == 1 and "┤" not in plot.lines[0] and "72" not in plot.lines[0]
    assert "w0 only" in plot.lines[0]
    legend = [str(row) for row in legend_rows(series, plot)]
    assert legend == ["Nintedanib: w0 72.4", "Placebo: w0 72.7"]
