"""Shared fixtures: the mini dataset, a database built from it, a small synthetic database,
and an isolated data dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sclerotui.dataset import parse_dataset, read_json
from sclerotui.models import Dataset
from sclerotui.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
MINI_JSON = FIXTURES / "mini.json"


def load_mini() -> Dataset:
    """The fixture dataset, parsed and validated afresh (callers may mutate it)."""
    return parse_dataset(read_json(MINI_JSON), str(MINI_JSON))


def build_mini_db(path: Path) -> Path:
    """Write the mini dataset into a new database at path, closed afterwards."""
    with Store(path, create=True) as store:
        store.write_dataset(load_mini(), "bundled")
    return path


@pytest.fixture(scope="session")
def synthetic_store(tmp_path_factory):
    """A read-only synthetic database of 1,500 cases: every facet varies from case to case."""
    from sclerotui.synth import synthesize

    path = tmp_path_factory.mktemp("synthetic") / "synthetic.db"
    synthesize(path, 1500, seed=11)
    with Store(path, read_only=True) as store:
        yield store


def write_case_file(path: Path, case_id: str, refers_to: str | None = None) -> Path:
    """A one-case JSON file; refers_to names a case of another file its event points at."""
    case = {
        "id": case_id,
        "title": f"Case {case_id}",
        "subtype": "limited",
        "therapies": [{"therapy": "mycophenolate", "response": "partial"}],
        "narrative": "Test case for batch imports.",
        "illustrative": True,
        "sources": ["seed-fixture"],
    }
    event = {"id": f"{case_id}-dx", "case": refers_to or case_id, "week": 0, "kind": "diagnosis"}
    path.write_text(json.dumps({"cases": [case], "events": [event]}))
    return path


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory, monkeypatch) -> Path:
    """Point the user database at a temporary directory so no test touches the real one."""
    data_dir = tmp_path_factory.mktemp("user-data")
    monkeypatch.setenv("SCLEROTUI_DATA_DIR", str(data_dir))
    return data_dir


@pytest.fixture
def mini_dataset() -> Dataset:
    return load_mini()


@pytest.fixture
def mini_db(tmp_path) -> Path:
    """Path of a closed SQLite database holding the mini dataset (origin "bundled")."""
    return build_mini_db(tmp_path / "mini.db")


@pytest.fixture
def store(mini_db):
    with Store(mini_db) as opened:
        yield opened
