"""An import by another program while the explorer is open: the explorer notices the change
(it looks at the database's change marker every CHANGE_CHECK_SECONDS) and counts the
therapies again, so the counts agree with what search and the evidence list show."""

from __future__ import annotations

from sclerotui.models import Case, Dataset, Therapy
from sclerotui.screens.main import CHANGE_CHECK_SECONDS
from sclerotui.store import Store
from sclerotui.widgets.evidence_list import EvidenceList
from sclerotui.widgets.therapy_list import TherapyList
from tests.app.helpers import caught_up, make_app, option_texts, static_text

CEILING = 120  # seconds: reached only if the change is never noticed


def counts(app) -> dict[str, tuple[int, int]]:
    rows = app.main_screen.query_one(TherapyList).rows
    return {row.therapy.id: (row.trials, row.cases) for row in rows}


async def wait_until(pilot, condition) -> None:
    """Pause until the condition holds; the ceiling is only for a change never noticed."""
    for _ in range(int(CEILING / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the explorer never showed the other program's import")


def imported_case(case_id: str, therapy: str) -> Case:
    return Case.model_validate(
        {
            "id": case_id,
            "title": f"Imported meanwhile {case_id}",
            "subtype": "limited",
            "therapies": [{"therapy": therapy, "response": "responded"}],
            "narrative": "Imported by another process while the explorer was open.",
            "illustrative": True,
            "sources": ["seed-fixture"],
        }
    )


async def test_an_import_by_another_program_updates_the_therapy_counts(mini_db):
    assert CHANGE_CHECK_SECONDS <= 5  # the user sees it within a few seconds
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        therapies = screen.query_one(TherapyList)
        therapies.select_therapy("mycophenolate")
        await caught_up(pilot)
        before = counts(app)
        evidence = screen.query_one(EvidenceList)
        listed = option_texts(evidence)
        assert not any("Imported meanwhile" in text for text in listed)
        status = static_text(screen.query_one("#status"))
        assert f"· {len(before)} therapies" in status

        # Another program imports two cases and a new therapy with a case of its own.
        new_therapy = Therapy.model_validate(
            {"id": "new-drug", "name": "Newdrug", "class": "other", "mechanism": "unknown"}
        )
        data = Dataset(
            therapies=[new_therapy],
            cases=[
                imported_case("meanwhile-1", "mycophenolate"),
                imported_case("meanwhile-2", "mycophenolate"),
                imported_case("meanwhile-3", "new-drug"),
            ],
        )
        with Store(mini_db) as other:
            other.write_dataset(data, "other-process.json")

        await wait_until(pilot, lambda: "new-drug" in counts(app))
        after = counts(app)
        trials, cases = before["mycophenolate"]
        assert after["mycophenolate"] == (trials, cases + 2)
        assert after["new-drug"] == (0, 1)
        assert {k: v for k, v in after.items() if k not in ("mycophenolate", "new-drug")} == {
            k: v for k, v in before.items() if k != "mycophenolate"
        }
        # The therapy under the cursor stays, and its evidence list holds the new cases.
        await caught_up(pilot)
        assert therapies.therapy_id == "mycophenolate"
        await wait_until(
            pilot,
            lambda: sum("Imported meanwhile" in text for text in option_texts(evidence)) == 2,
        )
        assert evidence.total == trials + cases + 2
        assert f"· {len(before) + 1} therapies" in static_text(screen.query_one("#status"))


async def test_the_counts_are_not_redrawn_when_nothing_changed(mini_db):
    """The check is a cheap read of a marker: no change, no refill of the lists."""
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        screen = app.main_screen
        refills: list[int] = []
        original = screen.reload
        screen.reload = lambda: (refills.append(1), original())[1]
        for _ in range(3):
            screen.check_for_changes()
        assert refills == []
        with Store(mini_db) as other:
            other.write_dataset(Dataset(cases=[imported_case("later", "hsct")]), "x.json")
        screen.check_for_changes()
        screen.check_for_changes()
        assert refills == [1]
