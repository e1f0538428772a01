"""The facet table: each filter declared once, and every reader agreeing with it."""

from __future__ import annotations

import pytest

from sclerotui.dataset import bundled_dir, load_vocabularies
from sclerotui.facets import (
    FACET_LIST,
    FACETS,
    Criteria,
    criteria_sql,
    dialog_facets,
    facet_rows,
    fallback_vocabularies,
)
from sclerotui.query import SearchError, parse
from sclerotui.screens.help import QUERY_HELP
from sclerotui.session import FILTER_FIELDS
from sclerotui.suggest import vocabulary

CHOSEN = [facet for facet in FACET_LIST if facet.values is not None]


@pytest.mark.parametrize("facet", CHOSEN, ids=lambda facet: facet.name)
def test_every_word_of_a_facet_parses_to_its_value(facet):
    for word, value in facet.words.items():
        for field in (facet.name, *facet.names):
            assert parse(f"{field}:{word}").criteria == Criteria(**{facet.name: {value}})


def test_a_word_no_facet_knows_is_refused_with_the_known_values():
    with pytest.raises(SearchError, match="unknown antibody 'anti-xyz' .*anticentromere"):
        parse("antibody:anti-xyz")


def test_the_dialog_groups_read_the_vocabulary_file():
    vocabularies = load_vocabularies(bundled_dir())
    for facet in dialog_facets():
        listed = [entry["id"] for entry in vocabularies[facet.vocabulary]]
        assert sorted(listed) == sorted(facet.values), facet.name
    assert [f.name for f in dialog_facets()] == [
        "subtype",
        "organ",
        "class",
        "response",
        "type",
        "antibody",
    ]


def test_fallback_vocabularies_cover_every_dialog_group():
    fallback = fallback_vocabularies()
    for facet in dialog_facets():
        assert [entry["id"] for entry in fallback[facet.vocabulary]] == list(facet.values)


def test_help_and_session_name_the_facets_of_the_table():
    assert all(f"{name}:" in QUERY_HELP for name in FACETS)
    assert set(FILTER_FIELDS) == {f.name for f in CHOSEN}


def test_suggested_words_come_from_the_facets_aliases():
    words = vocabulary([], {})
    assert words["scl70"] == ("antibody", "anti-scl-70")
    assert words["ild"] == ("organ", "lung")


def test_facet_rows_come_only_for_the_kinds_a_facet_declares():
    for facet in FACET_LIST:
        assert set(facet.values_of) <= set(facet.kinds), facet.name


@pytest.mark.parametrize("facet", FACET_LIST, ids=lambda facet: facet.name)
def test_a_filter_on_a_facet_a_kind_lacks_excludes_that_kind(facet):
    if facet.sql == "kind":
        return  # callers choose the kinds they read
    criteria = Criteria(**{facet.name: {"x"}})
    for kind in ("therapy", "trial", "case"):
        clause, _ = criteria_sql(kind, "id", criteria, None)
        assert ("AND 0" in clause) == (kind not in facet.kinds), (facet.name, kind)


def test_facet_rows_of_a_case():
    from sclerotui.models import Case

    case = Case.model_validate(
        {
            "id": "c1",
            "title": "A case",
            "subtype": "diffuse",
            "autoantibodies": ["anti-scl-70"],
            "organs": ["lung", "skin"],
            "therapies": [
                {"therapies": ["mmf", "rtx"], "response": "resistant"},
                {"therapy": "rtx", "response": "responded"},
            ],
            "narrative": "Narrative.",
            "illustrative": False,
            "evidence_type": "case-report",
            "sources": ["s1"],
        }
    )
    rows = list(facet_rows("case", case.id, case, {"mmf": "immunosuppressant", "rtx": "biologic"}))
    assert sorted(rows) == sorted(
        [
            ("case", "c1", "subtype", "diffuse"),
            ("case", "c1", "organ", "lung"),
            ("case", "c1", "organ", "skin"),
            ("case", "c1", "antibody", "anti-scl-70"),
            ("case", "c1", "response", "resistant"),
            ("case", "c1", "response", "responded"),
            ("case", "c1", "type", "case-report"),
            ("case", "c1", "class", "immunosuppressant"),
            ("case", "c1", "class", "biologic"),
        ]
    )


def test_criteria_keep_the_table_order_and_compare_by_value():
    criteria = Criteria(class_={"biologic"}, organ={"lung"}, subtype=set())
    assert criteria.items() == [("organ", {"lung"}), ("class", {"biologic"})]
    assert criteria == Criteria(organ={"lung"}, class_={"biologic"})
    assert hash(criteria) == hash(Criteria(organ={"lung"}, class_={"biologic"}))
    assert criteria.describe() == "organ:lung class:biologic"
    with pytest.raises(TypeError):
        Criteria(colour={"red"})


def test_population_filters_are_those_the_kind_carries():
    criteria = Criteria(
        subtype={"diffuse"}, antibody={"anti-scl-70"}, response={"resistant"}, class_={"biologic"}
    )
    assert criteria.population("case") == Criteria(subtype={"diffuse"}, antibody={"anti-scl-70"})
    assert criteria.population("trial") == Criteria(subtype={"diffuse"})
