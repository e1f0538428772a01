"""The session file (where the user was) and the history of visited records."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sclerotui.session import (
    HISTORY_LIMIT,
    History,
    Session,
    load_session,
    parse_session,
    save_session,
    session_path,
)


def a_session() -> Session:
    return Session(
        theme="nord",
        query="cyclophosphamide failed lung",
        filters={"organ": ["lung"], "subtype": ["diffuse"]},
        marked=["rituximab", "tocilizumab"],
        therapy="rituximab",
        record=("trial", "desires"),
        history=[("case", "case-one"), ("trial", "desires")],
        history_index=1,
    )


def test_session_file_lives_in_the_data_directory_one_per_database(isolated_data_dir, tmp_path):
    """The autouse fixture isolates it as it does the database: tests never share one.
    Another database (--db) has a session of its own; the name does not hold the path."""
    own = session_path(isolated_data_dir / "sclerotui.db")
    other = session_path(tmp_path / "synthetic.db")
    assert own.parent == other.parent == isolated_data_dir
    assert own != other and own.name.startswith("session-") and own.suffix == ".json"
    assert "synthetic" not in other.name
    assert session_path(tmp_path / "x" / ".." / "synthetic.db") == other  # the same file


def test_a_saved_session_loads_back_the_same(tmp_path):
    path = tmp_path / "session.json"
    save_session(path, a_session())
    assert load_session(path) == (a_session(), None)


def test_no_file_is_a_fresh_start_without_a_notice(tmp_path):
    assert load_session(tmp_path / "missing.json") == (None, None)


@pytest.fixture
def permissive_umask():
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_session_file_and_its_new_directory_are_private(tmp_path, permissive_umask):
    path = tmp_path / "new" / "data" / "session.json"
    save_session(path, a_session())
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    save_session(path, Session())  # rewritten: still private, no temporary file left
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["session.json"]


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "session.json"
    save_session(path, a_session())
    before = path.read_bytes()

    def refuse(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        save_session(path, Session(query="new"))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["session.json"]


def test_the_file_holds_ids_query_filters_and_theme_only(tmp_path):
    path = tmp_path / "session.json"
    save_session(path, a_session())
    data = json.loads(path.read_text())
    assert set(data) == {
        "version",
        "theme",
        "query",
        "filters",
        "marked",
        "therapy",
        "record",
        "history",
        "history_index",
    }


DAMAGED = [
    b"",
    b"{",
    b"\xff\xfe not utf-8",
    b"[]",
    b'{"version": 99}',
    b'{"version": 1, "filters": {"organ": ["spleen"]}}',
    b'{"version": 1, "filters": {"colour": ["red"]}}',
    b'{"version": 1, "record": ["patient", "x"]}',
    b'{"version": 1, "record": "trial"}',
    b'{"version": 1, "query": 12}',
    b'{"version": 1, "query": "' + b"x" * 5000 + b'"}',
    b'{"version": 1, "marked": "rituximab"}',
    b'{"version": 1, "history_index": "last"}',
    b" " * 1_000_001,
]


@pytest.mark.parametrize("raw", DAMAGED, ids=range(len(DAMAGED)))
def test_a_damaged_file_is_ignored_with_a_one_line_notice(tmp_path, raw):
    path = tmp_path / "session.json"
    path.write_bytes(raw)
    session, notice = load_session(path)
    assert session is None
    assert notice.startswith("ignored a damaged session file (") and "\n" not in notice


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_load_as_a_session_or_a_notice(raw):
    try:
        parse_session(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return
    except ValueError:
        pass  # DamagedSession: load_session turns it into the notice


def test_an_unreadable_file_is_a_notice_not_an_error(tmp_path):
    path = tmp_path / "session.json"
    path.mkdir()  # a directory where the file should be
    session, notice = load_session(path)
    assert session is None and "started fresh" in notice


# -- history ---------------------------------------------------------------------------


def test_history_goes_back_and_forward():
    history = History()
    for entry in [("trial", "a"), ("case", "b"), ("trial", "c")]:
        history.visit(entry)
    assert history.back() == ("case", "b")
    assert history.back() == ("trial", "a")
    assert history.back() is None
    assert history.forward() == ("case", "b")
    history.visit(("case", "d"))  # a new visit drops what was ahead
    assert history.entries == [("trial", "a"), ("case", "b"), ("case", "d")]
    assert history.forward() is None


def test_moving_a_cursor_over_records_keeps_one_entry():
    history = History()
    history.visit(("therapy", "rituximab"))
    for record in ["a", "b", "c"]:
        history.visit(("trial", record), browsing=True)
    assert history.entries == [("therapy", "rituximab"), ("trial", "c")]
    history.visit(("trial", "c"))  # chosen: it stays when the cursor moves on
    history.visit(("trial", "d"), browsing=True)
    assert history.entries[-2:] == [("trial", "c"), ("trial", "d")]


def test_history_is_bounded():
    history = History()
    for number in range(HISTORY_LIMIT + 20):
        history.visit(("case", str(number)))
    assert len(history.entries) == HISTORY_LIMIT
    assert history.current == ("case", str(HISTORY_LIMIT + 19))


def test_history_drops_records_the_database_no_longer_has():
    history = History([("trial", "a"), ("case", "gone"), ("trial", "c"), ("case", "x")], 2)
    history.keep_only(lambda entry: entry[1] != "gone")
    assert history.entries == [("trial", "a"), ("trial", "c"), ("case", "x")]
    assert history.current == ("trial", "c")
    history = History([("trial", "a"), ("case", "gone")], 1)
    history.keep_only(lambda entry: entry[1] != "gone")
    assert history.current == ("trial", "a")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
FIELDS = ["theme", "query", "filters", "marked", "therapy", "record", "history", "history_index"]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS + ["organ", "lung"]), JSON))
def test_any_json_a_session_could_hold_loads_or_is_refused_as_damaged(fields):
    """Wrong types anywhere: a DamagedSession (the notice), never another error."""
    try:
        session = parse_session(json.dumps({"version": 1, **fields}))
    except ValueError:
        return
    assert isinstance(session.query, str) and all(isinstance(t, str) for t in session.marked)
