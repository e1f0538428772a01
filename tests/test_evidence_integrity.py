"""The bundled evidence holds what its sources say, no more: the figures of comparisons carry
their source, verification and a consistent interval, and every number is one the reference
fact sheet gives; the cases hold what their source states (therapies, subtype, sex).

The expected values below are read from /work/shared/reference (seed-essays.md for the
illustrative cases, ssc-evidence.md for the published ones), quoted beside each.
"""

from __future__ import annotations

import re
from pathlib import Path

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


REFERENCE = Path("/work/shared/reference")
# Words naming where a figure was read, other than the primary paper: a note that names one
# must come with a source that names it too (the source shown is where the figure was read).
READ_IN = [
    "Rheumatologist",
    "ERR",
    "World J Transplant",
    "RMD Open",
    "EULAR 2019",
    "Breathe",
    "post hoc",
    "review table",
    "summary",
    "commentary",
]


@pytest.fixture(scope="module")
def reference() -> str:
    """The fact sheet the bundled figures come from, minus signs made plain."""
    if not (REFERENCE / "ssc-evidence.md").is_file():
        pytest.skip("the reference fact sheet is not on this machine")
    text = (REFERENCE / "ssc-evidence.md").read_text() + (
        REFERENCE / "ssc-evidence.json"
    ).read_text()
    # The second sheet (trials and key studies bundled by scripts/import_reference.py).
    for name in ("ssc-evidence-trials-2.md", "ssc-evidence-trials-2.json"):
        text += (REFERENCE / name).read_text()
    return text.replace("−", "-")


def spellings(number: float) -> set[str]:
    return {f"{number:g}", f"{number:.1f}", f"{number:.2f}"}


def occurrences(text: str, number: float) -> list[int]:
    """Where a number is written in the text (not as part of a longer number)."""
    found = []
    for spelled in spellings(number):
        pattern = rf"(?<![0-9.]){re.escape(spelled)}(?![0-9])"
        found += [m.start() for m in re.finditer(pattern, text)]
    return found


def interval_at(text: str, low: float, high: float | None) -> list[int]:
    """Where an interval is written ("0.44–0.96", "-5.85 to 0.45"); its lower bound alone when
    the upper one is not stored."""
    if high is None:
        return occurrences(text, low)
    found = []
    for one in spellings(low):
        for other in spellings(high):
            pattern = rf"(?<![0-9.]){re.escape(one)}\s*(?:–|-|to)\s*{re.escape(other)}(?![0-9])"
            found += [m.start() for m in re.finditer(pattern, text)]
    return found


def comparisons(data):
    for trial in data.trials:
        for index, finding in enumerate(trial.findings):
            if finding.comparative:
                yield f"{trial.id} findings[{index}]", trial, finding


def test_there_are_comparisons_with_numbers(data):
    assert len(list(comparisons(data))) >= 20


def test_every_comparison_is_sourced_consistent_and_complete(data):
    source_ids = {s.id for s in data.sources}
    bad = []
    for where, trial, finding in comparisons(data):
        arms = {arm.id for arm in trial.arms}
        if finding.source not in source_ids or not isinstance(finding.verified, bool):
            bad.append(f"{where}: source or verification")
        if finding.scale is None or finding.favours is None:
            bad.append(f"{where}: scale and direction")
        if not {finding.intervention_arm, finding.comparator_arm} <= arms:
            bad.append(f"{where}: compared arms")
        low, high = finding.ci_low, finding.ci_high
        if (low is not None and low > finding.estimate) or (
            high is not None and high < finding.estimate
        ):
            bad.append(f"{where}: interval")
        if not finding.verified and not (finding.note or "").startswith("[U]"):
            bad.append(f"{where}: unverified without its [U] note")
    assert bad == []


def test_every_number_of_a_comparison_is_in_the_reference(data, reference):
    """No figure computed: each estimate, bound and n is written in the fact sheet."""
    missing = [
        f"{where}: {name} {number:g}"
        for where, _, finding in comparisons(data)
        for name in ("estimate", "ci_low", "ci_high", "n_intervention", "n_comparator")
        if (number := getattr(finding, name)) is not None and not occurrences(reference, number)
    ]
    assert missing == []


def test_a_95_level_is_one_the_reference_states(data, reference):
    """No level assumed: a 95% interval has "95%" written just before its lower bound."""
    assumed = []
    for trial in data.trials:
        for index, finding in enumerate(trial.findings):
            if finding.ci_level is None or finding.ci_low is None:
                continue
            stated = any(
                f"{finding.ci_level:g}%" in reference[max(0, at - 40) : at]
                for at in interval_at(reference, finding.ci_low, finding.ci_high)
            )
            if not stated:
                assumed.append(f"{trial.id} findings[{index}]")
    assert assumed == []


def test_an_unstated_level_stays_unstated(data, reference):
    """The converse: where the reference writes no level before the bound, none is stored."""
    for trial_id, index in [("senscis", 13), ("astis", 2), ("dual-1", 3), ("seduce", 0)]:
        finding = next(t for t in data.trials if t.id == trial_id).findings[index]
        assert finding.ci_low is not None and finding.ci_level is None, (trial_id, index)
        assert not any(
            "95%" in reference[max(0, at - 40) : at]
            for at in interval_at(reference, finding.ci_low, finding.ci_high)
        )


def test_the_source_shown_is_where_the_figure_was_read(data):
    citations = {s.id: s.citation for s in data.sources}
    notes = [
        (f"{t.id} findings[{i}]", f.note or "", f.source)
        for t in data.trials
        for i, f in enumerate(t.findings)
    ]
    notes += [(f"event {e.id}", e.note or "", e.source) for e in data.events if e.source]
    wrong = [
        f"{where}: note names {word!r}, source {source} does not"
        for where, note, source in notes
        for word in READ_IN
        if word.lower() in note.lower() and word.lower() not in citations[source].lower()
    ]
    assert wrong == []


def test_plotted_series_are_one_quantity_in_one_population(data):
    from sclerotui.plot import measure_groups

    for trial_id in ("senscis", "focussced"):
        events = [e for e in data.events if e.trial == trial_id]
        trial = next(t for t in data.trials if t.id == trial_id)
        for group in measure_groups(events, {a.id: a.name for a in trial.arms}):
            for series in group.series:
                weeks = [week for week, _ in series.points]
                assert len(weeks) == len(set(weeks)), (trial_id, group.measure, series.name)
    focussced = [e for e in data.events if e.trial == "focussced" and "subgroup" in (e.note or "")]
    assert focussced and all(e.series and "ILD subgroup" in e.series for e in focussced)
