"""The patient lens: the profile, similar cases, trial eligibility, pathways, privacy."""

from __future__ import annotations

import random

import pytest
from lens_fixture import EXPECTED_ORDER, PROFILE, build_lens_db
from pydantic import ValidationError

from sclerotui import lists
from sclerotui.lens import (
    CANNOT_TELL,
    ELIGIBLE,
    NO_CRITERIA,
    NOT_ELIGIBLE,
    NOT_STATED,
    WEIGHTS,
    Profile,
    ProfileError,
    ProfileNotSaved,
    ProfileStep,
    TherapyWords,
    case_facts,
    check_trial,
    forget_profile,
    lens_pathways,
    parse_form,
    profile_features,
    rank_key,
    save_profile,
    saved_profile,
    similar_cases,
    trial_fit,
)
from sclerotui.models import Eligibility
from sclerotui.store import Store


@pytest.fixture
def lens_store(tmp_path):
    with Store(build_lens_db(tmp_path / "lens.db")) as store:
        yield store


def names(store):
    return {row.therapy.id: row.therapy.name for row in lists.therapies(store)}


# -- the profile -------------------------------------------------------------------------------


def test_the_form_reads_aliases_regimens_and_responses(lens_store):
    words = TherapyWords(lens_store.therapy_words())
    profile = parse_form(
        {
            "subtype": "dc",
            "antibodies": "scl70",
            "organs": "ild, skin",
            "years": "3",
            "therapies": "cyclo failed; mycophenolate + ritux: partial -> tocilizumab responded",
            "fvc": "55%",
        },
        words,
    )
    assert profile.subtype == "diffuse" and profile.autoantibodies == ["anti-scl-70"]
    assert profile.organs == ["lung", "skin"] and profile.disease_years == 3
    assert [(s.therapies, s.response.value) for s in profile.steps] == [
        (["cyclophosphamide"], "resistant"),
        (["mycophenolate", "rituximab"], "partial"),
        (["tocilizumab"], "responded"),
    ]
    assert profile.fvc == 55 and profile.mrss is None
    assert profile.failed_therapies() == ["cyclophosphamide", "mycophenolate", "rituximab"]
    assert profile.last_failed_step().therapies == ["mycophenolate", "rituximab"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("fvc", "42x", "'42x' is not a number"),
        ("fvc", "400", "400 is outside 10–150"),
        ("mrss", "52", "52 is outside 0–51"),
        ("organs", "liver", "unknown organ 'liver'"),
        ("therapies", "cyclophosphamide", "end each step with the response"),
        ("therapies", "aspirin failed", "no therapy called 'aspirin'"),
        ("subtype", "diffuse limited", "one subtype"),
    ],
)
def test_a_bad_field_is_named_with_why(lens_store, field, value, message):
    words = TherapyWords(lens_store.therapy_words())
    with pytest.raises(ProfileError) as raised:
        parse_form({field: value}, words)
    assert raised.value.field == field
    assert message in str(raised.value)


def test_the_profile_has_no_identifier_fields():
    for field in ("name", "date_of_birth", "dob", "mrn", "nhs_number", "initials"):
        with pytest.raises(ValidationError):
            Profile.model_validate({field: "x"})
    assert set(Profile.model_fields) == {
        "subtype",
        "autoantibodies",
        "organs",
        "disease_years",
        "steps",
        "mrss",
        "fvc",
        "dlco",
    }


# -- similar cases -----------------------------------------------------------------------------


def test_similar_cases_rank_as_the_weights_say(lens_store):
    found = similar_cases(lens_store, PROFILE, names=names(lens_store))
    assert [c.case_id for c in found.cases] == EXPECTED_ORDER
    assert [c.score for c in found.cases] == [16, 15, 12, 8, 8, 8, 5]
    assert found.best == 16


def test_each_hit_says_what_matched_and_what_differs(lens_store):
    hits = {c.case_id: c for c in similar_cases(lens_store, PROFILE, names=names(lens_store)).cases}
    assert hits["c-a"].matched == [
        "also failed Cyclophosphamide",
        "also failed Mycophenolate mofetil",
        "same subtype (dcSSc)",
        "shares anti-Scl-70",
        "also lung (ILD), skin",
    ]
    assert hits["c-a"].differs == []
    assert "lcSSc" in hits["c-c"].differs and "no skin recorded" in hits["c-c"].differs
    assert "responded to Cyclophosphamide" in hits["c-d"].differs
    assert "anticentromere" in hits["c-d"].differs
    assert "antibodies not recorded" in hits["c-e"].differs
    assert "c-f" not in hits  # shares nothing: not similar at all


