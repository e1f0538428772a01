"""Ranking in Python, and words expanded to the index's terms: the same matches as FTS5's
prefix query, ordered as FTS5's bm25() orders them."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import build_mini_db, load_mini
from hypothesis import given, settings
from hypothesis import strategies as st

from sclerotui import ranking
from sclerotui.models import Dataset
from sclerotui.query import MARK_END, MARK_START
from sclerotui.ranking import SNIPPET_TOKENS, Term, fold, show_mark, snippet
from sclerotui.search import MAX_EXPANSION, Search
from sclerotui.store import SCHEMA_VERSION, Store
from sclerotui.synth import synthesize


def counted(term: Term, text: str) -> int:
    return len(term.pattern.findall(fold(text)))


def test_a_word_counts_whole_tokens_only():
    term = Term(terms=frozenset({"ace", "fatigue"}))
    assert counted(term, "ACE surface replace ace") == 2  # not the ends of longer words
    assert counted(term, "fatigue, fatigued nonfatigue\nace") == 2
    assert counted(term, "ace_ace") == 2  # the underscore splits tokens, as in unicode61


def test_a_prefix_counts_tokens_that_begin_with_it():
    assert counted(Term(prefix="fat"), "fat fatigue nonfat fatty_x Fatal") == 4


def test_a_phrase_counts_its_tokens_in_order():
    term = Term(phrase=("skin", "thickening"))
    assert counted(term, "Skin thickening; foreskin thickening, skin-thickening skin thicken") == 2


def cut(title: str, body: str, *wanted: Term) -> str:
    return snippet(title, body, list(wanted), "[", "]")


def test_a_snippet_window_starts_at_the_sentence_that_holds_the_match():
    words = " ".join(f"w{n}" for n in range(20))
    body = f"{words}. Then fatigue came back, with more words after it in the sentence. And so on."
    assert SNIPPET_TOKENS == 12  # the windows below are 12 tokens long
    # Not three words before the match ("…w18 w19. Then [fatigue]"): where its sentence starts.
    assert cut("Title", body, Term(terms=frozenset({"fatigue"}))) == (
        "…Then [fatigue] came back, with more words after it in the sentence…"
    )


def test_a_snippet_that_shows_an_unverified_figure_shows_its_mark():
    words = " ".join(f"w{n}" for n in range(3))
    body = f"Placebo {words} change 4.2 and more at week 24 +2.14 (unverified), difference next."
    shown = cut("Title", body, Term(terms=frozenset({"placebo"})))
    # twelve tokens end at "2", the figure's first token: the window goes on to its mark
    assert shown == "[Placebo] w0 w1 w2 change 4.2 and more at week 24 +2.14 (unverified)…"


def test_a_window_cut_at_a_figure_stops_at_a_clause_end_before_a_mark():
    body = "Placebo w0 w1 w2 change 4.2 and more at week 24 +2.14; other figure 3 (unverified)."
    shown = cut("Title", body, Term(terms=frozenset({"placebo"})))
    assert shown == "[Placebo] w0 w1 w2 change 4.2 and more at week 24…"


def test_an_fts_snippet_is_carried_on_to_the_mark_of_its_figure():
    text = "…mRSS change; placebo +2.14 (unverified), difference −8.44 (unverified), p<0.0001"
    assert (
        show_mark("…change; placebo +[2.14]…", text, "[", "]")
        == "…change; placebo +[2.14] (unverified)…"
    )
    # a cut with no figure before the mark, or no cut at all, is left as it is
    assert show_mark("…mRSS change…", text, "[", "]") == "…mRSS change…"
    assert show_mark("[mRSS] change", text, "[", "]") == "[mRSS] change"


def test_a_snippet_window_at_the_start_has_no_leading_ellipsis():
    body = "Fatigue first; then " + " ".join(f"w{n}" for n in range(30))
    assert cut("Title", body, Term(terms=frozenset({"fatigue"}))).startswith(
        "[Fatigue] first; then"
    )


def test_a_snippet_prefers_the_window_with_most_different_terms():
    body = (
        "skin only here and nothing else at all for a long stretch of words. "
        + " ".join(f"w{n}" for n in range(20))
        + ". Later skin thickening appears together, and the text goes on for some words."
    )
    skin, thick = Term(terms=frozenset({"skin"})), Term(prefix="thick")
    assert cut("Title", body, skin, thick) == (
        "…Later [skin] [thickening] appears together, and the text goes on for some…"
    )


def test_a_snippet_marks_a_phrase_as_one_run_and_prefers_title_when_only_it_matches():
    phrase = Term(phrase=("lung", "fibrosis"))
    assert cut("Lung fibrosis trial", "no match in the body", phrase) == "[Lung fibrosis] trial"
    body = "Progressive lung fibrosis despite treatment."
    assert cut("Title", body, phrase) == "Progressive [lung fibrosis] despite treatment."


def test_folding_drops_diacritics_as_the_index_does():
    assert counted(Term(terms=frozenset({"sjogren"})), "Sjögren's and SJÖGREN") == 2


# -- the store: words expanded to the index's terms ----------------------------------------


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    path = build_mini_db(tmp_path_factory.mktemp("ranking") / "mini.db")
    with Store(path) as store:
        yield store


def index_terms(conn: sqlite3.Connection) -> set[str]:
    conn.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, search_index, row)")
    try:
        return {row[0] for row in conn.execute("SELECT term FROM temp.v")}
    finally:
        conn.execute("DROP TABLE temp.v")


def prefix_matches(store: Store, prefix: str) -> set[tuple[str, str]]:
    return set(
        store.conn.execute(
            "SELECT kind, record_id FROM search_index WHERE search_index MATCH ?",
            ['"' + prefix + '"*'],
        )
    )


def test_search_terms_are_exactly_the_index_terms(mini):
    listed = {row[0] for row in mini.conn.execute("SELECT term FROM search_terms")}
    assert listed == index_terms(mini.conn)


def test_every_prefix_of_every_term_matches_what_fts5_prefix_query_matches(mini):
    prefixes = {term[:n] for term in index_terms(mini.conn) for n in range(1, 5)}
    prefixes = {p for p in prefixes if p.isascii() and p.isalnum()}
    assert len(prefixes) > 200
    for prefix in sorted(prefixes):
        found = {(hit.kind, hit.id) for hit in Search(mini).hits(prefix, limit=10_000)}
        assert found == prefix_matches(mini, prefix), prefix


@settings(max_examples=60, deadline=None)
@given(st.text("abcdefghilmnoprstuy", min_size=1, max_size=6))
def test_typed_words_match_as_the_prefix_query_does(mini, word):
    found = {(hit.kind, hit.id) for hit in Search(mini).hits(word, limit=10_000)}
    assert found == prefix_matches(mini, word)


def test_a_word_beginning_too_many_terms_is_left_to_fts5(mini):
    short = [p for p in "abcdefghijklmnopqrstuvwxyz" if len(Search(mini)._expand_word(p) or ()) > 0]
    assert short  # the fixture has words
    many = ["w" + str(n) for n in range(MAX_EXPANSION + 1)]
    mini.conn.executemany("INSERT INTO search_terms VALUES (?)", [(t,) for t in many])
    try:
        assert Search(mini)._expand_word("w") is None
        assert Search(mini).hits("w", limit=10_000) is not None  # FTS5's prefix query answers
    finally:
        mini.conn.execute("DELETE FROM search_terms WHERE term GLOB 'w[0-9]*'")


def test_imported_text_adds_its_terms(tmp_path):
    path = build_mini_db(tmp_path / "mini.db")
    data = load_mini()
    case = data.cases[0].model_copy(
        update={"id": "case-new", "narrative": "Zyxoplasty after Sjögren's flare, naïve to it."}
    )
    with Store(path) as store:
        store.write_dataset(Dataset(cases=[case]), "user-import")
        assert {"zyxoplasty", "sjogren", "naive"} <= {
            row[0] for row in store.conn.execute("SELECT term FROM search_terms")
        }
        assert ("case", "case-new") in {(h.kind, h.id) for h in Search(store).hits("zyxo")}
        assert ("case", "case-new") in {(h.kind, h.id) for h in Search(store).hits("sjog")}
        listed = {row[0] for row in store.conn.execute("SELECT term FROM search_terms")}
        assert listed == index_terms(store.conn)


def as_schema_3(path):
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE search_terms")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()


def test_schema_3_database_gains_its_term_list_on_upgrade(tmp_path):
    path = build_mini_db(tmp_path / "old.db")
    as_schema_3(path)
    with Store(path) as store:
        assert store.upgraded_from == 3
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        listed = {row[0] for row in store.conn.execute("SELECT term FROM search_terms")}
        assert listed == index_terms(store.conn)


def test_schema_3_database_opened_read_only_searches_with_fts5_prefixes(tmp_path):
    path = build_mini_db(tmp_path / "old.db")
    with Store(path) as store:
        expected = {(h.kind, h.id) for h in Search(store).hits("mycophen")}
    as_schema_3(path)
    with Store(path, read_only=True) as store:
        assert not Search(store).has_search_terms
        assert {(h.kind, h.id) for h in Search(store).hits("mycophen")} == expected
        assert expected


def test_a_synthetic_database_lists_its_terms(tmp_path):
    """synth writes its rows without the store's import path: its terms must be listed too."""
    path = tmp_path / "synthetic.db"
    synthesize(path, 300, seed=5)
    with Store(path, read_only=True) as store:
        listed = {row[0] for row in store.conn.execute("SELECT term FROM search_terms")}
        assert listed == index_terms(store.conn)
        assert {
            (h.kind, h.id) for h in Search(store).hits("fatig", limit=10_000)
        } == prefix_matches(store, "fatig")


