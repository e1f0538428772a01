"""The query language: parsing, its error messages, and safe translation to FTS5."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest
from conftest import build_mini_db, load_mini
from hypothesis import given, settings
from hypothesis import strategies as st

from sclerotui.facets import Criteria
from sclerotui.query import (
    MARK_END,
    MARK_START,
    MAX_QUERY_CHARS,
    MAX_TERMS,
    Query,
    SearchError,
    clean_for_index,
    excluded_match,
    fts_expression,
    parse,
    positive_match,
    split_snippet,
)
from sclerotui.search import Hit, Search
from sclerotui.store import Store


def search_error(text: str) -> str:
    with pytest.raises(SearchError) as caught:
        parse(text)
    return str(caught.value)


def test_words_phrases_and_exclusions():
    query = parse('cyclo "lung fibrosis" -renal')
    assert query.words == ("cyclo",)
    assert query.phrases == ("lung fibrosis",)
    assert query.excluded == ("renal",)
    assert not query.criteria
    assert query.has_text


def test_unterminated_quote_is_a_phrase():
    assert parse('"lung fibrosis').phrases == ("lung fibrosis",)


def test_excluded_phrase():
    query = parse('skin -"renal crisis"')
    assert query.words == ("skin",)
    assert query.excluded == ("renal crisis",)


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("organ:ild", "organ", "lung"),
        ("organ:ILD", "organ", "lung"),
        ("organs:pulmonary", "organ", "lung"),
        ("subtype:dcssc", "subtype", "diffuse"),
        ("subtype:lcSSc", "subtype", "limited"),
        ("response:failed", "response", "resistant"),
        ("response:refractory", "response", "resistant"),
        ("type:case", "type", "case-report"),
        ("evidence:randomised", "type", "rct"),
        ("class:era", "class_", "endothelin-receptor-antagonist"),
        ("class:hsct", "class_", "cell-therapy"),
        ("antibody:scl70", "antibody", "anti-scl-70"),
        ("ab:aca", "antibody", "anticentromere"),
        ("kind:trials", "kind", "trial"),
        ("therapy:Rituximab", "therapy", "rituximab"),
    ],
)
def test_field_filters_and_aliases(text, field, value):
    query = parse(text)
    assert getattr(query.criteria, field) == frozenset({value})
    assert query.words == query.phrases == query.excluded == ()
    assert not query.has_text
    assert not query.is_empty


def test_several_fields_combine():
    criteria = parse("organ:ild subtype:dcssc response:failed type:case class:era").criteria
    assert criteria.describe() == (
        "subtype:diffuse organ:lung response:resistant type:case-report "
        "class:endothelin-receptor-antagonist"
    )


@pytest.mark.parametrize("text", ["organ:lung,skin", 'organ:"lung,skin"', "organ:lung organ:skin"])
def test_comma_alternatives(text):
    assert parse(text).criteria.organ == frozenset({"lung", "skin"})


def test_word_with_colon_that_is_not_a_field_is_searched():
    query = parse("il-6:receptor")
    assert query.words == ("il-6:receptor",)
    assert not query.criteria


def test_unknown_field_value_named():
    message = search_error("organ:brain")
    assert message.startswith("cannot search for 'organ:brain': unknown organ 'brain'")
    assert "lung" in message and "skin" in message  # lists the known values


def test_unknown_alternative_named():
    assert "unknown response 'meh'" in search_error("response:resistant,meh")


def test_empty_alternative_rejected():
    assert search_error("organ:lung,") == "cannot search for 'organ:lung,': organ: needs a value"


def test_excluded_field_rejected():
    assert search_error("-organ:lung") == (
        "cannot search for '-organ:lung': a field filter cannot be excluded"
    )


def test_query_length_limit():
    assert parse("a" * MAX_QUERY_CHARS).words == ("a" * MAX_QUERY_CHARS,)
    assert search_error("a" * (MAX_QUERY_CHARS + 1)) == (
        "cannot search for a query of 1,001 characters (at most 1,000)"
    )


def test_term_count_limit():
    assert len(parse(" ".join(["w"] * MAX_TERMS)).words) == MAX_TERMS
    assert search_error(" ".join(["w"] * 30 + ['"a b"', "-c", "-d"])) == (
        "cannot search for 33 terms at once (at most 32)"
    )


@pytest.mark.parametrize("text", ["😀", "😀 🧪", "!!!", "- -- ---", '"" ""', "* ( ) ^"])
def test_nothing_searchable_rejected(text):
    assert search_error(text).endswith(": no letters or digits in it")


def test_punctuation_dropped_beside_real_words():
    query = parse("nintedanib - 😀 !!")
    assert query.words == ("nintedanib",)


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_blank_query_is_empty(text):
    query = parse(text)
    assert query.is_empty
    assert fts_expression(query) is None


def test_snippet_markers_in_input_are_removed():
    query = parse(f"a{MARK_START}b{MARK_END}")
    assert query.words == ("a", "b")


def test_fts_expression_prefix_words_and_exact_phrases():
    query = parse('cyclo "lung fibrosis" -renal -"crisis"')
    assert positive_match(query) == '"cyclo"* AND "lung fibrosis"'
    assert excluded_match(query) == '"renal" OR "crisis"'
    assert fts_expression(query) == '("cyclo"* AND "lung fibrosis") NOT ("renal" OR "crisis")'


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        ('he"llo', '"he""llo"*'),
        ("NEAR(a", '"NEAR(a"*'),
        ("OR", '"OR"*'),
        ("col:*", '"col:*"*'),
        ("a*", '"a*"*'),
    ],
)
def test_fts_expression_quotes_every_word(text, expression):
    assert fts_expression(parse(text)) == expression


def test_exclusions_alone_have_no_positive_expression():
    query = parse("-lung")
    assert fts_expression(query) is None
    assert excluded_match(query) == '"lung"'


def test_criteria_helpers():
    criteria = Criteria(organ=frozenset({"lung"}))
    merged = criteria.merged(Criteria(organ=frozenset({"skin"}), class_=frozenset({"biologic"})))
    assert merged.organ == frozenset({"lung", "skin"})
    assert merged.with_values("class", frozenset()).class_ == frozenset()
    assert not Criteria()
    assert merged.items() == [("organ", frozenset({"lung", "skin"})), ("class", {"biologic"})]


def test_split_snippet_and_clean_for_index():
    snippet = f"before {MARK_START}lung{MARK_END} after {MARK_START}ild{MARK_END}"
    assert split_snippet(snippet) == [
        ("before ", False),
        ("lung", True),
        (" after ", False),
        ("ild", True),
    ]
    assert clean_for_index(f"x{MARK_START}y{MARK_END}z") == "xyz"


# -- properties ------------------------------------------------------------------------

QUERY_ALPHABET = st.characters(codec=None, exclude_categories=["Cs"])
SPICY = st.sampled_from(
    [
        '"',
        "-",
        ":",
        ",",
        "*",
        "(",
        ")",
        "^",
        " ",
        "\x00",
        "\x1b",
        "\n",
        "😀",
        "organ:",
        "therapy:",
        "response:",
        "class:",
        "-organ:lung",
        "NEAR",
        "OR",
        "AND",
        "NOT",
        "lung",
        "cyc",
        MARK_START,
        MARK_END,
        "'",
        ";",
        "\\",
    ]
)
QUERIES = st.one_of(
    st.text(),
    st.text(QUERY_ALPHABET, max_size=200),
    st.lists(SPICY | st.text(max_size=5), max_size=40).map("".join),
    st.text(min_size=990, max_size=1010),
)


@settings(max_examples=300, deadline=None)
@given(QUERIES)
def test_parse_returns_query_or_search_error(text):
    try:
        query = parse(text)
    except SearchError as error:
        assert str(error).startswith("cannot search for")
        return
    assert isinstance(query, Query)
    assert len(query.words) + len(query.phrases) + len(query.excluded) <= MAX_TERMS
    expression = fts_expression(query)
    if expression is not None:
        # Every term is inside double quotes: balanced, so nothing can be read as an operator.
        assert expression.count('"') % 2 == 0


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    """One database for the whole module: hypothesis runs many examples against it."""
    path = build_mini_db(tmp_path_factory.mktemp("search") / "mini.db")
    with Store(path, read_only=True) as store:
        yield store


@settings(max_examples=300, deadline=None)
@given(QUERIES)
def test_store_search_never_crashes(shared_store, text):
    """Raw text, and the CLI's path (parse, resolve therapy words, search): hits or SearchError."""
    for run in (
        lambda: Search(shared_store).hits(text),
        lambda: Search(shared_store).hits(parse(text)),
    ):
        try:
            hits = run()
        except SearchError:
            continue
        except sqlite3.Error as error:  # the failure this test exists to catch
            pytest.fail(f"sqlite error for {text!r}: {error}")
        assert isinstance(hits, list)
        assert all(isinstance(hit, Hit) for hit in hits)