def test_a_smaller_limit_keeps_the_top_of_the_same_order(lens_store):
    found = similar_cases(lens_store, PROFILE, limit=3)
    assert [c.case_id for c in found.cases] == EXPECTED_ORDER[:3]


def test_an_empty_profile_finds_nothing(lens_store):
    assert similar_cases(lens_store, Profile()).cases == []


def brute_force(store, profile, limit):
    """Every case scored, for checking the fast path: (score, therapy score, id) order."""
    features = profile_features(profile)
    ids = [row[0] for row in store.conn.execute("SELECT id FROM cases")]
    facts = case_facts(store, ids)
    scored = []
    for case_id in ids:
        score = sum(f.weight for f in features if f.holds(facts[case_id]))
        therapy = sum(
            f.weight
            for f in features
            if f.kind in ("failed", "responded") and f.holds(facts[case_id])
        )
        if score:
            scored.append((score, therapy, case_id))
    scored.sort(key=lambda entry: rank_key(*entry))
    return [(score, case_id) for score, _, case_id in scored[:limit]]


def test_the_fast_ranking_equals_scoring_every_case(synthetic_store):
    """The threshold walk finds exactly the top cases that scoring all 2,000 would."""
    rng = random.Random(25)
    therapies = [row.therapy.id for row in lists.therapies(synthetic_store) if row.cases]
    for _ in range(25):
        steps = [
            ProfileStep(therapies=[t], response=rng.choice(["resistant", "partial", "responded"]))
            for t in rng.sample(therapies, rng.randint(0, 3))
        ]
        profile = Profile(
            subtype=rng.choice([None, "diffuse", "limited", "sine"]),
            autoantibodies=rng.sample(["anti-scl-70", "anticentromere", "anti-rnap-iii"], 1),
            organs=rng.sample(["lung", "skin", "gi", "renal", "pah"], rng.randint(0, 3)),
            steps=steps,
        )
        for limit in (1, 7, 20):
            fast = similar_cases(synthetic_store, profile, limit=limit)
            assert [(c.score, c.case_id) for c in fast.cases] == brute_force(
                synthetic_store, profile, limit
            ), profile


def test_the_weights_are_as_documented():
    assert WEIGHTS == {"failed": 4, "subtype": 3, "antibody": 3, "responded": 2, "organ": 1}


# -- trials whose population fits ----------------------------------------------------------------


def eligibility(**fields) -> Eligibility:
    return Eligibility(source="fixture-verified", verified=True, **fields)


def reasons(profile, **fields) -> dict[str, tuple[str, str]]:
    return {c.criterion: (c.outcome, c.reason) for c in check_trial(profile, eligibility(**fields))}


def test_fvc_below_the_minimum_says_so():
    checks = reasons(Profile(fvc=42), fvc={"min": 45, "max": 85})
    assert checks["FVC"] == ("not met", "FVC 42% below the 45% minimum")


def test_values_inside_and_outside_ranges_give_their_reasons():
    profile = Profile(fvc=55, dlco=95, mrss=14, disease_years=8, subtype="limited")
    checks = reasons(
        profile,
        fvc={"min": 45, "max": 85},
        dlco={"min": 30, "max": 89},
        mrss={"min": 14, "min_inclusive": False},
        disease_years={"max": 7},
        subtypes=["diffuse"],
    )
    assert checks["FVC"] == ("met", "FVC 55% within 45%–85%")
    assert checks["DLCO"] == ("not met", "DLCO 95% above the 89% maximum")
    assert checks["mRSS"] == ("not met", "mRSS 14 not above 14")
    assert checks["disease duration"] == (
        "not met",
        "disease duration 8 y above the 7 y maximum",
    )
    assert checks["subtype"] == ("not met", "lcSSc not admitted (dcSSc only)")


def test_criteria_a_source_does_not_state_are_not_stated_never_guessed():
    checks = reasons(Profile(fvc=20, mrss=50, dlco=10), fvc={"min": 45})
    assert checks["mRSS"] == (NOT_STATED, "mRSS: not stated")
    assert checks["DLCO"] == (NOT_STATED, "DLCO: not stated")
    assert checks["subtype"] == (NOT_STATED, "subtype: not stated")
    assert checks["disease duration"] == (NOT_STATED, "disease duration: not stated")


def test_a_criterion_needing_a_value_she_lacks_is_unknown():
    checks = reasons(Profile(), fvc={"min": 45})
    assert checks["FVC"] == ("unknown", "FVC ≥45% required; not in the profile")


