"""`e` on the forest plot and on the summary of findings writes what the screen shows."""

from __future__ import annotations

import pytest
from evidence_fixture import build_evidence_db

from sclerotui.evidence import WINDOWS, summary
from sclerotui.export import forest_markdown, summary_markdown
from sclerotui.screens.export import ExportScreen
from sclerotui.screens.forest import ForestScreen
from sclerotui.screens.summary import SummaryScreen
from sclerotui.store import Store
from tests.app.helpers import caught_up, explorer_ready, make_app, settle


@pytest.fixture
def evidence_db(tmp_path):
    return build_evidence_db(tmp_path / "evidence.db")


def without_stamp(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "Exported from sclerotui" not in line)


async def export_to(pilot, target) -> str:
    await pilot.press("e")
    await caught_up(pilot)
    assert isinstance(pilot.app.screen, ExportScreen)
    field = pilot.app.screen.query_one("#export-path")
    suggested = field.value
    field.value = str(target)
    await pilot.press("enter")
    await caught_up(pilot)
    return suggested


async def test_e_on_the_forest_plot_exports_the_rows_on_screen(evidence_db, tmp_path):
    app = make_app(evidence_db)
    target = tmp_path / "forest.md"
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        app.main_screen.jump_to("therapy", "rituximab")
        await caught_up(pilot)
        await pilot.press("g", "w", "w")  # the forest, about 52 weeks
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ForestScreen) and len(screen.rows) == 2
        suggested = await export_to(pilot, target)
        assert suggested.endswith("sclerotui-forest-mrss.md")
        assert app.screen is screen  # back on the forest plot
        with Store(evidence_db, read_only=True) as store:
            same = forest_markdown(store, screen.outcome, WINDOWS[2], screen.criteria, "Rituximab")
    text = target.read_text()
    assert without_stamp(text) == without_stamp(same)
    assert "- Timepoints: about 52 weeks (40–64)" in text and "No pooled estimate" in text
    assert target.stat().st_mode & 0o777 == 0o600


async def test_e_on_the_summary_of_findings_exports_it(evidence_db, tmp_path):
    app = make_app(evidence_db)
    target = tmp_path / "summary.md"
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        app.main_screen.jump_to("therapy", "rituximab")
        await caught_up(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, SummaryScreen)
        suggested = await export_to(pilot, target)
        assert suggested.endswith("sclerotui-summary-rituximab.md")
        assert isinstance(app.screen, SummaryScreen)
    with Store(evidence_db, read_only=True) as store:
        rows, left_out = summary(store, "rituximab")
        same = summary_markdown(store, "Rituximab", rows, left_out)
    assert without_stamp(target.read_text()) == without_stamp(same)
