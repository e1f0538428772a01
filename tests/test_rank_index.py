"""The ranking lists (sclerotui/rank_index.py): the top hits they prove are those of FTS5's
bm25 over every match, on random corpora with lists cut short, so that the bounds decide."""

from __future__ import annotations

import json
import random
import re
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sclerotui import rank_index
from sclerotui.query import MARK_START, fts_expression, parse
from sclerotui.ranking import BODY_WEIGHT, TITLE_WEIGHT
from sclerotui.search import PROVEN, Search
from sclerotui.store import Store

# Common words and rare ones, words one begins another with, a word that is not ASCII (and
# one FTS5 folds), digits, and a snippet mark inside a word (data cannot fake a mark).
WORDS = ["lung", "lungs", "lu", "skin", "skinny", "fatigue", "fat", "renal", "x1", "Éclat"]
RARE = ["ulcer", "crisis", "zz", "sjögren", f"mark{MARK_START}ed"]
COMMON = ["lung", "skin", "pad", "Éclat"]


def random_records(seed: int, count: int) -> list[tuple[str, str, str]]:
    """Records drawn from the words, mostly the common ones (records holding both of two
    words then compete with those listed for one), of many lengths."""
    rng = random.Random(seed)

    def words(most: int) -> str:
        drawn = [rng.choice(COMMON if rng.random() < 0.6 else WORDS + RARE) for _ in range(most)]
        return " ".join(drawn[: rng.randint(0, most)])

    return [(words(4), words(25), rng.choice(["case", "trial"])) for _ in range(count)]


TYPED = ["lung", "skin", "lu", "l", "sk", "pad", "fatigue", "fat", "renal", "x1", "eclat", "ecl"]


def corpus(path, records) -> Store:
    store = Store(path, create=True)
    with store.transaction():
        store.conn.executemany(
            "INSERT INTO search_index (title, body, kind, record_id) VALUES (?, ?, ?, ?)",
            [(title, body, kind, f"{kind}-{n}") for n, (title, body, kind) in enumerate(records)],
        )
        store.add_search_terms([(title, body) for title, body, _ in records])
    store.rebuild_rank_lists()
    return store


def exact(store: Store, search: Search, text: str, limit: int) -> list[tuple]:
    """bm25 over every match, in SQLite, as the benchmark's reference ranks it."""
    query = parse(text)
    expression = fts_expression(query, {w: search._expand_word(w) for w in query.words}.get)
    kinds = query.criteria.get("kind")
    where = f"AND kind IN ({','.join('?' * len(kinds))})" if kinds else ""
    return store.read(
        f"""SELECT kind, record_id, bm25(search_index, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS score
            FROM search_index WHERE search_index MATCH ? {where}
            ORDER BY score, rowid LIMIT ?""",
        [expression, *sorted(kinds), limit],
    )


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32),
    count=st.integers(1, 80),
    words=st.lists(st.sampled_from(TYPED), min_size=1, max_size=3),
    without=st.sampled_from(["", " -skin", " -zz"]),
    kind=st.sampled_from(["", " kind:case"]),
    depth=st.integers(1, 8),
    listed_from=st.integers(0, 6),
    limit=st.integers(1, 16),
)
def test_the_proven_top_hits_are_those_of_bm25_over_every_match(
    tmp_path_factory, seed, count, words, without, kind, depth, listed_from, limit
):
    """Fails if a bound is too low (a record outside the lists could beat the proven ones),
    if a score resolved in Python differs from FTS5's, or if a filter or an excluded word is
    checked wrongly."""
    text = " ".join(words) + without + kind
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rank_index, "DEPTH", depth)
        patch.setattr(rank_index, "LISTED_FROM", listed_from)
        records = random_records(seed, count)
        with corpus(tmp_path_factory.mktemp("rank") / "c.db", records) as store:
            search = Search(store)
            # Then the same words less the last letter's, on the same search: what the
            # first kept (lists, resolved scores) must not change the second.
            for typed in (text, " ".join(words[:-1] + [words[-1][:-1] or "l"]) + kind):
                hits = search.hits(typed, limit=limit)
                assert search.rank_ready()
                expected = exact(store, search, typed, limit)
                everything = exact(store, search, typed, 10_000)
                same_as_exact(hits, search.last_proof, expected, everything, limit)


def same_as_exact(hits, proof, expected, everything, limit) -> None:
    proven = len(hits) if proof is None or proof.ranked is None else proof.proven
    assert proven >= min(limit, PROVEN, len(expected))
    assert [(h.kind, h.id) for h in hits[:proven]] == [(k, r) for k, r, _ in expected[:proven]]
    assert [h.rank for h in hits[:proven]] == pytest.approx(
        [s for _, _, s in expected[:proven]], rel=1e-12
    )
    # Past the proven ones: records that match, with their exact scores, in order.
    scores = {(k, r): s for k, r, s in everything}
    assert [h.rank for h in hits] == pytest.approx([scores[h.kind, h.id] for h in hits])
    assert [h.rank for h in hits] == sorted(h.rank for h in hits)
    assert len(hits) == min(limit, len(everything))


