"""The origin column's values (sclerotui/origin.py), without a database: what an import
writes, and how it reads back to the explorer and `db stats`."""

from __future__ import annotations

import pytest

from sclerotui.origin import BUNDLED, describe_origin, import_origin


@pytest.mark.parametrize(
    "name, kind, described",
    [
        ("cases.json", "file", ("import", "cases.json")),
        # A file called "bundled" (or "synthetic") is an import all the same.
        (BUNDLED, "file", ("import", BUNDLED)),
        ("synthetic", "file", ("import", "synthetic")),
        ("", "stdin", ("import", "standard input")),
        ("/tmp/fifo", "pipe", ("import", "named pipe /tmp/fifo")),
        ("", "pipe", ("import", "a pipe")),
    ],
)
def test_an_import_reads_back_as_an_import_of_its_file(name, kind, described):
    origin = import_origin(name, kind)
    assert origin != BUNDLED
    assert describe_origin(origin) == described


@pytest.mark.parametrize(
    "column, described",
    [
        (BUNDLED, (BUNDLED, BUNDLED)),
        ("synthetic", ("synthetic", "synthetic")),
        # Before schema 6 the column held the bare file name (read-only, not upgraded).
        ("old.json", ("import", "old.json")),
        (None, ("import", "?")),
    ],
)
def test_the_column_of_curated_synthetic_and_older_records(column, described):
    assert describe_origin(column) == described
