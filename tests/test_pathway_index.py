"""The pathways table (pathway_steps) against the recursive walk over record_therapies: the
same trees, counts and cases, through imports, replacements, deletions, `db synth` and the
schema 8 upgrade of an older database."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import build_mini_db
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sclerotui import pathway_index
from sclerotui.facets import Criteria
from sclerotui.models import Dataset
from sclerotui.pathways import (
    cases_at,
    pathway_tree,
    starting_cases,
    walked_cases_at,
    walked_tree,
)
from sclerotui.schema import rebuild_pathway_steps
from sclerotui.store import Store

THERAPIES = ["cyclophosphamide", "mycophenolate", "nintedanib", "hsct", "rituximab", "bosentan"]
RESPONSES = ["responded", "partial", "resistant", "intolerant", "unknown"]
FILTERS = [
    Criteria(),
    Criteria(subtype=frozenset({"diffuse"})),
    Criteria(organ=frozenset({"lung", "renal"})),
    Criteria(subtype=frozenset({"limited", "sine"}), antibody=frozenset({"anticentromere"})),
    Criteria(type=frozenset({"observational"})),
]


def described(nodes):
    return {n.path: (n.cases, n.responses, n.subtypes, n.organs, n.illustrative) for n in nodes}


def assert_same_as_walk(store: Store, starts=THERAPIES, filters=FILTERS) -> int:
    """Every tree, root count and node's cases from the table equal the walk's; returns how
    many nodes were compared."""
    assert store.has_pathway_steps
    compared = 0
    for start in starts:
        for criteria in filters:
            table = pathway_tree(store, start, criteria)
            walked = walked_tree(store, start, criteria)
            assert described(table) == described(walked), (start, criteria)
            assert [n.path for n in table] == [n.path for n in walked]
            with store.lock:
                walked_roots = _walked_roots(store, start, criteria)
            assert starting_cases(store, start, criteria) == walked_roots
            for node in table:
                assert cases_at(store, start, node.path, criteria) == walked_cases_at(
                    store, start, node.path, criteria
                ), (start, node.path, criteria)
                compared += 1
    return compared


def _walked_roots(store, start, criteria):
    from sclerotui.pathways import FAILED, _start_filter

    where, args = _start_filter(criteria)
    failed = ",".join(f"'{r}'" for r in FAILED)
    return store.conn.execute(
        f"""SELECT count(DISTINCT rt.record_id) FROM record_therapies rt
            WHERE rt.kind = 'case' AND rt.therapy_id = ? AND rt.response IN ({failed}) {where}""",
        [start, *args],
    ).fetchone()[0]


def stored_rows(store: Store) -> list[tuple]:
    return store.conn.execute("SELECT * FROM pathway_steps ORDER BY 1, 2, 3, 4, 5").fetchall()


def rebuilt_rows(store: Store) -> list[tuple]:
    """What schema.rebuild_pathway_steps writes from the stored cases, read in a copy."""
    copy = sqlite3.connect(":memory:")
    store.conn.backup(copy)
    rebuild_pathway_steps(copy)
    rows = copy.execute("SELECT * FROM pathway_steps ORDER BY 1, 2, 3, 4, 5").fetchall()
    copy.close()
    return rows


steps = st.lists(
    st.tuples(
        st.lists(st.sampled_from(THERAPIES), min_size=1, max_size=3, unique=True),
        st.sampled_from(RESPONSES),
    ),
    min_size=1,
    max_size=9,  # past MAX_DEPTH after a start
)
cases = st.lists(
    st.fixed_dictionaries(
        {
            "subtype": st.sampled_from(["diffuse", "limited", "sine"]),
            "organs": st.lists(
                st.sampled_from(["lung", "skin", "renal", "pah"]), unique=True, max_size=3
            ),
            "autoantibodies": st.lists(
                st.sampled_from(["anticentromere", "anti-scl-70"]), unique=True, max_size=2
            ),
            "evidence_type": st.sampled_from(["case-report", "observational"]),
            "illustrative": st.booleans(),
            "therapies": steps,
        }
    ),
    min_size=1,
    max_size=12,
)


def dataset(generated, prefix="gen") -> Dataset:
    return Dataset.model_validate(
        {
            "cases": [
                {
                    **case,
                    "id": f"{prefix}-{index}",
                    "title": f"Generated case {index % 4}",  # shared titles: ordered by id
                    "sources": ["seed-fixture"],
                    "narrative": "Generated for the pathways table test.",
                    "therapies": [
                        {"therapies": members, "response": response}
                        for members, response in case["therapies"]
                    ],
                }
                for index, case in enumerate(generated)
            ]
        }
    )


@pytest.fixture(scope="module")
def mini_path(tmp_path_factory):
    return build_mini_db(tmp_path_factory.mktemp("pathway-index") / "mini.db")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=cases, second=cases)
def test_the_table_gives_what_the_walk_gives_through_imports(mini_path, tmp_path, first, second):
    """Random regimens, repeated therapies, long failed runs and every filter: the table's
    trees and cases equal the recursive walk's after an import, after a --replace import
    that rewrites some cases, and after a refresh that deletes an origin's cases; and the
    table always holds exactly what a rebuild from the stored cases writes."""
    path = tmp_path / "copy.db"
    for leftover in ("copy.db", "copy.db-wal", "copy.db-shm"):  # an earlier example's
        (tmp_path / leftover).unlink(missing_ok=True)
    source = sqlite3.connect(mini_path)
    target = sqlite3.connect(path)
    source.backup(target)
    source.close(), target.close()
    with Store(path) as store:
        store.write_dataset(dataset(first), "import:first.json")
        assert_same_as_walk(store)
        assert stored_rows(store) == rebuilt_rows(store)
        store.write_dataset(dataset(second), "import:first.json", replace=True)
        assert_same_as_walk(store)
        assert stored_rows(store) == rebuilt_rows(store)
        with store.transaction():
            store._delete_origin("import:first.json", Dataset())
        assert_same_as_walk(store, filters=FILTERS[:2])
        assert stored_rows(store) == rebuilt_rows(store)
        left = {row[4] for row in stored_rows(store)}
        assert not any(case_id.startswith("gen-") for case_id in left)


def test_a_synthetic_database_has_the_walks_pathways(synthetic_store):
    """`db synth` writes its rows directly, not through the store: its table must still be
    the walk's, for the busiest starting therapies with and without filters."""
    compared = assert_same_as_walk(
        synthetic_store, starts=["cyclophosphamide", "rituximab"], filters=FILTERS[:3]
    )
    assert compared > 50


