"""Trials from ClinicalTrials.gov study records (API v2 JSON): one study, or a page of them.

Each systemic-sclerosis study becomes a Trial (arms matched to our therapies, posted results as
findings), its registry Source, and trial-arm timeline events for the measures we chart. Studies
about other diseases are skipped with a note; every problem in the file is reported at once.

Data model used (API v2 study record; field names as the registry publishes them):
- https://clinicaltrials.gov/data-api/about-api/study-data-structure, as quoted module by module
  in DesayoEm/Clinexa-ETL-ELT-Pipeline documentation/data/non_scalar_fields.md:
  armsInterventionsModule.armGroups[] (label, type, description, interventionNames) and
  .interventions[] (type DRUG/BIOLOGICAL/PROCEDURE/…, name, description, armGroupLabels,
  otherNames); resultsSection.participantFlowModule (groups, periods[].milestones[].achievements
  [].groupId/numSubjects), .outcomeMeasuresModule.outcomeMeasures[] (type, title, description,
  paramType, dispersionType, unitOfMeasure, timeFrame, groups[] {id, title, description}, denoms,
  classes[].categories[].measurements[]), .adverseEventsModule.eventGroups[] (id, title,
  seriousNumAffected, seriousNumAtRisk, deathsNumAffected, deathsNumAtRisk).
- The API's own query schema as reproduced at
  https://glama.ai/mcp/servers/@PancrePal-xiaoyibao/xiaoyibao-clinical-trials-mcp-server/blob/
  e137d1ed398ae0386b67949672d59ed35c9ebb8e/dev/query_schema.json: page {studies, nextPageToken};
  identificationModule (nctId, 11 characters; briefTitle, officialTitle, acronym); statusModule
  (overallStatus enum; startDateStruct/completionDateStruct {date "yyyy", "yyyy-MM" or
  "yyyy-MM-dd", type ACTUAL/ESTIMATED}).
- Phase values EARLY_PHASE1, PHASE1…PHASE4, NA, a study listing several (["PHASE2", "PHASE3"]):
  https://ydulab.com/notebook/sources/08-03__clinicaltrials-landscape/references/api-parameters.md
- Results data elements (outcome type Primary/Secondary/Other Pre-specified/Post-Hoc, arm/group
  titles, measure values per group): ClinicalTrials.gov "Results Data Element Definitions"
  (nlm_result_definitions.html, mirrored in the AACT documentation).
Measurement values, spreads, limits and denominators are strings in v2 ("20.5", "NA"); group ids
look like OG000 (outcomes), BG000 (baseline), FG000 (flow), EG000 (adverse events). In v2,
armGroups[].interventionNames carry the intervention type as a prefix ("Drug: Nintedanib").
Fields we do not read are ignored, so records with fields added later still import.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from sclerotui.importers.patterns import (
    ALLOCATION,
    BASELINE_RE,
    CHANGE_RE,
    DOSE_RE,
    EXCLUSION_RE,
    LOCALISED_RE,
    MASKING,
    MEASURE_PATTERNS,
    MILLILITRES_RE,
    MODELS,
    NO_THERAPY_RE,
    NUMBER_UNIT_RE,
    ORGAN_PATTERNS,
    PARAM_TYPES,
    PARTICIPANTS_RE,
    PER_YEAR_RE,
    PERCENT_PREDICTED_RE,
    PLACEBO_RE,
    SSC_RE,
    SUBTYPE_PATTERNS,
    TIME_UNIT_ALIASES,
    TYPE_PREFIX_RE,
    UNIT_NUMBER_RE,
    UNIT_WEEKS,
)
from sclerotui.models import (
    NCT_RE,
    DataError,
    Dataset,
    EffectScale,
    Finding,
    Source,
    Therapy,
    TimelineEvent,
    Trial,
    describe_validation_error,
)


def parse_time_frame(text: str | None) -> float | None:
    """Weeks from baseline for a registry time frame: the latest time it names.

    "Week 52", "52 weeks", "12 months" → 52; "24 Months" → 104; "Day 28" → 4; "Baseline" → 0;
    "Baseline to week 52" → 52; text without a time → None. Months count as 52/12 weeks.
    """
    if not text:
        return None
    times: list[float] = []
    for match in NUMBER_UNIT_RE.finditer(text.lower()):
        unit = TIME_UNIT_ALIASES.get(match.group(3), match.group(3))
        for number in (match.group(1), match.group(2)):
            if number is not None:
                times.append(float(number) * UNIT_WEEKS[unit])
    for match in UNIT_NUMBER_RE.finditer(text):
        unit = match.group(1).lower()
        unit = TIME_UNIT_ALIASES.get(unit, unit)
        numbers = [match.group(2), *re.findall(r"\d+(?:\.\d+)?", match.group(3) or "")]
        times += [float(number) * UNIT_WEEKS[unit] for number in numbers]
    if times:
        return round(max(times), 2)
    if BASELINE_RE.search(text):
        return 0.0
    return None


# -- the parser --------------------------------------------------------------------------


def parse_registry(
    data: object,
    where: str,
    therapies: list[Therapy],
    trial_ids: dict[str, str] | None = None,
    skip_unmatched: bool = False,
) -> tuple[Dataset, list[str]]:
    """Turn a ClinicalTrials.gov study record or page into trials, sources and arm events.

    Returns the dataset and notes (skipped studies, unknown interventions); raises DataError
    listing every problem of every study, followed by the notes on the others. `trial_ids`:
    the database's trials by registry id; a study one of them records takes that trial's id
    (its record updates that trial, with --replace). `skip_unmatched`: a study none of whose
    interventions is a therapy of the database is left out with a note, not a problem.
    """
    problems: list[str] = []
    notes: list[str] = []
    records: list[tuple[str, object]] = []
    if isinstance(data, dict) and "protocolSection" in data:
        records.append(("study", data))
    elif isinstance(data, dict) and "studies" in data:
        studies = data["studies"]
        if not isinstance(studies, list):
            raise DataError(
                [f"{where}: studies: expected a list of study records, got {_kind(studies)}"]
            )
        if not studies:
            problems.append(f"{where}: studies: the list is empty; no study to import")
        records += [(f"studies[{index}]", study) for index, study in enumerate(studies)]
        if data.get("nextPageToken"):
            notes.append(
                "the registry page has more studies (nextPageToken is set); only the "
                f"{len(studies)} in this file were read"
            )
    else:
        raise DataError(
            [
                f"{where}: not a ClinicalTrials.gov study record: expected an object with "
                f"'protocolSection' or a page with 'studies', got {_kind(data)}"
            ]
        )
    matcher = _TherapyMatcher(therapies)
    dataset = Dataset()
    seen: dict[str, str] = {}
    for label, study in records:
        study_problems: list[str] = []
        reader = _Study(where, label, study, matcher, study_problems, notes)
        reader.trial_ids, reader.skip_unmatched = trial_ids or {}, skip_unmatched
        built = reader.build()
        problems += study_problems
        if built is None:
            continue
        trial, source, events = built
        if trial.registry_id in seen:
            problems.append(
                f"{where}: {label} ({trial.registry_id}): the same study as "
                f"{seen[trial.registry_id]}; a file may hold each study once"
            )
            continue
        seen[trial.registry_id] = label
        dataset.trials.append(trial)
        dataset.sources.append(source)
        dataset.events += events
    if problems:
        # What else the file held (studies skipped, interventions unknown) is said too: the
        # user fixes the problems knowing what the import would then bring.
        raise DataError(problems + [f"{where}: note: {note}" for note in notes])
    return dataset, notes


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "text", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _clean(text: str) -> str:
    return " ".join(text.split())


def _norm(text: str) -> str:
    """Lower case, punctuation as spaces: for whole-word and label comparisons."""
    return " ".join(re.sub(r"[^0-9a-zà-ÿµ%+]+", " ", text.casefold()).split())


def _slug(text: str, limit: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:limit].strip("-")
    return slug


def _number(text: object) -> float | None:
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        value = float(text)
    elif isinstance(text, str):
        try:
            value = float(text.strip().replace(",", ""))
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None  # "NaN", "Infinity" are not figures


def _shorten(text: str, limit: int) -> str:
    text = _clean(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + " …"


class _TherapyMatcher:
    """Whole-word, case-insensitive matching of intervention names to our therapies."""

    def __init__(self, therapies: list[Therapy]):
        self.patterns: list[tuple[str, re.Pattern[str]]] = []
        for therapy in therapies:
            terms = {_norm(term) for term in [therapy.id, therapy.name, *therapy.aliases]}
            alternatives = "|".join(
                re.escape(term) for term in sorted(terms, key=len, reverse=True) if term
            )
            pattern = re.compile(rf"(?<![0-9a-z])(?:{alternatives})(?![0-9a-z])")
            self.patterns.append((therapy.id, pattern))

    def match(self, names: list[str]) -> list[str]:
        found: list[str] = []
        for name in names:
            text = _norm(name)
            for therapy_id, pattern in self.patterns:
                if pattern.search(text) and therapy_id not in found:
                    found.append(therapy_id)
        return found


@dataclass
class _Intervention:
    name: str
    kind: str
    other_names: list[str]
    arm_labels: list[str]
    therapies: list[str] = field(default_factory=list)

    @property
    def no_therapy(self) -> bool:
        return bool(NO_THERAPY_RE.search(" ".join([self.name, *self.other_names])))


@dataclass
class _Group:
    """A results group (OG000…) and the arm it was matched to, if any."""

    title: str
    arm: str | None


class _Study:
    """One study record: reads it, collecting problems, and builds the trial."""

    def __init__(self, where, label, study, matcher, problems, notes):
        self.where = where
        self.label = label
        self.study = study
        self.matcher = matcher
        self.problems: list[str] = problems
        self.notes: list[str] = notes
        self.nct: str | None = None
        self.event_ids: set[str] = set()
        self.trial_ids: dict[str, str] = {}  # the database's trials by registry id
        self.skip_unmatched = False
        self.unmatched: str | None = None  # why the study is left out (skip_unmatched)
        self.source_id = ""  # the registry record's source id

    # -- reading helpers -------------------------------------------------------------

    def problem(self, path: str, message: str) -> None:
        record = f"{self.label} ({self.nct})" if self.nct else self.label
        line = f"{self.where}: {record}: {path}: {message}"
        if line not in self.problems:  # some fields are read twice (design summary and facets)
            self.problems.append(line)

    def obj(self, parent: dict, key: str, path: str) -> dict:
        value = parent.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(f"{path}.{key}", f"expected an object, got {_kind(value)}")
            return {}
        return value

    def items(self, parent: dict, key: str, path: str) -> list[dict]:
        """A list of objects; wrong entries are reported and left out."""
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(f"{path}.{key}", f"expected a list, got {_kind(value)}")
            return []
        good = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                good.append(item)
            else:
                self.problem(f"{path}.{key}[{index}]", f"expected an object, got {_kind(item)}")
                good.append({})
        return good

    def text(self, parent: dict, key: str, path: str) -> str | None:
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(f"{path}.{key}", f"expected text, got {_kind(value)}")
            return None
        value = _clean(str(value))
        return value or None

    def texts(self, parent: dict, key: str, path: str) -> list[str]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(f"{path}.{key}", f"expected a list of text, got {_kind(value)}")
            return []
        out = []
        for index, item in enumerate(value):
            if isinstance(item, str):
                if item.strip():
                    out.append(_clean(item))
            else:
                self.problem(f"{path}.{key}[{index}]", f"expected text, got {_kind(item)}")
        return out

    # -- building --------------------------------------------------------------------

    def build(self) -> tuple[Trial, Source, list[TimelineEvent]] | None:
        study = self.study
        if not isinstance(study, dict):
            self.problem("(record)", f"expected a study object, got {_kind(study)}")
            return None
        protocol = study.get("protocolSection")
        if not isinstance(protocol, dict):
            got = "it is missing" if protocol is None else f"got {_kind(protocol)}"
            self.problem("protocolSection", f"a study record needs a protocolSection; {got}")
            return None
        protocol_at = "protocolSection"
        ident = self.obj(protocol, "identificationModule", protocol_at)
        nct = ident.get("nctId")
        if not isinstance(nct, str) or not NCT_RE.match(nct.strip()):
            shown = "missing" if nct is None else f"{nct!r} is not NCT followed by 8 digits"
            self.problem(f"{protocol_at}.identificationModule.nctId", shown)
            return None
        self.nct = nct = nct.strip()
        ident_at = f"{protocol_at}.identificationModule"
        brief = self.text(ident, "briefTitle", ident_at)
        official = self.text(ident, "officialTitle", ident_at)
        acronym = self.text(ident, "acronym", ident_at)
        conditions_module = self.obj(protocol, "conditionsModule", protocol_at)
        conditions_at = f"{protocol_at}.conditionsModule"
        conditions = self.texts(conditions_module, "conditions", conditions_at)
        keywords = self.texts(conditions_module, "keywords", conditions_at)

        about = " ".join([*conditions, *keywords, brief or "", official or "", acronym or ""])
        if not SSC_RE.search(LOCALISED_RE.sub(" ", about)):
            shown = ", ".join(conditions) or "none listed"
            self.notes.append(f"skipped {nct}: not about systemic sclerosis (conditions: {shown})")
            return None
        if not (brief or official):
            self.problem(f"{ident_at}.briefTitle", "missing (and no officialTitle either)")

        status = self.obj(protocol, "statusModule", protocol_at)
        design_module = self.obj(protocol, "designModule", protocol_at)
        eligibility = self.obj(protocol, "eligibilityModule", protocol_at)
        outcomes = self.obj(protocol, "outcomesModule", protocol_at)
        arms_module = self.obj(protocol, "armsInterventionsModule", protocol_at)
        results = study.get("resultsSection")
        if results is not None and not isinstance(results, dict):
            self.problem("resultsSection", f"expected an object, got {_kind(results)}")
            results = None

        trial_id = self.trial_ids.get(nct, nct.lower())
        self.source_id = nct.lower()  # the registry record, whatever the trial's id
        year = self.year(status)
        n = self.enrollment(design_module)
        criteria = (
            self.text(eligibility, "eligibilityCriteria", f"{protocol_at}.eligibilityModule") or ""
        )
        inclusion = EXCLUSION_RE.split(criteria, maxsplit=1)[0]
        primary = self.items(outcomes, "primaryOutcomes", f"{protocol_at}.outcomesModule")
        primary_text = " ".join(
            f"{o.get('measure', '')} {o.get('description', '')}"
            for o in primary
            if isinstance(o.get("measure", ""), str) and isinstance(o.get("description", ""), str)
        )
        titles = " ".join([brief or "", official or ""])
        subtype_text = " ".join([*conditions, *keywords, titles, inclusion])
        organ_text = " ".join([*conditions, *keywords, titles, primary_text])

        arms, interventions = self.arms(arms_module, results or {})
        therapy_ids: list[str] = []
        for intervention in interventions:
            for therapy_id in intervention.therapies:
                if therapy_id not in therapy_ids:
                    therapy_ids.append(therapy_id)
        if not therapy_ids:
            shown = ", ".join(f"'{i.name}'" for i in interventions) or "none listed"
            unmatched = (
                f"no intervention matches a therapy in the database (interventions: {shown})"
            )
            if self.skip_unmatched:
                self.unmatched = unmatched
            else:
                self.problem(
                    f"{protocol_at}.armsInterventionsModule.interventions",
                    f"{unmatched}; a trial must belong to at least one therapy: add the therapy "
                    "first (or an alias for it), then import this study; or import with "
                    "--skip-unmatched to leave such studies out",
                )
        else:
            self.note_unknown(interventions, arms)

        groups = {}
        findings: list[dict] = []
        events: list[TimelineEvent] = []
        result_summary = "No results posted in the registry record."
        primary_posted = False
        safety = "not reported in the imported record"
        if results is not None:
            groups, findings, events, result_summary, primary_posted = self.results(
                results, trial_id, arms
            )
            safety = self.safety(results) or safety

        record = {
            "id": trial_id,
            "name": f"{acronym} ({brief or official})" if acronym else (brief or official),
            "acronym": acronym,
            "registry_id": nct,
            "year": year,
            "design": self.design(design_module, status),
            "evidence_type": self.evidence_type(design_module),
            "phase": self.phase(design_module),
            "n": n,
            "population": self.population(conditions, eligibility, criteria),
            "eligibility": self.eligibility(eligibility, criteria),
            "subtypes": _detect(SUBTYPE_PATTERNS, subtype_text),
            "organs": _detect(ORGAN_PATTERNS, organ_text),
            "therapies": therapy_ids,
            "arms": [arm for arm in arms.values()],
            "duration_weeks": self.duration(primary),
            "primary_endpoint": self.primary_endpoint(primary),
            "results": result_summary,
            "findings": findings,
            "safety": safety,
            "sources": [self.source_id],
            "verified": primary_posted,
        }
        events = self.start_events(trial_id, arms) + events
        source_record = {
            "id": self.source_id,
            "kind": "nct",
            "ref": nct,
            "citation": f"{official or brief or nct} (ClinicalTrials.gov record)",
            "verified": True,
        }
        if self.problems:
            return None
        if self.unmatched:
            self.notes.append(
                f"left out {nct} ({self.label}): {self.unmatched}; add the therapy (or an "
                "alias for it) and import the file again to bring it in"
            )
            return None
        label = f"{self.where}: {self.label} ({nct})"
        try:
            trial = Trial.model_validate(record)
            source = Source.model_validate(source_record)
        except ValidationError as error:
            self.problems += describe_validation_error(error, label)
            return None
        return trial, source, events

    # -- protocol section ------------------------------------------------------------

    def year(self, status: dict) -> int | None:
        path = "protocolSection.statusModule.startDateStruct"
        start = self.obj(status, "startDateStruct", "protocolSection.statusModule")
        date = self.text(start, "date", path)
        if date is None:
            return None
        if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", date):
            self.problem(f"{path}.date", f"{date!r} is not a yyyy, yyyy-MM or yyyy-MM-dd date")
            return None
        return int(date[:4])

    def enrollment(self, design: dict) -> int | None:
        path = "protocolSection.designModule.enrollmentInfo"
        info = self.obj(design, "enrollmentInfo", "protocolSection.designModule")
        count = info.get("count")
        if count is None:
            return None
        if (
            isinstance(count, bool)
            or not isinstance(count, int | float)
            or not float(count).is_integer()
        ):
            self.problem(f"{path}.count", f"{count!r} is not a whole number of participants")
            return None
        if count < 0:
            self.problem(f"{path}.count", f"{count} is negative; enrolment cannot be below 0")
            return None
        return int(count)

    def allocation(self, design: dict) -> str | None:
        info = self.obj(design, "designInfo", "protocolSection.designModule")
        return self.text(info, "allocation", "protocolSection.designModule.designInfo")

    def evidence_type(self, design: dict) -> str:
        """Randomised, observational, or another interventional study: one the record does
        not call randomised (non-randomised, single-group, or with no allocation field)."""
        if self.allocation(design) == "RANDOMIZED":
            return "rct"
        study_type = self.text(design, "studyType", "protocolSection.designModule") or ""
        if study_type.upper() == "INTERVENTIONAL":
            return "interventional"
        return "observational"

    def phase(self, design: dict) -> str | None:
        phases = self.texts(design, "phases", "protocolSection.designModule")
        numbers = []
        for phase in phases:
            for part in phase.upper().split("/"):
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

    def design(self, design: dict, status: dict) -> str:
        design_at = "protocolSection.designModule"
        info = self.obj(design, "designInfo", design_at)
        info_at = f"{design_at}.designInfo"
        study_type = (
            (self.text(design, "studyType", design_at) or "study").replace("_", " ").lower()
        )
        parts = []
        allocation = self.text(info, "allocation", info_at)
        if allocation in ALLOCATION:
            parts.append(ALLOCATION[allocation])
        model = self.text(info, "interventionModel", info_at) or self.text(
            info, "observationalModel", info_at
        )
        if model:
            parts.append(MODELS.get(model, model.replace("_", " ").lower()))
        masking = self.text(
            self.obj(info, "maskingInfo", info_at), "masking", f"{info_at}.maskingInfo"
        )
        if masking:
            parts.append(MASKING.get(masking, masking.replace("_", " ").lower()))
        if allocation is None and study_type == "interventional":
            parts.insert(0, "allocation not stated")
        # The phase is the trial's own field, shown beside the design wherever it is shown.
        summary = study_type.capitalize() + (": " + ", ".join(parts) if parts else "")
        info_n = self.obj(design, "enrollmentInfo", design_at)
        count, kind = info_n.get("count"), info_n.get("type")
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
            summary += f"; enrolment {count}" + (
                f" ({kind.lower()})" if isinstance(kind, str) and kind else ""
            )
        overall = self.text(status, "overallStatus", "protocolSection.statusModule")
        if overall:
            summary += f"; status {overall.replace('_', ' ').lower()}"
        dates = []
        for key in ("startDateStruct", "completionDateStruct"):
            struct = status.get(key)
            if isinstance(struct, dict) and isinstance(struct.get("date"), str):
                dates.append(struct["date"])
        if len(dates) == 2:
            summary += f"; {dates[0]} to {dates[1]}"
        elif dates and "startDateStruct" in status:
            summary += f"; started {dates[0]}"
        return summary + " (ClinicalTrials.gov record)"

    def population(self, conditions: list[str], eligibility: dict, criteria: str) -> str:
        eligibility_at = "protocolSection.eligibilityModule"
        parts = []
        if conditions:
            parts.append("Conditions: " + "; ".join(conditions) + ".")
        ages = [self.text(eligibility, key, eligibility_at) for key in ("minimumAge", "maximumAge")]
        if ages[0] and ages[1]:
            parts.append(f"Ages {ages[0]} to {ages[1]}.")
        elif ages[0]:
            parts.append(f"Ages {ages[0]} and over.")
        elif ages[1]:
            parts.append(f"Ages up to {ages[1]}.")
        if criteria:
            parts.append("Eligibility (registry): " + _shorten(criteria, 600))
        return " ".join(parts) or "Not described in the registry record."

    def eligibility(self, eligibility: dict, criteria: str) -> dict | None:
        """What the registry's eligibility module states in fields (ages, sex), with its
        criteria text kept whole; criteria only in the text are left not stated."""
        eligibility_at = "protocolSection.eligibilityModule"
        ages = [
            _registry_years(self.text(eligibility, k, eligibility_at))
            for k in ("minimumAge", "maximumAge")
        ]
        sex = {"ALL": "all", "FEMALE": "female", "MALE": "male"}.get(
            (self.text(eligibility, "sex", eligibility_at) or "").upper()
        )
        if ages == [None, None] and sex is None and not criteria:
            return None
        found: dict = {
            "source": self.source_id,
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

    def primary_endpoint(self, primary: list[dict]) -> str | None:
        path = "protocolSection.outcomesModule.primaryOutcomes"
        texts = []
        for index, outcome in enumerate(primary):
            measure = self.text(outcome, "measure", f"{path}[{index}]")
            time_frame = self.text(outcome, "timeFrame", f"{path}[{index}]")
            if measure:
                texts.append(f"{measure} ({time_frame})" if time_frame else measure)
        return "; ".join(texts) or None

    def duration(self, primary: list[dict]) -> float | None:
        weeks = [
            parse_time_frame(o.get("timeFrame"))
            for o in primary
            if isinstance(o.get("timeFrame"), str)
        ]
        weeks = [w for w in weeks if w]
        return max(weeks) if weeks else None

    # -- arms and interventions ------------------------------------------------------

    def arms(self, module: dict, results: dict) -> tuple[dict[str, dict], list[_Intervention]]:
        """Arms keyed by normalised label, and the interventions with their therapies."""
        path = "protocolSection.armsInterventionsModule"
        interventions: list[_Intervention] = []
        for index, item in enumerate(self.items(module, "interventions", path)):
            ipath = f"{path}.interventions[{index}]"
            name = self.text(item, "name", ipath)
            if name is None:
                if item:
                    self.problem(f"{ipath}.name", "missing")
                continue
            intervention = _Intervention(
                name=name,
                kind=(self.text(item, "type", ipath) or "").upper(),
                other_names=self.texts(item, "otherNames", ipath),
                arm_labels=self.texts(item, "armGroupLabels", ipath),
            )
            if not PLACEBO_RE.search(name):
                intervention.therapies = self.matcher.match([name, *intervention.other_names])
            interventions.append(intervention)
        by_name = {_norm(i.name): i for i in interventions}

        flow_n = self.flow_counts(results)
        arms: dict[str, dict] = {}
        used_ids: set[str] = set()
        for index, group in enumerate(self.items(module, "armGroups", path)):
            gpath = f"{path}.armGroups[{index}]"
            label = self.text(group, "label", gpath)
            if label is None:
                if group:
                    self.problem(f"{gpath}.label", "missing")
                continue
            key = _norm(label)
            if key in arms:
                self.problem(f"{gpath}.label", f"{label!r} names two arms")
                continue
            names = [
                TYPE_PREFIX_RE.sub("", name)
                for name in self.texts(group, "interventionNames", gpath)
            ]
            linked = [by_name[_norm(name)] for name in names if _norm(name) in by_name]
            linked += [
                i for i in interventions if key in map(_norm, i.arm_labels) and i not in linked
            ]
            therapy_ids: list[str] = []
            for intervention in linked:
                therapy_ids += [t for t in intervention.therapies if t not in therapy_ids]
            if not therapy_ids and not linked and not PLACEBO_RE.search(label):
                # No intervention linked: the arm label itself may name the drug.
                therapy_ids = self.matcher.match([label])
            base = _slug(label, 24) or f"arm-{index + 1}"
            arm_id, suffix = base, 2
            while arm_id in used_ids:
                arm_id, suffix = f"{base}-{suffix}", suffix + 1
            used_ids.add(arm_id)
            description = self.text(group, "description", gpath)
            intervention_text = "; ".join(i.name for i in linked) or "; ".join(names)
            if len(therapy_ids) > 1:
                self.notes.append(
                    f"{self.nct}: arm '{label}' combines {', '.join(therapy_ids)}; "
                    f"recorded under {therapy_ids[0]}"
                )
            arms[key] = {
                "id": arm_id,
                "name": label,
                "therapy": therapy_ids[0] if therapy_ids else None,
                "intervention": intervention_text or description or label,
                "dose": _shorten(description, 300)
                if description and DOSE_RE.search(description)
                else None,
                "n": flow_n.get(key),
                "_interventions": linked,
            }
        return arms, interventions

    def note_unknown(self, interventions: list[_Intervention], arms: dict[str, dict]) -> None:
        for intervention in interventions:
            if intervention.therapies or intervention.no_therapy:
                continue
            receiving = [arm for arm in arms.values() if intervention in arm["_interventions"]]
            if not receiving:
                where = "it is given to no arm"
            else:
                parts = []
                for arm in receiving:
                    if arm["therapy"]:
                        parts.append(f"arm '{arm['name']}' recorded under {arm['therapy']}")
                    else:
                        parts.append(f"arm '{arm['name']}' kept without a therapy")
                where = "; ".join(parts)
            self.notes.append(
                f"{self.nct}: intervention '{intervention.name}' matches no therapy in the "
                f"database; {where}"
            )

    def flow_counts(self, results: dict) -> dict[str, int]:
        """Participants who started each arm (first period of the participant flow)."""
        flow = results.get("participantFlowModule")
        if not isinstance(flow, dict):
            return {}
        titles = {
            g.get("id"): g.get("title")
            for g in _list(flow.get("groups"))
            if isinstance(g, dict)
            and isinstance(g.get("id"), str)
            and isinstance(g.get("title"), str)
        }
        periods = flow.get("periods")
        if not isinstance(periods, list) or not periods or not isinstance(periods[0], dict):
            return {}
        counts: dict[str, int] = {}
        for milestone in _list(periods[0].get("milestones")):
            if not isinstance(milestone, dict) or str(milestone.get("type", "")).upper() not in (
                "STARTED",
                "STARTED_",
            ):
                continue
            for achievement in _list(milestone.get("achievements")):
                if not isinstance(achievement, dict):
                    continue
                value = _number(achievement.get("numSubjects"))
                title = titles.get(str(achievement.get("groupId")))
                if title and value is not None and value >= 0 and value == int(value):
                    counts[_norm(title)] = int(value)
        return counts

    def start_events(self, trial_id: str, arms: dict[str, dict]) -> list[TimelineEvent]:
        events = []
        for arm in arms.values():
            events.append(
                TimelineEvent(
                    id=f"{trial_id}-{arm['id']}-start",
                    trial=trial_id,
                    arm=arm["id"],
                    week=0,
                    kind="therapy-start",
                    therapy=arm["therapy"],
                    note=arm["intervention"],
                )
            )
        for arm in arms.values():
            del arm["_interventions"]
        return events

    # -- results section -------------------------------------------------------------

    def results(self, results: dict, trial_id: str, arms: dict[str, dict]):
        results_at = "resultsSection"
        module = self.obj(results, "outcomeMeasuresModule", results_at)
        measures = self.items(module, "outcomeMeasures", f"{results_at}.outcomeMeasuresModule")
        unmatched: list[str] = []
        findings: list[dict] = []
        events: list[TimelineEvent] = []
        summaries: list[str] = []
        primary_posted = False
        all_groups: dict[str, _Group] = {}
        for k, outcome in enumerate(measures):
            opath = f"{results_at}.outcomeMeasuresModule.outcomeMeasures[{k}]"
            groups = self.groups(outcome, opath, arms, unmatched)
            all_groups.update(groups)
            rows = self.outcome_rows(outcome, opath, groups, trial_id, k, findings, events)
            is_primary = (self.text(outcome, "type", opath) or "").upper() == "PRIMARY"
            if is_primary and rows:
                primary_posted = True
                summaries.append(self.summary(outcome, opath, rows))
        self.baseline(results, trial_id, arms, unmatched, findings, events)
        for title in unmatched:
            self.notes.append(
                f"{self.nct}: results group '{title}' matches no arm label; its figures are "
                "kept without an arm (group named in the finding text)"
            )
        if summaries:
            text = "Registry posted results (primary outcomes): " + " ".join(summaries)
        elif measures:
            text = "Results posted in the registry record, but no primary outcome data."
        else:
            text = "Results section present in the registry record without outcome measures."
        return all_groups, findings, events, text, primary_posted

    def groups(self, outcome, path, arms, unmatched) -> dict[str, _Group]:
        groups: dict[str, _Group] = {}
        for index, group in enumerate(self.items(outcome, "groups", path)):
            gid = self.text(group, "id", f"{path}.groups[{index}]")
            title = self.text(group, "title", f"{path}.groups[{index}]")
            if gid is None:
                continue
            title = title or gid
            arm = arms.get(_norm(title))
            if arm is None and title not in unmatched and _norm(title) not in ("total",):
                unmatched.append(title)
            groups[gid] = _Group(title=title, arm=arm["id"] if arm else None)
        return groups

    def outcome_rows(self, outcome, path, groups, trial_id, k, findings, events):
        """Findings (and chartable events) for each measurement of one outcome measure."""
        title = self.text(outcome, "title", path) or f"outcome measure {k + 1}"
        unit = self.text(outcome, "unitOfMeasure", path)
        time_frame = self.text(outcome, "timeFrame", path)
        param = self.text(outcome, "paramType", path)
        dispersion = self.text(outcome, "dispersionType", path)
        is_primary = (self.text(outcome, "type", path) or "").upper() == "PRIMARY"
        measure, statistic = _measure_of(title, unit, param)
        classes = self.items(outcome, "classes", path)
        cells = []
        for ci, klass in enumerate(classes):
            cpath = f"{path}.classes[{ci}]"
            class_title = self.text(klass, "title", cpath)
            for cj, category in enumerate(self.items(klass, "categories", cpath)):
                gpath = f"{cpath}.categories[{cj}]"
                category_title = self.text(category, "title", gpath)
                for m, cell in enumerate(self.items(category, "measurements", gpath)):
                    cells.append((ci, cj, class_title, category_title, m, cell, gpath))
        rows_per_group = {}
        for cell in cells:
            gid = str(cell[5].get("groupId"))
            rows_per_group[gid] = rows_per_group.get(gid, 0) + 1
        several = any(count > 1 for count in rows_per_group.values())
        rows = []
        for ci, cj, class_title, category_title, m, cell, gpath in cells:
            mpath = f"{gpath}.measurements[{m}]"
            gid = self.text(cell, "groupId", mpath)
            group = groups.get(gid or "")
            if group is None:
                self.problem(f"{mpath}.groupId", f"{gid!r} is not one of this measure's groups")
                continue
            raw = cell.get("value")
            value = _number(raw)
            week = parse_time_frame(class_title) if class_title else None
            if week is None:
                week = parse_time_frame(time_frame)
            row_title = " — ".join(t for t in (class_title, category_title) if t)
            spread = self.text(cell, "spread", mpath)
            lower = self.text(cell, "lowerLimit", mpath)
            upper = self.text(cell, "upperLimit", mpath)
            comment = self.text(cell, "comment", mpath)
            words = [title + (f" ({row_title})" if row_title else "")]
            if param:
                words.append(PARAM_TYPES.get(param, param.replace("_", " ").lower()))
            if value is None:
                shown = "not given" if raw in (None, "") else repr(raw)
                words.append(f"value {shown}")
            ci_text = None
            if dispersion and spread:
                words.append(f"{dispersion.replace('_', ' ').lower()} {spread}")
            if lower and upper:
                if dispersion and "confidence" in dispersion.lower():
                    ci_text = f"{lower} to {upper}"
                else:
                    label = (dispersion or "range").replace("_", " ").lower()
                    words.append(f"{label} {lower} to {upper}")
            if group.arm is None:
                words.append(f"group '{group.title}'")
            if comment:
                words.append(comment)
            finding = {
                "measure": measure or title,
                "arm": group.arm,
                "timepoint_weeks": week,
                "value": value,
                "unit": unit,
                "ci": ci_text,
                "text": "; ".join(words),
                "primary": is_primary,
                "source": self.source_id,
                "verified": True,
                "note": "registry posted results",
            }
            findings.append(finding)
            rows.append((group, value, lower, upper, spread, row_title))
            if measure and group.arm and value is not None and week is not None and statistic:
                event_id = f"{trial_id}-om{k + 1}-{group.arm}"
                if several:
                    event_id += f"-r{ci + 1}-{cj + 1}"
                note = title + (f" ({row_title})" if row_title else "")
                self.event(
                    mpath,
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
                        "note": _shorten(note, 300),
                        "source": self.source_id,
                        "verified": True,
                    },
                    events,
                )
        counts = self.denominators(outcome, path)
        for index, analysis in enumerate(self.items(outcome, "analyses", path)):
            apath = f"{path}.analyses[{index}]"
            finding = self.analysis(analysis, apath, groups, title)
            if finding:
                finding |= {
                    "measure": measure or title,
                    "timepoint_weeks": parse_time_frame(time_frame),
                    "unit": unit,
                    "primary": is_primary,
                    "source": self.source_id,
                }
                finding |= self.effect(analysis, apath, groups, rows, counts, finding)
                findings.append(finding)
        return rows

    def analysis(self, analysis: dict, path: str, groups, title: str) -> dict | None:
        """A between-group comparison posted with an outcome (effect, CI, p value)."""
        p_value = self.text(analysis, "pValue", path)
        param = self.text(analysis, "paramType", path)
        value = self.text(analysis, "paramValue", path)
        lower = self.text(analysis, "ciLowerLimit", path)
        upper = self.text(analysis, "ciUpperLimit", path)
        if not (p_value or value):
            return None
        names = [groups[g].title for g in self.texts(analysis, "groupIds", path) if g in groups]
        method = self.text(analysis, "statisticalMethod", path)
        pct = self.text(analysis, "ciPctValue", path)
        one_sided = (self.text(analysis, "ciNumSides", path) or "").upper() == "ONE_SIDED"
        comment = self.text(analysis, "estimateComment", path)
        text = f"{title}: " + (" vs ".join(names) or "between groups")
        if method:
            text += f"; {method}"
        if comment:
            text += f"; {comment}"
        shown = "not estimable (NA)" if _not_available(value) else value
        level = f"{pct}% CI" if pct else "CI"
        return {
            "arm": None,
            "effect": f"{param or 'estimate'} {shown}" if value else None,
            "ci": f"{lower} to {upper}"
            + (f" ({level}, one-sided)" if one_sided else f" ({level})" if pct else "")
            if lower and upper
            else None,
            "p": p_value,
            "text": text,
            "verified": True,
            "note": "registry posted results (statistical analysis)",
        }

    def effect(self, analysis: dict, path: str, groups, rows, counts, finding: dict) -> dict:
        """The analysis as numbers (estimate, interval and level, scale, arms, n per arm),
        only as far as the record states them; {} leaves it as text.

        API v2 `analyses[]` fields read (all text): paramType (the estimation parameter: "Mean
        Difference (Final Values)", "Odds Ratio (OR)", "Hazard Ratio, Log", "Slope", "Other"…
        or free text), paramValue, ciPctValue, ciNumSides (ONE_SIDED / TWO_SIDED),
        ciLowerLimit, ciUpperLimit, groupIds, groupDescription, estimateComment; n from the
        outcome's denoms (units "Participants"). "NA" is not estimable, never a number. Nothing
        is worked out: no interval from a p-value, no level when ciPctValue is absent, no ratio
        from a log ratio. Which group is compared with which (the sign of a difference, the
        numerator of a ratio) must be stated (estimateComment or groupDescription naming the
        groups in order) or, for a difference, follow from the posted group values: else the
        estimate stays text.
        """
        param = self.text(analysis, "paramType", path)
        scale = _effect_scale(param)
        if scale is None:
            return {}
        raw = {
            name: self.text(analysis, key, path)
            for name, key in (
                ("estimate", "paramValue"),
                ("ci_low", "ciLowerLimit"),
                ("ci_high", "ciUpperLimit"),
            )
        }
        numbers = {name: _number(value) for name, value in raw.items()}
        not_estimable = [name for name, value in raw.items() if _not_available(value)]
        sides = (self.text(analysis, "ciNumSides", path) or "").upper()
        if sides == "ONE_SIDED":  # one bound, at a level not comparable with a two-sided one
            numbers["ci_low"] = numbers["ci_high"] = None
            not_estimable = [name for name in not_estimable if name == "estimate"]
        if numbers["estimate"] is None and "estimate" not in not_estimable:
            return {}
        level = _number(self.text(analysis, "ciPctValue", path))
        has_interval = numbers["ci_low"] is not None or numbers["ci_high"] is not None
        numeric: dict = {
            "scale": scale.value,
            "estimate": numbers["estimate"],
            "not_estimable": not_estimable,
        }
        if numbers["estimate"] is not None:
            numeric |= {"ci_low": numbers["ci_low"], "ci_high": numbers["ci_high"]}
            if has_interval and level is not None and 0 < level < 100:
                numeric["ci_level"] = level
        order = self.compared(analysis, path, groups, rows, scale, numbers)
        if order is None:
            if numbers["estimate"] is None:
                return {"scale": scale.value, "not_estimable": not_estimable}
            return {
                "note": finding["note"] + "; which group is compared with which is not "
                "stated, so the estimate is kept as text"
            }
        first, second = order
        numeric |= {
            "intervention_arm": groups[first].arm,
            "comparator_arm": groups[second].arm,
            "n_intervention": counts.get(first),
            "n_comparator": counts.get(second),
        }
        if sides == "ONE_SIDED":
            numeric["note"] = finding["note"] + "; one-sided interval, kept as text"
        try:
            Finding.model_validate(finding | numeric)
        except ValidationError as error:
            for line in describe_validation_error(error, "analysis"):
                self.problem(path, line.removeprefix("analysis: "))
            return {}
        return numeric

    def compared(self, analysis, path, groups, rows, scale, numbers) -> tuple[str, str] | None:
        """(the intervention's group id, the comparator's): the analysis compares two groups,
        each matched to an arm, and the record says which way round."""
        ids = [g for g in self.texts(analysis, "groupIds", path) if g in groups]
        if len(ids) != 2 or None in (groups[ids[0]].arm, groups[ids[1]].arm):
            return None
        if groups[ids[0]].arm == groups[ids[1]].arm:
            return None
        for key in ("estimateComment", "groupDescription"):
            order = _order_named(self.text(analysis, key, path), ids, groups)
            if order:
                return order
        estimate, low, high = numbers["estimate"], numbers["ci_low"], numbers["ci_high"]
        if scale is not EffectScale.DIFFERENCE or None in (estimate, low, high):
            return None
        # The posted group values, one each, tell which way a difference was taken when the
        # other way round would put their difference outside the record's own interval. The
        # difference decides the order only; it is never stored or shown.
        values: dict[str, list[float]] = {}
        for group, value, *_ in rows:
            for gid in ids:
                if groups[gid] is group and value is not None:
                    values.setdefault(gid, []).append(value)
        if any(len(values.get(gid, [])) != 1 for gid in ids):
            return None
        for first, second in (ids, ids[::-1]):
            posted = values[first][0] - values[second][0]
            if posted * estimate > 0 and not low <= -posted <= high:
                return first, second
        return None

    def denominators(self, outcome: dict, path: str) -> dict[str, int]:
        """Participants analysed per group (the outcome's denoms in units of participants)."""
        counts: dict[str, int] = {}
        for index, denom in enumerate(self.items(outcome, "denoms", path)):
            dpath = f"{path}.denoms[{index}]"
            if _norm(self.text(denom, "units", dpath) or "") != "participants":
                continue
            for j, count in enumerate(self.items(denom, "counts", dpath)):
                gid = self.text(count, "groupId", f"{dpath}.counts[{j}]")
                value = _number(count.get("value"))
                if gid and value is not None and value >= 0 and value == int(value):
                    counts[gid] = int(value)
        return counts

    def summary(self, outcome: dict, path: str, rows) -> str:
        title = self.text(outcome, "title", path) or "primary outcome"
        bits = [
            self.text(outcome, "timeFrame", path),
            PARAM_TYPES.get(self.text(outcome, "paramType", path) or ""),
            self.text(outcome, "unitOfMeasure", path),
        ]
        head = title + (f" ({', '.join(b for b in bits if b)})" if any(bits) else "")
        parts = []
        for group, value, lower, upper, spread, row_title in rows:
            shown = f"{value:g}" if value is not None else "not given"
            if spread:
                shown += f" ± {spread}"
            elif lower and upper:
                shown += f" ({lower} to {upper})"
            prefix = f"{row_title}: " if row_title else ""
            parts.append(f"{prefix}{group.title} {shown}")
        analyses = [
            a
            for a in _list(outcome.get("analyses"))
            if isinstance(a, dict) and isinstance(a.get("pValue"), str)
        ]
        text = f"{head}: {'; '.join(parts)}"
        if analyses:
            text += f"; p={analyses[0]['pValue']}"
        return text + "."

    def baseline(self, results, trial_id, arms, unmatched, findings, events) -> None:
        """Baseline values of our measures (week 0) from the baseline characteristics table."""
        bpath = "resultsSection.baselineCharacteristicsModule"
        module = self.obj(results, "baselineCharacteristicsModule", "resultsSection")
        groups = self.groups(module, bpath, arms, unmatched) if module else {}
        for k, measure_record in enumerate(self.items(module, "measures", bpath)):
            path = f"{bpath}.measures[{k}]"
            title = self.text(measure_record, "title", path) or ""
            unit = self.text(measure_record, "unitOfMeasure", path)
            param = self.text(measure_record, "paramType", path)
            measure, statistic = _measure_of(title, unit, param)
            if measure is None or statistic is None:
                continue
            for ci, klass in enumerate(self.items(measure_record, "classes", path)):
                cpath = f"{path}.classes[{ci}]"
                for cj, category in enumerate(self.items(klass, "categories", cpath)):
                    gpath = f"{cpath}.categories[{cj}]"
                    for m, cell in enumerate(self.items(category, "measurements", gpath)):
                        group = groups.get(str(cell.get("groupId")))
                        value = _number(cell.get("value"))
                        if group is None or group.arm is None or value is None:
                            continue
                        findings.append(
                            {
                                "measure": measure,
                                "arm": group.arm,
                                "timepoint_weeks": 0,
                                "value": value,
                                "unit": unit,
                                "text": f"Baseline: {title}",
                                "source": self.source_id,
                                "verified": True,
                                "note": "registry posted results (baseline characteristics)",
                            }
                        )
                        suffix = f"-r{ci + 1}-{cj + 1}" if (ci, cj) != (0, 0) else ""
                        self.event(
                            f"{gpath}.measurements[{m}]",
                            {
                                "id": f"{trial_id}-bl{k + 1}-{group.arm}{suffix}",
                                "trial": trial_id,
                                "arm": group.arm,
                                "week": 0,
                                "kind": "measurement",
                                "measure": measure,
                                "statistic": "value" if statistic == "change" else statistic,
                                "value": value,
                                "unit": unit,
                                "note": _shorten(f"Baseline: {title}", 300),
                                "source": self.source_id,
                                "verified": True,
                            },
                            events,
                        )

    def event(self, path: str, record: dict, events: list[TimelineEvent]) -> None:
        """Validate one event with the models' own rules (ranges), reporting where it came from."""
        base, suffix = record["id"], 2
        while record["id"] in self.event_ids:  # two results groups matched to one arm
            record["id"], suffix = f"{base}-{suffix}", suffix + 1
        self.event_ids.add(record["id"])
        try:
            events.append(TimelineEvent.model_validate(record))
        except ValidationError as error:
            label = f"{self.where}: {self.label} ({self.nct}): {path} (event {record['id']})"
            self.problems += [
                line.replace(": (record): ", ": ", 1)
                for line in describe_validation_error(error, label)
            ]

    def safety(self, results: dict) -> str | None:
        module = self.obj(results, "adverseEventsModule", "resultsSection")
        if not module:
            return None
        parts = []
        for group in self.items(module, "eventGroups", "resultsSection.adverseEventsModule"):
            title = group.get("title")
            affected = _number(group.get("seriousNumAffected"))
            at_risk = _number(group.get("seriousNumAtRisk"))
            if not isinstance(title, str) or affected is None:
                continue
            share = f"{affected:g}/{at_risk:g}" if at_risk else f"{affected:g}"
            if at_risk:
                share += f" ({100 * affected / at_risk:.1f}%)"
            deaths = _number(group.get("deathsNumAffected"))
            if deaths is not None:
                share += f", deaths {deaths:g}"
            parts.append(f"{_clean(title)} {share}")
        if not parts:
            return "Adverse-event tables posted in the registry record (no group counts)."
        time_frame = module.get("timeFrame")
        when = f" ({_shorten(time_frame, 80)})" if isinstance(time_frame, str) else ""
        return f"Participants with serious adverse events{when}: " + "; ".join(parts) + "."


def _effect_scale(param: str | None) -> EffectScale | None:
    """Our scale for an estimation parameter, or None where the number is not on one of them:
    a log ratio (never exponentiated here), a risk difference (percentage points or a
    proportion, not said), a slope, a Cox coefficient, "Other"."""
    words = _norm(param or "")
    if not words or "log" in words.split():
        return None
    for name, scale in (
        ("hazard ratio", EffectScale.HAZARD_RATIO),
        ("odds ratio", EffectScale.ODDS_RATIO),
        ("risk ratio", EffectScale.RISK_RATIO),
        ("relative risk", EffectScale.RISK_RATIO),
        ("rate ratio", EffectScale.RATE_RATIO),
    ):
        if name in words:
            return scale
    if "difference" in words and "risk difference" not in words:
        return EffectScale.DIFFERENCE  # mean, median, least-squares mean: the measure's unit
    return None


def _not_available(value: str | None) -> bool:
    """The registry's "NA" (not available / not estimable), as against a number or nothing."""
    return value is not None and value.strip().upper() in ("NA", "N/A")


ORDER_WORDS = re.compile(
    r"^(?:-|−|–|/|minus|vs\.?|versus|over|relative to|compared (?:with|to)|divided by)$"
)


def _order_named(text: str | None, ids: list[str], groups) -> tuple[str, str] | None:
    """The two groups in the order a comment names them ("Nintedanib minus Placebo",
    "Drug / Placebo", "Drug versus Placebo"), or None when it does not say."""
    if not text:
        return None
    lowered = text.casefold()
    places = {}
    for gid in ids:
        title = groups[gid].title.casefold()
        if lowered.count(title) != 1:
            return None
        places[gid] = lowered.index(title)
    first, second = sorted(ids, key=places.get)
    end = places[first] + len(groups[first].title)
    between = " ".join(text[end : places[second]].split()).casefold()
    if places[second] < end or not ORDER_WORDS.match(between):
        return None
    return first, second


AGE_UNITS = {
    "year": 1,
    "years": 1,
    "month": 1 / 12,
    "months": 1 / 12,
    "week": 7 / 365.25,
    "weeks": 7 / 365.25,
    "day": 1 / 365.25,
    "days": 1 / 365.25,
}


def _registry_years(text: str | None) -> float | None:
    """ "18 Years", "6 Months" → years; "N/A" or anything else → None (not stated)."""
    number, _, unit = (text or "").strip().partition(" ")
    try:
        value = float(number)
    except ValueError:
        return None
    factor = AGE_UNITS.get(unit.strip().lower())
    return None if factor is None or value < 0 else round(value * factor, 2)


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _detect(patterns: dict[str, str], text: str) -> list[str]:
    return [name for name, pattern in patterns.items() if re.search(pattern, text, re.IGNORECASE)]


def _measure_of(title: str, unit: str | None, param: str | None) -> tuple[str | None, str | None]:
    """Our measure name and statistic for an outcome title, or (None, None).

    A count or share of participants reaching a threshold is not a reading of the measure: it
    becomes a "percent" statistic (share of patients), or nothing for a raw count.
    """
    unit_text = unit or ""
    found = None
    for name, pattern in MEASURE_PATTERNS:
        if pattern.search(title):
            found = name
            break
    if found is None:
        return None, None
    both = f"{title} {unit_text}"
    if found == "FVC":
        if PERCENT_PREDICTED_RE.search(both):
            found = "FVC %pred"
        elif MILLILITRES_RE.search(both):
            found = "FVC mL"
        else:
            return None, None
    elif found == "DLCO":
        if not PERCENT_PREDICTED_RE.search(both):
            return None, None
        found = "DLCO %pred"
    counting = (param or "").upper() in ("COUNT_OF_PARTICIPANTS", "COUNT_OF_UNITS")
    if PARTICIPANTS_RE.search(unit_text) or counting:
        if re.search(r"percent|%", unit_text, re.IGNORECASE):
            return found, "percent"
        if found == "new DUs" and not counting:
            return found, "count"
        return None, None
    if PER_YEAR_RE.search(both):
        return found, "rate"
    if CHANGE_RE.search(title):
        return found, "change"
    if found == "new DUs":
        return found, "count"
    return found, "value"