@pytest.mark.parametrize(
    "text", ["rituximab", "cyclophosphamide", "mycophen", "lung", "skin lung", "lung -skin"]
)
def test_words_are_ranked_from_the_lists_as_fts5_bm25_ranks_every_match(mini, text):
    """Words (no phrase) are ranked from the ranking lists, proven; the same hits, scores
    and order as bm25() over every match in SQLite."""
    searcher = Search(mini)
    hits = searcher.hits(text, limit=10_000)
    assert searcher.last_proof is not None and searcher.last_proof.ranked is not None
    exact = Search(mini)
    exact.rank_ready = lambda: False  # as for lists stale or absent: FTS5 ranks every match
    by_fts = exact.hits(text, limit=10_000)
    assert exact.last_proof is None
    assert hits and [(h.kind, h.id) for h in hits] == [(h.kind, h.id) for h in by_fts]
    assert [h.rank for h in hits] == pytest.approx([h.rank for h in by_fts], rel=1e-12)
    for hit in hits:
        assert MARK_START in hit.snippet and MARK_END in hit.snippet, hit


def test_snippets_of_hits_ranked_from_the_lists_are_cut_when_first_read(mini, monkeypatch):
    # The worker ranks 100 hits; only the screenful shown first needs snippets at once.
    cuts = []
    monkeypatch.setattr(ranking, "snippet", lambda *args: cuts.append(1) or snippet(*args))
    hits = Search(mini).hits("lung", limit=10_000)
    assert len(hits) > 1 and cuts == []
    first = hits[0].snippet
    assert cuts == [1] and MARK_START in first
    assert hits[0].snippet == first and cuts == [1]  # cut once


