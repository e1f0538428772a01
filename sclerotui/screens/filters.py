"""The filter screen: a group of values for each facet that sclerotui.facets puts in it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from sclerotui.facets import Criteria, dialog_facets
from sclerotui.screens import screen_css

# Below this many columns three facets side by side leave no room for the labels (at 40
# only the check boxes showed): the facets stack, one per row, and the grid scrolls.
NARROW_WIDTH = 60
MEDIUM_WIDTH = 100  # below it, two facets a row


class FilterScreen(ModalScreen[Criteria | None]):
    """Space toggles a value; escape or enter applies; x clears everything."""

    DEFAULT_CSS = screen_css("filters.tcss")

    BINDINGS = [
        Binding("escape", "apply", "Apply"),
        Binding("ctrl+s", "apply", "Apply", show=False),
        Binding("x", "clear", "Clear all"),
        Binding("q", "cancel", "Cancel"),
    ]

    def __init__(self, criteria: Criteria, vocabularies: dict) -> None:
        super().__init__()
        self.criteria = criteria
        self.vocabularies = vocabularies

    def compose(self) -> ComposeResult:
        with Vertical(id="filter-dialog"):
            yield Label(
                "Filters — space toggles · tab next group · escape applies · x clears · q cancels",
                id="filter-help",
            )
            with Grid(id="filter-grid"):
                for facet in dialog_facets():
                    chosen = self.criteria.get(facet.name)
                    selections = [
                        Selection(entry["label"], entry["id"], entry["id"] in chosen)
                        for entry in self.vocabularies.get(facet.vocabulary, [])
                    ]
                    widget = SelectionList[str](*selections, id=f"facet-{facet.name}")
                    widget.border_title = facet.label
                    yield widget
            yield Static(id="filter-current")

    def on_mount(self) -> None:
        self._fit(self.app.size.width)

    def on_resize(self, event) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        self.set_class(width < NARROW_WIDTH, "narrow")
        self.set_class(NARROW_WIDTH <= width < MEDIUM_WIDTH, "medium")

    def on_selection_list_selection_highlighted(
        self, event: SelectionList.SelectionHighlighted
    ) -> None:
        """The whole label of the value under the cursor, however narrow its column."""
        self._show_current(event.selection_list)

    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, SelectionList):
            self._show_current(event.widget)

    def _show_current(self, facet: SelectionList) -> None:
        current = self.query_one("#filter-current", Static)
        if facet.highlighted is None:
            current.update("")
            return
        label = facet.get_option_at_index(facet.highlighted).prompt
        title = str(facet.border_title or "")
        current.update(Content.assemble((f"{title}: ", "bold"), Content(str(label))))

    def _chosen(self) -> Criteria:
        criteria = self.criteria
        for facet in dialog_facets():
            values = self.query_one(f"#facet-{facet.name}", SelectionList).selected
            criteria = criteria.with_values(facet.name, frozenset(values))
        return criteria

    def action_apply(self) -> None:
        self.dismiss(self._chosen())

    def action_clear(self) -> None:
        for widget in self.query(SelectionList):
            widget.deselect_all()

    def action_cancel(self) -> None:
        self.dismiss(None)
