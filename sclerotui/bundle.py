"""Where the database lives, and how the bundled data reaches it.

The curated files ship inside the package. The user's database (in the platform's user data
directory, or wherever --db points) is built from them on first run; its bundled records are
refreshed, in one transaction, when a new release brings different curated files. Records the
user imported are never touched by that refresh, and a curated record the user replaced
(`import --replace`) stays theirs: the refresh leaves out the curated record of that id. A
refresh that cannot be done (say, the new curated data drops a therapy an imported case uses)
leaves the database as it was, and the explorer and every command open it with a note.
"""

from __future__ import annotations

import os
from pathlib import Path

from sclerotui.dataset import bundled_dir, fingerprint, load_directory
from sclerotui.store import BUNDLED, Store, StoreError
from sclerotui.vocabulary import DataError

BUNDLED_ORIGIN = BUNDLED
DATA_DIR_ENV = "SCLEROTUI_DATA_DIR"


def default_db_path() -> Path:
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override) / "sclerotui.db"
    from platformdirs import user_data_dir

    return Path(user_data_dir("sclerotui", appauthor=False)) / "sclerotui.db"


def build(path: Path, source: Path | None = None) -> tuple[Store, str]:
    """Create the database at path, or refresh its bundled records; returns (store, what)."""
    source = source or bundled_dir()
    data = load_directory(source)
    created = not path.exists()
    if created:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = Store(path, create=True)
    if store.read_only:
        store.close()
        raise StoreError(f"cannot build into {path}: {store.read_only_reason}")
    if created:
        os.chmod(path, 0o600)  # case records are private
    try:
        kept = store.replace_origin(
            data, BUNDLED_ORIGIN, {"bundled_fingerprint": fingerprint(source)}
        )
    except BaseException:
        store.close()
        raise
    counts = store.counts()
    what = "created" if created else "refreshed bundled records in"
    note = (
        f"{what} {path}: {counts['therapies']} therapies, {counts['trials']} trials, "
        f"{counts['cases']} cases, {counts['events']} events"
    )
    if kept:
        shown = ", ".join(kept[:10]) + (" …" if len(kept) > 10 else "")
        note += f"; kept your own {shown} in place of the curated record(s)"
    return store, note


def open_default(read_only: bool = False) -> tuple[Store, str | None]:
    """Open the user's database, building or refreshing it from the bundled data when needed.

    Returns the store and a note for the user (or None when nothing happened).
    """
    path = default_db_path()
    if not path.exists():
        store, note = build(path)
        store.close()
        return Store(path, read_only=read_only), note
    store = Store(path, read_only=read_only)
    current = fingerprint(bundled_dir())
    if store.meta("bundled_fingerprint") == current:
        return store, None
    if store.read_only:
        return store, "the bundled data is newer than this database, which is read-only"
    store.close()
    try:
        store, note = build(path)
    except (StoreError, DataError) as error:
        # Never lock the user out of their database: it stays as it was, and opens.
        reason = "; ".join(error.problems[:3]) if isinstance(error, DataError) else str(error)
        store = Store(path, read_only=read_only)
        return store, (
            f"the bundled data of this release could not be brought into {path}, which "
            f"is unchanged and keeps the previous curated records ({reason})"
        )
    if read_only:
        store.close()
        store = Store(path, read_only=True)
    return store, note