@pytest.mark.parametrize(
    "text",
    [
        "skin thickening",
        "fatigue",
        "reticul",
        "skin organ:lung",
        "kind:case fatig",
    ],
)
def test_matches_read_from_fts5s_content_table_are_those_fts5_gives(
    synthetic_store, monkeypatch, text
):
    """Ranked from the lists, the hits' texts are read from the table FTS5 keeps them in, in
    one query per 500; read through FTS5 (as for a table laid out otherwise) they are the
    same rows, and so the same hits."""
    synthetic = synthetic_store
    assert Search(synthetic).has_content_table
    reads = []
    execute = synthetic.conn.execute

    def watched(sql, *args):
        reads.append("search_index_content" in sql)
        return execute(sql, *args)

    with monkeypatch.context() as watching:
        watching.setattr(synthetic, "conn", Wrapped(synthetic.conn, watched))
        direct = Search(synthetic).hits(text, limit=10_000)
    assert direct and reads.count(True) >= 1
    laid_out_otherwise = Search(synthetic)
    monkeypatch.setitem(laid_out_otherwise.__dict__, "has_content_table", False)
    through_fts = laid_out_otherwise.hits(text, limit=10_000)
    assert direct == through_fts  # kind, id, title, rank and therapy, in order
    assert [h.snippet for h in direct[:20]] == [h.snippet for h in through_fts[:20]]


class Wrapped:
    """A connection whose execute is watched (sqlite3's own attributes are read-only)."""

    def __init__(self, conn: sqlite3.Connection, execute) -> None:
        self._conn, self.execute = conn, execute

    def __getattr__(self, name: str):
        return getattr(self._conn, name)


def test_an_index_laid_out_otherwise_is_read_through_fts5(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE VIRTUAL TABLE search_index USING fts5(body, title, kind, record_id)")
    conn.close()
    store = Store.__new__(Store)
    store.conn = sqlite3.connect(path)
    assert not Search(store).has_content_table


@pytest.mark.parametrize("changed_by", ["another connection", "this connection"])
def test_what_the_last_search_kept_is_dropped_after_a_change(tmp_path, monkeypatch, changed_by):
    """Typing on reuses the term lists the last search read; once the database has changed
    they are read again, and lists built before the change are not used (they would rank by
    the old words)."""
    path = build_mini_db(tmp_path / "mini.db")
    with Store(path) as writer, Store(path, read_only=True) as reader:
        searcher = Search(reader if changed_by == "another connection" else writer)
        before = searcher.hits("lung", limit=10_000)
        assert len(before) > 2 and searcher._lists and searcher.last_proof.ranked  # kept
        again = searcher.hits("lung", limit=10_000)
        assert [(h.id, h.rank, h.snippet) for h in again] == [
            (h.id, h.rank, h.snippet) for h in before
        ]
        last = before[-1]
        writer.conn.execute(
            "UPDATE search_index SET body = ? WHERE record_id = ? AND kind = ?",
            ["lung " * 40 + "rewritten", last.id, last.kind],
        )
        writer.conn.commit()
        after = searcher.hits("lung", limit=10_000)
        assert searcher.last_proof is None  # written behind the store's back: lists stale
        assert (after[0].kind, after[0].id) == (last.kind, last.id)
        assert "rewritten" in after[0].snippet or after[0].snippet.count("lung") > 5
