"""The ClinicalTrials.gov API v2 study record as the importer reads it: lenient pydantic models.

Only the fields the importer uses are declared, under the registry's own names; fields we do
not read are ignored, so records with fields added later still import. Values are read as the
registry writes them: a number where text is expected is text, null is absent, an empty text
is no text, a list or module that is missing is empty. A value of the wrong shape (text where
a list is, a list where an object is) is a problem located by pydantic; `read_study` reports
every one of them and reads the record on without them, so that its other problems are found
in the same run.
"""

# No `from __future__ import annotations`: pydantic would evaluate every field's annotation from
# its text when the classes are built (compile and eval, about half of this module's import).
import re
from typing import Annotated, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    ValidationError,
)
from pydantic_core import ErrorDetails, PydanticCustomError

T = TypeVar("T")


def _clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    return " ".join(value.split()) or None


def _clean_texts(values: list[str]) -> list[str]:
    return [text for text in (" ".join(value.split()) for value in values) if text]


def _empty_list(value: object) -> object:
    return [] if value is None else value


def _empty_object(value: object) -> object:
    return {} if value is None else value


def _figure(value: object) -> object:
    if isinstance(value, dict | list):
        raise PydanticCustomError("figure", "expected a number or text")
    return value


def _date(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        raise ValueError("not a yyyy, yyyy-MM or yyyy-MM-dd date")
    return value


def _participants(value: object) -> int | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not float(value).is_integer()
    ):
        raise ValueError("not a whole number of participants")
    if value < 0:
        raise ValueError("enrolment cannot be below 0")
    return int(value)


# Text: spaces collapsed, "" as None; a number is its text.
Text = Annotated[str | None, AfterValidator(_clean_text)]
# A list of text, empty ones left out; a number in it is refused (a list of names or labels
# holds none). Lists are empty when missing: from a factory, as pydantic would deep-copy a
# [] default for every object.
Texts = Annotated[
    list[Annotated[str, Strict()]],
    BeforeValidator(_empty_list),
    AfterValidator(_clean_texts),
    Field(default_factory=list),
]
# A list of objects, or an object (a module), that may be null.
Items = Annotated[list[T], BeforeValidator(_empty_list), Field(default_factory=list)]
Part = Annotated[T, BeforeValidator(_empty_object)]
# A figure, kept as written (v2 writes "20.5" or "NA"; older records numbers).
Figure = Annotated[str | int | float | bool | None, PlainValidator(_figure)]


