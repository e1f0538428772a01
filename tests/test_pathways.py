"""Pathway aggregation and comparison data, on a fixture with known counts and on the bundled
data's three seed resistance cases."""

from __future__ import annotations

import pytest
from conftest import build_mini_db
from pathway_fixture import build_pathway_db

from sclerotui.bundle import build
from sclerotui.compare import gather, shared_scales, to_markdown
from sclerotui.facets import Criteria
from sclerotui.models import Dataset
from sclerotui.pathways import (
    cases_at,
    pathway_tree,
    position,
    regimen_label,
    response_mix,
    starting_cases,
)
from sclerotui.store import Store


@pytest.fixture
def store(tmp_path):
    with Store(build_pathway_db(tmp_path / "pathways.db")) as opened:
        yield opened


def summary(nodes):
    return [(n.path, n.cases, n.responses) for n in nodes]


def test_tree_after_cyclophosphamide(store):
    assert starting_cases(store, "cyclophosphamide") == 5
    assert summary(pathway_tree(store, "cyclophosphamide")) == [
        (("mycophenolate",), 3, {"resistant": 1, "responded": 2}),
        (("mycophenolate", "rituximab"), 1, {"responded": 1}),
        (("hsct",), 1, {"responded": 1}),
        (("rituximab",), 1, {"partial": 1}),
    ]


def test_node_share_subtypes_and_organs(store):
    mmf = pathway_tree(store, "cyclophosphamide")[0]
    assert round(mmf.responded_share, 3) == 0.667
    assert mmf.subtypes == {"diffuse": 2, "limited": 1}
    assert mmf.organs == {"lung": 3}


def test_filters_apply_to_the_starting_cases(store):
    diffuse = Criteria(subtype=frozenset({"diffuse"}))
    assert starting_cases(store, "cyclophosphamide", diffuse) == 4
    mmf = pathway_tree(store, "cyclophosphamide", diffuse)[0]
    assert (mmf.path, mmf.cases, mmf.responded_share) == (("mycophenolate",), 2, 0.5)


def test_cases_behind_a_node(store):
    rows = cases_at(store, "cyclophosphamide", ("mycophenolate",))
    assert sorted((case_id, response) for case_id, _, response in rows) == [
        ("case-three", "responded"),
        ("path-a", "resistant"),
        ("path-b", "responded"),
    ]
    assert [r[0] for r in cases_at(store, "cyclophosphamide", ("mycophenolate", "rituximab"))] == [
        "path-a"
    ]


@pytest.mark.parametrize(
    "criteria",
    [Criteria(), Criteria(subtype=frozenset({"diffuse"})), Criteria(organ=frozenset({"lung"}))],
)
def test_every_nodes_cases_are_the_ones_the_tree_counts(store, criteria):
    """cases_at joins one step per therapy of the path instead of filtering the tree's
    recursive walk: each node must still list exactly the cases and responses it counts."""
    checked = 0
    for start in ("cyclophosphamide", "mycophenolate", "bosentan", "rituximab"):
        for node in pathway_tree(store, start, criteria):
            rows = cases_at(store, start, node.path, criteria)
            assert len(rows) == node.cases, (start, node.path)
            responses: dict[str, int] = {}
            for _, _, response in rows:
                responses[response] = responses.get(response, 0) + 1
            assert responses == node.responses, (start, node.path)
            checked += 1
    assert checked >= 3
    assert cases_at(store, "cyclophosphamide", ("nintedanib", "bosentan"), criteria) == []


def test_a_responders_later_therapies_list_no_cases(store):
    """A pathway stops at a therapy that worked: what the case had after it is no node, and
    asking for its cases anyway finds none."""
    from pathway_fixture import _case

    from sclerotui.models import Dataset

    later = _case(
        "path-d",
        "diffuse",
        ["lung"],
        [("cyclophosphamide", "resistant"), ("hsct", "responded"), ("bosentan", "resistant")],
    )
    store.write_dataset(Dataset.model_validate({"cases": [later]}), "bundled")
    paths = [node.path for node in pathway_tree(store, "cyclophosphamide")]
    assert ("hsct",) in paths and ("hsct", "bosentan") not in paths
    listed = cases_at(store, "cyclophosphamide", ("hsct",))
    assert sorted(case_id for case_id, _, _ in listed) == ["case-one", "path-d"]
    assert cases_at(store, "cyclophosphamide", ("hsct", "bosentan")) == []


def test_a_responder_ends_its_pathway(store):
    # case-one responded to HSCT: nothing hangs below that node even if more followed.
    assert not [
        n
        for n in pathway_tree(store, "cyclophosphamide")
        if n.path[:1] == ("hsct",) and n.depth > 1
    ]


def test_position_and_response_mix(store):
    assert response_mix(store, "cyclophosphamide") == {
        "resistant": 2,
        "partial": 1,
        "intolerant": 2,
    }
    rituximab = position(store, "rituximab")
    # after a failure in path-a (mmf), path-c (cyc) and case-two (bosentan)
    assert (rituximab.used_after_failure, rituximab.responded_after_failure) == (3, 1)
    assert position(store, "mycophenolate").failed_then_other == 1


