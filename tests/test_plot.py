"""Text plots: shared scale, a series per arm, the definitional zero of a change."""

from sclerotui.models import TimelineEvent
from sclerotui.plot import Series, measure_groups, render


def event(arm, week, value, statistic="value", verified=True):
    return TimelineEvent(
        id=f"e-{arm}-{week}",
        trial="t",
        arm=arm,
        week=week,
        kind="measurement",
        measure="mRSS",
        statistic=statistic,
        value=value,
        unit="units",
        source="s",
        verified=verified,
    )


def test_render_puts_extremes_on_the_axis_labels_and_weeks_below():
    plot = render([Series("a", ((0, 20.0), (52, 10.0)))], width=30, height=5)
    assert plot.lines[0].startswith("20 ┤●")
    assert plot.lines[4].startswith("10 ┤") and plot.lines[4].rstrip().endswith("●")
    assert plot.lines[-1].split() == ["w0", "w52"]
    assert all(len(line) <= 30 for line in plot.lines)


def test_render_without_points_says_so():
    assert render([], 30, 5).lines == ["(no numeric values)"]


def test_measure_groups_one_series_per_arm_and_unverified_flag():
    groups = measure_groups(
        [event("x", 0, 25), event("x", 24, 20), event("y", 24, 24, verified=False)],
        {"x": "Drug", "y": "Placebo"},
    )
    assert len(groups) == 1
    assert [s.name for s in groups[0].series] == ["Drug", "Placebo"]
    assert groups[0].series[0].points == ((0, 25), (24, 20))
    assert groups[0].unverified


def test_change_from_baseline_starts_at_zero_without_claiming_a_reported_value():
    (group,) = measure_groups([event("x", 24, -6.3, statistic="change")], {"x": "RTX"})
    series = group.series[0]
    assert series.points == ((0.0, 0.0), (24, -6.3))
    assert series.implicit_baseline
