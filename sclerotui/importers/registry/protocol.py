"""The protocol section as a trial: what was studied, in whom, how, and in which arms.

`build_trial` maps the registry's protocol modules to the fields of a Trial record (all but
its results) and its arms, matching interventions to the database's therapies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sclerotui.importers.patterns import (
    ALLOCATION,
    DOSE_RE,
    EXCLUSION_RE,
    LOCALISED_RE,
    MASKING,
    MODELS,
    NO_THERAPY_RE,
    ORGAN_PATTERNS,
    PLACEBO_RE,
    SSC_RE,
    SUBTYPE_PATTERNS,
    TYPE_PREFIX_RE,
)
from sclerotui.importers.registry.models import (
    ArmsInterventions,
    Design,
    Eligibility,
    PlannedOutcome,
    Protocol,
    Status,
)
from sclerotui.importers.registry.reading import (
    StudyLog,
    detect,
    norm,
    parse_time_frame,
    registry_years,
    shorten,
    slug,
)
from sclerotui.models import Therapy, TimelineEvent

ARMS_AT = "protocolSection.armsInterventionsModule"


class TherapyMatcher:
    """Whole-word, case-insensitive matching of intervention names to our therapies."""

    def __init__(self, therapies: list[Therapy]):
        self.patterns: list[tuple[str, re.Pattern[str]]] = []
        for therapy in therapies:
            terms = {norm(term) for term in [therapy.id, therapy.name, *therapy.aliases]}
            alternatives = "|".join(
                re.escape(term) for term in sorted(terms, key=len, reverse=True) if term
            )
            pattern = re.compile(rf"(?<![0-9a-z])(?:{alternatives})(?![0-9a-z])")
            self.patterns.append((therapy.id, pattern))

    def match(self, names: list[str]) -> list[str]:
        found: list[str] = []
        for name in names:
            text = norm(name)
            for therapy_id, pattern in self.patterns:
                if pattern.search(text) and therapy_id not in found:
                    found.append(therapy_id)
        return found


@dataclass
class Intervention:
    name: str
    kind: str
    other_names: list[str]
    arm_labels: list[str]
    therapies: list[str] = field(default_factory=list)

    @property
    def no_therapy(self) -> bool:
        return bool(NO_THERAPY_RE.search(" ".join([self.name, *self.other_names])))


@dataclass
class Arm:
    id: str
    name: str
    therapy: str | None
    intervention: str
    dose: str | None
    n: int | None
    interventions: list[Intervention]  # those given in this arm

    def record(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "therapy": self.therapy,
            "intervention": self.intervention,
            "dose": self.dose,
            "n": self.n,
        }


@dataclass
class TrialDraft:
    """A trial's fields from its protocol; the results builder adds the rest."""

    record: dict
    arms: dict[str, Arm]  # by normalised label, which results groups are matched to
    unmatched: str | None = None  # why the study is left out (skip_unmatched)


def about_systemic_sclerosis(protocol: Protocol) -> bool:
    ident, conditions = protocol.identificationModule, protocol.conditionsModule
    about = " ".join(
        [
            *conditions.conditions,
            *conditions.keywords,
            ident.briefTitle or "",
            ident.officialTitle or "",
            ident.acronym or "",
        ]
    )
    return bool(SSC_RE.search(LOCALISED_RE.sub(" ", about)))


def build_trial(
    protocol: Protocol,
    trial_id: str,
    log: StudyLog,
    matcher: TherapyMatcher,
    flow_counts: dict[str, int],
    skip_unmatched: bool,
) -> TrialDraft:
    ident = protocol.identificationModule
    brief, official, acronym = ident.briefTitle, ident.officialTitle, ident.acronym
    if not (brief or official):
        log.problem(
            "protocolSection.identificationModule.briefTitle",
            "missing (and no officialTitle either)",
        )
    conditions = protocol.conditionsModule.conditions
    keywords = protocol.conditionsModule.keywords
    criteria = protocol.eligibilityModule.eligibilityCriteria or ""
    inclusion = EXCLUSION_RE.split(criteria, maxsplit=1)[0]
    primary = protocol.outcomesModule.primaryOutcomes
    primary_text = " ".join(f"{o.measure or ''} {o.description or ''}" for o in primary)
    titles = " ".join([brief or "", official or ""])
    subtype_text = " ".join([*conditions, *keywords, titles, inclusion])
    organ_text = " ".join([*conditions, *keywords, titles, primary_text])

    interventions = read_interventions(protocol.armsInterventionsModule, matcher, log)
    arms = read_arms(protocol.armsInterventionsModule, interventions, matcher, flow_counts, log)
    therapy_ids: list[str] = []
    for intervention in interventions:
        therapy_ids += [t for t in intervention.therapies if t not in therapy_ids]
    unmatched = None
    if not therapy_ids:
        shown = ", ".join(f"'{i.name}'" for i in interventions) or "none listed"
        unmatched = f"no intervention matches a therapy in the database (interventions: {shown})"
        if not skip_unmatched:
            log.problem(
                f"{ARMS_AT}.interventions",
                f"{unmatched}; a trial must belong to at least one therapy: add the therapy "
                "first (or an alias for it), then import this study; or import with "
                "--skip-unmatched to leave such studies out",
            )
            unmatched = None
    else:
        note_unknown(interventions, arms, log)

    design = protocol.designModule
    record = {
        "id": trial_id,
        "name": f"{acronym} ({brief or official})" if acronym else (brief or official),
        "acronym": acronym,
        "registry_id": log.nct,
        "year": start_year(protocol.statusModule),
        "design": design_summary(design, protocol.statusModule),
        "evidence_type": evidence_type(design),
        "phase": phase(design),
        "n": design.enrollmentInfo.count,
        "population": population(conditions, protocol.eligibilityModule),
        "eligibility": eligibility(protocol.eligibilityModule, log.source_id),
        "subtypes": detect(SUBTYPE_PATTERNS, subtype_text),
        "organs": detect(ORGAN_PATTERNS, organ_text),
        "therapies": therapy_ids,
        "arms": [arm.record() for arm in arms.values()],
        "duration_weeks": duration(primary),
        "primary_endpoint": primary_endpoint(primary),
        "sources": [log.source_id],
    }
    return TrialDraft(record, arms, unmatched)


