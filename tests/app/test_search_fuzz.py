"""Arbitrary text in the live search box: always results or an inline message, never a crash."""

from __future__ import annotations

import asyncio
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.widgets import ContentSwitcher, Input

from sclerotui.widgets.search_results import SearchResults
from tests.app.helpers import make_app
from tests.test_search import QUERIES

HOSTILE = st.sampled_from(
    [
        "[bold red]x[/]",
        "[/]",
        "[@click=app.quit]q[/]",
        "[link=file:///etc/passwd]x[/link]",
        "\x1b[2J",
        "\x1b]52;c;SGVsbG8=\x07",
        "\x00",
        "\u202eevil",
        "\u200b",
        "e\u0301",
        "肺線維症 🫁",
        'organ:"lung',
        "therapy:",
        "-",
        "*",
        "NEAR(a b)",
    ]
)
TEXTS = st.lists(QUERIES | HOSTILE, min_size=1, max_size=10)


async def shown(pilot, text: str) -> None:
    """Wait until the screen shows the outcome of this text (bounded: a hang fails)."""
    screen = pilot.app.main_screen
    switcher = screen.query_one(ContentSwitcher)
    for _ in range(400):
        await pilot.pause(0.01)
        if not text.strip() and switcher.current == "evidence":
            return
        if screen.search_shown == text and not pilot.app.workers._workers:
            return
    raise AssertionError(f"no outcome shown for {text!r}")


async def drive(db, texts: list[str]) -> None:
    app = make_app(db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash")
        search = app.main_screen.query_one("#search", Input)
        for text in texts:
            search.value = text  # as a paste would put it there
            typed = search.value  # the box drops control characters
            await shown(pilot, typed)
            if typed.strip():
                results = app.main_screen.query_one(SearchResults)
                # Either hits, or one disabled line saying why there are none.
                assert results.hits or (
                    results.option_count == 1 and results.get_option_at_index(0).disabled
                )
                title = str(results.border_title)
                assert title.startswith("Search: ") or re.match(r"\d+\+? results? for ", title)
            assert app.is_running and app.screen is app.main_screen
        await pilot.press("escape")
        assert app.is_running


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(texts=TEXTS)
def test_live_search_box_takes_any_text(mini_db, texts):
    asyncio.run(drive(mini_db, texts))
