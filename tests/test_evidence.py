"""The forest plot's and the summary of findings' data: rows, windows, drawing, tracing."""

from __future__ import annotations

import pytest
from evidence_fixture import build_evidence_db

from sclerotui.evidence import (
    WINDOWS,
    Axis,
    axis_for,
    draw,
    finding_sources,
    forest,
    outcomes,
    summary,
)
from sclerotui.facets import Criteria
from sclerotui.store import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with Store(build_evidence_db(tmp_path_factory.mktemp("evidence") / "e.db")) as opened:
        yield opened


def labels(found):
    return [o.label for o in found]


def test_outcomes_of_a_therapy_and_of_a_trial(store):
    assert labels(outcomes(store, therapy="rituximab")) == [
        "mRSS — difference, units",
        "FVC %pred — OR",
    ]
    assert labels(outcomes(store, trial="fx-d")) == ["Event-free survival — HR"]
    assert outcomes(store, therapy="nintedanib") == []


def test_a_forest_has_every_trials_comparison_of_the_outcome(store):
    mrss = outcomes(store, therapy="rituximab")[0]
    rows = forest(store, mrss)
    assert [(r.trial_id, r.numbers, r.verified) for r in rows] == [
        ("fx-a", "−3 (95% CI −5.5 to −0.5)", True),
        ("fx-b", "−1.2 (CI −3 to 0.6, level not stated)", False),
        ("fx-c", "0.5 (95% CI −1 to 2)", True),
    ]
    assert [r.n for r in rows] == ["n=40/40", "n=30/31", "n not stated"]
    assert rows[2].subgroup == "dcSSc subgroup"
    assert all(r.in_filters is None for r in rows)  # no filters active


def test_a_timepoint_window_keeps_the_rows_inside_it(store):
    mrss = outcomes(store, therapy="rituximab")[0]
    assert [r.trial_id for r in forest(store, mrss, WINDOWS[1])] == ["fx-a"]
    assert [r.trial_id for r in forest(store, mrss, WINDOWS[2])] == ["fx-b", "fx-c"]
    survival = outcomes(store, trial="fx-d")[0]
    assert [r.weeks for r in forest(store, survival, WINDOWS[3])] == [104]


def test_rows_say_whether_their_population_matches_the_filters(store):
    mrss = outcomes(store, therapy="rituximab")[0]
    rows = forest(store, mrss, criteria=Criteria(subtype=frozenset({"diffuse"})))
    assert {r.trial_id: r.in_filters for r in rows} == {"fx-a": True, "fx-b": False, "fx-c": True}


def test_an_interval_is_drawn_against_the_line_of_no_effect(store):
    rows = forest(store, outcomes(store, therapy="rituximab")[0])
    axis = axis_for(rows, 21)
    assert not axis.log
    drawn = [draw(r, axis) for r in rows]
    assert drawn[0].index("■") < drawn[0].index("│")  # −3: left of 0
    assert "□" in drawn[1] and "■" not in drawn[1]  # unverified: a hollow marker
    assert "┼" in drawn[2] and drawn[2].index("■") > drawn[2].index("┼")  # 0.5 spans 0
    for line in drawn:
        assert len(line) == 21 and line.count("├") == 1 and line.count("┤") == 1


def test_ratios_use_a_log_axis_with_no_effect_at_one(store):
    rows = forest(store, outcomes(store, trial="fx-d")[0])
    axis = axis_for(rows, 31)
    assert axis.log and rows[0].no_effect == 1.0
    # on a log axis 0.5 and 2 sit as far from 1 on either side
    even = Axis(0.25, 4, True, 41)
    assert even.column(1) - even.column(0.5) == even.column(2) - even.column(1)
    assert all(draw(r, axis).endswith(" ") or "│" in draw(r, axis) for r in rows)


def test_an_unstated_bound_is_drawn_as_a_question_mark(store):
    row = forest(store, outcomes(store, therapy="rituximab")[0])[0]
    from dataclasses import replace

    open_ended = replace(row, ci_high=None)
    drawn = draw(open_ended, axis_for([open_ended], 21))
    assert "├" in drawn and "┤" not in drawn and drawn.index("?") > drawn.index("■")
    assert open_ended.numbers == "−3 (95% CI −5.5 to ?)"


def test_summary_of_findings_per_therapy(store):
    rows, left_out = summary(store, "rituximab")
    assert left_out == 0
    mrss = rows[0]
    assert (mrss.studies, mrss.participants, mrss.spread, mrss.certainty) == (
        2,
        "141",
        "−3 to −1.2 across 2 trials",
        "not assessed",
    )
    assert mrss.traced == [("fx-a", 0), ("fx-b", 0)]
    lines = finding_sources(store, mrss.traced)
    assert lines[0].startswith("FX-A findings[0], verified: mRSS — source: Fixture seed essay")
    assert lines[1].startswith("FX-B findings[0], UNVERIFIED")


def test_summary_participants_say_when_a_trial_gives_no_n(store):
    rows, _ = summary(store, "cyclophosphamide")
    assert [(r.outcome.measure, r.participants) for r in rows] == [("mRSS", "n not stated")]
