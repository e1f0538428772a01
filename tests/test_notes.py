"""The clinician's own notes and bookmarks: kept apart from the curated data, searchable,
exported as the user's, surviving a refresh of the bundled records."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from sclerotui import lists
from sclerotui.bundle import build
from sclerotui.dataset import bundled_dir
from sclerotui.export import export_text, record_markdown
from sclerotui.notes import (
    NotesUnavailable,
    add_note,
    all_notes,
    delete_note,
    finding_key,
    notes_for,
    toggle_bookmark,
    unavailable_reason,
)
from sclerotui.query import SearchError
from sclerotui.search import Search
from sclerotui.store import SCHEMA_VERSION, Store
from tests.conftest import build_mini_db


def test_a_note_keeps_its_text_time_and_author(store):
    note = add_note(store, "case", "case-one", "  Check the DLCO trend  ", who="drsmith")
    assert (note.text, note.author, note.bookmark) == ("Check the DLCO trend", "drsmith", False)
    assert note.created_at.endswith("+00:00")
    assert notes_for(store, "case", "case-one") == [note]


def test_the_author_is_the_os_user_by_default(store, monkeypatch):
    monkeypatch.setenv("LOGNAME", "clinician7")
    monkeypatch.setenv("USER", "clinician7")
    assert add_note(store, "trial", "alpha", "x").author == "clinician7"


def test_bookmarks_toggle(store):
    assert toggle_bookmark(store, "trial", "alpha") is True
    assert [n.bookmark for n in notes_for(store, "trial", "alpha")] == [True]
    assert toggle_bookmark(store, "trial", "alpha") is False
    assert notes_for(store, "trial", "alpha") == []


def test_a_note_on_a_finding_names_it(store):
    trial = store.trial("alpha")
    key = finding_key(trial.findings[0])
    note = add_note(store, "trial", "alpha", "Small effect", finding=key)
    assert notes_for(store, "trial", "alpha")[0].finding == key == note.finding
    assert trial.findings[0].measure in key


def test_empty_and_huge_notes_are_refused(store):
    with pytest.raises(ValueError, match="needs some text"):
        add_note(store, "case", "case-one", "   ")
    with pytest.raises(ValueError, match="at most 4,000"):
        add_note(store, "case", "case-one", "x" * 4001)
    with pytest.raises(ValueError, match="not 'event'"):
        add_note(store, "event", "e1", "text")
    assert all_notes(store) == []


def test_delete_a_note(store):
    note = add_note(store, "case", "case-one", "temporary")
    assert delete_note(store, note.id) and notes_for(store, "case", "case-one") == []


def test_read_only_databases_say_why_notes_are_unavailable(mini_db):
    with Store(mini_db, read_only=True) as store:
        reason = unavailable_reason(store)
        assert "notes are unavailable" in reason and "read-only" in reason
        with pytest.raises(NotesUnavailable, match="opened with --read-only"):
            add_note(store, "case", "case-one", "text")
        with pytest.raises(NotesUnavailable):
            toggle_bookmark(store, "case", "case-one")


def test_schema_6_databases_gain_the_notes_tables(mini_db):
    with sqlite3.connect(mini_db) as conn:
        conn.execute("DROP TABLE user_notes")
        conn.execute("DROP TABLE lens_profile")
        conn.execute("PRAGMA user_version = 6")
    with Store(mini_db, read_only=True) as old:
        assert not old.has_notes and notes_for(old, "case", "case-one") == []
        assert "older release (schema 6)" in unavailable_reason(old)
        with pytest.raises(SearchError, match="cannot search notes"):
            Search(old).hits("note:anything")
    with Store(mini_db) as upgraded:
        assert upgraded.upgraded_from == 6 and upgraded.has_notes
        assert SCHEMA_VERSION >= 7  # (8 adds pathway_steps)
        add_note(upgraded, "case", "case-one", "after the upgrade")


# -- search -------------------------------------------------------------------------------------


def test_note_in_the_search_language(store):
    add_note(store, "case", "case-one", "Consider HSCT referral")
    toggle_bookmark(store, "trial", "alpha")
    assert [(h.kind, h.id) for h in Search(store).hits("note:hsct")] == [("case", "case-one")]
    assert [(h.kind, h.id) for h in Search(store).hits("note:referral kind:case")] == [
        ("case", "case-one")
    ]
    assert {(h.kind, h.id) for h in Search(store).hits("note:*")} == {
        ("case", "case-one"),
        ("trial", "alpha"),
    }
    assert Search(store).hits("note:nothing-like-this") == []
    # With words too: the note narrows the words' hits.
    words = {(h.kind, h.id) for h in Search(store).hits("case")}
    assert {(h.kind, h.id) for h in Search(store).hits("case note:hsct")} <= words


def test_a_note_filter_narrows_the_therapy_counts(store):
    from sclerotui.facets import Criteria

    add_note(store, "case", "case-one", "remember")
    rows = lists.therapies(store, Criteria(note=frozenset({"remember"})))
    assert rows and all(row.trials == 0 for row in rows)
    assert sum(row.cases for row in rows) >= 1


# -- export --------------------------------------------------------------------------------------


def test_exports_label_the_notes_as_the_users(store):
    add_note(store, "case", "case-one", "My | own [note]", who="drsmith")
    text = record_markdown(store, "case", "case-one")
    assert "### Your notes (written in sclerotui; not from the sources)" in text
    assert "- My \\| own \\[note\\] — drsmith," in text  # escaped as record text is
    assert "Your notes" in export_text(store, "", "md")
    assert "own [note]" not in export_text(store, "", "json")  # data formats carry no notes
    assert "own [note]" not in export_text(store, "", "csv")


# -- a refresh of the bundled data -------------------------------------------------------------


def test_notes_survive_a_refresh_of_the_bundled_data(tmp_path):
    source = tmp_path / "db"
    shutil.copytree(bundled_dir(), source)
    path = tmp_path / "user.db"
    store, _ = build(path, source)
    add_note(store, "trial", "senscis", "Eligible? check DLCO", who="drsmith")
    toggle_bookmark(store, "case", "case-dcssc-cyc-hsct", who="drsmith")
    store.close()
    # A new release changes a curated trial: the refresh replaces every bundled record.
    trial_file = source / "trials" / "senscis.json"
    data = json.loads(trial_file.read_text())
    data["trials"][0]["results"] += " (refreshed)"
    trial_file.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    store, note = build(path, source)
    try:
        assert note.startswith("refreshed bundled records")
        assert store.trial("senscis").results.endswith("(refreshed)")
        assert [n.text for n in notes_for(store, "trial", "senscis")] == ["Eligible? check DLCO"]
        assert [n.bookmark for n in notes_for(store, "case", "case-dcssc-cyc-hsct")] == [True]
        assert [(h.kind, h.id) for h in Search(store).hits("note:dlco")] == [("trial", "senscis")]
    finally:
        store.close()


def test_notes_survive_a_record_being_replaced_and_come_back_with_it(tmp_path):
    from tests.conftest import load_mini

    path = build_mini_db(tmp_path / "mini.db")
    with Store(path) as store:
        add_note(store, "case", "case-one", "kept")
        data = load_mini()
        store.replace_origin(data, "bundled", {})
        assert [n.text for n in notes_for(store, "case", "case-one")] == ["kept"]
