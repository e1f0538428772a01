"""Where a record came from: the values of the origin column, and how the explorer and
`db stats` say them. Plain functions, no database: the store writes and reads the column."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from sclerotui.schema import BUNDLED  # the curated records' origin, declared with the schema


def timestamp() -> str:
    """Now, as the database records a time (when a record was imported, a note written)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Origin(NamedTuple):
    """Where a record came from, as the explorer and `db stats` say it."""

    where: str  # the file name ("bundled" for the curated data)
    when: str | None
    kind: str  # "bundled", "synthetic" or "import"
    overrides: bool = False  # the user's record, standing in for a curated one of that id


def import_origin(name: str, kind: str = "file") -> str:
    """The origin column of records imported from a file (kind "file", by its name), from
    standard input ("stdin") or from a pipe ("pipe", with the name of a named pipe). Never
    the bundled origin, whatever the file is called."""
    if kind == "file":
        return f"import:{name}"
    return f"{kind}:{name}" if name else kind


def describe_origin(origin: str | None) -> tuple[str, str]:
    """(kind, where) of an origin column: ("bundled", "bundled"), ("import", "x.json"),
    ("import", "standard input") …. Databases before schema 6 (read-only, not upgraded) hold
    the bare file name, read as an import of that name."""
    if origin in (BUNDLED, "synthetic"):
        return origin, origin
    origin = origin or "?"
    kind, _, name = origin.partition(":")
    if kind == "import" and name:
        return "import", name
    if kind == "stdin":
        return "import", "standard input"
    if kind == "pipe":
        return "import", f"named pipe {name}" if name else "a pipe"
    return "import", origin
