"""Lists stay bounded however many cases there are: the evidence list holds one window."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from conftest import built_once
from textual.widgets import Input

from sclerotui import lists
from sclerotui.facets import NO_CRITERIA
from sclerotui.synth import synthesize
from sclerotui.widgets.evidence_list import WINDOW, EvidenceList
from sclerotui.widgets.search_results import REST_CHUNK, SearchResults
from tests.app.helpers import caught_up, make_app, settle, static_text


@pytest.fixture(scope="module")
def synthetic_db(tmp_path_factory):
    return built_once(tmp_path_factory, "synthetic-6000", lambda p: synthesize(p, 6000, seed=7))


def hold_therapy_count(screen, first, monkeypatch) -> list:
    """Make each count of the therapies under filters (on the screen's reader for them) call
    first(connection) before it counts (a gate to wait on, or a long query); returns the
    filters of each count."""
    counter = screen.reader("therapies")
    count = lists.therapies
    counted = []

    def held(store, criteria=NO_CRITERIA):
        if store is counter:
            counted.append(criteria)
            first(counter.conn)
        return count(store, criteria)

    monkeypatch.setattr(lists, "therapies", held)
    return counted


async def test_synthetic_banner_leaves_room_for_the_filters_and_count_at_80_columns(synthetic_db):
    """At 80x24 the long banner pushed the therapy count off the status line."""
    app = make_app(synthetic_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        screen.criteria = screen.criteria.with_values("subtype", frozenset({"diffuse"}))
        await settle(pilot)
        status = screen.query_one("#status")
        text = static_text(status)
        assert text.startswith(" SYNTHETIC DATA ") and "subtype: diffuse" in text
        assert text.rstrip().endswith("therapies")
        assert len(text) <= status.content_size.width
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert "SYNTHETIC DATA: generated records, not patients" in static_text(status)
        assert static_text(status).rstrip().endswith("therapies")


async def test_evidence_list_is_a_bounded_window_that_reaches_both_ends(synthetic_db):
    app = make_app(synthetic_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        assert "SYNTHETIC DATA" in static_text(screen.query_one("#status"))
        screen.jump_to("therapy", "cyclophosphamide")
        await caught_up(pilot)
        evidence = screen.query_one(EvidenceList)
        total = evidence.total
        assert total > 3 * WINDOW  # cyclophosphamide has many synthetic cases
        assert evidence.option_count == WINDOW
        evidence.focus()
        await pilot.press("end")
        await caught_up(pilot)
        assert evidence.window_offset + evidence.option_count == total
        assert evidence.highlighted == evidence.option_count - 1
        last_case = screen.item
        assert last_case is not None and last_case[0] == "case"
        await pilot.press("home")
        await caught_up(pilot)
        assert evidence.window_offset == 0 and evidence.highlighted == 0
        evidence.highlighted = WINDOW - 3  # near the end of the first window: walk past it
        await caught_up(pilot)
        await pilot.press(*"j" * 8)
        await caught_up(pilot)
        assert evidence.window_offset > 0
        assert evidence.window_offset + evidence.highlighted == WINDOW + 5
        assert evidence.option_count <= WINDOW
        await pilot.press("pagedown", "pagedown", "pageup")
        await caught_up(pilot)
        assert evidence.option_count <= WINDOW


async def test_selection_survives_refilter_in_a_far_window(synthetic_db):
    app = make_app(synthetic_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        screen.jump_to("therapy", "cyclophosphamide")
        await caught_up(pilot)
        evidence = screen.query_one(EvidenceList)
        evidence.focus()
        await pilot.press("end")
        await caught_up(pilot)
        chosen = screen.item
        screen.jump_to(*chosen, therapy_id="cyclophosphamide")
        await caught_up(pilot)
        assert screen.item == chosen
        assert evidence.item == chosen and evidence.window_offset > 0


async def test_a_keystroke_during_a_slow_search_is_handled_and_the_stale_result_dropped(
    synthetic_db,
):
    """Search runs off the UI thread: typing goes on while a query runs, and a query for
    older text never replaces the results of newer text."""
    app = make_app(synthetic_db)
    started, release = threading.Event(), threading.Event()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        search = screen.search.hits

        def slow_search(text, criteria, limit):
            if text == "fatig":  # stands for a query that takes long on a big database
                started.set()
                release.wait(120)
            return search(text, criteria, limit)

        screen.search.hits = slow_search
        shown: list[str] = []
        show_hits = screen._show_hits
        screen._show_hits = lambda text, hits: (shown.append(text), show_hits(text, hits))
        box = screen.query_one("#search", Input)
        box.focus()
        await pilot.press(*"fatig")
        assert started.wait(120)
        await pilot.press("u")  # handled while the query for "fatig" still runs
        assert box.value == "fatigu" and screen.search_text == "fatigu"
        assert not release.is_set()
        release.set()
        await settle(pilot)
        assert "fatig" not in shown and shown[-1] == "fatigu"
        assert screen.search_shown == "fatigu"
        assert "fatigu" in str(screen.query_one(SearchResults).border_title)


async def test_search_results_show_a_screenful_first_and_the_rest_after_it(synthetic_db):
    app = make_app(synthetic_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        hits = screen.search.hits("fatigue", limit=100)
        assert len(hits) == 100
        results = screen.results_list()
        screen.query_one("#top").current = "results"
        await caught_up(pilot)
        added = []
        add_options = results.add_options
        results.add_options = lambda options: added.append(len(options)) or add_options(options)
        results.show_hits(hits, "Search: fatigue")
        # The first rows are the hits that fill the pane and run past it, so the scroll bar
        # shows now (showing it later, with the rest, took a layout of the whole screen).
        pane = results.scrollable_content_region.height
        heights = [results._line_cache.heights[i] for i in range(results.option_count)]
        assert 1 < len(heights) < 25
        assert sum(heights) > pane >= sum(heights[:-1])  # over: the scroll bar shows at once
        for _ in range(50):  # the rest come a few per frame
            await pilot.pause()
            if results.option_count == 100:
                break
        assert results.option_count == 100
        assert results.highlighted == 0
        assert added[0] == len(heights) and max(added[1:]) <= REST_CHUNK < sum(added[1:])
        # The next search's hits, shown over these, ask for no layout of the screen; and the
        # rest, added below the pane, draw the scroll bar again but not the rows on show.
        refreshed: dict[str, list[bool]] = {"list": [], "scroll bar": []}
        for name, widget in (("list", results), ("scroll bar", results.vertical_scrollbar)):
            refresh = widget.refresh

            def counted(*args, refresh=refresh, name=name, **kwargs):
                refreshed[name].append(kwargs.get("layout", False))
                return refresh(*args, **kwargs)

            widget.refresh = counted
        results.show_hits(hits[::-1], "Search: fatigue again")
        shown = len(refreshed["list"])
        for _ in range(50):
            await pilot.pause()
            if results.option_count == 100:
                break
        assert results.option_count == 100
        assert True not in refreshed["list"] + refreshed["scroll bar"]
        assert len(refreshed["list"]) == shown and len(refreshed["scroll bar"]) > 1


def test_a_comparison_counts_every_case_not_a_window_of_them(synthetic_db):
    """The comparison took its case count from one window of the evidence list (200 rows):
    a therapy with 1,000 cases was shown with 200 beside a response mix of all of them."""
    from sclerotui.compare import gather
    from sclerotui.store import Store

    with Store(synthetic_db, read_only=True) as store:
        columns = gather(store, ["cyclophosphamide", "hsct"])
        for column in columns:
            trials, cases = lists.evidence_counts(store, column.therapy.id)
            assert cases > WINDOW and column.cases == cases
            assert len(column.trials) == trials


async def test_the_explorer_answers_keys_while_a_comparison_is_gathered(synthetic_db, monkeypatch):
    """Gathering a comparison takes seconds with a million cases: a worker does it."""
    import sclerotui.compare as compare
    from sclerotui.screens.compare import ComparisonScreen
    from sclerotui.widgets.therapy_list import TherapyList

    gate = threading.Event()
    gather = compare.gather

    def slow_gather(store, therapy_ids):
        gate.wait(120)
        return gather(store, therapy_ids)

    monkeypatch.setattr(compare, "gather", slow_gather)
    app = make_app(synthetic_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await caught_up(pilot)
        therapies = screen.query_one(TherapyList)
        for therapy in ("cyclophosphamide", "hsct"):
            screen.jump_to("therapy", therapy)
            await caught_up(pilot)
            await pilot.press("m")
        therapies.focus()
        await pilot.press("c")
        before = therapies.highlighted
        await pilot.press("down")
        await pilot.pause()
        assert app.screen is screen and therapies.highlighted != before
        gate.set()
        await settle(pilot)
        assert isinstance(app.screen, ComparisonScreen)
        assert [c.therapy.id for c in app.screen.columns] == ["cyclophosphamide", "hsct"]


async def test_a_big_therapy_under_filters_is_counted_by_a_worker(synthetic_db, monkeypatch):
    """Counting a big therapy's evidence under filters took 0.5-0.7 s at 1M cases: the list
    says it is counting, keys are answered meanwhile, and a count for a therapy the cursor
    has left is dropped."""
    import sclerotui.screens.main as main_screen
    from sclerotui.facets import Criteria
    from sclerotui.widgets.therapy_list import TherapyList

    monkeypatch.setattr(main_screen, "BIG_THERAPY", 100)  # as big as at 1M, relatively
    gate = threading.Event()
    gate.set()
    app = make_app(synthetic_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await caught_up(pilot)
        counter = screen.reader("evidence")
        count = lists.evidence_count

        def slow_count(store, therapy_id, criteria):
            if store is counter:
                gate.wait(120)
            return count(store, therapy_id, criteria)

        monkeypatch.setattr(lists, "evidence_count", slow_count)
        screen.criteria = Criteria(subtype=frozenset({"diffuse"}))
        await settle(pilot)
        therapies = screen.query_one(TherapyList)
        evidence = screen.query_one(EvidenceList)
        therapies.focus()
        gate.clear()
        therapies.highlighted = therapies.get_option_index("cyclophosphamide")
        await pilot.pause()
        assert "counting…" in str(evidence.border_title)
        assert evidence.total == 0  # the last therapy's items are not left on show
        await pilot.press("down")  # answered while cyclophosphamide is counted
        await pilot.pause()
        moved_to = therapies.therapy_id
        assert moved_to != "cyclophosphamide" and screen.therapy_id == moved_to
        gate.set()
        await settle(pilot)
        name = screen.therapy_names[moved_to]
        assert str(evidence.border_title).startswith(f"Evidence — {name} (")
        assert "counting" not in str(evidence.border_title)

        await pilot.press("up")
        await settle(pilot)
        expected = count(counter, "cyclophosphamide", screen.criteria)
        assert expected > 100
        assert str(evidence.border_title).endswith(f"({expected:,})")
        assert evidence.total == expected and evidence.option_count == min(WINDOW, expected)


async def test_the_status_line_shows_new_filters_before_the_therapies_are_counted(
    synthetic_db, monkeypatch
):
    """Counting the therapies under filters takes seconds at 1M cases; the status line named
    no filters until it was done."""
    from sclerotui.facets import Criteria

    gate = threading.Event()
    app = make_app(synthetic_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await caught_up(pilot)
        hold_therapy_count(screen, lambda _: gate.wait(120), monkeypatch)
        screen.criteria = Criteria(subtype=frozenset({"diffuse"}))
        await pilot.pause()
        status = static_text(screen.query_one("#status"))
        assert "subtype: diffuse" in status and "no filters" not in status
        assert "therapies" not in status  # their count is not known yet
        gate.set()
        await settle(pilot)
        assert "therapies" in static_text(screen.query_one("#status"))


async def test_a_search_typed_while_the_therapies_are_counted_neither_waits_nor_stops_it(
    synthetic_db, monkeypatch
):
    """Found by hand at 1M cases: a filter set, then a search typed while the therapies were
    counted under it (about 20 s). The search's interrupt for older text hit the count, on
    the one connection both used, and the app said the database could not be used. The
    count here is held inside SQLite (a function waiting on a gate), as a slow query is."""
    from sclerotui.facets import Criteria

    gate = threading.Event()
    app = make_app(synthetic_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await caught_up(pilot)
        screen.reader("therapies").conn.create_function("held", 0, lambda: gate.wait(120) and 0)
        hold_therapy_count(
            screen, lambda conn: conn.execute("SELECT held()").fetchone(), monkeypatch
        )
        screen.criteria = Criteria(subtype=frozenset({"diffuse"}))
        await pilot.pause()
        screen.query_one("#search", Input).focus()
        await pilot.press(*"fatigue")
        for _ in range(3000):  # the results come while the count is still held
            await pilot.pause(0.02)
            if screen.search_shown == "fatigue":
                break
        assert screen.search_shown == "fatigue"
        assert screen.query_one(SearchResults).hits
        assert "therapies" not in static_text(screen.query_one("#status"))
        gate.set()
        await settle(pilot)
        assert app.database_error is None
        assert "therapies" in static_text(screen.query_one("#status"))


LONG_QUERY = (  # minutes of SQLite's work unless interrupted (15M rows once ended first)
    "WITH RECURSIVE c(x) AS (SELECT long_query_started() UNION ALL SELECT x + 1 FROM c "
    "WHERE x < 1000000000) SELECT count(*) FROM c"
)


def run_long_query(
    conn: sqlite3.Connection, errors: list[str], started: threading.Event | None = None
) -> None:
    """LONG_QUERY, noting how it ended if it did not finish. `started` is set from inside the
    running statement, so an interrupt sent after it is seen by the query (an interrupt sent
    before a statement runs is a no-op)."""
    signal = started or threading.Event()
    conn.create_function("long_query_started", 0, lambda: signal.set() or 1)
    try:
        conn.execute(LONG_QUERY).fetchone()
    except sqlite3.Error as error:
        errors.append(str(error))
        raise


async def wait_for(pilot, event: threading.Event) -> None:
    """Until `event` is set; the ceiling only ends a hang (a busy machine can be slow)."""
    for _ in range(6000):
        if event.is_set():
            return
        await pilot.pause(0.02)
    raise AssertionError("the held count never started")


async def test_new_filters_stop_the_count_for_the_old_ones(synthetic_db, monkeypatch):
    """A count for filters since changed is interrupted, not waited for: at 1M cases each
    count takes about 20 s, and the new one queued behind the old on their connection."""
    from sclerotui.facets import Criteria

    errors: list[str] = []
    app = make_app(synthetic_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await caught_up(pilot)

        started = threading.Event()

        def long_the_first_time(conn):
            if len(counted) == 1:
                run_long_query(conn, errors, started)

        counted = hold_therapy_count(screen, long_the_first_time, monkeypatch)
        screen.criteria = Criteria(subtype=frozenset({"diffuse"}))
        await wait_for(pilot, started)  # the first count is under way
        screen.criteria = Criteria(subtype=frozenset({"limited"}))
        for _ in range(2400):  # a bound for a hang, not a measure
            if "therapies" in static_text(screen.query_one("#status")):
                break
            await pilot.pause(0.05)
        assert errors == ["interrupted"]  # stopped, not waited for
        assert len(counted) == 2 and app.database_error is None
        assert "subtype: limited" in static_text(screen.query_one("#status"))


async def test_quitting_while_the_therapies_are_counted_stops_the_count_cleanly(
    synthetic_db, monkeypatch
):
    """q during a long count: the count's query is interrupted and its connection closed
    once the worker lets go of it; the app reports no database problem."""
    from sclerotui.facets import Criteria

    errors: list[str] = []
    app = make_app(synthetic_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await caught_up(pilot)
        started = threading.Event()
        hold_therapy_count(screen, lambda conn: run_long_query(conn, errors, started), monkeypatch)
        screen.criteria = Criteria(subtype=frozenset({"diffuse"}))
        await wait_for(pilot, started)  # the count is under way
        await pilot.press("q")
    assert errors == ["interrupted"]  # stopped, not waited for
    assert app.database_error is None and app.return_code in (0, None)
    with pytest.raises(sqlite3.ProgrammingError):
        screen.reader("therapies").conn.execute("SELECT 1")  # closed


async def test_new_filters_refilter_the_evidence_before_the_therapies_are_counted(
    synthetic_db, monkeypatch
):
    """Found by hand at 1M cases: after a filter was set, the evidence list went on listing
    records the filter excludes until the therapies were counted (about 20 s). It is listed
    for the filters at once, and not again when the therapy list is refilled."""
    import sclerotui.screens.main as main_screen
    from sclerotui.facets import Criteria

    gate = threading.Event()
    app = make_app(synthetic_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await caught_up(pilot)
        screen.jump_to("therapy", "cyclophosphamide")
        await caught_up(pilot)
        evidence = screen.query_one(EvidenceList)
        unfiltered = evidence.total
        hold_therapy_count(screen, lambda _: gate.wait(120), monkeypatch)
        listed = []
        window = main_screen.evidence_window

        def watched(store, therapy_id, criteria, item):
            listed.append((therapy_id, criteria))
            return window(store, therapy_id, criteria, item)

        monkeypatch.setattr(main_screen, "evidence_window", watched)
        diffuse = Criteria(subtype=frozenset({"diffuse"}))
        screen.criteria = diffuse
        await pilot.pause()
        expected = lists.evidence_count(screen.store, "cyclophosphamide", diffuse)
        assert 0 < expected < unfiltered
        assert evidence.total == expected
        assert str(evidence.border_title).endswith(f"({expected:,})")
        assert "therapies" not in static_text(screen.query_one("#status"))  # still counting
        gate.set()
        await settle(pilot)
        assert "therapies" in static_text(screen.query_one("#status"))
        assert evidence.total == expected
        assert listed == [("cyclophosphamide", diffuse)]
