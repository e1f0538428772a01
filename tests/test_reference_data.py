"""The trials and cases bundled from the second reference sheets hold exactly what the sheets
say: every figure (value, unit, arm, timepoint, interval, verification tag) is compared with
the sheet's JSON, so a typo in db/ fails here with the record and the field named.

The sheets are `ssc-evidence-trials-2.json` and `ssc-cases-2.json` from ../shared/reference,
vendored in tests/fixtures/reference (a test checks the copy against the shared original when
it is there). The expectations are read from the sheets, not from scripts/import_reference.py,
so a mistake in the converter fails too. The few places where the bundle deliberately says
less than a sheet's draft (a drug class the source does not name) are listed here, each with
the sheet's words.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sclerotui.dataset import bundled_dir, load_directory
from sclerotui.pathways import pathway_tree

FIXTURE = Path(__file__).parent / "fixtures" / "reference"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "reference"
TRIALS = json.loads((FIXTURE / "ssc-evidence-trials-2.json").read_text(encoding="utf-8"))
CASES = json.loads((FIXTURE / "ssc-cases-2.json").read_text(encoding="utf-8"))["cases"]
TRIAL_IDS = [t["id"] for t in TRIALS]
CASE_IDS = [c["id"] for c in CASES]

# A trial record needs a therapy; this prognosis cohort studies none.
NOT_BUNDLED = {"cardiac-french-cohort-2023": "a prognosis cohort: no therapy studied"}

# Registry ids the sheet marks as a design match only ([V2]): not shown as the trial's own.
REGISTRY_V2 = {"imatinib-prey-2012", "nilotinib-hss-pilot-2015", "botulinum-bello-2017"}

# Where a case names something the app files under another id. Each says no more than the
# sheet: losartan is named in both cases; the ERA in the KJIM case is "agent not named".
THERAPY_IDS = {
    "angiotensin-receptor-blocker": "losartan",
    "endothelin-receptor-antagonist": "era-class",
    "conventional-immunosuppression-unspecified": "conventional-immunosuppression-class",
    "multiple-dmards-unspecified": "dmards-class",
    "prior-src-management-unspecified": "unnamed-prior-therapy",
    "gi-supportive-care-unspecified": "unnamed-prior-therapy",
    "calcinosis-therapy-unspecified": "unnamed-prior-therapy",
}
# Thomas 2015 step 3: "'renin-angiotensin pathway inhibitors'; whether ACE inhibitor, ARB or
# both is [U]" - the sheet's draft says ace-inhibitors, the bundle says the class.
STEP_THERAPY = {("case-thomas-2015-pmscl-src-eculizumab", 3): "ras-inhibitors-class"}
# The sheet filed anti-PM-Scl under "other" only because the app lacked it.
ANTIBODIES = {"case-thomas-2015-pmscl-src-eculizumab": ["anti-pm-scl"]}

# Intervals stored with their level "not stated" where the sheet's JSON says 95: the sheet's
# text prints the level once, beside the first of a pair (tocilizumab FVC: its note says "CI
# level assumed 95% as for mRSS"; AMBITION SSc-PAH and Teixeira 3-month OR: "(95% CI ...)" only
# before the pair's first), or not beside it at all (AMBITION modified ITT). No level assumed.
LEVEL_NOT_BESIDE = {
    ("tocilizumab-eustar-kuster-2022", 1),
    ("ambition-ctd-pah", 1),
    ("ambition-ctd-pah", 2),
    ("src-teixeira-2008", 2),
}
# Arms added to the sheet's: the case-crossover ORs compare "Exposed vs unexposed periods
# (case-crossover)" (the outcomes' arm words) of the same 50 patients.
EXTRA_ARMS = {"src-teixeira-2008": ["exposed-periods", "unexposed-periods"]}

# The design label a reader sees in the title wherever the record is listed.
DESIGN_LABELS = {
    "senscis-on": ("open-label", "single-group"),
    "lotuss": ("open-label", "no placebo"),
    "belimumab-mmf-pilot-2017": ("pilot",),
    "tofacitinib-khanna-2022": ("phase I/II",),
    "fresolimumab-rice-2015": ("open-label", "no control group"),
    "rituximab-daoussis-2017": ("open-label",),
    "inebilizumab-medi551-phase1": ("phase I",),
    "nilotinib-hss-pilot-2015": ("open-label", "single-arm", "pilot"),
    "tocilizumab-eustar-kuster-2022": ("cohort",),
    "ambition-ctd-pah": ("post hoc", "subgroup"),
    "griphon-ctd-pah": ("subgroup",),
    "botulinum-bello-2017": ("within-patient",),
    "losartan-vs-nifedipine-1999": ("pilot",),
    "prucalopride-progass-2017": ("open-label",),
    "octreotide-soudah-1991": ("non-randomised",),
    "src-teixeira-2008": ("retrospective cohort",),
}

# New therapies whose mechanism the sheets state: the words must be in both.
STATED_MECHANISMS = {
    "eculizumab": "anti-C5",
    "romilkimab": "IgG4",
    "fresolimumab": "TGF-beta",
    "inebilizumab": "anti-CD19",
    "nilotinib": "tyrosine kinase inhibitor",
    "losartan": "angiotensin II type 1 receptor antagonist",
    "prucalopride": "5-HT4 agonist",
    "cd19-car-t": "CD19 CAR-T",
    "tofacitinib": "JAK inhibitor",
    "baricitinib": "JAK inhibitor",
}


@pytest.fixture(scope="module")
def data():
    return load_directory(bundled_dir())


@pytest.fixture(scope="module")
def trials(data):
    return {t.id: t for t in data.trials}


@pytest.fixture(scope="module")
def cases(data):
    return {c.id: c for c in data.cases}


@pytest.fixture(scope="module")
def sources(data):
    return {s.id: s for s in data.sources}


def reference_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(FIXTURE.iterdir()))


def tag(note: str | None) -> str | None:
    found = re.search(r"\[(V2|V|U)[\],/ ]", note or "")
    return found.group(1) if found else None


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared reference is not beside the repo")
@pytest.mark.parametrize("name", sorted(path.name for path in FIXTURE.iterdir()))
def test_vendored_sheets_are_the_shared_ones(name):
    assert (FIXTURE / name).read_bytes() == (SHARED / name).read_bytes()


def test_every_sheet_entry_is_bundled_or_said_why_not(trials, cases):
    missing = [t for t in TRIAL_IDS if t not in trials and t not in NOT_BUNDLED]
    assert missing == []
    assert sorted(set(CASE_IDS) - set(cases)) == []


@pytest.mark.parametrize(
    "entry", [t for t in TRIALS if t["id"] not in NOT_BUNDLED], ids=lambda t: t["id"]
)
def test_trial_matches_its_sheet(trials, entry):
    trial = trials[entry["id"]]
    assert trial.year == entry["year"]
    assert trial.n == entry["n"]
    assert trial.duration_weeks == entry["duration_weeks"]
    assert trial.design == entry["design"]
    assert trial.primary_endpoint == entry["primary_endpoint"]
    assert trial.safety == entry["safety"]
    assert trial.verified == entry["verified"]
    assert trial.population.startswith(entry["population"])
    expected_nct = None if entry["id"] in REGISTRY_V2 else entry["nct_id"]
    assert trial.registry_id == expected_nct
    extra = EXTRA_ARMS.get(entry["id"], [])
    assert [a.id for a in trial.arms[len(entry["arms"]) :]] == extra
    for arm, ref in zip(trial.arms[: len(entry["arms"])], entry["arms"], strict=True):
        assert (arm.n, arm.dose) == (ref["n"], ref["dose"]), f"arm {arm.id}"
        assert arm.intervention.startswith(ref["intervention"] or ref["name"]), f"arm {arm.id}"


@pytest.mark.parametrize(
    "entry", [t for t in TRIALS if t["id"] not in NOT_BUNDLED], ids=lambda t: t["id"]
)
def test_every_figure_matches_its_sheet(trials, entry):
    trial = trials[entry["id"]]
    assert len(trial.findings) == len(entry["outcomes"])
    arms = {arm.id: arm for arm in trial.arms}
    for index, (finding, ref) in enumerate(zip(trial.findings, entry["outcomes"], strict=True)):
        where = f"{trial.id} findings[{index}]"
        for field in (
            "value",
            "comparator_value",
            "unit",
            "timepoint_weeks",
            "estimate",
            "ci_low",
            "ci_high",
            "effect",
            "ci",
            "p",
            "note",
        ):
            assert getattr(finding, field) == ref[field], f"{where}.{field}"
        if (trial.id, index) in LEVEL_NOT_BESIDE:
            assert finding.ci_level is None and ref["ci_level"] == 95, f"{where}.ci_level"
        else:
            assert finding.ci_level == ref["ci_level"], f"{where}.ci_level"
        scale = finding.scale.value if finding.scale else None
        assert (
            scale
            == {
                "ratio": {"hazard ratio": "hazard-ratio", "odds ratio": "odds-ratio"}.get(
                    ref["unit"]
                ),
                "difference": "difference",
                None: None,
            }[ref["scale"]]
        ), f"{where}.scale"
        # The arm: the sheet's arm words are on the finding, and the arm(s) it names exist.
        assert ref["measure"] in finding.text and (ref["arm"] or "") in finding.text, where
        named = [finding.arm, finding.intervention_arm, finding.comparator_arm]
        assert all(a is None or a in arms for a in named), where
        if finding.n_intervention is not None:
            assert finding.n_intervention == arms[finding.intervention_arm].n, where
        if finding.n_comparator is not None:
            assert finding.n_comparator == arms[finding.comparator_arm].n, where
        # Verification: the sheet's tag, and the figure cites a source of its trial.
        assert tag(ref["note"]) in ("V", "V2") and finding.verified, where
        assert finding.source in trial.sources, where


def test_plotted_trial_values_are_the_sheets(data, trials):
    """A value drawn on a new trial's timeline is its arm's figure at that week, no other."""
    new = {t["id"] for t in TRIALS}
    plotted = [e for e in data.events if e.trial in new and e.value is not None]
    assert plotted, "some new trials plot their arms' values"
    for event in plotted:
        trial = trials[event.trial]
        matches = [
            f
            for f in trial.findings
            if f.timepoint_weeks == event.week
            and f.source == event.source
            and (
                (f.arm == event.arm and f.value == event.value)
                or (f.intervention_arm == event.arm and f.value == event.value)
                or (f.comparator_arm == event.arm and f.comparator_value == event.value)
            )
        ]
        assert matches and event.verified, event.id


@pytest.mark.parametrize("ref", CASES, ids=lambda c: c["id"])
def test_case_matches_its_sheet(cases, ref):
    case = cases[ref["id"]]
    assert case.sex == ref["sex"]
    assert case.subtype.value == (ref["subtype"] or "not-stated")
    if ref["age"] is not None:
        assert case.age_band == ref["age_band"]
    assert [o.value for o in case.organs] == ref["organs"]
    expected = ANTIBODIES.get(ref["id"], ref["autoantibodies_app"])
    assert [a.value for a in case.autoantibodies] == expected
    assert not case.illustrative
    assert len(case.therapies) == len(ref["steps"])
    for step, ref_step in zip(case.therapies, ref["steps"], strict=True):
        lead = STEP_THERAPY.get(
            (ref["id"], ref_step["order"]),
            THERAPY_IDS.get(ref_step["therapy"], ref_step["therapy"]),
        )
        regimen = [lead] + [THERAPY_IDS.get(t, t) for t in ref_step["concurrent_with"]]
        assert step.therapies == list(dict.fromkeys(regimen)), f"step {ref_step['order']}"
        assert step.response.value == ref_step["response"], f"step {ref_step['order']}"
        assert ref_step["therapy_label"] in step.note
        if ref_step["note"]:
            assert ref_step["note"] in step.note
    assert ref["outcome"] in case.narrative
    assert ref["gaps"] in case.narrative
    if not ref["verified"]:
        assert "Record incomplete" in case.narrative


@pytest.mark.parametrize("ref", [c for c in CASES if c["measurements"]], ids=lambda c: c["id"])
def test_every_case_figure_is_the_sheets(data, cases, ref):
    """A case's values (timing unknown) are written out, each with its unit, timepoint and
    tag, in the narrative and in a timeline event; none is plotted as if its week were known."""
    case = cases[ref["id"]]
    notes = [e.note or "" for e in data.events if e.case == ref["id"]]
    for m in ref["measurements"]:
        written = f"{m['measure']} {m['value']} {m['unit']} ({m['timepoint']}) {m['note']}"
        assert tag(m["note"]) in ("V", "V2"), written
        assert written in case.narrative, written
        assert any(written in note for note in notes), written
    plotted = [e.id for e in data.events if e.case == ref["id"] and e.value is not None]
    assert plotted == []


@pytest.mark.parametrize(
    "entry", [t for t in TRIALS if t["id"] not in NOT_BUNDLED], ids=lambda t: t["id"]
)
def test_trial_sources_keep_where_they_were_read(trials, sources, entry):
    trial = trials[entry["id"]]
    citations = " ".join(sources[s].citation for s in trial.sources)
    for url in entry["source_urls"]:
        assert url in citations, url
    for sid in trial.sources:
        assert re.search(
            r"\[(primary publication|conference abstract|secondary summary|"
            r"registry record)[^\]]*\]",
            sources[sid].citation,
        ), sid


@pytest.mark.parametrize("ref", CASES, ids=lambda c: c["id"])
def test_case_sources_keep_where_they_were_read(cases, sources, ref):
    case = cases[ref["id"]]
    citations = " ".join(sources[s].citation for s in case.sources)
    for url in ref["source_urls"]:
        assert url in citations, url
    assert ref["id_notes"] in citations
    if ref["design"].startswith("conference abstract"):
        assert "(conference abstract)" in case.title
        assert "[conference abstract]" in citations


@pytest.mark.parametrize("trial_id", sorted(DESIGN_LABELS))
def test_design_is_labelled_in_the_title(trials, trial_id):
    name = trials[trial_id].name.lower()
    for label in DESIGN_LABELS[trial_id]:
        assert label.lower() in name, label


def test_registry_matches_read_as_design_matches_are_unverified(trials, sources):
    for trial_id in REGISTRY_V2:
        registry = [sources[s] for s in trials[trial_id].sources if sources[s].kind == "nct"]
        assert registry and all(not s.verified and "[V2]" in s.citation for s in registry)


@pytest.mark.parametrize("therapy_id", sorted(STATED_MECHANISMS))
def test_stated_mechanisms_come_from_the_sheets(data, therapy_id):
    therapy = next(t for t in data.therapies if t.id == therapy_id)
    words = STATED_MECHANISMS[therapy_id]
    assert words.lower() in therapy.mechanism.lower()
    assert words.lower() in reference_text().lower()


def test_unstated_classes_say_so(data):
    """A therapy the sheets give no class for is in the 'not stated' class, and its mechanism
    says not stated unless it quotes the sheet (then it says what the sheet names it)."""
    unclassed = [t for t in data.therapies if t.therapy_class.value == "not-stated"]
    assert len(unclassed) >= 20
    for therapy in unclassed:
        text = therapy.mechanism.lower()
        assert "not stated" in text or "not described" in text or "class" in text, therapy.id


def test_autoantibody_filters_find_published_cases(cases):
    scl70 = [c for c in cases.values() if "anti-scl-70" in c.autoantibodies]
    aca = [c for c in cases.values() if "anticentromere" in c.autoantibodies]
    assert len(scl70) >= 5 and len(aca) >= 4
    assert not any(c.illustrative for c in scl70 + aca)


def test_pathways_rest_on_published_cases(tmp_path):
    """Failed cyclophosphamide and failed rituximab each branch to more than one next step
    that real (not illustrative) patients took."""
    from sclerotui.bundle import build

    store, _ = build(tmp_path / "bundled.db")
    with store:
        for start in ("cyclophosphamide", "rituximab"):
            first = [n for n in pathway_tree(store, start) if n.depth == 1]
            published = [n for n in first if n.cases > n.illustrative]
            assert len(published) >= 2, start
        after_ace = [n for n in pathway_tree(store, "ace-inhibitors") if n.depth == 1]
        assert any(n.cases > n.illustrative for n in after_ace)
