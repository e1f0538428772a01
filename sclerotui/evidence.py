"""Weighing the evidence: trial comparisons lined up per outcome (a forest plot) and per
therapy (a summary of findings). Pure data layer, no Textual: the screens ask and draw.

Only figures a source states are shown: a finding's estimate and interval as stored. Nothing
is pooled: trials differ in population, measure and timepoint, and a pooled estimate would
claim more than the data can carry. Certainty of evidence is "not assessed" (no bundled
source grades it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sclerotui.facets import NO_CRITERIA, Criteria, criteria_sql
from sclerotui.store import Store
from sclerotui.text import counted
from sclerotui.vocabulary import RATIO_SCALES, SCALE_SHORT, EffectScale, no_effect

NO_POOLING = (
    "No pooled estimate: the trials differ in population, measure and timepoint, and a pooled "
    "diamond would claim more than the data can carry."
)
CERTAINTY = "not assessed"  # no bundled source grades the certainty of the evidence
MAX_OUTCOMES = 7  # a summary-of-findings table keeps to the main outcomes, as Cochrane's do


@dataclass(frozen=True)
class Window:
    """A timepoint window, in weeks from baseline; None bounds are open."""

    label: str
    low: float | None = None
    high: float | None = None

    def holds(self, weeks: float | None) -> bool:
        if self.low is None and self.high is None:
            return True
        if weeks is None:
            return False
        return (self.low is None or weeks >= self.low) and (self.high is None or weeks <= self.high)


WINDOWS = (
    Window("all timepoints"),
    Window("up to 26 weeks", None, 26),
    Window("about 52 weeks (40–64)", 40, 64),
    Window("after 64 weeks", 64.01, None),
)


@dataclass(frozen=True)
class Outcome:
    """What a forest plot lines up: one measure on one scale (one axis)."""

    measure: str
    scale: EffectScale
    unit: str | None
    comparisons: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.measure, self.scale.value)

    @property
    def label(self) -> str:
        unit = f", {self.unit}" if self.unit and self.scale not in RATIO_SCALES else ""
        return f"{self.measure} — {SCALE_SHORT[self.scale]}{unit}"


@dataclass(frozen=True)
class Comparison:
    """One row of a forest plot: a trial's comparison, with its numbers as stored."""

    trial_id: str
    trial_name: str
    finding_index: int
    measure: str
    scale: EffectScale
    unit: str | None
    intervention: str
    comparator: str
    n_intervention: int | None
    n_comparator: int | None
    estimate: float
    ci_low: float | None
    ci_high: float | None
    ci_level: float | None
    favours: str | None
    weeks: float | None
    subgroup: str | None
    verified: bool
    source: str
    note: str | None
    therapies: tuple[str, ...]  # of the intervention arm
    in_filters: bool | None = None  # None: no filters active

    @property
    def no_effect(self) -> float:
        return no_effect(self.scale)

    @property
    def ratio(self) -> bool:
        return self.scale in RATIO_SCALES

    @property
    def arms(self) -> str:
        return f"{self.intervention} vs {self.comparator}"

    @property
    def n(self) -> str:
        if self.n_intervention is None and self.n_comparator is None:
            return "n not stated"

        def one(n):
            return "?" if n is None else f"{n:,}"

        return f"n={one(self.n_intervention)}/{one(self.n_comparator)}"

    @property
    def numbers(self) -> str:
        """The estimate and its interval as the source gives them, e.g. "OR 0.65 (95% CI 0.44
        to 0.96)"; an unstated level is said, an unstated bound is a "?"."""
        name = "" if self.scale is EffectScale.DIFFERENCE else f"{SCALE_SHORT[self.scale]} "
        text = f"{name}{number(self.estimate)}"
        if self.ci_low is None and self.ci_high is None:
            return f"{text} (no interval given)"
        low = "?" if self.ci_low is None else number(self.ci_low)
        high = "?" if self.ci_high is None else number(self.ci_high)
        if self.ci_level is None:
            return f"{text} (CI {low} to {high}, level not stated)"
        return f"{text} ({self.ci_level:g}% CI {low} to {high})"

    @property
    def mark(self) -> str:
        return "verified" if self.verified else "UNVERIFIED"

    @property
    def when(self) -> str:
        return "timepoint not stated" if self.weeks is None else f"week {self.weeks:g}"


def number(value: float) -> str:
    """A figure as written: the source's digits (3.55, not 3.5500), a true minus sign."""
    return f"{value:g}".replace("-", "−")