def test_a_bound_set_too_low_is_caught(tmp_path, monkeypatch):
    """The proof rests on the bounds. Here the best record for "lung skin" is in neither
    word's list of one: its bound keeps the listed record from being taken for the best;
    lowered, it lets it through (the test above fails the same way)."""
    records = [
        ("lung lung lung", "skin", "case"),  # listed for lung, barely holds skin
        ("skin skin skin", "", "case"),  # listed for skin
        ("lung skin", "", "case"),  # second for each word, in no list: the best of both
        *[("other", "pad", "case")] * 10,
    ]
    monkeypatch.setattr(rank_index, "DEPTH", 1)
    monkeypatch.setattr(rank_index, "LISTED_FROM", 0)
    with corpus(tmp_path / "c.db", records) as store:
        search = Search(store)
        expected = [r for _, r, _ in exact(store, search, "lung skin", 1)]
        assert expected == ["case-2"]
        assert [h.id for h in search.hits("lung skin", limit=1)] == expected
        store.conn.execute("UPDATE rank_terms SET bound = bound / 100")
        store.conn.commit()  # (the index is unchanged: the lists still count as current)
        search.drop_kept()
        wrong = [h.id for h in search.hits("lung skin", limit=1)]
        assert search.last_proof.ranked is not None and wrong == ["case-0"]


def test_a_text_that_is_not_ascii_is_counted_as_fts5_folds_it(tmp_path, monkeypatch):
    """A record listed for one word and resolved for the other, whose text is not ASCII:
    "Éclat" holds the term "eclat" (FTS5 folds it), so the record matches and is ranked."""
    records = [
        ("lung lung lung", "Éclat et ÉCLAT", "case"),  # listed for lung only
        ("Éclat Éclat Éclat", "", "case"),  # the one listed for eclat
        *[("other", "pad", "case")] * 5,
    ]
    monkeypatch.setattr(rank_index, "DEPTH", 1)
    monkeypatch.setattr(rank_index, "LISTED_FROM", 0)
    with corpus(tmp_path / "c.db", records) as store:
        search = Search(store)
        hits = search.hits("lung ecla", limit=2)
        assert search.last_proof.ranked is not None and search.last_proof.resolved >= 1
        assert [(h.id, h.rank) for h in hits] == [
            (r, s) for _, r, s in exact(store, search, "lung ecla", 2)
        ]
        assert [h.id for h in hits] == ["case-0"]


def common_corpus(count: int) -> list[tuple[str, str, str]]:
    """Records where 'lung' and 'skin' are common, with different lengths and counts."""
    return [
        (
            "lung" if n % 3 == 0 else "skin" if n % 3 == 1 else "other",
            " ".join(["lung"] * (n % 4) + ["skin"] * (n % 5) + ["pad"] * (n % 7)),
            "case",
        )
        for n in range(count)
    ]


def test_typing_on_resolves_a_record_once(tmp_path, monkeypatch):
    monkeypatch.setattr(rank_index, "DEPTH", 20)
    monkeypatch.setattr(rank_index, "LISTED_FROM", 10)
    with corpus(tmp_path / "c.db", common_corpus(300)) as store:
        search = Search(store)
        resolved = []
        resolve = search._resolved_now
        spy = lambda rowids, terms: resolved.extend(rowids) or resolve(rowids, terms)  # noqa: E731
        monkeypatch.setattr(search, "_resolved_now", spy)
        first = search.hits("lung sk", limit=10)
        assert resolved  # (proven or not: the proof resolved records on the way)
        count = len(resolved)
        again = search.hits("lung ski", limit=10)
        assert len(resolved) == count and again == first


def test_common_words_are_ranked_from_stored_lists_cut_short(tmp_path, monkeypatch):
    monkeypatch.setattr(rank_index, "DEPTH", 20)
    monkeypatch.setattr(rank_index, "LISTED_FROM", 10)
    with corpus(tmp_path / "c.db", common_corpus(300)) as store:
        stored = dict(store.read("SELECT term, bound FROM rank_terms"))
        assert stored.keys() == {"lung", "skin", "other", "pad"} and None not in stored.values()
        for text in ["lung", "lu", "skin kind:case", "lung -pad", "lung skin", "lu sk"]:
            search = Search(store)
            hits = search.hits(text, limit=10)
            if " " not in text.replace(" -", "").replace(" kind:", ""):  # one word: proven
                assert search.last_proof.ranked is not None, text
            assert [(h.kind, h.id) for h in hits] == [
                (k, r) for k, r, _ in exact(store, search, text, 10)
            ], text


