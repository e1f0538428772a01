"""The vocabulary of the domain as pydantic models.

Validation here is the last line before data reaches the database, so it rejects impossible
values (an mRSS of 60, a negative n, an event before baseline) with messages that name the
record and the field. Cross-record rules (does this therapy id exist?) live in `validate_dataset`.

Every text field and list has a documented limit, far above any real record and low enough that
no record can freeze the explorer or fill its memory (a 20 MB narrative once froze it for 50 s):

- names, titles and short labels (names, titles, acronyms, phases, units, effects, CIs, p
  values, aliases, age bands, source refs): NAME_CHARS (2,000) characters each;
- mechanisms, citations, designs, endpoints, interventions, doses, finding texts and notes:
  NOTE_CHARS (10,000);
- narratives, populations, results and safety: TEXT_CHARS (100,000);
- lists: MAX_LIST (100) aliases, organs, subtypes, autoantibodies, therapies, arms or sources
  per record, and MAX_FINDINGS (5,000) findings per trial;
- times in weeks within MAX_WEEKS (5,200 weeks, 100 years) of baseline: event weeks (a case's
  may be before baseline), finding time points and trial durations.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from sclerotui.vocabulary import (  # noqa: F401 (re-exported: models is the domain's one import)
    FAILED_RESPONSES,
    MEASURE_RANGES,
    MEASURES,
    RATIO_SCALES,
    Autoantibody,
    DataError,
    EffectScale,
    EventKind,
    EvidenceType,
    Favours,
    Organ,
    Response,
    SourceKind,
    Statistic,
    Subtype,
    TherapyClass,
    no_effect,
)

SLUG = r"^[a-z0-9][a-z0-9-]*$"
Slug = Annotated[str, Field(pattern=SLUG, min_length=1, max_length=80)]

NAME_CHARS = 2_000  # the longest bundled title is 128 characters; a registry's, at most 600
NOTE_CHARS = 10_000
TEXT_CHARS = 100_000  # the longest bundled narrative is 662; a registry's eligibility, 20,000
MAX_LIST = 100
MAX_FINDINGS = 5_000  # a registry record's posted results give one per outcome and group
MAX_WEEKS = 5_200  # 100 years: the longest bundled time is 312 weeks


def _at_most(limit: int):
    def check(text: str) -> str:
        if len(text) > limit:
            raise ValueError(f"{len(text):,} characters is more than the {limit:,} allowed")
        return text

    return AfterValidator(check)


def _weeks_from(low: float):
    if low == 0:
        span = f"0 to {MAX_WEEKS:,} weeks (100 years) from baseline"
    else:
        span = f"{MAX_WEEKS:,} weeks (100 years) either side of baseline"

    def check(weeks: float) -> float:
        if not low <= weeks <= MAX_WEEKS:
            raise ValueError(f"must be within {span}")
        return weeks

    return AfterValidator(check)


Name = Annotated[str, _at_most(NAME_CHARS)]
Note = Annotated[str, _at_most(NOTE_CHARS)]
Text = Annotated[str, _at_most(TEXT_CHARS)]
NonEmptyName = Annotated[str, Field(min_length=1), _at_most(NAME_CHARS)]
NonEmptyNote = Annotated[str, Field(min_length=1), _at_most(NOTE_CHARS)]
NonEmptyText = Annotated[str, Field(min_length=1), _at_most(TEXT_CHARS)]
Weeks = Annotated[float, _weeks_from(-MAX_WEEKS)]  # a case's history may precede baseline
WeeksOn = Annotated[float, _weeks_from(0)]  # from baseline on


def Few(item):  # noqa: N802 (a type, as list[...] is)
    """A list of at most MAX_LIST items."""
    return Annotated[list[item], Field(max_length=MAX_LIST)]


# ASCII digits only: \d would take any script's digits (NCT١٢٣…) as an identifier.
NCT_RE = re.compile(r"^NCT[0-9]{8}$")
PMID_RE = re.compile(r"^[0-9]{1,9}$")
DOI_RE = re.compile(r"^10\.[0-9]{4,9}/[!-~]+$")  # printable ASCII: no spaces or controls
MAX_PARTICIPANTS = 10_000_000  # far above any trial; SQLite integers stop at 2**63


class Model(BaseModel):
    # NaN and infinities are not measurements, and would not survive a round trip.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class Source(Model):
    id: Slug
    kind: SourceKind
    ref: Name | None = None  # NCT id, PMID or DOI as printed; None for seed/citation
    citation: NonEmptyNote
    verified: bool

    @model_validator(mode="after")
    def _ref_matches_kind(self) -> Source:
        patterns = {SourceKind.NCT: NCT_RE, SourceKind.PMID: PMID_RE, SourceKind.DOI: DOI_RE}
        pattern = patterns.get(self.kind)
        if pattern and not (self.ref and pattern.match(self.ref)):
            raise ValueError(
                f"ref {self.ref!r} is not a valid {self.kind.value.upper()} identifier"
            )
        return self


class Therapy(Model):
    id: Slug
    name: NonEmptyName
    aliases: Few(Name) = []
    therapy_class: TherapyClass = Field(alias="class")
    mechanism: NonEmptyNote
    organs: Few(Organ) = []
    sources: Few(Slug) = []

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, populate_by_name=True, allow_inf_nan=False
    )


class Arm(Model):
    id: Slug
    name: NonEmptyName
    therapy: Slug | None = None  # None for placebo / conventional care
    intervention: NonEmptyNote
    dose: Note | None = None
    n: Annotated[int, Field(ge=0, le=MAX_PARTICIPANTS)] | None = None


class Finding(Model):
    """One reported trial figure, always with a source and a verification status."""

    measure: NonEmptyName
    arm: Name | None = None  # arm id, or None for a between-arm comparison
    timepoint_weeks: WeeksOn | None = None
    value: float | None = None
    comparator_value: float | None = None
    unit: Name | None = None
    effect: Name | None = None
    ci: Name | None = None
    p: Name | None = None
    text: Note | None = None  # the finding in words
    primary: bool = False
    source: Slug  # where the figure was read (a review, if that is where)
    verified: bool  # False: shown everywhere as "unverified"
    note: Note | None = None  # how it was verified, e.g. "[V2] review table"
    # A between-arm effect as numbers, each only where the source states it: no interval
    # derived from a p-value, no level assumed, no difference worked out from arm values.
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: Annotated[float, Field(gt=0, lt=100)] | None = None  # None: level not stated
    scale: EffectScale | None = None
    favours: Favours | None = None  # the direction of the estimate favouring the intervention
    intervention_arm: Slug | None = None
    comparator_arm: Slug | None = None
    n_intervention: Annotated[int, Field(ge=0, le=MAX_PARTICIPANTS)] | None = None
    n_comparator: Annotated[int, Field(ge=0, le=MAX_PARTICIPANTS)] | None = None
    subgroup: Name | None = None  # the population analysed, when not the whole trial's
    # What the source reports as not estimable ("NA"), as against not given: those stay None.
    not_estimable: list[Literal["estimate", "ci_low", "ci_high"]] = []

    @property
    def no_effect(self) -> float | None:
        """The line of no effect: 0 for a difference, 1 for a ratio (a definition)."""
        return None if self.scale is None else no_effect(self.scale)

    @property
    def comparative(self) -> bool:
        """A between-arm effect given as a number."""
        return self.estimate is not None

    @model_validator(mode="after")
    def _consistent_effect(self) -> Finding:
        low, high = self.ci_low, self.ci_high
        if low is not None and high is not None and low > high:
            raise ValueError(f"ci_low: the interval is reversed ({low:g} is above {high:g})")
        centre, name = (
            (self.estimate, "estimate") if self.estimate is not None else (self.value, "value")
        )
        if centre is not None and (
            (low is not None and centre < low) or (high is not None and centre > high)
        ):
            shown = (
                f"{'?' if low is None else f'{low:g}'} to {'?' if high is None else f'{high:g}'}"
            )
            raise ValueError(f"{name}: {centre:g} is outside its own interval {shown}")
        if self.ci_level is not None and low is None and high is None and self.ci is None:
            raise ValueError("ci_level: a level is given but no interval")
        if self.estimate is not None:
            if self.scale is None:
                raise ValueError("scale: an estimate needs its scale (difference, odds-ratio…)")
            if self.arm is not None:
                raise ValueError(
                    "arm: a between-arm estimate belongs to no single arm "
                    "(name intervention_arm and comparator_arm)"
                )
        elif (low is not None or high is not None) and self.value is None:
            raise ValueError("ci_low: an interval needs its estimate or value")
        if self.scale in RATIO_SCALES:
            for label, number in (("estimate", self.estimate), ("ci_low", low), ("ci_high", high)):
                if number is not None and number <= 0:
                    raise ValueError(f"{label}: a ratio is above 0 (got {number:g})")
        for name in self.not_estimable:
            if getattr(self, name) is not None:
                raise ValueError(f"not_estimable: {name} is given ({getattr(self, name):g})")
        if self.intervention_arm is not None and self.intervention_arm == self.comparator_arm:
            raise ValueError("comparator_arm: an arm is not compared with itself")
        return self


class Range(Model):
    """A numeric entry criterion: a minimum, a maximum or both, each inclusive unless the
    source says "<" or ">"."""

    min: float | None = None
    max: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("a range needs a min or a max (leave the criterion out instead)")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min: {self.min:g} is above max {self.max:g}")
        return self


class Eligibility(Model):
    """A trial's entry criteria as its source states them. Every criterion is optional:
    left out (None) means the source does not state it, never "no limit" and never a guess.
    Disease duration is in years, as the source counts it (usually from the first
    non-Raynaud symptom); FVC and DLCO in % predicted; mRSS in units (0-51)."""

    subtypes: Few(Subtype) | None = None  # the subtypes admitted
    disease_years: Range | None = None
    mrss: Range | None = None
    fvc: Range | None = None
    dlco: Range | None = None
    age: Range | None = None  # years
    sex: Literal["all", "female", "male"] | None = None
    organs_required: Few(Organ) = []  # e.g. lung for "SSc-ILD", pah for "SSc-PAH"
    organs_excluded: Few(Organ) = []  # e.g. pah for "PAH excluded"
    criteria_text: Text | None = None  # the registry's eligibility text, kept as it was
    source: Slug  # where the criteria were read
    verified: bool  # False: the criteria were read only in an unverified source
    note: Note | None = None  # what the fields leave out (alternatives, other criteria)

    @property
    def stated(self) -> bool:
        """Whether any criterion the lens can check is stated."""
        return bool(
            self.subtypes
            or self.organs_required
            or self.organs_excluded
            or self.sex in ("female", "male")
            or any(r is not None for r in (self.disease_years, self.mrss, self.fvc, self.dlco))
            or self.age is not None
        )


class Trial(Model):
    id: Slug
    name: NonEmptyName
    acronym: Name | None = None
    registry_id: Name | None = None
    year: Annotated[int, Field(ge=1950, le=2100)] | None = None
    design: NonEmptyNote
    evidence_type: EvidenceType
    phase: Name | None = None
    n: Annotated[int, Field(ge=0, le=MAX_PARTICIPANTS)] | None = None
    population: NonEmptyText
    eligibility: Eligibility | None = None  # structured entry criteria, where stated
    subtypes: Few(Subtype) = []
    organs: Few(Organ) = []
    therapies: Few(Slug) = Field(min_length=1)
    arms: Few(Arm) = []
    duration_weeks: Annotated[float, Field(gt=0), _weeks_from(0)] | None = None
    primary_endpoint: Note | None = None
    results: NonEmptyText
    findings: Annotated[list[Finding], Field(max_length=MAX_FINDINGS)] = []
    safety: Text | None = None
    sources: Few(Slug) = Field(min_length=1)
    verified: bool
    origin: str = "bundled"
    synthetic: bool = False

    @model_validator(mode="after")
    def _arms_unique_and_referenced(self) -> Trial:
        arm_ids = [arm.id for arm in self.arms]
        if len(arm_ids) != len(set(arm_ids)):
            raise ValueError("arms: duplicate arm id")
        for index, finding in enumerate(self.findings):
            for field_name in ("arm", "intervention_arm", "comparator_arm"):
                arm = getattr(finding, field_name)
                if arm is not None and arm not in arm_ids:
                    raise ValueError(
                        f"findings[{index}].{field_name}: no arm {arm!r} in this trial"
                    )
        return self


class TherapyStep(Model):
    """One step of a case's treatment: a regimen of one or more therapies given together,
    and the response to it. The older single form `{"therapy": id}` still reads."""

    therapies: list[Slug] = Field(min_length=1)
    response: Response
    note: Note | None = None

    @model_validator(mode="before")
    @classmethod
    def _single_therapy_form(cls, data):
        if isinstance(data, dict) and "therapy" in data:
            if "therapies" in data:
                raise ValueError("therapy: give therapy or therapies, not both")
            single = data["therapy"]
            data = {key: value for key, value in data.items() if key != "therapy"}
            data["therapies"] = [single]
        return data

    @field_validator("therapies")
    @classmethod
    def _distinct(cls, therapies: list[str]) -> list[str]:
        if len(set(therapies)) != len(therapies):
            raise ValueError("a therapy is named twice in one regimen")
        return therapies


class Case(Model):
    id: Slug
    title: NonEmptyName
    sex: Literal["female", "male", "unknown"] = "unknown"
    age_band: Name | None = None
    subtype: Subtype
    autoantibodies: Few(Autoantibody) = []
    organs: Few(Organ) = []
    therapies: Few(TherapyStep) = Field(min_length=1)
    narrative: NonEmptyText
    illustrative: bool
    evidence_type: EvidenceType = EvidenceType.CASE_REPORT
    sources: Few(Slug) = Field(min_length=1)
    origin: str = "bundled"
    synthetic: bool = False


class TimelineEvent(Model):
    id: Slug
    case: Slug | None = None
    trial: Slug | None = None
    arm: Slug | None = None
    week: Weeks | None = None
    date: Annotated[str, Field(pattern=r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")] | None = None
    kind: EventKind
    therapy: Slug | None = None
    measure: str | None = None
    statistic: Statistic | None = None
    value: float | None = None
    unit: Name | None = None
    note: Note | None = None
    source: Slug | None = None
    verified: bool | None = None
    # What the value is of, beside its arm, when not the arm's whole measure ("ILD subgroup",
    # "decline >5% predicted"): a plotted series is one quantity in one population.
    series: Name | None = None

    @field_validator("date")
    @classmethod
    def _real_date(cls, value: str | None) -> str | None:
        """A year, a month or a day that exists on the calendar (2020-13-45 does not)."""
        if value is not None and len(value) > 4:
            parts = [int(part) for part in value.split("-")]
            try:
                datetime.date(parts[0], parts[1], parts[2] if len(parts) > 2 else 1)
            except ValueError:
                raise ValueError(f"{value} is not a date on the calendar") from None
        return value

    @model_validator(mode="after")
    def _check(self) -> TimelineEvent:
        owners = (self.case is not None) + (self.trial is not None)
        if owners != 1:
            raise ValueError("an event belongs to exactly one case or one trial arm")
        if self.trial is not None and self.arm is None:
            raise ValueError("arm: a trial event must name its arm")
        if self.case is not None and self.arm is not None:
            raise ValueError("arm: a case event has no arm")
        if self.week is None and self.date is None:
            raise ValueError("week: give a time from baseline in weeks, or a date")
        # Trial-arm events are measured from randomisation: nothing can precede it.
        if self.trial is not None and self.week is not None and self.week < 0:
            raise ValueError(f"week: {self.week} is before baseline in a trial arm")
        self._check_measure()
        return self

    def _check_measure(self) -> None:
        if self.value is None:
            return
        if self.measure is None:
            raise ValueError("measure: a value needs a measure")
        if self.verified is None or self.source is None:
            raise ValueError("source: every figure needs a source and a verified flag")
        statistic = self.statistic or Statistic.VALUE
        bounds = MEASURE_RANGES.get(self.measure)
        if bounds is None:
            return
        if statistic is Statistic.VALUE:
            low, high = bounds
            if not low <= self.value <= high:
                raise ValueError(
                    f"value: {self.measure} {self.value:g} is outside {low:g}–{high:g}"
                )
        if statistic is Statistic.CHANGE:
            span = bounds[1] - bounds[0]
            if abs(self.value) > span:
                raise ValueError(f"value: change of {self.value:g} in {self.measure} is impossible")

    @field_validator("measure")
    @classmethod
    def _known_measure(cls, measure: str | None) -> str | None:
        if measure is not None and measure not in MEASURE_RANGES:
            raise ValueError(f"unknown measure {measure!r}; known: {', '.join(MEASURES)}")
        return measure


class Dataset(Model):
    """Everything one source file (or the bundled `db/`) holds."""

    sources: list[Source] = []
    therapies: list[Therapy] = []
    trials: list[Trial] = []
    cases: list[Case] = []
    events: list[TimelineEvent] = []


def describe_validation_error(
    error: ValidationError | list[ErrorDetails], where: str, *, brackets: bool = False
) -> list[str]:
    """Turn pydantic's error list into one line per problem, naming record and field.

    `brackets`: list indexes as a JSON path writes them (outcomes[0].title, not outcomes.0.title).
    """
    lines = []
    for item in error.errors() if isinstance(error, ValidationError) else error:
        if brackets:
            loc = "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in item["loc"]
            ).removeprefix(".")
        else:
            loc = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        value = item.get("input")
        shown = "" if isinstance(value, dict | list) else f" (got {_shorten(repr(value))})"
        lines.append(f"{where}: {loc + ': ' if loc else ''}{message}{shown}")
    return lines


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class KnownIds:
    """Ids already in a database, which new records may refer to."""

    sources: set[str] = field(default_factory=set)
    therapies: set[str] = field(default_factory=set)
    cases: set[str] = field(default_factory=set)
    arms: set[tuple[str, str]] = field(default_factory=set)  # (trial id, arm id)

    @classmethod
    def of(cls, data: Dataset) -> KnownIds:
        return cls(
            sources={s.id for s in data.sources},
            therapies={t.id for t in data.therapies},
            cases={c.id for c in data.cases},
            arms={(t.id, a.id) for t in data.trials for a in t.arms},
        )

    def add(self, other: KnownIds) -> None:
        self.sources |= other.sources
        self.therapies |= other.therapies
        self.cases |= other.cases
        self.arms |= other.arms


def validate_dataset(data: Dataset, known: KnownIds | None = None) -> list[str]:
    """Cross-record checks: unique ids, references resolve, figures carry sources."""
    problems: list[str] = []
    known = known or KnownIds()

    def ids(records, label):
        seen: set[str] = set()
        for record in records:
            if record.id in seen:
                problems.append(f"{label} {record.id}: duplicate id")
            seen.add(record.id)
        return seen

    source_ids = ids(data.sources, "source") | known.sources
    therapy_ids = ids(data.therapies, "therapy") | known.therapies
    ids(data.trials, "trial")
    case_ids = ids(data.cases, "case") | known.cases
    ids(data.events, "event")
    arms = {(t.id, a.id) for t in data.trials for a in t.arms} | known.arms

    def check_sources(label, refs):
        for ref in refs:
            if ref not in source_ids:
                problems.append(f"{label}: sources: unknown source {ref!r}")

    def check_therapy(label, ref):
        if ref is not None and ref not in therapy_ids:
            problems.append(f"{label}: unknown therapy id {ref!r}")

    for therapy in data.therapies:
        check_sources(f"therapy {therapy.id}", therapy.sources)
    for trial in data.trials:
        label = f"trial {trial.id}"
        check_sources(label, trial.sources)
        for ref in trial.therapies:
            check_therapy(f"{label}: therapies", ref)
        for arm in trial.arms:
            check_therapy(f"{label}: arms.{arm.id}.therapy", arm.therapy)
        for index, finding in enumerate(trial.findings):
            check_sources(f"{label}: findings[{index}]", [finding.source])
        if trial.eligibility is not None:
            check_sources(f"{label}: eligibility", [trial.eligibility.source])
    for case in data.cases:
        label = f"case {case.id}"
        check_sources(label, case.sources)
        for index, step in enumerate(case.therapies):
            for therapy in step.therapies:
                check_therapy(f"{label}: therapies[{index}]", therapy)
    for event in data.events:
        label = f"event {event.id}"
        if event.case is not None and event.case not in case_ids:
            problems.append(f"{label}: case: unknown case {event.case!r}")
        if event.trial is not None and (event.trial, event.arm) not in arms:
            problems.append(f"{label}: arm: unknown trial arm {event.trial}/{event.arm}")
        check_therapy(f"{label}: therapy", event.therapy)
        if event.source is not None:
            check_sources(label, [event.source])
    return problems
