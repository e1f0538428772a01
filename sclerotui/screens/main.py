"""The main screen: therapy list, evidence list and detail, outcome timeline, search and filters.

The screen owns the state (filters, selected therapy and item), asks the store for data and
hands plain models to the panes; the panes tell it what the user did through messages.
"""

from __future__ import annotations

from contextlib import nullcontext

from textual import events, getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Header, Input, OptionList, Static
from textual.worker import get_current_worker

from sclerotui import lists
from sclerotui.facets import NO_CRITERIA, Criteria
from sclerotui.query import SearchError
from sclerotui.screens.workers import unless_cancelled
from sclerotui.search import Hit, Search
from sclerotui.store import RecordDamaged, Store
from sclerotui.text import one_line
from sclerotui.widgets.detail import DetailView, RecordView
from sclerotui.widgets.evidence_list import WINDOW, EvidenceList
from sclerotui.widgets.key_footer import KeyFooter
from sclerotui.widgets.search_input import SearchInput
from sclerotui.widgets.search_results import SearchResults
from sclerotui.widgets.therapy_list import TherapyList
from sclerotui.widgets.timeline import SECTION_FOR_KIND, TimelineEvents, TimelinePane

# A therapy with more trials and cases than this (without filters) has its evidence counted
# by a worker when filters are on, as counting it is slow. Below it, the list fills at once.
BIG_THERAPY = 20_000


def evidence_window(
    store: Store, therapy_id: str, criteria: Criteria, item: tuple | None
) -> tuple[int, int, list]:
    """(total, offset, items): the therapy's evidence count and the window that holds the
    item, if the therapy lists it, else its first window."""
    total = lists.evidence_count(store, therapy_id, criteria)
    position = None
    if item is not None:
        position = lists.evidence_position(store, therapy_id, criteria, *item)
    offset = window_start(position or 0, total)
    return total, offset, lists.evidence(store, therapy_id, criteria, WINDOW, offset, total)


