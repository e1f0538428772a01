"""Import (all or nothing, --check, --replace, origins), export (json/csv/md), migrations."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import MINI_JSON, write_case_file

from sclerotui.cli import EXIT_BAD_INPUT, EXIT_OK, main
from sclerotui.store import SCHEMA_VERSION, Store, StoreError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CSV = ROOT / "db" / "examples" / "clinic-cases.csv"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def comparable(data):
    """Records as dicts without where they came from, for round-trip comparison."""
    out = {}
    for key in ("sources", "therapies", "trials", "cases", "events"):
        rows = [r.model_dump(mode="json", exclude={"origin"}) for r in getattr(data, key)]
        out[key] = sorted(rows, key=lambda r: r["id"])
    return out


@pytest.fixture
def empty_db(tmp_path, capsys) -> Path:
    path = tmp_path / "empty.db"
    assert run(capsys, "db", "create", path)[0] == EXIT_OK
    return path


def test_json_round_trip_into_empty_database_gives_the_same_records(
    capsys, mini_db, empty_db, tmp_path
):
    exported = tmp_path / "all.json"
    assert run(capsys, "--db", mini_db, "export", "--format", "json", "-o", exported)[0] == 0
    code, out, err = run(capsys, "--db", empty_db, "import", exported)
    assert code == EXIT_OK, err
    with Store(mini_db) as before, Store(empty_db) as after:
        assert comparable(after.all_records()) == comparable(before.all_records())
        assert after.origin_of("case", "case-one")[0] == "all.json"
        assert after.imports()[0][0] == "all.json"


def test_csv_example_imports_marks_origin_and_reimport_needs_replace(capsys, mini_db):
    code, out, err = run(capsys, "--db", mini_db, "import", EXAMPLE_CSV)
    assert code == EXIT_OK, err
    with Store(mini_db) as store:
        case = store.case("clinic-001")
        assert case.illustrative and case.therapies[0].response.value == "resistant"
        assert case.origin == "import:clinic-cases.csv"
        events = store.events("case", "clinic-001")
        assert [e.week for e in events] == [0, 4, 52, 56]
        assert events[2].value == 61 and events[2].verified is False
    before = sha(mini_db)
    code, _, err = run(capsys, "--db", mini_db, "import", EXAMPLE_CSV)
    assert code == EXIT_BAD_INPUT
    assert "already in the database: case clinic-001" in err and "--replace" in err
    assert sha(mini_db) == before


def test_replace_upserts_and_replaces_old_events(capsys, mini_db, tmp_path):
    assert run(capsys, "--db", mini_db, "import", EXAMPLE_CSV)[0] == EXIT_OK
    changed = tmp_path / "changed.csv"
    lines = EXAMPLE_CSV.read_text().splitlines()
    changed.write_text("\n".join([lines[0], lines[1].replace("50-59", "60-69")]) + "\n")
    code, _, err = run(capsys, "--db", mini_db, "import", "--replace", changed)
    assert code == EXIT_OK, err
    with Store(mini_db) as store:
        assert store.case("clinic-001").age_band == "60-69"
        assert [e.id for e in store.events("case", "clinic-001")] == ["clinic-001-dx"]


def test_check_validates_and_writes_nothing(capsys, mini_db):
    before = sha(mini_db)
    code, out, _ = run(capsys, "--db", mini_db, "import", "--check", EXAMPLE_CSV)
    assert code == EXIT_OK
    assert "1 cases, 4 events" in out and "nothing written" in out
    assert sha(mini_db) == before


def test_batch_with_one_bad_file_writes_nothing(capsys, mini_db, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"cases": [{"id": "x"}]}))
    before = sha(mini_db)
    code, _, err = run(capsys, "--db", mini_db, "import", EXAMPLE_CSV, bad)
    assert code == EXIT_BAD_INPUT
    assert "bad.json: cases[0] (x): title: Field required" in err
    assert sha(mini_db) == before


def test_batch_files_are_written_one_at_a_time_in_one_transaction(
    capsys, mini_db, tmp_path, monkeypatch
):
    """A small file is written before the next is read (a big one is read by a second
    process meanwhile: test_import_read_ahead), yet a later file's problem takes the
    earlier files back out."""
    import sclerotui.importers.importing as importing

    steps = []
    load, write = importing.load, Store.import_file

    def logged_load(path, *args):
        steps.append(f"load {path.name}")
        return load(path, *args)

    def logged_write(self, data, origin, *args, **kwargs):
        steps.append(f"write {origin}")
        return write(self, data, origin, *args, **kwargs)

    monkeypatch.setattr(importing, "load", logged_load)
    monkeypatch.setattr(Store, "import_file", logged_write)
    first = write_case_file(tmp_path / "first.json", "batch-one")
    second = write_case_file(tmp_path / "second.json", "batch-two", refers_to="batch-one")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"cases": [{"id": "x"}]}))
    before = sha(mini_db)

    code, _, err = run(capsys, "--db", mini_db, "import", first, second, bad)
    assert code == EXIT_BAD_INPUT
    assert "bad.json: cases[0] (x): title: Field required" in err
    assert steps == [
        "load first.json",
        "write import:first.json",
        "load second.json",
        "write import:second.json",
        "load bad.json",
    ]
    assert sha(mini_db) == before
    with Store(mini_db) as store:
        assert store.case("batch-one") is None and store.imports() == []

    steps.clear()
    assert run(capsys, "--db", mini_db, "import", first, second)[0] == EXIT_OK
    with Store(mini_db) as store:
        assert [row[0] for row in store.imports()] == ["first.json", "second.json"]
        assert [e.case for e in store.events("case", "batch-one")] == ["batch-one"] * 2


@pytest.mark.parametrize("flag", ["--check", "--replace", None])
def test_a_case_in_two_files_of_a_batch_is_refused_naming_both(capsys, mini_db, tmp_path, flag):
    first = write_case_file(tmp_path / "first.json", "twice")
    second = tmp_path / "second.json"
    second.write_text(first.read_text())  # the same case with the same event
    before = sha(mini_db)
    code, _, err = run(capsys, "--db", mini_db, "import", first, second, *filter(None, [flag]))
    assert code == EXIT_BAD_INPUT
    assert "second.json: also in another file of this import: case twice (in first.json)" in err
    # Its event is not named again as a clash of its own.
    assert "already in the database" not in err and "Traceback" not in err
    assert sha(mini_db) == before


def test_an_event_in_two_files_of_a_batch_is_refused(capsys, mini_db, tmp_path):
    first = write_case_file(tmp_path / "first.json", "one")
    second = write_case_file(tmp_path / "second.json", "two")
    data = json.loads(second.read_text())
    data["events"][0]["id"] = "one-dx"  # first.json's event id
    second.write_text(json.dumps(data))
    before = sha(mini_db)
    code, _, err = run(capsys, "--db", mini_db, "import", first, second)
    assert code == EXIT_BAD_INPUT
    assert (
        "second.json: already in the database or an earlier file of this import: event one-dx"
    ) in err
    assert sha(mini_db) == before


def test_export_csv_reimports(capsys, mini_db, empty_db, tmp_path):
    out = tmp_path / "cases.csv"
    # An empty database first needs the therapies and sources the cases refer to.
    assert run(capsys, "--db", empty_db, "import", MINI_JSON)[0] == EXIT_OK
    assert run(capsys, "--db", mini_db, "export", "kind:case", "--format", "csv", "-o", out)[0] == 0
    text = out.read_text()
    assert text.splitlines()[0].startswith("case_id,title,sex")
    assert 'case-one,"Diffuse SSc resistant to cyclophosphamide, responded to HSCT"' in text
    code, _, err = run(capsys, "--db", empty_db, "import", "--check", out)
    assert code == EXIT_BAD_INPUT and "already in the database: case case-four" in err


def test_markdown_dossier_marks_unverified_and_illustrative(capsys, mini_db):
    code, out, _ = run(capsys, "--db", mini_db, "export", "nintedanib", "--format", "md")
    assert code == EXIT_OK
    assert out.startswith("# sclerotui dossier: nintedanib")
    assert "## Trial: Alpha lung trial" in out
    assert "| FVC mL | Nintedanib | 52 | -52.4 mL/year |" in out  # weeks as written
    assert "**unverified**" in out
    code, out, _ = run(capsys, "--db", mini_db, "export", "kind:case", "hsct", "--format", "md")
    assert "> **Illustrative case**" in out
    assert "| 1 | Cyclophosphamide | resistant |" in out


def test_a_therapys_dossier_says_when_it_lists_only_part_of_its_evidence(mini_db, monkeypatch):
    """The app's `e` on a therapy lists a window of its evidence (a therapy can have 100,000
    cases): the dossier says how many it lists of how many, and how to get them all."""
    import sclerotui.export as export

    with Store(mini_db, read_only=True) as store:
        whole = export.record_markdown(store, "therapy", "cyclophosphamide")
        assert "**Note:**" not in whole and "| Gamma comparison trial |" in whole
        monkeypatch.setattr(export, "DOSSIER_ITEMS", 2)
        part = export.record_markdown(store, "therapy", "cyclophosphamide")
    assert (
        "**Note:** this dossier lists the first 2 of the 3 trials and cases of Cyclophosphamide"
        in part
    )
    assert "`sclerotui export therapy:cyclophosphamide --format csv`" in part
    listed = [line for line in part.splitlines() if line.startswith("| ") and "---" not in line]
    whole_listed = [
        line for line in whole.splitlines() if line.startswith("| ") and "---" not in line
    ]
    assert len(listed) == len(whole_listed) - 1


def test_export_bad_query_is_one_clear_line(capsys, mini_db):
    code, out, err = run(capsys, "--db", mini_db, "export", "subtype:purple")
    assert code == EXIT_BAD_INPUT
    assert err.startswith("sclerotui: cannot search for") and "Traceback" not in err


def make_schema_1(path: Path) -> None:
    """A database as the first release wrote it: no imports table, user_version 1."""
    with Store(path, create=True):
        pass
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE imports")
    conn.execute("DROP TABLE therapy_stats")
    conn.execute("DROP TABLE search_terms")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_older_database_is_backed_up_then_migrated(tmp_path, capsys):
    path = tmp_path / "old.db"
    make_schema_1(path)
    original = sha(path)
    code, _, err = run(capsys, "--db", path, "db", "stats")
    assert code == EXIT_OK
    assert "upgraded" in err and "from schema 1" in err
    backups = list(tmp_path.glob("old.schema-1-backup-*.db"))
    assert len(backups) == 1
    backup = sqlite3.connect(backups[0])  # a consistent copy of the old database
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "imports" not in {r[0] for r in backup.execute("SELECT name FROM sqlite_master")}
    backup.close()
    assert original != sha(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert "imports" in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}


def test_older_database_read_only_is_readable_and_untouched(tmp_path):
    path = tmp_path / "old.db"
    make_schema_1(path)
    original = sha(path)
    with Store(path, read_only=True) as store:
        assert store.counts()["cases"] == 0
        assert "older release" in store.read_only_reason
    assert sha(path) == original
    assert not list(tmp_path.glob("*backup*"))


def test_newer_database_is_refused_untouched(tmp_path, capsys):
    path = tmp_path / "new.db"
    with Store(path, create=True):
        pass
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    original = sha(path)
    with pytest.raises(StoreError, match="newer sclerotui"):
        Store(path)
    code, _, err = run(capsys, "--db", path, "db", "stats")
    assert code == EXIT_BAD_INPUT and "upgrade sclerotui" in err
    assert sha(path) == original


def test_db_create_refuses_to_overwrite(capsys, mini_db):
    before = sha(mini_db)
    code, _, err = run(capsys, "db", "create", mini_db)
    assert code == EXIT_BAD_INPUT and "already exists" in err
    assert sha(mini_db) == before


def test_registry_record_of_a_curated_trial_is_not_imported_twice(tmp_path, capsys):
    from sclerotui.bundle import build

    db = tmp_path / "bundled.db"
    build(db)[0].close()
    before = sha(db)
    record = ROOT / "tests" / "fixtures" / "registry" / "single_study_results.json"
    code, _, err = run(capsys, "--db", db, "import", record)
    assert code == EXIT_BAD_INPUT
    # The study is the curated trial senscis: the record would update it, with --replace.
    assert "already in the database: trial senscis (NCT02597933) (use --replace" in err
    assert sha(db) == before


def test_import_keeps_a_source_already_held_unless_replacing(capsys, mini_db, tmp_path):
    changed = tmp_path / "source.json"
    changed.write_text(
        json.dumps(
            {
                "sources": [
                    {
                        "id": "nct-alpha",
                        "kind": "nct",
                        "ref": "NCT00000001",
                        "citation": "Overwritten?",
                        "verified": False,
                    }
                ]
            }
        )
    )
    assert run(capsys, "--db", mini_db, "import", changed)[0] == EXIT_OK
    with Store(mini_db) as store:
        assert store.sources(["nct-alpha"])[0].citation.startswith("Alpha trial")
    assert run(capsys, "--db", mini_db, "import", "--replace", changed)[0] == EXIT_OK
    with Store(mini_db) as store:
        assert store.sources(["nct-alpha"])[0].citation == "Overwritten?"


def test_json_round_trip_carries_effects_and_regimens(capsys, empty_db, tmp_path):
    """The bundled data's effect estimates and regimens survive export and import as JSON;
    a file in the older form (a step's single `therapy`, findings without effects) imports."""
    from sclerotui.bundle import build

    bundled, _ = build(tmp_path / "bundled.db")
    bundled.close()
    exported = tmp_path / "all.json"
    code, _, err = run(
        capsys, "--db", tmp_path / "bundled.db", "export", "--format", "json", "-o", exported
    )
    assert code == EXIT_OK, err
    text = exported.read_text()
    assert '"ci_level": 95' in text and '"scale": "odds-ratio"' in text
    code, _, err = run(capsys, "--db", empty_db, "import", exported)
    assert code == EXIT_OK, err
    with Store(tmp_path / "bundled.db") as before, Store(empty_db) as after:
        senscis = after.record("trial", "senscis")
        odds = next(f for f in senscis.findings if f.estimate == 0.65)
        assert (odds.ci_low, odds.ci_high, odds.ci_level, odds.scale) == (
            0.44,
            0.96,
            95,
            "odds-ratio",
        )
        assert after.record("case", "case-patel-2023").therapies[0].therapies == [
            "plasma-exchange",
            "glucocorticoids",
        ]
        assert after.record("trial", "senscis") == before.record("trial", "senscis").model_copy(
            update={"origin": "import:all.json"}
        )
    older = tmp_path / "older.json"
    older.write_text(
        '{"cases": [{"id": "old-case", "title": "Older form", "subtype": "diffuse",'
        ' "therapies": [{"therapy": "rituximab", "response": "partial"}],'
        ' "narrative": "n", "illustrative": true, "sources": ["seed-resistance-essays"]}]}'
    )
    code, _, err = run(capsys, "--db", tmp_path / "bundled.db", "import", older)
    assert code == EXIT_OK, err