@pytest.mark.parametrize(
    "text",
    [
        "organ:lung response:resistant",
        "response:resistant organ:lung",
        "subtype:diffuse organ:skin,lung antibody:scl-70",
        "organ:renal subtype:limited response:partial",
        "therapy:cyclophosphamide organ:lung response:resistant",
    ],
)
def test_filters_alone_find_on_a_synthetic_database_what_a_scan_finds(
    synthetic_store, monkeypatch, text
):
    """Filters alone are read from the facet index, starting from one facet's records (then
    not checked again). A scan of the search index, which checks every filter on every
    record, must find the same hits in the same order, where it sees every match."""
    query = parse(text)
    fast = Search(synthetic_store).hits(query, limit=500)
    assert len(fast) >= 10, text  # enough records differ in the other filters to tell
    monkeypatch.setattr(Search, "_by_filters", lambda *args: pytest.fail("not the scan"))
    scanned = Search(synthetic_store).hits(replace(query, excluded=("zzqqxnotaword",)), limit=500)
    assert [(h.kind, h.id, h.title, h.snippet) for h in fast] == [
        (h.kind, h.id, h.title, h.snippet) for h in scanned
    ]


def test_a_filter_hits_opening_is_the_body_it_is_searched_by(tmp_path, monkeypatch):
    """Filters alone: a case's opening is read from its narrative where that is long enough
    (no model built), else from the body built from the model; both as the index has it."""
    from sclerotui.rows import index_text

    data = load_mini()
    long_case = next(case for case in data.cases if case.id == "case-one")
    long_case.narrative = f"Lung {MARK_START}fibrosis{MARK_END} progressed. " + "Cough. " * 30
    with Store(tmp_path / "s.db", create=True) as store:
        store.write_dataset(data, "bundled")
        loaded = []
        record = Store.record
        monkeypatch.setattr(
            Store, "record", lambda self, kind, rid: loaded.append(rid) or record(self, kind, rid)
        )
        hits = Search(store).hits("organ:lung kind:case")
        monkeypatch.undo()
        assert {hit.id for hit in hits} == {"case-one", "case-three"}
        assert loaded == ["case-three"]  # its narrative is shorter than an opening
        for hit in hits:
            title, body = index_text("case", store.case(hit.id))
            assert (hit.title, hit.snippet) == (title, body[:120])
        assert MARK_START not in hits[0].snippet and "Lung fibrosis progressed" in hits[0].snippet