def _comparisons(store: Store, trial_ids: list[str] | None = None) -> list[Comparison]:
    """Every comparison with numbers, from trials' stored records (in name order)."""

    where, args = "", []
    if trial_ids is not None:
        if not trial_ids:
            return []
        where = f"AND t.id IN ({','.join('?' * len(trial_ids))})"
        args = list(trial_ids)
    with store.lock:
        rows = store.read(
            f"""SELECT t.id, t.data FROM trials t
                WHERE EXISTS (SELECT 1 FROM json_each(t.data, '$.findings') f
                              WHERE json_extract(f.value, '$.estimate') IS NOT NULL) {where}
                ORDER BY t.name, t.id""",
            args,
        )
    found = []
    for trial_id, data in rows:
        trial = store.model("trial", trial_id, data)
        arms = {arm.id: arm for arm in trial.arms}
        for index, finding in enumerate(trial.findings):
            if finding.estimate is None or finding.scale is None:
                continue
            intervention = arms.get(finding.intervention_arm or "")
            comparator = arms.get(finding.comparator_arm or "")
            found.append(
                Comparison(
                    trial_id=trial.id,
                    trial_name=trial.acronym or trial.name,
                    finding_index=index,
                    measure=finding.measure,
                    scale=finding.scale,
                    unit=finding.unit,
                    intervention=intervention.name if intervention else "intervention",
                    comparator=comparator.name if comparator else "comparator",
                    n_intervention=finding.n_intervention,
                    n_comparator=finding.n_comparator,
                    estimate=finding.estimate,
                    ci_low=finding.ci_low,
                    ci_high=finding.ci_high,
                    ci_level=finding.ci_level,
                    favours=finding.favours.value if finding.favours else None,
                    weeks=finding.timepoint_weeks,
                    subgroup=finding.subgroup,
                    verified=finding.verified,
                    source=finding.source,
                    note=finding.note,
                    therapies=(intervention.therapy,)
                    if intervention and intervention.therapy
                    else tuple(trial.therapies),
                )
            )
    return found


def _trials_in_filters(store: Store, criteria: Criteria) -> set[str] | None:
    """The trials whose population passes the filters (those a trial carries: subtype, organ,
    evidence type), or None with no filters active."""
    kept = criteria.population("trial")
    if not kept:
        return None
    where, args = criteria_sql("trial", "t.id", kept, None)
    with store.lock:
        return {row[0] for row in store.scan(f"SELECT t.id FROM trials t WHERE 1 {where}", args)}


def outcomes(store: Store, therapy: str | None = None, trial: str | None = None) -> list[Outcome]:
    """The outcomes that have comparisons with numbers (of a therapy's or a trial's), the
    most compared first."""
    rows = _comparisons(store, [trial] if trial else None)
    if therapy is not None:
        rows = [row for row in rows if therapy in row.therapies]
    counted: dict[tuple[str, EffectScale], list[Comparison]] = {}
    for row in rows:
        counted.setdefault((row.measure, row.scale), []).append(row)
    found = [
        Outcome(measure, scale, next((r.unit for r in group if r.unit), None), len(group))
        for (measure, scale), group in counted.items()
    ]
    return sorted(found, key=lambda o: (-o.comparisons, o.measure, o.scale.value))


def forest(
    store: Store,
    outcome: Outcome,
    window: Window = WINDOWS[0],
    criteria: Criteria = NO_CRITERIA,
) -> list[Comparison]:
    """One row per trial comparison of this outcome within the window, by trial then time."""
    inside = _trials_in_filters(store, criteria)
    rows = [
        row
        for row in _comparisons(store)
        if (row.measure, row.scale) == (outcome.measure, outcome.scale) and window.holds(row.weeks)
    ]
    if inside is not None:
        rows = [_with(row, in_filters=row.trial_id in inside) for row in rows]
    return sorted(rows, key=lambda r: (r.trial_name, r.weeks if r.weeks is not None else 1e9))


def _with(row: Comparison, **changes) -> Comparison:
    from dataclasses import replace

    return replace(row, **changes)


# --- drawing an interval against the line of no effect (text; the screen styles it) ---

ESTIMATE = "■"
ESTIMATE_UNVERIFIED = "□"  # a hollow marker: readable without colour
NO_EFFECT = "│"


@dataclass(frozen=True)
class Axis:
    low: float
    high: float
    log: bool
    width: int

    def column(self, value: float) -> int:
        position = (self._t(value) - self._t(self.low)) / (self._t(self.high) - self._t(self.low))
        return max(0, min(self.width - 1, round(position * (self.width - 1))))

    def _t(self, value: float) -> float:
        return math.log(value) if self.log else value


def axis_for(rows: list[Comparison], width: int) -> Axis:
    """One axis for all rows, taking in every estimate, bound and the line of no effect."""
    log = bool(rows) and rows[0].ratio
    values = [rows[0].no_effect if rows else 0.0]
    for row in rows:
        values += [v for v in (row.estimate, row.ci_low, row.ci_high) if v is not None]
    low, high = min(values), max(values)
    if log:
        low, high = low / 1.15, high * 1.15
    else:
        pad = (high - low) * 0.06 or 1.0
        low, high = low - pad, high + pad
    return Axis(low, high, log, max(8, width))


