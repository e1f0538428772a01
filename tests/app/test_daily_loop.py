"""The clinician's daily loop (issue 22): keys that do what they say, panes that give the
reader room, names and figures that read whole."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Input

from sclerotui.widgets.search_results import SearchResults
from tests.app.helpers import caught_up, make_app, settle, static_text


def burst(app, text: str) -> None:
    """Every key of `text` queued at once, as a paste or a batched SSH write delivers them."""
    for char in text:
        key = "slash" if char == "/" else char
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)


async def test_keys_after_slash_in_one_burst_go_into_the_search_box(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        theme = app.theme
        burst(app, "/rituximab")
        await settle(pilot)
        screen = app.main_screen
        assert screen.query_one("#search", Input).value == "rituximab"
        assert app.theme == theme  # "t" was typed, not run
        assert screen.marked == []  # nor "m"
        assert screen.query_one(SearchResults).hits
        screen.query_one("#search", Input).value = ""
        screen.query_one("#therapies").focus()
        await pilot.press(*"/tacrolimus")  # Pilot's keys, pressed without waits between
        await settle(pilot)
        assert screen.query_one("#search", Input).value == "tacrolimus"
        assert app.theme == theme


async def test_slash_quit_in_one_burst_searches_for_quit(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await caught_up(pilot)
        burst(app, "/quit")
        await settle(pilot)
        assert app.is_running
        search = app.main_screen.query_one("#search", Input)
        assert search.value == "quit"
        burst(app, "/2")  # with the box focused, a slash is text like any other
        await pilot.press(*"/x")  # and typed one key at a time, the same
        await settle(pilot)
        assert search.value == "quit/2/x"


async def test_a_paste_outside_the_search_box_is_searched_never_run(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        assert screen.focused is not screen.query_one("#search")
        theme = app.theme
        app.post_message(events.Paste("tq rituximab\tfibrosis"))
        await settle(pilot)
        assert app.is_running and app.theme == theme
        search = screen.query_one("#search", Input)
        assert screen.focused is search
        assert search.value == "tq rituximab fibrosis"


class PtySession:
    """`python -m sclerotui` on a real pseudo-terminal, driven one write at a time: each
    step waits for what the app draws (generous ceilings; the machine may be busy)."""

    def __init__(self, argv: list[str], size: tuple[int, int], cwd) -> None:
        import fcntl
        import os
        import pty
        import struct
        import subprocess
        import sys
        import termios

        from tests.app.pty_session import TERMINAL_VARIABLES

        self.master, slave = pty.openpty()
        columns, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in TERMINAL_VARIABLES}
        env["TERM"] = "xterm-256color"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sclerotui", *argv],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.output = b""

    def _read(self, seconds: float) -> bool:
        import os
        import select

        ready, _, _ = select.select([self.master], [], [], seconds)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:
            return False
        self.output += chunk
        return bool(chunk)

    def wait_for(self, text: bytes, ceiling: float = 60.0) -> bool:
        """Read until `text` has been drawn since the last write (False at the ceiling)."""
        import time

        start = self.mark
        until = time.monotonic() + ceiling
        while text not in self.output[start:]:
            if time.monotonic() > until or not self._read(0.05):
                return text in self.output[start:]
        return True

    mark = 0

    def write(self, data: bytes) -> None:
        import os

        self.mark = len(self.output)
        os.write(self.master, data)

    def finish(self, ceiling: float = 60.0) -> int | None:
        """Wait for the program to exit (killed at the ceiling: None)."""
        import os
        import time

        until = time.monotonic() + ceiling
        while self.process.poll() is None and time.monotonic() < until:
            self._read(0.05)
        code = self.process.poll()
        if code is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)
        return code


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_a_burst_after_slash_is_searched_in_a_real_terminal(tmp_path, size):
    """`/rituximab` and `/quit`, each in one write(), as tmux send-keys or a paste over SSH
    delivers them: both are searched for; nothing runs and the app does not quit."""
    from tests.conftest import build_mini_db

    db = build_mini_db(tmp_path / "mini.db")
    session = PtySession(["--db", str(db)], size, tmp_path)
    try:
        assert session.wait_for(b"Nintedanib"), session.output[-2000:]
        session.write(b"/rituximab")
        assert session.wait_for(b"results for rituximab"), session.output[-3000:]
        session.write(b"\x1b")  # escape: out of the search
        assert session.wait_for(b"Evidence"), session.output[-3000:]
        session.write(b"/quit")
        assert session.wait_for(b"result for quit"), session.output[-3000:]  # the hostile case
        assert session.process.poll() is None  # still running
    finally:
        session.write(b"\x1b")
        session.wait_for(b"Evidence")
        session.write(b"q")
        code = session.finish()
    assert code == 0, session.output[-2000:]
    assert b"Traceback" not in session.output


PANES = ["#therapies", "#evidence", "#detail", "#timeline"]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_z_zooms_every_pane_to_the_whole_screen_and_back(mini_db, size):
    """Measured by the pane's region: maximized, Textual kept a pane's CSS width (30 columns
    of therapies centred on a hatched background), and the detail did not zoom at all."""
    app = make_app(mini_db)
    async with app.run_test(size=size) as pilot:
        screen = app.main_screen
        screen.jump_to("trial", "alpha")  # a trial with a plotted timeline
        await caught_up(pilot)
        width, height = size
        for selector in PANES:
            pane = screen.query_one(selector)
            target = pane.query_one("#events") if selector == "#timeline" else pane
            target.focus()
            await caught_up(pilot)
            before = pane.region
            await pilot.press("z")
            await caught_up(pilot)
            assert pane.region.width == width, (selector, pane.region)
            assert pane.region.height >= height - 1, (selector, pane.region)  # the footer
            assert screen.focused is target
            await pilot.press("z")
            await caught_up(pilot)
            assert pane.region == before, selector


async def test_the_palette_offers_zoom_for_the_detail(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        screen.jump_to("trial", "alpha")
        await caught_up(pilot)
        assert screen.focused is screen.query_one("#detail")
        titles = [command.title for command in app.get_system_commands(screen)]
        assert any("maximize" in title.lower() for title in titles), titles


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_a_record_without_timeline_events_gives_the_room_to_the_detail(mini_db, size):
    app = make_app(mini_db)
    async with app.run_test(size=size) as pilot:
        screen = app.main_screen
        detail, timeline = screen.query_one("#detail"), screen.query_one("#timeline")
        screen.jump_to("trial", "alpha")  # events and plots
        await caught_up(pilot)
        with_events = detail.region
        screen.jump_to("trial", "beta")  # no events
        await caught_up(pilot)
        without = detail.region
        if size == (120, 40):
            assert timeline.region.width <= 22
            assert without.width >= with_events.width + 18
        else:  # the timeline is below the panes: it gives back its rows
            assert timeline.region.height <= 3
            assert without.height >= with_events.height + 4
        assert "No timeline events recorded" in static_text(screen.query_one("#plot-text"))
        screen.jump_to("trial", "alpha")  # and events bring the timeline back
        await caught_up(pilot)
        assert detail.region == with_events


async def test_palette_keys_opens_the_help_and_there_is_no_screenshot(mini_db):
    from sclerotui.screens.help import HelpScreen

    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        commands = {c.title: c for c in app.get_system_commands(app.main_screen)}
        assert "Screenshot" not in commands
        commands["Keys"].callback()
        await caught_up(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await caught_up(pilot)
        assert app.screen is app.main_screen
        assert not app.main_screen.query("HelpPanel")


def footer_keys(screen) -> list[str]:
    from textual.widgets._footer import FooterKey

    from sclerotui.widgets.key_footer import KeyFooter

    return [key.key_display for key in screen.query_one(KeyFooter).query(FooterKey)]


def footer_fits(screen) -> None:
    """Every key drawn lies inside the footer (Textual's cut keys off at the edge)."""
    from textual.widgets._footer import FooterKey

    from sclerotui.widgets.key_footer import KeyFooter

    footer = screen.query_one(KeyFooter)
    keys = list(footer.query(FooterKey))
    ends = sorted((k.region.x, k.region.right) for k in keys)
    assert all(right <= footer.region.right for _, right in ends), ends
    assert all(a[1] <= b[0] for a, b in zip(ends, ends[1:], strict=False)), ends  # no overlap


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_the_footer_shows_help_and_the_keys_of_the_focused_pane(mini_db, size):
    app = make_app(mini_db)
    async with app.run_test(size=size) as pilot:
        screen = app.main_screen
        await caught_up(pilot)
        keys = footer_keys(screen)  # the therapy list has the focus
        assert keys[0] == "?"
        for key in ["/", "p", "m", "c", "f"]:
            assert key in keys, keys
        footer_fits(screen)
        screen.jump_to("trial", "alpha")  # the detail has the focus
        await caught_up(pilot)
        keys = footer_keys(screen)
        assert keys[:4] == ["?", "z", "y", "e"], keys
        footer_fits(screen)
        if size == (120, 40):
            assert "q" in keys
        await pilot.press("slash")  # in the search box letters are typed: help is on F1
        await caught_up(pilot)
        keys = footer_keys(screen)
        assert keys[0] == "f1" and "esc" in keys
        assert not [k for k in keys if len(k) == 1], keys
        await pilot.press("f1")
        await caught_up(pilot)
        from sclerotui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)


