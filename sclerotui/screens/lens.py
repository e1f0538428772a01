"""Patients like mine: the patient lens (a profile, and the cases, trials and pathways that
fit it) and the form the profile is typed into."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from sclerotui.lens import (
    CANNOT_TELL,
    ELIGIBLE,
    FIELD_LABELS,
    FORM_FIELDS,
    NO_CRITERIA,
    NOT_ELIGIBLE,
    LensPathways,
    Profile,
    ProfileError,
    ProfileNotSaved,
    Similar,
    TherapyWords,
    TrialFit,
    brief_markdown,
    describe_filters,
    describe_profile,
    forget_profile,
    form_values,
    lens_pathways,
    parse_form,
    save_profile,
    saved_profile,
    similar_cases,
    trial_fit,
)
from sclerotui.pathways import regimen_label
from sclerotui.screens import screen_css
from sclerotui.screens.workers import unless_cancelled
from sclerotui.store import Store
from sclerotui.text import one_line, without_controls
from sclerotui.widgets.key_footer import KeyFooter
from sclerotui.widgets.therapy_list import VIM_KEYS

NARROW_WIDTH = 110
VERDICT_MARK = {
    ELIGIBLE: ("✓ eligible ", "$text-success"),
    CANNOT_TELL: ("? can't tell ", "$text-warning"),
    NOT_ELIGIBLE: ("✗ not eligible ", "$text-error"),
}


class LensList(OptionList):
    BINDINGS = VIM_KEYS


def case_option(case) -> Option:
    """Two lines or so: score and title; what matched (✓) and what differs (≠)."""
    flags = " illustrative" if case.illustrative else ""
    flags += " synthetic" if case.synthetic else ""
    parts: list = [
        (f"{case.score:>2}/{case.best} ", "bold"),
        one_line(case.title),
        (flags, "italic $text-warning"),
        "\n      ",
        ("✓ " + "; ".join(case.matched), "$text-success"),
    ]
    if case.differs:
        parts += ["  ", ("≠ " + "; ".join(case.differs), "dim")]
    return Option(Content.assemble(*parts), id=f"case:{case.case_id}")


def trial_option(fit: TrialFit) -> Option:
    mark, style = VERDICT_MARK[fit.verdict]
    unverified = "" if fit.verified is not False else " (criteria unverified)"
    return Option(
        Content.assemble(
            (mark, f"bold {style}"),
            (one_line(fit.name), "bold"),
            (unverified, "reverse $text-warning"),
            "\n      ",
            ("; ".join(one_line(r) for r in fit.reasons), "dim" if fit.verdict != ELIGIBLE else ""),
            (" · other criteria not checked: see the trial" if fit.partly_checked else "", "dim"),
        ),
        id=f"trial:{fit.trial_id}",
    )


def node_option(node, names: dict[str, str], tried: set[str], index: int) -> Option:
    mix = " ".join(f"{r} {n}" for r, n in sorted(node.responses.items()))
    had = any(t in tried for t in node.therapies)
    return Option(
        Content.assemble(
            "  " * (node.depth - 1),
            ("→ ", "dim"),
            (one_line(regimen_label(node.therapy, names)), "bold"),
            f"  n={node.cases}",
            (f"  {node.responded_share:.0%} responded", "bold"),
            (f" ({mix})", "dim"),
            (" illustrative only" if node.only_illustrative else "", "italic"),
            (" · she has had this" if had else "", "$text-warning"),
        ),
        id=f"node:{index}",
    )


def placeholder(text: str, style: str = "dim italic") -> Option:
    return Option(Content.styled(text, style), disabled=True)


class ProfileForm(ModalScreen[Profile | None]):
    """The profile, field by field: enter goes to the next field (and applies on the last),
    ctrl+s applies from any field, escape cancels. No field asks who the patient is."""

    DEFAULT_CSS = screen_css("lens.tcss")
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "apply", "Apply"),
    ]

    def __init__(self, words: TherapyWords, values: dict[str, str]) -> None:
        super().__init__()
        self.words = words
        self.values = values

    def compose(self) -> ComposeResult:
        with Vertical(id="profile-dialog"):
            yield Label(
                Content.assemble(
                    ("Patient profile", "bold"),
                    (" — no name, birth date or identifier", "dim"),
                ),
                id="profile-title",
            )
            with Grid(id="profile-grid"):
                for name, label, example in FORM_FIELDS:
                    yield Label(label, classes="profile-label")
                    yield Input(
                        self.values.get(name, ""),
                        placeholder=example,
                        id=f"profile-{name}",
                        compact=True,
                    )
            yield Static(
                Content.styled(
                    "enter: next field (applies on the last) · ctrl+s applies · escape cancels",
                    "dim",
                ),
                id="profile-message",
            )

    def on_mount(self) -> None:
        self.query_one(f"#profile-{FORM_FIELDS[0][0]}", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        names = [name for name, _, _ in FORM_FIELDS]
        current = (event.input.id or "").removeprefix("profile-")
        if current == names[-1]:
            self.action_apply()
        else:
            self.query_one(f"#profile-{names[names.index(current) + 1]}", Input).focus()

    def action_apply(self) -> None:
        values = {
            name: without_controls(self.query_one(f"#profile-{name}", Input).value)
            for name, _, _ in FORM_FIELDS
        }
        try:
            profile = parse_form(values, self.words)
        except ProfileError as error:
            label = FIELD_LABELS.get(error.field, error.field)
            self.query_one("#profile-message", Static).update(
                Content.styled(f"{label}: {one_line(str(error))}", "$text-error")
            )
            if error.field in FIELD_LABELS:
                self.query_one(f"#profile-{error.field}", Input).focus()
            return
        self.dismiss(profile)

    def action_cancel(self) -> None:
        self.dismiss(None)


class LensScreen(Screen):
    """The profile on top; similar cases, trials that fit and what came next below.
    `enter` opens a case or trial in the explorer (with its timeline), or a pathway's tree."""

    DEFAULT_CSS = screen_css("lens.tcss")
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("f", "edit_profile", "Edit profile"),
        Binding("e", "export", "Evidence brief"),
        Binding("s", "save_profile", "Save profile"),
        Binding("d", "forget_profile", "Forget saved", show=False),
        Binding("z", "zoom", "Zoom pane"),
    ]

    def __init__(
        self,
        store: Store,
        reader: Store,
        names: dict[str, str],
        profile: Profile | None = None,
    ) -> None:
        """`store` is the user's database (the profile is saved there, by the user's
        choice); `reader` a read-only connection of the lens's own for its queries."""
        super().__init__()
        self.store = store
        self.reader = reader
        self.names = names
        self.profile = profile
        self.saved_note: str | None = None
        self.similar: Similar | None = None
        self.fits: list[TrialFit] = []
        self.pathways: LensPathways | None = None
        self._words: TherapyWords | None = None

    def compose(self) -> ComposeResult:
        self.set_class(self.app.size.width < NARROW_WIDTH, "narrow")
        yield Header(show_clock=False, icon="≡")
        yield Static(id="lens-profile")
        with Horizontal(id="lens-top"):
            yield LensList(id="lens-cases")
            yield LensList(id="lens-trials")
        yield LensList(id="lens-pathways")
        yield KeyFooter()

    def on_resize(self, event) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "narrow")

    def on_mount(self) -> None:
        self.query_one("#lens-cases").border_title = "Similar cases"
        self.query_one("#lens-trials").border_title = "Trials whose population fits"
        self.query_one("#lens-pathways").border_title = "What came next"
        if self.profile is None:
            found = saved_profile(self.store)
            if found is not None:
                self.profile, when = found
                self.saved_note = f"the profile you saved ({when}); d forgets it"
        self.refresh_lens()
        self.query_one("#lens-cases").focus()
        if self.profile is None:
            self.call_after_refresh(self.action_edit_profile)

    @property
    def words(self) -> TherapyWords:
        if self._words is None:
            with self.reader.lock:
                self._words = TherapyWords(self.reader.therapy_words())
        return self._words

    # -- the profile -------------------------------------------------------------------------

    def _show_profile(self) -> None:
        line = self.query_one("#lens-profile", Static)
        if self.profile is None or self.profile.is_empty:
            line.update(Content.styled("No profile yet: f types one", "italic"))
            return
        parts: list = [("Profile: ", "bold"), one_line(describe_profile(self.profile, self.names))]
        if self.saved_note:
            parts.append((f"   ({self.saved_note})", "dim"))
        else:
            parts.append(("   (in memory only: s saves it)", "dim"))
        line.update(Content.assemble(*parts))

    def action_edit_profile(self) -> None:
        values = form_values(self.profile, self.names) if self.profile else {}

        def done(profile: Profile | None) -> None:
            if profile is not None:
                self.profile = profile
                self.saved_note = None
                self.refresh_lens()

        self.app.push_screen(ProfileForm(self.words, values), done)

    def action_save_profile(self) -> None:
        if self.profile is None:
            self.notify("No profile to save", severity="warning")
            return
        try:
            when = save_profile(self.store, self.profile)
        except ProfileNotSaved as error:
            self.notify(str(error), severity="error", timeout=8, markup=False)
            return
        self.saved_note = f"saved in your database at {when}; d forgets it"
        self._show_profile()
        self.notify("Profile saved for the next visit (in your database only)", timeout=4)

    def action_forget_profile(self) -> None:
        if forget_profile(self.store):
            self.saved_note = None
            self._show_profile()
            self.notify("The saved profile is deleted (the one on screen stays)", timeout=4)
        else:
            self.notify("No saved profile", timeout=3)

    # -- the answers ---------------------------------------------------------------------------

    def refresh_lens(self) -> None:
        self.app.lens_profile = self.profile  # held in memory for this session only
        self._show_profile()
        cases = self.query_one("#lens-cases", OptionList)
        trials = self.query_one("#lens-trials", OptionList)
        pathways = self.query_one("#lens-pathways", OptionList)
        if self.profile is None or self.profile.is_empty:
            for widget in (cases, trials, pathways):
                widget.set_options([placeholder("type a profile (f) to see this")])
            return
        cases.set_options([placeholder("finding similar cases…")])
        trials.set_options([placeholder("checking trial criteria…")])
        pathways.set_options([placeholder("counting the pathways…")])
        self.find(self.profile)
        self.find_pathways(self.profile)

    @work(exclusive=True, thread=True, group="lens")
    def find(self, profile: Profile) -> None:
        def answers():
            return similar_cases(self.reader, profile, names=self.names), trial_fit(
                self.reader, profile
            )

        with self.reader.lock:
            found = unless_cancelled(answers)
        if found is not None:
            self.app.call_from_thread(self._show_answers, profile, *found)

    @work(exclusive=True, thread=True, group="lens-pathways")
    def find_pathways(self, profile: Profile) -> None:
        with self.reader.lock:
            found = unless_cancelled(lens_pathways, self.reader, profile)
        if found is not None:
            self.app.call_from_thread(self._show_pathways, profile, found)

    def _show_answers(self, profile: Profile, similar: Similar, fits: list[TrialFit]) -> None:
        if profile is not self.profile:
            return  # the profile changed while these were found
        self.similar, self.fits = similar, fits
        cases = self.query_one("#lens-cases", OptionList)
        cases.border_title = Content(
            f"Similar cases ({len(similar.cases)}, score out of {similar.best})"
        )
        options = [case_option(case) for case in similar.cases]
        cases.set_options(options or [placeholder("no case shares a feature with this profile")])
        if options:
            cases.highlighted = 0
        shown = [f for f in fits if f.verdict != NO_CRITERIA]
        counts = {v: sum(f.verdict == v for f in fits) for v in VERDICT_MARK}
        trials = self.query_one("#lens-trials", OptionList)
        trials.border_title = Content(
            f"Trials: {counts[ELIGIBLE]} eligible, {counts[CANNOT_TELL]} can't tell, "
            f"{counts[NOT_ELIGIBLE]} not"
        )
        options = [trial_option(fit) for fit in shown]
        unstated = len(fits) - len(shown)
        if unstated:
            options.append(
                placeholder(
                    f"{unstated} trial(s) state no entry criteria in the stored sources "
                    "(not stated, never guessed)"
                )
            )
        trials.set_options(options or [placeholder("no trials")])
        if shown:
            trials.highlighted = 0

    def _show_pathways(self, profile: Profile, result: LensPathways) -> None:
        if profile is not self.profile:
            return
        self.pathways = result
        pathways = self.query_one("#lens-pathways", OptionList)
        if result.why_none:
            title = "What came next"
            if result.start:
                title += f" after {self.names.get(result.start, result.start)}"
            pathways.border_title = Content(title)
            pathways.set_options([placeholder(result.why_none)])
            return
        start = one_line(self.names.get(result.start, result.start))
        dropped = f"; left out: {', '.join(result.dropped)}" if result.dropped else ""
        pathways.border_title = Content(
            f"What came next after {start}: {result.failed} failed it "
            f"({describe_filters(result.criteria)}{dropped}) · enter: the tree"
        )
        pathways.set_options(
            [
                node_option(node, self.names, result.tried, index)
                for index, node in enumerate(result.nodes)
            ]
        )
        pathways.highlighted = 0

    # -- moving on -----------------------------------------------------------------------------

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is None:
            return
        kind, value = event.option.id.split(":", 1)
        if kind == "node":
            self._open_tree()
            return
        self.app.open_in_explorer(kind, value)

    def _open_tree(self) -> None:
        from sclerotui.screens.pathways import PathwaysScreen

        result = self.pathways
        if result is None or result.start is None:
            return
        self.app.push_screen(PathwaysScreen(self.reader, result.start, result.criteria, self.names))

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            self.maximize(self.focused, container=False)

    def action_back(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        self.app.pop_screen()

    def action_export(self) -> None:
        from sclerotui.screens.export import export_markdown

        if self.profile is None or self.similar is None:
            self.notify("Type a profile first (f)", severity="warning")
            return
        profile, similar, fits, pathways = self.profile, self.similar, self.fits, self.pathways

        def text() -> str:
            with self.reader.lock:
                return brief_markdown(self.reader, profile, similar, fits, pathways, self.names)

        export_markdown(self.app, "the evidence brief", "sclerotui-evidence-brief.md", text)
