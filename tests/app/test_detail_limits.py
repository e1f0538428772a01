"""Records at the largest size the models allow open in the detail pane at once.

Each section shows its first PREVIEW_CHARS characters and a line saying how much more there
is; Enter (or a click on that line) adds MORE_CHARS at a time. So however large the record,
opening it lays out a bounded amount of text, and the app keeps answering keys.
"""

from __future__ import annotations

import pytest

from sclerotui.models import (
    MAX_FINDINGS,
    MAX_LIST,
    NAME_CHARS,
    NOTE_CHARS,
    TEXT_CHARS,
    Dataset,
    validate_dataset,
)
from sclerotui.store import Store
from sclerotui.widgets.detail import MORE_CHARS, PREVIEW_CHARS, DetailView, Feed, Many
from sclerotui.widgets.evidence_list import EvidenceList
from tests.app.helpers import caught_up, make_app, static_text
from tests.conftest import load_mini

WORDS = "Progressive skin thickening 系统性硬化症 [bold]x[/] \x1b[2J with dyspnoea\n"


def text(length: int, mark: str = "") -> str:
    """`length` characters of prose with markup, escapes and wide characters, ending in mark."""
    body = (WORDS * (length // len(WORDS) + 1))[: length - len(mark)]
    return body + mark


def largest_records() -> Dataset:
    """The mini dataset with a case and a trial at every limit of the models."""
    data = load_mini()
    sources = [
        {
            "id": f"big-source-{i}",
            "kind": "citation",
            "citation": text(NOTE_CHARS),
            "verified": True,
        }
        for i in range(MAX_LIST)
    ]
    ids = [s["id"] for s in sources]
    case = {
        "id": "big-case",
        "title": "Big case " + text(NAME_CHARS - 9),
        "age_band": text(NAME_CHARS),
        "subtype": "diffuse",
        "therapies": [
            {"therapy": "rituximab", "response": "partial", "note": text(NOTE_CHARS)}
            for _ in range(MAX_LIST)
        ],
        "narrative": text(TEXT_CHARS, " END-OF-NARRATIVE"),
        "illustrative": True,
        "sources": ids,
    }
    arms = [
        {
            "id": f"a{i}",
            "name": text(NAME_CHARS),
            "therapy": "rituximab",
            "intervention": text(NOTE_CHARS),
            "dose": text(NOTE_CHARS),
        }
        for i in range(MAX_LIST)
    ]
    finding = {
        "measure": "mRSS",
        "arm": "a0",
        "text": text(300),
        "source": ids[0],
        "verified": False,
    }
    trial = {
        "id": "big-trial",
        "name": "Big trial " + text(NAME_CHARS - 10),
        "design": text(NOTE_CHARS),
        "evidence_type": "rct",
        "population": text(TEXT_CHARS),
        "therapies": ["rituximab"],
        "arms": arms,
        "primary_endpoint": text(NOTE_CHARS),
        "results": text(TEXT_CHARS),
        "findings": [finding] * MAX_FINDINGS,
        "safety": text(TEXT_CHARS),
        "sources": ids,
        "verified": True,
    }
    big = Dataset.model_validate({"sources": sources, "cases": [case], "trials": [trial]})
    data.sources += big.sources
    data.cases += big.cases
    data.trials += big.trials
    assert validate_dataset(data) == []
    return data


@pytest.fixture(scope="module")
def largest_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("largest") / "largest.db"
    with Store(path, create=True) as store:
        store.write_dataset(largest_records(), "largest.json")
    return path


def shown(detail: DetailView) -> dict[str, str]:
    """Each section's text as drawn: its first part and the parts Enter has added."""
    return {
        name: "\n".join(
            [static_text(slot), *(static_text(part) for part in detail.more.get(name, []))]
        )
        for name, slot in detail.sections.items()
    }


async def open_record(pilot, kind: str, record_id: str) -> DetailView:
    screen = pilot.app.main_screen
    screen.jump_to(kind, record_id)
    detail = screen.query_one(DetailView)
    for _ in range(100):
        await caught_up(pilot)
        if detail.current is not None and detail.current.record.id == record_id:
            return detail
    raise AssertionError(f"{kind} {record_id} never opened")


async def test_the_largest_case_opens_with_every_section_cut_to_a_preview(largest_db):
    app = make_app(largest_db)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_record(pilot, "case", "big-case")
        texts = shown(detail)
        assert list(texts) == ["header", "sequence", "narrative", "sources"]
        # What was laid out: at most a preview per section, not the megabytes of the record.
        assert all(len(t) <= PREVIEW_CHARS for t in texts.values()), {
            name: len(t) for name, t in texts.items()
        }
        assert texts["header"].startswith(
            "Big case Progressive skin thickening 系统性硬化症 [bold]x[/]"
        )
        assert texts["narrative"].startswith("Narrative\nProgressive skin")
        assert "␛[2J" in texts["narrative"] and "\x1b" not in texts["narrative"]
        hints = {name: static_text(hint) for name, hint in detail.hints.items()}
        assert set(hints) == {"header", "sequence", "narrative", "sources"}
        assert hints["sequence"].endswith("more therapies — Enter shows more")
        assert hints["sources"].endswith("more sources — Enter shows more")
        assert hints["narrative"].startswith("… 9") and "more characters" in hints["narrative"]
        # The app answers keys at once: the evidence cursor moves and the detail follows.
        evidence = app.main_screen.query_one(EvidenceList)
        evidence.focus()
        before = evidence.item
        await pilot.press("up")
        await caught_up(pilot)
        assert evidence.item != before and detail.current.record.id == evidence.item[1]
        await pilot.press("down")
        await caught_up(pilot)
        assert detail.current.record.id == "big-case"


async def test_enter_shows_the_narrative_part_by_part_to_its_end(largest_db):
    app = make_app(largest_db)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_record(pilot, "case", "big-case")
        detail.focus()
        assert "Show more" in [b.binding.description for b in app.screen.active_bindings.values()]
        detail.scroll_to_section("narrative")
        await caught_up(pilot)
        for presses in range(1, 20):
            await pilot.press("enter")
            await caught_up(pilot)
            parts = detail.more["narrative"]
            assert len(parts) == presses
            assert len(static_text(parts[-1])) <= MORE_CHARS  # each step lays out one part
            if "narrative" not in detail.hints:
                break
        narrative = shown(detail)["narrative"]
        assert narrative.endswith(" END-OF-NARRATIVE")
        assert len(narrative) >= TEXT_CHARS
        assert presses == 5  # 2,500 then 20,000 at a time
        # Enter went to the narrative, the section being read; the others are still cut.
        assert set(detail.hints) == {"header", "sequence", "sources"}
        await pilot.press("end")
        await caught_up(pilot)
        assert detail.scroll_y == detail.max_scroll_y > 1000


async def test_the_largest_trial_opens_and_its_findings_come_on_request(largest_db):
    app = make_app(largest_db)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_record(pilot, "trial", "big-trial")
        texts = shown(detail)
        assert list(texts) == ["header", "population", "arms", "results", "safety", "sources"]
        assert all(len(t) <= PREVIEW_CHARS for t in texts.values())
        assert set(detail.hints) == set(texts)
        # A click on a section's "more" line shows its next part; the results hold the text,
        # then the findings, 5,000 of them, which are drawn only when shown.
        detail.scroll_to_section("results")
        await caught_up(pilot)
        hint = detail.hints["results"]
        assert "more characters and 5,000 more findings" in static_text(hint)
        while "more characters" in static_text(hint):
            detail.scroll_to_widget(hint, animate=False)
            await caught_up(pilot)
            await pilot.click(hint)
            await caught_up(pilot)
        assert "more findings" in static_text(hint)
        detail.scroll_to_widget(hint, animate=False)
        await caught_up(pilot)
        await pilot.click(hint)
        await caught_up(pilot)
        last = static_text(detail.more["results"][-1])
        assert last.startswith("• mRSS — ") and len(last) <= MORE_CHARS
        # Every finding is either drawn or counted in the line that offers more.
        drawn = sum(static_text(part).count("• mRSS — ") for part in detail.more["results"])
        left = static_text(hint).removeprefix("… ").split(" more findings")[0]
        assert drawn > 1 and drawn + int(left.replace(",", "")) == MAX_FINDINGS
        assert app.is_running and app.screen is app.main_screen


def test_a_feed_hands_out_text_in_parts_that_rejoin_to_the_whole():
    from textual.content import Content

    words = " ".join(f"word{i}" for i in range(3000))
    feed = Feed([Content(words)])
    parts = [feed.take(1000).plain]
    while not feed.done:
        parts.append(feed.take(1000).plain)
    assert all(len(part) <= 1000 for part in parts) and len(parts) > 10
    assert " ".join(parts) == words  # cut at spaces, each swallowed by its cut
    unbroken = "x" * 2500
    feed = Feed([Content(unbroken)])
    assert [feed.take(1000).plain for _ in range(3)] == ["x" * 1000, "x" * 1000, "x" * 500]
    assert feed.done and feed.remaining() == ""


def test_a_feed_draws_list_lines_only_as_far_as_it_hands_them_out():
    from textual.content import Content

    drawn: list[int] = []

    def line(item: int) -> Content:
        drawn.append(item)
        return Content(f"item {item:04d}")

    feed = Feed([Content("Heading"), Many(range(5000), line, "items")])
    first = feed.take(100)
    assert first.plain.startswith("Heading\nitem 0000\nitem 0001")
    assert len(drawn) < 15
    # The line that did not fit is drawn again with the next part, not cut in two.
    assert first.plain.endswith(f"item {drawn[-2]:04d}")
    assert feed.remaining() == f"{5000 - len(drawn) + 1:,} more items"
    following = f"item {drawn[-1]:04d}\n"
    assert feed.take(100).plain.startswith(following)
