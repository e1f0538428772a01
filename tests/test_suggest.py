"""Words a clinician types, read as the filters they name (suggest.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sclerotui import suggest
from sclerotui.dataset import bundled_dir, load_directory, load_vocabularies
from sclerotui.facets import FACETS
from sclerotui.query import parse
from sclerotui.suggest import AMBIGUOUS, FIELDS, read_as, vocabulary


@pytest.fixture(scope="module")
def words():
    therapies = load_directory(bundled_dir()).therapies
    return vocabulary(
        [(t.id, t.name, t.aliases) for t in therapies], load_vocabularies(bundled_dir())
    )


@pytest.mark.parametrize(
    "typed, reading",
    [
        # The example: three words no record holds together.
        ("cyclophosphamide failed lung", "therapy:cyclophosphamide response:resistant organ:lung"),
        # Linking words between filters go; "lung disease" is the organ.
        (
            "failed cyclophosphamide with diffuse lung disease",
            "response:resistant therapy:cyclophosphamide subtype:diffuse organ:lung",
        ),
        # Aliases and brand names, in any case, with punctuation.
        ("MMF, refractory ILD.", "therapy:mycophenolate response:resistant organ:lung"),
        ("Rituxan ata", "therapy:rituximab antibody:anti-scl-70"),
        # Multi-word names and vocabulary phrases win over their single words.
        (
            "IV cyclophosphamide scleroderma renal crisis",
            "therapy:cyclophosphamide organ:renal",
        ),
        ("interstitial lung disease limited cutaneous", "organ:lung subtype:limited"),
        # Several values of one field are alternatives: written as one filter.
        (
            "rituximab tocilizumab mycophenolate",
            "therapy:rituximab,tocilizumab,mycophenolate",
        ),
        # Unrecognised words, phrases, exclusions and typed filters stay as they are.
        ("nintedanib progression", "therapy:nintedanib progression"),
        ('"skin score" bosentan -placebo', '"skin score" therapy:bosentan -placebo'),
        ("kind:case hsct", "kind:case therapy:hsct"),
    ],
)
def test_typed_words_read_as_filters(words, typed, reading):
    result = read_as(typed, words)
    assert result is not None and result.text == reading
    parse(result.text)  # the reading is a query the search box can run


@pytest.mark.parametrize(
    "typed",
    ["", "placebo", '"skin score"', "cyclophos", "ritux", "with and", "other unknown", "-lung"],
)
def test_nothing_to_read_offers_nothing(words, typed):
    """Plain words, prefixes still being typed, linking words, ambiguous vocabulary words
    and excluded words are not offered as filters: they stay full-text search."""
    assert read_as(typed, words) is None


def test_a_reading_names_what_it_read(words):
    reading = read_as("Cytoxan failed", words)
    assert [(t.words, t.filter) for t in reading.terms] == [
        ("Cytoxan", "therapy:cyclophosphamide"),
        ("failed", "response:resistant"),
    ]


def test_an_imported_therapy_is_read_by_its_aliases():
    words = vocabulary([("abc-123", "Abcximab", ["ABX", "abc cream"])])
    assert read_as("abx", words).text == "therapy:abc-123"
    assert read_as("topical abc cream", words).text == "topical therapy:abc-123"


def test_every_value_of_a_facet_named_by_plain_words_is_read(words):
    """Every facet declared `plain` in facets.py (bar the therapy, whose words are the
    therapies') has each of its values read, unless the value is too common a word."""
    for field in FIELDS:
        for value in FACETS[field].values or ():
            if value not in AMBIGUOUS:
                assert words[value] == (field, value)


def test_a_facet_declared_plain_is_read_without_another_edit(monkeypatch):
    assert vocabulary([], {}).get("rct") is None  # the evidence type is typed only
    monkeypatch.setattr(suggest, "FIELDS", (*suggest.FIELDS, "type"))
    assert vocabulary([], {})["rct"] == ("type", "rct")


def test_a_word_two_facets_claim_names_neither():
    """Which facet is read first is no choice between them: the word stays full text."""
    claimed = {"subtypes": [{"id": "diffuse", "aliases": ["lung"]}]}
    words = vocabulary([], claimed)
    assert "lung" not in words
    assert words["diffuse"] == ("subtype", "diffuse")
    assert vocabulary([], {})["lung"] == ("organ", "lung")


TYPED = st.lists(
    st.sampled_from(
        [
            "cyclophosphamide",
            "failed",
            "lung",
            "with",
            "MMF",
            "diffuse",
            "placebo",
            "skin",
            '"skin score"',
            "-placebo",
            "organ:renal",
            "ata",
            "ritux",
            "x",
            "and",
            ",",
            "é",
            '"',
            "therapy:",
            "IV",
            "scleroderma",
            "renal",
            "crisis",
        ]
    )
    | st.text(max_size=8),
    max_size=8,
).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(TYPED)
def test_a_reading_always_parses_and_reads_nothing_more(words, typed):
    reading = read_as(typed, words)
    if reading is None:
        return
    query = parse(reading.text)  # never a reading the search box would refuse
    assert reading.terms
    assert read_as(reading.text, words) is None or read_as(reading.text, words).text == (
        reading.text
    )
    # Every filter the reading names is in the query it runs.
    for term in reading.terms:
        values = dict(query.criteria.items())[term.field]
        assert term.value in values


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gives_a_reading_or_none_never_an_error(words, typed):
    reading = read_as(typed, words)
    if reading is not None:
        parse(reading.text)
