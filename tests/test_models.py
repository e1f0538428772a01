"""Models reject impossible values with messages that name the record and the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sclerotui.models import (
    Arm,
    Case,
    Dataset,
    Finding,
    KnownIds,
    Source,
    TherapyStep,
    TimelineEvent,
    Trial,
    describe_validation_error,
    validate_dataset,
)


def problems(model, record: dict, where: str = "record x") -> list[str]:
    """The lines describe_validation_error gives for a record that must fail."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(record)
    return describe_validation_error(caught.value, where)


def case_event(**overrides) -> dict:
    record = {"id": "e1", "case": "c1", "week": 4, "kind": "measurement"}
    return record | overrides


def figure(measure: str, value: float, statistic: str = "value") -> dict:
    return case_event(measure=measure, statistic=statistic, value=value, source="s1", verified=True)


TRIAL = {
    "id": "t1",
    "name": "Trial one",
    "design": "RCT",
    "evidence_type": "rct",
    "population": "SSc",
    "therapies": ["cyclophosphamide"],
    "results": "none",
    "sources": ["s1"],
    "verified": True,
}


@pytest.mark.parametrize(
    ("measure", "value", "shown"),
    [
        ("mRSS", 60, "mRSS 60 is outside 0–51"),
        ("mRSS", -1, "mRSS -1 is outside 0–51"),
        ("FVC %pred", 5, "FVC %pred 5 is outside 10–150"),
        ("FVC %pred", 160, "FVC %pred 160 is outside 10–150"),
    ],
)
def test_absolute_value_out_of_range_names_value(measure, value, shown):
    lines = problems(TimelineEvent, figure(measure, value), "event e1")
    assert len(lines) == 1
    assert lines[0].startswith("event e1: ")
    assert f"value: {shown}" in lines[0]


@pytest.mark.parametrize(("measure", "value"), [("mRSS", 0), ("mRSS", 51), ("FVC %pred", 150)])
def test_absolute_value_at_range_edges_accepted(measure, value):
    assert TimelineEvent.model_validate(figure(measure, value)).value == value


def test_change_from_baseline_may_be_negative():
    event = TimelineEvent.model_validate(figure("mRSS", -6.3, statistic="change"))
    assert event.value == -6.3
    assert event.statistic == "change"


def test_impossible_change_rejected():
    lines = problems(TimelineEvent, figure("mRSS", -60, statistic="change"))
    assert "value: change of -60 in mRSS is impossible" in lines[0]


def test_statistic_default_is_absolute_value():
    record = figure("mRSS", 60)
    del record["statistic"]
    assert "mRSS 60 is outside" in problems(TimelineEvent, record)[0]


def test_negative_n_on_trial_names_field():
    lines = problems(Trial, TRIAL | {"n": -5}, "trial t1")
    assert lines == [
        "trial t1: n: Input should be greater than or equal to 0 (got -5)",
    ]


def test_negative_n_on_arm_names_field():
    arm = {"id": "a", "name": "A", "intervention": "x", "n": -1}
    assert problems(Arm, arm, "arm a") == [
        "arm a: n: Input should be greater than or equal to 0 (got -1)"
    ]
    lines = problems(Trial, TRIAL | {"arms": [arm]}, "trial t1")
    assert lines == ["trial t1: arms.0.n: Input should be greater than or equal to 0 (got -1)"]


def test_trial_event_before_baseline_rejected():
    record = {"id": "e", "trial": "t1", "arm": "a", "week": -1, "kind": "measurement"}
    lines = problems(TimelineEvent, record, "event e")
    assert len(lines) == 1
    assert "week: -1.0 is before baseline in a trial arm" in lines[0]


def test_case_event_before_baseline_allowed():
    # A case timeline may record what happened before diagnosis.
    assert TimelineEvent.model_validate(case_event(week=-10)).week == -10


def test_event_with_case_and_trial_rejected():
    lines = problems(TimelineEvent, case_event(trial="t1", arm="a"))
    assert "exactly one case or one trial arm" in lines[0]


