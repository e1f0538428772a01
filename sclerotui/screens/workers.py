"""What the screens' worker threads share: a query that a cancelled worker lets go of."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

from textual.worker import get_current_worker

T = TypeVar("T")


def unless_cancelled(query: Callable[..., T], *args) -> T | None:
    """query(*args) in a worker, or None once the worker is cancelled. A cancelled worker's
    connection may be interrupted for newer work, or closed as the app quits: its query then
    ends with an error that is the worker's to drop, not the user's to see."""
    try:
        result = query(*args)
    except sqlite3.Error:
        if get_current_worker().is_cancelled:
            return None
        raise
    return None if get_current_worker().is_cancelled else result
