"""Registry pages as researchers save them: a plain import stays all or nothing (and says
everything the page held); --skip-unmatched imports the studies that match and names each
one left out and why. Design labels say what the record says."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest

from sclerotui.cli import EXIT_BAD_INPUT, EXIT_OK, build_parser, main
from sclerotui.dataset import bundled_dir, load_directory
from sclerotui.importers.importing import import_files
from sclerotui.importers.registry import parse_registry
from sclerotui.store import Store
from sclerotui.widgets.detail import Feed, RecordView, trial_sections

FIXTURES = Path(__file__).parent / "fixtures" / "registry"
PAGE = FIXTURES / "page_mixed.json"
SINGLE = FIXTURES / "single_study_results.json"

UNMATCHED_STUDY = {
    "protocolSection": {
        "identificationModule": {
            "nctId": "NCT09900003",
            "briefTitle": "Test Fixture: An Unlisted Agent in Diffuse Cutaneous SSc",
        },
        "conditionsModule": {"conditions": ["Diffuse Cutaneous Systemic Sclerosis"]},
        "designModule": {"studyType": "INTERVENTIONAL", "designInfo": {"allocation": "RANDOMIZED"}},
        "armsInterventionsModule": {
            "armGroups": [
                {"label": "ABC-999", "interventionNames": ["Drug: ABC-999"]},
                {"label": "Placebo", "interventionNames": ["Drug: Placebo"]},
            ],
            "interventions": [
                {"type": "DRUG", "name": "ABC-999", "armGroupLabels": ["ABC-999"]},
                {"type": "DRUG", "name": "Placebo", "armGroupLabels": ["Placebo"]},
            ],
        },
    }
}


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def page(tmp_path) -> Path:
    """The mixed page (one study to import, two about other diseases) with a study whose
    only intervention the database does not know."""
    data = json.loads(PAGE.read_text(encoding="utf-8"))
    data["studies"].append(copy.deepcopy(UNMATCHED_STUDY))
    path = tmp_path / "search-results.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


SKIPPED_NOTES = [
    "note: the registry page has more studies (nextPageToken is set); only the 4 in this file "
    "were read",
    "note: skipped NCT09900001: not about systemic sclerosis (conditions: Asthma)",
    "note: skipped NCT09900002: not about systemic sclerosis (conditions: Localized "
    "Scleroderma, Morphea)",
]


def test_a_plain_import_refuses_the_page_and_says_everything_it_held(capsys, mini_db, page):
    before = sha(mini_db)
    code, out, err = run(capsys, "--db", mini_db, "import", page)
    assert code == EXIT_BAD_INPUT
    assert sha(mini_db) == before
    lines = err.splitlines()
    assert lines[0] == (
        f"sclerotui: {page}: studies[3] (NCT09900003): protocolSection.armsInterventionsModule"
        ".interventions: no intervention matches a therapy in the database (interventions: "
        "'ABC-999', 'Placebo'); a trial must belong to at least one therapy: add the therapy "
        "first (or an alias for it), then import this study; or import with --skip-unmatched "
        "to leave such studies out"
    )
    assert lines[1:] == [f"sclerotui: {page}: {note}" for note in SKIPPED_NOTES]


def test_skip_unmatched_imports_what_matches_and_names_each_study_left_out(capsys, mini_db, page):
    code, out, err = run(capsys, "--db", mini_db, "import", "--skip-unmatched", page)
    assert code == EXIT_OK, err
    lines = out.splitlines()
    assert lines[0] == f"{page}: registry: 0 therapies, 1 trials, 0 cases, 2 events, 1 sources"
    assert lines[1:4] == [f"{page}: {note}" for note in SKIPPED_NOTES]
    assert lines[4] == (
        f"{page}: note: left out NCT09900003 (studies[3]): no intervention matches a therapy "
        "in the database (interventions: 'ABC-999', 'Placebo'); add the therapy (or an alias "
        "for it) and import the file again to bring it in"
    )
    with Store(mini_db) as store:
        assert store.trial("nct00883129") is not None
        assert store.trial("nct09900003") is None


def test_skip_unmatched_leaves_other_problems_refusing_the_file(capsys, mini_db, tmp_path):
    broken = copy.deepcopy(UNMATCHED_STUDY)
    broken["protocolSection"]["identificationModule"]["nctId"] = "NCT09900004"
    broken["protocolSection"]["designModule"]["enrollmentInfo"] = {"count": -1}
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"studies": [broken]}), encoding="utf-8")
    before = sha(mini_db)
    code, _, err = run(capsys, "--db", mini_db, "import", "--skip-unmatched", path)
    assert code == EXIT_BAD_INPUT
    assert "enrollmentInfo.count: enrolment cannot be below 0 (got -1)" in err
    assert sha(mini_db) == before


def test_the_option_is_in_the_help():
    text = build_parser()._subparsers._group_actions[0].choices["import"].format_help()
    assert "--skip-unmatched" in text and "leave out the studies" in text


@pytest.fixture(scope="module")
def therapies():
    return load_directory(bundled_dir()).therapies


def study_design(design: dict) -> dict:
    study = copy.deepcopy(UNMATCHED_STUDY)
    study["protocolSection"]["armsInterventionsModule"]["interventions"][0]["name"] = "Rituximab"
    study["protocolSection"]["armsInterventionsModule"]["armGroups"][0]["interventionNames"] = [
        "Biological: Rituximab"
    ]
    study["protocolSection"]["designModule"] = design
    return study


@pytest.mark.parametrize(
    ("design", "evidence_type", "in_design"),
    [
        # DESIRES's record: interventional, no allocation field.
        (
            {"studyType": "INTERVENTIONAL", "designInfo": {}},
            "interventional",
            "allocation not stated",
        ),
        (
            {"studyType": "INTERVENTIONAL", "designInfo": {"allocation": "NON_RANDOMIZED"}},
            "interventional",
            "non-randomised",
        ),
        (
            {"studyType": "INTERVENTIONAL", "designInfo": {"allocation": "RANDOMIZED"}},
            "rct",
            "randomised",
        ),
        ({"studyType": "OBSERVATIONAL"}, "observational", "Observational"),
    ],
)
def test_evidence_type_follows_the_record(therapies, design, evidence_type, in_design):
    (trial,) = parse_registry(study_design(design), "x.json", therapies)[0].trials
    assert trial.evidence_type == evidence_type
    assert in_design in trial.design


def test_an_imported_trials_phase_is_shown_once(mini_db):
    with Store(mini_db) as store:
        import_files(store, [SINGLE])
        trial = store.trial("nct02597933")
        view = RecordView("trial", trial, origin=store.origin_of("trial", trial.id))
    text = "\n".join(Feed(parts).take(10**9).plain for _, parts in trial_sections(view))
    assert text.count("phase 3") == 1
    assert "Design: Interventional: randomised, parallel-group, quadruple-blind;" in text
