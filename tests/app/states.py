"""The app states that snapshot tests check and that `scripts/screenshots.py` draws.

Each state is driven from the keyboard where a user would use it; `ids` names the records
to open, so the same states run on the fixture database and on the bundled one.
"""

from __future__ import annotations

from sclerotui.facets import Criteria
from tests.app.helpers import caught_up, settle

FIXTURE_IDS = {
    "trial": "alpha",
    "case": "case-one",
    "illustrative": "case-two",
    "hostile": "case-four",
    "search": "cyclophosphamide",
    "palette": "digital",
}
BUNDLED_IDS = {
    "pathway_start": "ace-inhibitors",
    "forest_trial": "fasscinate",
    "summary_therapy": "tocilizumab",
    "compare": ["cyclophosphamide", "mycophenolate", "nintedanib"],
    "trial": "senscis",
    "case": "case-dcssc-cyc-hsct",
    "illustrative": "case-lcssc-vascular-rtx",
    "search": "rituximab",
    "palette": "renal crisis",
}


async def start(pilot, ids):
    await caught_up(pilot)


async def therapy_selected(pilot, ids):
    await pilot.press("j", "j")
    await caught_up(pilot)


async def trial_plot(pilot, ids):
    pilot.app.main_screen.jump_to("trial", ids["trial"])
    await caught_up(pilot)


async def case_timeline(pilot, ids):
    pilot.app.main_screen.jump_to("case", ids["case"])
    await settle(pilot)  # the timeline's plots and events are mounted with the first record
    await pilot.press("tab")  # to the timeline's event list
    await settle(pilot)


async def illustrative_case(pilot, ids):
    pilot.app.main_screen.jump_to("case", ids["illustrative"])
    await caught_up(pilot)


async def hostile_text(pilot, ids):
    pilot.app.main_screen.jump_to("case", ids["hostile"])
    await caught_up(pilot)


async def search_hits(pilot, ids):
    await pilot.press("slash", *ids["search"])
    await settle(pilot)


async def search_no_hits(pilot, ids):
    await pilot.press("slash", *"zzzqqq")
    await settle(pilot)


async def filters_active(pilot, ids):
    pilot.app.main_screen.criteria = Criteria(
        subtype=frozenset({"diffuse"}), organ=frozenset({"lung"})
    )
    await settle(pilot)


async def filter_screen(pilot, ids):
    await pilot.press("f")
    await caught_up(pilot)


async def help_screen(pilot, ids):
    await pilot.press("question_mark")
    await caught_up(pilot)


async def command_palette(pilot, ids):
    await pilot.press("ctrl+p")
    await caught_up(pilot)
    from textual.widgets import Input

    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False  # a blinking cursor makes the picture depend on timing
    await pilot.press(*ids["palette"])
    await pilot.pause(0.5)
    await pilot.wait_for_scheduled_animations()


async def export_dialog(pilot, ids):
    pilot.app.main_screen.jump_to("trial", ids["trial"])
    await caught_up(pilot)
    await pilot.press("e")
    await caught_up(pilot)
    from textual.widgets import Input

    field = pilot.app.screen.query_one(Input)
    field.cursor_blink = False
    field.value = "~/reports/dossier.md"  # not the working directory, which differs per run
    await caught_up(pilot)


async def pathways(pilot, ids):
    pilot.app.main_screen.jump_to("therapy", ids["pathway_start"])
    await caught_up(pilot)
    await pilot.press("p")
    await settle(pilot)
    await pilot.press("down")
    await caught_up(pilot)


async def comparison(pilot, ids):
    screen = pilot.app.main_screen
    for therapy in ids["compare"]:
        screen.jump_to("therapy", therapy)
        await caught_up(pilot)
        await pilot.press("m")
    await pilot.press("c")
    await settle(pilot)  # a worker gathers the comparison
    for toast in pilot.app.screen.query("Toast"):
        toast.remove()
    await caught_up(pilot)


async def forest(pilot, ids):
    """The forest plot of a trial's first outcome (bundled data: the screenshots)."""
    pilot.app.main_screen.jump_to("trial", ids["forest_trial"])
    await caught_up(pilot)
    await pilot.press("g")
    await settle(pilot)


async def summary(pilot, ids):
    """A therapy's summary of findings, its first row traced to its findings."""
    pilot.app.main_screen.jump_to("therapy", ids["summary_therapy"])
    await caught_up(pilot)
    await pilot.press("u")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


STATES = {
    "start": start,
    "therapy_selected": therapy_selected,
    "trial_plot": trial_plot,
    "case_timeline": case_timeline,
    "illustrative_case": illustrative_case,
    "search_hits": search_hits,
    "search_no_hits": search_no_hits,
    "filters_active": filters_active,
    "filter_screen": filter_screen,
    "help_screen": help_screen,
    "command_palette": command_palette,
    "export_dialog": export_dialog,
}
FIXTURE_ONLY = {"hostile_text": hostile_text}
SIZES = [(120, 40), (80, 24)]
