"""The record detail: the full trial, case or therapy, section by section, with its sources.

A record may hold 100,000-character texts and thousands of findings (the limits in models.py).
Laying out text takes time in proportion to its length, so each section shows its first
PREVIEW_CHARS characters when a record opens, and a line saying how much more there is;
Enter (or a click on that line) adds the next MORE_CHARS in a widget of its own, so no step
lays out more than that, however long the record.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from sclerotui.notes import finding_key
from sclerotui.origin import Origin
from sclerotui.text import one_line, visible
from sclerotui.vocabulary import SUBTYPE_SHORT, TYPE_SHORT
from sclerotui.widgets.therapy_list import CLASS_LABELS, VIM_KEYS

if TYPE_CHECKING:
    from sclerotui.models import Case, Source, Therapy, Trial

RESPONSE_STYLE = {
    "responded": "$text-success",
    "partial": "$text-warning",
    "resistant": "$text-error",
    "intolerant": "$text-error",
    "unknown": "dim",
}


@dataclass
class RecordView:
    """Everything the detail pane shows for one record; built by the screen from the store."""

    kind: str
    record: Therapy | Trial | Case
    sources: list[Source] = field(default_factory=list)
    therapy_names: dict[str, str] = field(default_factory=dict)
    origin: Origin | None = None
    counts: tuple[int, int] | None = None  # a therapy's trials and cases
    notes: list = field(default_factory=list)  # the user's own (sclerotui.notes.Note)
    notes_reason: str | None = None  # why this database keeps no notes, if it does not


def heading(text: str) -> Content:
    return Content.styled(text, "bold $text-accent")


def labelled(label: str, value: str | None) -> Content:
    shown = visible(value) if value else "not reported"
    return Content.assemble((f"{label}: ", "bold"), (shown, "" if value else "dim italic"))


def lines(*parts: Content) -> Content:
    return Content("\n").join(parts)


PREVIEW_CHARS = 2_500  # of each section when a record opens: two screens of a 60-column pane
MORE_CHARS = 20_000  # added by each Enter: laid out in tens of milliseconds


@dataclass
class Many:
    """A list of records' lines in a section, drawn only as far as it is shown."""

    items: Sequence
    line: Callable[..., Content]
    noun: str  # plural: "findings"
    start: int = 0  # the first not yet drawn


Part = Content | Many


class Feed:
    """A section's parts, handed out a budget of characters at a time."""

    def __init__(self, parts: list[Part]) -> None:
        self.parts = deque(parts)

    def take(self, budget: int) -> Content:
        """The next lines, up to `budget` characters. A line is cut only if it is longer than
        a whole budget (a long text); a shorter one that does not fit waits for the next."""
        taken: list[Content] = []
        room = budget
        while self.parts and room > 0:
            part = self.parts[0]
            if isinstance(part, Many):
                if part.start >= len(part.items):
                    self.parts.popleft()
                    continue
                line = part.line(part.items[part.start])
            else:
                line = part
            if len(line) > room and taken and len(line) <= budget:
                break  # whole, in the next part
            if isinstance(part, Many):
                part.start += 1
            else:
                self.parts.popleft()
            if len(line) > room:
                cut, skip = _cut(line.plain, room)
                line, rest = line[:cut], line[cut + skip :]
                if len(rest):
                    self.parts.appendleft(rest)
                taken.append(line)
                break
            taken.append(line)
            room -= len(line) + 1
        return lines(*taken)

    @property
    def done(self) -> bool:
        return not any(
            len(part) if isinstance(part, Content) else part.start < len(part.items)
            for part in self.parts
        )

    def remaining(self) -> str:
        chars = sum(len(part) for part in self.parts if isinstance(part, Content))
        counts = [f"{chars:,} more characters"] if chars else []
        for part in self.parts:
            if isinstance(part, Many) and part.start < len(part.items):
                counts.append(f"{len(part.items) - part.start:,} more {part.noun}")
        return " and ".join(counts)


