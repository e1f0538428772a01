"""Building the app on a fixture database, and reading what its widgets show."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList, Static

from sclerotui.app import SclerotuiApp
from sclerotui.store import Store


def make_app(db_path: Path) -> SclerotuiApp:
    return SclerotuiApp(Store(db_path))


def option_texts(widget: OptionList) -> list[str]:
    return [str(getattr(option.prompt, "plain", option.prompt)) for option in widget.options]


def static_text(widget: Static) -> str:
    return str(getattr(widget.content, "plain", widget.content))


def detail_text(app: SclerotuiApp) -> str:
    detail = app.main_screen.query_one("#detail")
    return "\n".join(static_text(s) for s in detail.sections.values())


async def detail_follows(pilot) -> None:
    """Wait until the detail has caught up with the evidence cursor.

    The list's frame goes out first and the detail follows it, so a test that reads the detail
    after a key must wait for that, however loaded the machine is."""
    screen = pilot.app.main_screen
    for _ in range(500):
        if not screen.follows_pending:
            return
        await pilot.pause(0.01)
    raise AssertionError("the detail never followed the evidence cursor")


async def caught_up(pilot) -> None:
    """Let a key's effects reach every pane (the detail follows the list a frame later)."""
    await pilot.pause()
    await detail_follows(pilot)
    await pilot.pause()


def busy(app) -> bool:
    """Whether work is under way: a worker not finished, a message waiting in a queue of the
    app or of the screen shown, or a callback waiting for its next refresh. (A screen under
    another holds its messages and callbacks until it is shown again.)"""
    if any(not worker.is_finished for worker in app.workers) or app.screen._callbacks:
        return True
    nodes = [app, *app.screen.walk_children(with_self=True)]
    return any(not node._message_queue.empty() for node in nodes)


async def settle(pilot) -> None:
    """Let searches and their worker threads finish, and whatever their results start.

    Waits until the app has been seen idle twice in a row (a worker's result can start another
    worker, or add rows a frame at a time), however loaded the machine is."""
    app = pilot.app
    quiet = 0
    for _ in range(2000):  # a ceiling only a stuck app reaches
        await pilot.pause()
        await app.workers.wait_for_complete()
        await caught_up(pilot)
        await pilot.wait_for_scheduled_animations()
        quiet = 0 if busy(app) else quiet + 1
        if quiet == 2:
            return
    raise AssertionError("the app never settled: work kept coming")


async def explorer_ready(pilot) -> None:
    """Wait until the explorer has composed its panes.

    It is the app's first screen; a snapshot's run_before can start before its panes exist."""
    screen = pilot.app.main_screen
    for _ in range(200):
        if screen.is_mounted and len(screen.query("#evidence")):
            return
        await pilot.pause()
    raise AssertionError("the explorer never composed its panes")