def test_event_with_no_owner_rejected():
    record = case_event()
    del record["case"]
    assert "exactly one case or one trial arm" in problems(TimelineEvent, record)[0]


def test_trial_event_needs_arm():
    record = {"id": "e", "trial": "t1", "week": 0, "kind": "measurement"}
    assert "arm: a trial event must name its arm" in problems(TimelineEvent, record)[0]


def test_event_needs_week_or_date():
    record = case_event()
    del record["week"]
    assert "week: give a time from baseline" in problems(TimelineEvent, record)[0]


def test_unknown_measure_names_field():
    lines = problems(TimelineEvent, figure("skin score", 3), "event e1")
    assert any(line.startswith("event e1: measure: unknown measure 'skin score'") for line in lines)


@pytest.mark.parametrize("missing", ["source", "verified"])
def test_value_without_source_or_verified_rejected(missing):
    record = figure("mRSS", 20)
    del record[missing]
    lines = problems(TimelineEvent, record)
    assert "source: every figure needs a source and a verified flag" in lines[0]


def test_value_without_measure_rejected():
    record = case_event(value=3, source="s1", verified=True)
    assert "measure: a value needs a measure" in problems(TimelineEvent, record)[0]


@pytest.mark.parametrize(
    ("kind", "ref"),
    [("nct", "12345"), ("nct", None), ("pmid", "PMID123"), ("doi", "doi:10.1/x")],
)
def test_source_ref_must_match_kind(kind, ref):
    record = {"id": "s", "kind": kind, "ref": ref, "citation": "c", "verified": True}
    lines = problems(Source, record, "source s")
    assert f"ref {ref!r} is not a valid {kind.upper()} identifier" in lines[0]


@pytest.mark.parametrize(
    ("kind", "ref"),
    [("nct", "NCT00000001"), ("pmid", "12345"), ("doi", "10.1002/art.1"), ("seed", None)],
)
def test_source_ref_valid(kind, ref):
    source = Source.model_validate(
        {"id": "s", "kind": kind, "ref": ref, "citation": "c", "verified": True}
    )
    assert source.ref == ref


def test_unknown_field_rejected():
    lines = problems(TherapyStep, {"therapy": "x", "response": "resistant", "dose": "1 g"})
    assert "dose: Extra inputs are not permitted" in lines[0]


def test_unknown_enum_value_names_field():
    lines = problems(TherapyStep, {"therapy": "x", "response": "worse"}, "case c")
    assert lines[0].startswith("case c: response: Input should be ")
    assert "(got 'worse')" in lines[0]


def test_bad_slug_rejected():
    lines = problems(TherapyStep, {"therapy": "Not A Slug", "response": "resistant"})
    assert lines[0].startswith("record x: therapies.0: String should match pattern")


def test_finding_arm_must_exist():
    finding = {"measure": "mRSS", "arm": "zzz", "source": "s1", "verified": True}
    lines = problems(Trial, TRIAL | {"findings": [finding]})
    assert "findings[0].arm: no arm 'zzz' in this trial" in lines[0]


def test_describe_validation_error_lists_every_problem_with_path():
    record = TRIAL | {"n": -1, "year": 1800, "arms": [{"id": "a", "name": "", "intervention": "x"}]}
    lines = problems(Trial, record, "trials[2] (t1)")
    assert all(line.startswith("trials[2] (t1): ") for line in lines)
    fields = sorted(line.split(": ")[1] for line in lines)
    assert fields == ["arms.0.name", "n", "year"]


def test_describe_validation_error_does_not_dump_containers():
    lines = problems(Trial, TRIAL | {"therapies": []})
    assert lines[0].startswith("record x: therapies: List should have at least 1 item")
    assert "(got" not in lines[0]


# -- validate_dataset: cross-record rules ----------------------------------------------


def test_mini_dataset_is_consistent(mini_dataset):
    assert validate_dataset(mini_dataset) == []


def test_unknown_therapy_in_case_step(mini_dataset):
    mini_dataset.cases[0].therapies[1].therapies = ["unobtainium"]
    assert validate_dataset(mini_dataset) == [
        "case case-one: therapies[1]: unknown therapy id 'unobtainium'"
    ]


