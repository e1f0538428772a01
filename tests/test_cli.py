"""The command line, run in-process (and once as a real process)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MINI_JSON

from sclerotui.cli import EXIT_BAD_INPUT, EXIT_OK, main
from sclerotui.models import Case, Dataset
from sclerotui.store import Store


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def source_dir(tmp_path) -> Path:
    """A directory of curated files: the mini dataset, as `db build --source` reads it."""
    directory = tmp_path / "source"
    directory.mkdir()
    shutil.copy(MINI_JSON, directory / "mini.json")
    return directory


def test_search_prints_hits(capsys, mini_db):
    code, out, err = run(capsys, "--db", mini_db, "search", "rituximab")
    assert code == EXIT_OK
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 8  # four hits, two lines each
    ids = {line.split()[1] for line in lines[::2]}
    assert ids == {"beta", "rituximab", "case-two", "case-four"}
    assert "[rituximab]" in out and "[Rituximab]" in out  # matches marked in brackets


def test_search_shows_hostile_text_inertly(capsys, mini_db):
    code, out, _ = run(capsys, "--db", mini_db, "search", "hostile")
    assert code == EXIT_OK
    assert "\x1b" not in out
    assert "␛[2J" in out


def test_search_json(capsys, mini_db):
    code, out, _ = run(capsys, "--db", mini_db, "search", "--json", "therapy:cyc", "kind:case")
    assert code == EXIT_OK
    results = json.loads(out)
    assert {r["id"] for r in results} == {"case-one", "case-three"}
    for result in results:
        assert {"kind", "id", "title", "snippet", "therapy", "rank"} <= set(result)
        assert result["kind"] == "case"
        assert result["therapy"] == "cyclophosphamide"
        assert "\ue000" not in result["snippet"]


def test_search_json_words(capsys, mini_db):
    _, out, _ = run(capsys, "--db", mini_db, "search", "--json", "--limit", "1", "alpha")
    [result] = json.loads(out)
    assert (result["kind"], result["id"], result["title"]) == ("trial", "alpha", "Alpha lung trial")
    assert result["snippet"] == "Alpha lung trial"


def test_search_no_results(capsys, mini_db):
    code, out, err = run(capsys, "--db", mini_db, "search", "zebra")
    assert (code, out) == (EXIT_OK, "")
    assert err == "no results for 'zebra'\n"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("organ:brain", "unknown organ 'brain'"),
        ("-organ:lung", "a field filter cannot be excluded"),
        ("therapy:aspirin", "no therapy by that name"),
        ("😀", "no letters or digits"),
    ],
)
def test_bad_query_exit_2_one_line(capsys, mini_db, query, message):
    code, out, err = run(capsys, "--db", mini_db, "search", query)
    assert code == EXIT_BAD_INPUT
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("sclerotui: cannot search for")
    assert message in err
    assert "Traceback" not in err


def test_search_exclusions_are_not_options(capsys, mini_db):
    code, out, _ = run(
        capsys, "--db", mini_db, "search", "--json", "cyclophosphamide", "-transplant"
    )
    assert code == EXIT_OK
    assert {r["id"] for r in json.loads(out)} == {"cyclophosphamide", "gamma", "case-three"}
    code, out, _ = run(capsys, "--db", mini_db, "search", "-lung", "kind:therapy", "--json")
    assert code == EXIT_OK
    assert [r["id"] for r in json.loads(out)] == ["bosentan"]


def test_search_unknown_long_option_is_usage_error(capsys, mini_db):
    with pytest.raises(SystemExit) as caught:
        main(["--db", str(mini_db), "search", "lung", "--jsn"])
    assert caught.value.code == 2
    assert "unrecognized arguments: --jsn" in capsys.readouterr().err


def test_missing_database(capsys, tmp_path):
    missing = tmp_path / "nonexistent.db"
    code, out, err = run(capsys, "--db", missing, "search", "x")
    assert code == EXIT_BAD_INPUT
    assert err.startswith(f"sclerotui: no database at {missing}")
    assert not missing.exists()


def test_not_a_database(capsys, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello", encoding="utf-8")
    code, _, err = run(capsys, "--db", path, "db", "stats")
    assert code == EXIT_BAD_INPUT
    assert err == f"sclerotui: {path} is not a SQLite database\n"


def test_db_stats(capsys, mini_db):
    code, out, _ = run(capsys, "--db", mini_db, "db", "stats")
    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[0] == f"database: {mini_db}"
    assert " therapies: 6" in lines
    assert "    trials: 3" in lines
    assert "     cases: 4" in lines
    assert "    events: 11" in lines
    assert "  trials and cases from bundled: 7" in lines


def test_db_stats_read_only(capsys, mini_db):
    _, out, _ = run(capsys, "--db", mini_db, "--read-only", "db", "stats")
    assert out.splitlines()[0] == f"database: {mini_db} (read-only)"


def test_db_check_ok(capsys, mini_db):
    code, out, _ = run(capsys, "db", "check", mini_db)
    assert code == EXIT_OK
    assert out == f"{mini_db}: ok\n"
    code, out, _ = run(capsys, "--db", mini_db, "db", "check")
    assert (code, out) == (EXIT_OK, f"{mini_db}: ok\n")


def test_db_check_tampered(capsys, mini_db):
    conn = sqlite3.connect(mini_db)
    with conn:
        conn.execute("UPDATE events SET measure = 'mRSS', value = 80 WHERE id = 'alpha-pbo-fvc-52'")
    conn.close()
    code, out, err = run(capsys, "db", "check", mini_db)
    assert code == EXIT_BAD_INPUT
    assert out.startswith("event alpha-pbo-fvc-52: ")
    assert "mRSS 80 is outside" in out
    assert err == f"{mini_db}: 1 problem\n"


def test_db_build_creates_and_refreshes(capsys, tmp_path, source_dir):
    out_path = tmp_path / "built" / "x.db"
    code, out, _ = run(capsys, "db", "build", "--out", out_path, "--source", source_dir)
    assert code == EXIT_OK
    assert out == f"created {out_path}: 6 therapies, 3 trials, 4 cases, 11 events\n"
    with Store(out_path) as store:
        first = store.counts()
        assert store.meta("bundled_fingerprint")
    code, out, _ = run(capsys, "db", "build", "--out", out_path, "--source", source_dir)
    assert code == EXIT_OK
    assert out.startswith(f"refreshed bundled records in {out_path}: 6 therapies")
    with Store(out_path) as store:
        assert store.counts() == first
        assert store.integrity_problems() == []


def test_db_build_keeps_records_of_other_origins(capsys, tmp_path, source_dir):
    out_path = tmp_path / "x.db"
    assert run(capsys, "db", "build", "--out", out_path, "--source", source_dir)[0] == EXIT_OK
    imported = Case.model_validate(
        {
            "id": "user-case",
            "title": "A case the user imported",
            "subtype": "diffuse",
            "therapies": [{"therapy": "rituximab", "response": "resistant"}],
            "narrative": "Uses a bundled therapy and a bundled source.",
            "illustrative": False,
            "sources": ["pmid-beta"],
        }
    )
    with Store(out_path) as store:
        store.write_dataset(Dataset(cases=[imported]), "user-import")
    code, out, err = run(capsys, "db", "build", "--out", out_path, "--source", source_dir)
    assert (code, err) == (EXIT_OK, "")
    assert "5 cases" in out
    with Store(out_path) as store:
        assert store.case("user-case") is not None
        assert store.origin_of("case", "user-case")[0] == "user-import"
        assert store.origins() == [("bundled", 7), ("user-import", 1)]
    assert run(capsys, "db", "check", out_path)[0] == EXIT_OK


def test_db_build_bad_source(capsys, tmp_path, source_dir):
    (source_dir / "broken.json").write_text('{"cases": [{"id": "x"}]}', encoding="utf-8")
    out_path = tmp_path / "x.db"
    code, out, err = run(capsys, "db", "build", "--out", out_path, "--source", source_dir)
    assert code == EXIT_BAD_INPUT
    assert out == ""
    assert all(
        line.startswith("sclerotui: broken.json: cases[0] (x): ") for line in err.splitlines()
    )
    assert not out_path.exists()


def test_default_database_is_in_data_dir(capsys, isolated_data_dir, monkeypatch, source_dir):
    """Without --db, `db build` writes into SCLEROTUI_DATA_DIR, never the real user dir."""
    code, out, _ = run(capsys, "db", "build", "--source", source_dir)
    assert code == EXIT_OK
    assert out.startswith(f"created {isolated_data_dir / 'sclerotui.db'}")


def test_unknown_command_is_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["frobnicate"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_module_entry_point(mini_db):
    result = subprocess.run(
        [sys.executable, "-m", "sclerotui", "--db", str(mini_db), "search", "organ:brain"],
        capture_output=True,
        text=True,
        timeout=180,  # a ceiling for a stuck process; a busy machine is only slower
    )
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr.startswith("sclerotui: cannot search for 'organ:brain'")
    assert "Traceback" not in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "sclerotui", "--db", str(mini_db), "search", "--json", "bosentan"],
        capture_output=True,
        text=True,
        timeout=180,  # a ceiling for a stuck process; a busy machine is only slower
    )
    assert result.returncode == EXIT_OK
    assert {r["id"] for r in json.loads(result.stdout)} == {"bosentan", "case-two"}


def test_db_build_from_empty_directory_refused(capsys, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    out_path = tmp_path / "x.db"
    code, out, err = run(capsys, "db", "build", "--out", out_path, "--source", empty)
    assert (code, out) == (EXIT_BAD_INPUT, "")
    assert err == f"sclerotui: {empty}: no dataset files (*.json) in it\n"
    assert not out_path.exists()


@pytest.mark.parametrize(
    ("query", "record", "shown"),
    [
        ("2.14", "desires", "2.14 (unverified)"),
        (
            "62.5",
            "rapids-1",
            "62.5 mg twice daily × 4 weeks then 125 mg twice daily (regimen unverified",
        ),
        ("0.03", "eustar-rtx-jordan-2015", "p=0.03 (unverified)"),
    ],
)
def test_search_snippets_keep_the_mark_of_an_unverified_figure(
    capsys, tmp_path, query, record, shown
):
    """On the bundled data, as `search` and `search --json` print them."""
    from sclerotui.bundle import build

    store, _ = build(tmp_path / "bundled.db")
    store.close()
    code, out, _ = run(capsys, "--db", tmp_path / "bundled.db", "search", "--json", query)
    assert code == EXIT_OK
    snippets = {hit["id"]: hit["snippet"] for hit in json.loads(out)}
    assert shown in snippets[record]
    code, out, _ = run(capsys, "--db", tmp_path / "bundled.db", "search", query)
    assert shown.replace(query, f"[{query}]") in out
