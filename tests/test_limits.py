"""The documented limits on imported records (sclerotui/models.py): text per field, list
lengths and times in weeks. At the limit a record is accepted; one past it, refused with one
line naming the file, the record and the field, and the database is left as it was."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from sclerotui.cli import EXIT_BAD_INPUT, EXIT_OK, main
from sclerotui.dataset import bundled_dir, parse_dataset
from sclerotui.models import (
    MAX_FINDINGS,
    MAX_LIST,
    MAX_WEEKS,
    NAME_CHARS,
    NOTE_CHARS,
    TEXT_CHARS,
    DataError,
)

FIXTURES = Path(__file__).parent / "fixtures"


def source(**fields) -> dict:
    return {"id": "s", "kind": "citation", "citation": "A citation", "verified": True, **fields}


def therapy(**fields) -> dict:
    return {"id": "t", "name": "T", "class": "other", "mechanism": "m", **fields}


def case(**fields) -> dict:
    return {
        "id": "c",
        "title": "A case",
        "subtype": "limited",
        "therapies": [{"therapy": "t", "response": "partial"}],
        "narrative": "n",
        "illustrative": True,
        "sources": ["s"],
        **fields,
    }


def finding(**fields) -> dict:
    return {"measure": "mRSS", "source": "s", "verified": True, **fields}


def trial(**fields) -> dict:
    return {
        "id": "tr",
        "name": "Trial",
        "design": "RCT",
        "evidence_type": "rct",
        "population": "p",
        "therapies": ["t"],
        "arms": [{"id": "a", "name": "Arm", "intervention": "drug"}],
        "results": "r",
        "sources": ["s"],
        "verified": True,
        **fields,
    }


def case_event(**fields) -> dict:
    return {"id": "e", "case": "c", "kind": "diagnosis", "week": 0, **fields}


def trial_event(**fields) -> dict:
    return {"id": "e", "trial": "tr", "arm": "a", "kind": "diagnosis", "week": 0, **fields}


# (what, the dataset with the field set to a text of n characters, its limit, the located field)
TEXT_FIELDS = {
    "case narrative": (
        lambda s: {"cases": [case(narrative=s)]},
        TEXT_CHARS,
        "cases[0] (c): narrative",
    ),
    "trial results": (
        lambda s: {"trials": [trial(results=s)]},
        TEXT_CHARS,
        "trials[0] (tr): results",
    ),
    "trial population": (
        lambda s: {"trials": [trial(population=s)]},
        TEXT_CHARS,
        "trials[0] (tr): population",
    ),
    "trial safety": (lambda s: {"trials": [trial(safety=s)]}, TEXT_CHARS, "trials[0] (tr): safety"),
    "case title": (lambda s: {"cases": [case(title=s)]}, NAME_CHARS, "cases[0] (c): title"),
    "trial name": (lambda s: {"trials": [trial(name=s)]}, NAME_CHARS, "trials[0] (tr): name"),
    "therapy alias": (
        lambda s: {"therapies": [therapy(aliases=["ok", s])]},
        NAME_CHARS,
        "therapies[0] (t): aliases.1",
    ),
    "citation": (
        lambda s: {"sources": [source(citation=s)]},
        NOTE_CHARS,
        "sources[0] (s): citation",
    ),
    "finding text": (
        lambda s: {"trials": [trial(findings=[finding(text=s)])]},
        NOTE_CHARS,
        "trials[0] (tr): findings.0.text",
    ),
    "event note": (lambda s: {"events": [case_event(note=s)]}, NOTE_CHARS, "events[0] (e): note"),
    "therapy step note": (
        lambda s: {"cases": [case(therapies=[{"therapy": "t", "response": "partial", "note": s}])]},
        NOTE_CHARS,
        "cases[0] (c): therapies.0.note",
    ),
}


def problems(data: dict) -> list[str]:
    try:
        parse_dataset(data, "big.json")
    except DataError as error:
        return error.problems
    return []


@pytest.mark.parametrize("what", list(TEXT_FIELDS))
def test_text_at_its_limit_is_accepted_and_one_more_character_is_refused(what):
    build, limit, where = TEXT_FIELDS[what]
    assert problems(build("x" * limit)) == []
    refused = problems(build("x" * (limit + 1)))
    assert len(refused) == 1, refused
    assert refused[0].startswith(
        f"big.json: {where}: {limit + 1:,} characters is more than the {limit:,} allowed (got 'xxx"
    ), refused
    assert len(refused[0]) < 250  # the value is quoted cut short, not whole


def test_surrounding_whitespace_does_not_count():
    """Whitespace is stripped before the length is checked, as it is before storing."""
    assert problems({"cases": [case(narrative="  " + "x" * TEXT_CHARS + "\n")]}) == []


@pytest.mark.parametrize(
    ("build", "limit", "where"),
    [
        (lambda n: {"cases": [case(organs=["skin"] * n)]}, MAX_LIST, "cases[0] (c): organs"),
        (lambda n: {"therapies": [therapy(aliases=["a"] * n)]}, MAX_LIST, "aliases"),
        (
            lambda n: {
                "trials": [
                    trial(
                        arms=[{"id": f"a{i}", "name": "A", "intervention": "d"} for i in range(n)]
                    )
                ]
            },
            MAX_LIST,
            "trials[0] (tr): arms",
        ),
        (
            lambda n: {"trials": [trial(findings=[finding()] * n)]},
            MAX_FINDINGS,
            "trials[0] (tr): findings",
        ),
    ],
)
def test_lists_have_a_limit(build, limit, where):
    assert problems(build(limit)) == []
    refused = problems(build(limit + 1))
    assert len(refused) == 1 and f"{where}: List should have at most {limit} items" in refused[0]


@pytest.mark.parametrize("week", [-MAX_WEEKS, -1.5, 0, 26, MAX_WEEKS])
def test_case_event_weeks_within_100_years_either_side_are_accepted(week):
    assert problems({"events": [case_event(week=week)]}) == []


@pytest.mark.parametrize("week", [1e308, -1e308, MAX_WEEKS + 0.5, -MAX_WEEKS - 1])
def test_case_event_weeks_beyond_100_years_are_refused(week):
    assert problems({"events": [case_event(week=week)]}) == [
        "big.json: events[0] (e): week: must be within 5,200 weeks (100 years) either side "
        f"of baseline (got {week!r})"
    ]


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"events": [trial_event(week=MAX_WEEKS + 1)]}, "events[0] (e): week"),
        (
            {"trials": [trial(findings=[finding(timepoint_weeks=1e308)])]},
            "trials[0] (tr): findings.0.timepoint_weeks",
        ),
        ({"trials": [trial(duration_weeks=MAX_WEEKS + 1)]}, "trials[0] (tr): duration_weeks"),
    ],
)
def test_trial_weeks_beyond_100_years_are_refused(data, where):
    refused = problems(data)
    assert len(refused) == 1 and refused[0].startswith(f"big.json: {where}: must be within "), (
        refused
    )


def test_trial_weeks_at_the_limit_are_accepted():
    data = {
        "trials": [trial(duration_weeks=MAX_WEEKS, findings=[finding(timepoint_weeks=MAX_WEEKS)])],
        "events": [trial_event(week=MAX_WEEKS)],
    }
    assert problems(data) == []


def test_bundled_data_and_fixtures_are_far_within_the_limits():
    """The curated files and the test fixtures use a tenth of the smallest text limit at most,
    and the longest time in them is well inside MAX_WEEKS: the limits cost no real record."""
    texts: list[str] = []
    weeks: list[float] = []

    def walk(value, key=""):
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, name)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str):
            texts.append(value)
        elif isinstance(value, int | float) and "week" in key:
            weeks.append(abs(value))

    files = [*bundled_dir().rglob("*.json"), FIXTURES / "mini.json"]
    for path in files:
        walk(json.loads(path.read_text(encoding="utf-8")))
    assert len(texts) > 1000 and weeks
    # Citations now name every address a fact was read at (about 2,000 characters at most).
    assert max(map(len, texts)) < NOTE_CHARS / 2
    assert max(weeks) < MAX_WEEKS / 10


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_import_beyond_a_limit_is_refused_in_one_line_and_the_database_is_unchanged(
    capsys, mini_db, tmp_path
):
    good = json.loads((FIXTURES / "bad" / "good.json").read_text())
    good["cases"][0]["narrative"] = "x" * (TEXT_CHARS + 1)
    good["events"][0]["week"] = -1e308
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(good))
    before = sha(mini_db)
    code = main(["--db", str(mini_db), "import", str(path)])
    out, err = capsys.readouterr()
    assert code == EXIT_BAD_INPUT and "Traceback" not in err
    lines = err.strip().splitlines()
    assert any(
        "huge.json: cases[0] (good-case): narrative: 100,001 characters is more than the "
        "100,000 allowed" in line
        for line in lines
    ), lines
    assert any(
        "huge.json: events[0] (good-case-dx): week: must be within" in line for line in lines
    )
    assert sha(mini_db) == before
    # At the limit the same file imports.
    good["cases"][0]["narrative"] = "x" * TEXT_CHARS
    good["events"][0]["week"] = -MAX_WEEKS
    path.write_text(json.dumps(good))
    assert main(["--db", str(mini_db), "import", str(path)]) == EXIT_OK