def draw(row: Comparison, axis: Axis) -> str:
    """├──■──┤ on the axis, │ at no effect; an unstated bound ends the line in "?"."""
    cells = [" "] * axis.width
    zero = axis.column(row.no_effect)
    cells[zero] = NO_EFFECT
    at = axis.column(row.estimate)
    left = axis.column(row.ci_low) if row.ci_low is not None else None
    right = axis.column(row.ci_high) if row.ci_high is not None else None
    if left is not None or right is not None:
        start = left if left is not None else max(0, at - 2)
        end = right if right is not None else min(axis.width - 1, at + 2)
        for column in range(start, end + 1):
            cells[column] = "─" if cells[column] != NO_EFFECT else "┼"
        cells[start] = "├" if left is not None else "?"
        cells[end] = "┤" if right is not None else "?"
    cells[at] = ESTIMATE if row.verified else ESTIMATE_UNVERIFIED
    return "".join(cells)


def favours_line(rows: list[Comparison], axis: Axis) -> str:
    """Which side of the line favours the intervention, when every row agrees."""
    sides = {row.favours for row in rows}
    if len(sides) != 1 or None in sides:
        return "which side favours the intervention differs by row (see each)"
    higher = sides == {"higher"}
    left, right = ("comparator", "intervention") if higher else ("intervention", "comparator")
    return f"← favours {left} · favours {right} →"


# --- summary of findings per therapy ---


@dataclass
class SummaryRow:
    """One outcome of one therapy: the trials behind it, their effects, their range."""

    outcome: Outcome
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def studies(self) -> int:
        return len({c.trial_id for c in self.comparisons})

    @property
    def participants(self) -> str:
        """Participants in the compared arms, each arm counted once, where the source gives
        its n; says how many trials give none."""
        arms: dict[tuple[str, str], int] = {}
        missing = set()
        for c in self.comparisons:
            if c.n_intervention is None or c.n_comparator is None:
                missing.add(c.trial_id)
                continue
            arms[(c.trial_id, "i:" + c.intervention)] = c.n_intervention
            arms[(c.trial_id, "c:" + c.comparator)] = c.n_comparator
        total = sum(arms.values())
        if not arms:
            return "n not stated"
        shown = f"{total:,}"
        return (
            f"{shown} (+ {counted(len(missing), 'trial')} with n not stated)" if missing else shown
        )

    @property
    def spread(self) -> str:
        """The range of the estimates across trials (not a pooled figure)."""
        if self.studies < 2:
            return "one trial"
        values = [c.estimate for c in self.comparisons]
        return f"{number(min(values))} to {number(max(values))} across {self.studies} trials"

    @property
    def certainty(self) -> str:
        return CERTAINTY

    @property
    def traced(self) -> list[tuple[str, int]]:
        """The findings every cell of the row came from: (trial id, finding index)."""
        return [(c.trial_id, c.finding_index) for c in self.comparisons]


def summary(store: Store, therapy: str) -> tuple[list[SummaryRow], int]:
    """A therapy's summary-of-findings rows (at most MAX_OUTCOMES, the most studied first) and
    how many outcomes were left out."""
    rows: dict[tuple[str, EffectScale], SummaryRow] = {}
    for comparison in _comparisons(store):
        if therapy not in comparison.therapies:
            continue
        key = (comparison.measure, comparison.scale)
        if key not in rows:
            rows[key] = SummaryRow(Outcome(comparison.measure, comparison.scale, comparison.unit))
        rows[key].comparisons.append(comparison)
    ordered = sorted(
        rows.values(), key=lambda r: (-r.studies, -len(r.comparisons), r.outcome.measure)
    )
    return ordered[:MAX_OUTCOMES], max(0, len(ordered) - MAX_OUTCOMES)


def finding_sources(store: Store, traced: list[tuple[str, int]]) -> list[str]:
    """One line per traced finding: the trial, the finding, its source and verification."""
    lines = []
    for trial_id, index in traced:
        trial = store.record("trial", trial_id)
        if trial is None or index >= len(trial.findings):
            continue
        finding = trial.findings[index]
        source = next(iter(store.sources([finding.source])), None)
        cited = source.citation if source is not None else finding.source
        mark = "verified" if finding.verified else "UNVERIFIED"
        said = f" ({finding.effect})" if finding.effect else ""
        lines.append(
            f"{trial.acronym or trial.name} findings[{index}], {mark}: {finding.measure}{said}"
            f" — source: {cited}" + (f" — note: {finding.note}" if finding.note else "")
        )
    return lines