def test_an_older_database_is_upgraded_with_its_pathways(tmp_path):
    """Schema 8 fills the table from the cases already stored; opened read-only before the
    upgrade, the same trees come from the walk."""
    from pathway_fixture import build_pathway_db

    path = build_pathway_db(tmp_path / "old.db")
    with Store(path) as store:
        expected = {s: described(pathway_tree(store, s)) for s in THERAPIES}
        assert any(expected.values())
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE pathway_steps")
    conn.execute("PRAGMA user_version = 6")
    conn.commit()
    conn.close()
    with Store(path, read_only=True) as old:
        assert not old.has_pathway_steps
        assert {s: described(pathway_tree(old, s)) for s in THERAPIES} == expected
    with Store(path) as upgraded:
        assert upgraded.upgraded_from == 6 and upgraded.has_pathway_steps
        assert {s: described(pathway_tree(upgraded, s)) for s in THERAPIES} == expected
        assert stored_rows(upgraded) and stored_rows(upgraded) == rebuilt_rows(upgraded)


def test_case_rows_follow_failures_only():
    """A case starts from each therapy it failed, at its first failure; the walk takes the
    next step's whole regimen (response of its first therapy by id) and stops after a step
    that did not fail."""
    links = [
        ("cyclophosphamide", 0, "resistant"),
        ("rituximab", 1, "partial"),
        ("mycophenolate", 1, "partial"),
        ("hsct", 2, "responded"),
        ("bosentan", 3, "resistant"),
        ("cyclophosphamide", 4, "resistant"),
    ]
    facets = pathway_index.case_facets("c", "diffuse", False, [("organ", "lung")])
    rows = pathway_index.case_rows(links, facets)
    paths = [(start, path, response) for start, path, response, *_ in rows]
    assert paths == [
        ("cyclophosphamide", "", "resistant"),
        ("cyclophosphamide", "mycophenolate+rituximab", "partial"),
        ("cyclophosphamide", "mycophenolate+rituximab>hsct", "responded"),
        ("rituximab", "", "partial"),
        ("rituximab", "hsct", "responded"),
        ("mycophenolate", "", "partial"),
        ("mycophenolate", "hsct", "responded"),
        ("bosentan", "", "resistant"),
        ("bosentan", "cyclophosphamide", "resistant"),
    ]


