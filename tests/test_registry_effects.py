"""Registry analyses (API v2 `outcomeMeasures[].analyses[]`) as numeric effect estimates: only
what the record states, "NA" as not estimable, the direction of a comparison never guessed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sclerotui.dataset import bundled_dir, load_directory
from sclerotui.export import to_json
from sclerotui.importers.registry import parse_registry
from sclerotui.models import DataError, Dataset, Finding, Therapy

FIXTURES = Path(__file__).parent / "fixtures" / "registry"
SENSCIS = FIXTURES / "senscis_registry.json"
SINGLE = FIXTURES / "single_study_results.json"
ANALYSES = FIXTURES / "results_analyses.json"  # synthetic numbers, labelled as a fixture


@pytest.fixture(scope="module")
def therapies() -> list[Therapy]:
    return load_directory(bundled_dir()).therapies


def between_arms(data: dict, therapies) -> list:
    dataset, _ = parse_registry(data, "study.json", therapies)
    (trial,) = dataset.trials
    return [f for f in trial.findings if f.arm is None]


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def by_measure(findings, measure):
    (found,) = [f for f in findings if f.measure == measure]
    return found


def test_senscis_registry_analysis_becomes_the_numbers_it_states(therapies):
    (finding,) = between_arms(load(SENSCIS), therapies)
    assert (finding.estimate, finding.ci_low, finding.ci_high, finding.ci_level) == (
        41.0,
        2.9,
        79.0,
        95,
    )
    assert finding.scale.value == "difference" and finding.unit == "mL/year"
    # Nintedanib −52.4 and placebo −93.3 are posted: 41.0 is nintedanib minus placebo (the
    # other way round would put −40.9 outside the record's own interval 2.9 to 79.0).
    assert (finding.intervention_arm, finding.comparator_arm) == ("nintedanib", "placebo")
    # The fixture posts no denominators, and the registry never says which way is better.
    assert (finding.n_intervention, finding.n_comparator, finding.favours) == (None, None, None)
    assert finding.not_estimable == [] and finding.verified


def test_n_per_arm_comes_from_the_outcomes_participant_denominators(therapies):
    (finding,) = between_arms(load(SINGLE), therapies)
    assert (finding.estimate, finding.ci_level, finding.scale.value) == (40.0, 95, "difference")
    assert (finding.n_intervention, finding.n_comparator) == (51, 49)


def test_a_ratio_whose_comment_names_the_order_is_mapped(therapies):
    odds = by_measure(between_arms(load(ANALYSES), therapies), "FVC %pred")
    assert odds.scale.value == "odds-ratio"
    assert (odds.estimate, odds.ci_low, odds.ci_high, odds.ci_level) == (0.5, 0.25, 0.9, 95)
    assert (odds.intervention_arm, odds.comparator_arm) == ("nintedanib", "placebo")
    assert (odds.n_intervention, odds.n_comparator) == (50, 48)


def test_the_order_named_the_other_way_round_is_kept(therapies):
    data = load(ANALYSES)
    analysis = data["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][0]
    analysis["analyses"][0]["estimateComment"] = "Odds ratio Placebo / Nintedanib"
    odds = by_measure(between_arms(data, therapies), "FVC %pred")
    assert odds.estimate == 0.5  # as posted: never inverted
    assert (odds.intervention_arm, odds.comparator_arm) == ("placebo", "nintedanib")


def test_a_ratio_without_a_stated_order_stays_text(therapies):
    hazard = by_measure(between_arms(load(ANALYSES), therapies), "Time to First Decline in FVC")
    assert (hazard.estimate, hazard.scale, hazard.intervention_arm) == (None, None, None)
    assert hazard.effect == "Hazard Ratio (HR) 0.7" and hazard.ci == "0.5 to 0.95 (95% CI)"
    assert "which group is compared with which is not stated" in hazard.note


def test_a_difference_whose_reverse_reading_fits_the_interval_stays_text(therapies):
    data = load(SENSCIS)
    analysis = data["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][0]
    analysis["analyses"][0]["ciLowerLimit"] = "-50.0"  # now −40.9 lies inside −50 to 79
    (finding,) = between_arms(data, therapies)
    assert finding.estimate is None and finding.effect == "Difference 41.0"


def test_na_is_not_estimable_never_a_number(therapies):
    findings = between_arms(load(ANALYSES), therapies)
    death = by_measure(findings, "Time to Death")
    assert death.estimate is None and death.scale.value == "hazard-ratio"
    assert death.not_estimable == ["estimate", "ci_low", "ci_high"]
    assert death.effect == "Hazard Ratio (HR) not estimable (NA)"
    skin = by_measure(findings, "mRSS")
    assert (skin.estimate, skin.ci_low, skin.ci_high) == (-2.0, -4.0, None)
    assert skin.not_estimable == ["ci_high"]


def test_no_level_is_assumed_when_the_record_gives_none(therapies):
    skin = by_measure(between_arms(load(ANALYSES), therapies), "mRSS")
    assert skin.ci_level is None and skin.ci == "-4.0 to NA"


@pytest.mark.parametrize(
    ("measure", "why"),
    [
        ("Time to First Hospitalisation", "a log hazard ratio is not a hazard ratio"),
        ("HAQ-DI", "a p-value alone gives no estimate and no interval"),
        ("new DUs", "a risk difference's unit (points or a proportion) is not stated"),
    ],
)
def test_nothing_is_worked_out(therapies, measure, why):
    finding = by_measure(between_arms(load(ANALYSES), therapies), measure)
    assert (finding.estimate, finding.ci_low, finding.ci_high, finding.ci_level) == (
        None,
        None,
        None,
        None,
    ), why


def test_a_one_sided_interval_is_not_taken_for_a_two_sided_one(therapies):
    walk = by_measure(between_arms(load(ANALYSES), therapies), "6MWD")
    assert walk.estimate == 8.0
    assert (walk.ci_low, walk.ci_high, walk.ci_level) == (None, None, None)
    assert walk.ci == "1.0 to NA (95% CI, one-sided)"


def test_an_estimate_outside_its_own_interval_is_a_located_problem(therapies):
    data = load(ANALYSES)
    measures = data["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    measures[0]["analyses"][0]["paramValue"] = "1.5"
    with pytest.raises(DataError) as caught:
        parse_registry(data, "study.json", therapies)
    (line,) = caught.value.problems
    assert line.startswith(
        "study.json: study (NCT09999901): "
        "resultsSection.outcomeMeasuresModule.outcomeMeasures[0].analyses[0]: "
    )
    assert "estimate: 1.5 is outside its own interval 0.25 to 0.9" in line


def test_not_estimable_survives_our_json_round_trip(therapies):
    dataset, _ = parse_registry(load(ANALYSES), "study.json", therapies)
    again = Dataset.model_validate_json(to_json(dataset))
    assert again.trials == dataset.trials
    death = by_measure([f for f in again.trials[0].findings if f.arm is None], "Time to Death")
    assert death.not_estimable == ["estimate", "ci_low", "ci_high"]


def test_a_figure_marked_not_estimable_cannot_also_be_given():
    with pytest.raises(ValueError, match=r"not_estimable: ci_high is given \(2\)"):
        Finding(
            measure="mRSS",
            estimate=1,
            ci_low=0,
            ci_high=2,
            scale="difference",
            not_estimable=["ci_high"],
            source="x",
            verified=True,
        )
