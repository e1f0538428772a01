"""The results section as findings: posted outcome values per arm, between-group analyses,
baseline values, serious adverse events, and the timeline events of the measures we chart.

`build_findings` maps a study's results (or their absence) to the result fields of its Trial
record and its measurement events; results groups are matched to the protocol's arms by title.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from sclerotui.importers.patterns import PARAM_TYPES
from sclerotui.importers.registry.effects import analysis_finding, effect
from sclerotui.importers.registry.models import (
    Baseline,
    Group,
    OutcomeMeasure,
    ParticipantFlow,
    Results,
)
from sclerotui.importers.registry.protocol import Arm
from sclerotui.importers.registry.reading import (
    StudyLog,
    clean,
    measure_of,
    norm,
    number,
    parse_time_frame,
    shorten,
    whole,
)
from sclerotui.models import TimelineEvent, describe_validation_error

OUTCOMES_AT = "resultsSection.outcomeMeasuresModule.outcomeMeasures"
BASELINE_AT = "resultsSection.baselineCharacteristicsModule"


@dataclass
class ResultGroup:
    """A results group (OG000…) and the arm it was matched to, if any."""

    title: str
    arm: str | None


@dataclass
class Row:
    """One posted value of an outcome measure, as the summary and the analyses read it."""

    group: ResultGroup
    value: float | None
    lower: str | None
    upper: str | None
    spread: str | None
    title: str  # the class and category it is under ("Week 52 — Female"), or ""


@dataclass
class Findings:
    """A trial's result fields and its measurement events."""

    findings: list[dict] = field(default_factory=list)
    events: list[TimelineEvent] = field(default_factory=list)
    summary: str = "No results posted in the registry record."
    primary_posted: bool = False
    safety: str = "not reported in the imported record"

    def record(self) -> dict:
        return {
            "results": self.summary,
            "findings": self.findings,
            "safety": self.safety,
            "verified": self.primary_posted,
        }


def flow_counts(results: Results | None) -> dict[str, int]:
    """Participants who started each arm (first period of the participant flow), by the
    normalised group title."""
    if results is None:
        return {}
    flow: ParticipantFlow = results.participantFlowModule
    titles = {group.id: group.title for group in flow.groups if group.id and group.title}
    if not flow.periods:
        return {}
    counts: dict[str, int] = {}
    for milestone in flow.periods[0].milestones:
        if (milestone.type or "").upper() not in ("STARTED", "STARTED_"):
            continue
        for achievement in milestone.achievements:
            value = whole(achievement.numSubjects)
            title = titles.get(achievement.groupId)
            if title and value is not None:
                counts[norm(title)] = value
    return counts


def build_findings(
    results: Results | None, trial_id: str, arms: dict[str, Arm], log: StudyLog
) -> Findings:
    found = Findings()
    if results is None:
        return found
    measures = results.outcomeMeasuresModule.outcomeMeasures
    unmatched: list[str] = []
    summaries: list[str] = []
    for index, outcome in enumerate(measures):
        groups = match_groups(outcome.groups, arms, unmatched)
        rows = outcome_rows(outcome, index, groups, trial_id, found, log)
        if (outcome.type or "").upper() == "PRIMARY" and rows:
            found.primary_posted = True
            summaries.append(summary(outcome, rows))
    if results.baselineCharacteristicsModule is not None:
        baseline(results.baselineCharacteristicsModule, trial_id, arms, unmatched, found, log)
    for title in unmatched:
        log.note(
            f"{log.nct}: results group '{title}' matches no arm label; its figures are "
            "kept without an arm (group named in the finding text)"
        )
    if summaries:
        found.summary = "Registry posted results (primary outcomes): " + " ".join(summaries)
    elif measures:
        found.summary = "Results posted in the registry record, but no primary outcome data."
    else:
        found.summary = "Results section present in the registry record without outcome measures."
    found.safety = safety(results) or found.safety
    return found


def match_groups(
    groups: list[Group], arms: dict[str, Arm], unmatched: list[str]
) -> dict[str, ResultGroup]:
    """Results groups by id, each matched to the arm of the same title (or to none)."""
    matched: dict[str, ResultGroup] = {}
    for group in groups:
        if group.id is None:
            continue
        title = group.title or group.id
        arm = arms.get(norm(title))
        if arm is None and title not in unmatched and norm(title) != "total":
            unmatched.append(title)
        matched[group.id] = ResultGroup(title=title, arm=arm.id if arm else None)
    return matched


