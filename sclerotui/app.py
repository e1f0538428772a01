"""The Textual application: the main screen, global keys, themes and the command palette."""

# ruff: noqa: E402 (the frame rate is set before Textual is imported)

from __future__ import annotations

import os

# Textual sends at most TEXTUAL_FPS frames a second on a fixed grid; a frame that missed its
# turn waits for the next, so a higher rate shortens that wait (frames still go out only
# when something changed). A value the user set wins. Read once, when Textual is first
# imported: hence before the imports.
os.environ.setdefault("TEXTUAL_FPS", "120")

import gc
import sqlite3
import time
from pathlib import Path

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding

from sclerotui.dataset import bundled_dir, load_vocabularies
from sclerotui.facets import fallback_vocabularies
from sclerotui.screens.commands import JumpProvider
from sclerotui.screens.main import MainScreen
from sclerotui.search import Search
from sclerotui.store import Store, StoreError, describe_database_error
from sclerotui.vocabulary import DataError

THEMES = ["textual-dark", "textual-light", "nord", "gruvbox", "solarized-light"]

# Full collections of the cycle collector walk every object not frozen (Textual's cached
# strips of rendered lines, mostly): 40-200 ms on a busy machine, and one fell inside a key
# every few seconds of typing. Python runs one after FULL_AFTER middle-generation
# collections; here, automatic ones wait (HELD_FULL_COLLECTIONS) and the app runs one when
# it is due and input has been quiet for IDLE_SECONDS, or, past FULL_ANYWAY, regardless.
FULL_AFTER = 10  # Python's own third threshold
FULL_ANYWAY = 200  # about 1.4 million allocations: memory stays bounded during long typing
HELD_FULL_COLLECTIONS = 1_000_000
IDLE_SECONDS = 1.0
IDLE_CHECK_SECONDS = 0.5


def full_collection_due(pending: int, quiet_seconds: float) -> bool:
    """Whether to run a full collection now: `pending` middle-generation collections since
    the last full one, `quiet_seconds` since the last input."""
    return pending >= FULL_ANYWAY or (pending >= FULL_AFTER and quiet_seconds >= IDLE_SECONDS)


