"""The forest plot and the summary of findings: their keys (Pilot) and snapshots."""

from __future__ import annotations

import pytest
from evidence_fixture import build_evidence_db

from sclerotui.facets import Criteria
from sclerotui.screens.forest import ForestList, ForestScreen
from sclerotui.screens.main import MainScreen
from sclerotui.screens.summary import SummaryList, SummaryScreen
from tests.app.helpers import caught_up, explorer_ready, make_app, option_texts, settle, static_text


@pytest.fixture
def evidence_db(tmp_path):
    return build_evidence_db(tmp_path / "evidence.db")


async def open_forest(pilot, therapy="rituximab"):
    pilot.app.main_screen.jump_to("therapy", therapy)
    await caught_up(pilot)
    await pilot.press("g")
    await settle(pilot)


async def open_summary(pilot, therapy="rituximab"):
    pilot.app.main_screen.jump_to("therapy", therapy)
    await caught_up(pilot)
    await pilot.press("u")
    await settle(pilot)


def forest_text(screen) -> str:
    title = static_text(screen.query_one("#forest-title"))
    note = static_text(screen.query_one("#forest-note"))
    return "\n".join([title, note, *option_texts(screen.query_one(ForestList))])


async def test_g_on_a_therapy_opens_its_forest_plot(evidence_db):
    app = make_app(evidence_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        await open_forest(pilot)
        assert isinstance(app.screen, ForestScreen)
        text = forest_text(app.screen)
        assert "Forest plot: mRSS — difference, units · all timepoints · 3 comparisons" in text
        assert "No pooled estimate" in text
        rows = option_texts(app.screen.query_one(ForestList))
        assert rows[0].startswith("FX-A · n=40/40 · week 24 · Rituximab vs Placebo")
        assert "verified    −3 (95% CI −5.5 to −0.5)" in rows[0]
        assert "□" in rows[1] and "UNVERIFIED  −1.2 (CI −3 to 0.6, level not stated)" in rows[1]
        assert "dcSSc subgroup" in rows[2]


async def test_o_w_and_enter_in_the_forest(evidence_db):
    app = make_app(evidence_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        await open_forest(pilot)
        await pilot.press("w")  # up to 26 weeks: FX-A alone
        await settle(pilot)
        assert len(app.screen.rows) == 1 and "up to 26 weeks" in forest_text(app.screen)
        await pilot.press("w", "w", "w")  # round to all timepoints
        await pilot.press("o")  # the next outcome: an odds ratio, on a log scale
        await settle(pilot)
        text = forest_text(app.screen)
        assert "FVC %pred — OR" in text and "log scale, at 1" in text
        assert "OR 0.65 (95% CI 0.44 to 0.96)" in text
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.main_screen.item == ("trial", "fx-a")


async def test_g_on_a_trial_and_from_the_comparison(evidence_db):
    app = make_app(evidence_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        app.main_screen.jump_to("trial", "fx-d")
        await caught_up(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert "Event-free survival — HR" in forest_text(app.screen)
        assert "from FX-D" in forest_text(app.screen)
        await pilot.press("escape")
        for therapy in ("rituximab", "hsct"):
            app.main_screen.jump_to("therapy", therapy)
            await caught_up(pilot)
            await pilot.press("m")
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, ForestScreen)
        assert "from Rituximab vs Autologous HSCT" in forest_text(app.screen)
        assert len(app.screen.choices) == 3  # rituximab's two outcomes and HSCT's one


async def test_forest_rows_say_whether_they_match_the_filters(evidence_db):
    app = make_app(evidence_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        app.main_screen.criteria = Criteria(subtype=frozenset({"diffuse"}))
        await settle(pilot)
        await open_forest(pilot)
        rows = option_texts(app.screen.query_one(ForestList))
        assert "in filters" in rows[0] and "OUTSIDE filters" in rows[1]


async def test_u_opens_the_summary_and_enter_traces_a_row(evidence_db):
    app = make_app(evidence_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        await open_summary(pilot)
        assert isinstance(app.screen, SummaryScreen)
        rows = option_texts(app.screen.query_one(SummaryList))
        assert rows[0].startswith("mRSS — difference, units\n  2 trials · participants 141")
        assert (
            "certainty not assessed" in rows[0] and "range: −3 to −1.2 across 2 trials" in rows[0]
        )
        await pilot.press("enter")
        await settle(pilot)
        traced = static_text(app.screen.query_one("#summary-trace-text"))
        assert "2 findings" in traced and "FX-A findings[0], verified" in traced


async def test_palette_offers_the_forest_and_the_summary(evidence_db):
    app = make_app(evidence_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        titles = [c.title for c in app.get_system_commands(app.main_screen)]
        assert "Forest plot" in titles and "Summary of findings" in titles


@pytest.mark.parametrize(
    ("state", "size", "no_color"),
    [
        ("forest", (120, 40), False),
        ("forest", (80, 24), False),
        ("forest", (80, 24), True),
        ("summary", (120, 40), False),
        ("summary", (80, 24), False),
    ],
    ids=[
        "forest-120x40",
        "forest-80x24",
        "forest-80x24-no-color",
        "summary-120x40",
        "summary-80x24",
    ],
)
def test_screen(snap_compare, evidence_db, monkeypatch, state, size, no_color):
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")

    async def run_before(pilot):
        await explorer_ready(pilot)
        if state == "forest":
            await open_forest(pilot)
        else:
            await open_summary(pilot)
            await pilot.press("enter")
            await settle(pilot)

    assert snap_compare(make_app(evidence_db), terminal_size=size, run_before=run_before)
