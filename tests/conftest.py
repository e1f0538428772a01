"""Shared fixtures: the mini dataset, a database built from it, and an isolated data dir."""

from __future__ import annotations

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
