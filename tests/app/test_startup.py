"""Start-up: the panes, the lists and the first record are drawn before pydantic is imported.

Importing the models costs about 100-150 ms, as much as the rest of the explorer's start-up
over a bare Textual app; the first frame (panes, lists and the first record, read by plain.py)
needs none of them, so they load for the timeline, after that frame. Run in a fresh
interpreter, where nothing has imported pydantic yet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.app.pty_session import Key, run_in_pty

SCRIPT = """
import asyncio, json, sys
import sclerotui.cli  # the entry point: its imports count too
import textual.screen

from sclerotui.app import SclerotuiApp
from sclerotui.store import Store

frames = []
draw = textual.screen.Screen._compositor_refresh

def watched(screen):
    draw(screen)
    if type(screen).__name__ == "MainScreen":
        evidence = screen.query_one("#evidence")
        detail = screen.query_one("#detail").current
        frames.append({
            "pydantic": "pydantic" in sys.modules,
            "rows": evidence.option_count,
            "detail": detail and detail.record.id,
            "timeline": screen.query_one("#timeline")._shown is not None,
        })

textual.screen.Screen._compositor_refresh = watched

async def main():
    app = SclerotuiApp(Store(sys.argv[1], read_only=True))
    async with app.run_test(size=(120, 40)) as pilot:
        while not (frames and frames[-1]["timeline"]):  # the timeline follows the record
            await pilot.pause(0.02)
        print(json.dumps({"frames": frames, "item": app.main_screen.item}))

asyncio.run(main())
"""


def run_fresh(db: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(db)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_first_frame_shows_the_lists_and_first_record_before_pydantic_is_imported(mini_db):
    seen = run_fresh(mini_db)
    first = seen["frames"][0]
    # One frame: the evidence listed and its first item in the detail, read without pydantic.
    assert first["rows"] > 0 and first["detail"] == seen["item"][1] == "alpha"
    assert first["pydantic"] is False and first["timeline"] is False
    # The timeline follows, with the models loaded for it.
    assert seen["frames"][-1]["timeline"] is True and seen["frames"][-1]["pydantic"] is True


def test_the_first_record_and_its_timeline_come_up_with_no_key_pressed(tmp_path, mini_db):
    # A real terminal: the trial's heading and its timeline's plot are written unasked.
    run = run_in_pty(
        ["--db", str(mini_db), "--read-only"],
        {"TERM": "xterm-256color", "SCLEROTUI_DATA_DIR": str(tmp_path)},
        wait_for=b"Endpoint and results",
        keys=[Key(b"", b"series overlap there"), b"q"],
        size=(120, 40),
    )
    assert run.painted and run.answered == 1, run.text[-2000:]
    assert run.returncode == 0


GC_SCRIPT = """
import asyncio, gc, json, sys, time
from sclerotui.app import IDLE_SECONDS, SclerotuiApp
from sclerotui.store import Store

fulls = []  # when each full collection started

def watch(phase, info):
    if phase == "start" and info["generation"] == 2:
        fulls.append(time.monotonic())

gc.callbacks.append(watch)

async def main():
    gc.disable()  # as the launcher does, for start-up
    app = SclerotuiApp(Store(sys.argv[1], read_only=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        seen = {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}
        seen["threshold"] = gc.get_threshold()[2]
        while app.main_screen.timeline_pane._shown is None:  # the models come with it
            await pilot.pause(0.02)
        from sclerotui.models import Case
        seen["models_frozen"] = not any(o is Case for o in gc.get_objects())
        # A key, then as many allocations as typing makes in a while: a full collection is
        # due, and waits for input to go quiet.
        await pilot.press("j")
        before = len(fulls)
        kept = [[] for _ in range(300_000)]
        seen["pending"] = gc.get_count()[2]
        seen["fulls_while_busy"] = len(fulls) - before
        del kept
        while len(fulls) == before:
            await pilot.pause(0.05)
        seen["quiet_before_full"] = fulls[before] - app._last_input >= IDLE_SECONDS
        print(json.dumps(seen))

asyncio.run(main())
"""


def test_the_cycle_collector_is_back_on_once_the_first_frame_is_out(mini_db):
    from sclerotui.app import FULL_AFTER, FULL_ANYWAY, HELD_FULL_COLLECTIONS

    done = subprocess.run(
        [sys.executable, "-c", GC_SCRIPT, str(mini_db)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["enabled"] is True
    assert seen["frozen"] > 10_000  # start-up's objects, skipped by later collections
    # The models, loaded after the first frame for the timeline, are frozen with them.
    assert seen["models_frozen"] is True
    # Full collections wait for a quiet moment: none ran while one was due at once after a key.
    assert seen["threshold"] == HELD_FULL_COLLECTIONS
    assert FULL_AFTER <= seen["pending"] < FULL_ANYWAY
    assert seen["fulls_while_busy"] == 0
    assert seen["quiet_before_full"] is True


def test_a_full_collection_is_due_when_input_is_quiet_or_too_many_are_pending():
    from sclerotui.app import FULL_AFTER, FULL_ANYWAY, IDLE_SECONDS, full_collection_due

    assert not full_collection_due(FULL_AFTER - 1, quiet_seconds=60)  # nothing much to collect
    assert not full_collection_due(FULL_AFTER, quiet_seconds=IDLE_SECONDS / 2)  # typing
    assert full_collection_due(FULL_AFTER, quiet_seconds=IDLE_SECONDS)
    assert full_collection_due(FULL_ANYWAY, quiet_seconds=0)  # typing for long: memory bound


def test_the_launcher_holds_the_cycle_collector_off_only_while_the_app_runs(monkeypatch, mini_db):
    import gc

    from sclerotui.app import SclerotuiApp
    from sclerotui.cli import main

    during = []
    monkeypatch.setattr(SclerotuiApp, "run", lambda self: during.append(gc.isenabled()))
    assert main(["--db", str(mini_db), "--read-only"]) == 0
    assert during == [False]
    assert gc.isenabled()


FRAME_RATE = """
import sclerotui.cli  # the entry point, then the app, as `sclerotui` launches it
import sclerotui.app
import textual.constants
import textual.screen

print(textual.constants.MAX_FPS, round(1 / textual.screen.UPDATE_PERIOD))
"""


def frame_rate(environment: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", FRAME_RATE],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_app_paints_up_to_120_frames_a_second_unless_the_user_says():
    # At Textual's 60, a frame due while a handler ran waited up to two periods after it.
    environment = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    assert frame_rate(environment) == "120 120"
    assert frame_rate({**environment, "TEXTUAL_FPS": "30"}) == "30 30"
