"""The record detail: the full trial, case or therapy, section by section, with its sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from sclerotui.notes import finding_key
from sclerotui.store import SUBTYPE_SHORT, TYPE_SHORT, Origin
from sclerotui.text import one_line, visible
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


def source_lines(sources: list[Source]) -> Content:
    rows = [heading("Sources")]
    for source in sources:
        ref = f"{source.kind.value.upper()} {source.ref}" if source.ref else source.kind.value
        status = (
            ("verified id", "$text-success")
            if source.verified
            else ("id/citation not verified", "$text-warning")
        )
        rows.append(
            Content.assemble(
                ("• ", "dim"),
                (one_line(ref), "bold"),
                " — ",
                visible(source.citation),
                " [",
                status,
                "]",
            )
        )
    if not sources:
        rows.append(Content.styled("no source recorded", "$text-error"))
    return lines(*rows)


def origin_line(origin: Origin | None) -> Content | None:
    """Where a record not from the curated data came from; a user's record that stands in
    for a curated one says so."""
    if origin is None or origin.kind == "bundled":
        return None
    line = f"imported from {one_line(origin.where)} at {origin.when or '?'}"
    if origin.overrides:
        line += "; yours, in place of the curated record (kept when the bundled data is refreshed)"
    return Content.styled(line, "dim italic")


def trial_sections(view: RecordView) -> list[tuple[str, Content]]:
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
    arms = [heading("Arms")]
    for arm in trial.arms:
        arms.append(
            Content.assemble(
                ("• ", "dim"),
                (one_line(arm.name), "bold"),
                f" (n={arm.n})" if arm.n is not None else "",
                " — ",
                visible(arm.intervention),
                (f"; {visible(arm.dose)}" if arm.dose else ""),
            )
        )
    if not trial.arms:
        arms.append(Content.styled("no arms recorded", "dim italic"))
    duration = f"{trial.duration_weeks:g} weeks" if trial.duration_weeks else None
    arms.append(labelled("Duration", duration))
    results = [
        heading("Endpoint and results"),
        labelled("Primary endpoint", trial.primary_endpoint),
        Content(visible(trial.results)),
    ]
    arm_names = {a.id: a.name for a in trial.arms}
    noted = {note.finding for note in view.notes if note.finding}
    for finding in trial.findings:
        line = finding_line(finding, arm_names)
        if noted and finding_key(finding) in noted:
            line = line + Content.styled("  ✎ your note", "$text-accent")
        results.append(line)
    safety = [
        heading("Safety"),
        Content(visible(trial.safety))
        if trial.safety
        else Content.styled("not reported", "dim italic"),
    ]
    return [
        ("header", lines(*facts)),
        ("population", lines(*population)),
        ("arms", lines(*arms)),
        ("results", lines(*results)),
        ("safety", lines(*safety)),
        ("sources", source_lines(view.sources)),
    ]


def finding_line(finding, arm_names: dict[str, str]) -> Content:
    who = arm_names.get(finding.arm, finding.arm) if finding.arm else "between arms"
    parts: list = [("• ", "dim"), (one_line(finding.measure), "bold"), f" — {one_line(who)}"]
    if finding.timepoint_weeks is not None:
        parts.append(f" at week {finding.timepoint_weeks:g}")
    parts.append(": ")
    if finding.value is not None:
        parts.append(
            (f"{finding.value:g}{' ' + one_line(finding.unit) if finding.unit else ''}", "bold")
        )
        if finding.comparator_value is not None:
            parts.append(f" vs {finding.comparator_value:g}")
    # The interval's level as its source gives it; none is assumed.
    level = "CI (level not stated) " if finding.ci_level is None else f"{finding.ci_level:g}% CI "
    for label, value in (("", finding.effect), (level, finding.ci), ("p ", finding.p)):
        if value:
            parts.append(f"; {label}{one_line(value)}")
    if finding.text:
        parts.append(f" {one_line(finding.text)}")
    parts.append(
        (" [verified]", "$text-success")
        if finding.verified
        else (" [unverified]", "reverse $text-warning")
    )
    return Content.assemble(*parts)


def case_sections(view: RecordView) -> list[tuple[str, Content]]:
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
    sequence = [heading("Therapy sequence")]
    for index, step in enumerate(case.therapies, 1):
        name = " + ".join(view.therapy_names.get(t, t) for t in step.therapies)  # given together
        sequence.append(
            Content.assemble(
                f"{index}. ",
                (one_line(name), "bold"),
                " → ",
                (step.response.value, RESPONSE_STYLE.get(step.response.value, "")),
                (f" ({one_line(step.note)})" if step.note else "", "dim"),
            )
        )
    narrative = [heading("Narrative"), Content(visible(case.narrative))]
    return [
        ("header", lines(*header)),
        ("sequence", lines(*sequence)),
        ("narrative", lines(*narrative)),
        ("sources", source_lines(view.sources)),
    ]


def therapy_sections(view: RecordView) -> list[tuple[str, Content]]:
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
                f"{trials} trial(s) and {cases} case(s) with the current filters — "
                "choose one in the evidence list",
                "dim",
            )
        )
    sections = [("header", lines(*header))]
    if view.sources:
        sections.append(("sources", source_lines(view.sources)))
    return sections


SECTION_BUILDERS = {"trial": trial_sections, "case": case_sections, "therapy": therapy_sections}


def notes_section(view: RecordView) -> Content | None:
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
    return lines(*rows)


class DetailView(VerticalScroll, can_focus=True):
    """Shows one record; `scroll_to_section` lets the timeline point at the matching part.

    A fixed set of Static sections is updated in place, so showing a record never mounts
    but the first time: the sections are mounted then, not with the explorer's first frame
    (in which the pane is empty), since every widget takes time to style, lay out and draw.
    """

    BINDINGS = [*VIM_KEYS]
    SECTION_SLOTS = 7  # a trial's six, and the user's notes

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.current: RecordView | None = None
        self.sections: dict[str, Static] = {}

    def action_cursor_down(self) -> None:
        self.scroll_down()

    def action_cursor_up(self) -> None:
        self.scroll_up()

    def show(self, view: RecordView | None, empty: str = "Nothing selected") -> None:
        self.current = view
        if view is None:
            parts = [("empty", Content.styled(empty, "italic dim"))]
        else:
            parts = SECTION_BUILDERS[view.kind](view)
            if (notes := notes_section(view)) is not None:
                parts.insert(1, ("notes", notes))
        slots = list(self.query(".section").results(Static))
        if not slots:
            slots = [Static(classes="section") for _ in range(self.SECTION_SLOTS)]
            self.mount_all(slots)
        self.sections = {}
        for index, slot in enumerate(slots):
            if index < len(parts):
                name, content = parts[index]
                slot.update(content)
                slot.display = True
                self.sections[name] = slot
            else:
                slot.display = False
        self.scroll_home(animate=False)

    def scroll_to_section(self, name: str) -> bool:
        widget = self.sections.get(name)
        if widget is None:
            return False
        self.scroll_to_widget(widget, animate=False, top=True)
        return True

    def section_names(self) -> list[str]:
        return list(self.sections)
