"""The patient lens screen and the notes, driven from the keyboard (Pilot) and snapshotted."""

from __future__ import annotations

import json

import pytest
from lens_fixture import EXPECTED_ORDER, PROFILE, build_lens_db
from textual.widgets import Input

from sclerotui.app import SclerotuiApp
from sclerotui.lens import Profile, saved_profile
from sclerotui.screens.export import ExportScreen
from sclerotui.screens.lens import LensScreen, ProfileForm
from sclerotui.screens.main import MainScreen
from sclerotui.screens.notes import NoteScreen
from sclerotui.store import Store
from tests.app.helpers import caught_up, detail_text, explorer_ready, option_texts, settle


@pytest.fixture
def lens_db(tmp_path):
    return build_lens_db(tmp_path / "lens.db")


async def open_lens(pilot, profile=PROFILE):
    pilot.app.lens_profile = profile
    await pilot.press("l")
    await settle(pilot)


async def test_l_with_no_profile_opens_the_form_and_the_lens_answers(lens_db):
    app = SclerotuiApp(Store(lens_db))
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, ProfileForm)
        fields = {
            "subtype": "diffuse",
            "antibodies": "scl-70",
            "organs": "lung, skin",
            "years": "",
            "therapies": "cyclophosphamide failed; mycophenolate failed",
            "mrss": "",
            "fvc": "55",
            "dlco": "",
        }
        for value in fields.values():
            await pilot.press(*value, "enter")  # enter: the next field; on the last, apply
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LensScreen)
        assert screen.profile == PROFILE and app.lens_profile == PROFILE
        cases = option_texts(screen.query_one("#lens-cases"))
        assert [c.split("Fixture case ")[1].split()[0] for c in cases] == EXPECTED_ORDER
        assert cases[0].startswith("16/16 Fixture case c-a")
        assert "✓ also failed Cyclophosphamide; also failed Mycophenolate mofetil" in cases[0]
        assert "≠ lcSSc; no skin recorded" in cases[2]
        trials = option_texts(screen.query_one("#lens-trials"))
        assert trials[0].startswith("✓ eligible FVC window trial")
        assert "FVC 55% within 45%–85%" in trials[0]
        assert any(t.startswith("✗ not eligible Limited only trial") for t in trials)
        assert "state no entry criteria in the stored sources" in trials[-1]
        nodes = option_texts(screen.query_one("#lens-pathways"))
        assert nodes == ["→ Rituximab  n=1  100% responded (responded 1) illustrative only"]


async def test_a_bad_field_stays_in_the_form_with_its_reason(lens_db):
    app = SclerotuiApp(Store(lens_db))
    async with app.run_test(size=(80, 24)) as pilot:
        await explorer_ready(pilot)
        await pilot.press("l")
        await settle(pilot)
        app.screen.query_one("#profile-fvc", Input).value = "42x"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ProfileForm)
        message = str(app.screen.query_one("#profile-message").content)
        assert "FVC % predicted: '42x' is not a number" in message
        assert app.screen.focused.id == "profile-fvc"


async def test_enter_on_a_similar_case_opens_it_with_its_timeline(lens_db):
    app = SclerotuiApp(Store(lens_db))
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        await open_lens(pilot)
        await pilot.press("down", "enter")  # the second most similar: c-b
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.main_screen.item == ("case", "c-b")
        assert "Fixture case c-b" in detail_text(app)


async def test_the_palette_offers_the_lens(lens_db):
    app = SclerotuiApp(Store(lens_db))
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        titles = [c.title for c in app.get_system_commands(app.main_screen)]
        assert "Patients like mine" in titles


async def test_s_saves_the_profile_only_when_asked(lens_db):
    app = SclerotuiApp(Store(lens_db))
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        await open_lens(pilot)
        assert saved_profile(app.store) is None  # typed, not saved
        await pilot.press("s")
        await settle(pilot)
        assert saved_profile(app.store)[0] == PROFILE
        await pilot.press("d")
        await settle(pilot)
        assert saved_profile(app.store) is None


async def test_a_database_others_can_read_refuses_the_profile(lens_db):
    lens_db.chmod(0o644)
    app = SclerotuiApp(Store(lens_db))
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        await open_lens(pilot)
        await pilot.press("s")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("can be read by other users (mode 0644)" in m for m in messages)
        assert saved_profile(app.store) is None


async def test_the_profile_is_never_in_the_session_file(lens_db, tmp_path):
    session = tmp_path / "session.json"
    app = SclerotuiApp(Store(lens_db), session_path=session)
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        await open_lens(pilot, Profile(**{**PROFILE.model_dump(), "fvc": 47.25}))
        app.save_session()
    text = session.read_text()
    assert "47.25" not in text and "anti-scl-70" not in text
    json.loads(text)


async def test_e_writes_the_evidence_brief_privately(lens_db, tmp_path):
    target = tmp_path / "brief.md"
    app = SclerotuiApp(Store(lens_db))
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        await open_lens(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
    text = target.read_text()
    assert target.stat().st_mode & 0o777 == 0o600
    assert text.startswith("# Evidence brief: patients like this one")
    assert "dcSSc · anti-Scl-70 · lung (ILD), skin" in text
    assert "| 16/16 | Fixture case c-a" in text
    assert "FVC 55% within 45%–85%" in text and "Fixture source [verified]" in text
    assert "| Rituximab | 1 | 100% |" in text


# -- notes ----------------------------------------------------------------------------------------


async def test_a_and_b_keep_notes_shown_with_the_record(lens_db):
    app = SclerotuiApp(Store(lens_db))
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        app.main_screen.jump_to("case", "c-a")
        await caught_up(pilot)
        await pilot.press("b")
        await caught_up(pilot)
        assert "Your notes (yours, not from the sources)" in detail_text(app)
        assert "★ bookmarked" in detail_text(app)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"Ask about HSCT", "enter")
        await settle(pilot)
        assert "Ask about HSCT — " in detail_text(app)


async def test_a_note_on_a_finding_is_marked_on_it(mini_db):
    app = SclerotuiApp(Store(mini_db))
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        app.main_screen.jump_to("trial", "alpha")
        await caught_up(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("tab", "down", "shift+tab")  # the first finding
        await pilot.press(*"check", "enter")
        await settle(pilot)
        text = detail_text(app)
        assert "✎ your note" in text and "check" in text and " on " in text


async def test_read_only_databases_say_why_notes_are_unavailable(lens_db):
    app = SclerotuiApp(Store(lens_db, read_only=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        app.main_screen.jump_to("case", "c-a")
        await caught_up(pilot)
        await pilot.press("b")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("Notes are unavailable:") and "read-only" in m for m in messages)


# -- snapshots -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_lens_snapshot(snap_compare, lens_db, size):
    async def run_before(pilot):
        await explorer_ready(pilot)
        await open_lens(pilot)

    assert snap_compare(SclerotuiApp(Store(lens_db)), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_profile_form_snapshot(snap_compare, lens_db, size):
    async def run_before(pilot):
        await explorer_ready(pilot)
        await open_lens(pilot)
        await pilot.press("f")
        await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False

    assert snap_compare(SclerotuiApp(Store(lens_db)), terminal_size=size, run_before=run_before)
