"""Side-by-side comparison of two to four therapies, gathered from the store.

Plain data and a Markdown rendering; the comparison screen draws the same columns. Outcome
plots of the same measure share one scale across the columns so they can be read together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sclerotui import lists
from sclerotui.models import Therapy, TimelineEvent, Trial
from sclerotui.pathways import PathwayPosition, position, response_mix
from sclerotui.plot import MeasureGroup, bounds, measure_groups, render
from sclerotui.store import Store
from sclerotui.text import counted, one_line
from sclerotui.vocabulary import TYPE_SHORT

MAX_COMPARED = 4


@dataclass
class Column:
    therapy: Therapy
    trials: list[Trial]
    cases: int
    responses: dict[str, int]
    position: PathwayPosition
    groups: list[MeasureGroup] = field(default_factory=list)  # one series per trial arm

    @property
    def safety(self) -> list[tuple[str, str]]:
        return [(t.acronym or t.name, t.safety) for t in self.trials if t.safety]


def gather(store: Store, therapy_ids: list[str]) -> list[Column]:
    columns = []
    for therapy_id in therapy_ids[:MAX_COMPARED]:
        therapy = store.therapy(therapy_id)
        if therapy is None:
            continue
        # Counted, not taken from a window of the evidence list: that held 200 rows, so a
        # therapy with thousands of cases was shown with 200 beside its full response mix.
        trial_count, cases = lists.evidence_counts(store, therapy_id)
        evidence = lists.evidence(store, therapy_id, limit=trial_count) if trial_count else []
        trials = [store.trial(i.id) for i in evidence if i.kind == "trial"]
        trials = [t for t in trials if t is not None]
        columns.append(
            Column(
                therapy,
                trials,
                cases,
                response_mix(store, therapy_id),
                position(store, therapy_id),
                _therapy_groups(store, therapy_id, trials),
            )
        )
    return columns


def _therapy_groups(store: Store, therapy_id: str, trials: list[Trial]) -> list[MeasureGroup]:
    """The outcome measures of the arms that received this therapy, a series per arm."""
    events: list[TimelineEvent] = []
    names: dict[str, str] = {}
    for trial in trials:
        arms = {a.id for a in trial.arms if a.therapy == therapy_id}
        label = trial.acronym or trial.name
        for event in store.events("trial", trial.id):
            if event.arm in arms:
                # Arm ids repeat across trials ("placebo"): key series by trial and arm.
                key = f"{trial.id}/{event.arm}"
                names[key] = label
                events.append(event.model_copy(update={"arm": key}))
    return measure_groups(events, names)


def shared_scales(
    columns: list[Column],
) -> dict[tuple[str, str], tuple[float, float, float, float]]:
    """One scale per (measure, statistic) over every column that has it."""
    scales: dict[tuple[str, str], tuple[float, float, float, float]] = {}
    for column in columns:
        for group in column.groups:
            key = (group.measure, group.statistic)
            low, high, first, last = bounds(group.series)
            if key in scales:
                a, b, c, d = scales[key]
                low, high, first, last = min(a, low), max(b, high), min(c, first), max(d, last)
            scales[key] = (low, high, first, last)
    return scales


def measures(columns: list[Column]) -> list[tuple[str, str]]:
    """Every (measure, statistic) any column has, in first-seen order."""
    return list(dict.fromkeys((g.measure, g.statistic) for c in columns for g in c.groups))


def trial_line(trial: Trial) -> str:
    kind = TYPE_SHORT.get(trial.evidence_type.value, trial.evidence_type.value)
    size = f" n={trial.n:,}" if trial.n is not None else ""
    status = "" if trial.verified else " [primary result unverified]"
    return one_line(f"{trial.acronym or trial.name} ({kind}{size}){status}")


def to_markdown(columns: list[Column], names: dict[str, str]) -> str:
    """The comparison as a report section: a table per aspect, plots on a shared scale.
    Record text is escaped (export.markdown_text): it renders as that text, never as markup."""
    from sclerotui.export import markdown_text

    heads = [markdown_text(c.therapy.name) for c in columns]
    lines = [
        "# Therapy comparison: " + " vs ".join(heads),
        "",
        "_From sclerotui. Figures marked unverified were not verified in a stored source._",
        "",
        "| | " + " | ".join(heads) + " |",
        "|---|" + "---|" * len(columns),
    ]

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("Class", [c.therapy.therapy_class.value for c in columns])
    row("Mechanism", [markdown_text(c.therapy.mechanism) for c in columns])
    row(
        "Trials",
        ["<br>".join(markdown_text(trial_line(t)) for t in c.trials) or "none" for c in columns],
    )
    row(
        "Primary endpoints and results",
        [
            "<br>".join(
                f"{markdown_text(t.acronym or t.name)}: {markdown_text(t.primary_endpoint or '—')} "
                f"→ {markdown_text(t.results)}"
                for t in c.trials
            )
            or "—"
            for c in columns
        ],
    )
    row(
        "Safety",
        [
            "<br>".join(f"{markdown_text(n)}: {markdown_text(s)}" for n, s in c.safety)
            or "not reported"
            for c in columns
        ],
    )
    row(
        "Cases",
        [
            f"{c.cases}"
            + (
                ": " + ", ".join(f"{r} {n}" for r, n in sorted(c.responses.items()))
                if c.responses
                else ""
            )
            for c in columns
        ],
    )
    row(
        "In pathways",
        [
            f"given after a failure in {counted(c.position.used_after_failure, 'case')} "
            f"({c.position.responded_after_failure} responded); failed then followed by another "
            f"therapy in {c.position.failed_then_other}"
            for c in columns
        ],
    )
    lines.append("")
    scales = shared_scales(columns)
    for key in measures(columns):
        measure, statistic = key
        lines += [f"## {measure} ({statistic}), same scale in every column", ""]
        for column in columns:
            group = next((g for g in column.groups if (g.measure, g.statistic) == key), None)
            lines.append(
                f"**{markdown_text(column.therapy.name)}**"
                + (" (includes unverified values)" if group and group.unverified else "")
            )
            if group is None:
                lines += ["", "no values", ""]
                continue
            plot = render(group.series, width=60, height=6, scale=scales[key])
            legend = "; ".join(
                f"{markdown_text(s.name)}: "
                + ", ".join(
                    f"w{w:g} {v:g}" for w, v in (s.points[1:] if s.implicit_baseline else s.points)
                )
                for s in group.series
            )
            lines += ["", "```", *plot.lines, "```", legend, ""]
    return "\n".join(lines) + "\n"
