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
from sclerotui.origin import BUNDLED
from sclerotui.store import Store, StoreError
from sclerotui.vocabulary import DataError

BUNDLED_ORIGIN = BUNDLED
DATA_DIR_ENV = "SCLEROTUI_DATA_DIR"


def default_db_path() -> Path:
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override) / "sclerotui.db"
    from platformdirs import user_data_dir

    return Path(user_data_dir("sclerotui", appauthor=False)) / "sclerotui.db"


def build(path: Path, source: Path | None = None, advance=None) -> tuple[Store, str]:
    """Create the database at path, or refresh its bundled records; returns (store, what).
    `advance(1)`, if given, is called for each curated file read and once for the write
    (`build_steps` of them in all)."""
    source = source or bundled_dir()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _create(path, source, advance)
        return _summary(Store(path), f"created {path}")
    data = load_directory(source, advance)
    store = Store(path, create=True)
    if store.read_only:
        store.close()
        raise StoreError(f"cannot build into {path}: {store.read_only_reason}")
    try:
        kept = store.replace_origin(
            data, BUNDLED_ORIGIN, {"bundled_fingerprint": fingerprint(source)}
        )
    except BaseException:
        store.close()  # rolled back: nothing was changed
        raise
    if advance is not None:
        advance(1)
    store, note = _summary(store, f"refreshed bundled records in {path}")
    if kept:
        shown = ", ".join(kept[:10]) + (" …" if len(kept) > 10 else "")
        note += f"; kept your own {shown} in place of the curated record(s)"
    return store, note


def build_steps(source: Path | None = None) -> int:
    """How many steps `build` advances: the curated files, and the write."""
    from sclerotui.dataset import dataset_files

    source = source or bundled_dir()
    return len(dataset_files(source)) + 1 if source.is_dir() else 1


def _create(path: Path, source: Path, advance=None) -> None:
    """Build a new database beside `path` (private, 0600: case records), then rename it into
    place: a failure (a full disk) leaves no empty or half-built file behind."""
    import sqlite3

    from sclerotui.files import beside
    from sclerotui.store import describe_database_error

    try:
        with beside(path) as temporary:
            build(temporary, source, advance)[0].close()
    except OSError as error:  # no new file could be made there
        raise StoreError(f"cannot create {path}: {error.strerror or error}") from None
    except sqlite3.Error as error:
        raise describe_database_error(path, error) from None
    except StoreError as error:  # it names the temporary file, which is gone
        raise type(error)(str(error).replace(str(temporary), str(path))) from None


def _summary(store: Store, what: str) -> tuple[Store, str]:
    counts = store.counts()
    return store, (
        f"{what}: {counts['therapies']} therapies, {counts['trials']} trials, "
        f"{counts['cases']} cases, {counts['events']} events"
    )


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
