"""Pathways and comparison screens: Pilot tests of the numbers shown, and snapshots."""

from __future__ import annotations

import pytest
from pathway_fixture import build_pathway_db
from textual.widgets import Input

from sclerotui.facets import Criteria
from sclerotui.screens.compare import ComparisonScreen
from sclerotui.screens.pathways import PathwaysScreen, PathwayTree
from tests.app.helpers import (
    caught_up,
    detail_text,
    explorer_ready,
    make_app,
    option_texts,
    settle,
    static_text,
)


@pytest.fixture
def pathway_db(tmp_path):
    return build_pathway_db(tmp_path / "pathways.db")


async def open_pathways(pilot, criteria=None):
    screen = pilot.app.main_screen
    screen.jump_to("therapy", "cyclophosphamide")
    if criteria is not None:
        screen.criteria = criteria
    await caught_up(pilot)
    await pilot.press("p")
    await settle(pilot)


def tree_labels(screen) -> list[str]:
    tree = screen.query_one(PathwayTree)
    labels = []

    def walk(node, depth):
        for child in node.children:
            labels.append("  " * depth + child.label.plain)
            walk(child, depth + 1)

    walk(tree.root, 0)
    return labels


async def test_pathways_show_counts_and_shares_the_fixture_implies(pathway_db):
    app = make_app(pathway_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pathways(pilot)
        screen = app.screen
        assert isinstance(screen, PathwaysScreen)
        title = static_text(screen.query_one("#pathway-title"))
        assert "After failing Cyclophosphamide: 5 cases resistant" in title
        assert "5 went on to another therapy" in title
        labels = tree_labels(screen)
        assert labels[0].startswith("→ Mycophenolate mofetil  n=3  67% responded")
        assert "dcSSc 2 lcSSc 1" in labels[0]
        assert labels[1].strip().startswith("→ Rituximab  n=1 illustrative only  100% responded")
        assert labels[2].startswith("→ Autologous HSCT  n=1 illustrative only  100% responded")
        assert labels[3].startswith("→ Rituximab  n=1 illustrative only  0% responded (part 1)")


async def test_filters_from_main_screen_apply(pathway_db):
    app = make_app(pathway_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pathways(pilot, Criteria(subtype=frozenset({"diffuse"})))
        title = static_text(app.screen.query_one("#pathway-title"))
        assert "4 cases resistant" in title and "filters: subtype:diffuse" in title
        assert tree_labels(app.screen)[0].startswith("→ Mycophenolate mofetil  n=2  50% responded")


async def test_enter_on_node_lists_cases_and_enter_on_case_opens_it(pathway_db):
    app = make_app(pathway_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pathways(pilot)
        await pilot.press("down", "enter")  # root -> first node (mycophenolate)
        await settle(pilot)  # the cases are found by a worker
        cases = app.screen.query_one("#pathway-cases")
        assert app.focused is cases
        assert sorted(t.split()[0] for t in option_texts(cases)) == [
            "resistant",
            "responded",
            "responded",
        ]
        cases.highlighted = [o.id for o in cases.options].index("case:path-a")
        await pilot.press("enter")
        await caught_up(pilot)
        assert app.screen is app.main_screen
        assert app.main_screen.item == ("case", "path-a")
        assert "1. Cyclophosphamide → resistant" in detail_text(app)


async def test_the_tree_answers_keys_while_a_nodes_cases_are_found(pathway_db, monkeypatch):
    """Finding a node's cases took 1-4 s at 1M cases, on the UI thread: every move of the
    tree's cursor froze the screen. A worker finds them now; a late answer for a node the
    cursor has left is dropped."""
    import threading

    import sclerotui.screens.pathways as pathways_screen

    app = make_app(pathway_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pathways(pilot)
        gate = threading.Event()
        asked = []
        find = pathways_screen.cases_at

        def slow_cases_at(store, start, path, *args, **kwargs):
            asked.append(path)
            gate.wait(120)
            return find(store, start, path, *args, **kwargs)

        monkeypatch.setattr(pathways_screen, "cases_at", slow_cases_at)
        tree = app.screen.query_one(PathwayTree)
        await pilot.press("down")  # mycophenolate: its cases are being found
        await pilot.press("down")  # the rituximab after it, before they are
        await pilot.pause()
        assert tree.cursor_node.data.path == ("mycophenolate", "rituximab")
        cases = app.screen.query_one("#pathway-cases")
        assert option_texts(cases) == ["finding the cases…"]
        assert "Mycophenolate mofetil → Rituximab (1)" in str(cases.border_title)
        gate.set()
        await settle(pilot)
        assert ("mycophenolate",) in asked
        assert [o.id for o in cases.options] == ["case:path-a"]


async def test_trials_beside_the_tree_and_change_of_start(pathway_db):
    app = make_app(pathway_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pathways(pilot)
        trials = option_texts(app.screen.query_one("#pathway-trials"))
        assert any("Gamma comparison trial" in t for t in trials)  # a mycophenolate trial
        assert any("Beta cohort of rituximab" in t for t in trials)
        await pilot.press("s")
        await caught_up(pilot)
        picker = app.screen.query_one("#start-picker")
        picker.highlighted = [o.id for o in picker.options].index("bosentan")
        await pilot.press("enter")
        await settle(pilot)
        assert "After failing Bosentan: 1 case resistant" in static_text(
            app.screen.query_one("#pathway-title")
        )
        first = tree_labels(app.screen)[0]
        assert first.startswith("→ Rituximab  n=1 illustrative only  0% responded")


async def mark_and_compare(pilot):
    screen = pilot.app.main_screen
    for therapy in ("cyclophosphamide", "mycophenolate", "nintedanib"):
        screen.jump_to("therapy", therapy)
        await caught_up(pilot)
        await pilot.press("m")
    await pilot.press("c")
    await settle(pilot)  # a worker gathers the comparison


async def test_compare_marked_therapies_side_by_side(pathway_db, tmp_path):
    app = make_app(pathway_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        await pilot.press("c")  # nothing marked: a warning, no screen
        assert app.screen is app.main_screen
        await mark_and_compare(pilot)
        assert isinstance(app.screen, ComparisonScreen)
        cells = [static_text(c) for c in app.screen.query(".compare-cases Static")]
        assert cells[0].startswith("Cases: 5") and "intolerant: 2" in cells[0]
        assert cells[1].startswith("Cases: 3")
        assert "given after a failure: 0" in cells[2]
        plots = [static_text(c) for c in app.screen.query(".compare-plot Static")]
        # Same scale in every column: the axis labels are identical where values exist.
        assert plots[2].splitlines()[1].startswith("72.4 ┤")
        assert plots[0].splitlines()[1] == "no values"
        await pilot.press("e")
        await caught_up(pilot)
        app.screen.query_one(Input).value = str(tmp_path / "compare.md")
        await pilot.press("enter")
        await caught_up(pilot)
    text = (tmp_path / "compare.md").read_text()
    assert text.startswith("# Therapy comparison: Cyclophosphamide vs Mycophenolate mofetil")


async def _pathways_state(pilot):
    await explorer_ready(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await open_pathways(pilot)
    await pilot.press("down")
    await caught_up(pilot)


async def _compare_state(pilot):
    await explorer_ready(pilot)
    await mark_and_compare(pilot)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.2)  # let the mark notifications time out of the picture
    for toast in pilot.app.screen.query("Toast"):
        toast.remove()
    await caught_up(pilot)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("state", ["pathways", "comparison"])
def test_screen(snap_compare, pathway_db, state, size):
    run = {"pathways": _pathways_state, "comparison": _compare_state}[state]
    assert snap_compare(make_app(pathway_db), terminal_size=size, run_before=run)


async def test_a_regimen_node_names_every_therapy_given_together(tmp_path):
    from sclerotui.bundle import build

    store, _ = build(tmp_path / "bundled.db")
    store.close()
    app = make_app(tmp_path / "bundled.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await explorer_ready(pilot)
        app.main_screen.jump_to("therapy", "ace-inhibitors")
        await caught_up(pilot)
        await pilot.press("p")
        await settle(pilot)
        labels = tree_labels(app.screen)
        assert labels[0].startswith("→ Experimental i… + Therapeutic pl…  n=1 illustrative only")
        await pilot.press("down", "enter")
        await settle(pilot)
        title = str(app.screen.query_one("#pathway-cases").border_title)
        regimen = "Experimental immunomodulatory drugs (class; no drug named) + Therapeutic"
        assert f"ACE inhibitors → {regimen}" in title
