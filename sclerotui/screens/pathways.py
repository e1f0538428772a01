"""The pathways screen: what followed a therapy when it failed, as a tree, with its evidence."""

from __future__ import annotations

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Header, OptionList, Static, Tree
from textual.widgets.option_list import Option

from sclerotui.facets import NO_CRITERIA, Criteria
from sclerotui.pathways import (
    PathNode,
    cases_at,
    pathway_tree,
    regimen_label,
    related_trials,
    starting_cases,
)
from sclerotui.screens import screen_css
from sclerotui.screens.workers import unless_cancelled
from sclerotui.store import Store
from sclerotui.text import one_line, shorten
from sclerotui.vocabulary import SUBTYPE_SHORT
from sclerotui.widgets.evidence_list import TITLE_CHARS
from sclerotui.widgets.key_footer import KeyFooter
from sclerotui.widgets.therapy_list import VIM_KEYS

NAME_WIDTH = 26
RESPONSE_SHORT = {
    "responded": "resp",
    "partial": "part",
    "resistant": "res",
    "intolerant": "intol",
    "unknown": "?",
}


def node_label(node: PathNode, names: dict[str, str]) -> Text:
    """One line per node: therapy, cases, share responded, response mix, subtypes, organs."""
    mix = " ".join(f"{RESPONSE_SHORT[r]} {n}" for r, n in sorted(node.responses.items()))
    subtypes = " ".join(f"{SUBTYPE_SHORT.get(s, s)} {n}" for s, n in sorted(node.subtypes.items()))
    organs = " ".join(f"{o} {n}" for o, n in sorted(node.organs.items(), key=lambda x: -x[1]))
    members = node.therapies
    # A regimen shows every member, each cut to its share, so none is hidden by the cut.
    share = NAME_WIDTH if len(members) == 1 else max(8, (NAME_WIDTH + 10) // len(members) - 3)
    parts = []
    for member in members:
        part = Text(one_line(names.get(member, member)), style="bold")
        part.truncate(share, overflow="ellipsis")  # by cells: wide characters count double
        parts.append(part)
    name = Text(" + ").join(parts)
    return Text.assemble(
        ("→ ", "dim"),
        name,
        f"  n={node.cases}",
        # In words, not only a style: a node resting on no real patient says so.
        (" illustrative only" if node.only_illustrative else "", "italic"),
        (f"  {node.responded_share:.0%} responded", "bold"),
        (f" ({mix})", "dim"),
        f"  {subtypes}",
        (f"  {organs}", "dim"),
    )


def placeholder(text: str, style: str = "dim") -> Option:
    """A row that says why a list has nothing to choose (yet)."""
    return Option(Content.styled(text, style), disabled=True)


class PathwayTree(Tree[PathNode]):
    # A node's line can run past the pane: right and left scroll it (the side pane also
    # shows the node under the cursor whole).
    BINDINGS = [
        *VIM_KEYS,
        Binding("right", "scroll_right", "Scroll right", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
    ]

    class NodeChosen(Message):
        def __init__(self, node: PathNode) -> None:
            self.node = node
            super().__init__()

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.NodeChosen(event.node.data))


class StartPicker(ModalScreen[str | None]):
    """Choose the starting therapy; typing a name moves to it (backspace takes a letter
    back, escape clears what was typed, then cancels)."""

    DEFAULT_CSS = screen_css("start_picker.tcss")

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, therapies: list[tuple[str, str]], current: str) -> None:
        super().__init__()
        self.therapies = therapies
        self.current = current

    def compose(self) -> ComposeResult:
        options = [
            Option(Content(one_line(name)), id=therapy_id) for therapy_id, name in self.therapies
        ]
        picker = OptionList(*options, id="start-picker")
        picker.border_title = "Start from which failed therapy?"
        yield picker

    def on_mount(self) -> None:
        picker = self.query_one(OptionList)
        picker.border_subtitle = "type a name to find it"
        ids = [t for t, _ in self.therapies]
        if self.current in ids:
            picker.highlighted = ids.index(self.current)

    typed = ""

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_key(self, event: events.Key) -> None:
        # Letters are a name to find here, not the app's keys (q would have quit).
        if event.is_printable and event.character:
            typed = self.typed + event.character
        elif event.key == "backspace" and self.typed:
            typed = self.typed[:-1]
        elif event.key == "escape" and self.typed:
            typed = ""
        else:
            return
        event.stop()
        event.prevent_default()
        self.find(typed)

    def find(self, typed: str) -> None:
        """The cursor to the first name starting with what was typed (else holding it)."""
        picker = self.query_one(OptionList)
        wanted = typed.casefold()
        names = [name.casefold() for _, name in self.therapies]
        match = next((i for i, name in enumerate(names) if name.startswith(wanted)), None)
        if match is None:
            match = next((i for i, name in enumerate(names) if wanted in name), None)
        if match is None and typed:
            self.app.bell()
            return  # the last letter finds nothing: it is not taken
        self.typed = typed
        if match is not None and typed:
            picker.highlighted = match
        picker.border_subtitle = Content(f"find: {typed}") if typed else "type a name to find it"