def test_lists_are_rebuilt_after_an_import_and_stale_ones_are_never_used(tmp_path, monkeypatch):
    from conftest import build_mini_db, load_mini

    from sclerotui.models import Dataset

    monkeypatch.setattr(rank_index, "LISTED_FROM", 0)
    monkeypatch.setattr(rank_index, "DEPTH", 2)
    with Store(build_mini_db(tmp_path / "mini.db")) as store:
        # The fixture may be a copy of one built before the patch: list with the patch's sizes.
        store.rebuild_rank_lists()
        before = store.read("SELECT structure FROM rank_state")
        assert before and Search(store).rank_ready()
        case = load_mini().cases[0].model_copy(update={"id": "case-new"})
        store.write_dataset(Dataset(cases=[case]), "user-import")
        # Rebuilt in its own transaction after the import's: current, and listing its words.
        assert store.read("SELECT structure FROM rank_state") != before
        search = Search(store)
        assert search.rank_ready()
        for text in ["lung", "skin lung", "ritux"]:
            hits = search.hits(text, limit=5)
            assert [(h.kind, h.id) for h in hits] == [
                (k, r) for k, r, _ in exact(store, search, text, 5)
            ]
        # A write that bypasses the store (or a rebuild that was stopped): stale, ignored.
        store.conn.execute(
            "INSERT INTO search_index (title, body, kind, record_id) VALUES "
            "('lung lung', 'lung', 'case', 'case-sneaked')"
        )
        store.conn.commit()
        search = Search(store)
        assert not search.rank_ready()
        hits = search.hits("lung", limit=3)
        assert search.last_proof is None and hits[0].id == "case-sneaked"


def test_a_database_without_lists_opened_read_only_ranks_every_match(tmp_path, monkeypatch):
    """An older database opened read-only has no lists and gains none: ranked by FTS5, as
    exactly, more slowly."""
    monkeypatch.setattr(rank_index, "LISTED_FROM", 0)
    path = tmp_path / "c.db"
    corpus(path, common_corpus(50)).close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE rank_terms")
    conn.execute("DROP TABLE rank_state")
    conn.execute("PRAGMA user_version = 8")
    conn.commit()
    conn.close()
    with Store(path, read_only=True) as store:
        search = Search(store)
        hits = search.hits("lung skin", limit=5)
        assert not search.rank_ready() and search.last_proof is None
        assert [h.id for h in hits] == [r for _, r, _ in exact(store, search, "lung skin", 5)]
    with Store(path) as store:  # opened writable: upgraded, and the lists built
        assert store.upgraded_from == 8
        search = Search(store)
        assert search.rank_ready() and store.read("SELECT count(*) FROM rank_terms")[0][0] > 0
        hits = search.hits("lung skin", limit=5)
        assert search.last_proof.ranked is not None
        assert [h.id for h in hits] == [r for _, r, _ in exact(store, search, "lung skin", 5)]


def test_varints_read_as_sqlite_writes_them():
    assert rank_index.varints(bytes([0x05, 0x81, 0x00, 0xFF, 0x7F])) == [5, 128, 16383]
    nine = bytes([0xFF] * 8 + [0x01])
    assert rank_index.varints(nine) == [(2**56 - 1) << 8 | 1]


def test_a_search_reads_one_state_while_another_process_writes(tmp_path, monkeypatch):
    """An import and its rebuild that land between a search's check of the lists and its
    reads of them are not seen: the search reads one state (Store.snapshot)."""
    monkeypatch.setattr(rank_index, "LISTED_FROM", 0)
    monkeypatch.setattr(rank_index, "DEPTH", 2)
    path = tmp_path / "c.db"
    corpus(path, common_corpus(60)).close()
    with Store(path, read_only=True) as reader, Store(path) as writer:
        search = Search(reader)
        before = [r for _, r, _ in exact(reader, search, "lung", 2)]
        read_list = search._term_list
        written = []

        def term_list(term):
            if not written:  # another process imports a strong record, and rebuilds
                writer.conn.execute(
                    "INSERT INTO search_index (title, body, kind, record_id) VALUES "
                    "('lung lung', 'lung', 'case', 'case-new')"
                )
                writer.conn.commit()
                writer.rebuild_rank_lists()
                written.append(term)
            return read_list(term)

        monkeypatch.setattr(search, "_term_list", term_list)
        hits = search.hits("lung", limit=2)
        assert written and search.last_proof.ranked is not None
        assert [h.id for h in hits] == before
        search.drop_kept()
        monkeypatch.setattr(search, "_term_list", read_list)
        assert search.hits("lung", limit=1)[0].id == "case-new"  # the next search sees it