def outcome_rows(
    outcome: OutcomeMeasure,
    index: int,
    groups: dict[str, ResultGroup],
    trial_id: str,
    found: Findings,
    log: StudyLog,
) -> list[Row]:
    """Findings (and chartable events) for each measurement of one outcome measure."""
    outcome_at = f"{OUTCOMES_AT}[{index}]"
    title = outcome.title or f"outcome measure {index + 1}"
    unit, param, dispersion = outcome.unitOfMeasure, outcome.paramType, outcome.dispersionType
    is_primary = (outcome.type or "").upper() == "PRIMARY"
    measure, statistic = measure_of(title, unit, param)
    cells = []
    for class_index, klass in enumerate(outcome.classes):
        for category_index, category in enumerate(klass.categories):
            category_at = f"{outcome_at}.classes[{class_index}].categories[{category_index}]"
            for cell_index, cell in enumerate(category.measurements):
                cell_at = f"{category_at}.measurements[{cell_index}]"
                cells.append(
                    (class_index, category_index, klass.title, category.title, cell, cell_at)
                )
    rows_per_group: dict[str | None, int] = {}
    for *_, cell, _ in cells:
        rows_per_group[cell.groupId] = rows_per_group.get(cell.groupId, 0) + 1
    several = any(count > 1 for count in rows_per_group.values())
    rows = []
    for class_index, category_index, class_title, category_title, cell, cell_at in cells:
        group = groups.get(cell.groupId or "")
        if group is None:
            log.problem(
                f"{cell_at}.groupId", f"{cell.groupId!r} is not one of this measure's groups"
            )
            continue
        value = number(cell.value)
        week = parse_time_frame(class_title) if class_title else None
        if week is None:
            week = parse_time_frame(outcome.timeFrame)
        row_title = " — ".join(t for t in (class_title, category_title) if t)
        lower, upper, spread = cell.lowerLimit, cell.upperLimit, cell.spread
        words = [title + (f" ({row_title})" if row_title else "")]
        if param:
            words.append(PARAM_TYPES.get(param, param.replace("_", " ").lower()))
        if value is None:
            shown = "not given" if cell.value in (None, "") else repr(cell.value)
            words.append(f"value {shown}")
        interval = None
        if dispersion and spread:
            words.append(f"{dispersion.replace('_', ' ').lower()} {spread}")
        if lower and upper:
            if dispersion and "confidence" in dispersion.lower():
                interval = f"{lower} to {upper}"
            else:
                label = (dispersion or "range").replace("_", " ").lower()
                words.append(f"{label} {lower} to {upper}")
        if group.arm is None:
            words.append(f"group '{group.title}'")
        if cell.comment:
            words.append(cell.comment)
        found.findings.append(
            {
                "measure": measure or title,
                "arm": group.arm,
                "timepoint_weeks": week,
                "value": value,
                "unit": unit,
                "ci": interval,
                "text": "; ".join(words),
                "primary": is_primary,
                "source": log.source_id,
                "verified": True,
                "note": "registry posted results",
            }
        )
        rows.append(Row(group, value, lower, upper, spread, row_title))
        if measure and group.arm and value is not None and week is not None and statistic:
            event_id = f"{trial_id}-om{index + 1}-{group.arm}"
            if several:
                event_id += f"-r{class_index + 1}-{category_index + 1}"
            note = title + (f" ({row_title})" if row_title else "")
            add_event(
                cell_at,
                {
                    "id": event_id,
                    "trial": trial_id,
                    "arm": group.arm,
                    "week": week,
                    "kind": "measurement",
                    "measure": measure,
                    "statistic": statistic,
                    "value": value,
                    "unit": unit,
                    "note": shorten(note, 300),
                    "source": log.source_id,
                    "verified": True,
                },
                found,
                log,
            )
    counts = denominators(outcome)
    for analysis_index, analysis in enumerate(outcome.analyses):
        analysis_at = f"{outcome_at}.analyses[{analysis_index}]"
        finding = analysis_finding(analysis, groups, title)
        if finding:
            finding |= {
                "measure": measure or title,
                "timepoint_weeks": parse_time_frame(outcome.timeFrame),
                "unit": unit,
                "primary": is_primary,
                "source": log.source_id,
            }
            finding |= effect(analysis, analysis_at, groups, rows, counts, finding, log)
            found.findings.append(finding)
    return rows


def denominators(outcome: OutcomeMeasure) -> dict[str, int]:
    """Participants analysed per group (the outcome's denoms in units of participants)."""
    counts: dict[str, int] = {}
    for denominator in outcome.denoms:
        if norm(denominator.units or "") != "participants":
            continue
        for count in denominator.counts:
            value = whole(count.value)
            if count.groupId and value is not None:
                counts[count.groupId] = value
    return counts


