"""One smoke test of the explorer on the real bundled database, and imported records in it."""

from __future__ import annotations

from pathlib import Path

from sclerotui.app import SclerotuiApp
from sclerotui.bundle import build
from sclerotui.dataset import load_directory
from sclerotui.importers.importing import import_files
from sclerotui.store import Store
from sclerotui.widgets.therapy_list import TherapyList
from sclerotui.widgets.timeline import TimelineEvents
from tests.app.helpers import caught_up, detail_text, static_text

ROOT = Path(__file__).resolve().parents[2]


async def test_bundled_database_browses_to_senscis_and_an_imported_case(tmp_path):
    db = tmp_path / "bundled.db"
    store, _ = build(db)
    import_files(store, [ROOT / "db" / "examples" / "clinic-cases.csv"])
    store.close()
    app = SclerotuiApp(Store(db))
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        ids = [o.id for o in screen.query_one(TherapyList).options if o.id]
        bundled = load_directory(ROOT / "db").therapies
        assert len(ids) == len(bundled) and "nintedanib" in ids and "plasma-exchange" in ids
        screen.jump_to("trial", "senscis")
        await caught_up(pilot)
        text = detail_text(app)
        assert "SENSCIS" in text and "NCT02597933" in text
        assert "[unverified]" in text  # the nintedanib -52.4 mL/year figure is [U]
        assert "FVC %pred" in static_text(screen.query_one("#plot-text"))
        screen.jump_to("case", "clinic-001")
        await caught_up(pilot)
        assert "imported from clinic-cases.csv at " in detail_text(app)
        assert len(screen.query_one(TimelineEvents).options) == 4