def test_trial_verdicts_on_the_fixture(lens_store):
    fits = {f.trial_id: f for f in trial_fit(lens_store, PROFILE)}
    assert fits["t-fvc"].verdict == ELIGIBLE
    assert fits["t-fvc"].reasons == [
        "FVC 55% within 45%–85%",
        "lung (ILD) required; in the profile",
    ]
    assert fits["t-early"].verdict == CANNOT_TELL  # duration and mRSS not in the profile
    assert "disease duration ≤5 y required; not in the profile" in fits["t-early"].reasons
    assert fits["t-limited"].verdict == NOT_ELIGIBLE
    assert fits["t-limited"].reasons == ["dcSSc not admitted (lcSSc only)"]
    assert fits["t-du"].verdict == NOT_ELIGIBLE
    assert fits["t-du"].reasons == ["vascular required; not in the profile"]
    assert fits["t-none"].verdict == NO_CRITERIA and fits["t-none"].checks == []
    # Age and sex are listed but never decide: the profile keeps neither.
    assert fits["t-age"].verdict == NO_CRITERIA
    assert [c.outcome for c in fits["t-age"].checks if c.criterion in ("age", "sex")] == [
        "not checked",
        "not checked",
    ]
    order = [f.verdict for f in trial_fit(lens_store, PROFILE)]
    assert order == sorted(order, key=[ELIGIBLE, CANNOT_TELL, NOT_ELIGIBLE, NO_CRITERIA].index)


def test_bundled_eligibility_matches_the_reference_sheet_numbers():
    """Every number in a bundled trial's eligibility is printed in that trial's population
    text as curated from the reference sheets (months given as years are allowed)."""
    import re

    from sclerotui.dataset import bundled_dir, load_directory

    data = load_directory(bundled_dir())
    filled = [t for t in data.trials if t.eligibility is not None]
    assert len(filled) >= 40
    for trial in filled:
        text = f"{trial.population} {trial.eligibility.note or ''}"
        printed = {float(n) for n in re.findall(r"\d+(?:\.\d+)?", text)}
        e = trial.eligibility
        for rng in (e.disease_years, e.mrss, e.fvc, e.dlco, e.age):
            for bound in (rng.min, rng.max) if rng is not None else ():
                if bound is not None:
                    assert bound in printed or bound * 12 in printed, (trial.id, bound)


# -- pathways ------------------------------------------------------------------------------------


def test_pathways_start_from_her_last_failed_therapy(lens_store):
    result = lens_pathways(lens_store, PROFILE)
    assert result.start == "mycophenolate"
    # c-c's mycophenolate came with rituximab (a regimen): the tree starts from a therapy,
    # and only c-a went on (to rituximab, which it responded to).
    assert [(n.path, n.cases, n.responded_share) for n in result.nodes] == [
        (("rituximab",), 1, 1.0)
    ]
    assert result.failed >= 1 and result.dropped == []


def test_pathways_drop_filters_only_when_nothing_passes_them(lens_store):
    profile = Profile(**{**PROFILE.model_dump(), "organs": ["calcinosis"]})
    result = lens_pathways(lens_store, profile)
    assert result.dropped == ["organ"] and result.nodes


def test_no_failed_therapy_no_pathways(lens_store):
    result = lens_pathways(lens_store, Profile(subtype="diffuse"))
    assert result.start is None and "no failed therapy" in result.why_none


# -- saving the profile: the user's choice, private ---------------------------------------------


def test_saving_and_forgetting_the_profile(lens_store):
    assert saved_profile(lens_store) is None
    save_profile(lens_store, PROFILE)
    profile, when = saved_profile(lens_store)
    assert profile == PROFILE and when
    assert forget_profile(lens_store) and saved_profile(lens_store) is None


def test_a_database_others_can_read_gets_no_profile(lens_store):
    lens_store.path.chmod(0o644)
    with pytest.raises(ProfileNotSaved, match=r"can be read by other users \(mode 0644\)"):
        save_profile(lens_store, PROFILE)
    assert saved_profile(lens_store) is None


def test_a_read_only_database_gets_no_profile(tmp_path):
    path = build_lens_db(tmp_path / "ro.db")
    with Store(path, read_only=True) as store, pytest.raises(ProfileNotSaved, match="read-only"):
        save_profile(store, PROFILE)


def test_a_saved_profile_is_in_no_export(lens_store):
    from sclerotui.export import export_text

    save_profile(lens_store, Profile(**{**PROFILE.model_dump(), "fvc": 47.25}))
    for fmt in ("json", "csv", "md"):
        text = export_text(lens_store, "", fmt)
        assert "47.25" not in text and "lens_profile" not in text


def test_a_saved_profile_with_an_identifier_is_not_read_back(lens_store):
    save_profile(lens_store, PROFILE)
    with lens_store.transaction():
        lens_store.conn.execute(
            """UPDATE lens_profile SET data = json_set(data, '$.name', 'Jane Doe')"""
        )
    assert saved_profile(lens_store) is None
