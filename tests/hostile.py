"""A database of hostile records: markup, terminal escapes, control and invisible characters,
wide and combining text, huge and tiny numbers, very long and very many things.

`build_hostile_db(path)` writes it the way a user's import would arrive: a JSON file read with
`read_json`, validated with `parse_dataset` and `validate_dataset`, written by the Store. Every
string below is accepted by the models (tests/test_hostile_models.py lists what they refuse).
The app must show all of it literally and legibly, and send none of it to the terminal as a
control sequence.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from unittest.mock import patch

from sclerotui.dataset import parse_dataset, read_json
from sclerotui.models import DataError, Dataset, validate_dataset
from sclerotui.store import Store

# -- the hostile strings ----------------------------------------------------------------

MARKUP = {
    "bold": "[bold red]x[/]",
    "close": "[/]",
    "link": "[link=file:///etc/passwd]x[/link]",
    "click": "[@click=app.quit]quit[/]",
    "on_red": "[on red]",
    "variable": "[$accent]$text-error[/]",
    "escaped": "\\[not a tag]",
}
ESCAPES = {
    "clear": "\x1b[2J",
    "osc52": "\x1b]52;c;SGVsbG8=\x07",
    "osc8": "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\",
    "sgr": "\x1b[31;1m",
    "reset": "\x1bc",
    "alt_screen": "\x1b[?1049l",
    "status_report": "\x1b[6n",  # would make the terminal type a reply into the app
    "c1_csi": "\x9b2J",
    "dcs": "\x1bP+q544e\x1b\\",
}
# Every C0 control but tab and newline, DEL, and every C1 control.
CONTROLS = (
    "".join(chr(code) for code in range(1, 32) if code not in (9, 10))
    + "\x7f"
    + "".join(chr(code) for code in range(0x80, 0xA0))
)
NUL = "nul\x00byte"
BIDI = "\u202eexe.live\u202c and \u2067isolate\u2069 \u200emarks\u200f"
ZERO_WIDTH = "zero\u200bwidth\u200cnon\u200djoin\ufeffbom\u2060joiner\u00adhyphen"
COMBINING = "e\u0301 a\u0308\u0308\u0308 Z" + "".join(chr(c) for c in range(0x0315, 0x0327))
WIDE = "系统性硬化症 全身性強皮症 전신경화증 🧪💊🫁 👩‍⚕️ 🇬🇧 ❤️"
SEPARATORS = "line\u2028separator\u2029paragraph\x85next-line"
TAB_CR = "tab\there\rcarriage\x08back"

MAX_FLOAT = sys.float_info.max
MIN_POSITIVE = 5e-324  # the smallest positive float
from sclerotui.models import MAX_PARTICIPANTS, MAX_WEEKS  # noqa: E402

BIG_INT = MAX_PARTICIPANTS  # the largest n the models allow
LAST_WEEK = MAX_WEEKS  # the furthest from baseline the models allow (either side, for a case)
NARRATIVE_CHARS = 100_000
MANY_EVENTS = 1000
END_MARK = " END-OF-NARRATIVE"
IMPORTED_AT = "2024-01-02T03:04:05+00:00"

SOURCE = "h-src-markup"


def _therapy(therapy_id: str, name: str, klass: str, mechanism: str, aliases=()) -> dict:
    return {
        "id": therapy_id,
        "name": name,
        "class": klass,
        "mechanism": mechanism,
        "aliases": list(aliases),
        "organs": ["skin"],
        "sources": [SOURCE],
    }


def _case(case_id: str, title: str, narrative: str, steps, **extra) -> dict:
    return {
        "id": case_id,
        "title": title,
        "subtype": "diffuse",
        "organs": ["skin", "lung"],
        "autoantibodies": ["anti-scl-70"],
        "therapies": [
            {"therapy": t, "response": r, **({"note": n} if n else {})} for t, r, n in steps
        ],
        "narrative": narrative,
        "illustrative": True,
        "sources": [SOURCE],
        **extra,
    }


def _event(event_id: str, owner: dict, week, kind: str = "diagnosis", **extra) -> dict:
    event = {"id": event_id, **owner, "kind": kind, **extra}
    if week is not None:
        event["week"] = week
    return event


def _measure(event_id, owner, week, measure, value, statistic="value", **extra) -> dict:
    return _event(
        event_id,
        owner,
        week,
        "measurement",
        measure=measure,
        statistic=statistic,
        value=value,
        source=SOURCE,
        verified=extra.pop("verified", True),
        **extra,
    )


def _long_narrative() -> str:
    """100,000 characters: an unbroken 5,000-character word, then paragraphs with hostile
    strings in them, and an end marker to find."""
    paragraph = f"Progressive skin thickening {MARKUP['bold']} and {ESCAPES['clear']} {WIDE}\n"
    text = "START " + "x" * 5000 + "\n"
    text += paragraph * ((NARRATIVE_CHARS - len(text)) // len(paragraph) + 1)
    return text[: NARRATIVE_CHARS - len(END_MARK)] + END_MARK


def hostile_data() -> dict:
    """The dataset as the JSON a user would import."""
    markup_all = " ".join(MARKUP.values())
    escapes_all = " ".join(ESCAPES.values())
    sources = [
        {"id": SOURCE, "kind": "citation", "citation": "Cite " + markup_all, "verified": False},
        {
            "id": "h-src-escape",
            "kind": "seed",
            "ref": ESCAPES["osc52"] + ESCAPES["clear"],
            "citation": "Seed " + escapes_all + CONTROLS,
            "verified": False,
        },
        # A DOI may hold any printable ASCII character, markup brackets included.
        {
            "id": "h-src-doi",
            "kind": "doi",
            "ref": "10.1234/[b]x[/b][@click=app.quit]",
            "citation": "DOI source " + WIDE,
            "verified": True,
        },
        {"id": "h-src-nul", "kind": "citation", "citation": "Source " + NUL, "verified": True},
    ]
    therapies = [
        _therapy(
            "h-markup",
            "Markup " + MARKUP["bold"] + " " + MARKUP["click"],
            "immunosuppressant",
            markup_all,
            MARKUP.values(),
        ),
        _therapy(
            "h-escape",
            "Escape " + ESCAPES["clear"] + ESCAPES["osc52"] + " therapy",
            "biologic",
            escapes_all + " " + CONTROLS,
            ESCAPES.values(),
        ),
        _therapy("h-unicode", WIDE, "antifibrotic", BIDI + " " + COMBINING + " " + ZERO_WIDTH),
        _therapy("h-bidi", "\u202eBIDI name\u202c ZW\u200bSP\ufeff", "vasodilator", BIDI),
        _therapy("h-nul", "Nul " + NUL + " therapy", "prostanoid", NUL),
        _therapy(
            "h-long",
            "Long" + " name" * 60 + " " + "系" * 40,
            "other",
            "Long mechanism " * 300,
            ["alias " * 100],
        ),
    ]

    markup_trial = {
        "id": "h-trial-markup",
        "name": "Trial " + MARKUP["bold"] + " " + MARKUP["click"],
        "acronym": MARKUP["on_red"],
        "registry_id": MARKUP["link"],
        "year": 1950,
        "design": "RCT " + MARKUP["link"],
        "evidence_type": "rct",
        "phase": MARKUP["close"],
        "n": 0,
        "population": "Population " + markup_all,
        "subtypes": ["diffuse"],
        "organs": ["lung"],
        "therapies": ["h-markup", "h-escape"],
        "arms": [
            {
                "id": "a",
                "name": "Arm " + MARKUP["bold"],
                "therapy": "h-markup",
                "intervention": MARKUP["click"],
                "dose": MARKUP["variable"],
                "n": 0,
            },
            {
                "id": "b",
                "name": "Arm " + MARKUP["on_red"],
                "therapy": "h-escape",
                "intervention": MARKUP["link"],
                "n": BIG_INT,
            },
        ],
        "duration_weeks": MIN_POSITIVE,
        "primary_endpoint": "Endpoint " + MARKUP["bold"],
        "results": "Results " + markup_all,
        "findings": [
            {
                "measure": "Finding " + MARKUP["bold"],
                "arm": "a",
                "timepoint_weeks": 0,
                "value": -MAX_FLOAT,
                "comparator_value": MAX_FLOAT,
                "unit": MARKUP["on_red"],
                "effect": MARKUP["click"],
                "ci": MARKUP["link"],
                "p": MARKUP["close"],
                "text": MARKUP["variable"],
                "primary": True,
                "source": SOURCE,
                "verified": False,
                "note": MARKUP["escaped"],
            }
        ],
        "safety": "Safety " + markup_all,
        "sources": [SOURCE, "h-src-doi"],
        "verified": False,
    }
    escape_trial = {
        "id": "h-trial-escape",
        "name": "Trial " + ESCAPES["clear"] + ESCAPES["sgr"] + "escape",
        "acronym": ESCAPES["reset"],
        "registry_id": ESCAPES["osc8"],
        "year": 2100,
        "design": "RCT " + ESCAPES["alt_screen"] + CONTROLS,
        "evidence_type": "observational",
        "phase": ESCAPES["c1_csi"],
        "n": BIG_INT,
        "population": "Population " + escapes_all + " " + NUL,
        "subtypes": ["limited"],
        "organs": ["skin"],
        "therapies": ["h-escape"],
        "arms": [
            {
                "id": "e",
                "name": "Arm " + ESCAPES["status_report"],
                "therapy": "h-escape",
                "intervention": ESCAPES["dcs"],
                "dose": CONTROLS,
                "n": 1,
            }
        ],
        "duration_weeks": LAST_WEEK,
        "primary_endpoint": ESCAPES["osc52"],
        "results": "Results " + escapes_all + " " + TAB_CR,
        "findings": [
            {
                "measure": ESCAPES["clear"],
                "arm": "e",
                "timepoint_weeks": LAST_WEEK,
                "value": MAX_FLOAT,
                "unit": ESCAPES["sgr"],
                "effect": CONTROLS,
                "ci": NUL,
                "p": ESCAPES["c1_csi"],
                "text": ESCAPES["osc8"],
                "source": "h-src-escape",
                "verified": True,
            }
        ],
        "safety": "Safety " + CONTROLS + " " + escapes_all,
        "sources": ["h-src-escape", "h-src-nul"],
        "verified": True,
    }
    unicode_trial = {
        "id": "h-trial-unicode",
        "name": "Trial " + WIDE,
        "design": BIDI,
        "evidence_type": "review",
        "population": COMBINING + " " + ZERO_WIDTH + " " + SEPARATORS,
        "therapies": ["h-unicode", "h-bidi"],
        "arms": [
            {"id": "u", "name": WIDE, "therapy": "h-unicode", "intervention": BIDI},
            {"id": "v", "name": BIDI, "therapy": "h-bidi", "intervention": COMBINING},
        ],
        "results": WIDE + " " + BIDI,
        "sources": ["h-src-doi"],
        "verified": True,
    }
    trials = [markup_trial, escape_trial, unicode_trial]

    def owner_case(case_id):
        return {"case": case_id}

    def arm(trial_id, arm_id):
        return {"trial": trial_id, "arm": arm_id}

    events = [
        # Values at the edges of their ranges, and rates as large as a float goes.
        _measure("h-tm-mrss-0", arm("h-trial-markup", "a"), 0, "mRSS", 0, unit=MARKUP["bold"]),
        _measure("h-tm-mrss-51", arm("h-trial-markup", "a"), 52, "mRSS", 51, verified=False),
        _measure("h-tm-fvc-lo", arm("h-trial-markup", "b"), 0, "FVC %pred", 10),
        _measure("h-tm-fvc-hi", arm("h-trial-markup", "b"), 52, "FVC %pred", 150),
        _measure("h-tm-criss-0", arm("h-trial-markup", "a"), 0, "CRISS", 0),
        _measure("h-tm-criss-1", arm("h-trial-markup", "b"), 52, "CRISS", 1),
        _measure("h-tm-dlco-ch", arm("h-trial-markup", "a"), 24, "DLCO %pred", -195, "change"),
        _measure("h-tm-dlco-ch2", arm("h-trial-markup", "b"), 24, "DLCO %pred", 195, "change"),
        _event(
            "h-tm-start",
            arm("h-trial-markup", "a"),
            0,
            "therapy-start",
            therapy="h-markup",
            note="Start " + markup_all,
        ),
        _measure("h-te-rate-lo", arm("h-trial-escape", "e"), 0, "FVC mL", -MAX_FLOAT, "rate"),
        _measure(
            "h-te-rate-hi",
            arm("h-trial-escape", "e"),
            LAST_WEEK,
            "FVC mL",
            MAX_FLOAT,
            "rate",
            unit=ESCAPES["clear"] + ESCAPES["osc52"],
            note=ESCAPES["osc8"] + CONTROLS,
        ),
        _measure("h-te-count", arm("h-trial-escape", "e"), MIN_POSITIVE, "new DUs", 1000),
        _event(
            "h-te-ae",
            arm("h-trial-escape", "e"),
            1,
            "adverse-event",
            therapy="h-escape",
            note="AE " + escapes_all + " " + NUL,
        ),
        _measure("h-tu-6mwd", arm("h-trial-unicode", "u"), 0, "6MWD", 1000, unit=WIDE),
        _measure("h-tu-6mwd-2", arm("h-trial-unicode", "v"), 12, "6MWD", 0, unit=BIDI),
    ]

    cases = [
        _case(
            "h-case-markup",
            "Case " + MARKUP["bold"] + " " + MARKUP["click"] + " " + MARKUP["link"],
            "Narrative " + markup_all + "\n" + MARKUP["on_red"] + " still plain",
            [
                ("h-markup", "resistant", MARKUP["bold"]),
                ("h-escape", "partial", MARKUP["click"]),
                ("h-unicode", "responded", None),
            ],
            age_band=MARKUP["bold"],
        ),
        _case(
            "h-case-escape",
            "Case " + ESCAPES["clear"] + ESCAPES["osc52"] + "escape",
            "Narrative " + escapes_all + "\n" + CONTROLS + "\n" + NUL + "\n" + TAB_CR,
            [
                ("h-escape", "resistant", ESCAPES["sgr"]),
                ("h-markup", "intolerant", CONTROLS),
                ("h-bidi", "unknown", NUL),
            ],
            age_band=ESCAPES["reset"],
            sources=["h-src-escape", "h-src-nul"],
        ),
        _case(
            "h-case-unicode",
            "Case " + WIDE + " " + BIDI,
            "\n".join([WIDE * 4, BIDI, COMBINING, ZERO_WIDTH, SEPARATORS]),
            [("h-unicode", "resistant", WIDE), ("h-long", "responded", BIDI)],
            age_band=COMBINING,
            sources=["h-src-doi"],
        ),
        _case(
            "h-case-long",
            "Long case " + "title " * 300,
            _long_narrative(),
            [("h-long", "resistant", "note " * 200), ("h-markup", "responded", None)],
        ),
        _case(
            "h-case-many",
            "Case with a thousand events",
            "Many events.",
            [("h-markup", "partial", None), ("h-nul", "responded", None)],
        ),
        _case(
            "h-case-one-point",
            "Case with one measured point",
            "One point.",
            [("h-nul", "resistant", None), ("h-escape", "responded", None)],
        ),
        _case(
            "h-case-no-values",
            "Case with events but no values",
            "No numbers.",
            [("h-bidi", "resistant", None), ("h-unicode", "partial", None)],
        ),
        _case(
            "h-case-edges",
            "Case at the edges " + NUL + " " + MARKUP["close"],
            "Weeks from -5,200 to 5,200, rates from -max to +max.",
            [("h-nul", "intolerant", NUL), ("h-long", "unknown", None)],
            sex="male",
        ),
    ]
    many = owner_case("h-case-many")
    for index in range(MANY_EVENTS):
        if index % 4 == 0:
            events.append(
                _measure(f"h-many-{index}", many, index, "mRSS", index % 52, note=MARKUP["bold"])
            )
        else:
            events.append(
                _event(
                    f"h-many-{index}",
                    many,
                    index,
                    ["therapy-start", "response-assessment", "procedure"][index % 3],
                    therapy="h-markup",
                    note=f"event {index} " + (ESCAPES["clear"] if index % 2 else WIDE),
                )
            )
    events += [
        _measure("h-one", owner_case("h-case-one-point"), 12, "HAQ-DI", 3, unit=MARKUP["bold"]),
        _event("h-nv-dx", owner_case("h-case-no-values"), None, date="0000", note=BIDI),
        _event(
            "h-nv-start",
            owner_case("h-case-no-values"),
            0,
            "therapy-start",
            therapy="h-bidi",
            date="9999-12-31",
            note=WIDE,
        ),
        _event("h-nv-stop", owner_case("h-case-no-values"), -1, "therapy-stop", therapy="h-bidi"),
        _event("h-ed-past", owner_case("h-case-edges"), -LAST_WEEK, note="the far past " + NUL),
        _measure("h-ed-lo", owner_case("h-case-edges"), -LAST_WEEK, "mRSS", 0),
        _measure("h-ed-hi", owner_case("h-case-edges"), LAST_WEEK, "mRSS", 51),
        _measure("h-ed-tiny", owner_case("h-case-edges"), MIN_POSITIVE, "creatinine", 3000),
        _measure("h-ed-rate-lo", owner_case("h-case-edges"), -LAST_WEEK, "RCS", -MAX_FLOAT, "rate"),
        _measure("h-ed-rate-hi", owner_case("h-case-edges"), LAST_WEEK, "RCS", MAX_FLOAT, "rate"),
        _measure("h-ed-pct", owner_case("h-case-edges"), 0, "RCS", -MAX_FLOAT, "percent"),
        _measure("h-ed-change", owner_case("h-case-edges"), 1e-300, "mRSS", -51, "change"),
        _event("h-mk-dx", owner_case("h-case-markup"), 0, note="Dx " + markup_all),
        _measure(
            "h-mk-mrss",
            owner_case("h-case-markup"),
            4,
            "mRSS",
            25.5,
            unit=MARKUP["link"],
            note=MARKUP["click"],
        ),
        _event("h-es-dx", owner_case("h-case-escape"), 0, note="Dx " + escapes_all),
        _measure(
            "h-es-fvc",
            owner_case("h-case-escape"),
            8,
            "FVC %pred",
            70,
            unit=ESCAPES["osc52"],
            note=CONTROLS + NUL,
        ),
        _event("h-un-dx", owner_case("h-case-unicode"), 0, note=WIDE + " " + BIDI),
        _measure("h-un-dlco", owner_case("h-case-unicode"), 8, "DLCO %pred", 5, unit=COMBINING),
        _measure(
            "h-un-dlco2", owner_case("h-case-unicode"), 16, "DLCO %pred", 200, unit=ZERO_WIDTH
        ),
        _event("h-lg-dx", owner_case("h-case-long"), 0, note="long note " * 500),
    ]
    return {
        "sources": sources,
        "therapies": therapies,
        "trials": trials,
        "cases": cases,
        "events": events,
    }


def load_hostile(directory: Path) -> Dataset:
    """Write the hostile JSON into `directory` and read it back as an import would."""
    path = directory / "hostile.json"
    path.write_text(json.dumps(hostile_data(), ensure_ascii=False), encoding="utf-8")
    data = parse_dataset(read_json(path), path.name)
    problems = validate_dataset(data)
    if problems:
        raise DataError(problems)
    return data


def build_hostile_db(path: Path) -> Path:
    """A new database at `path` holding only the hostile records (closed afterwards).

    The origin is hostile too: it is shown as "imported from …".
    """
    data = load_hostile(path.parent)
    # A fixed import time: it is shown ("imported from … at …") and snapshots must not vary.
    with (
        patch("sclerotui.store.timestamp", return_value=IMPORTED_AT),
        Store(path, create=True) as store,
    ):
        store.write_dataset(data, "hostile " + MARKUP["bold"] + ESCAPES["clear"] + ".json")
    return path
