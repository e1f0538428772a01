"""The clinician's own notes and bookmarks on records (and on a trial's findings).

Kept in the user database (schema 7, table `user_notes`), apart from the curated data: a
refresh of the bundled records never touches them, and no foreign key ties a note to its
record, so a note outlives the record being replaced (it shows again when the record is
back). Each note carries its time and its author, the name of the OS user who wrote it.
Plain functions over a Store; no Textual.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sclerotui.origin import timestamp
from sclerotui.store import Store

if TYPE_CHECKING:
    from sclerotui.models import Finding, Trial

KINDS = ("therapy", "trial", "case")
MAX_NOTE_CHARS = 4000


class NotesUnavailable(Exception):
    """Notes cannot be written (or read) in this database; the message says why."""


@dataclass(frozen=True)
class Note:
    id: int
    kind: str  # the record's kind: therapy, trial or case
    record_id: str
    finding: str | None  # a trial finding's key (finding_key), or None for the record
    bookmark: bool
    text: str
    author: str
    created_at: str

    @property
    def label(self) -> str:
        return "bookmark" if self.bookmark else "note"


def author() -> str:
    """The OS user's name, as the author of a note ("unknown" if the OS does not say)."""
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError, ImportError):
        return "unknown"


def finding_key(finding: Finding) -> str:
    """A finding as a note names it: its measure, arm and week. Findings have no ids; this
    key finds the finding again after the curated data is refreshed, if it is still there."""
    arm = finding.arm or finding.intervention_arm or "between arms"
    week = "" if finding.timepoint_weeks is None else f" · week {finding.timepoint_weeks:g}"
    subgroup = f" · {finding.subgroup}" if finding.subgroup else ""
    return f"{finding.measure} · {arm}{week}{subgroup}"


def finding_keys(trial: Trial) -> list[str]:
    return [finding_key(f) for f in trial.findings]


def unavailable_reason(store: Store, writing: bool = True) -> str | None:
    """Why notes cannot be kept in this database, or None when they can."""
    if not store.has_notes:
        return (
            f"notes are unavailable: {store.path} is from an older release (schema "
            f"{store.schema_version}) and open read-only; open it writable once to upgrade it"
        )
    if writing and store.read_only:
        why = store.read_only_reason or "it is open read-only"
        return f"notes are unavailable: {store.path} is read-only ({why})"
    return None


def _require(store: Store) -> None:
    reason = unavailable_reason(store)
    if reason:
        raise NotesUnavailable(reason)


def _check_target(kind: str, record_id: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"a note belongs to a therapy, trial or case, not {kind!r}")
    if not record_id:
        raise ValueError("a note needs the id of its record")


def add_note(
    store: Store,
    kind: str,
    record_id: str,
    text: str,
    finding: str | None = None,
    who: str | None = None,
) -> Note:
    """Keep a note on a record (or on one of a trial's findings); returns it."""
    _check_target(kind, record_id)
    text = text.strip()
    if not text:
        raise ValueError("a note needs some text")
    if len(text) > MAX_NOTE_CHARS:
        raise ValueError(f"a note holds at most {MAX_NOTE_CHARS:,} characters ({len(text):,})")
    _require(store)
    return _insert(store, kind, record_id, finding, False, text, who or author())


def toggle_bookmark(store: Store, kind: str, record_id: str, who: str | None = None) -> bool:
    """Bookmark the record, or remove its bookmark; returns whether it is bookmarked now."""
    _check_target(kind, record_id)
    _require(store)
    with store.lock, store.transaction():
        deleted = store.write(
            "DELETE FROM user_notes WHERE record_kind = ? AND record_id = ? AND bookmark = 1",
            [kind, record_id],
        )
        if deleted:
            return False
        store.insert(
            "INSERT INTO user_notes (record_kind, record_id, finding, bookmark, text, author, "
            "created_at) VALUES (?, ?, NULL, 1, '', ?, ?)",
            [kind, record_id, who or author(), timestamp()],
        )
    return True


def _insert(store, kind, record_id, finding, bookmark, text, who) -> Note:
    created = timestamp()
    with store.lock, store.transaction():
        note_id = store.insert(
            "INSERT INTO user_notes (record_kind, record_id, finding, bookmark, text, author, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [kind, record_id, finding, int(bookmark), text, who, created],
        )
    return Note(note_id, kind, record_id, finding, bookmark, text, who, created)


def delete_note(store: Store, note_id: int) -> bool:
    _require(store)
    with store.lock, store.transaction():
        return store.write("DELETE FROM user_notes WHERE id = ?", [note_id]) > 0


COLUMNS = "id, record_kind, record_id, finding, bookmark, text, author, created_at"


def _note(row) -> Note:
    return Note(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6], row[7])


def notes_for(store: Store, kind: str, record_id: str) -> list[Note]:
    """A record's notes and bookmark, oldest first ([] where the database keeps none)."""
    if not store.has_notes:
        return []
    with store.lock:
        rows = store.read(
            f"SELECT {COLUMNS} FROM user_notes WHERE record_kind = ? AND record_id = ? "
            "ORDER BY created_at, id",
            [kind, record_id],
        )
    return [_note(row) for row in rows]


def notes_for_many(store: Store, records: list[tuple[str, str]]) -> dict[tuple[str, str], list]:
    """Notes of many records at once (for an export), by (kind, id)."""
    found: dict[tuple[str, str], list[Note]] = {}
    if not store.has_notes or not records:
        return found
    wanted = set(records)
    with store.lock:
        # The user's notes are few: read them all rather than one query per record.
        for row in store.scan(f"SELECT {COLUMNS} FROM user_notes ORDER BY created_at, id"):
            note = _note(row)
            if (note.kind, note.record_id) in wanted:
                found.setdefault((note.kind, note.record_id), []).append(note)
    return found


def all_notes(store: Store) -> list[Note]:
    if not store.has_notes:
        return []
    with store.lock:
        rows = store.read(f"SELECT {COLUMNS} FROM user_notes ORDER BY created_at, id")
    return [_note(row) for row in rows]


def is_bookmarked(notes: list[Note]) -> bool:
    return any(note.bookmark for note in notes)


__all__ = [
    "Note",
    "NotesUnavailable",
    "add_note",
    "all_notes",
    "author",
    "delete_note",
    "finding_key",
    "is_bookmarked",
    "notes_for",
    "notes_for_many",
    "toggle_bookmark",
    "unavailable_reason",
]
