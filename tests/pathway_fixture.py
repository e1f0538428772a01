"""The mini database plus three cases whose pathways after cyclophosphamide are known.

From cyclophosphamide (5 cases failed it: case-one, case-three, path-a, path-b, path-c):
  → mycophenolate  n=3 (path-a resistant, path-b responded, case-three responded)
      → rituximab  n=1 (path-a responded)
  → hsct           n=1 (case-one responded)
  → rituximab      n=1 (path-c partial)
With subtype:diffuse, path-b (limited) drops out: mycophenolate n=2, responded 50%.
"""

from __future__ import annotations

from pathlib import Path

from conftest import build_mini_db, copy_of

from sclerotui.models import Dataset
from sclerotui.store import Store


def _case(case_id, subtype, organs, steps):
    return {
        "id": case_id,
        "title": f"Pathway case {case_id}",
        "subtype": subtype,
        "organs": organs,
        "illustrative": True,
        "sources": ["seed-fixture"],
        "narrative": "Fixture case for pathway counts.",
        "therapies": [{"therapy": t, "response": r} for t, r in steps],
    }


EXTRA = Dataset.model_validate(
    {
        "cases": [
            _case(
                "path-a",
                "diffuse",
                ["lung"],
                [
                    ("cyclophosphamide", "resistant"),
                    ("mycophenolate", "resistant"),
                    ("rituximab", "responded"),
                ],
            ),
            _case(
                "path-b",
                "limited",
                ["lung"],
                [("cyclophosphamide", "partial"), ("mycophenolate", "responded")],
            ),
            _case(
                "path-c",
                "diffuse",
                ["skin"],
                [("cyclophosphamide", "intolerant"), ("rituximab", "partial")],
            ),
        ]
    }
)


def _write(path: Path) -> None:
    build_mini_db(path)
    with Store(path) as store:
        store.write_dataset(EXTRA, "bundled")


def build_pathway_db(path: Path) -> Path:
    return copy_of("pathways", _write, path)
