"""ClinicalTrials.gov (API v2) study records: mapping to trials, notes, every error at once."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from sclerotui.dataset import bundled_dir, load_directory
from sclerotui.importers import load
from sclerotui.importers.importing import import_files
from sclerotui.importers.registry import _measure_of, parse_registry, parse_time_frame
from sclerotui.models import SLUG, DataError, KnownIds, Therapy, validate_dataset
from sclerotui.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "registry"
SINGLE = FIXTURES / "single_study_results.json"
PAGE = FIXTURES / "page_mixed.json"
NA_VALUES = FIXTURES / "results_na_values.json"
UNKNOWN = FIXTURES / "unknown_intervention.json"
BAD = FIXTURES / "bad_studies.json"


@pytest.fixture(scope="module")
def therapies() -> list[Therapy]:
    return load_directory(bundled_dir()).therapies


def parse(path: Path, therapies: list[Therapy]):
    return parse_registry(json.loads(path.read_text()), str(path), therapies)


def minimal_study(
    nct="NCT01234567",
    conditions=("Systemic Sclerosis",),
    interventions=(("DRUG", "Nintedanib", ()),),
    title="Test fixture study",
    **protocol,
) -> dict:
    """A small valid study; interventions are (type, name, otherNames), one arm each."""
    section = {
        "identificationModule": {"nctId": nct, "briefTitle": title},
        "conditionsModule": {"conditions": list(conditions)},
        "armsInterventionsModule": {
            "armGroups": [
                {"label": name, "interventionNames": [f"{kind.title()}: {name}"]}
                for kind, name, _ in interventions
            ],
            "interventions": [
                {"type": kind, "name": name, "otherNames": list(other), "armGroupLabels": [name]}
                for kind, name, other in interventions
            ],
        },
    }
    section.update(protocol)
    return {"protocolSection": section}


# -- a full study with results ---------------------------------------------------------


def test_single_study_maps_identification_design_and_population(therapies):
    dataset, notes = parse(SINGLE, therapies)
    assert notes == []
    (trial,) = dataset.trials
    assert trial.id == "nct02597933"
    assert trial.registry_id == "NCT02597933"
    assert trial.acronym == "FIXTURE-ILD"
    assert trial.name == (
        "FIXTURE-ILD (Test Fixture: Nintedanib in Systemic Sclerosis-associated "
        "Interstitial Lung Disease)"
    )
    assert trial.year == 2015
    assert trial.design == (
        "Interventional: randomised, parallel-group, quadruple-blind; enrolment 100 "
        "(actual); status completed; 2015-11 to 2018-11-15 (ClinicalTrials.gov record)"
    )  # the phase is its own field (the detail shows it after the design, once)
    assert trial.evidence_type == "rct"
    assert trial.phase == "3"
    assert trial.n == 100
    assert trial.population.startswith(
        "Conditions: Systemic Sclerosis; Interstitial Lung Disease. Ages 18 Years and over. "
        "Eligibility (registry): Inclusion Criteria: * Systemic sclerosis fulfilling"
    )
    # "sine scleroderma" appears only among the exclusion criteria: not a subtype studied.
    assert trial.subtypes == ["diffuse", "limited"]
    assert trial.organs == ["lung"]
    assert trial.therapies == ["nintedanib"]
    assert trial.duration_weeks == 52
    assert trial.primary_endpoint == (
        "Annual rate of decline in forced vital capacity (FVC) in mL (52 weeks)"
    )
    assert trial.sources == ["nct02597933"]
    assert trial.verified is True


def test_single_study_results_and_safety_text(therapies):
    (trial,) = parse(SINGLE, therapies)[0].trials
    assert trial.results == (
        "Registry posted results (primary outcomes): Annual Rate of Decline in Forced Vital "
        "Capacity (FVC) (52 weeks, mean, mL/year): Nintedanib -40.5 ± 10.1; "
        "Placebo -80.5 ± 10.2; p=0.01."
    )
    assert trial.safety == (
        "Participants with serious adverse events (52 weeks plus 4 weeks follow-up): "
        "Nintedanib 12/51 (23.5%), deaths 1; Placebo 10/49 (20.4%), deaths 0."
    )


def test_arms_match_therapies_and_take_n_from_participant_flow(therapies):
    (trial,) = parse(SINGLE, therapies)[0].trials
    arms = [(a.id, a.name, a.therapy, a.intervention, a.n) for a in trial.arms]
    assert arms == [
        ("nintedanib", "Nintedanib", "nintedanib", "Nintedanib (BIBF 1120)", 51),
        ("placebo", "Placebo", None, "Placebo", 49),
    ]
    assert trial.arms[0].dose == "Nintedanib 150 mg twice daily (test fixture)"
    assert trial.arms[1].dose is None  # no dose in "Matching placebo twice daily"


def test_source_is_the_registry_record(therapies):
    (source,) = parse(SINGLE, therapies)[0].sources
    assert source.id == "nct02597933"
    assert source.kind == "nct"
    assert source.ref == "NCT02597933"
    assert source.verified is True
    assert source.citation == (
        "TEST FIXTURE, NOT REAL DATA: A Randomised, Double-blind, Placebo-controlled Trial of "
        "Nintedanib in Systemic Sclerosis With Interstitial Lung Disease "
        "(ClinicalTrials.gov record)"
    )


def test_findings_one_per_outcome_and_group(therapies):
    (trial,) = parse(SINGLE, therapies)[0].trials
    by_key = {(f.measure, f.arm, f.timepoint_weeks, f.value): f for f in trial.findings}
    fvc = by_key[("FVC mL", "nintedanib", 52, -40.5)]
    assert fvc.unit == "mL/year"
    assert fvc.primary is True
    assert fvc.source == "nct02597933"
    assert fvc.verified is True
    assert fvc.note == "registry posted results"
    assert fvc.text == (
        "Annual Rate of Decline in Forced Vital Capacity (FVC); mean; standard error 10.1"
    )
    assert by_key[("FVC mL", "placebo", 52, -80.5)].primary is True
    skin = by_key[("mRSS", "placebo", 52, -2.0)]
    assert skin.primary is False
    assert skin.ci == "-3.0 to -1.0"  # dispersion is a 95% confidence interval
    assert by_key[("FVC %pred", "nintedanib", 52, 20.0)].unit == "percentage of participants"
    # Baseline characteristics of a charted measure come in at week 0; age is not a finding.
    assert by_key[("FVC %pred", "placebo", 0, 73.0)].text == "Baseline: FVC % predicted"
    assert not any("Age" in (f.text or "") for f in trial.findings)
    assert len(trial.findings) == 9


def test_posted_statistical_analysis_becomes_a_between_arm_finding(therapies):
    (trial,) = parse(SINGLE, therapies)[0].trials
    (analysis,) = [f for f in trial.findings if f.p is not None]
    assert analysis.arm is None
    assert analysis.measure == "FVC mL"
    assert analysis.effect == "Mean Difference (Final Values) 40.0"
    assert analysis.ci == "10.0 to 70.0 (95% CI)"
    assert analysis.p == "0.01"
    assert analysis.text == (
        "Annual Rate of Decline in Forced Vital Capacity (FVC): Nintedanib vs Placebo; "
        "Random coefficient regression"
    )


def test_timeline_events_for_charted_measures(therapies):
    dataset, _ = parse(SINGLE, therapies)
    events = {e.id: e for e in dataset.events}
    assert sorted(events) == [
        "nct02597933-bl2-nintedanib",
        "nct02597933-bl2-placebo",
        "nct02597933-nintedanib-start",
        "nct02597933-om1-nintedanib",
        "nct02597933-om1-placebo",
        "nct02597933-om2-nintedanib",
        "nct02597933-om2-placebo",
        "nct02597933-om3-nintedanib",
        "nct02597933-om3-placebo",
        "nct02597933-placebo-start",
    ]
    rate = events["nct02597933-om1-nintedanib"]
    assert (rate.kind, rate.trial, rate.arm, rate.week) == (
        "measurement",
        "nct02597933",
        "nintedanib",
        52,
    )
    assert (rate.measure, rate.statistic, rate.value, rate.unit) == (
        "FVC mL",
        "rate",
        -40.5,
        "mL/year",
    )
    assert (rate.source, rate.verified) == ("nct02597933", True)
    assert rate.note == "Annual Rate of Decline in Forced Vital Capacity (FVC)"
    change = events["nct02597933-om2-placebo"]
    assert (change.measure, change.statistic, change.value, change.week) == (
        "mRSS",
        "change",
        -2.0,
        52,
    )
    share = events["nct02597933-om3-placebo"]
    assert (share.measure, share.statistic, share.value) == ("FVC %pred", "percent", 30.0)
    baseline = events["nct02597933-bl2-nintedanib"]
    assert (baseline.week, baseline.measure, baseline.statistic, baseline.value) == (
        0,
        "FVC %pred",
        "value",
        71.0,
    )
    start = events["nct02597933-nintedanib-start"]
    assert (start.kind, start.week, start.therapy, start.note) == (
        "therapy-start",
        0,
        "nintedanib",
        "Nintedanib (BIBF 1120)",
    )
    assert events["nct02597933-placebo-start"].therapy is None


def test_ids_are_valid_unique_and_deterministic(therapies):
    first, _ = parse(SINGLE, therapies)
    second, _ = parse(SINGLE, therapies)
    assert first == second
    for path in (SINGLE, PAGE, NA_VALUES, UNKNOWN):
        dataset, _ = parse(path, therapies)
        event_ids = [e.id for e in dataset.events]
        arm_ids = [a.id for t in dataset.trials for a in t.arms]
        assert len(set(event_ids)) == len(event_ids)
        assert len(set(arm_ids)) == len(arm_ids)
        assert all(re.match(SLUG, i) and len(i) <= 80 for i in event_ids + arm_ids)
        assert validate_dataset(dataset, KnownIds(therapies={t.id for t in therapies})) == []


def _with_unknown_fields(value, depth=0):
    if isinstance(value, dict):
        out = {k: _with_unknown_fields(v, depth + 1) for k, v in value.items()}
        out[f"fieldNotYetInvented{depth}"] = {"nested": [1, "two", None], "flag": True}
        return out
    if isinstance(value, list):
        return [_with_unknown_fields(item, depth + 1) for item in value]
    return value


@pytest.mark.parametrize("path", [SINGLE, PAGE, NA_VALUES, UNKNOWN])
def test_unknown_fields_anywhere_are_ignored(therapies, path):
    data = json.loads(path.read_text())
    plain = parse_registry(copy.deepcopy(data), str(path), therapies)
    noisy = parse_registry(_with_unknown_fields(data), str(path), therapies)
    assert noisy == plain


# -- a page, skipped studies, optional modules -------------------------------------------


def test_page_keeps_ssc_study_and_skips_others_with_notes(therapies):
    dataset, notes = parse(PAGE, therapies)
    assert notes == [
        "the registry page has more studies (nextPageToken is set); only the 3 in this file "
        "were read",
        "skipped NCT09900001: not about systemic sclerosis (conditions: Asthma)",
        "skipped NCT09900002: not about systemic sclerosis (conditions: Localized Scleroderma, "
        "Morphea)",
    ]
    assert [t.id for t in dataset.trials] == ["nct00883129"]
    assert [s.id for s in dataset.sources] == ["nct00883129"]


def test_study_without_results_or_optional_modules(therapies):
    (trial,) = parse(PAGE, therapies)[0].trials
    assert trial.results == "No results posted in the registry record."
    assert trial.safety == "not reported in the imported record"
    assert trial.primary_endpoint is None
    assert trial.findings == []
    assert trial.verified is False  # no primary result to have seen
    assert trial.year is None
    assert trial.phase == "2/3"
    assert trial.n == 40
    assert "enrolment 40 (estimated)" in trial.design
    assert trial.population == "Conditions: Scleroderma, Systemic; Lung Diseases, Interstitial."
    assert trial.therapies == ["mycophenolate", "cyclophosphamide"]
    assert [(a.id, a.therapy) for a in trial.arms] == [
        ("mycophenolate-mofetil", "mycophenolate"),
        ("oral-cyclophosphamide", "cyclophosphamide"),
    ]
    assert trial.organs == ["lung"]


@pytest.mark.parametrize(
    ("conditions", "keywords", "title", "kept"),
    [
        (["Systemic Sclerosis"], [], "A study", True),
        (["Scleroderma, Diffuse"], [], "A study", True),
        (["Raynaud Phenomenon"], ["SSc"], "A study", True),
        (["CREST Syndrome"], [], "A study", True),
        (["Interstitial Lung Disease"], [], "Nintedanib in scleroderma lung", True),
        (["Asthma"], ["airway"], "A study", False),
        (["Morphea"], ["localized scleroderma"], "A study", False),
        (["Idiopathic Pulmonary Fibrosis"], ["sscore"], "A study", False),
    ],
)
def test_systemic_sclerosis_detection(therapies, conditions, keywords, title, kept):
    study = minimal_study(conditions=conditions, title=title)
    study["protocolSection"]["conditionsModule"]["keywords"] = keywords
    dataset, notes = parse_registry(study, "x.json", therapies)
    assert (len(dataset.trials) == 1) is kept
    if not kept:
        assert notes == [
            "skipped NCT01234567: not about systemic sclerosis (conditions: "
            f"{', '.join(conditions)})"
        ]


# -- NA and non-numeric values -----------------------------------------------------------


def test_non_numeric_values_keep_their_text_and_make_no_event(therapies):
    dataset, notes = parse(NA_VALUES, therapies)
    (trial,) = dataset.trials
    findings = trial.findings
    na = [f for f in findings if f.arm == "placebo" and f.measure == "mRSS" and f.value is None]
    assert [f.text for f in na] == [
        "Change From Baseline in Modified Rodnan Skin Score (mRSS) (Week 24); mean; value 'NA'; "
        "Test fixture: too few participants to estimate."
    ]
    assert na[0].timepoint_weeks == 24  # the class title names the visit
    empty = [f for f in findings if f.measure == "FVC %pred" and f.arm == "placebo"]
    assert [(f.value, f.text) for f in empty] == [
        (None, "FVC % Predicted; median; value not given")
    ]
    words = [f for f in findings if f.measure == "Patient Global Assessment"]
    assert [(f.arm, f.value, f.timepoint_weeks) for f in words] == [
        ("tocilizumab", None, None),
        ("placebo", 12.5, None),
    ]
    assert "value 'not estimable'" in words[0].text
    measured = sorted((e.arm, e.week, e.value) for e in dataset.events if e.kind == "measurement")
    assert measured == [
        ("placebo", 48, -3.5),
        ("tocilizumab", 24, -3.0),
        ("tocilizumab", 48, -4.0),
    ]
    assert "Week 24: Placebo not given" in trial.results
    assert notes == [
        "NCT02453256: results group 'Tocilizumab 162 mg weekly' matches no arm label; its "
        "figures are kept without an arm (group named in the finding text)"
    ]


def test_group_without_matching_arm_keeps_its_title_in_text(therapies):
    (trial,) = parse(NA_VALUES, therapies)[0].trials
    (fvc,) = [f for f in trial.findings if f.measure == "FVC %pred" and f.value == 80.0]
    assert fvc.arm is None
    assert fvc.text == (
        "FVC % Predicted; median; inter quartile range 70.0 to 90.0; "
        "group 'Tocilizumab 162 mg weekly'"
    )


# -- interventions ------------------------------------------------------------------------


def test_unknown_intervention_is_a_note_and_the_arm_is_kept(therapies):
    dataset, notes = parse(UNKNOWN, therapies)
    (trial,) = dataset.trials
    assert notes == [
        "NCT02161406: intervention 'XYZ-123' matches no therapy in the database; arm "
        "'Abatacept plus XYZ-123' recorded under abatacept; arm 'XYZ-123 alone' kept without "
        "a therapy"
    ]
    assert [(a.id, a.therapy, a.intervention) for a in trial.arms] == [
        ("abatacept", "abatacept", "Abatacept"),
        ("abatacept-plus-xyz-123", "abatacept", "Abatacept; XYZ-123"),
        ("xyz-123-alone", None, "XYZ-123"),
        ("standard-of-care", None, "Standard of care"),
    ]
    assert trial.therapies == ["abatacept"]
    assert trial.evidence_type == "interventional"  # non-randomised, yet not observational
    assert "non-randomised, open-label" in trial.design
    assert trial.duration_weeks == 52  # "12 months"


@pytest.mark.parametrize(
    ("name", "other_names", "expected"),
    [
        ("Nintedanib (BIBF 1120)", [], ["nintedanib"]),
        ("Cyclophosphamide", [], ["cyclophosphamide"]),
        ("IV cyclophosphamide", [], ["cyclophosphamide"]),
        ("BIBF 1120", ["Ofev"], ["nintedanib"]),
        ("Autologous stem-cell transplantation", [], ["hsct"]),
        ("Therapeutic plasma exchange", [], ["plasma-exchange"]),
        ("MTX", [], ["methotrexate"]),
        ("MTXR-9 (test)", [], []),  # whole words only: MTX inside another name is not MTX
        ("Tocilizumabine (test)", [], []),
    ],
)
def test_intervention_matching_is_whole_word_on_names_and_aliases(
    therapies, name, other_names, expected
):
    study = minimal_study(interventions=[("DRUG", name, other_names), ("DRUG", "Rituximab", [])])
    (trial,) = parse_registry(study, "x.json", therapies)[0].trials
    assert trial.arms[0].therapy == (expected[0] if expected else None)
    assert trial.therapies == [*expected, "rituximab"]


def test_placebo_named_after_the_drug_is_still_placebo(therapies):
    study = minimal_study(
        interventions=[
            ("DRUG", "Nintedanib", []),
            ("DRUG", "Placebo matching nintedanib", ["Ofev placebo"]),
        ]
    )
    dataset, notes = parse_registry(study, "x.json", therapies)
    (trial,) = dataset.trials
    assert [(a.name, a.therapy) for a in trial.arms] == [
        ("Nintedanib", "nintedanib"),
        ("Placebo matching nintedanib", None),
    ]
    assert notes == []


def test_arm_with_two_known_therapies_is_noted(therapies):
    study = minimal_study(interventions=[("DRUG", "Cyclophosphamide", [])])
    arm = study["protocolSection"]["armsInterventionsModule"]["armGroups"][0]
    arm["interventionNames"].append("Drug: Methylprednisolone")
    study["protocolSection"]["armsInterventionsModule"]["interventions"].append(
        {"type": "DRUG", "name": "Methylprednisolone", "armGroupLabels": ["Cyclophosphamide"]}
    )
    dataset, notes = parse_registry(study, "x.json", therapies)
    assert dataset.trials[0].therapies == ["cyclophosphamide", "glucocorticoids"]
    assert dataset.trials[0].arms[0].therapy == "cyclophosphamide"
    assert notes == [
        "NCT01234567: arm 'Cyclophosphamide' combines cyclophosphamide, glucocorticoids; "
        "recorded under cyclophosphamide"
    ]


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        (["PHASE3"], "3"),
        (["PHASE2", "PHASE3"], "2/3"),
        (["PHASE2/PHASE3"], "2/3"),
        (["NA"], None),
        ([], None),
        (["EARLY_PHASE1"], "early 1"),
    ],
)
def test_phase(therapies, phases, expected):
    study = minimal_study(designModule={"phases": phases})
    (trial,) = parse_registry(study, "x.json", therapies)[0].trials
    assert trial.phase == expected


# -- errors --------------------------------------------------------------------------------


def test_every_bad_record_in_a_file_is_reported(therapies):
    with pytest.raises(DataError) as caught:
        parse(BAD, therapies)
    where = str(BAD)
    assert caught.value.problems == [
        f"{where}: studies[0]: protocolSection: a study record needs a protocolSection; "
        "it is missing",
        f"{where}: studies[1]: protocolSection.identificationModule.nctId: 'NCT123' is not NCT "
        "followed by 8 digits",
        f"{where}: studies[2] (NCT00077584): protocolSection.designModule.enrollmentInfo.count: "
        "enrolment cannot be below 0 (got -5)",
        f"{where}: studies[3] (NCT01474109): resultsSection.outcomeMeasuresModule."
        "outcomeMeasures[0].classes[0].categories[0].measurements[0] "
        "(event nct01474109-om1-rituximab): value: mRSS 80 is outside 0–51",
        f"{where}: studies[4] (NCT01295736): protocolSection.armsInterventionsModule."
        "interventions: no intervention matches a therapy in the database (interventions: "
        "'ABC-999', 'Placebo'); a trial must belong to at least one therapy: add the therapy "
        "first (or an alias for it), then import this study; or import with --skip-unmatched "
        "to leave such studies out",
        f"{where}: studies[5]: protocolSection.identificationModule.nctId: missing",
        f"{where}: studies[6]: (record): expected a study object, got text",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "not a ClinicalTrials.gov study record"),
        ({"studies": {"a": 1}}, "studies: expected a list of study records, got an object"),
        ({"studies": []}, "studies: the list is empty"),
    ],
)
def test_not_a_study_or_page(therapies, data, message):
    with pytest.raises(DataError) as caught:
        parse_registry(data, "x.json", therapies)
    assert message in caught.value.problems[0]


def test_same_study_twice_in_a_page_is_an_error(therapies):
    page = {"studies": [minimal_study(), minimal_study()]}
    with pytest.raises(DataError) as caught:
        parse_registry(page, "x.json", therapies)
    assert caught.value.problems == [
        "x.json: studies[1] (NCT01234567): the same study as studies[0]; a file may hold each "
        "study once"
    ]


def test_wrong_types_are_errors_naming_the_field(therapies):
    study = minimal_study(
        designModule={"phases": "PHASE3", "enrollmentInfo": {"count": "many"}},
        statusModule={"startDateStruct": {"date": "last spring"}},
    )
    with pytest.raises(DataError) as caught:
        parse_registry(study, "x.json", therapies)
    assert caught.value.problems == [
        "x.json: study (NCT01234567): protocolSection.statusModule.startDateStruct.date: "
        "not a yyyy, yyyy-MM or yyyy-MM-dd date (got 'last spring')",
        "x.json: study (NCT01234567): protocolSection.designModule.enrollmentInfo.count: "
        "not a whole number of participants (got 'many')",
        "x.json: study (NCT01234567): protocolSection.designModule.phases: expected a list "
        "(got 'PHASE3')",
    ]


def test_change_outside_the_possible_span_is_an_error(therapies):
    study = json.loads(SINGLE.read_text())
    measurements = study["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][1][
        "classes"
    ][0]["categories"][0]["measurements"]
    measurements[0]["value"] = "-60"
    with pytest.raises(DataError) as caught:
        parse_registry(study, "x.json", therapies)
    assert caught.value.problems == [
        "x.json: study (NCT02597933): resultsSection.outcomeMeasuresModule.outcomeMeasures[1]."
        "classes[0].categories[0].measurements[0] (event nct02597933-om2-nintedanib): value: "
        "change of -60 in mRSS is impossible"
    ]


# -- time frames and measure names ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "weeks"),
    [
        ("Week 52", 52),
        ("52 weeks", 52),
        ("12 months", 52),
        ("24 Months", 104),
        ("Baseline", 0),
        ("Day 28", 4),
        ("Baseline and week 52", 52),
        ("Baseline, Week 24, Week 48", 48),
        ("Up to 100 weeks", 100),
        ("52-week treatment period", 52),
        ("Weeks 0 to 52", 52),
        ("0-52 weeks", 52),
        ("1 year", 52),
        ("Baseline to Month 6", 26),
        ("From randomisation up to 2 years", 104),
        ("weeks 12, 24 and 52", 52),
        ("Screening", 0),
        ("An unspecified visit", None),
        ("", None),
        (None, None),
    ],
)
def test_time_frame_parsing(text, weeks):
    assert parse_time_frame(text) == weeks


@pytest.mark.parametrize(
    ("title", "unit", "param", "expected"),
    [
        ("Modified Rodnan Skin Score (mRSS)", "units on a scale", "MEAN", ("mRSS", "value")),
        ("Change From Baseline in mRSS", "units on a scale", "MEAN", ("mRSS", "change")),
        ("Annual Rate of Decline in FVC", "mL/year", "MEAN", ("FVC mL", "rate")),
        ("FVC", "mL", "MEAN", ("FVC mL", "value")),
        ("FVC % Predicted", "% predicted", "MEAN", ("FVC %pred", "value")),
        ("Forced Vital Capacity", "liters", "MEAN", (None, None)),
        ("DLCO Percent Predicted", "percent predicted", "MEAN", ("DLCO %pred", "value")),
        ("HAQ-DI Score", "units on a scale", "MEAN", ("HAQ-DI", "value")),
        ("Six-minute Walk Distance", "meters", "MEAN", ("6MWD", "value")),
        ("Serum Creatinine", "µmol/L", "MEAN", ("creatinine", "value")),
        ("Creatinine Clearance", "mL/min", "MEAN", (None, None)),
        ("Raynaud's Condition Score", "units on a scale", "MEAN", ("RCS", "value")),
        ("Number of New Digital Ulcers", "ulcers per participant", "MEAN", ("new DUs", "count")),
        ("ACR CRISS Score", "probability", "MEDIAN", ("CRISS", "value")),
        (
            "Number of Participants With mRSS Improvement",
            "Participants",
            "COUNT_OF_PARTICIPANTS",
            (None, None),
        ),
        ("Patient Global Assessment", "mm", "MEAN", (None, None)),
    ],
)
def test_measure_names(title, unit, param, expected):
    assert _measure_of(title, unit, param) == expected


# -- end to end ------------------------------------------------------------------------------


def test_load_routes_registry_files_with_bundled_therapies():
    therapies = load_directory(bundled_dir()).therapies
    loaded = load(SINGLE, therapies)
    assert loaded.format == "registry"
    assert [t.id for t in loaded.dataset.trials] == ["nct02597933"]
    assert loaded.notes == []
    page = load(PAGE, therapies)
    assert page.format == "registry"
    assert [t.id for t in page.dataset.trials] == ["nct00883129"]
    assert len(page.notes) == 3
    with pytest.raises(DataError) as caught:
        load(BAD, therapies)
    assert len(caught.value.problems) == 7


def test_import_into_a_database_round_trips(mini_db):
    with Store(mini_db) as store:
        report = import_files(store, [SINGLE])
        assert report.written is True
        stored = store.trial("nct02597933")
        (parsed,) = load(SINGLE, store.therapy_records()).dataset.trials
        assert stored.model_dump(exclude={"origin"}) == parsed.model_dump(exclude={"origin"})
        assert store.origin_of("trial", "nct02597933")[0] == "single_study_results.json"
        measured = [e for e in store.events("trial", "nct02597933") if e.kind == "measurement"]
        assert len(measured) == 8


# -- eligibility (the patient lens reads it) ------------------------------------------------


def test_eligibility_fields_and_criteria_text_are_kept(therapies):
    study = minimal_study(
        eligibilityModule={
            "eligibilityCriteria": "Inclusion Criteria:\n* FVC >= 45% predicted",
            "sex": "FEMALE",
            "minimumAge": "18 Years",
            "maximumAge": "75 Years",
        }
    )
    data = parse_registry(study, "study.json", therapies)[0]
    eligibility = data.trials[0].eligibility
    assert (eligibility.age.min, eligibility.age.max, eligibility.sex) == (18, 75, "female")
    assert eligibility.criteria_text == "Inclusion Criteria: * FVC >= 45% predicted"
    assert eligibility.fvc is None  # in the text only: not stated, never parsed from prose
    assert eligibility.source == "nct01234567" and eligibility.verified


def test_registry_ages_in_months_and_na():
    from sclerotui.importers.registry import _registry_years

    assert _registry_years("6 Months") == 0.5
    assert _registry_years("N/A") is None and _registry_years(None) is None


def test_a_study_without_an_eligibility_module_states_none(therapies):
    data = parse_registry(minimal_study(), "study.json", therapies)[0]
    assert data.trials[0].eligibility is None
