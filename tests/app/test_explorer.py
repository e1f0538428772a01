"""Pilot tests: linking between panes and the keyboard flows, asserting what users see."""

from __future__ import annotations

from textual.widgets import ContentSwitcher, Input
from textual.widgets._footer import FooterKey

from sclerotui.facets import Criteria
from sclerotui.screens.filters import FilterScreen
from sclerotui.screens.help import HelpScreen
from sclerotui.widgets.evidence_list import EvidenceList
from sclerotui.widgets.key_footer import KeyFooter
from sclerotui.widgets.search_results import SearchResults
from sclerotui.widgets.therapy_list import TherapyList
from sclerotui.widgets.timeline import TimelineEvents
from tests.app.helpers import caught_up, detail_text, make_app, option_texts, settle, static_text


async def test_start_shows_first_therapy_with_its_trial_detail_and_timeline(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        therapies = option_texts(screen.query_one(TherapyList))
        assert therapies[0] == "Antifibrotics"
        assert "Nintedanib" in therapies[1] and therapies[1].split()[-2:] == ["1", "0"]
        assert screen.therapy_id == "nintedanib"
        assert option_texts(screen.query_one(EvidenceList)) == ["Alpha lung trial\n  RCT n=576"]
        assert "Annual rate of FVC decline" in detail_text(app)
        events = screen.query_one(TimelineEvents)
        assert len(events.options) == 5
        plot = static_text(screen.query_one("#plot-text"))
        assert "FVC %pred" in plot and "Nintedanib: w0 72.4 → w52 70.1" in plot
        assert "includes unverified values" in plot


async def test_moving_in_therapy_list_updates_evidence_and_detail(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("j")  # Nintedanib -> Rituximab (the header row is skipped)
        await caught_up(pilot)
        screen = app.main_screen
        assert screen.therapy_id == "rituximab"
        items = option_texts(screen.query_one(EvidenceList))
        assert items[0] == "Beta cohort of rituximab\n  observational n=63"
        assert any("case · lcSSc · partial · illustrative" in item for item in items)
        assert "Beta cohort of rituximab" in detail_text(app)
        await pilot.press("tab", "j")  # into the evidence list, next item
        await caught_up(pilot)
        assert screen.item[0] == "case"


async def test_enter_on_case_shows_sequence_and_timeline(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        app.main_screen.jump_to("case", "case-one")
        await caught_up(pilot)
        text = detail_text(app)
        assert "ILLUSTRATIVE CASE" in text
        assert "1. Cyclophosphamide → resistant" in text
        assert "2. Autologous HSCT → responded" in text
        events = option_texts(app.main_screen.query_one(TimelineEvents))
        assert [e.split()[0] for e in events] == ["w0", "w4", "w30", "w52", "y2"]
        assert not app.main_screen.query_one("#plots").display


async def test_search_as_you_type_then_enter_selects_hit_in_context(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", *"bosentan")
        await settle(pilot)
        screen = app.main_screen
        assert screen.query_one(ContentSwitcher).current == "results"
        results = screen.query_one(SearchResults)
        kinds = [hit.kind for hit in results.hits]
        assert "therapy" in kinds and "case" in kinds
        case_index = kinds.index("case")
        await pilot.press("down", *(["down"] * case_index), "enter")
        await caught_up(pilot)
        assert screen.query_one(ContentSwitcher).current == "evidence"
        assert screen.therapy_id == "bosentan"
        assert screen.item == ("case", "case-two")
        assert "Limited SSc with digital ulcers failing bosentan" in detail_text(app)


async def test_keys_typed_ahead_from_the_search_box_walk_the_results(mini_db):
    """Down, Down, Enter sent in one burst (typed ahead, or pasted) open the second hit,
    as they do typed one at a time: keys queued behind the first Down went to the box."""
    from textual import events

    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", *"cyclophosphamide")
        await settle(pilot)
        screen = app.main_screen
        hits = screen.query_one(SearchResults).hits
        assert len(hits) > 2
        for key, char in [("down", None), ("down", None), ("enter", "\r")]:
            event = events.Key(key, char)
            event.set_sender(app)
            app._driver.send_message(event)
        await settle(pilot)
        assert screen.query_one(ContentSwitcher).current == "evidence"
        chosen = hits[1]
        if chosen.kind == "therapy":
            assert screen.therapy_id == chosen.id
        else:
            assert screen.item == (chosen.kind, chosen.id)


async def test_choosing_a_therapy_hit_shows_the_therapy_and_keeps_it(mini_db):
    """The therapy's own detail (mechanism, counts) stays: the first item of its evidence
    list, highlighted as the list loads, does not replace it a moment later."""
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", *"cyclophosphamide")
        await settle(pilot)
        screen = app.main_screen
        kinds = [hit.kind for hit in screen.query_one(SearchResults).hits]
        await pilot.press("down", *(["down"] * kinds.index("therapy")), "enter")
        await settle(pilot)
        assert screen.therapy_id == "cyclophosphamide"
        detail = screen.query_one("#detail")
        assert detail.current.kind == "therapy" and detail.current.record.id == "cyclophosphamide"
        assert "Mechanism" in detail_text(app)
        assert "1 trial and 2 cases with the current filters" in detail_text(app)
        evidence = screen.query_one(EvidenceList)
        evidence.focus()
        await pilot.press("down")  # moving in the list shows its items again
        await caught_up(pilot)
        assert detail.current.kind != "therapy" and screen.item == evidence.item


async def test_search_counts_its_results_in_words_that_agree(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await pilot.press("slash", *"renal")
        await settle(pilot)
        results = screen.query_one(SearchResults)
        assert len(results.hits) == 1
        assert str(results.border_title) == "1 result for renal"
        screen.query_one("#search", Input).value = "cyclophosphamide"
        await settle(pilot)
        assert len(results.hits) > 1
        assert str(results.border_title).startswith(f"{len(results.hits)} results for")


async def test_search_no_hits_and_bad_query_show_messages(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await pilot.press("slash", *"zzzqqq")
        await settle(pilot)
        results = screen.query_one(SearchResults)
        assert results.hits == []
        assert "No results for “zzzqqq” (no filters on)" in option_texts(results)[0]
        screen.query_one("#search", Input).value = "subtype:purple"
        await settle(pilot)
        assert "unknown subtype 'purple'" in option_texts(results)[0]
        await pilot.press("escape")
        assert screen.query_one("#search", Input).value == ""
        assert screen.query_one(ContentSwitcher).current == "evidence"


async def test_query_language_in_search_box(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        screen.query_one("#search", Input).value = "organ:lung response:resistant"
        await pilot.press("slash")
        await settle(pilot)
        assert [(h.kind, h.id) for h in screen.query_one(SearchResults).hits] == [
            ("case", "case-one")
        ]


async def test_typing_in_the_search_box_asks_for_no_layout_and_keeps_the_cursor_in_view(mini_db):
    """A keystroke repaints the box only; a layout of the whole screen repainted every
    list's scroll bars while the search ran. Long text still scrolls with the cursor."""
    app = make_app(mini_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await caught_up(pilot)
        box = app.main_screen.query_one("#search", Input)
        layouts = []
        refresh = box.refresh

        def counted(*args, **kwargs):
            layouts.append(kwargs.get("layout", False))
            return refresh(*args, **kwargs)

        box.refresh = counted
        await pilot.press("slash", *"fibrosis")
        assert layouts and True not in layouts
        long = " progressive lung fibrosis despite cyclophosphamide in diffuse cutaneous"
        await pilot.press(*long)
        await settle(pilot)
        left, right = box.content_region.x, box.content_region.right
        # At the end of the text Input draws its cursor one cell past the text, as always.
        assert box.scroll_x > 0 and left <= box.cursor_screen_offset.x <= right
        await pilot.press("home")
        assert box.scroll_x == 0 and box.cursor_screen_offset.x == left
        await pilot.press("end", *["backspace"] * len(long))
        await settle(pilot)
        assert box.value == "fibrosis" and box.scroll_x == 0


async def test_new_search_results_ask_for_no_layout_and_are_measured_as_drawn(mini_db):
    """Results replace results in one step. Emptying the list first hid its scroll bar (a
    layout of the screen) and measured the new rows at the width without it: a hit that
    wraps once more with the bar back had its last line cut."""
    app = make_app(mini_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await caught_up(pilot)
        await pilot.press("slash", *"cyclophosphami")
        await settle(pilot)
        results = app.main_screen.query_one(SearchResults)
        assert results.show_vertical_scrollbar
        layouts = []
        for widget in (results, results.vertical_scrollbar):
            refresh = widget.refresh

            def counted(*args, refresh=refresh, **kwargs):
                layouts.append(kwargs.get("layout", False))
                return refresh(*args, **kwargs)

            widget.refresh = counted
        await pilot.press("d")
        await settle(pilot)
        assert app.main_screen.search_shown == "cyclophosphamid"
        assert layouts and True not in layouts
        width = results.scrollable_content_region.width - results._get_left_gutter_width()
        padding = results.get_component_styles("option-list--option").padding
        drawn = [
            results._get_visual(option).get_height(results.styles, width - padding.width)
            for option in results.options
        ]
        assert len(drawn) > 1 and max(drawn) > 2  # some hits wrap
        assert [results._line_cache.heights[i] for i in range(len(drawn))] == drawn


async def test_filters_narrow_list_show_chips_and_clear(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await pilot.press("f")
        await caught_up(pilot)
        assert isinstance(app.screen, FilterScreen)
        subtype = app.screen.query_one("#facet-subtype")
        subtype.select("diffuse")
        await pilot.press("escape")
        await settle(pilot)
        assert screen.criteria == Criteria(subtype=frozenset({"diffuse"}))
        ids = [o.id for o in screen.query_one(TherapyList).options if o.id]
        # Bosentan's only case is limited; every other therapy has diffuse evidence.
        assert "bosentan" not in ids and "cyclophosphamide" in ids
        assert "subtype: diffuse" in static_text(screen.query_one("#status"))
        await pilot.press("x")
        await caught_up(pilot)
        assert not screen.criteria
        assert "bosentan" in [o.id for o in screen.query_one(TherapyList).options]


async def test_the_filter_dialog_narrows_by_autoantibody(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await pilot.press("f")
        await caught_up(pilot)
        app.screen.query_one("#facet-antibody").select("anticentromere")
        await pilot.press("escape")
        await settle(pilot)
        assert screen.criteria == Criteria(antibody=frozenset({"anticentromere"}))
        # Only case-two is anticentromere: bosentan then rituximab.
        ids = [o.id for o in screen.query_one(TherapyList).options if o.id]
        assert sorted(ids) == ["bosentan", "rituximab"]
        assert "antibody: anticentromere" in static_text(screen.query_one("#status"))


async def test_selection_survives_filter_change(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        screen.jump_to("case", "case-two")
        await caught_up(pilot)
        screen.criteria = Criteria(subtype=frozenset({"limited"}))
        await settle(pilot)
        assert screen.therapy_id in ("bosentan", "rituximab")
        assert screen.item == ("case", "case-two")


async def test_timeline_event_scrolls_detail_to_matching_section(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        detail = screen.query_one("#detail")
        assert detail.scroll_y == 0
        events = screen.query_one(TimelineEvents)
        events.focus()
        events.highlighted = 0  # a measurement: points at the results section
        await pilot.press("enter")
        await caught_up(pilot)
        assert detail.scroll_y > 0
        assert detail.sections["results"].region.y - detail.region.y <= 1


async def test_hostile_record_renders_literally_and_runs_nothing(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        app.main_screen.jump_to("case", "case-four")
        await caught_up(pilot)
        text = detail_text(app)
        assert "Hostile [bold]markup[/] and ␛[2J escape" in text
        assert "[@click=app.quit]click[/]" in text
        assert "␛]52;c;aGk=␇" in text
        await pilot.click("#detail")
        await caught_up(pilot)
        assert app.is_running
        events = option_texts(app.main_screen.query_one(TimelineEvents))
        assert "[red]not red[/red] ␛[31m" in events[0]


async def test_help_lists_every_binding(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await caught_up(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.help_text()
        for binding in [*app.BINDINGS, *app.main_screen.BINDINGS]:
            assert binding.description in text
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_command_palette_jumps_to_a_case(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await caught_up(pilot)
        await pilot.press(*"digital ulcers failing")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await caught_up(pilot)
        assert app.main_screen.item == ("case", "case-two")


async def test_theme_key_and_quit(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        before = app.theme
        await pilot.press("t")
        assert app.theme != before
        await pilot.press("q")
        await caught_up(pilot)
        assert not app.is_running


async def test_marks_typed_ahead_in_the_therapy_list_mark_what_the_cursor_is_on(mini_db):
    """m, Down, m in one burst marks two therapies: the second m went to the therapy the
    screen had not yet heard the cursor leave, and unmarked it."""
    from textual import events

    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        therapies = app.main_screen.query_one(TherapyList)
        therapies.focus()
        await caught_up(pilot)
        first = therapies.therapy_id
        for key in ("m", "down", "m"):
            event = events.Key(key, key if len(key) == 1 else None)
            event.set_sender(app)
            app._driver.send_message(event)
        await settle(pilot)
        second = therapies.therapy_id
        assert first != second
        assert app.main_screen.marked == [first, second]


async def test_e_exports_the_record_on_screen_to_markdown(mini_db, tmp_path):
    app = make_app(mini_db)
    target = tmp_path / "out" / "alpha.md"
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        await pilot.press("e")
        await caught_up(pilot)
        field = app.screen.query_one("#export-path")
        assert field.value.endswith("sclerotui-trial-alpha.md")
        field.value = str(target)
        await pilot.press("enter")
        await caught_up(pilot)
        # The directory does not exist: an inline message, the dialog stays.
        assert "Cannot write" in static_text(app.screen.query_one("#export-message"))
        target.parent.mkdir()
        await pilot.press("enter")
        await caught_up(pilot)
        assert app.screen is app.main_screen
    text = target.read_text()
    assert text.startswith("# sclerotui: Alpha lung trial")
    assert "**unverified**" in text


async def test_y_copies_the_citation_line(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        await pilot.press("y")
        await caught_up(pilot)
        # The registry id once (not "NCT NCT…"), the unverified citation marked.
        assert app.clipboard == (
            "Alpha lung trial. ClinicalTrials.gov: NCT00000001.\n"
            "Gamma trial, Test Journal 2020 (test fixture). (not verified)"
        )


async def test_footer_is_rebuilt_only_when_its_keys_change(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        footer = screen.query_one(KeyFooter)
        keys = list(footer.query(FooterKey))
        assert [key.key for key in keys][:2] == ["question_mark", "slash"]
        assert keys[-1].key == "ctrl+p"
        screen.refresh_bindings()  # as on every focus move: Textual would rebuild every key
        await caught_up(pilot)
        assert list(footer.query(FooterKey)) == keys
        # A key that becomes disabled (None from check_action) is a change: the footer shows it.
        screen.check_action = lambda action, parameters: None if action == "pathways" else True
        screen.refresh_bindings()
        await caught_up(pilot)
        disabled = [key.key for key in footer.query(FooterKey) if key.has_class("-disabled")]
        assert disabled == ["p"]