def test_unknown_therapy_in_trial_arm(mini_dataset):
    gamma = next(t for t in mini_dataset.trials if t.id == "gamma")
    gamma.arms[1].therapy = "unobtainium"
    assert validate_dataset(mini_dataset) == [
        "trial gamma: arms.mmf.therapy: unknown therapy id 'unobtainium'"
    ]


def test_unknown_source(mini_dataset):
    mini_dataset.trials[1].sources.append("pmid-missing")
    assert validate_dataset(mini_dataset) == ["trial beta: sources: unknown source 'pmid-missing'"]


def test_unknown_source_on_event(mini_dataset):
    mini_dataset.events[0].source = "nowhere"
    assert validate_dataset(mini_dataset) == [
        "event alpha-nin-fvc-0: sources: unknown source 'nowhere'"
    ]


def test_duplicate_ids(mini_dataset):
    mini_dataset.therapies.append(mini_dataset.therapies[0].model_copy())
    mini_dataset.cases.append(mini_dataset.cases[2].model_copy())
    assert validate_dataset(mini_dataset) == [
        "therapy cyclophosphamide: duplicate id",
        "case case-three: duplicate id",
    ]


def test_event_pointing_to_unknown_trial_arm(mini_dataset):
    mini_dataset.events[1].arm = "ghost"
    assert validate_dataset(mini_dataset) == [
        "event alpha-pbo-fvc-0: arm: unknown trial arm alpha/ghost"
    ]


def test_event_pointing_to_unknown_case(mini_dataset):
    mini_dataset.events[5].case = "case-nine"
    assert validate_dataset(mini_dataset) == ["event case-one-dx: case: unknown case 'case-nine'"]


def test_references_may_point_to_known_records(mini_dataset):
    """An import may refer to therapies and sources already in the database."""
    case = Case.model_validate(
        {
            "id": "imported",
            "title": "Imported case",
            "subtype": "diffuse",
            "therapies": [{"therapy": "rituximab", "response": "resistant"}],
            "narrative": "n",
            "illustrative": False,
            "sources": ["pmid-beta"],
        }
    )
    addition = Dataset(cases=[case])
    assert validate_dataset(addition, known=KnownIds.of(mini_dataset)) == []
    assert validate_dataset(addition) == [
        "case imported: sources: unknown source 'pmid-beta'",
        "case imported: therapies[0]: unknown therapy id 'rituximab'",
    ]


def comparison(**overrides) -> dict:
    """A between-arm finding with its effect as numbers."""
    record = {
        "measure": "mRSS",
        "timepoint_weeks": 24,
        "estimate": -2.7,
        "ci_low": -5.85,
        "ci_high": 0.45,
        "ci_level": 95,
        "scale": "difference",
        "favours": "lower",
        "intervention_arm": "a",
        "comparator_arm": "b",
        "source": "s1",
        "verified": True,
    }
    return record | overrides


def trial_with(finding: dict) -> dict:
    arms = [
        {"id": "a", "name": "A", "intervention": "drug", "therapy": "cyclophosphamide"},
        {"id": "b", "name": "B", "intervention": "placebo"},
    ]
    return TRIAL | {"arms": arms, "findings": [finding]}


def test_comparison_with_numbers_accepted():
    trial = Trial.model_validate(trial_with(comparison()))
    finding = trial.findings[0]
    assert (finding.estimate, finding.ci_low, finding.ci_high) == (-2.7, -5.85, 0.45)
    assert finding.no_effect == 0.0 and finding.comparative


def test_ratio_has_no_effect_at_one_and_level_may_be_unstated():
    finding = Finding.model_validate(
        comparison(estimate=1.33, ci_low=0.88, ci_high=2.0, ci_level=None, scale="hazard-ratio")
    )
    assert finding.no_effect == 1.0
    assert finding.ci_level is None


def test_reversed_interval_rejected_with_location():
    lines = problems(Trial, trial_with(comparison(ci_low=0.45, ci_high=-5.85)), "trial t1")
    assert lines == ["trial t1: findings.0: ci_low: the interval is reversed (0.45 is above -5.85)"]


