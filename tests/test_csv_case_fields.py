"""The case CSV carries regimens and an event's series both ways; files written before the
series column still import."""

from __future__ import annotations

from sclerotui.export import to_csv
from sclerotui.importers.csv_cases import COLUMNS, parse_csv
from sclerotui.models import Dataset

CASE = {
    "id": "csv-series",
    "title": "Test fixture: regimen and series",
    "subtype": "diffuse",
    "therapies": [
        {"therapies": ["methotrexate", "glucocorticoids"], "response": "resistant"},
        {"therapies": ["rituximab"], "response": "partial"},
    ],
    "narrative": "Test fixture (not a patient).",
    "illustrative": True,
    "sources": ["pmid-1"],
}
SOURCE = {"id": "pmid-1", "kind": "pmid", "ref": "1", "citation": "PMID 1", "verified": False}


def event(event_id, week, value, series=None):
    return {
        "id": event_id,
        "case": "csv-series",
        "week": week,
        "kind": "measurement",
        "measure": "FVC %pred",
        "statistic": "value",
        "value": value,
        "unit": "% predicted",
        "source": "pmid-1",
        "verified": False,
        "series": series,
    }


def test_regimens_and_series_round_trip(tmp_path):
    data = Dataset.model_validate(
        {
            "sources": [SOURCE],
            "cases": [CASE],
            "events": [event("csv-e1", 0, 70), event("csv-e2", 12, 64.5, "sitting, test fixture")],
        }
    )
    path = tmp_path / "cases.csv"
    path.write_text(to_csv(data))
    assert path.read_text().splitlines()[0].endswith(",verified,series")
    again, _, _ = parse_csv(path)
    assert again.cases == data.cases
    assert again.events == data.events
    assert [e.series for e in again.events] == [None, "sitting, test fixture"]
    assert again.cases[0].therapies[0].therapies == ["methotrexate", "glucocorticoids"]


def test_a_file_without_the_series_column_still_imports(tmp_path):
    older = [c for c in COLUMNS if c != "series"]
    row = {
        "case_id": "csv-old",
        "title": "Test fixture: older file",
        "subtype": "limited",
        "therapies": "bosentan:responded",
        "narrative": "Test fixture.",
        "illustrative": "yes",
        "source": "PMID:1",
        "event_id": "csv-old-e1",
        "week": "4",
        "kind": "therapy-start",
        "therapy": "bosentan",
    }
    path = tmp_path / "older.csv"
    path.write_text(",".join(older) + "\n" + ",".join(row.get(c, "") for c in older) + "\n")
    data, _, _ = parse_csv(path)
    assert [e.series for e in data.events] == [None]
    assert data.cases[0].therapies[0].therapies == ["bosentan"]
