"""plain.py reads a trial or case as its pydantic model does: every field, default and enum.

The explorer draws its first record from plain.py (no pydantic before the first frame) and
every later one from the models; the two must not differ in anything the detail can show.
"""

from __future__ import annotations

import json
from enum import Enum

import pytest
from pydantic import BaseModel

from sclerotui import plain
from sclerotui.bundle import build
from sclerotui.store import Store
from sclerotui.widgets.detail import SECTION_BUILDERS, RecordView


def differences(model, shown, where: str = "") -> list[str]:
    """Where `shown` (plain.py's reading) differs from the model, field by field."""
    if isinstance(model, BaseModel):
        found = []
        for name in type(model).model_fields:
            if not hasattr(shown, name):
                found.append(f"{where}.{name}: missing")
            else:
                found += differences(getattr(model, name), getattr(shown, name), f"{where}.{name}")
        return found
    if isinstance(model, list):
        if not isinstance(shown, list) or len(shown) != len(model):
            return [f"{where}: {shown!r} is not {model!r}"]
        return [d for i, m in enumerate(model) for d in differences(m, shown[i], f"{where}[{i}]")]
    same_type = type(shown) is type(model) or (
        isinstance(model, float) and isinstance(shown, int) and not isinstance(shown, bool)
    )
    if model != shown or (isinstance(model, Enum) and not same_type) or not same_type:
        return [f"{where}: {shown!r} ({type(shown).__name__}) is not {model!r}"]
    return []


def sections(view: RecordView) -> list:
    """What the detail pane draws for a record, as (name, lines) with styles."""
    drawn = []
    for name, parts in SECTION_BUILDERS[view.kind](view):
        for part in parts:
            if hasattr(part, "items"):  # Many: each line it would draw
                drawn += [(name, part.line(item).markup) for item in part.items]
            else:
                drawn.append((name, part.markup))
    return drawn


def check_store(store: Store, kinds=("trial", "case"), limit: int | None = None) -> int:
    checked = 0
    for kind in kinds:
        table = {"trial": "trials", "case": "cases"}[kind]
        ids = [row[0] for row in store.read(f"SELECT id FROM {table} ORDER BY id")][:limit]
        for record_id in ids:
            model, shown = store.record(kind, record_id), plain.record(store, kind, record_id)
            assert differences(model, shown, f"{kind} {record_id}") == []
            ids_cited = [*model.sources, *(f.source for f in getattr(model, "findings", []))]
            model_sources = store.sources(ids_cited)
            shown_sources = plain.sources(store, ids_cited)
            assert differences(model_sources, shown_sources, f"{kind} {record_id} sources") == []
            names = {"nintedanib": "Nintedanib"}
            assert sections(RecordView(kind, model, model_sources, names)) == sections(
                RecordView(kind, shown, shown_sources, names)
            )
            checked += 1
    return checked


@pytest.fixture(scope="module")
def bundled_store(tmp_path_factory):
    store, _ = build(tmp_path_factory.mktemp("bundled") / "sclerotui.db")
    yield store
    store.close()


def test_every_bundled_trial_and_case_reads_as_its_model(bundled_store):
    # 60 trials (arms, findings with effects, eligibility ranges) and 42 cases.
    assert check_store(bundled_store) >= 100


def test_synthetic_cases_read_as_their_models(synthetic_store):
    # Written by `db synth` as plain JSON (defaults left out), not by the models.
    assert check_store(synthetic_store, ("case", "trial"), limit=200) >= 200


def test_the_older_single_therapy_form_and_left_out_defaults_read_as_the_model(store):
    # A case stored with `therapy` (the older form) and with every defaulted field left out.
    case = {
        "id": "old-form",
        "title": "Old form",
        "subtype": "limited",
        "therapies": [{"therapy": "nintedanib", "response": "partial"}],
        "narrative": "n",
        "illustrative": True,
        "sources": ["nct-alpha"],
    }
    with store.transaction():
        store.write(
            "UPDATE cases SET data = ? WHERE id = (SELECT min(id) FROM cases)", [json.dumps(case)]
        )
    case_id = store.first("SELECT min(id) FROM cases")[0]
    model, shown = store.record("case", case_id), plain.record(store, "case", case_id)
    assert differences(model, shown) == []
    assert shown.therapies[0].therapies == ["nintedanib"] and shown.sex == "unknown"


def test_a_record_that_is_not_there_is_none(store):
    assert plain.record(store, "case", "no-such-case") is None
    assert plain.sources(store, []) == [] and plain.sources(store, ["no-such-source"]) == []


def test_the_comparison_catches_a_field_read_wrong(store):
    # The check above is not vacuous: a wrong default, a missing enum, a missing field.
    trial_id = store.first("SELECT min(id) FROM trials")[0]
    model, shown = store.record("trial", trial_id), plain.record(store, "trial", trial_id)
    shown.evidence_type = shown.evidence_type.value  # a str, not the enum
    del shown.__dict__["safety"]
    found = differences(model, shown)
    assert any(".evidence_type" in d for d in found) and any(".safety: missing" in d for d in found)


async def test_a_first_record_the_models_refuse_is_named_in_the_detail(mini_db):
    # plain.py trusts the stored JSON; a record that is not what the models write (a damaged
    # or hand-edited file) is named in the detail pane, as the models found it, and the
    # explorer goes on (it ended in pydantic's traceback before).
    import sqlite3

    from sclerotui.app import SclerotuiApp
    from tests.app.helpers import detail_text, settle

    with sqlite3.connect(mini_db) as connection:
        connection.execute("UPDATE trials SET data = '{}' WHERE id = 'alpha'")
    connection.close()
    app = SclerotuiApp(Store(mini_db, read_only=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        shown = " ".join(detail_text(app).split())
        assert "trial 'alpha': id: Field required (and " in shown
        assert "the stored record cannot be read" in shown
        assert f"'sclerotui db check {mini_db}' lists the problems" in shown
        await pilot.press("j")  # the next record shows as ever
        await settle(pilot)
        assert "cannot be read" not in detail_text(app)
        assert app.is_running