def test_every_organ_and_autoantibody_has_its_bit():
    """The table keeps organs and autoantibodies as bits: a value of the vocabulary without
    one could not be counted or filtered on."""
    from sclerotui.vocabulary import Autoantibody, Organ

    assert set(pathway_index.ORGAN_BITS) == {o.value for o in Organ}
    assert set(pathway_index.ANTIBODY_BITS) == {a.value for a in Autoantibody}
    assert pathway_index.mask("organ", ["lung", "skin", "nowhere"]) == 0b11


# The bits of databases already written (schema 8): bit n is the n-th value. A new value of
# the vocabulary is appended at its enum's end (it takes the next bit); these never move.
STORED_BITS = {
    "organ": (
        "skin", "lung", "pah", "renal", "vascular", "gi", "cardiac", "musculoskeletal",
        "calcinosis",
    ),
    "antibody": (
        "anti-scl-70", "anticentromere", "anti-rnap-iii", "anti-u1rnp", "anti-pm-scl", "other",
        "negative", "unknown",
    ),
}  # fmt: skip


@pytest.mark.parametrize("facet", sorted(STORED_BITS))
def test_a_stored_bit_keeps_its_value(facet):
    """The bits come from the vocabulary's order: moving or removing a value there would make
    a database built before read other organs or autoantibodies than it was written with."""
    bits = pathway_index.BITS[facet]
    stored = STORED_BITS[facet]
    assert bits[: len(stored)] == stored, (
        f"the {facet} values' order changed: append new values at the end of the enum"
    )
    for bit, value in enumerate(stored):
        assert pathway_index.mask(facet, [value]) == 1 << bit
    # One signed 64-bit integer column holds them (SQLite's INTEGER).
    assert len(bits) <= 63


def long_failures(index: int, therapies: list[str]) -> dict:
    """A case that fails each of `therapies` in turn (every one a start, the first with a
    path past MAX_DEPTH), its organs and subtype varying with `index`."""
    return {
        "subtype": ["diffuse", "limited", "sine"][index % 3],
        "organs": [["lung"], ["skin", "renal"], []][index % 3],
        "autoantibodies": [],
        "evidence_type": "case-report",
        "illustrative": bool(index % 2),
        "therapies": [([t], "resistant") for t in therapies],
    }


def test_a_cases_pathway_rows_go_by_key_with_it(mini_path, tmp_path):
    """Schema 11 keeps no index by case: a case's rows are deleted by the keys the store
    computes from the case as stored. Over 500 cases (two chunks of the delete) replaced by
    cases of other therapies, subtypes and organs, then deleted by a refresh of their origin:
    no row of an old version is left, and the other cases' rows stay."""
    path = build_mini_db(tmp_path / "mini.db")
    many = 520
    with Store(path) as store:
        assert (
            store.read(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'pathway_steps'"
            )
            == []
        )
        plan = store.read(f"EXPLAIN QUERY PLAN {pathway_index.DELETE}", [""] * 5)
        assert "USING PRIMARY KEY" in plan[0][-1], plan
        others = stored_rows(store)
        assert others  # the mini dataset's cases have pathways
        first = [long_failures(i, THERAPIES[i % 2 :] + THERAPIES[: i % 2]) for i in range(many)]
        store.write_dataset(dataset(first), "import:many.json")
        written = stored_rows(store)
        assert len(written) - len(others) > many * 6
        second = [long_failures(i + 1, THERAPIES[::-1][: 1 + i % 3]) for i in range(many)]
        store.write_dataset(dataset(second), "import:many.json", replace=True)
        assert stored_rows(store) == rebuilt_rows(store)
        assert len(stored_rows(store)) < len(written)
        with store.transaction():
            store._delete_origin("import:many.json", Dataset())
        assert stored_rows(store) == others