class PathwaysScreen(Screen):
    """`enter` on a node lists its cases; `enter` on a case or trial opens it in the explorer."""

    DEFAULT_CSS = screen_css("pathways.tcss")

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("s", "pick_start", "Starting therapy"),
    ]

    def __init__(
        self,
        store: Store,
        start: str,
        criteria: Criteria = NO_CRITERIA,
        names: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.start = start
        self.criteria = criteria
        self.names = names or {}
        self.nodes: list[PathNode] = []
        self.cases_node: PathNode | None = None  # the node whose cases are (being) shown
        self.trial_rows: list[tuple[str, str, str, bool]] = []

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≡")
        yield Static(id="pathway-title")
        with Horizontal(id="pathway-body"):
            # enter lists a node's cases; space folds it (enter folding too would lose the place)
            yield PathwayTree("", id="pathway-tree")
            with Vertical(id="pathway-side"):
                yield Static(id="pathway-node")
                yield OptionList(id="pathway-cases")
                yield OptionList(id="pathway-trials")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(PathwayTree).auto_expand = False
        self.query_one("#pathway-cases").border_title = "Cases at this node (enter opens)"
        self.query_one("#pathway-trials").border_title = "Trials of the therapies that followed"
        self.query_one("#pathway-tree").border_title = "Pathways"
        self.load()
        self.query_one(PathwayTree).focus()

    def load(self) -> None:
        """Aggregate the tree for the starting therapy and the filters, off the UI thread."""
        self.query_one("#pathway-title", Static).update(
            Content.styled("Counting pathways…", "italic dim")
        )
        self.aggregate(self.start, self.criteria)

    @work(exclusive=True, thread=True, group="pathways")
    def aggregate(self, start: str, criteria: Criteria) -> None:
        with self.store.lock:  # the connection is shared with the cases' worker
            found = unless_cancelled(self._aggregated, start, criteria)
        if found is not None:
            self.app.call_from_thread(self._draw, start, *found)

    def _aggregated(self, start: str, criteria: Criteria) -> tuple[list, int, list]:
        nodes = pathway_tree(self.store, start, criteria)
        failed = starting_cases(self.store, start, criteria)
        followed = list(dict.fromkeys(t for n in nodes for t in n.therapies))
        return nodes, failed, related_trials(self.store, start, followed)

    def _draw(self, start: str, nodes: list[PathNode], failed: int, trials: list) -> None:
        if start != self.start:
            return  # another starting therapy was chosen meanwhile
        self.nodes, self.trial_rows = nodes, trials
        name = self.names.get(self.start, self.start)
        filters = self.criteria.with_values("therapy", frozenset()).describe()
        went_on = sum(n.cases for n in self.nodes if n.depth == 1)
        self.query_one("#pathway-title", Static).update(
            Content.assemble(
                ("After failing ", "bold"),
                (one_line(name), "bold $text-accent"),
                f": {failed} case{'' if failed == 1 else 's'} resistant, partial or "
                f"intolerant; {went_on} went on to another therapy",
                (f"   filters: {filters}" if filters else "   no filters", "dim"),
                ("   s: change therapy", "dim"),
            )
        )
        tree = self.query_one(PathwayTree)
        tree.clear()
        tree.root.set_label(Text.assemble((one_line(name), "bold"), f" failed (n={failed})"))
        parents = {(): tree.root}
        for node in self.nodes:
            parent = parents.get(node.path[:-1], tree.root)
            parents[node.path] = parent.add(
                node_label(node, self.names), data=node, expand=True, allow_expand=True
            )
        tree.root.expand()
        if not self.nodes:
            tree.root.add_leaf(Text("no recorded therapy after this failure", style="italic"))
        self._show_trials()
        self._show_cases(self.nodes[0] if self.nodes else None)

    def _show_trials(self) -> None:
        trials = self.query_one("#pathway-trials", OptionList)
        # A trial of two therapies that both followed comes once per therapy: one row each
        # trial (an option id may appear only once), naming all its therapies.
        rows: dict[str, tuple[str, list[str], bool]] = {}
        for trial_id, title, therapy, mentions in self.trial_rows:
            _, therapies, mentioned = rows.setdefault(trial_id, (title, [], False))
            therapies.append(therapy)
            rows[trial_id] = (title, therapies, mentioned or mentions)
        options = []
        for trial_id, (title, therapies, mentions) in rows.items():
            names = ", ".join(one_line(self.names.get(t, t)) for t in therapies)
            hint = (
                ("  population mentions the starting therapy", "$text-warning") if mentions else ""
            )
            prompt = Content.assemble(
                (f"{names}: ", "$text-primary"), shorten(one_line(title), TITLE_CHARS), hint
            )
            options.append(Option(prompt, id=f"trial:{trial_id}"))
        if not options:
            options.append(placeholder("no trials of these therapies"))
        # All rows at once: added one by one, each row measured the list again.
        trials.set_options(options)
        if rows:
            trials.highlighted = 0

    def _show_cases(self, node: PathNode | None) -> None:
        """The node's title now; its cases from a worker (finding them at 1M cases takes
        about a second, too long for the tree's cursor to wait)."""
        cases = self.query_one("#pathway-cases", OptionList)
        self.cases_node = node
        self._show_node(node)
        if node is None:
            cases.set_options([placeholder("no cases")])
            return
        names = " → ".join(regimen_label(t, self.names) for t in (self.start, *node.path))
        cases.border_title = Content(f"Cases: {one_line(names)} ({node.cases})")
        cases.set_options([placeholder("finding the cases…", "italic dim")])
        self.find_cases(node)

    def _show_node(self, node: PathNode | None) -> None:
        """The node under the cursor, whole and wrapped: its path, counts and mixes."""
        shown = self.query_one("#pathway-node", Static)
        if node is None:
            shown.update("")
            return
        path = " → ".join(one_line(self.names.get(t, t)) for t in (self.start, *node.path))
        label = node_label(node, self.names)
        # The tree's line without its arrow and its name (cut there at NAME_WIDTH).
        rest = label.plain.split(f"  n={node.cases}", 1)[-1]
        shown.update(Content.assemble((path, "bold"), f"  n={node.cases}{rest}"))

    @work(exclusive=True, thread=True, group="pathway-cases")
    def find_cases(self, node: PathNode) -> None:
        with self.store.lock:
            rows = unless_cancelled(cases_at, self.store, self.start, node.path, self.criteria)
        if rows is not None:
            self.app.call_from_thread(self._fill_cases, node, rows)

    def _fill_cases(self, node: PathNode, rows: list[tuple[str, str, str]]) -> None:
        if node is not self.cases_node:
            return  # the cursor has moved on since these were asked for
        cases = self.query_one("#pathway-cases", OptionList)
        options = [
            Option(
                Content.assemble(
                    (f"{response:<11}", "bold"), shorten(one_line(title), TITLE_CHARS)
                ),
                id=f"case:{case_id}",
            )
            for case_id, title, response in rows
        ]
        cases.set_options(options or [placeholder("no cases")])
        if rows:
            cases.highlighted = 0

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is not None:
            self._show_cases(event.node.data)

    def on_pathway_tree_node_chosen(self, message: PathwayTree.NodeChosen) -> None:
        self._show_cases(message.node)
        self.query_one("#pathway-cases").focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is None:
            return
        kind, record_id = event.option.id.split(":", 1)
        self.app.open_in_explorer(kind, record_id)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_pick_start(self) -> None:
        therapies = sorted(self.names.items(), key=lambda item: item[1].lower())

        def chosen(therapy_id: str | None) -> None:
            if therapy_id:
                self.start = therapy_id
                self.load()

        self.app.push_screen(StartPicker(therapies, self.start), chosen)
