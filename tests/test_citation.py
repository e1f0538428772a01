"""Citations a clinician can paste (`y`): clean, standard, nothing invented, no notes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sclerotui.citation import (
    NO_DETAILS,
    NOT_VERIFIED,
    CitedSource,
    record_citation,
    reference,
    strip_notes,
)
from sclerotui.dataset import bundled_dir, load_directory


@pytest.fixture(scope="module")
def bundled():
    data = load_directory(bundled_dir())
    sources = {source.id: source for source in data.sources}
    records = {record.id: record for record in [*data.trials, *data.cases]}
    return sources, records


def cite(bundled, record_id: str) -> str:
    """What `y` copies for a bundled trial or case (the screen passes the same sources)."""
    sources, records = bundled
    record = records[record_id]
    ids = [*record.sources, *(f.source for f in getattr(record, "findings", []))]
    title = getattr(record, "name", None) or record.title
    return record_citation(title, [sources[i] for i in dict.fromkeys(ids)])


def test_sls2_citation_is_clean(bundled):
    """The line the issue quotes: `NCT NCT00883129`, a bracketed note saying "PMID and DOI
    not verified", then a PMID (another paper's) in the same breath."""
    assert cite(bundled, "sls-2") == (
        "Scleroderma Lung Study II (SLS-II). ClinicalTrials.gov: NCT00883129.\n"
        "1. Tashkin DP et al. Lancet Respir Med 2016;4(9):708-719.\n"
        "2. Namas et al. Arthritis Care Res 2018. PMID: 28544580.\n"
        "3. Lancet Respir Med summary (a commentary) quoting the SLS-II conclusion.\n"
        "(and 1 source without citation details)"
    )


def test_senscis_citation_keeps_verified_identifiers_and_drops_notes(bundled):
    text = cite(bundled, "senscis")
    assert text == (
        "SENSCIS (nintedanib in SSc-ILD). ClinicalTrials.gov: NCT02597933.\n"
        "1. Distler O et al. N Engl J Med 2019. doi:10.1056/NEJMoa1903076. PMID: 31112379.\n"
        "2. SENSCIS abstract RCT1882, European Respiratory Society International Congress 2019.\n"
        "3. SENSCIS safety poster, American Thoracic Society conference 2020.\n"
        "4. SENSCIS post hoc papers reporting the relative reduction in FVC decline.\n"
        "5. The Rheumatologist, news summary of the SENSCIS results.\n"
        "6. Breathe 2020 summary of SENSCIS.\n"
        "7. SENSCIS limited cutaneous SSc subgroup analysis."
    )


def test_a_wrong_identifier_in_a_note_is_not_cited(bundled):
    sources, _ = bundled
    text = reference(sources["pmid-27156934"])  # the note names a wrong PMID, 27156007
    assert "27156007" not in text
    assert text.endswith("doi:10.1016/S0140-6736(16)00932-X. PMID: 27156934.")


NOTE_MARKS = re.compile(
    r"\[|\]|fact sheet|mirror|third-party|\bverified\b|not given|meddatax", re.IGNORECASE
)


def test_no_bundled_citation_carries_a_note_and_every_identifier_is_cited(bundled):
    sources, records = bundled
    for source in sources.values():
        text = reference(source)
        if not source.verified:
            assert text.endswith(f" {NOT_VERIFIED}"), source.id
            text = text.removesuffix(f" {NOT_VERIFIED}")
        assert not NOTE_MARKS.search(text), (source.id, text)
        assert "NCT NCT" not in text
        if source.ref:
            assert source.ref in text, source.id
    for record_id in records:
        text = cite(bundled, record_id)
        assert text.count("\n") + 1 == len(text.splitlines())  # lines, no blank ones


def words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{3,}", text))


LABELS = words(f"ClinicalTrials.gov doi PMID {NOT_VERIFIED} {NO_DETAILS}")


def test_nothing_is_completed_from_memory(bundled):
    """Every word of a reference is in its source's text (or is a label): a citation that
    lacks authors or a journal is cited with what it has."""
    sources, _ = bundled
    for source in sources.values():
        cited = reference(source).replace(source.ref or "\0", "")  # the identifier is no word
        assert words(cited) <= words(source.citation) | LABELS, source.id
    authorless = reference(sources["cite-rise-ssc-lte-2023"])
    assert authorless == "Lancet Rheumatol 2023;5(11):e660-e669."


def test_unverified_sources_are_marked():
    assert reference(CitedSource("pmid", "123", "Smith J. J Test 2020. PMID 123.", False)) == (
        f"Smith J. J Test 2020. PMID: 123. {NOT_VERIFIED}"
    )
    assert reference(CitedSource("nct", "NCT00000001", "NCT00000001", False)) == (
        f"ClinicalTrials.gov: NCT00000001. {NOT_VERIFIED}"
    )


def test_an_identifier_its_own_text_calls_unverified_is_left_out():
    source = CitedSource(
        "citation", None, "Smith J. J Test 2020; PMID 999 not verified. doi:10.1000/xyz.", True
    )
    assert reference(source) == "Smith J. J Test 2020. doi:10.1000/xyz."


def test_a_citation_of_notes_only_says_so():
    assert reference(CitedSource("citation", None, "[PMID and DOI not verified]", True)) == (
        NO_DETAILS
    )


@pytest.mark.parametrize(
    "citation, expected",
    [
        ("Cite [bold red]x[/] [@click=app.quit]quit[/]", "Cite x quit."),
        # "[2J here; \x1b]" reads as a bracketed note; what is left shows its controls.
        ("Escape \x1b[2J here; \x1b]52;c;SGVsbG8=\x07 end", "Escape ␛ 52;c;SGVsbG8=␇ end."),
        ("Osc \x1b]8;;http://evil\x07 link", "Osc ␛]8;;http://evil␇ link."),
        ("Unbalanced [ bracket (and paren", "Unbalanced [ bracket (and paren."),
        ("Nested [a [b] c] stays out", "Nested stays out."),
        ("Line\nbreak\tand tab", "Line break and tab."),
    ],
)
def test_hostile_citation_text_is_inert_and_on_one_line(citation, expected):
    assert reference(CitedSource("citation", None, citation, True)) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["citation", "pmid", "doi", "seed"]), st.booleans())
def test_any_citation_text_gives_one_line_without_controls_or_brackets_notes(text, kind, ok):
    ref = {"pmid": "12345", "doi": "10.1000/abc"}.get(kind)
    result = reference(CitedSource(kind, ref, text, ok))
    assert result and "\n" not in result
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", result)
    assert not re.search(r"\[[^\[\]]*\]", strip_notes(text))  # no whole bracketed note left
    if ref:
        assert ref in result
