"""Progress of long commands (import, export, db synth, db check, db build) on a terminal.

Shown on stderr only when stderr is a terminal, with the rate and the time left, and cleared
when the work ends, so what a command prints stays as it was; piped or redirected output gets
nothing extra. Rich (installed with Textual) is imported only when a bar is shown.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Advance = Callable[[float], None]
_running = None  # the display shown now, if any (rich.progress.Progress)


def _nothing(amount: float) -> None:
    pass


def shown() -> bool:
    """A bar is drawn only on a terminal (stderr), never into a pipe or a file."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


def megabytes(path) -> float:
    """A file's size for a bar in MB; 0 for what cannot be read (the command itself says
    why, in its own words)."""
    try:
        return path.stat().st_size / 1e6
    except OSError:
        return 0.0


@contextmanager
def progress(description: str, total: float | None, unit: str) -> Iterator[Advance]:
    """Yields advance(amount): `amount` more of `total` `unit`s done.

    An interruption (Ctrl-C) passes through: the bar is removed and the caller's
    transaction rolls back as without one."""
    if not shown():
        yield _nothing
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} {task.fields[unit]}"),
        TextColumn("{task.fields[rate]}"),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    global _running
    outer = _running
    # A bar begun inside another (the ranking lists rebuilt as an import ends) is a line of
    # the same display: two displays at once draw over each other.
    bar = outer or Progress(*columns, console=Console(stderr=True), transient=True)
    task = bar.add_task(description, total=total, rate="", unit=unit)
    started, done = time.monotonic(), 0.0

    def advance(amount: float) -> None:
        nonlocal done
        done += amount
        # The rate since the start: shown from the first step (rich's own needs two).
        rate = done / max(time.monotonic() - started, 1e-6)
        bar.update(task, advance=amount, rate=f"{rate:,.0f} {unit}/s")

    if outer is not None:
        try:
            yield advance
        finally:
            bar.remove_task(task)
        return
    _running = bar
    try:
        with bar:
            yield advance
    finally:
        _running = None
