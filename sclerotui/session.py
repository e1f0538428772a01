"""Where the user was: the session kept between runs of the explorer, and the history of
the records visited.

The file holds only what the database (or the app's own vocabularies) already hold: record
ids, the query the user typed, filter values, marked therapy ids and the theme's name. Never
record text. It is private (0600, in the 0700 data directory beside the database), written
atomically (a temporary file renamed over it), and a damaged one is ignored with a notice.
No Textual here: the app reads and writes a Session through these functions.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from sclerotui.facets import FACETS, KINDS, Criteria, chosen_facets
from sclerotui.query import MAX_QUERY_CHARS

VERSION = 1
HISTORY_LIMIT = 100
MAX_FILE_BYTES = 1_000_000  # a session is a few hundred bytes: anything this big is not one
RECORD_KINDS = KINDS
FILTER_FIELDS = chosen_facets()

Entry = tuple[str, str]  # (kind, record id)


def session_path(database: Path) -> Path:
    """The session file for a database: in the user's data directory (SCLEROTUI_DATA_DIR
    moves it too), one per database, so opening another file with --db (a synthetic one,
    a colleague's) neither clobbers nor borrows the session of the user's own. The name
    holds a digest of the database's path, not the path."""
    import hashlib

    from sclerotui.bundle import default_db_path

    digest = hashlib.sha256(str(Path(database).resolve()).encode()).hexdigest()[:16]
    return default_db_path().parent / f"session-{digest}.json"


class History:
    """The records visited, with a position for back and forward, as a browser keeps them.

    Moving a list's cursor shows record after record: those visits replace one another (the
    entry is "browsing") until the user jumps or goes back, so the history holds where the
    user stopped, not every row passed over."""

    def __init__(self, entries: list[Entry] | None = None, index: int | None = None) -> None:
        self.entries: list[Entry] = list(entries or [])[-HISTORY_LIMIT:]
        last = len(self.entries) - 1
        self.index = last if index is None else max(-1, min(index, last))
        self.browsing = False

    @property
    def current(self) -> Entry | None:
        return self.entries[self.index] if self.index >= 0 else None

    def visit(self, entry: Entry, browsing: bool = False) -> None:
        if entry == self.current:
            self.browsing = self.browsing and browsing
            return
        del self.entries[self.index + 1 :]  # a new visit drops the entries ahead
        if browsing and self.browsing and self.entries:
            self.entries[self.index] = entry
        else:
            self.entries.append(entry)
            if len(self.entries) > HISTORY_LIMIT:
                del self.entries[0]
            self.index = len(self.entries) - 1
        self.browsing = browsing

    def back(self) -> Entry | None:
        if self.index <= 0:
            return None
        self.index -= 1
        self.browsing = False
        return self.current

    def forward(self) -> Entry | None:
        if self.index >= len(self.entries) - 1:
            return None
        self.index += 1
        self.browsing = False
        return self.current

    def keep_only(self, exists) -> None:
        """Drop the entries `exists(entry)` denies, keeping the position where it can."""
        current = self.current
        kept = [entry for entry in self.entries if exists(entry)]
        before = sum(1 for entry in self.entries[: self.index + 1] if exists(entry))
        self.entries = kept
        self.index = kept.index(current) if current in kept else before - 1
        self.browsing = False


@dataclass
class Session:
    theme: str | None = None
    query: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    marked: list[str] = field(default_factory=list)
    therapy: str | None = None
    record: Entry | None = None
    history: list[Entry] = field(default_factory=list)
    history_index: int = -1

    @property
    def is_empty(self) -> bool:
        return not (self.query or self.filters or self.marked or self.therapy or self.record)

    def criteria(self) -> Criteria:
        criteria = Criteria()
        for name, values in self.filters.items():
            criteria = criteria.with_values(name, frozenset(values))
        return criteria

    def to_json(self) -> str:
        data = {
            "version": VERSION,
            "theme": self.theme,
            "query": self.query,
            "filters": {name: sorted(values) for name, values in sorted(self.filters.items())},
            "marked": self.marked,
            "therapy": self.therapy,
            "record": list(self.record) if self.record else None,
            "history": [list(entry) for entry in self.history],
            "history_index": self.history_index,
        }
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def filters_of(criteria: Criteria) -> dict[str, list[str]]:
    """The filters to keep: facet values only (the `therapy` facet is typed, not chosen)."""
    return {name: sorted(values) for name, values in criteria.items() if name in FILTER_FIELDS}


class DamagedSession(ValueError):
    """The file is not a session this release wrote; the message says what is wrong."""


def _text(value, what: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise DamagedSession(f"{what} is not a string of at most {limit} characters")
    return value


def _ids(value, what: str) -> list[str]:
    if not isinstance(value, list):
        raise DamagedSession(f"{what} is not a list")
    return [_text(item, what, 200) for item in value]


def _entry(value, what: str) -> Entry:
    if not (isinstance(value, list) and len(value) == 2):
        raise DamagedSession(f"{what} is not a [kind, id] pair")
    kind, record_id = (_text(part, what, 200) for part in value)
    if kind not in RECORD_KINDS:
        raise DamagedSession(f"{what} has an unknown kind {kind!r}")
    return kind, record_id


def parse_session(text: str) -> Session:
    """A Session from the file's text, or DamagedSession. Values from the app's fixed
    vocabularies are checked here; ids are checked against the database by the app."""
    try:
        data = json.loads(text)
    except ValueError:
        raise DamagedSession("not JSON") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise DamagedSession(f"not a version {VERSION} session")
    theme = data.get("theme")
    filters = data.get("filters") or {}
    if not isinstance(filters, dict):
        raise DamagedSession("filters is not an object")
    kept: dict[str, list[str]] = {}
    for name, values in filters.items():
        if name not in FILTER_FIELDS:
            raise DamagedSession(f"unknown filter {name!r}")
        known = set(FACETS[name].words.values())
        values = _ids(values, f"filter {name}")
        unknown = [value for value in values if value not in known]
        if unknown:
            raise DamagedSession(f"unknown {name} {unknown[0]!r}")
        if values:
            kept[name] = sorted(set(values))
    record = data.get("record")
    history = data.get("history") or []
    if not isinstance(history, list):
        raise DamagedSession("history is not a list")
    index = data.get("history_index", len(history) - 1)
    if not isinstance(index, int) or isinstance(index, bool):
        raise DamagedSession("history_index is not a number")
    therapy = data.get("therapy")
    return Session(
        theme=None if theme is None else _text(theme, "theme", 100),
        query=_text(data.get("query", ""), "query", MAX_QUERY_CHARS),
        filters=kept,
        marked=_ids(data.get("marked") or [], "marked"),
        therapy=None if therapy is None else _text(therapy, "therapy", 200),
        record=None if record is None else _entry(record, "record"),
        history=[_entry(entry, "history") for entry in history][-HISTORY_LIMIT:],
        history_index=index,
    )


def load_session(path: Path) -> tuple[Session | None, str | None]:
    """(session, notice): no file is (None, None); a damaged or unreadable one is (None, a
    one-line notice), and the app starts fresh."""
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return None, None
    except OSError as error:
        return None, f"could not read the last session ({error.strerror or error}); started fresh"
    try:
        if len(raw) > MAX_FILE_BYTES:
            raise DamagedSession(f"larger than {MAX_FILE_BYTES:,} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DamagedSession("not UTF-8 text") from None
        return parse_session(text), None
    except DamagedSession as error:
        return None, f"ignored a damaged session file ({error}); started fresh"


def save_session(path: Path, session: Session) -> None:
    """Write the session atomically: a private temporary file in the same directory, then
    renamed over the old one, so a crash leaves the old file or the new, never half of one.
    Raises OSError."""
    import tempfile  # only when saving: it imports more than the first frame needs

    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    # mkstemp creates the file 0600 whatever the umask.
    fd, temporary = tempfile.mkstemp(prefix=".session-", suffix=".tmp", dir=directory)
    try:
        with open(fd, "w", encoding="utf-8") as file:
            file.write(session.to_json())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
