"""`sclerotui export` writes, byte for byte, what it wrote before it streamed: every format,
with and without a query, on the bundled data, the mini fixture, the hostile records and a
small synthetic database. Two checks: the output equals the frozen pre-streaming code's
(tests/export_reference.py) run on the same database, and on the bundled and mini databases
its sha256 equals the one recorded before the change (tests/fixtures/golden/exports.json)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from unittest.mock import patch

import export_reference
import pytest
from conftest import FIXTURES, build_mini_db
from hostile import build_hostile_db

from sclerotui.cli import EXIT_BAD_INPUT, EXIT_OK, main
from sclerotui.query import SearchError
from sclerotui.store import Store

GOLDEN = FIXTURES / "golden" / "exports.json"
FORMATS = ("json", "csv", "md")
QUERIES = (
    "",
    "rituximab",
    "therapy:rituximab",
    "kind:case organ:lung",
    "subtype:diffuse",
    "skin -placebo",
    "zzzz-nothing-matches",
)
STAMP = re.compile(r"_Exported from sclerotui on \d{4}-\d\d-\d\d \d\d:\d\d UTC\.")


def unstamped(text: str) -> str:
    """A dossier says when it was written; the rest must be the same."""
    return STAMP.sub("_Exported from sclerotui on (time) UTC.", text)


@pytest.fixture(scope="module")
def databases(tmp_path_factory) -> dict[str, Path]:
    from sclerotui.bundle import build
    from sclerotui.notes import add_note, toggle_bookmark
    from sclerotui.synth import synthesize

    where = tmp_path_factory.mktemp("golden")
    bundled = where / "bundled.db"
    build(bundled)[0].close()
    mini = build_mini_db(where / "mini.db")
    # The user's notes go into a dossier after their record.
    with patch("sclerotui.notes.timestamp", return_value="2026-01-02 03:04"), Store(mini) as s:
        add_note(s, "case", "case-one", "my note: *not* a [link](x)", who="tester")
        toggle_bookmark(s, "therapy", "rituximab", who="tester")
    synthetic = where / "synthetic.db"
    synthesize(synthetic, 120, seed=3)
    return {
        "bundled": bundled,
        "mini": mini,
        "hostile": build_hostile_db(where / "hostile.db"),
        "synthetic": synthetic,
    }


def exported(db: Path, query: str, fmt: str, out: Path) -> str:
    argv = ["--db", str(db), "--read-only", "export", *query.split(), "--format", fmt]
    assert main([*argv, "-o", str(out)]) == EXIT_OK
    return out.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["bundled", "mini", "hostile", "synthetic"])
def test_export_writes_what_the_code_before_streaming_wrote(databases, name, fmt, tmp_path):
    db = databases[name]
    for query in QUERIES:
        with Store(db, read_only=True) as store:
            try:
                expected = export_reference.export_text(store, query, fmt)
            except SearchError:  # the same refusal, and no file
                argv = ["--db", str(db), "export", *query.split(), "-o", str(tmp_path / "x")]
                assert main(argv) == EXIT_BAD_INPUT and not (tmp_path / "x").exists()
                continue
        written = exported(db, query, fmt, tmp_path / f"out.{fmt}")
        assert unstamped(written) == unstamped(expected), (name, query, fmt)


def test_export_to_standard_output_is_the_same_bytes(databases, capsys, tmp_path):
    db = databases["mini"]
    for fmt in FORMATS:
        to_file = exported(db, "", fmt, tmp_path / "all")
        capsys.readouterr()
        assert main(["--db", str(db), "--read-only", "export", "--format", fmt]) == EXIT_OK
        assert unstamped(capsys.readouterr().out) == unstamped(to_file)


def digests(databases, tmp_path) -> dict[str, str]:
    found = {}
    for name in ("bundled", "mini"):
        for fmt in FORMATS:
            for query in QUERIES:
                text = unstamped(exported(databases[name], query, fmt, tmp_path / "out"))
                found[f"{name} {fmt} {query!r}"] = hashlib.sha256(text.encode()).hexdigest()
    return found


def test_export_bytes_are_those_recorded_before_streaming(databases, tmp_path):
    """The sha256 of each output, as the code before streaming wrote it (recorded once with
    SCLEROTUI_RECORD_GOLDEN=1 on that code)."""
    import os

    found = digests(databases, tmp_path)
    if os.environ.get("SCLEROTUI_RECORD_GOLDEN"):
        GOLDEN.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    assert found == json.loads(GOLDEN.read_text())
