"""The results pane comes with its results: a key's search runs while the evidence stays.

Switching panes lays out the whole screen; done at the key, that frame took the UI thread from
the first key's search (50 ms on a busy machine). The search here is held until the test
lets it go, so what shows meanwhile can be read.
"""

from __future__ import annotations

import threading

from textual.widgets import ContentSwitcher

from sclerotui.search import Search
from sclerotui.widgets.search_results import SearchResults
from tests.app.helpers import make_app, settle


def held_search(monkeypatch) -> threading.Event:
    gate = threading.Event()
    hits = Search.hits

    def held(self, *args, **kwargs):
        gate.wait()
        return hits(self, *args, **kwargs)

    monkeypatch.setattr(Search, "hits", held)
    return gate


async def until(pilot, condition) -> None:
    while not condition():
        await pilot.pause(0.01)


async def test_the_evidence_stays_until_the_results_come(mini_db, monkeypatch):
    gate = held_search(monkeypatch)
    app = make_app(mini_db)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.main_screen
            switcher = screen.query_one(ContentSwitcher)
            await pilot.press("slash", *"bosentan")
            await pilot.pause()
            assert switcher.current == "evidence" and screen.search_shown is None
            gate.set()
            await until(pilot, lambda: screen.search_shown == "bosentan")
            assert switcher.current == "results"
            assert "results for bosentan" in str(screen.query_one(SearchResults).border_title)
    finally:
        gate.set()


async def test_down_or_enter_before_the_results_come_goes_to_the_results(mini_db, monkeypatch):
    for key in ("down", "enter"):
        gate = held_search(monkeypatch)
        app = make_app(mini_db)
        try:
            async with app.run_test(size=(120, 40)) as pilot:
                screen = app.main_screen
                await pilot.press("slash", *"bosentan", key)
                await pilot.pause()
                results = screen.query_one(SearchResults)
                assert screen.query_one(ContentSwitcher).current == "results", key
                assert app.focused is results, key
                gate.set()
                await until(pilot, lambda screen=screen: screen.search_shown == "bosentan")
                assert results.hits and app.focused is results
        finally:
            gate.set()


async def test_results_of_a_cleared_search_leave_the_evidence_on_show(mini_db, monkeypatch):
    gate = held_search(monkeypatch)
    app = make_app(mini_db)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.main_screen
            await pilot.press("slash", *"bosentan", "ctrl+u")
            await pilot.pause()
            # A result that still arrives for the cleared text (its worker past the check
            # for cancellation) must not bring the results pane back, nor clear the detail.
            shown = screen.detail_view.current
            assert screen.search_text == "" and shown is not None
            screen._show_hits("bosentan", [])
            screen._show_search_error("bosentan", "cannot search")
            assert screen.query_one(ContentSwitcher).current == "evidence"
            assert screen.detail_view.current is shown
            gate.set()
            await settle(pilot)
            assert screen.query_one(ContentSwitcher).current == "evidence"
    finally:
        gate.set()