def _cut(text: str, limit: int) -> tuple[int, int]:
    """Where to cut text to at most `limit` characters, and how many characters the cut
    swallows: at a line break or else a space in its second half, else at the limit."""
    for mark in ("\n", " "):
        at = text.rfind(mark, limit // 2, limit + 1)
        if at > 0:
            return at, 1
    return limit, 0


def source_line(source: Source) -> Content:
    ref = f"{source.kind.value.upper()} {source.ref}" if source.ref else source.kind.value
    status = (
        ("verified id", "$text-success")
        if source.verified
        else ("id/citation not verified", "$text-warning")
    )
    return Content.assemble(
        ("• ", "dim"),
        (one_line(ref), "bold"),
        " — ",
        visible(source.citation),
        " [",
        status,
        "]",
    )


def source_lines(sources: list[Source]) -> list[Part]:
    if not sources:
        return [heading("Sources"), Content.styled("no source recorded", "$text-error")]
    return [heading("Sources"), Many(sources, source_line, "sources")]


def origin_line(origin: Origin | None) -> Content | None:
    """Where a record not from the curated data came from; a user's record that stands in
    for a curated one says so."""
    if origin is None or origin.kind == "bundled":
        return None
    line = f"imported from {one_line(origin.where)} at {origin.when or '?'}"
    if origin.overrides:
        line += "; yours, in place of the curated record (kept when the bundled data is refreshed)"
    return Content.styled(line, "dim italic")


def arm_line(arm) -> Content:
    return Content.assemble(
        ("• ", "dim"),
        (one_line(arm.name), "bold"),
        f" (n={arm.n})" if arm.n is not None else "",
        " — ",
        visible(arm.intervention),
        (f"; {visible(arm.dose)}" if arm.dose else ""),
    )


def trial_sections(view: RecordView) -> list[tuple[str, list[Part]]]:
    trial: Trial = view.record  # type: ignore[assignment]
    kind = TYPE_SHORT.get(trial.evidence_type.value, trial.evidence_type.value)
    title = Content.assemble(
        (one_line(trial.name), "bold"),
        (f"  {kind}" + (f" n={trial.n:,}" if trial.n is not None else ""), "$text-primary"),
    )
    if not trial.verified:
        title = title + Content.styled("  primary result unverified", "reverse $text-warning")
    facts = [title]
    ids = " · ".join(
        filter(None, [trial.acronym, trial.registry_id, str(trial.year) if trial.year else None])
    )
    if ids:
        facts.append(Content.styled(one_line(ids), "dim"))
    facts.append(
        labelled("Design", trial.design + (f", phase {trial.phase}" if trial.phase else ""))
    )
    if (note := origin_line(view.origin)) is not None:
        facts.append(note)
    population = [heading("Population"), Content(visible(trial.population))]
    subtypes = ", ".join(SUBTYPE_SHORT[s.value] for s in trial.subtypes) or "not stated"
    organs = ", ".join(o.value for o in trial.organs) or "not stated"
    population.append(Content.styled(f"Subtypes: {subtypes} · Organs: {organs}", "dim"))
    arms: list[Part] = [heading("Arms"), Many(trial.arms, arm_line, "arms")]
    if not trial.arms:
        arms.append(Content.styled("no arms recorded", "dim italic"))
    duration = f"{trial.duration_weeks:g} weeks" if trial.duration_weeks else None
    arms.append(labelled("Duration", duration))
    arm_names = {a.id: a.name for a in trial.arms}
    noted = {note.finding for note in view.notes if note.finding}
    results = [
        heading("Endpoint and results"),
        labelled("Primary endpoint", trial.primary_endpoint),
        Content(visible(trial.results)),
        Many(trial.findings, lambda finding: noted_line(finding, arm_names, noted), "findings"),
    ]
    safety = [
        heading("Safety"),
        Content(visible(trial.safety))
        if trial.safety
        else Content.styled("not reported", "dim italic"),
    ]
    return [
        ("header", facts),
        ("population", population),
        ("arms", arms),
        ("results", results),
        ("safety", safety),
        ("sources", source_lines(view.sources)),
    ]


def noted_line(finding, arm_names: dict[str, str], noted: set[str]) -> Content:
    """A finding's line, marked when the user keeps a note on it."""
    line = finding_line(finding, arm_names)
    if noted and finding_key(finding) in noted:
        line = line + Content.styled("  ✎ your note", "$text-accent")
    return line


def finding_line(finding, arm_names: dict[str, str]) -> Content:
    who = arm_names.get(finding.arm, finding.arm) if finding.arm else "between arms"
    parts: list = [("• ", "dim"), (one_line(finding.measure), "bold"), f" — {one_line(who)}"]
    if finding.timepoint_weeks is not None:
        parts.append(f" at week {finding.timepoint_weeks:g}")
    parts.append(":")
    said = []  # what the finding states, each part after the one before it
    if finding.value is not None:
        value = f"{finding.value:g}{' ' + one_line(finding.unit) if finding.unit else ''}"
        if finding.comparator_value is not None:
            value = Content.assemble((value, "bold"), f" vs {finding.comparator_value:g}")
        said.append(Content.styled(value, "bold") if isinstance(value, str) else value)
    # The interval's level as its source gives it; none is assumed.
    level = "CI (level not stated) " if finding.ci_level is None else f"{finding.ci_level:g}% CI "
    for label, value in (("", finding.effect), (level, finding.ci), ("p ", finding.p)):
        if value:
            said.append(Content(f"{label}{one_line(value)}"))
    for index, part in enumerate(said):
        parts.extend(["; " if index else " ", part])
    if finding.text:
        parts.append(f" {one_line(finding.text)}")
    parts.append(
        (" [verified]", "$text-success")
        if finding.verified
        else (" [unverified]", "reverse $text-warning")
    )
    return Content.assemble(*parts)


def case_sections(view: RecordView) -> list[tuple[str, list[Part]]]:
    case: Case = view.record  # type: ignore[assignment]
    header = [Content.styled(one_line(case.title), "bold")]
    if case.illustrative:
        header.append(
            Content.styled(
                " ILLUSTRATIVE CASE — a teaching example, not a real patient record ",
                "reverse $text-warning",
            )
        )
    if case.synthetic:
        header.append(
            Content.styled(" SYNTHETIC RECORD — generated for scale tests ", "reverse $text-error")
        )
    who = " · ".join(
        [
            SUBTYPE_SHORT.get(case.subtype.value, case.subtype.value),
            case.sex,
            f"age {case.age_band}" if case.age_band else "age not reported",
        ]
    )
    header.append(Content(one_line(who)))
    antibodies = ", ".join(a.value for a in case.autoantibodies) or "not reported"
    organs = ", ".join(o.value for o in case.organs) or "not reported"
    header.append(Content.styled(f"Autoantibodies: {antibodies} · Organs: {organs}", "dim"))
    if (note := origin_line(view.origin)) is not None:
        header.append(note)

    def step_line(numbered) -> Content:
        index, step = numbered
        name = " + ".join(view.therapy_names.get(t, t) for t in step.therapies)  # given together
        return Content.assemble(
            f"{index}. ",
            (one_line(name), "bold"),
            " → ",
            (step.response.value, RESPONSE_STYLE.get(step.response.value, "")),
            (f" ({one_line(step.note)})" if step.note else "", "dim"),
        )

    steps = list(enumerate(case.therapies, 1))
    sequence = [heading("Therapy sequence"), Many(steps, step_line, "therapies")]
    narrative = [heading("Narrative"), Content(visible(case.narrative))]
    return [
        ("header", header),
        ("sequence", sequence),
        ("narrative", narrative),
        ("sources", source_lines(view.sources)),
    ]


def therapy_sections(view: RecordView) -> list[tuple[str, list[Part]]]:
    therapy: Therapy = view.record  # type: ignore[assignment]
    header = [
        Content.styled(one_line(therapy.name), "bold"),
        Content.styled(CLASS_LABELS.get(therapy.therapy_class.value, ""), "$text-accent"),
        labelled("Mechanism", therapy.mechanism),
        labelled("Also known as", ", ".join(therapy.aliases) or None),
        labelled("Organ domains", ", ".join(o.value for o in therapy.organs) or None),
    ]
    if view.counts is not None:
        trials, cases = view.counts
        header.append(
            Content.styled(
                f"{trials} trial{'' if trials == 1 else 's'} and "
                f"{cases} case{'' if cases == 1 else 's'} with the current filters — "
                "choose one in the evidence list",
                "dim",
            )
        )
    sections: list[tuple[str, list[Part]]] = [("header", header)]
    if view.sources:
        sections.append(("sources", source_lines(view.sources)))
    return sections


SECTION_BUILDERS = {"trial": trial_sections, "case": case_sections, "therapy": therapy_sections}


def notes_section(view: RecordView) -> list[Part] | None:
    """The user's own notes and bookmark, labelled as theirs (never mixed with the record)."""
    if not view.notes:
        return None
    rows = [heading("Your notes (yours, not from the sources)")]
    for note in view.notes:
        when = note.created_at.replace("T", " ").removesuffix("+00:00") + " UTC"
        on = (f" on {one_line(note.finding)}", "italic") if note.finding else ""
        text = "★ bookmarked" if note.bookmark else visible(note.text)
        rows.append(
            Content.assemble(
                ("• ", "dim"), text, on, (f" — {one_line(note.author)}, {when}", "dim")
            )
        )
    return rows


class MoreHint(Static):
    """The line after a cut-short section: how much more it holds; a click shows the next part."""

    def __init__(self, section: str) -> None:
        super().__init__(classes="more more-hint")
        self.section = section

    def on_click(self) -> None:
        detail = self.parent
        if isinstance(detail, DetailView):
            detail.show_more(self.section)


def hint_text(feed: Feed) -> Content:
    return Content.assemble(
        (f"… {feed.remaining()} — ", "dim italic"),
        ("Enter", "bold $text-accent"),
        (" shows more", "dim italic"),
    )


class DetailView(VerticalScroll, can_focus=True):
    """Shows one record; `scroll_to_section` lets the timeline point at the matching part.

    A fixed set of Static sections is updated in place, so showing a record never mounts
    but the first time: the sections are mounted then, not with the explorer's first frame
    (in which the pane is empty), since every widget takes time to style, lay out and draw.
    A long section shows its first part; its further parts (`more`) are mounted on request.
    """

    DEFAULT_CSS = """
    DetailView > .more-hint, DetailView > .more-part.-end { margin-bottom: 1; }
    """
    BINDINGS = [*VIM_KEYS, Binding("enter", "more", "Show more")]
    SECTION_SLOTS = 7  # a trial's six, and the user's notes
    ALLOW_MAXIMIZE = True  # `z` zooms it like the lists (a scroll container refuses by default)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.current: RecordView | None = None
        self.sections: dict[str, Static] = {}
        self.feeds: dict[str, Feed] = {}  # what each section has still to show
        self.hints: dict[str, MoreHint] = {}  # the sections cut short, by name
        self.more: dict[str, list[Static]] = {}  # each section's further parts, as shown

    def action_cursor_down(self) -> None:
        self.scroll_down()

    def action_cursor_up(self) -> None:
        self.scroll_up()

    def show(self, view: RecordView | None, empty: str = "Nothing selected") -> None:
        self.current = view
        if view is None:
            parts: list = [("empty", [Content.styled(empty, "italic dim")])]
        else:
            parts = SECTION_BUILDERS[view.kind](view)
            if (notes := notes_section(view)) is not None:
                parts.insert(1, ("notes", notes))
        slots = list(self.query(".section").results(Static))
        if not slots:
            slots = [Static(classes="section") for _ in range(self.SECTION_SLOTS)]
            self.mount_all(slots)
        if self.hints or self.more:
            self.query(".more").remove()
        self.sections, self.feeds, self.hints, self.more = {}, {}, {}, {}
        for index, slot in enumerate(slots):
            if index < len(parts):
                name, section = parts[index]
                feed = Feed(section)
                slot.update(feed.take(PREVIEW_CHARS))
                slot.display = True
                self.sections[name] = slot
                self.feeds[name] = feed
                self.more[name] = []
                if feed.done:
                    slot.styles.clear_rule("margin")  # the app's spacing between sections
                else:
                    slot.styles.margin = (0, 0, 0, 0)  # its next part follows on the next line
                    self.hints[name] = MoreHint(name)
                    self.hints[name].update(hint_text(feed))
                    self.mount(self.hints[name], after=slot)
            else:
                slot.display = False
        self.refresh_bindings()
        self.scroll_home(animate=False)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "more":
            return bool(self.hints)  # Enter means nothing here when all is shown
        return True

    def action_more(self) -> None:
        """Show more of the first cut-short section that does not end above the view."""
        cut = [name for name in self.sections if name in self.hints]
        if cut:
            top = self.scroll_y
            self.show_more(next((n for n in cut if self.hints[n].virtual_region.y >= top), cut[-1]))

    def show_more(self, name: str) -> None:
        """Mount the section's next MORE_CHARS characters before its hint."""
        feed, hint = self.feeds[name], self.hints.get(name)
        if hint is None:
            return
        part = Static(feed.take(MORE_CHARS), classes="more more-part")
        self.more[name].append(part)
        self.mount(part, before=hint)
        if feed.done:
            part.add_class("-end")
            del self.hints[name]
            hint.remove()
            self.refresh_bindings()
        else:
            hint.update(hint_text(feed))

    def scroll_to_section(self, name: str) -> bool:
        widget = self.sections.get(name)
        if widget is None:
            return False
        self.scroll_to_widget(widget, animate=False, top=True)
        return True

    def section_names(self) -> list[str]:
        return list(self.sections)
