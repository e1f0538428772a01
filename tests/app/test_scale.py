"""Lists stay bounded however many cases there are: the evidence list holds one window."""

from __future__ import annotations

import pytest

from sclerotui.synth import synthesize
from sclerotui.widgets.evidence_list import WINDOW, EvidenceList
from tests.app.helpers import make_app, static_text


@pytest.fixture(scope="module")
def synthetic_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("synth") / "synthetic.db"
    synthesize(path, 6000, seed=7)
    return path


async def test_evidence_list_is_a_bounded_window_that_reaches_both_ends(synthetic_db):
    app = make_app(synthetic_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        assert "SYNTHETIC DATA" in static_text(screen.query_one("#status"))
        screen.jump_to("therapy", "cyclophosphamide")
        await pilot.pause()
        evidence = screen.query_one(EvidenceList)
        total = evidence.total
        assert total > 3 * WINDOW  # cyclophosphamide has many synthetic cases
        assert evidence.option_count == WINDOW
        evidence.focus()
        await pilot.press("end")
        await pilot.pause()
        assert evidence.window_offset + evidence.option_count == total
        assert evidence.highlighted == evidence.option_count - 1
        last_case = screen.item
        assert last_case is not None and last_case[0] == "case"
        await pilot.press("home")
        await pilot.pause()
        assert evidence.window_offset == 0 and evidence.highlighted == 0
        for _ in range(WINDOW + 5):  # walk past the end of the first window
            await pilot.press("j")
        await pilot.pause()
        assert evidence.window_offset > 0
        assert evidence.window_offset + evidence.highlighted == WINDOW + 5
        assert evidence.option_count <= WINDOW
        await pilot.press("pagedown", "pagedown", "pageup")
        await pilot.pause()
        assert evidence.option_count <= WINDOW


async def test_selection_survives_refilter_in_a_far_window(synthetic_db):
    app = make_app(synthetic_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        screen.jump_to("therapy", "cyclophosphamide")
        await pilot.pause()
        evidence = screen.query_one(EvidenceList)
        evidence.focus()
        await pilot.press("end")
        await pilot.pause()
        chosen = screen.item
        screen.jump_to(*chosen, therapy_id="cyclophosphamide")
        await pilot.pause()
        assert screen.item == chosen
        assert evidence.item == chosen and evidence.window_offset > 0
