"""Shared fixtures: the mini dataset, a database built from it, a small synthetic database,
and an isolated data dir."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sclerotui import rank_index
from sclerotui.dataset import parse_dataset, read_json
from sclerotui.models import Dataset
from sclerotui.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
MINI_JSON = FIXTURES / "mini.json"
RAM_DISK = Path("/dev/shm")
RAM_DISK_FREE = 2 << 30  # bytes free on it before the suite's temporary files go there


def pytest_configure(config):
    # The suite starts over a hundred Pythons (workers, the CLI and the app in ptys): each
    # compiles Textual afresh unless compiled files may be kept (gitignored __pycache__).
    sys.dont_write_bytecode = False
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # Temporary databases on a RAM disk: every commit's fsync costs nothing, so a disk busy
    # with other work does not slow the suite. Not where the user chose a place.
    if (
        config.option.basetemp is None
        and "PYTEST_DEBUG_TEMPROOT" not in os.environ
        and "TMPDIR" not in os.environ
        and RAM_DISK.is_dir()
        and os.access(RAM_DISK, os.W_OK)
        and shutil.disk_usage(RAM_DISK).free > RAM_DISK_FREE
    ):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(RAM_DISK)


def load_mini() -> Dataset:
    """The fixture dataset, parsed and validated afresh (callers may mutate it)."""
    return parse_dataset(read_json(MINI_JSON), str(MINI_JSON))


RANK_SIZES = {name: getattr(rank_index, name) for name in ("DEPTH", "LISTED_FROM", "MAX_EXPANSION")}
_template_dir: Path | None = None  # set for the session by `fixture_templates`
_templates: dict[str, Path] = {}


def copy_of(name: str, build: Callable[[Path], object], path: Path) -> Path:
    """A new database at `path` equal to the one `build(path)` writes.

    Under pytest the database is built once per test process, closed, and copied: a copy
    takes a millisecond where a build takes tens (and an fsync per commit). A path that exists
    already is built on, as `build` alone would."""
    if _template_dir is None or path.exists():
        build(path)
        return path
    template = _templates.get(name)
    if template is None:
        template = _template_dir / f"{name}.db"
        # Built with the ranking lists' real sizes, whatever the test asking first patched:
        # lists of another depth count as stale in every later copy.
        with pytest.MonkeyPatch.context() as patch:
            for constant, value in RANK_SIZES.items():
                patch.setattr(rank_index, constant, value)
            build(template)
        _templates[name] = template
    shutil.copy(template, path)  # content and mode bits: a fresh file, like a build's
    return path


def _write_mini(path: Path) -> None:
    with Store(path, create=True) as store:
        store.write_dataset(load_mini(), "bundled")


def build_mini_db(path: Path) -> Path:
    """Write the mini dataset into a new database at path, closed afterwards."""
    return copy_of("mini", _write_mini, path)


@pytest.fixture(scope="session", autouse=True)
def fixture_templates(tmp_path_factory):
    """Where `copy_of` keeps the databases it builds, for this test process."""
    global _template_dir
    _template_dir = tmp_path_factory.mktemp("templates")
    yield
    _template_dir = None
    _templates.clear()


def built_once(tmp_path_factory, name: str, build: Callable[[Path], object]) -> Path:
    """This test process's own copy of a database that `build(path)` writes once per run.

    Under xdist the first worker to ask builds it, under a lock, where every worker of the run
    finds it (beside the workers' temporary directories); each takes a copy it may change."""
    root = tmp_path_factory.getbasetemp()
    shared = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root
    built = shared / f"{name}.db"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            partial = shared / f"{name}.partial.db"
            partial.unlink(missing_ok=True)  # left by a build that failed
            build(partial)
            partial.rename(built)  # whole or absent, if a build fails
    copy = tmp_path_factory.mktemp(name) / f"{name}.db"
    shutil.copy(built, copy)
    return copy


@pytest.fixture(scope="session")
def synthetic_store(tmp_path_factory):
    """A read-only synthetic database of 1,500 cases: every facet varies from case to case."""
    from sclerotui.synth import synthesize

    path = built_once(tmp_path_factory, "synthetic-1500", lambda p: synthesize(p, 1500, seed=11))
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


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """`sclerotui ARGV` in this process: its exit code, standard output and error."""
    from sclerotui.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def sha(path: Path) -> str:
    """A file's SHA-256: to show a database or a file byte-identical before and after."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