async def test_the_help_keeps_each_description_in_its_column(mini_db):
    """At 80 columns the `enter` row wraps: its second line stays in the description column
    (it wrapped "detail" into the key column)."""
    app = make_app(mini_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await caught_up(pilot)
        help_screen = app.screen
        texts = list(help_screen.query(".help-text"))
        keys = list(help_screen.query(".help-key"))
        column = texts[0].region.x
        enter = next(t for k, t in zip(keys, texts, strict=True) if "enter" in str(k.content))
        assert enter.region.height > 1  # it wraps at this width
        assert all(t.region.x == column for t in texts)
        assert all(k.region.right <= column for k in keys)


def screen_rows(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_therapy_names_read_whole(mini_db, size):
    """Long names wrap at words onto more lines ("Cyclophospham…", "Mycophenolate…" before);
    the counts stay on the first line, in their columns."""
    from sclerotui.widgets.therapy_list import TherapyList

    app = make_app(mini_db)
    async with app.run_test(size=size) as pilot:
        await caught_up(pilot)
        therapies = app.main_screen.query_one(TherapyList)
        shown = "\n".join(
            row[therapies.region.x : therapies.region.right] for row in screen_rows(app)
        )
        assert "…" not in shown and "Nintedanib" in shown
        prompts = {o.id: str(o.prompt) for o in therapies.options if o.id}
        assert prompts["cyclophosphamide"].split()[0] == "Cyclophosphamide"
        first, second = prompts["mycophenolate"].split("\n")
        assert first.split()[:1] == ["Mycophenolate"] and all(
            n.isdigit() for n in first.split()[-2:]
        )
        assert second.strip() == "mofetil"


async def test_a_long_status_note_wraps_whole(mini_db):
    from sclerotui.app import SclerotuiApp
    from sclerotui.store import Store

    note = (
        "created /home/clinic/.local/share/sclerotui/sclerotui.db: "
        "20 therapies, 31 trials, 5 cases, 142 events"
    )
    app = SclerotuiApp(Store(mini_db), note=note)
    async with app.run_test(size=(80, 24)) as pilot:
        await caught_up(pilot)
        status = app.main_screen.query_one("#status")
        assert status.region.height > 1
        text = " ".join(
            row.strip() for row in screen_rows(app)[status.region.y : status.region.bottom]
        )
        assert "5 cases, 142 events" in text


async def test_timeline_event_kinds_read_whole(mini_db):
    from sclerotui.widgets.timeline import KIND_LABEL, TimelineEvents
    from tests.app.helpers import option_texts

    app = make_app(mini_db)
    async with app.run_test(size=(80, 24)) as pilot:
        app.main_screen.jump_to("case", "case-one")
        await caught_up(pilot)
        events = app.main_screen.query_one(TimelineEvents)
        rows = option_texts(events)
        kinds = [event.kind.value for event in events.events]
        assert "therapy-start" in kinds and "response-assessment" in kinds
        for row, kind in zip(rows, kinds, strict=True):
            assert f" {KIND_LABEL[kind]} " in row, row


async def test_comparison_shows_a_trials_result_whole(mini_db):
    from sclerotui.compare import gather
    from sclerotui.screens.compare import trials_cell
    from sclerotui.store import Store

    with Store(mini_db, read_only=True) as store:
        column = gather(store, ["nintedanib"])[0]
    result = "Mean difference " + "; ".join(f"95% CI −11.00 to −{n}.50" for n in range(20))
    column.trials[0] = column.trials[0].model_copy(update={"results": result})
    assert result in str(trials_cell(column))


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_filter_labels_read_whole(mini_db, size):
    """Two facets a row below 100 columns ("Interstitia…" at 80x24 before), and the value
    under the cursor written whole below the facets."""
    from textual.widgets import SelectionList

    app = make_app(mini_db)
    async with app.run_test(size=size) as pilot:
        await pilot.press("f")
        await caught_up(pilot)
        assert "Interstitial lung disease" in "\n".join(screen_rows(app))
        organs = app.screen.query_one("#facet-organ", SelectionList)
        organs.focus()
        for index in range(organs.option_count):
            organs.highlighted = index
            await caught_up(pilot)
            label = str(organs.get_option_at_index(index).prompt)
            assert f"Organ domain: {label}" in str(app.screen.query_one("#filter-current").content)


async def test_a_pathway_node_reads_whole_and_right_scrolls_the_tree(tmp_path):
    from pathway_fixture import build_pathway_db

    from sclerotui.screens.pathways import PathwayTree

    app = make_app(build_pathway_db(tmp_path / "pathways.db"))
    async with app.run_test(size=(80, 24)) as pilot:
        app.main_screen.jump_to("therapy", "cyclophosphamide")
        await caught_up(pilot)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("down")  # the first node: mycophenolate
        await settle(pilot)
        node = str(app.screen.query_one("#pathway-node").content)
        assert node.startswith("Cyclophosphamide → Mycophenolate mofetil  n=3  67% responded")
        assert "dcSSc 2 lcSSc 1" in node  # the end of the line, cut in the tree at 80 columns
        tree = app.screen.query_one(PathwayTree)
        assert tree.max_scroll_x > 0 and tree.scroll_x == 0
        await pilot.press("right", "right")
        await caught_up(pilot)
        assert tree.scroll_x > 0
        await pilot.press("left", "left")
        await caught_up(pilot)
        assert tree.scroll_x == 0


async def test_counts_read_in_words_that_agree(mini_db):
    from sclerotui.facets import Criteria
    from sclerotui.widgets.evidence_list import EvidenceList
    from tests.app.helpers import detail_text, option_texts

    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        screen.criteria = Criteria(subtype=frozenset({"sine"}))  # only rituximab's case
        await settle(pilot)
        assert "· 1 therapy" in static_text(screen.query_one("#status"))
        screen.criteria = Criteria()
        await settle(pilot)
        assert "· 6 therapies" in static_text(screen.query_one("#status"))
        screen.jump_to("therapy", "bosentan")
        await caught_up(pilot)
        assert "0 trials and 1 case with the current filters" in detail_text(app)
        screen.jump_to("trial", "gamma")  # its primary result is not verified
        await caught_up(pilot)
        rows = option_texts(screen.query_one(EvidenceList))
        gamma = next(row for row in rows if row.startswith("Gamma"))
        assert gamma.endswith("· result unverified"), gamma
        assert "(unverified)" not in "".join(rows)


async def test_a_hit_matched_in_its_title_does_not_repeat_it(mini_db):
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"/digital ulcers failing")
        await settle(pilot)
        results = app.main_screen.query_one(SearchResults)
        title = "Limited SSc with digital ulcers failing bosentan"
        hit = next(h for h in results.hits if h.id == "case-two")
        prompt = results.get_option(str(results.hits.index(hit))).prompt
        assert str(prompt).count(title) == 1, str(prompt)
        marked = {str(prompt)[s.start : s.end] for s in prompt.spans if "reverse" in str(s.style)}
        assert {"digital", "ulcers", "failing"} <= marked


async def test_with_no_results_the_detail_says_so_and_escape_brings_the_record_back(mini_db):
    from tests.app.helpers import detail_text

    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        assert "Alpha lung trial" in detail_text(app)
        await pilot.press(*"/zzzqqq")
        await settle(pilot)
        assert "Alpha lung trial" not in detail_text(app)
        assert "No result to show" in detail_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert "Alpha lung trial" in detail_text(app)
        assert screen.query_one("#timeline").has_class("-empty") is False


async def test_the_start_picker_finds_a_therapy_by_typing_its_name(tmp_path):
    from pathway_fixture import build_pathway_db
    from textual.widgets import OptionList

    from sclerotui.screens.pathways import PathwaysScreen, StartPicker

    app = make_app(build_pathway_db(tmp_path / "pathways.db"))
    async with app.run_test(size=(80, 24)) as pilot:
        app.main_screen.jump_to("therapy", "cyclophosphamide")
        await caught_up(pilot)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("s")
        await caught_up(pilot)
        picker = app.screen
        assert isinstance(picker, StartPicker)
        options = picker.query_one(OptionList)

        def current() -> str:
            return str(options.get_option_at_index(options.highlighted).prompt)

        burst(app, "rit")  # in one burst, as typed fast
        await caught_up(pilot)
        assert current() == "Rituximab"
        await pilot.press("backspace", "backspace", "backspace", *"myco")
        await caught_up(pilot)
        assert current() == "Mycophenolate mofetil"
        assert "find: myco" in str(options.border_subtitle)
        await pilot.press("escape")  # clears what was typed, stays
        await caught_up(pilot)
        assert app.screen is picker and "find:" not in str(options.border_subtitle)
        await pilot.press(*"bos", "enter")  # letters never run the app's keys (q, t, ?)
        await settle(pilot)
        assert isinstance(app.screen, PathwaysScreen) and app.screen.start == "bosentan"
        assert app.is_running


async def test_opening_a_trial_from_the_pathways_says_the_filters_went_and_r_restores_them(
    tmp_path,
):
    from pathway_fixture import build_pathway_db

    from sclerotui.facets import Criteria

    app = make_app(build_pathway_db(tmp_path / "pathways.db"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        screen.jump_to("therapy", "cyclophosphamide")
        filters = Criteria(subtype=frozenset({"limited"}))
        screen.criteria = filters
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        trials = app.screen.query_one("#pathway-trials")
        trials.focus()
        trial_id = trials.get_option_at_index(0).id.split(":", 1)[1]
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and screen.item == ("trial", trial_id)
        assert screen.criteria == Criteria()  # the trial is not of limited SSc
        status = static_text(screen.query_one("#status"))
        assert "filters set aside to show a record: r restores them" in status
        toasts = [n.message for n in app._notifications]
        assert any("Filters cleared to show this trial" in t and "r restores" in t for t in toasts)
        assert "r" in footer_keys(screen)
        await pilot.press("r")
        await settle(pilot)
        assert screen.criteria == filters
        assert "subtype: limited" in static_text(screen.query_one("#status"))
        assert "r" not in footer_keys(screen)
        await pilot.press("r")  # nothing set aside now: r does nothing
        await settle(pilot)
        assert screen.criteria == filters