def summary(outcome: OutcomeMeasure, rows: list[Row]) -> str:
    title = outcome.title or "primary outcome"
    bits = [
        outcome.timeFrame,
        PARAM_TYPES.get(outcome.paramType or ""),
        outcome.unitOfMeasure,
    ]
    head = title + (f" ({', '.join(b for b in bits if b)})" if any(bits) else "")
    parts = []
    for row in rows:
        shown = f"{row.value:g}" if row.value is not None else "not given"
        if row.spread:
            shown += f" ± {row.spread}"
        elif row.lower and row.upper:
            shown += f" ({row.lower} to {row.upper})"
        prefix = f"{row.title}: " if row.title else ""
        parts.append(f"{prefix}{row.group.title} {shown}")
    text = f"{head}: {'; '.join(parts)}"
    p_values = [analysis.pValue for analysis in outcome.analyses if analysis.pValue]
    if p_values:
        text += f"; p={p_values[0]}"
    return text + "."


def baseline(
    module: Baseline,
    trial_id: str,
    arms: dict[str, Arm],
    unmatched: list[str],
    found: Findings,
    log: StudyLog,
) -> None:
    """Baseline values of our measures (week 0) from the baseline characteristics table."""
    groups = match_groups(module.groups, arms, unmatched)
    for index, characteristic in enumerate(module.measures):
        title = characteristic.title or ""
        unit = characteristic.unitOfMeasure
        measure, statistic = measure_of(title, unit, characteristic.paramType)
        if measure is None or statistic is None:
            continue
        for class_index, klass in enumerate(characteristic.classes):
            for category_index, category in enumerate(klass.categories):
                for cell_index, cell in enumerate(category.measurements):
                    group = groups.get(cell.groupId or "")
                    value = number(cell.value)
                    if group is None or group.arm is None or value is None:
                        continue
                    found.findings.append(
                        {
                            "measure": measure,
                            "arm": group.arm,
                            "timepoint_weeks": 0,
                            "value": value,
                            "unit": unit,
                            "text": f"Baseline: {title}",
                            "source": log.source_id,
                            "verified": True,
                            "note": "registry posted results (baseline characteristics)",
                        }
                    )
                    first = (class_index, category_index) == (0, 0)
                    suffix = "" if first else f"-r{class_index + 1}-{category_index + 1}"
                    add_event(
                        f"{BASELINE_AT}.measures[{index}].classes[{class_index}]"
                        f".categories[{category_index}].measurements[{cell_index}]",
                        {
                            "id": f"{trial_id}-bl{index + 1}-{group.arm}{suffix}",
                            "trial": trial_id,
                            "arm": group.arm,
                            "week": 0,
                            "kind": "measurement",
                            "measure": measure,
                            "statistic": "value" if statistic == "change" else statistic,
                            "value": value,
                            "unit": unit,
                            "note": shorten(f"Baseline: {title}", 300),
                            "source": log.source_id,
                            "verified": True,
                        },
                        found,
                        log,
                    )


def add_event(path: str, record: dict, found: Findings, log: StudyLog) -> None:
    """Validate one event with the models' own rules (ranges), reporting where it came from."""
    base, suffix = record["id"], 2
    while record["id"] in log.event_ids:  # two results groups matched to one arm
        record["id"], suffix = f"{base}-{suffix}", suffix + 1
    log.event_ids.add(record["id"])
    try:
        found.events.append(TimelineEvent.model_validate(record))
    except ValidationError as error:
        label = f"{log.where}: {log.record}: {path} (event {record['id']})"
        for line in describe_validation_error(error, label):
            log.problems.append(line.replace(": (record): ", ": ", 1))


def safety(results: Results) -> str | None:
    module = results.adverseEventsModule
    if module is None or not module.model_fields_set:
        return None
    parts = []
    for group in module.eventGroups:
        affected = number(group.seriousNumAffected)
        at_risk = number(group.seriousNumAtRisk)
        if group.title is None or affected is None:
            continue
        share = f"{affected:g}/{at_risk:g}" if at_risk else f"{affected:g}"
        if at_risk:
            share += f" ({100 * affected / at_risk:.1f}%)"
        deaths = number(group.deathsNumAffected)
        if deaths is not None:
            share += f", deaths {deaths:g}"
        parts.append(f"{clean(group.title)} {share}")
    if not parts:
        return "Adverse-event tables posted in the registry record (no group counts)."
    when = f" ({shorten(module.timeFrame, 80)})" if module.timeFrame else ""
    return f"Participants with serious adverse events{when}: " + "; ".join(parts) + "."