def start_year(status: Status) -> int | None:
    date = status.startDateStruct.date  # yyyy, yyyy-MM or yyyy-MM-dd (the model checks)
    return int(date[:4]) if date else None


def evidence_type(design: Design) -> str:
    """Randomised, observational, or another interventional study: one the record does not
    call randomised (non-randomised, single-group, or with no allocation field)."""
    if design.designInfo.allocation == "RANDOMIZED":
        return "rct"
    if (design.studyType or "").upper() == "INTERVENTIONAL":
        return "interventional"
    return "observational"


def phase(design: Design) -> str | None:
    numbers = []
    for listed in design.phases:
        for part in listed.upper().split("/"):
            part = part.strip()
            if part in ("NA", "N/A", ""):
                continue
            if part == "EARLY_PHASE1":
                numbers.append("early 1")
            elif re.fullmatch(r"PHASE\s*([1-4])", part):
                numbers.append(part[-1])
            else:
                numbers.append(part.lower())
    return "/".join(dict.fromkeys(numbers)) or None


def design_summary(design: Design, status: Status) -> str:
    study_type = (design.studyType or "study").replace("_", " ").lower()
    info = design.designInfo
    parts = []
    if info.allocation in ALLOCATION:
        parts.append(ALLOCATION[info.allocation])
    model = info.interventionModel or info.observationalModel
    if model:
        parts.append(MODELS.get(model, model.replace("_", " ").lower()))
    masking = info.maskingInfo.masking
    if masking:
        parts.append(MASKING.get(masking, masking.replace("_", " ").lower()))
    if info.allocation is None and study_type == "interventional":
        parts.insert(0, "allocation not stated")
    # The phase is the trial's own field, shown beside the design wherever it is shown.
    summary = study_type.capitalize() + (": " + ", ".join(parts) if parts else "")
    enrollment = design.enrollmentInfo
    if enrollment.count is not None:
        summary += f"; enrolment {enrollment.count}"
        if enrollment.type:
            summary += f" ({enrollment.type.lower()})"
    if status.overallStatus:
        summary += f"; status {status.overallStatus.replace('_', ' ').lower()}"
    start, completion = status.startDateStruct.date, status.completionDateStruct.date
    if start and completion:
        summary += f"; {start} to {completion}"
    elif start:
        summary += f"; started {start}"
    return summary + " (ClinicalTrials.gov record)"


def population(conditions: list[str], eligibility: Eligibility) -> str:
    parts = []
    if conditions:
        parts.append("Conditions: " + "; ".join(conditions) + ".")
    youngest, oldest = eligibility.minimumAge, eligibility.maximumAge
    if youngest and oldest:
        parts.append(f"Ages {youngest} to {oldest}.")
    elif youngest:
        parts.append(f"Ages {youngest} and over.")
    elif oldest:
        parts.append(f"Ages up to {oldest}.")
    if eligibility.eligibilityCriteria:
        parts.append("Eligibility (registry): " + shorten(eligibility.eligibilityCriteria, 600))
    return " ".join(parts) or "Not described in the registry record."


def eligibility(module: Eligibility, source_id: str) -> dict | None:
    """What the registry's eligibility module states in fields (ages, sex), with its criteria
    text kept whole; criteria only in the text are left not stated."""
    ages = [registry_years(module.minimumAge), registry_years(module.maximumAge)]
    sex = {"ALL": "all", "FEMALE": "female", "MALE": "male"}.get((module.sex or "").upper())
    criteria = module.eligibilityCriteria
    if ages == [None, None] and sex is None and not criteria:
        return None
    found: dict = {
        "source": source_id,
        "verified": True,
        "note": "ages and sex from the registry's eligibility fields; the criteria text "
        "is kept as the registry gives it, and what it says is not read into fields",
    }
    if ages != [None, None]:
        found["age"] = {"min": ages[0], "max": ages[1]}
    if sex:
        found["sex"] = sex
    if criteria:
        found["criteria_text"] = criteria
    return found