def test_typed_filters_and_the_active_ones_merge_one_way(shared_store):
    """Typed therapy words become the ids they name, then join the active filters (a
    facet's values from either are alternatives). The command line and export used to keep
    the typed word beside its ids; the explorer did not."""
    search = Search(shared_store)
    active = Criteria(subtype={"diffuse"}, organ={"skin"})
    assert search.filters(parse("therapy:cyclo organ:lung"), active) == Criteria(
        therapy={"cyclophosphamide"}, subtype={"diffuse"}, organ={"lung", "skin"}
    )
    with pytest.raises(SearchError, match="therapy:aspirin: no therapy by that name"):
        search.hits("therapy:aspirin")


def test_the_explorer_the_command_line_and_export_search_the_one_way(
    shared_store, monkeypatch, capsys
):
    from sclerotui import cli
    from sclerotui.export import select

    calls = []
    hits = Search.hits
    monkeypatch.setattr(
        Search, "hits", lambda self, *args, **kw: calls.append(args[0]) or hits(self, *args, **kw)
    )
    assert cli.main(["--db", str(shared_store.path), "search", "therapy:cyc"]) == 0
    order, _ = select(shared_store, "therapy:cyc")
    assert len(calls) == 2 and order
    assert "case-one" in capsys.readouterr().out