def window_start(position: int, total: int) -> int:
    """The first row of a window of WINDOW rows that holds `position`, a third from its top."""
    return max(0, min(position - WINDOW // 3, total - WINDOW))


SEARCH_LIMIT = 100
NARROW_WIDTH = 110
CHANGE_CHECK_SECONDS = 2.0  # how often the explorer looks for another program's writes


class MainScreen(Screen):
    AUTO_FOCUS = "#therapies"
    BINDINGS = [
        # A priority binding runs as the key arrives, ahead of keys behind it in one burst
        # (a paste, a batched SSH write): they reach the box, not the pane's bindings.
        Binding("slash", "focus_search", "Search", priority=True),
        Binding("escape", "back", "Back", tooltip="Clear the search / leave a zoomed pane"),
        Binding("f", "filters", "Filters"),
        Binding("x", "clear_filters", "Clear filters"),
        # Shown only after a jump set filters aside to show its record.
        Binding("r", "restore_filters", "Restore filters"),
        Binding(
            "z", "zoom", "Zoom", tooltip="Zoom the focused pane to the whole screen (again: back)"
        ),
        Binding("e", "export", "Export"),
        Binding("y", "copy_citation", "Cite", tooltip="Copy the citation of the record on screen"),
        Binding("p", "pathways", "Pathways"),
        Binding("m", "mark", "Mark", tooltip="Mark (or unmark) the therapy to compare"),
        Binding("c", "compare", "Compare", tooltip="Compare the marked therapies side by side"),
        Binding("g", "forest", "Forest", tooltip="Forest plot of the trials' effects"),
        Binding("u", "summary", "Summary", tooltip="Summary of findings for the therapy"),
        # Not in the footer (full at 80 columns): `?` lists them, the palette has the lens.
        Binding("l", "lens", "Patients like mine", show=False),
        Binding("a", "note", "Note on this record", show=False),
        Binding("b", "bookmark", "Bookmark this record", show=False),
        Binding(
            "left_square_bracket,alt+left",
            "history_back",
            "Back: the record visited before",
            key_display="[  alt+←",
            show=False,
        ),
        Binding(
            "right_square_bracket,alt+right",
            "history_forward",
            "Forward: the record visited next",
            key_display="]  alt+→",
            show=False,
        ),
        Binding("n", "start_fresh", "Start fresh (forget where you were)", show=False),
    ]
    # The footer shows these first (after help) for the focused pane, as many as fit.
    FOOTER_ORDER = {
        "therapies": ["focus_search", "pathways", "mark", "compare", "filters", "zoom", "summary"],
        "evidence": ["focus_search", "zoom", "export", "copy_citation", "filters", "forest"],
        "results": ["back", "zoom", "focus_search", "filters"],
        "detail": ["zoom", "copy_citation", "export", "focus_search", "filters", "forest"],
        "timeline": ["zoom", "copy_citation", "export", "focus_search"],
        "search": ["back", "filters"],
    }

    criteria: reactive[Criteria] = reactive(NO_CRITERIA, init=False)

    therapy_list = getters.query_one(TherapyList)
    evidence_list = getters.query_one(EvidenceList)  # the search results are beside it
    switcher = getters.query_one(ContentSwitcher)  # the evidence list or the search results
    detail_view = getters.query_one(DetailView)
    timeline_pane = getters.query_one(TimelinePane)
    search_box = getters.query_one("#search", Input)
    status_line = getters.query_one("#status", Static)
    reading_line = getters.query_one("#reading", Static)  # a reading of the typed words

    def __init__(self, store: Store, search: Search, note: str | None = None, session=None) -> None:
        super().__init__()
        from sclerotui.session import History

        self.history = History()  # the records visited, for [ and ]
        self._session = session  # where the user was last time: restored after the first frame
        self.session_note: str | None = None  # the status line says what was restored
        self._words: dict | None = None  # typed words the search box can read as filters
        self._reading = None  # the reading offered under the search box (suggest.Reading)
        self._undo: tuple[str, str] | None = None  # (applied text, the text before it)
        self.last_citation: str | None = None
        self.filters_aside: Criteria | None = None  # cleared by a jump; `r` restores them
        self.synthetic = False
        self.marked: list[str] = []
        self.store = store
        self.search = search  # owns the search connection and what it keeps between keys
        self.note = note
        self.therapy_id: str | None = None
        self.item: tuple[str, str] | None = None
        self.follows_pending = 0  # detail updates waiting for the list's frame to go out
        self.therapy_names: dict[str, str] = {}
        self.search_text = ""
        self.search_shown: str | None = None  # the text whose results are on screen
        self._sizes: dict[str, int] | None = None  # each therapy's unfiltered evidence
        self._readers: dict[str, Store] = {}  # see reader()
        self._evidence_shown: tuple | None = None  # (therapy, filters) the list holds
        self._results: SearchResults | None = None  # mounted by the first search
        self._status_count: int | None = None  # the therapies the status line counts
        self._change_marker: tuple[int, int] | None = None  # the database as last shown

    def compose(self) -> ComposeResult:
        # Before the panes mount, so they are styled once for the width they start at.
        self._apply_width(self.app.size.width)
        yield Header(show_clock=False, icon="≡")
        yield SearchInput(
            placeholder='/ search: words, "phrases", -exclude, organ:lung response:resistant',
            id="search",
            compact=True,
        )
        reading = Static(id="reading")
        reading.display = False  # shown while the search box offers a reading of its words
        yield reading
        yield Static(id="status")
        with Horizontal(id="body"):
            yield TherapyList(id="therapies")
            with Vertical(id="middle"):
                with ContentSwitcher(initial="evidence", id="top"):
                    yield EvidenceList(id="evidence")  # and the search results (results_list)
                yield DetailView(id="detail")
            yield TimelinePane(id="timeline")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.therapy_list.border_title = "Therapies"
        self.evidence_list.border_title = "Evidence"
        self.detail_view.border_title = "Detail"
        self.timeline_pane.border_title = "Outcome timeline"
        self.therapy_names = {
            row.therapy.id: row.therapy.name for row in lists.therapies(self.store)
        }
        self.synthetic = self.store.meta("kind") == "synthetic"
        self._change_marker = self.store.change_marker()
        self.reload()
        self._show_first_record()
        self.therapy_list.focus()
        if self._session is not None:
            # After the first frame: a record on screen loads the models (slow to import).
            self.call_after_refresh(self.restore_session)
        self.set_interval(CHANGE_CHECK_SECONDS, self.check_for_changes)

    def _show_first_record(self) -> None:
        """The first therapy's evidence and its first record, drawn in the first frame. (By
        messages, each step waited for a frame of its own: the record came three frames
        after the panes.) The messages still come, and find it all on show already."""
        therapy_id = self.therapy_list.therapy_id
        if therapy_id is None or self.criteria:
            return
        self.therapy_id = therapy_id
        self._load_evidence(therapy_id, wait=True)
        item = self.evidence_list.item
        if item is None:
            return
        try:
            self.show_item(*item, first=True)
        except Exception:  # noqa: BLE001 (a record the models would refuse too)
            # plain.py takes the stored JSON on trust; the models say what is wrong with it
            # (or show it), as they do for any other record.
            self.show_item(*item)
        self._visit(item, browsing=True)

    def check_for_changes(self) -> None:
        """When another program (an import) has written to the database, count the therapies
        again and list the selected one's evidence afresh; search reads the database as it is."""
        marker = self.store.change_marker()
        if marker is None or marker == self._change_marker:
            return
        self._change_marker = marker
        self._sizes = None
        self.therapy_names = {
            row.therapy.id: row.therapy.name for row in lists.therapies(self.store)
        }
        self._evidence_shown = None  # the refilled therapy list then reloads the evidence
        self.reload()

    def reader(self, work: str) -> Store:
        """A read-only connection for one kind of background work, opened when first asked
        for (on the UI thread). A search interrupts its own connection when a key comes; on a
        shared one that stopped a count, and at 1M cases the app then said the database could
        not be used. Kept apart, a filter's slow therapy count also no longer holds back a
        search or a therapy's evidence."""
        if work not in self._readers:
            self._readers[work] = Store(self.store.path, read_only=True, check=False)
        return self._readers[work]

    def _stop(self, work: str) -> None:
        """Cancel the workers doing this work (their group has its name), then stop the
        query one may still run on its connection (a count for filters since changed): the
        query ends as interrupted, and the worker, cancelled first, drops it."""
        self.workers.cancel_group(self, work)
        if work in self._readers:
            self._readers[work].interrupt()

    def on_unmount(self) -> None:
        # The screen's workers are cancelled by now; one may still be in a query.
        for store in self._readers.values():
            store.stop_and_close()

    def on_resize(self, event) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        narrow = width < NARROW_WIDTH
        if narrow != self.has_class("narrow"):
            self.set_class(narrow, "narrow")
            if self.is_mounted:
                self._update_status(self._status_count)  # the banner's length follows

    # -- state ---------------------------------------------------------------------------

    def watch_criteria(self) -> None:
        if self.filters_aside is not None and self.criteria:
            self.filters_aside = None  # the user chose other filters: nothing to restore
            self.refresh_bindings()
        self.reload()
        if self.search_text:
            self._run_search(self.search_text)

    def reload(self) -> None:
        """Refresh the therapy list for the filters; the cursor stays where it can.

        Without filters the counts are one read of a summary table; with filters they are
        counted over the evidence, which can take a while on a big database: a worker does it.
        """
        narrowing = self.criteria.with_values("class", frozenset()).with_values("kind", frozenset())
        if narrowing:
            # The filters show at once; the therapy count follows with the list (seconds at
            # 1M cases, when the status said "no filters" meanwhile).
            self._update_status()
            self._stop("therapies")
            self.count_worker(self.reader("therapies"), self.criteria)
            if self.therapy_id is not None:
                # The evidence on show must match the filters now, not once the therapies are
                # counted (a long while on a big database).
                self._load_evidence(self.therapy_id, wait=False)
        else:
            self._show_therapies(lists.therapies(self.store, self.criteria), self.criteria)

    @work(exclusive=True, thread=True, group="therapies")
    def count_worker(self, store: Store, criteria: Criteria) -> None:
        with store.lock:
            rows = unless_cancelled(lists.therapies, store, criteria)
        if rows is not None:
            self.app.call_from_thread(self._show_therapies, rows, criteria)

    def _show_therapies(self, rows: list, criteria: Criteria) -> None:
        if criteria != self.criteria:
            return  # the filters changed again while this was counted
        therapy_list = self.therapy_list
        therapy_list.show(rows, keep=self.therapy_id)
        if not rows:
            self.therapy_id = None
            self.evidence_list.show([], "No therapy has evidence matching the filters")
            self.detail_view.show(None, "Nothing matches the filters")
            self._show_timeline(None)
        self._update_status(len(rows))

    def _update_status(self, therapy_count: int | None = None) -> None:
        self._status_count = therapy_count
        parts: list = []
        for name, values in self.criteria.items():
            parts += [(f" {name}: {', '.join(sorted(values))} ", "reverse $text-accent"), " "]
        if not parts and self.filters_aside is not None:
            parts.append(("filters set aside to show a record: r restores them", "$text-warning"))
        elif not parts:
            parts.append(("no filters (f to filter)", "dim"))
        else:
            parts.append(("x clears", "dim"))
        if therapy_count is not None:
            noun = "therapy" if therapy_count == 1 else "therapies"
            parts.append((f" · {therapy_count} {noun}", "dim"))
        if self.synthetic:
            # At 80 columns the long banner left no room for the filters and the count.
            banner = " SYNTHETIC DATA: generated records, not patients "
            if self.has_class("narrow"):
                banner = " SYNTHETIC DATA "
            parts.insert(0, (banner, "reverse $text-error"))
            parts.insert(1, " ")
        if self.store.read_only:
            # At 80 columns the reason ran off the line; the header says read-only as well.
            why = "" if self.has_class("narrow") else f": {self.store.read_only_reason}"
            parts.append((f" · READ-ONLY{why}", "$text-warning"))
        if self.note:
            parts.append((f" · {one_line(self.note)}", "dim"))
        if self.session_note:
            # At 80 columns the long form ran off the line.
            note = "restored (n: fresh)" if self.has_class("narrow") else self.session_note
            parts.append((f" · {note}", "$text-success"))
        self.status_line.update(Content.assemble(*parts))

    def on_therapy_list_therapy_highlighted(self, message: TherapyList.TherapyHighlighted) -> None:
        if message.therapy_id != self.therapy_list.therapy_id:
            return  # stale: the cursor has moved on since this was posted
        shown = (message.therapy_id, self.criteria) == self._evidence_shown
        if shown and message.therapy_id == self.therapy_id:
            return  # a refill of the therapy list that kept the cursor: already listed
        if message.therapy_id != self.therapy_id:
            # Another therapy: its list starts at the top. (Filters and jumps keep the item:
            # they set therapy_id first.) Finding the old item in a long list is slow too.
            self.item = None
        self.therapy_id = message.therapy_id
        self._load_evidence(message.therapy_id, wait=False)

    def _load_evidence(self, therapy_id: str, wait: bool) -> None:
        """Fill the evidence list for the therapy; a big one under filters is counted by a
        worker, unless the caller must `wait`."""
        criteria, item = self.criteria, self.item
        if not wait and criteria and self._therapy_size(therapy_id) > BIG_THERAPY:
            evidence = self.evidence_list
            evidence.border_title = self._evidence_title(therapy_id, "counting…")
            evidence.show([], "Counting the trials and cases that match the filters…")
            self._stop("evidence")
            self.evidence_worker(self.reader("evidence"), therapy_id, criteria, item)
            return
        window = evidence_window(self.store, therapy_id, criteria, item)
        self._show_evidence(therapy_id, criteria, item, *window)

    def _evidence_title(self, therapy_id: str, count: str) -> Content:
        name = one_line(self.therapy_names.get(therapy_id, therapy_id))
        return Content(f"Evidence — {name} ({count})")

    def _therapy_size(self, therapy_id: str) -> int:
        """The therapy's trials and cases without filters: what counting them under filters
        reads, however few match."""
        if self._sizes is None:  # one read of the summary table
            rows = lists.therapies(self.store)
            self._sizes = {row.therapy.id: row.trials + row.cases for row in rows}
        return self._sizes.get(therapy_id, 0)

    @work(exclusive=True, thread=True, group="evidence")
    def evidence_worker(
        self, store: Store, therapy_id: str, criteria: Criteria, item: tuple | None
    ) -> None:
        with store.lock:
            window = unless_cancelled(evidence_window, store, therapy_id, criteria, item)
        if window is not None:
            self.app.call_from_thread(self._show_evidence, therapy_id, criteria, item, *window)

    def _show_evidence(
        self,
        therapy_id: str,
        criteria: Criteria,
        item: tuple | None,
        total: int,
        offset: int,
        items: list,
    ) -> None:
        if (therapy_id, criteria, item) != (self.therapy_id, self.criteria, self.item):
            return  # stale: counted for a therapy, filters or item since left
        self._evidence_shown = (therapy_id, criteria)
        evidence = self.evidence_list
        evidence.border_title = self._evidence_title(therapy_id, f"{total:,}")
        keep = f"{item[0]}:{item[1]}" if item else None
        evidence.show(
            items,
            "No trials or cases for this therapy with the current filters",
            keep=keep,
            offset=offset,
            total=total,
        )
        if not items:
            self._show_therapy(therapy_id)

    def on_evidence_list_window_wanted(self, message: EvidenceList.WindowWanted) -> None:
        evidence = self.evidence_list
        if self.therapy_id is None or not evidence.total:
            return
        position = min(max(0, message.position), evidence.total - 1)
        offset = window_start(position, evidence.total)
        items = lists.evidence(
            self.store, self.therapy_id, self.criteria, WINDOW, offset, evidence.total
        )
        if items:
            evidence.show_window(items, offset, position)

    def on_therapy_list_therapy_chosen(self, message: TherapyList.TherapyChosen) -> None:
        self.evidence_list.focus()

    def on_evidence_list_item_highlighted(self, message: EvidenceList.ItemHighlighted) -> None:
        # The list's own frame goes out first; the detail and timeline follow after it, so a
        # held key is never slowed by the detail's layout.
        self.follows_pending += 1
        self.call_after_refresh(self._follow_item, message.kind, message.record_id)

    def _follow_item(self, kind: str, record_id: str) -> None:
        self.follows_pending -= 1
        if (kind, record_id) != self.evidence_list.item:
            return  # stale: the cursor has moved on, or the list was refilled
        shown = self.detail_view.current
        if shown is not None and (shown.kind, shown.record.id) == (kind, record_id):
            return  # already on show (a refill that kept the cursor on it)
        self.show_item(kind, record_id)
        self._visit((kind, record_id), browsing=True)

    def on_evidence_list_item_chosen(self, message: EvidenceList.ItemChosen) -> None:
        self.show_item(message.kind, message.record_id)
        self._visit((message.kind, message.record_id))
        self.detail_view.focus()

    def show_item(self, kind: str, record_id: str, first: bool = False) -> None:
        """The record in the detail and its timeline. The `first` one, drawn in the first
        frame, is read without pydantic (plain.py); its timeline follows after that frame."""
        if first:
            from sclerotui import plain

            record = plain.record(self.store, kind, record_id)
        else:
            try:
                record = self.store.record(kind, record_id)
            except RecordDamaged as error:  # one damaged record: say so, the rest still works
                self.item = (kind, record_id)
                self.detail_view.show(None, empty=one_line(str(error)))
                self._show_timeline(None)
                return
        if record is None:
            return
        self.item = (kind, record_id)
        ids = [*record.sources]
        if kind == "trial":
            ids += [f.source for f in record.findings]
        view = RecordView(
            kind,
            record,
            plain.sources(self.store, ids) if first else self.store.sources(ids),
            self.therapy_names,
            self.store.origin_of(kind, record_id),
        )
        self._add_notes(view)
        self.detail_view.show(view)
        if first:
            self.call_after_refresh(self._timeline_after_first_frame, view)
        else:
            self._show_timeline(view)

    def _timeline_after_first_frame(self, view: RecordView) -> None:
        # Not if a key replaced the record meanwhile, nor once the app is closing (a quit
        # as it starts: the pane can no longer mount its parts).
        if self.detail_view.current is view and self.timeline_pane.is_attached:
            self._show_timeline(view)
        self.app.freeze_start_up()

    def _show_therapy(self, therapy_id: str) -> None:
        therapy = self.store.therapy(therapy_id)
        if therapy is None:
            return
        self.item = None
        view = RecordView("therapy", therapy, self.store.sources(therapy.sources))
        view.counts = lists.evidence_counts(self.store, therapy_id, self.criteria)
        self._add_notes(view)
        self.detail_view.show(view)
        self._show_timeline(None)

    def _show_timeline(self, view: RecordView | None) -> None:
        pane = self.timeline_pane
        if view is None or view.kind == "therapy":
            pane.show([], {}, self.therapy_names, "Select a trial or case to see its timeline")
            return
        events = self.store.events(view.kind, view.record.id)
        arm_names = {arm.id: arm.name for arm in getattr(view.record, "arms", [])}
        pane.show(events, arm_names, self.therapy_names, "No timeline events recorded")

    def on_timeline_events_event_chosen(self, message: TimelineEvents.EventChosen) -> None:
        detail = self.detail_view
        section = SECTION_FOR_KIND.get(message.event.kind.value, "header")
        for candidate in (section, "arms" if section == "sequence" else "sequence", "header"):
            if detail.scroll_to_section(candidate):
                break

    # -- search --------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "search":
            return
        self._read_words(event.value)
        self.search_text = event.value
        if not event.value.strip():
            self.workers.cancel_group(self, "search")
            self.switcher.current = "evidence"
            self._restore_record()
            return
        # No pause for typing to stop: the query runs in a thread, and the next keystroke
        # interrupts it, so results follow the text as it is typed.
        self._run_search(event.value)

    def on_paste(self, event: events.Paste) -> None:
        # A paste outside the search box (the box takes its own) is text to search for,
        # never keys to run.
        event.stop()
        search = self.search_box
        self.set_focus(search)
        search.insert_text_at_cursor(event.text)

    def on_search_input_down(self) -> None:
        # Down from the search box walks into the results; a second Down typed before the
        # focus moved goes on down them. (Focus moves at once: keys after it go to the list.)
        results = self.results_list()
        self._show_results()  # (typed before the first results came)
        if self.focused is results:  # (has_focus changes only when the list hears of it)
            results.action_cursor_down()
        else:
            self.set_focus(results)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search" and self.search_text.strip():
            self._show_results()
            self.results_list().focus()

    def results_list(self) -> SearchResults:
        """The search results, mounted beside the evidence list when first needed: the first
        frame has none to show, and every widget takes time to style, lay out and draw."""
        if self._results is None:
            self._results = SearchResults(id="results")
            self._results.display = False  # until the switcher shows it
            self.switcher.mount(self._results)
        return self._results

    def _run_search(self, text: str) -> None:
        # The results pane is shown with the results (_show_results), not now: switching
        # panes lays out the screen, a frame that took 50 ms under load, and drawn now it
        # took the UI thread from the search of the first key of each query.
        self.results_list().stop_adding()
        # Stop a query still running for older text; its cancelled worker reports nothing.
        self.workers.cancel_group(self, "search")
        self.search.interrupt()
        self.search_worker(text, self.criteria)

    @work(exclusive=True, thread=True, group="search")
    def search_worker(self, text: str, criteria: Criteria) -> None:
        """Runs off the UI thread; a newer keystroke cancels this one's result."""
        worker = get_current_worker()
        try:
            hits = unless_cancelled(self.search.hits, text, criteria, SEARCH_LIMIT)
        except SearchError as error:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._show_search_error, text, str(error))
            return
        if hits is not None:
            self.app.call_from_thread(self._show_hits, text, hits)

    def _show_results(self) -> bool:
        """The results pane on show; False once the search box was cleared (a search that
        ended as it was, its worker past the check for cancellation, shows nothing)."""
        if not self.search_text.strip():
            return False
        self.switcher.current = "results"
        return True

    def _show_hits(self, text: str, hits: list[Hit]) -> None:
        if not self._show_results():
            return
        self.search_shown = text
        results = self.results_list()
        filters = self.criteria.describe()
        if hits:
            more = "+" if len(hits) == SEARCH_LIMIT else ""
            noun = "result" if len(hits) == 1 else "results"
            results.show_hits(hits, f"{len(hits)}{more} {noun} for {text}")
        else:
            on = f" with filters {filters}" if filters else " (no filters on)"
            hint = "Try fewer words, a prefix, or x to clear filters."
            if self._reading is not None and text == self.search_text:
                hint = "Tab searches them as the filters read above."
            results.show_message(f"No results for “{text}”{on}. {hint}", "Search: no results")
            self._clear_record("No result to show: escape goes back to the evidence")

    def _show_search_error(self, text: str, message: str) -> None:
        if not self._show_results():
            return
        self.search_shown = text
        self.results_list().show_message(message, "Search: cannot search", error=True)
        self._clear_record("No result to show: escape goes back to the evidence")

    def _clear_record(self, why: str) -> None:
        """No record beside results that have none (the last one read as if it were a hit)."""
        self.detail_view.show(None, why)
        self._show_timeline(None)

    def _restore_record(self) -> None:
        """Back from a search that cleared the detail: the evidence cursor's record again."""
        if self.detail_view.current is not None:
            return
        item = self.evidence_list.item
        if item is not None:
            self.show_item(*item)
        elif self.therapy_id is not None:
            self._show_therapy(self.therapy_id)

    def on_search_results_hit_chosen(self, message: SearchResults.HitChosen) -> None:
        self.jump_to(message.hit.kind, message.hit.id, message.hit.therapy)

    def jump_to(self, kind: str, record_id: str, therapy_id: str | None = None) -> None:
        """Select a record in its context: its therapy in the list, itself in the detail.

        Filters that would hide it are cleared, so a jump always lands.
        """
        if kind == "therapy":
            therapy_id = record_id
        elif therapy_id is None:
            therapy_id = self.store.context_therapy(kind, record_id)
        if therapy_id is None:
            return
        self.switcher.current = "evidence"
        self.item = None if kind == "therapy" else (kind, record_id)
        self.therapy_id = therapy_id
        therapy_list = self.therapy_list
        # The list is loaded here, once: the cursor move must not load it again later.
        with therapy_list.prevent(OptionList.OptionHighlighted):
            hidden = not therapy_list.select_therapy(therapy_id) or (
                self.item is not None
                and not lists.evidence_has(self.store, therapy_id, self.criteria, *self.item)
            )
            if hidden and self.criteria:
                self._set_filters_aside(kind)
                therapy_list.select_therapy(therapy_id)
        # A therapy goes in the detail itself: the list's first item must not replace it.
        evidence = self.evidence_list
        quiet = evidence.prevent(EvidenceList.ItemHighlighted)
        with quiet if kind == "therapy" else nullcontext():
            self._load_evidence(therapy_id, wait=True)
        if kind == "therapy":
            self._show_therapy(therapy_id)
            therapy_list.focus()
        else:
            self.detail_view.focus()
        self._visit((kind, record_id))

    # -- actions -------------------------------------------------------------------------

    def footer_order(self) -> list[str]:
        """The actions that matter most where the focus is, for the footer."""
        if self.maximized is not None:
            return ["zoom", "back"]
        focused = self.focused
        while focused is not None and focused.id not in self.FOOTER_ORDER:
            focused = focused.parent if isinstance(focused.parent, Widget) else None
        return ["restore_filters", *(self.FOOTER_ORDER[focused.id] if focused else [])]

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "focus_search" and self.focused is self.search_box:
            return False  # in the box a slash is text: it goes in, behind the keys before it
        if action == "restore_filters":
            return self.filters_aside is not None
        return True

    def action_focus_search(self) -> None:
        search = self.search_box
        self.set_focus(search)  # at once, not after the keys already queued
        if search.value.strip():
            self.results_list()
            self.switcher.current = "results"

    def action_back(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        search = self.search_box
        if search.value or self.switcher.current == "results":
            search.value = ""
            self.search_text = ""
            self.switcher.current = "evidence"
            self.therapy_list.focus()
        elif search.has_focus:
            self.therapy_list.focus()

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            target = self.focused
            if isinstance(target, TimelineEvents):
                target = self.timeline_pane
            self.maximize(target, container=False)

    def action_filters(self) -> None:
        from sclerotui.screens.filters import FilterScreen

        def apply(criteria: Criteria | None) -> None:
            if criteria is not None:
                self.criteria = criteria

        self.app.push_screen(FilterScreen(self.criteria, self.app.vocabularies), apply)

    def action_clear_filters(self) -> None:
        if self.criteria:
            self.criteria = NO_CRITERIA

    def _set_filters_aside(self, kind: str) -> None:
        """A jump to a record the filters hide clears them, saying so, and `r` brings them
        back (from the pathways, a trial of a following therapy cleared them unsaid)."""
        self.filters_aside = self.criteria
        self.criteria = NO_CRITERIA  # reloads, keeping self.therapy_id and self.item
        self.notify(
            f"Filters cleared to show this {kind} (it does not match "
            f"{self.filters_aside.describe()}); r restores them",
            title="Filters set aside",
            timeout=8,
            markup=False,
        )
        self.refresh_bindings()

    def action_restore_filters(self) -> None:
        if self.filters_aside is not None:
            self.criteria, self.filters_aside = self.filters_aside, None
            self.refresh_bindings()

    def _on_screen(self) -> tuple[str, str] | None:
        """The record the user is looking at: the selected item, else the therapy."""
        if self.item is not None:
            return self.item
        return ("therapy", self.therapy_id) if self.therapy_id else None

    def action_export(self) -> None:
        from sclerotui.export import record_markdown
        from sclerotui.screens.export import export_markdown

        target = self._on_screen()
        if target is None:
            self.notify("Nothing selected to export", severity="warning")
            return
        kind, record_id = target
        export_markdown(
            self.app,
            f"{kind} {record_id}",
            f"sclerotui-{kind}-{record_id}.md",
            lambda: record_markdown(self.store, kind, record_id),
        )

    def action_copy_citation(self) -> None:
        from sclerotui.citation import record_citation

        target = self._on_screen()
        record = self.store.record(*target) if target else None
        if record is None:
            self.notify("Nothing selected to cite", severity="warning")
            return
        ids = [*record.sources, *(f.source for f in getattr(record, "findings", []))]
        title = getattr(record, "name", None) or record.title
        text = record_citation(title, self.store.sources(ids))
        self.app.copy_to_clipboard(text)
        self.last_citation = text
        self.notify(text, title="Citation copied (terminal clipboard)", timeout=6, markup=False)

    def action_pathways(self) -> None:
        from sclerotui.screens.pathways import PathwaysScreen

        therapy_id = self._cursor_therapy()
        if therapy_id is None:
            self.notify("Select a therapy first", severity="warning")
            return
        # Pathways are aggregated in a worker thread, on a connection of their own.
        self.app.push_screen(
            PathwaysScreen(self.reader("pathways"), therapy_id, self.criteria, self.therapy_names)
        )

    def action_forest(self) -> None:
        """The forest plot of the trial on screen's outcomes, else the selected therapy's."""
        from sclerotui.evidence import outcomes

        therapy_id = self._cursor_therapy()
        choices, context = [], ""
        if self.item is not None and self.item[0] == "trial":
            choices = outcomes(self.store, trial=self.item[1])
            trial = self.store.record("trial", self.item[1])
            context = trial.acronym or trial.name if trial is not None else ""
        if not choices and therapy_id is not None:
            choices = outcomes(self.store, therapy=therapy_id)
            context = self.therapy_names.get(therapy_id, therapy_id)
        self.open_forest(choices, context)

    def open_forest(self, choices: list, context: str) -> None:
        from sclerotui.screens.forest import ForestScreen

        if not choices:
            self.notify(
                f"No trial effect given as numbers for {context or 'this selection'}",
                severity="warning",
                markup=False,
            )
            return
        self.app.push_screen(ForestScreen(self.store, choices, 0, self.criteria, context))

    def action_summary(self) -> None:
        from sclerotui.evidence import summary
        from sclerotui.screens.summary import SummaryScreen

        therapy_id = self._cursor_therapy()
        if therapy_id is None:
            self.notify("Select a therapy first", severity="warning")
            return
        rows, left_out = summary(self.store, therapy_id)
        name = self.therapy_names.get(therapy_id, therapy_id)
        self.app.push_screen(SummaryScreen(self.store, name, rows, left_out))

    def _add_notes(self, view: RecordView) -> None:
        """The user's notes on the record, or why this database keeps none."""
        from sclerotui.notes import notes_for, unavailable_reason

        view.notes = notes_for(self.store, view.kind, view.record.id)
        view.notes_reason = unavailable_reason(self.store)

    def action_lens(self) -> None:
        """Patients like mine: the lens over a patient profile (kept in memory)."""
        from sclerotui.screens.lens import LensScreen

        self.app.push_screen(
            LensScreen(self.store, self.reader("lens"), self.therapy_names, self.app.lens_profile)
        )

    def _note_target(self) -> tuple[str, str] | None:
        from sclerotui.notes import unavailable_reason

        target = self._on_screen()
        if target is None:
            self.notify("Select a record first", severity="warning")
            return None
        reason = unavailable_reason(self.store)
        if reason:
            self.notify(reason[0].upper() + reason[1:], severity="warning", markup=False)
            return None
        return target

    def action_bookmark(self) -> None:
        from sclerotui.notes import toggle_bookmark

        target = self._note_target()
        if target is None:
            return
        marked = toggle_bookmark(self.store, *target)
        self.notify("Bookmarked (search note:* lists them)" if marked else "Bookmark removed")
        self._refresh_detail()

    def action_note(self) -> None:
        from sclerotui.notes import finding_keys
        from sclerotui.screens.notes import NoteScreen

        target = self._note_target()
        if target is None:
            return
        record = self.store.record(*target)
        if record is None:
            return
        findings = finding_keys(record) if target[0] == "trial" else []
        title = getattr(record, "name", None) or getattr(record, "title", "")

        def done(saved: tuple[str, str | None] | None) -> None:
            from sclerotui.notes import NotesUnavailable, add_note

            if saved is None:
                return
            try:
                add_note(self.store, *target, saved[0], finding=saved[1])
            except (NotesUnavailable, ValueError) as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.notify("Note kept (search note: finds it)", timeout=3)
            self._refresh_detail()

        self.app.push_screen(NoteScreen(target[0], title, findings), done)

    def _refresh_detail(self) -> None:
        if self.item is not None:
            self.show_item(*self.item)
        elif self.therapy_id is not None:
            self._show_therapy(self.therapy_id)

    def _cursor_therapy(self) -> str | None:
        """The therapy under the list's cursor. (self.therapy_id follows the cursor a message
        later: "Down m" or "Down p" typed ahead acted on the therapy the cursor had left.)"""
        return self.therapy_list.therapy_id or self.therapy_id

    def action_mark(self) -> None:
        from sclerotui.compare import MAX_COMPARED

        therapy_id = self._cursor_therapy()
        if therapy_id is None:
            return
        if therapy_id in self.marked:
            self.marked.remove(therapy_id)
        elif len(self.marked) >= MAX_COMPARED:
            self.notify(
                f"At most {MAX_COMPARED} therapies can be compared; m on a marked one unmarks it",
                severity="warning",
            )
            return
        else:
            self.marked.append(therapy_id)
        self.therapy_list.show_marks(list(self.marked))
        names = ", ".join(one_line(self.therapy_names.get(t, t)) for t in self.marked) or "none"
        self.notify(
            f"Marked: {names}" + ("  (c compares)" if len(self.marked) >= 2 else ""),
            timeout=3,
            markup=False,
        )

    def action_compare(self) -> None:
        if len(self.marked) < 2:
            self.notify("Mark two to four therapies with m, then press c", severity="warning")
            return
        self.notify("Comparing the marked therapies…", timeout=2)
        self.compare_worker(self.reader("compare"), list(self.marked))

    @work(exclusive=True, thread=True, group="compare")
    def compare_worker(self, store: Store, marked: list[str]) -> None:
        """Off the UI thread: with a million cases, gathering a comparison takes seconds."""
        from sclerotui.compare import gather

        with store.lock:
            columns = unless_cancelled(gather, store, marked)
        if columns is not None:
            self.app.call_from_thread(self._show_comparison, columns)

    def _show_comparison(self, columns: list) -> None:
        from sclerotui.screens.compare import ComparisonScreen

        if self.app.screen is self:  # not if the user went elsewhere meanwhile
            self.app.clear_notifications()  # "Comparing…" and the marks are done with
            self.app.push_screen(ComparisonScreen(columns))

    # -- where the user was ----------------------------------------------------------------

    def _visit(self, entry: tuple[str, str], browsing: bool = False) -> None:
        """A record went on screen: into the history (a cursor passing over records keeps
        one entry, the last). Once the user goes elsewhere, the restored-session note goes
        (not when a list refilled by the restored filters moves its own cursor)."""
        if not browsing and entry != self.history.current:
            self._moved_on()
        self.history.visit(entry, browsing)

    def _moved_on(self) -> None:
        if self.session_note:
            self.session_note = None
            self._update_status(self._status_count)

    def action_history_back(self) -> None:
        self._go(self.history.back(), "No earlier record in this session's history")

    def action_history_forward(self) -> None:
        self._go(self.history.forward(), "No later record in the history")

    def _go(self, entry: tuple[str, str] | None, otherwise: str) -> None:
        if entry is None:
            self.notify(otherwise, timeout=2)
            return
        if not self._exists(entry):
            self.notify("That record is no longer in the database", severity="warning")
            return
        self._moved_on()
        self.jump_to(*entry)

    def _exists(self, entry: tuple[str, str]) -> bool:
        kind, record_id = entry
        if kind == "therapy":
            return record_id in self.therapy_names
        return self.store.origin_of(kind, record_id) is not None

    def restore_session(self) -> None:
        """Back where the user was: filters, marks, the record on screen, its history and
        the query. Ids the database no longer has are dropped without a word."""
        from sclerotui.compare import MAX_COMPARED
        from sclerotui.session import History

        session, self._session = self._session, None
        if session is None or session.is_empty:
            return
        criteria = session.criteria()
        if criteria:
            self.criteria = criteria
        self.marked = [t for t in dict.fromkeys(session.marked) if t in self.therapy_names]
        self.marked = self.marked[:MAX_COMPARED]
        if self.marked:
            self.therapy_list.show_marks(list(self.marked))
        history = History(session.history, session.history_index)
        history.keep_only(self._exists)
        self.history = history
        record = session.record if session.record and self._exists(session.record) else None
        therapy = session.therapy if session.therapy in self.therapy_names else None
        if record is not None:
            kind, record_id = record
            listed = therapy is not None and (
                kind == "therapy"
                or lists.evidence_has(self.store, therapy, NO_CRITERIA, kind, record_id)
            )
            self.jump_to(kind, record_id, therapy if listed and kind != "therapy" else None)
        elif therapy is not None:
            self.jump_to("therapy", therapy)
        if session.query.strip():
            self.search_box.value = session.query
        self.session_note = "restored where you were (n starts fresh)"
        self._update_status(self._status_count)

    def session_state(self):
        """Where the user is, for the next start (see session.py for what it may hold)."""
        from sclerotui.query import MAX_QUERY_CHARS
        from sclerotui.session import Session, filters_of

        if self._session is not None:
            return self._session  # not restored yet: keep it for next time
        query = self.search_text if len(self.search_text) <= MAX_QUERY_CHARS else ""
        return Session(
            query=query if query.strip() else "",
            filters=filters_of(self.criteria),
            marked=list(self.marked),
            therapy=self.therapy_id,
            record=self._on_screen(),
            history=list(self.history.entries),
            history_index=self.history.index,
        )

    def action_start_fresh(self) -> None:
        """Forget the restored session: no query, filters, marks or history."""
        from sclerotui.session import History

        self._session = None
        self.session_note = None
        self.history = History()
        self.marked = []
        self.therapy_list.show_marks([])
        self.search_box.value = ""
        self.search_text = ""
        self.switcher.current = "evidence"
        self.item = None
        self.therapy_id = None
        if self.criteria:
            self.criteria = NO_CRITERIA  # reloads
        else:
            self.reload()
        self.therapy_list.focus()
        self.notify("Started fresh", timeout=2)

    # -- words read as filters -------------------------------------------------------------

    def _read_words(self, text: str) -> None:
        """Offer a reading of the typed words as filters, or (after one was applied) the
        way back to the words."""
        from sclerotui.suggest import read_as, vocabulary

        line = self.reading_line
        if self._undo is not None and text == self._undo[0]:
            self._reading = None
            line.update(
                Content.assemble(
                    ("searching with filters · ctrl+z: back to ", "dim"),
                    (one_line(self._undo[1]), "bold"),
                )
            )
            line.display = True
            return
        self._undo = None
        if self._words is None and text.strip():
            self._words = vocabulary(self.store.therapy_words(), self.app.vocabularies)
        self._reading = read_as(text, self._words) if text.strip() else None
        if self._reading is None:
            line.display = False
            return
        line.update(
            Content.assemble(
                ("read as ", "dim"),
                (one_line(self._reading.text), "bold $text-accent"),
                (" — tab applies", "dim"),
            )
        )
        line.display = True

    def key_tab(self, event) -> None:
        """tab in the search box applies the reading offered (elsewhere: the next pane)."""
        search = self.search_box
        if self._reading is None or self.focused is not search:
            return
        event.stop()
        event.prevent_default()
        self._undo = (self._reading.text, search.value)
        search.value = self._reading.text
        search.cursor_position = len(search.value)

    def key_ctrl_z(self, event) -> None:
        search = self.search_box
        if self._undo is None or self.focused is not search:
            return
        event.stop()
        original = self._undo[1]
        self._undo = None
        search.value = original
        search.cursor_position = len(original)