def test_estimate_outside_its_interval_rejected():
    lines = problems(Finding, comparison(estimate=1.0), "finding 0")
    assert "estimate: 1 is outside its own interval -5.85 to 0.45" in lines[0]
    assert lines[0].startswith("finding 0: ")


def test_value_outside_its_interval_rejected():
    record = {
        "measure": "6MWD",
        "arm": "a",
        "value": 70,
        "ci_low": 20,
        "ci_high": 64,
        "source": "s1",
        "verified": True,
    }
    assert "value: 70 is outside its own interval 20 to 64" in problems(Finding, record)[0]


def test_one_sided_interval_checked_on_its_side():
    Finding.model_validate(comparison(estimate=2.53, ci_low=0.28, ci_high=None))
    lines = problems(Finding, comparison(estimate=0.1, ci_low=0.28, ci_high=None))
    assert "estimate: 0.1 is outside its own interval 0.28 to ?" in lines[0]


@pytest.mark.parametrize(
    ("overrides", "shown"),
    [
        ({"scale": None}, "scale: an estimate needs its scale"),
        ({"arm": "a"}, "arm: a between-arm estimate belongs to no single arm"),
        (
            {"scale": "odds-ratio", "estimate": 0.65, "ci_low": -0.1, "ci_high": 0.96},
            "ci_low: a ratio is above 0",
        ),
        ({"estimate": None, "ci_low": 0.1, "ci_high": 0.2}, "an interval needs its estimate"),
        (
            {"estimate": None, "ci_low": None, "ci_high": None, "ci_level": 95},
            "ci_level: a level is given but no interval",
        ),
        ({"comparator_arm": "a"}, "comparator_arm: an arm is not compared with itself"),
        ({"ci_level": 100}, "ci_level"),
        ({"n_intervention": -1}, "n_intervention"),
        ({"scale": "ratio"}, "scale"),
    ],
)
def test_inconsistent_effects_rejected(overrides, shown):
    lines = problems(Finding, comparison(**overrides))
    assert any(shown in line for line in lines), lines


def test_compared_arms_must_exist():
    lines = problems(Trial, trial_with(comparison(comparator_arm="nope")), "trial t1")
    assert "findings[0].comparator_arm: no arm 'nope' in this trial" in lines[0]


def test_older_finding_without_effect_fields_still_reads():
    record = {
        "measure": "mRSS",
        "effect": "difference −1.75",
        "p": "0.28",
        "source": "s1",
        "verified": True,
    }
    finding = Finding.model_validate(record)
    assert finding.estimate is None and finding.scale is None and finding.no_effect is None


def test_step_is_a_regimen_and_the_single_form_still_reads():
    single = TherapyStep.model_validate({"therapy": "methotrexate", "response": "resistant"})
    assert single.therapies == ["methotrexate"]
    regimen = TherapyStep.model_validate(
        {"therapies": ["methotrexate", "glucocorticoids"], "response": "resistant"}
    )
    assert regimen.therapies == ["methotrexate", "glucocorticoids"]
    assert "therapy" not in regimen.model_dump()


@pytest.mark.parametrize(
    ("record", "shown"),
    [
        ({"therapies": [], "response": "resistant"}, "therapies: List should have at least 1"),
        ({"therapies": ["a", "a"], "response": "resistant"}, "named twice in one regimen"),
        ({"therapy": "a", "therapies": ["b"], "response": "resistant"}, "not both"),
    ],
)
def test_bad_regimens_rejected(record, shown):
    assert any(shown in line for line in problems(TherapyStep, record))


def test_subtype_may_be_not_stated():
    case = Case.model_validate(
        {
            "id": "c1",
            "title": "t",
            "subtype": "not-stated",
            "therapies": [{"therapy": "cyclophosphamide", "response": "resistant"}],
            "narrative": "n",
            "illustrative": True,
            "sources": ["s1"],
        }
    )
    assert case.subtype == "not-stated"