class Lenient(BaseModel):
    """A part of the record: fields we do not read are ignored."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


# -- protocol section ------------------------------------------------------------------------


class Identification(Lenient):
    nctId: Text = None
    briefTitle: Text = None
    officialTitle: Text = None
    acronym: Text = None


class Conditions(Lenient):
    conditions: Texts
    keywords: Texts


class StartDate(Lenient):
    date: Annotated[Text, AfterValidator(_date)] = None


class DateStruct(Lenient):
    date: Text = None


class Status(Lenient):
    startDateStruct: Part[StartDate] = Field(default_factory=StartDate)
    completionDateStruct: Part[DateStruct] = Field(default_factory=DateStruct)
    overallStatus: Text = None


class Enrollment(Lenient):
    count: Annotated[int | None, PlainValidator(_participants)] = None
    type: Text = None


class Masking(Lenient):
    masking: Text = None


class DesignInfo(Lenient):
    allocation: Text = None
    interventionModel: Text = None
    observationalModel: Text = None
    maskingInfo: Part[Masking] = Field(default_factory=Masking)


class Design(Lenient):
    enrollmentInfo: Part[Enrollment] = Field(default_factory=Enrollment)
    studyType: Text = None
    designInfo: Part[DesignInfo] = Field(default_factory=DesignInfo)
    phases: Texts


class Eligibility(Lenient):
    eligibilityCriteria: Text = None
    sex: Text = None
    minimumAge: Text = None
    maximumAge: Text = None


class PlannedOutcome(Lenient):
    measure: Text = None
    description: Text = None
    timeFrame: Text = None


class Outcomes(Lenient):
    primaryOutcomes: Items[PlannedOutcome]


class Named(Lenient):
    """An entry that must name itself: one given with other fields (even ones we do not read)
    but no name is a problem; the empty stand-in for a wrong entry is not."""

    model_config = ConfigDict(extra="allow")

    @property
    def given(self) -> bool:
        return bool(self.model_fields_set or self.model_extra)


class Intervention(Named):
    name: Text = None
    type: Text = None
    otherNames: Texts
    armGroupLabels: Texts


class ArmGroup(Named):
    label: Text = None
    interventionNames: Texts
    description: Text = None


class ArmsInterventions(Lenient):
    interventions: Items[Intervention]
    armGroups: Items[ArmGroup]


class Protocol(Lenient):
    identificationModule: Part[Identification] = Field(default_factory=Identification)
    conditionsModule: Part[Conditions] = Field(default_factory=Conditions)
    statusModule: Part[Status] = Field(default_factory=Status)
    designModule: Part[Design] = Field(default_factory=Design)
    eligibilityModule: Part[Eligibility] = Field(default_factory=Eligibility)
    outcomesModule: Part[Outcomes] = Field(default_factory=Outcomes)
    armsInterventionsModule: Part[ArmsInterventions] = Field(default_factory=ArmsInterventions)


# -- results section -------------------------------------------------------------------------


class Group(Lenient):
    """A results group: OG000 (outcomes), BG000 (baseline), FG000 (flow)."""

    id: Text = None
    title: Text = None


class Achievement(Lenient):
    groupId: Text = None
    numSubjects: Figure = None


class Milestone(Lenient):
    type: Text = None
    achievements: Items[Achievement]


class Period(Lenient):
    milestones: Items[Milestone]


class ParticipantFlow(Lenient):
    groups: Items[Group]
    periods: Items[Period]


class Measurement(Lenient):
    groupId: Text = None
    value: Figure = None
    spread: Text = None
    lowerLimit: Text = None
    upperLimit: Text = None
    comment: Text = None


class Category(Lenient):
    title: Text = None
    measurements: Items[Measurement]


class MeasureClass(Lenient):
    title: Text = None
    categories: Items[Category]


class Count(Lenient):
    groupId: Text = None
    value: Figure = None


class Denominator(Lenient):
    units: Text = None
    counts: Items[Count]


class Analysis(Lenient):
    """A between-group comparison posted with an outcome (API v2 fields, all text)."""

    pValue: Text = None
    paramType: Text = None
    paramValue: Text = None
    ciLowerLimit: Text = None
    ciUpperLimit: Text = None
    groupIds: Texts
    statisticalMethod: Text = None
    ciPctValue: Text = None
    ciNumSides: Text = None
    estimateComment: Text = None
    groupDescription: Text = None


class OutcomeMeasure(Lenient):
    groups: Items[Group]
    title: Text = None
    unitOfMeasure: Text = None
    timeFrame: Text = None
    paramType: Text = None
    dispersionType: Text = None
    type: Text = None
    classes: Items[MeasureClass]
    denoms: Items[Denominator]
    analyses: Items[Analysis]


class OutcomeMeasures(Lenient):
    outcomeMeasures: Items[OutcomeMeasure]


class BaselineMeasure(Lenient):
    title: Text = None
    unitOfMeasure: Text = None
    paramType: Text = None
    classes: Items[MeasureClass]


class Baseline(Lenient):
    groups: Items[Group]
    measures: Items[BaselineMeasure]


class EventGroup(Lenient):
    title: Text = None
    seriousNumAffected: Figure = None
    seriousNumAtRisk: Figure = None
    deathsNumAffected: Figure = None


class AdverseEvents(Lenient):
    eventGroups: Items[EventGroup]
    timeFrame: Text = None


class Results(Lenient):
    participantFlowModule: Part[ParticipantFlow] = Field(default_factory=ParticipantFlow)
    outcomeMeasuresModule: Part[OutcomeMeasures] = Field(default_factory=OutcomeMeasures)
    baselineCharacteristicsModule: Baseline | None = None
    adverseEventsModule: AdverseEvents | None = None


class Study(Lenient):
    protocolSection: Protocol
    resultsSection: Results | None = None


# -- reading one record ----------------------------------------------------------------------

# The shapes JSON has, for pydantic's error types that name a Python one.
EXPECTED = {
    "model_type": "an object",
    "model_attributes_type": "an object",
    "dict_type": "an object",
    "list_type": "a list",
    "string_type": "text",
    "figure": "a number or text",
}


def read_study(record: dict) -> tuple[Study | None, list[ErrorDetails]]:
    """The study as models, and every shape problem in it (pydantic's error details, in JSON
    words: "expected a list"). Each wrong value is left out (an object in a list becomes an
    empty one, so the others keep their places) and the record read again without them, as
    the registry would have written it without that field. None if that still fails."""
    try:
        return Study.model_validate(record), []
    except ValidationError as error:
        details = error.errors()
    pruned: object = record
    for item in details:
        placeholder = {} if EXPECTED.get(item["type"]) == "an object" else ""
        pruned = _without(pruned, item["loc"], placeholder)
    try:
        study = Study.model_validate(pruned)
    except ValidationError:
        study = None
    return study, [_in_json_words(item) for item in details]


def _without(data: object, loc: tuple, placeholder: object) -> object:
    """`data` without the value at `loc`: a key is dropped, a list item replaced by the
    placeholder. Only the containers on the way are copied."""
    if not loc:
        return data
    key, rest = loc[0], loc[1:]
    if isinstance(data, dict) and key in data:
        copy = dict(data)
        if rest:
            copy[key] = _without(copy[key], rest, placeholder)
        else:
            del copy[key]
        return copy
    if isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
        copy = list(data)
        copy[key] = _without(copy[key], rest, placeholder) if rest else placeholder
        return copy
    return data


def _in_json_words(item: ErrorDetails) -> ErrorDetails:
    expected = EXPECTED.get(item["type"])
    if expected is None:
        return item
    value = item.get("input")
    got = {dict: ", got an object", list: ", got a list"}.get(type(value), "")
    # A scalar is shown as given by describe_validation_error: "expected text (got True)".
    return {**item, "msg": f"expected {expected}{got}"}
