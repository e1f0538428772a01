"""A small database for the patient lens: cases built so the similarity ranking is known,
trials with stated (and unstated) entry criteria. Fixture data, not evidence."""

from __future__ import annotations

from pathlib import Path

from sclerotui.lens import Profile, ProfileStep
from sclerotui.models import Dataset
from sclerotui.store import Store

# The profile the tests, the screenshots and README walk through: diffuse, anti-Scl-70, lung
# and skin, failed cyclophosphamide then mycophenolate, FVC 55% predicted.
PROFILE = Profile(
    subtype="diffuse",
    autoantibodies=["anti-scl-70"],
    organs=["lung", "skin"],
    steps=[
        ProfileStep(therapies=["cyclophosphamide"], response="resistant"),
        ProfileStep(therapies=["mycophenolate"], response="resistant"),
    ],
    fvc=55,
)

SOURCES = [
    {"id": "fixture-verified", "kind": "citation", "citation": "Fixture source", "verified": True},
    {"id": "fixture-unverified", "kind": "citation", "citation": "Fixture note", "verified": False},
]
THERAPIES = [
    {"id": t, "name": name, "class": cls, "mechanism": "fixture"}
    for t, name, cls in (
        ("cyclophosphamide", "Cyclophosphamide", "immunosuppressant"),
        ("mycophenolate", "Mycophenolate mofetil", "immunosuppressant"),
        ("rituximab", "Rituximab", "biologic"),
        ("tocilizumab", "Tocilizumab", "biologic"),
        ("nintedanib", "Nintedanib", "antifibrotic"),
    )
]


def _case(case_id, subtype, antibodies, organs, steps, title=None):
    return {
        "id": case_id,
        "title": title or f"Fixture case {case_id}",
        "subtype": subtype,
        "autoantibodies": antibodies,
        "organs": organs,
        "therapies": [{"therapies": t.split("+"), "response": r} for t, r in steps],
        "narrative": "Fixture narrative.",
        "illustrative": True,
        "sources": ["fixture-verified"],
    }


# The profile the ranking test uses: dcSSc, anti-Scl-70, lung and skin, failed
# cyclophosphamide then mycophenolate. Its best possible score is 4+4+3+3+1+1 = 16.
CASES = [
    # 16: everything
    _case(
        "c-a",
        "diffuse",
        ["anti-scl-70"],
        ["lung", "skin"],
        [
            ("cyclophosphamide", "resistant"),
            ("mycophenolate", "resistant"),
            ("rituximab", "responded"),
        ],
    ),
    # 15: no skin
    _case(
        "c-b",
        "diffuse",
        ["anti-scl-70"],
        ["lung"],
        [("cyclophosphamide", "resistant"), ("mycophenolate", "intolerant")],
    ),
    # 12: limited, lung only
    _case(
        "c-c",
        "limited",
        ["anti-scl-70"],
        ["lung"],
        [("cyclophosphamide", "resistant"), ("mycophenolate+rituximab", "partial")],
    ),
    # 5: responded to cyclophosphamide, anticentromere
    _case(
        "c-d",
        "diffuse",
        ["anticentromere"],
        ["lung", "skin"],
        [("cyclophosphamide", "responded"), ("tocilizumab", "partial")],
    ),
    # 8 with a shared failure (4): above the other 8s
    _case("c-e", "diffuse", [], ["skin"], [("mycophenolate", "resistant")]),
    # 0: nothing shared, never listed
    _case("c-f", "sine", ["negative"], ["gi"], [("rituximab", "resistant")]),
    # 8 without a shared failure: after c-e; between themselves by id (c-0h before c-g)
    _case("c-g", "diffuse", ["anti-scl-70"], ["lung", "skin"], [("tocilizumab", "responded")]),
    _case("c-0h", "diffuse", ["anti-scl-70"], ["lung", "skin"], [("nintedanib", "responded")]),
]
EXPECTED_ORDER = ["c-a", "c-b", "c-c", "c-e", "c-0h", "c-g", "c-d"]


def _trial(trial_id, name, therapies, eligibility=None, organs=()):
    trial = {
        "id": trial_id,
        "name": name,
        "design": "fixture",
        "evidence_type": "rct",
        "population": "fixture population",
        "organs": list(organs),
        "therapies": therapies,
        "results": "fixture results",
        "sources": ["fixture-verified"],
        "verified": True,
    }
    if eligibility is not None:
        trial["eligibility"] = {"source": "fixture-verified", "verified": True, **eligibility}
    return trial


TRIALS = [
    _trial(
        "t-fvc",
        "FVC window trial",
        ["nintedanib"],
        {"fvc": {"min": 45, "max": 85}, "organs_required": ["lung"]},
        organs=["lung"],
    ),
    _trial(
        "t-early",
        "Early diffuse trial",
        ["tocilizumab"],
        {"subtypes": ["diffuse"], "disease_years": {"max": 5}, "mrss": {"min": 15, "max": 40}},
    ),
    _trial("t-limited", "Limited only trial", ["rituximab"], {"subtypes": ["limited"]}),
    _trial(
        "t-du",
        "Digital ulcer trial",
        ["rituximab"],
        {"organs_required": ["vascular"], "organs_excluded": ["pah"], "age": {"min": 18}},
    ),
    _trial("t-none", "Trial with no criteria", ["cyclophosphamide"]),
    _trial(
        "t-age",
        "Age only trial",
        ["cyclophosphamide"],
        {"age": {"min": 18, "max": 75}, "sex": "female"},
    ),
]


def lens_dataset() -> Dataset:
    return Dataset.model_validate(
        {"sources": SOURCES, "therapies": THERAPIES, "trials": TRIALS, "cases": CASES}
    )


def _write(path: Path) -> None:
    with Store(path, create=True) as store:
        store.write_dataset(lens_dataset(), "bundled")
    path.chmod(0o600)


def build_lens_db(path: Path) -> Path:
    from conftest import copy_of  # here: scripts/screenshots.py imports PROFILE without pytest

    return copy_of("lens", _write, path)
