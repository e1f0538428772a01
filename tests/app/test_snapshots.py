"""Snapshot tests: every screen and key state at 120x40 and 80x24, on the fixture database."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.app.helpers import explorer_ready, make_app
from tests.app.states import FIXTURE_IDS, FIXTURE_ONLY, SIZES, STATES

ALL_STATES = {**STATES, **FIXTURE_ONLY}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("state", list(ALL_STATES))
def test_screen(snap_compare, mini_db, state, size):
    async def run_before(pilot):
        await explorer_ready(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor makes the picture depend on timing
        await ALL_STATES[state](pilot, FIXTURE_IDS)

    assert snap_compare(make_app(mini_db), terminal_size=size, run_before=run_before)
