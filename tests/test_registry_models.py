"""The registry record read through lenient models: every wrong shape located (by pydantic) and
reported in one run, with the record's other problems; fields we do not read ignored; a study
about another disease still skipped whatever its other modules hold."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from sclerotui.cli import EXIT_BAD_INPUT, main
from sclerotui.dataset import bundled_dir, load_directory
from sclerotui.importers.registry import parse_registry
from sclerotui.importers.registry.models import Study, read_study
from sclerotui.models import DataError, Therapy, describe_validation_error

FIXTURES = Path(__file__).parent / "fixtures" / "registry"
SINGLE = FIXTURES / "single_study_results.json"
RESULTS = "resultsSection.outcomeMeasuresModule.outcomeMeasures"


@pytest.fixture(scope="module")
def therapies() -> list[Therapy]:
    return load_directory(bundled_dir()).therapies


def single() -> dict:
    return json.loads(SINGLE.read_text(encoding="utf-8"))


def problems_of(data: object, therapies: list[Therapy]) -> list[str]:
    with pytest.raises(DataError) as caught:
        parse_registry(data, "x.json", therapies)
    return caught.value.problems


def test_three_wrong_shapes_in_one_study_are_all_located_in_one_run(capsys, mini_db, tmp_path):
    """Text where a list is (protocol), text where an object is (participant flow, a field the
    importer used to pass over in silence), an object where a list is (deep in the results)."""
    study = single()
    study["protocolSection"]["designModule"]["phases"] = "PHASE3"
    flow = study["resultsSection"]["participantFlowModule"]
    flow["periods"][0]["milestones"][0]["achievements"][0] = "51"
    outcome = study["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][1]
    outcome["classes"][0]["categories"][0]["measurements"] = {"groupId": "OG000"}
    path = tmp_path / "three.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    before = hashlib.sha256(mini_db.read_bytes()).hexdigest()

    code = main(["--db", str(mini_db), "import", str(path)])

    out, err = capsys.readouterr()
    where = f"sclerotui: {path}: study (NCT02597933)"
    assert code == EXIT_BAD_INPUT
    assert "Traceback" not in out + err
    assert err.splitlines() == [
        f"{where}: protocolSection.designModule.phases: expected a list (got 'PHASE3')",
        f"{where}: resultsSection.participantFlowModule.periods[0].milestones[0]"
        ".achievements[0]: expected an object (got '51')",
        f"{where}: {RESULTS}[1].classes[0].categories[0].measurements: expected a list, "
        "got an object",
    ]
    assert hashlib.sha256(mini_db.read_bytes()).hexdigest() == before


def test_a_wrong_shape_does_not_hide_the_studys_other_problems(therapies):
    """The wrong value is left out and the record read on: the unknown intervention is found
    in the same run."""
    study = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT01234567", "briefTitle": "A trial in SSc"},
            "conditionsModule": {"conditions": ["Systemic Sclerosis"], "keywords": "skin"},
            "armsInterventionsModule": {
                "interventions": [{"name": "ABC-999", "armGroupLabels": "ABC-999"}]
            },
        }
    }
    where = "x.json: study (NCT01234567): protocolSection"
    assert problems_of(study, therapies) == [
        f"{where}.conditionsModule.keywords: expected a list (got 'skin')",
        f"{where}.armsInterventionsModule.interventions[0].armGroupLabels: expected a list "
        "(got 'ABC-999')",
        f"{where}.armsInterventionsModule.interventions: no intervention matches a therapy in "
        "the database (interventions: 'ABC-999'); a trial must belong to at least one therapy: "
        "add the therapy first (or an alias for it), then import this study; or import with "
        "--skip-unmatched to leave such studies out",
    ]


def test_a_wrong_entry_keeps_the_places_of_the_others(therapies):
    """outcomeMeasures[0] is not an object: the next measure's problem is still at [1]."""
    study = single()
    measures = study["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    measures[0] = "Annual rate of decline"
    measures[1]["classes"][0]["categories"][0]["measurements"][0]["groupId"] = "OG009"
    assert problems_of(study, therapies) == [
        f"x.json: study (NCT02597933): {RESULTS}[0]: expected an object "
        "(got 'Annual rate of decline')",
        f"x.json: study (NCT02597933): {RESULTS}[1].classes[0].categories[0].measurements[0]"
        ".groupId: 'OG009' is not one of this measure's groups",
    ]


def test_every_kind_of_wrong_shape_is_named_in_json_words(therapies):
    study = single()
    protocol = study["protocolSection"]
    protocol["statusModule"] = ["COMPLETED"]
    protocol["identificationModule"]["acronym"] = {"short": "X"}
    protocol["designModule"]["designInfo"]["allocation"] = True
    protocol["conditionsModule"]["keywords"] = ["lung", 7]
    study["resultsSection"]["adverseEventsModule"]["eventGroups"][0]["seriousNumAffected"] = [12]
    where = "x.json: study (NCT02597933)"
    assert problems_of(study, therapies) == [
        f"{where}: protocolSection.identificationModule.acronym: expected text, got an object",
        f"{where}: protocolSection.conditionsModule.keywords[1]: expected text (got 7)",
        f"{where}: protocolSection.statusModule: expected an object, got a list",
        f"{where}: protocolSection.designModule.designInfo.allocation: expected text (got True)",
        f"{where}: resultsSection.adverseEventsModule.eventGroups[0].seriousNumAffected: "
        "expected a number or text, got a list",
    ]


def add_unknown_fields(node: object) -> None:
    if isinstance(node, dict):
        for value in list(node.values()):
            add_unknown_fields(value)
        node["fieldAddedLater"] = {"nested": [1, "two", None]}
    elif isinstance(node, list):
        for value in node:
            add_unknown_fields(value)


def test_fields_we_do_not_read_are_ignored_at_every_level(therapies):
    study = single()
    grown = copy.deepcopy(study)
    add_unknown_fields(grown)
    assert grown["resultsSection"]["outcomeMeasuresModule"]["fieldAddedLater"]
    expected, notes = parse_registry(study, "x.json", therapies)
    found, grown_notes = parse_registry(grown, "x.json", therapies)
    assert found.model_dump() == expected.model_dump()
    assert grown_notes == notes
    assert read_study(grown)[1] == []


def test_null_is_read_as_absent(therapies):
    study = single()
    study["protocolSection"]["conditionsModule"]["keywords"] = None
    study["protocolSection"]["eligibilityModule"] = None
    study["resultsSection"]["baselineCharacteristicsModule"] = None
    (trial,) = parse_registry(study, "x.json", therapies)[0].trials
    assert trial.eligibility is None
    assert trial.population == "Conditions: Systemic Sclerosis; Interstitial Lung Disease."


def test_a_study_about_another_disease_is_skipped_whatever_else_it_holds(therapies):
    """Only what says which study it is and what it is about is read before it is skipped."""
    other = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT09900001", "briefTitle": "Asthma trial"},
            "conditionsModule": {"conditions": ["Asthma"]},
            "designModule": "not read",
        },
        "resultsSection": {"outcomeMeasuresModule": []},
    }
    page = {"studies": [single(), other]}
    dataset, notes = parse_registry(page, "x.json", therapies)
    assert [t.id for t in dataset.trials] == ["nct02597933"]
    assert notes == ["skipped NCT09900001: not about systemic sclerosis (conditions: Asthma)"]
    other["protocolSection"]["conditionsModule"]["keywords"] = "asthma"
    assert problems_of(page, therapies)[0] == (
        "x.json: studies[1] (NCT09900001): protocolSection.conditionsModule.keywords: "
        "expected a list (got 'asthma')"
    )