def test_a_list_damaged_by_hand_is_set_aside(tmp_path, monkeypatch):
    """A packed list cut short (edited by hand, say) is no reason to fail a search: FTS5
    ranks every match instead."""
    monkeypatch.setattr(rank_index, "LISTED_FROM", 0)
    monkeypatch.setattr(rank_index, "DEPTH", 3)
    with corpus(tmp_path / "c.db", common_corpus(40)) as store:
        store.conn.execute("UPDATE rank_terms SET listed = substr(listed, 1, 5)")
        store.conn.commit()
        search = Search(store)
        hits = search.hits("lung", limit=3)
        assert search.last_proof is None and not search.rank_ready()
        assert [h.id for h in hits] == [r for _, r, _ in exact(store, search, "lung", 3)]


def test_ctrl_c_while_the_lists_are_rebuilt_keeps_the_import_and_db_reindex_mends_them(
    tmp_path, monkeypatch, capsys
):
    """The import is saved before its lists are rebuilt: Ctrl-C then says so (exit 130), the
    lists are left stale (searches rank every match, the same hits), and `db reindex` makes
    them current again."""
    from conftest import build_mini_db, load_mini, run_cli

    from sclerotui import schema

    monkeypatch.setattr(rank_index, "LISTED_FROM", 0)
    monkeypatch.setattr(rank_index, "DEPTH", 2)
    path = build_mini_db(tmp_path / "mini.db")
    case = load_mini().cases[0].model_copy(update={"id": "case-new"})
    (tmp_path / "new.json").write_text(json.dumps({"cases": [case.model_dump(mode="json")]}))
    rebuild = schema.rebuild_rank_lists

    def interrupted(conn, progress=None):
        rebuild(conn, progress)  # the lists written, then Ctrl-C before they commit
        raise KeyboardInterrupt

    monkeypatch.setattr(schema, "rebuild_rank_lists", interrupted)
    code, out, err = run_cli(capsys, "--db", path, "import", tmp_path / "new.json")
    assert code == 130
    assert err == (
        f"sclerotui: interrupted after the write to {path} was saved, while its ranking lists "
        "were rebuilt: searches stay exact but rank every match (slower on a large database) "
        f"until the next import or 'sclerotui db reindex {path}'\n"
    )
    with Store(path, read_only=True) as store:
        assert store.case("case-new") is not None
        search = Search(store)
        assert not search.rank_ready()
        stale = [(h.id, h.rank) for h in search.hits("lung", limit=5)]
    monkeypatch.setattr(schema, "rebuild_rank_lists", rebuild)
    code, out, _ = run_cli(capsys, "db", "reindex", path)
    assert code == 0
    assert re.fullmatch(
        rf"rebuilt the ranking lists of {re.escape(str(path))}: \d+ common words listed\n", out
    )
    with Store(path, read_only=True) as store:
        search = Search(store)
        assert search.rank_ready()
        assert [(h.id, h.rank) for h in search.hits("lung", limit=5)] == stale
        assert search.last_proof is not None  # the lists were read (stale ones are not)


def test_db_reindex_of_a_read_only_file_says_so_and_writes_nothing(tmp_path, capsys):
    from conftest import build_mini_db, run_cli, sha

    path = build_mini_db(tmp_path / "mini.db")
    before = sha(path)
    code, _, err = run_cli(capsys, "--read-only", "db", "reindex", path)
    assert (code, err) == (
        2,
        f"sclerotui: cannot reindex {path}: it is read-only (opened with --read-only)\n",
    )
    assert sha(path) == before


def test_lists_scanned_on_two_connections_are_those_of_one(tmp_path, monkeypatch):
    """The rebuild scans on a second connection beside its own (a WAL file): the lists it
    writes are byte for byte those of one connection scanning every term in turn."""
    from sclerotui import schema

    monkeypatch.setattr(rank_index, "LISTED_FROM", 5)
    monkeypatch.setattr(rank_index, "DEPTH", 7)
    words = [f"w{n}" for n in range(40)]
    rng = random.Random(5)
    records = [(rng.choice(words), " ".join(rng.choices(words, k=12)), "case") for _ in range(300)]
    rows = "SELECT term, docs, bound, bound_doc, listed, scores FROM rank_terms ORDER BY term"
    with corpus(tmp_path / "c.db", records) as store:
        seconds = []
        second_reader = schema._second_reader
        monkeypatch.setattr(
            schema, "_second_reader", lambda conn: seconds.append(1) or second_reader(conn)
        )
        store.rebuild_rank_lists()
        assert seconds and store.read("PRAGMA journal_mode") == [("wal",)]
        both = store.read(rows)
        monkeypatch.setattr(schema, "_second_reader", lambda conn: None)
        store.rebuild_rank_lists()
        assert len(both) > 40 and store.read(rows) == both
