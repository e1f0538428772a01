"""The explorer's lists (sclerotui/lists.py): therapies with their counts under the filters,
and windows of a therapy's evidence."""

from __future__ import annotations

from sclerotui import lists
from sclerotui.facets import NO_CRITERIA
from sclerotui.query import parse
from sclerotui.search import Search
from sclerotui.store import Store


def criteria(store: Store, text: str):
    return Search(store).filters(parse(text))


def test_therapies_with_counts(store):
    rows = {row.therapy.id: (row.trials, row.cases) for row in lists.therapies(store)}
    assert rows == {
        "cyclophosphamide": (1, 2),
        "mycophenolate": (1, 1),
        "nintedanib": (1, 0),
        "hsct": (0, 1),
        "rituximab": (1, 2),
        "bosentan": (0, 1),
    }


def test_therapies_ordered_by_class_then_name(store):
    assert [row.therapy.id for row in lists.therapies(store)] == [
        "nintedanib",  # antifibrotic
        "rituximab",  # biologic
        "hsct",  # cell-therapy
        "bosentan",  # endothelin-receptor-antagonist
        "cyclophosphamide",  # immunosuppressant
        "mycophenolate",
    ]


def test_therapies_narrow_with_response(store):
    rows = lists.therapies(store, criteria(store, "response:resistant"))
    assert [(r.therapy.id, r.trials, r.cases) for r in rows] == [
        ("bosentan", 0, 1),
        ("cyclophosphamide", 0, 1),
    ]


def test_therapies_narrow_with_organ_and_subtype(store):
    rows = lists.therapies(store, criteria(store, "organ:lung subtype:diffuse"))
    assert {r.therapy.id: (r.trials, r.cases) for r in rows} == {
        "nintedanib": (1, 0),
        "cyclophosphamide": (1, 2),
        "mycophenolate": (1, 1),
        "hsct": (0, 1),
    }


def test_therapies_class_filter_keeps_whole_class(store):
    rows = lists.therapies(store, criteria(store, "class:immunosuppressant"))
    assert [r.therapy.id for r in rows] == ["cyclophosphamide", "mycophenolate"]


def test_evidence_order_and_labels(store):
    items = lists.evidence(store, "cyclophosphamide")
    assert [(i.kind, i.id, i.label) for i in items] == [
        ("trial", "gamma", "RCT n=142"),
        ("case", "case-one", "case · dcSSc · resistant · illustrative"),
        ("case", "case-three", "case · dcSSc · intolerant"),
    ]
    assert items[0].verified is False
    assert items[1].illustrative is True
    assert items[2].illustrative is False


def test_evidence_trials_newest_first(store):
    assert [(i.id, i.label) for i in lists.evidence(store, "rituximab")] == [
        ("beta", "observational n=63"),
        ("case-four", "case · ssSSc · unknown · illustrative"),
        ("case-two", "case · lcSSc · partial · illustrative"),
    ]


def test_evidence_filtered(store):
    items = lists.evidence(store, "cyclophosphamide", criteria(store, "response:intolerant"))
    assert [i.id for i in items] == ["case-three"]
    items = lists.evidence(store, "rituximab", criteria(store, "type:rct"))
    assert items == []


def test_evidence_limit_and_offset(store):
    assert [i.id for i in lists.evidence(store, "cyclophosphamide", limit=1, offset=1)] == [
        "case-one"
    ]


def test_evidence_windows_read_from_the_end_match_those_read_from_the_start(tmp_path):
    """A window in the second half of a list is read backwards when the total is known; it
    must hold exactly the rows, in the same order, as one read forwards."""
    from sclerotui.synth import synthesize

    path = tmp_path / "synthetic.db"
    synthesize(path, 800, seed=3)
    with Store(path, read_only=True) as synthetic:
        therapy = max(lists.therapies(synthetic), key=lambda row: row.cases).therapy.id
        for text in ("", "subtype:diffuse", "response:resistant"):
            wanted = criteria(synthetic, text) if text else NO_CRITERIA
            total = lists.evidence_count(synthetic, therapy, wanted)
            assert total > 60, text
            for offset in (0, 1, total // 2 - 1, total // 2 + 1, total - 25, total - 7, total):
                forwards = lists.evidence(synthetic, therapy, wanted, 20, offset)
                backwards = lists.evidence(synthetic, therapy, wanted, 20, offset, total)
                assert backwards == forwards, (text, offset)
                assert len(forwards) == max(0, min(20, total - offset))
