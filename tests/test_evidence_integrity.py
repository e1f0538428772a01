"""The bundled evidence holds what its sources say, no more: the figures of comparisons carry
their source, verification and a consistent interval, and every number is one the reference
fact sheet gives; the cases hold what their source states (therapies, subtype, sex).

The expected values below are read from /work/shared/reference (seed-essays.md for the
illustrative cases, ssc-evidence.md for the published ones), quoted beside each.
"""

from __future__ import annotations

import pytest

from sclerotui.dataset import bundled_dir, load_directory


@pytest.fixture(scope="module")
def data():
    return load_directory(bundled_dir())


# case id -> (subtype, sex, regimens in order, what the source says)
CASES = {
    "case-dcssc-cyc-hsct": (
        "diffuse",
        "female",
        [["cyclophosphamide"], ["hsct"]],
        "a middle-aged woman with diffuse cutaneous scleroderma ... despite multiple rounds of "
        "cyclophosphamide ... autologous stem cell transplantation",
    ),
    "case-lcssc-vascular-rtx": (
        "limited",
        "unknown",
        [["vasodilators-class", "era-class"], ["rituximab"]],
        "a patient with limited cutaneous scleroderma who failed to respond to standard "
        "vasodilators and endothelin receptor antagonists ... rituximab",
    ),
    "case-src-acei-tpe": (
        "not-stated",
        "unknown",
        [["ace-inhibitors"], ["plasma-exchange", "immunomodulators-experimental-class"]],
        "a patient with scleroderma-associated renal crisis that did not respond to ACE "
        "inhibitors ... plasma exchange therapy and experimental immunomodulatory drugs",
    ),
    "case-src-ace-refractory-isn": (
        "diffuse",
        "female",
        [["methotrexate", "glucocorticoids"], ["ace-inhibitors"]],
        "27-year-old woman ... (methotrexate 15 mg/week plus glucocorticoids) developed diffuse "
        "skin progression ... enalapril",
    ),
    "case-patel-2023": (
        "sine",
        "male",
        [["plasma-exchange", "glucocorticoids"]],
        "55-year-old man with SSc sine scleroderma ... plasma exchange plus corticosteroids",
    ),
}


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_case_holds_what_its_source_states(data, case_id):
    subtype, sex, regimens, _quote = CASES[case_id]
    case = next(c for c in data.cases if c.id == case_id)
    assert case.subtype.value == subtype
    assert case.sex == sex
    assert [step.therapies for step in case.therapies] == regimens


def test_every_illustrative_case_is_checked_above(data):
    illustrative = {c.id for c in data.cases if c.illustrative}
    assert illustrative and illustrative <= set(CASES)


def test_illustrative_cases_have_no_numbers(data):
    illustrative = {c.id for c in data.cases if c.illustrative}
    figures = [e.id for e in data.events if e.case in illustrative and e.value is not None]
    assert figures == []


def test_class_level_entries_say_they_are_a_class(data):
    names = {t.id: t.name for t in data.therapies}
    for therapy_id in ("vasodilators-class", "era-class", "immunomodulators-experimental-class"):
        assert "class; no drug named" in names[therapy_id]