def test_comparison_shares_one_scale_and_exports(store):
    columns = gather(store, ["cyclophosphamide", "mycophenolate", "nintedanib"])
    assert [c.therapy.id for c in columns] == ["cyclophosphamide", "mycophenolate", "nintedanib"]
    assert [c.cases for c in columns] == [5, 3, 0]
    scales = shared_scales(columns)
    assert scales[("FVC %pred", "value")] == (70.1, 72.4, 0.0, 52.0)
    text = to_markdown(columns, {})
    assert text.startswith(
        "# Therapy comparison: Cyclophosphamide vs Mycophenolate mofetil vs Nintedanib"
    )
    assert "| Cases | 5: intolerant 2, partial 1, resistant 2 |" in text
    assert "## FVC %pred (value), same scale in every column" in text


def test_bundled_seed_cases_appear_as_pathways(tmp_path):
    bundled, _ = build(tmp_path / "bundled.db")
    with bundled:
        assert ("hsct",) in [n.path for n in pathway_tree(bundled, "cyclophosphamide")]
        # the essay's classes, failed as one step, then rituximab
        # (published cases add other branches; the seed cases' must be there)
        assert ("rituximab",) in [n.path for n in pathway_tree(bundled, "era-class")]
        assert ("rituximab",) in [n.path for n in pathway_tree(bundled, "vasodilators-class")]
        after_acei = [n.path for n in pathway_tree(bundled, "ace-inhibitors")]
        assert ("immunomodulators-experimental-class+plasma-exchange",) in after_acei
        assert ("plasma-exchange",) not in after_acei  # plasma exchange was not given alone
        # the ISN case: methotrexate with glucocorticoids, one step, then an ACE inhibitor
        assert ("ace-inhibitors",) in [n.path for n in pathway_tree(bundled, "methotrexate")]
        assert ("ace-inhibitors",) in [n.path for n in pathway_tree(bundled, "glucocorticoids")]


REGIMEN_CASES = Dataset.model_validate(
    {
        "cases": [
            {
                "id": f"reg-{index}",
                "title": f"Regimen case {index}",
                "subtype": "diffuse",
                "illustrative": index == 3,
                "sources": ["seed-fixture"],
                "narrative": "Fixture case for regimens.",
                "therapies": steps,
            }
            for index, steps in enumerate(
                [
                    [
                        {"therapy": "cyclophosphamide", "response": "resistant"},
                        {"therapies": ["mycophenolate", "rituximab"], "response": "resistant"},
                        {"therapy": "hsct", "response": "responded"},
                    ],
                    [
                        {"therapy": "cyclophosphamide", "response": "resistant"},
                        {"therapies": ["rituximab", "mycophenolate"], "response": "partial"},
                    ],
                    [
                        {"therapy": "cyclophosphamide", "response": "resistant"},
                        {"therapies": ["bosentan"], "response": "partial"},
                    ],
                ],
                start=1,
            )
        ]
    }
)


@pytest.fixture
def regimens(tmp_path):
    with Store(build_mini_db(tmp_path / "regimens.db")) as opened:
        opened.write_dataset(REGIMEN_CASES, "bundled")
        yield opened


def test_a_regimen_is_one_step_in_any_order(regimens):
    nodes = {n.path: n for n in pathway_tree(regimens, "cyclophosphamide")}
    both = nodes[("mycophenolate+rituximab",)]
    assert (both.cases, both.responses) == (2, {"resistant": 1, "partial": 1})
    assert both.therapies == ("mycophenolate", "rituximab")
    assert nodes[("mycophenolate+rituximab", "hsct")].cases == 1
    # the mini data's case-three had mycophenolate alone; the regimens are not counted there
    assert nodes[("mycophenolate",)].cases == 1 and ("rituximab",) not in nodes
    names = {"mycophenolate": "Mycophenolate", "rituximab": "Rituximab"}
    assert regimen_label(both.therapy, names) == "Mycophenolate + Rituximab"


def test_cases_at_a_regimen_node_match_the_whole_regimen(regimens):
    listed = cases_at(regimens, "cyclophosphamide", ("mycophenolate+rituximab",))
    assert sorted(case_id for case_id, _, _ in listed) == ["reg-1", "reg-2"]
    alone = cases_at(regimens, "cyclophosphamide", ("mycophenolate",))
    assert [case_id for case_id, _, _ in alone] == ["case-three"]
    deeper = cases_at(regimens, "cyclophosphamide", ("mycophenolate+rituximab", "hsct"))
    assert [case_id for case_id, _, _ in deeper] == ["reg-1"]


def test_a_node_says_when_it_rests_only_on_illustrative_cases(regimens):
    nodes = {n.path: n for n in pathway_tree(regimens, "cyclophosphamide")}
    assert nodes[("bosentan",)].only_illustrative  # reg-3 is illustrative
    assert not nodes[("mycophenolate+rituximab",)].only_illustrative
    assert nodes[("mycophenolate+rituximab",)].illustrative == 0
