"""A record's origin says how it entered: the curated data (a bundled build) or an import
(from a file, by its name; standard input; a pipe), never a file's name alone."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from conftest import write_case_file

from sclerotui.bundle import build
from sclerotui.cli import EXIT_OK, main
from sclerotui.dataset import bundled_dir
from sclerotui.importers.importing import import_files
from sclerotui.origin import Origin
from sclerotui.store import Store
from sclerotui.widgets.detail import origin_line

CEILING_S = 120  # bounds a failure; the subprocess is waited for


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def bundled_case_file(path: Path, case_id: str) -> Path:
    """A one-case file that refers only to curated records (therapy, source)."""
    case = {
        "id": case_id,
        "title": f"Case {case_id}",
        "subtype": "diffuse",
        "therapies": [{"therapy": "nintedanib", "response": "partial"}],
        "narrative": "Imported by the user.",
        "illustrative": False,
        "sources": ["nct02597933"],
    }
    path.write_text(json.dumps({"cases": [case]}), encoding="utf-8")
    return path


def imports_log(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT file, sha256 FROM imports ORDER BY id"))


def test_a_file_named_bundled_is_stored_shown_and_kept_as_an_import(capsys, tmp_path):
    db = tmp_path / "user.db"
    build(db)[0].close()
    named = bundled_case_file(tmp_path / "bundled", "from-a-file-named-bundled")
    code, _, err = run(capsys, "--db", db, "import", named)
    assert code == EXIT_OK, err
    with Store(db) as store:
        origin = store.origin_of("case", "from-a-file-named-bundled")
        assert (origin.kind, origin.where) == ("import", "bundled")
        assert "imported from bundled at " in str(origin_line(origin).plain)
    code, out, _ = run(capsys, "--db", db, "db", "stats")
    assert "  trials and cases imported from bundled: 1" in out
    # A bundled build (a release's refresh does the same) keeps it.
    assert run(capsys, "db", "build", "--out", db, "--source", bundled_dir())[0] == EXIT_OK
    with Store(db) as store:
        assert store.case("from-a-file-named-bundled") is not None
        assert store.origin_of("case", "from-a-file-named-bundled").kind == "import"


def test_the_store_refuses_the_bundled_origin_for_an_import(store, mini_dataset):
    import pytest

    with pytest.raises(ValueError, match="not an import's origin"), store.transaction():
        store.import_file(mini_dataset, "bundled", "0" * 64)


def test_a_pipe_is_recorded_as_a_pipe_with_the_digest_of_what_was_read(mini_db, tmp_path):
    """`sclerotui import <(cat file)`: the shell passes /dev/fd/63, a pipe."""
    content = write_case_file(tmp_path / "piped.json", "piped-case").read_bytes()
    ours, theirs = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(theirs, content), os.close(theirs)))
    writer.start()
    try:
        with Store(mini_db) as store:
            import_files(store, [Path(f"/dev/fd/{ours}")])
            origin = store.origin_of("case", "piped-case")
    finally:
        writer.join()
        os.close(ours)
    assert (origin.kind, origin.where) == ("import", "a pipe")
    assert imports_log(mini_db) == [("a pipe", hashlib.sha256(content).hexdigest())]


def test_standard_input_is_recorded_as_such(mini_db, tmp_path):
    content = write_case_file(tmp_path / "stdin.json", "stdin-case").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "sclerotui", "--db", str(mini_db), "import", "/dev/stdin"],
        input=content,
        capture_output=True,
        timeout=CEILING_S,
    )
    assert done.returncode == EXIT_OK, done.stderr
    with Store(mini_db) as store:
        origin = store.origin_of("case", "stdin-case")
    assert (origin.kind, origin.where) == ("import", "standard input")
    assert imports_log(mini_db) == [("standard input", hashlib.sha256(content).hexdigest())]


def test_the_detail_line_names_the_import_and_a_curated_record_names_nothing():
    assert origin_line(Origin("bundled", None, "bundled")) is None
    line = origin_line(Origin("x.json", "2026-01-01T00:00:00+00:00", "import")).plain
    assert line == "imported from x.json at 2026-01-01T00:00:00+00:00"
    over = origin_line(Origin("x.json", "2026-01-01T00:00:00+00:00", "import", True)).plain
    assert "in place of the curated record" in over


def test_an_older_database_gets_import_origins_and_its_curated_ids(tmp_path, capsys):
    """Schema 5 kept the file name as the origin: it becomes "import:<name>" (in the record's
    JSON too), the synthetic cases stay synthetic, and the curated records are listed."""
    db = tmp_path / "old.db"
    build(db)[0].close()
    named = bundled_case_file(tmp_path / "clinic.json", "old-import")
    assert run(capsys, "--db", db, "import", named)[0] == EXIT_OK
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE curated")
    conn.execute("UPDATE cases SET origin = 'clinic.json' WHERE id = 'old-import'")
    conn.execute("UPDATE cases SET data = json_set(data, '$.origin', 'clinic.json')")
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    with Store(db) as store:
        assert store.upgraded_from == 5
        assert store.case("old-import").origin == "import:clinic.json"
        origin = store.origin_of("case", "old-import")
        assert (origin.kind, origin.where, origin.overrides) == ("import", "clinic.json", False)
        assert store.origins()[-1] == ("import:clinic.json", 1)
        curated = {row[0] for row in store.conn.execute("SELECT kind FROM curated")}
        assert curated == {"therapy", "trial", "case", "source", "event"}
        assert ("trial", "senscis") in set(store.conn.execute("SELECT kind, id FROM curated"))


def test_an_older_database_read_only_shows_its_origins_as_they_are(tmp_path, capsys):
    db = tmp_path / "old.db"
    build(db)[0].close()
    assert run(capsys, "--db", db, "import", bundled_case_file(tmp_path / "c.json", "c"))[0] == 0
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE curated")
    conn.execute("UPDATE cases SET origin = 'c.json' WHERE id = 'c'")
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    with Store(db, read_only=True) as store:
        origin = store.origin_of("case", "c")
        assert (origin.where, origin.kind, origin.overrides) == ("c.json", "import", False)
        assert store.curated_overridden() == set()
