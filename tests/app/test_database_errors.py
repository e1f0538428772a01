"""The app on a database that fails under it, or that it may not write: it says so, calmly."""

from __future__ import annotations

import hashlib

import pytest

from sclerotui import store as store_module
from sclerotui.app import SclerotuiApp
from sclerotui.screens.error import DatabaseErrorScreen
from sclerotui.store import Store
from tests.app.helpers import make_app, settle, static_text
from tests.test_database_faults import root_page, spoil_page


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def damaged_app(mini_db, monkeypatch) -> SclerotuiApp:
    """The app on a file whose cases pages are destroyed, too big (we pretend) to check whole
    at open, so the damage surfaces only when browsing reaches a case."""
    spoil_page(mini_db, root_page(mini_db, "cases"))
    monkeypatch.setattr(store_module, "QUICK_CHECK_MAX_BYTES", 0)
    monkeypatch.chdir(mini_db.parent)  # a short, stable path in the message
    return SclerotuiApp(Store(mini_db.relative_to(mini_db.parent)))


async def walk_to_cases(pilot) -> None:
    for _ in range(8):  # down the therapy list until one with cases is selected
        await pilot.press("j")
        await settle(pilot)
        if isinstance(pilot.app.screen, DatabaseErrorScreen):
            return


async def test_damage_found_while_browsing_shows_error_screen(mini_db, monkeypatch):
    app = damaged_app(mini_db, monkeypatch)
    before = digest(mini_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await walk_to_cases(pilot)
        assert isinstance(app.screen, DatabaseErrorScreen)
        assert app.database_error.startswith("mini.db is damaged")
        shown = " ".join(static_text(s) for s in app.screen.query("Static"))
        assert "The database cannot be used" in shown and "mini.db is damaged" in shown
        await pilot.press("j", "enter")  # nothing behind the error screen reacts
        assert isinstance(app.screen, DatabaseErrorScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 2
    app.store.close()
    assert digest(mini_db) == before


def test_error_screen_snapshot(snap_compare, mini_db, monkeypatch):
    app = damaged_app(mini_db, monkeypatch)

    async def run_before(pilot):
        await settle(pilot)
        await walk_to_cases(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_other_errors_still_surface(mini_db):
    # Only database failures are caught: a bug elsewhere must not hide behind the screen.
    app = make_app(mini_db)
    with pytest.raises(ValueError, match="a bug"):  # Pilot re-raises what ended the app
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            app._handle_exception(ValueError("a bug"))
            await pilot.pause()
            assert not isinstance(app.screen, DatabaseErrorScreen)
    assert app.database_error is None
    assert app.return_code == 1


async def test_read_only_database_says_so_in_status_line(mini_db):
    app = SclerotuiApp(Store(mini_db, read_only=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        status = static_text(app.main_screen.query_one("#status"))
        assert "READ-ONLY: opened with --read-only" in status
        assert app.sub_title == "read-only"


async def test_read_only_stays_on_the_status_line_at_80_columns_with_filters(mini_db):
    app = SclerotuiApp(Store(mini_db, read_only=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        screen.criteria = screen.criteria.with_values("organ", frozenset({"lung"}))
        await settle(pilot)
        status = screen.query_one("#status")
        text = static_text(status)
        assert "organ: lung" in text and text.rstrip().endswith("· READ-ONLY")
        assert len(text) <= status.content_size.width
