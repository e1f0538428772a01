"""Where the user was, remembered; back and forward; typed words read as filters; where `e`
suggests writing. Pilot tests on the fixture database."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input

from sclerotui.app import SclerotuiApp
from sclerotui.facets import NO_CRITERIA, Criteria
from sclerotui.session import session_path
from sclerotui.store import Store
from tests.app.helpers import caught_up, make_app, settle, static_text


def session_app(db: Path, path: Path, restore: bool = True) -> SclerotuiApp:
    return SclerotuiApp(Store(db), session_path=path, restore=restore)


def status(app) -> str:
    return static_text(app.main_screen.query_one("#status"))


async def leave_where(pilot) -> None:
    """A session worth restoring: a theme, a filter, a mark, a record, a query."""
    app, screen = pilot.app, pilot.app.main_screen
    await caught_up(pilot)
    await pilot.press("t")  # the next theme
    await pilot.press("m")  # mark the therapy under the cursor
    screen.jump_to("trial", "alpha")
    await caught_up(pilot)
    screen.jump_to("case", "case-one")
    await caught_up(pilot)
    screen.criteria = Criteria(subtype=frozenset({"diffuse"}))
    await settle(pilot)
    screen.query_one("#search", Input).value = "mycophenolate"
    await settle(pilot)
    screen.query_one("#therapies").focus()
    assert app.theme == "textual-light"


async def test_quit_and_start_again_restores_where_the_user_was(mini_db, tmp_path):
    path = tmp_path / "data" / "session.json"
    app = session_app(mini_db, path)
    async with app.run_test(size=(120, 40)) as pilot:
        await leave_where(pilot)
        left = (app.main_screen.item, list(app.main_screen.marked))
        await pilot.press("q")
    assert left[0] == ("case", "case-one")
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700

    app = session_app(mini_db, path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        assert app.theme == "textual-light"
        assert screen.criteria == Criteria(subtype=frozenset({"diffuse"}))
        assert (screen.item, screen.marked) == left
        assert screen.query_one("#search", Input).value == "mycophenolate"
        assert screen.query_one("#detail").current.record.id == "case-one"
        assert "restored where you were (n starts fresh)" in status(app)
        assert screen.history.entries[-2:] == [("trial", "alpha"), ("case", "case-one")]
        await pilot.press("left_square_bracket")  # the history came back too
        await caught_up(pilot)
        assert screen.item == ("trial", "alpha")
        assert "restored" not in status(app)  # moved on: the note goes

        await pilot.press("n")  # start fresh
        await settle(pilot)
        assert screen.criteria == NO_CRITERIA
        assert screen.marked == [] and screen.history.entries[:1] != [("trial", "alpha")]
        assert screen.query_one("#search", Input).value == ""
        assert app.theme == "textual-light"  # a preference, not part of where the user was
        await pilot.press("q")
    assert json.loads(path.read_text())["marked"] == []


async def test_fresh_start_ignores_the_session_but_keeps_saving(mini_db, tmp_path):
    path = tmp_path / "session.json"
    app = session_app(mini_db, path)
    async with app.run_test(size=(120, 40)) as pilot:
        await leave_where(pilot)
        await pilot.press("q")
    app = session_app(mini_db, path, restore=False)  # `sclerotui --fresh`
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.main_screen.criteria == NO_CRITERIA
        assert app.main_screen.query_one("#search", Input).value == ""
        assert "restored" not in status(app)
        await pilot.press("q")
    assert json.loads(path.read_text())["query"] == ""


async def test_the_session_file_holds_no_record_text(mini_db, tmp_path):
    path = tmp_path / "session.json"
    app = session_app(mini_db, path)
    async with app.run_test(size=(120, 40)) as pilot:
        await leave_where(pilot)
        await pilot.press("q")
    text = path.read_text()
    with Store(mini_db, read_only=True) as store:
        for kind, record_id in [("trial", "alpha"), ("case", "case-one")]:
            record = store.record(kind, record_id)
            title = getattr(record, "name", None) or record.title
            assert title not in text
            assert record_id in text  # the id, which the database holds
        assert store.therapy("mycophenolate").name not in text
    assert "Alpha" not in text and "Diarrhoea" not in text


async def test_a_damaged_session_file_is_ignored_with_a_one_line_notice(mini_db, tmp_path):
    path = tmp_path / "session.json"
    path.write_text('{"version": 1, "filters": {"organ": ["spleen"]}, "query": "x"')
    app = session_app(mini_db, path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "ignored a damaged session file" in status(app)
        assert app.main_screen.criteria == NO_CRITERIA
        assert app.main_screen.query_one("#search", Input).value == ""
        await pilot.press("q")
    assert json.loads(path.read_text())["version"] == 1  # replaced by a good one


async def test_ids_the_database_no_longer_has_are_dropped_quietly(mini_db, tmp_path):
    path = tmp_path / "session.json"
    session = {
        "version": 1,
        "theme": "no-such-theme",
        "query": "",
        "filters": {"organ": ["lung"]},
        "marked": ["gone-therapy", "nintedanib", "nintedanib"],
        "therapy": "gone-therapy",
        "record": ["case", "gone-case"],
        "history": [["trial", "alpha"], ["case", "gone-case"], ["trial", "gone-trial"]],
        "history_index": 2,
    }
    path.write_text(json.dumps(session))
    app = session_app(mini_db, path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        assert [n.message for n in app._notifications if n.severity != "information"] == []
        assert "damaged" not in status(app)
        assert screen.marked == ["nintedanib"]
        assert screen.criteria == Criteria(organ=frozenset({"lung"}))
        assert app.theme == "textual-dark"
        assert ("case", "gone-case") not in screen.history.entries
        assert ("trial", "alpha") in screen.history.entries
        assert screen.item != ("case", "gone-case")


async def test_apps_started_without_a_session_path_never_restore(mini_db):
    """Tests, snapshots and scripts build the app without a session file: they start fresh
    even when the user's data directory (the test's, here) holds one."""
    path = session_path(mini_db)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "query": "rituximab", "theme": "nord"}))
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.main_screen.query_one("#search", Input).value == ""
        assert app.theme != "nord"
        await pilot.press("q")
    assert json.loads(path.read_text())["query"] == "rituximab"  # and never write it


# -- history ---------------------------------------------------------------------------


async def test_back_and_forward_walk_the_records_visited(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        screen.jump_to("trial", "alpha")
        await caught_up(pilot)
        screen.jump_to("case", "case-one")
        await caught_up(pilot)
        screen.jump_to("therapy", "rituximab")
        await caught_up(pilot)
        await pilot.press("left_square_bracket")
        await caught_up(pilot)
        assert screen.item == ("case", "case-one")
        await pilot.press("left_square_bracket")
        await caught_up(pilot)
        assert screen.item == ("trial", "alpha")
        assert screen.query_one("#detail").current.record.id == "alpha"
        await pilot.press("right_square_bracket", "right_square_bracket")
        await caught_up(pilot)
        assert screen.item is None and screen.therapy_id == "rituximab"
        await pilot.press("right_square_bracket")  # nothing ahead: says so, stays
        await caught_up(pilot)
        assert screen.therapy_id == "rituximab"
        await pilot.press("alt+left")  # the other binding
        await caught_up(pilot)
        assert screen.item == ("case", "case-one")


async def test_walking_down_a_list_keeps_one_history_entry(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        screen.jump_to("case", "case-one")
        await caught_up(pilot)
        screen.query_one("#evidence").focus()
        await caught_up(pilot)
        assert screen.focused is screen.query_one("#evidence")
        start = len(screen.history.entries)
        for _ in range(3):
            await pilot.press("down")
            await caught_up(pilot)
        assert len(screen.history.entries) == start + 1
        assert screen.history.current == screen.item
        await pilot.press("left_square_bracket")
        await caught_up(pilot)
        assert screen.item == ("case", "case-one")


# -- words read as filters -------------------------------------------------------------


def reading_line(app) -> str:
    line = app.main_screen.query_one("#reading")
    return static_text(line) if line.display else ""


async def test_typed_words_are_offered_as_filters_tab_applies_ctrl_z_undoes(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        search = screen.query_one("#search", Input)
        await pilot.press("slash", *"cyclophosphamide failed lung")
        await settle(pilot)
        assert search.value == "cyclophosphamide failed lung"
        assert reading_line(app) == (
            "read as therapy:cyclophosphamide response:resistant organ:lung — tab applies"
        )
        assert screen.search_shown == "cyclophosphamide failed lung"  # plain words searched
        assert screen.results_list().hits == []  # no record holds all three words
        assert "Tab searches them as the filters read above" in str(
            screen.results_list().get_option_at_index(0).prompt
        )
        await pilot.press("tab")
        await settle(pilot)
        assert search.value == "therapy:cyclophosphamide response:resistant organ:lung"
        assert screen.focused is search  # tab applied; it did not move on
        assert screen.search_shown == search.value
        hits = screen.results_list().hits
        assert {(h.kind, h.id) for h in hits} == {("case", "case-one")}
        assert "ctrl+z: back to cyclophosphamide failed lung" in reading_line(app)
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert search.value == "cyclophosphamide failed lung"
        assert reading_line(app).startswith("read as therapy:cyclophosphamide")
        await pilot.press("escape")  # clears the search: nothing to offer
        await settle(pilot)
        assert reading_line(app) == ""


async def test_tab_moves_on_when_nothing_is_offered(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        await pilot.press("slash", *"placebo")
        await settle(pilot)
        assert reading_line(app) == ""
        await pilot.press("tab")
        await caught_up(pilot)
        assert screen.focused is not screen.query_one("#search")


# -- export dialog -----------------------------------------------------------------------


async def test_e_suggests_the_documents_directory_not_the_working_one(
    mini_db, tmp_path, monkeypatch, isolated_data_dir
):
    documents = tmp_path / "Documents"
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no user-dirs.dirs
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    monkeypatch.chdir(checkout)
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        app.main_screen.jump_to("trial", "alpha")
        await caught_up(pilot)
        await pilot.press("e")
        await caught_up(pilot)
        field = app.screen.query_one("#export-path", Input)
        # No documents directory: the data directory, beside the database.
        assert field.value == str(isolated_data_dir / "sclerotui-trial-alpha.md")
        await pilot.press("escape")
        documents.mkdir()
        await pilot.press("e")
        await caught_up(pilot)
        field = app.screen.query_one("#export-path", Input)
        assert field.value == str(documents / "sclerotui-trial-alpha.md")
        assert not field.value.startswith(str(checkout))


async def test_the_restored_note_fits_the_status_line_at_80_columns(mini_db, tmp_path):
    path = tmp_path / "session.json"
    path.write_text(json.dumps({"version": 1, "filters": {"subtype": ["diffuse"]}}))
    app = session_app(mini_db, path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = status(app)
        assert text.endswith("restored (n: fresh)")
        assert len(text) <= 80 - 2  # the line's padding