class SclerotuiApp(App):
    TITLE = "sclerotui"
    SUB_TITLE = "systemic sclerosis evidence"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {JumpProvider}
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("f1", "help", "Help", show=False),  # also where ? is typed (the search box)
        Binding("t", "next_theme", "Theme"),
    ]

    def __init__(
        self,
        store: Store,
        note: str | None = None,
        session_path: Path | None = None,
        restore: bool = True,
    ) -> None:
        super().__init__()
        self.store = store
        # Search runs in a worker thread on a connection of its own (see Search.open). The
        # file was checked for damage when `store` opened it: once at start-up is enough.
        self.search = Search.open(store.path)
        self.note = note
        self.lens_profile = None  # the patient lens's profile: in memory, never in the session
        self.database_error: str | None = None  # set when the database fails mid-session
        self._start_up_frozen = False  # the launcher held the cycle collector for start-up
        self._last_input = 0.0  # time.monotonic() of the last key, paste or mouse event
        try:
            self.vocabularies = load_vocabularies(bundled_dir())
        except DataError:
            self.vocabularies = fallback_vocabularies()
        # Where the user was: only the launcher passes a session file (tests start fresh).
        self.session_path = session_path
        self._session_saved: str | None = None
        session = None
        if session_path is not None and restore:
            from sclerotui.session import load_session

            session, notice = load_session(session_path)
            if notice:
                self.note = note = f"{note}; {notice}" if note else notice
            if session is not None and session.theme in self.available_themes:
                self.theme = session.theme
        self.main_screen = MainScreen(store, self.search, note, session=session)
        if store.read_only:
            self.sub_title = "read-only"

    def get_default_screen(self) -> MainScreen:
        # The explorer is the screen the app starts on (pushed from on_mount, its first frame
        # was drawn inside Textual's mount batch and held back).
        return self.main_screen

    def _handle_exception(self, error: Exception) -> None:
        # Textual's one hook for errors a handler or worker did not catch: a database that
        # fails under us gets a message and a clean exit, not a traceback.
        cause = getattr(error, "error", error)  # a WorkerFailed wraps the worker's error
        if isinstance(cause, sqlite3.DatabaseError):
            cause = describe_database_error(self.store.path, cause)
        if not isinstance(cause, StoreError):
            super()._handle_exception(error)
            return
        if self.database_error is None:
            from sclerotui.screens.error import DatabaseErrorScreen

            self.database_error = str(cause)
            self.push_screen(DatabaseErrorScreen(self.database_error))

    def on_ready(self) -> None:
        # The first frame is out. If the launcher held the cycle collector off for start-up,
        # turn it back on, with what start-up built moved where later collections skip it,
        # and its full collections moved to moments without input (collect_when_idle).
        if not gc.isenabled():
            self._start_up_frozen = True
            gc.freeze()
            young, middle, _ = gc.get_threshold()
            gc.set_threshold(young, middle, HELD_FULL_COLLECTIONS)
            gc.enable()
            self.set_interval(IDLE_CHECK_SECONDS, self.collect_when_idle)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def collect_when_idle(self) -> None:
        """A full collection, when one is due and no key or mouse came for a while."""
        quiet = time.monotonic() - self._last_input
        if full_collection_due(gc.get_count()[2], quiet):
            gc.collect()

    def freeze_start_up(self) -> None:
        """Start-up's last long-lived objects are built (the models, loaded for the first
        timeline after the first frame): move them too where collections skip them. Left
        among the collected, every full collection walked them again while keys were typed."""
        if self._start_up_frozen:
            gc.freeze()

    def on_mount(self) -> None:
        if self.session_path is not None:
            self.set_interval(5, self.save_session)  # a closed terminal window ends no app

    def save_session(self) -> None:
        """Keep where the user is for the next start (written only when it changed)."""
        from sclerotui.session import save_session

        if self.session_path is None or self.database_error:
            return
        session = self.main_screen.session_state()
        session.theme = self.theme
        text = session.to_json()
        if text == self._session_saved:
            return
        try:
            save_session(self.session_path, session)
        except OSError:
            return  # the next start is fresh; nothing the user is doing now is lost
        self._session_saved = text

    def on_unmount(self) -> None:
        self.save_session()
        self.search.close()  # a search may still be running

    def action_help(self) -> None:
        from sclerotui.screens.compare import ComparisonScreen
        from sclerotui.screens.forest import ForestScreen
        from sclerotui.screens.help import HelpScreen
        from sclerotui.screens.lens import LensScreen, ProfileForm
        from sclerotui.screens.pathways import PathwaysScreen
        from sclerotui.screens.summary import SummaryScreen
        from sclerotui.widgets.therapy_list import VIM_KEYS

        groups = [
            ("app", self.BINDINGS),
            ("explorer", MainScreen.BINDINGS),
            ("pathways", PathwaysScreen.BINDINGS),
            ("compare", ComparisonScreen.BINDINGS),
            ("forest", ForestScreen.BINDINGS),
            ("summary", SummaryScreen.BINDINGS),
            ("lens", LensScreen.BINDINGS),
            ("profile", ProfileForm.BINDINGS),
            ("lists", VIM_KEYS),
        ]
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(groups))

    def open_in_explorer(self, kind: str, record_id: str) -> None:
        """From another screen: back to the explorer, showing this record in its context."""
        while self.screen is not self.main_screen and len(self.screen_stack) > 1:
            self.pop_screen()
        self.main_screen.jump_to(kind, record_id)

    def get_system_commands(self, screen):
        # Textual's "Keys" panel squeezed the panes and escape did not close it: the help
        # screen lists the keys instead. "Screenshot" wrote a file of what is on screen to
        # an unsaid place (and failed): left out, as the app keeps what it shows private.
        for command in super().get_system_commands(screen):
            if command.title == "Keys":
                yield SystemCommand("Keys", "Every key and the search language", self.action_help)
            elif command.title != "Screenshot":
                yield command
        if screen is self.main_screen:
            yield SystemCommand(
                "Resistance pathways",
                "What followed the selected therapy when it failed",
                self.main_screen.action_pathways,
            )
            yield SystemCommand(
                "Compare marked therapies",
                "Side by side (mark with m)",
                self.main_screen.action_compare,
            )
            yield SystemCommand(
                "Forest plot",
                "Trial effects in numbers against the line of no effect",
                self.main_screen.action_forest,
            )
            yield SystemCommand(
                "Patients like mine",
                "A patient profile: similar cases, trials she fits, what came next",
                self.main_screen.action_lens,
            )
            yield SystemCommand(
                "Summary of findings",
                "The selected therapy's outcomes, effects and where each came from",
                self.main_screen.action_summary,
            )

    def action_next_theme(self) -> None:
        current = self.theme if self.theme in THEMES else THEMES[-1]
        self.theme = THEMES[(THEMES.index(current) + 1) % len(THEMES)]
        self.notify(f"Theme: {self.theme}", timeout=2)