def test_a_malformed_identifier_is_reported_once(therapies):
    study = single()
    study["protocolSection"]["identificationModule"]["nctId"] = ["NCT02597933"]
    assert problems_of(study, therapies) == [
        "x.json: study: protocolSection.identificationModule.nctId: expected text, got a list"
    ]


def test_the_models_read_the_whole_fixture_without_a_problem():
    study, problems = read_study(single())
    assert problems == []
    assert isinstance(study, Study)
    first = study.resultsSection.outcomeMeasuresModule.outcomeMeasures[0]
    assert first.classes[0].categories[0].measurements[0].groupId == "OG000"


class Inner(BaseModel):
    n: int


class Outer(BaseModel):
    items: list[Inner]


def test_describe_validation_error_writes_list_indexes_as_json_paths():
    with pytest.raises(ValidationError) as caught:
        Outer.model_validate({"items": [{"n": 1}, {"n": "x"}]})
    assert describe_validation_error(caught.value, "f") == [
        "f: items.1.n: Input should be a valid integer, unable to parse string as an integer "
        "(got 'x')"
    ]
    assert describe_validation_error(caught.value.errors(), "f", brackets=True) == [
        "f: items[1].n: Input should be a valid integer, unable to parse string as an integer "
        "(got 'x')"
    ]
