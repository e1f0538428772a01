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
    app or of any widget on its screens, or a callback waiting for the next refresh."""
    if any(not worker.is_finished for worker in app.workers):
        return True
    for screen in app.screen_stack:
        if screen._callbacks:
            return True
        for node in screen.walk_children(with_self=True):
            if not node._message_queue.empty():
                return True
    return not app._message_queue.empty()


async def settle(pilot) -> None:
    """Let searches and their worker threads finish, and whatever their results start.

    Waits until the app has been seen idle twice in a row, however long that takes (a worker's
    result can start another worker, or add rows a frame at a time)."""
    app = pilot.app
    quiet = 0
    while quiet < 2:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await caught_up(pilot)
        await pilot.wait_for_scheduled_animations()
        quiet = 0 if busy(app) else quiet + 1


async def explorer_ready(pilot) -> None:
    """Wait until the explorer has composed its panes.

    It is the app's first screen; a snapshot's run_before can start before its panes exist."""
    screen = pilot.app.main_screen
    for _ in range(200):
        if screen.is_mounted and len(screen.query("#evidence")):
            return
        await pilot.pause()
    raise AssertionError("the explorer never composed its panes")
