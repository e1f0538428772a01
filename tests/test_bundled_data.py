"""The curated data in db/: complete, sourced, consistent, and within range.

These tests read the real bundled files (sclerotui.dataset.bundled_dir()), so a curation
mistake fails here with the record named, before it reaches a user's database.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from sclerotui import lists
from sclerotui.bundle import build
from sclerotui.checks import check_database
from sclerotui.dataset import bundled_dir, load_directory, load_vocabularies
from sclerotui.models import (
    Autoantibody,
    EvidenceType,
    Organ,
    Response,
    Subtype,
    TherapyClass,
    validate_dataset,
)
from sclerotui.query import parse
from sclerotui.search import SEARCH_RANKED, Search

REQUIRED_THERAPIES = {
    "methotrexate",
    "cyclophosphamide",
    "mycophenolate",
    "nintedanib",
    "hsct",
    "rituximab",
    "tocilizumab",
    "calcium-channel-blockers",
    "bosentan",
    "macitentan",
    "sildenafil",
    "epoprostenol",
    "ace-inhibitors",
    "plasma-exchange",
}
# vocabularies.json section -> the enum whose every value it must offer (id + label each).
VOCABULARIES = {
    "subtypes": Subtype,
    "organs": Organ,
    "autoantibodies": Autoantibody,
    "responses": Response,
    "evidence_types": EvidenceType,
    "therapy_classes": TherapyClass,
}


@pytest.fixture(scope="module")
def data():
    directory = bundled_dir()
    assert (directory / "therapies.json").is_file(), f"no curated data in {directory}"
    return load_directory(directory)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    store, _ = build(tmp_path_factory.mktemp("bundled") / "bundled.db")
    with store:
        yield store


def test_loads_and_cross_checks(data):
    assert validate_dataset(data) == []


def test_therapies(data):
    ids = {t.id for t in data.therapies}
    assert len(ids) >= 15
    assert ids >= REQUIRED_THERAPIES, f"missing: {sorted(REQUIRED_THERAPIES - ids)}"


def test_trials_have_endpoint_and_sources(data):
    assert len(data.trials) >= 12
    incomplete = [t.id for t in data.trials if not (t.primary_endpoint and t.sources)]
    assert incomplete == []


def test_every_figure_has_source_and_verification(data):
    source_ids = {s.id for s in data.sources}
    bad = [
        f"{trial.id} findings[{index}]"
        for trial in data.trials
        for index, finding in enumerate(trial.findings)
        if finding.source not in source_ids or finding.verified is None
    ]
    bad += [
        f"event {event.id}"
        for event in data.events
        if event.value is not None
        and (event.source not in source_ids or event.verified is None or event.measure is None)
    ]
    assert bad == []


def test_every_referenced_source_exists(data):
    source_ids = {s.id for s in data.sources}
    referenced = {
        *(s for t in data.therapies for s in t.sources),
        *(s for t in data.trials for s in t.sources),
        *(f.source for t in data.trials for f in t.findings),
        *(s for c in data.cases for s in c.sources),
        *(e.source for e in data.events if e.source is not None),
    }
    assert sorted(referenced - source_ids) == []


def test_no_duplicate_ids(data):
    for key in ("sources", "therapies", "trials", "cases", "events"):
        ids = [record.id for record in getattr(data, key)]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        assert duplicates == [], key


def test_unverified_findings_say_so(data):
    unmarked = [
        f"{trial.id} findings[{index}]"
        for trial in data.trials
        for index, finding in enumerate(trial.findings)
        if not finding.verified and not (finding.note or "").startswith("[U]")
    ]
    assert unmarked == []


TAG = re.compile(r"\[(V2|V|U)[\],/ ]")


def test_every_finding_is_tagged_and_flagged_by_its_tag(data):
    """[V]/[V2]: verified; [U]: unverified. A figure with no tag, or a flag that contradicts
    its tag, fails with the finding named."""
    bad = []
    for trial in data.trials:
        for index, finding in enumerate(trial.findings):
            found = TAG.search(finding.note or "")
            if found is None or (found.group(1) == "U") == finding.verified:
                bad.append(f"{trial.id} findings[{index}]")
    assert bad == []


def test_every_finding_cites_a_source_of_its_own_trial(data):
    bad = [
        f"{trial.id} findings[{index}]: {finding.source}"
        for trial in data.trials
        for index, finding in enumerate(trial.findings)
        if finding.source not in trial.sources
    ]
    assert bad == []


def test_no_estimate_outside_its_interval(data):
    bad = []
    for trial in data.trials:
        for index, finding in enumerate(trial.findings):
            centre = finding.estimate if finding.estimate is not None else finding.value
            low, high = finding.ci_low, finding.ci_high
            if centre is None or (low is None and high is None):
                continue
            if (low is not None and centre < low) or (high is not None and centre > high):
                bad.append(f"{trial.id} findings[{index}]")
            if finding.estimate is not None and finding.scale is None:
                bad.append(f"{trial.id} findings[{index}]: no scale")
    assert bad == []


def test_every_case_step_names_known_therapies(data):
    therapy_ids = {t.id for t in data.therapies}
    unknown = [
        f"{case.id} therapies[{index}]: {therapy}"
        for case in data.cases
        for index, step in enumerate(case.therapies)
        for therapy in step.therapies
        if therapy not in therapy_ids
    ]
    assert unknown == []


def test_every_arm_therapy_is_one_of_its_trials_therapies(data):
    bad = [
        f"{trial.id} arms.{arm.id}"
        for trial in data.trials
        for arm in trial.arms
        if arm.therapy is not None and arm.therapy not in trial.therapies
    ]
    assert bad == []


def test_the_evidence_base_is_at_least_60_trials_and_40_cases(built):
    counts = built.counts()
    assert counts["trials"] >= 60 and counts["cases"] >= 40


@pytest.mark.parametrize(
    "query",
    [
        "antibody:scl-70",
        "antibody:centromere",
        "organ:calcinosis",
        "antibody:pm-scl",
        "subtype:not-stated kind:case",
    ],
)
def test_published_cases_answer_the_filters(built, query):
    parsed = parse(query)
    hits = Search(built).hits(parsed, limit=100)
    assert [h for h in hits if h.kind == "case"], query


def test_each_rct_with_arms_has_an_arm_timeline(data):
    with_events = {e.trial for e in data.events if e.trial is not None}
    missing = [
        t.id
        for t in data.trials
        if t.evidence_type is EvidenceType.RCT and t.arms and t.id not in with_events
    ]
    assert missing == []


def test_built_database_passes_checks(built):
    assert check_database(built) == []
    counts = built.counts()
    assert counts["therapies"] >= 15 and counts["trials"] >= 12 and counts["cases"] >= 3


def test_every_therapy_found_by_its_name(built):
    for row in lists.therapies(built):
        hits = Search(built).hits(f'"{row.therapy.name}" kind:therapy')
        assert row.therapy.id in {h.id for h in hits}, row.therapy.id


def test_vocabularies_cover_enums():
    vocabularies = load_vocabularies(bundled_dir())
    for section, enum in VOCABULARIES.items():
        entries = vocabularies.get(section)
        assert isinstance(entries, list), f"vocabularies.json: {section}: missing"
        assert all(entry.get("id") and entry.get("label") for entry in entries), section
        missing = {member.value for member in enum} - {entry["id"] for entry in entries}
        assert missing == set(), f"vocabularies.json: {section}: missing {sorted(missing)}"


FILTER_QUERIES = [
    "organ:lung",
    "organ:lung response:resistant",
    "organ:lung,skin subtype:diffuse",
    "type:rct organ:pah",
    "therapy:cyclophosphamide",
    "therapy:cyclophosphamide response:resistant,partial",
    "therapy:rituximab,tocilizumab organ:lung",
    "kind:trial",
    "kind:therapy class:antifibrotic",
    "kind:case organ:renal",
    "class:biologic",
    "response:responded kind:trial",  # none: only cases have responses
]


@pytest.mark.parametrize("text", FILTER_QUERIES)
def test_filter_only_search_finds_what_a_scan_of_the_index_finds(built, text, monkeypatch):
    # Filters alone are answered from the facet index. Scanning the search index (as a query
    # with excluded words is answered) must agree, hit for hit and in order, where it sees
    # every match: excluding a word no record holds leaves the filters alone to decide.
    query = parse(text)
    fast = Search(built).hits(query, limit=500)
    assert fast or "kind:trial" in text, text
    monkeypatch.setattr(Search, "_by_filters", lambda *args: pytest.fail("not the scan"))
    scanned = Search(built).hits(replace(query, excluded=("zzqqxnotaword",)), limit=500)
    assert len(scanned) < SEARCH_RANKED  # the scan saw every match
    assert [(h.kind, h.id, h.title, h.snippet, h.therapy) for h in fast] == [
        (h.kind, h.id, h.title, h.snippet, h.therapy) for h in scanned
    ]