def primary_endpoint(primary: list[PlannedOutcome]) -> str | None:
    texts = []
    for outcome in primary:
        if outcome.measure:
            time_frame = outcome.timeFrame
            texts.append(f"{outcome.measure} ({time_frame})" if time_frame else outcome.measure)
    return "; ".join(texts) or None


def duration(primary: list[PlannedOutcome]) -> float | None:
    weeks = [parse_time_frame(outcome.timeFrame) for outcome in primary]
    weeks = [week for week in weeks if week]
    return max(weeks) if weeks else None


# -- arms and interventions ------------------------------------------------------------------


def read_interventions(
    module: ArmsInterventions, matcher: TherapyMatcher, log: StudyLog
) -> list[Intervention]:
    """The interventions with the therapies they are (a placebo is none)."""
    interventions = []
    for index, item in enumerate(module.interventions):
        if item.name is None:
            if item.given:
                log.problem(f"{ARMS_AT}.interventions[{index}].name", "missing")
            continue
        intervention = Intervention(
            name=item.name,
            kind=(item.type or "").upper(),
            other_names=item.otherNames,
            arm_labels=item.armGroupLabels,
        )
        if not PLACEBO_RE.search(item.name):
            intervention.therapies = matcher.match([item.name, *item.otherNames])
        interventions.append(intervention)
    return interventions


def read_arms(
    module: ArmsInterventions,
    interventions: list[Intervention],
    matcher: TherapyMatcher,
    flow_counts: dict[str, int],
    log: StudyLog,
) -> dict[str, Arm]:
    """Arms keyed by normalised label, each with the therapy it gives (the first, when an
    arm combines several) and the participants who started it (the results' flow)."""
    by_name = {norm(i.name): i for i in interventions}
    arms: dict[str, Arm] = {}
    used_ids: set[str] = set()
    for index, group in enumerate(module.armGroups):
        group_at = f"{ARMS_AT}.armGroups[{index}]"
        label = group.label
        if label is None:
            if group.given:
                log.problem(f"{group_at}.label", "missing")
            continue
        key = norm(label)
        if key in arms:
            log.problem(f"{group_at}.label", f"{label!r} names two arms")
            continue
        names = [TYPE_PREFIX_RE.sub("", name) for name in group.interventionNames]
        linked = [by_name[norm(name)] for name in names if norm(name) in by_name]
        linked += [i for i in interventions if key in map(norm, i.arm_labels) and i not in linked]
        therapy_ids: list[str] = []
        for intervention in linked:
            therapy_ids += [t for t in intervention.therapies if t not in therapy_ids]
        if not therapy_ids and not linked and not PLACEBO_RE.search(label):
            # No intervention linked: the arm label itself may name the drug.
            therapy_ids = matcher.match([label])
        base = slug(label, 24) or f"arm-{index + 1}"
        arm_id, suffix = base, 2
        while arm_id in used_ids:
            arm_id, suffix = f"{base}-{suffix}", suffix + 1
        used_ids.add(arm_id)
        description = group.description
        intervention_text = "; ".join(i.name for i in linked) or "; ".join(names)
        if len(therapy_ids) > 1:
            log.note(
                f"{log.nct}: arm '{label}' combines {', '.join(therapy_ids)}; "
                f"recorded under {therapy_ids[0]}"
            )
        arms[key] = Arm(
            id=arm_id,
            name=label,
            therapy=therapy_ids[0] if therapy_ids else None,
            intervention=intervention_text or description or label,
            dose=shorten(description, 300) if description and DOSE_RE.search(description) else None,
            n=flow_counts.get(key),
            interventions=linked,
        )
    return arms


def note_unknown(interventions: list[Intervention], arms: dict[str, Arm], log: StudyLog) -> None:
    for intervention in interventions:
        if intervention.therapies or intervention.no_therapy:
            continue
        receiving = [arm for arm in arms.values() if intervention in arm.interventions]
        if not receiving:
            where = "it is given to no arm"
        else:
            where = "; ".join(
                f"arm '{arm.name}' recorded under {arm.therapy}"
                if arm.therapy
                else f"arm '{arm.name}' kept without a therapy"
                for arm in receiving
            )
        log.note(
            f"{log.nct}: intervention '{intervention.name}' matches no therapy in the "
            f"database; {where}"
        )


def start_events(trial_id: str, arms: dict[str, Arm]) -> list[TimelineEvent]:
    return [
        TimelineEvent(
            id=f"{trial_id}-{arm.id}-start",
            trial=trial_id,
            arm=arm.id,
            week=0,
            kind="therapy-start",
            therapy=arm.therapy,
            note=arm.intervention,
        )
        for arm in arms.values()
    ]
