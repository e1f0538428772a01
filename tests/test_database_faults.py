"""Databases in bad shape, and faults while one is in use: one clear message, nothing written.

Complements the refusals in test_store.py (missing, directory, not SQLite, other
application, newer schema) with damage found inside a file, a busy database, a process
killed in the middle of an import, and a read-only location that a real user cannot write.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sclerotui import store as store_module
from sclerotui.cli import main
from sclerotui.store import BusyError, DamagedError, Store
from sclerotui.synth import import_payload

PAGE = 4096


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def root_page(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [table])
        return row.fetchone()[0]
    finally:
        conn.close()


def spoil_page(path: Path, page: int) -> None:
    """Overwrite one b-tree page with garbage, as a failing disk would."""
    data = bytearray(path.read_bytes())
    start = (page - 1) * PAGE
    data[start : start + PAGE] = bytes([0xAB]) * PAGE
    path.write_bytes(bytes(data))


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def damaged_db(mini_db) -> Path:
    """The mini database with the cases table's only page destroyed; the schema reads fine."""
    spoil_page(mini_db, root_page(mini_db, "cases"))
    return mini_db


# -- damage inside the file --------------------------------------------------------------------


def test_damaged_file_refused_at_open_and_unchanged(damaged_db):
    before = digest(damaged_db)
    with pytest.raises(DamagedError) as caught:
        Store(damaged_db)
    message = str(caught.value)
    assert str(damaged_db) in message and "damaged" in message and "backup" in message
    assert "\n" not in message
    assert digest(damaged_db) == before


def test_damaged_file_cli_one_line_exit_2(capsys, damaged_db):
    before = digest(damaged_db)
    code, out, err = run_cli(capsys, "--db", str(damaged_db), "search", "rituximab")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "is damaged" in err and "Traceback" not in err
    assert digest(damaged_db) == before


def test_damage_found_after_open_is_reported_not_raised(capsys, damaged_db, monkeypatch):
    # Files over the size limit are not checked whole at open; the damage surfaces later.
    monkeypatch.setattr(store_module, "QUICK_CHECK_MAX_BYTES", 0)
    before = digest(damaged_db)
    code, out, err = run_cli(capsys, "--db", str(damaged_db), "export", "--format", "md")
    assert code == 2
    assert "is damaged" in err and str(damaged_db) in err
    assert err.count("\n") == 1
    assert digest(damaged_db) == before


def test_db_check_lists_damage(capsys, damaged_db):
    code, out, err = run_cli(capsys, "db", "check", str(damaged_db))
    assert code == 2
    assert "integrity_check" in out
    assert "1 problem" in err or "problem(s)" in err


def test_truncated_at_page_boundary(mini_db, tmp_path):
    cut = tmp_path / "cut.db"
    data = mini_db.read_bytes()
    cut.write_bytes(data[: (len(data) // PAGE // 2) * PAGE])
    before = digest(cut)
    with pytest.raises(DamagedError, match=r"truncated \([\d,]+ of [\d,]+ bytes\)"):
        Store(cut)
    assert digest(cut) == before


# -- a busy database ---------------------------------------------------------------------------


@pytest.fixture
def writer_holding_lock(mini_db):
    """Another program in the middle of a write transaction on the mini database."""
    other = sqlite3.connect(mini_db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE meta SET value = value WHERE key = 'x'")
    yield other
    other.execute("ROLLBACK")
    other.close()


def test_reads_work_while_another_program_writes(capsys, mini_db, writer_holding_lock):
    code, out, _ = run_cli(capsys, "--db", str(mini_db), "search", "rituximab")
    assert code == 0 and "rituximab" in out.lower()


def test_write_waits_then_reports_busy(capsys, mini_db, writer_holding_lock, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 300)
    before = digest(mini_db)
    payload = import_payload(3, seed=5)
    source = mini_db.parent / "three.json"
    source.write_text(json.dumps(payload), encoding="utf-8")
    started = time.monotonic()
    code, out, err = run_cli(capsys, "--db", str(mini_db), "import", str(source))
    waited = time.monotonic() - started
    assert code == 2
    assert "is busy" in err and "nothing was changed" in err and "Traceback" not in err
    assert waited >= 0.25  # it waited for the lock rather than failing at once
    assert digest(mini_db) == before


def test_busy_error_names_the_file(mini_db, writer_holding_lock, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 100)
    with (
        Store(mini_db) as store,
        pytest.raises(BusyError, match=str(mini_db)),
        store.transaction(),
    ):
        pass


# -- killed in the middle of an import ---------------------------------------------------------


def test_sigkill_mid_import_leaves_all_or_nothing(mini_db, tmp_path):
    payload = import_payload(2500, seed=9)
    source = tmp_path / "big.json"
    source.write_text(json.dumps(payload), encoding="utf-8")
    wal = mini_db.with_name(mini_db.name + "-wal")
    with Store(mini_db, read_only=True) as store:
        own = store.counts()["cases"]
    process = subprocess.Popen(
        [sys.executable, "-m", "sclerotui", "--db", str(mini_db), "import", str(source)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 180  # a ceiling: the import is killed as soon as it writes
    # Kill once the write transaction is under way: its pages are going into the WAL.
    while time.monotonic() < deadline and process.poll() is None:
        if wal.exists() and wal.stat().st_size > 256 * 1024:
            break
        time.sleep(0.005)
    assert process.poll() is None, "the import ended before it could be killed; make it bigger"
    process.send_signal(signal.SIGKILL)
    process.wait(120)
    assert process.returncode == -signal.SIGKILL
    with Store(mini_db) as store:
        assert store.integrity_problems() == []
        imported = store.conn.execute(
            "SELECT count(*) FROM cases WHERE origin = ?", [str(source)]
        ).fetchone()[0]
        total = store.counts()["cases"]
    assert imported in (0, 2500)
    assert total == own + imported
    with Store(mini_db) as store:  # and it takes writes again
        store.set_meta("after-crash", "ok")
        assert store.meta("after-crash") == "ok"


# -- a read-only location, as a user who really cannot write it --------------------------------


def other_user_python() -> list[str] | None:
    """A Python the unprivileged user 'nobody' can run with this checkout importable."""
    if os.geteuid() != 0:
        return None
    candidate = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if not candidate.exists():
        return None
    return [str(candidate)]


@pytest.fixture
def public_dir():
    """A directory 'nobody' can reach (pytest's own temporary directories are private)."""
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="sclerotui-test-"))
    path.chmod(0o755)
    yield path
    for sub in path.rglob("*"):
        if sub.is_dir():
            sub.chmod(0o755)
    shutil.rmtree(path)


def test_wal_database_in_read_only_directory_opens_read_only(mini_db, public_dir):
    python = other_user_python()
    if python is None:
        pytest.skip("needs root (to run as 'nobody') and a system Python of this version")
    tmp_path = public_dir
    folder = tmp_path / "shared"
    folder.mkdir()
    target = folder / "evidence.db"
    target.write_bytes(mini_db.read_bytes())  # a closed WAL database: no -wal, no -shm
    target.chmod(0o644)
    folder.chmod(0o555)
    site = [p for p in sys.path if p.endswith("site-packages")]
    root = str(Path(__file__).resolve().parents[1])
    env = {"PYTHONPATH": os.pathsep.join([root, *site]), "HOME": str(tmp_path), "PATH": "/usr/bin"}
    probe = subprocess.run(
        [*python, "-c", "import sclerotui.cli"], user="nobody", env=env, capture_output=True
    )
    if probe.returncode != 0:
        pytest.skip(f"'nobody' cannot import this checkout: {probe.stderr[-200:]!r}")
    before = digest(target)

    def as_nobody(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*python, "-m", "sclerotui", "--db", str(target), *argv],
            user="nobody",
            env=env,
            capture_output=True,
            text=True,
            timeout=180,  # a ceiling for a stuck process
        )

    result = as_nobody("db", "stats")
    assert result.returncode == 0, result.stderr
    assert "(read-only)" in result.stdout
    assert "Traceback" not in result.stderr
    imported = as_nobody("import", "/dev/null")
    assert imported.returncode == 2
    assert "read-only" in imported.stderr and "Traceback" not in imported.stderr
    assert digest(target) == before
    assert sorted(p.name for p in folder.iterdir()) == ["evidence.db"]


def test_backups_in_the_same_second_never_overwrite_each_other(mini_db):
    with Store(mini_db) as store:
        first = store._backup("schema-2")
        second = store._backup("schema-2")  # the same second, most likely: a new name
    assert first != second and first.exists() and second.exists()
    assert first.stat().st_mode & 0o777 == 0o600 and second.stat().st_mode & 0o777 == 0o600


def test_db_check_of_a_truncated_file_does_not_send_the_user_in_a_circle(capsys, mini_db):
    data = mini_db.read_bytes()
    mini_db.write_bytes(data[: (len(data) // PAGE // 2) * PAGE])
    code, out, err = run_cli(capsys, "db", "check", str(mini_db))
    assert code == 2
    assert "is damaged" in err and "restore it from a backup" in err
    assert "db check" not in err


# -- a record the models refuse ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "damaged", "argv"),
    [
        ("trials", "trial 'alpha'", ["export", "--format", "json", "--out", "OUT"]),
        ("cases", "case 'case-one'", ["export", "--format", "csv", "--out", "OUT"]),
        ("trials", "trial 'alpha'", ["export", "alpha", "--out", "OUT"]),
    ],
    ids=["json", "csv", "dossier"],
)
def test_a_stored_record_the_models_refuse_is_named_not_a_traceback(
    capsys, mini_db, table, damaged, argv
):
    # A file edited outside sclerotui (or damaged inside a record, where SQLite sees nothing
    # wrong): one line naming the record and the way to list the problems, exit 2, nothing
    # written and the database unchanged (pydantic's traceback before).
    with sqlite3.connect(mini_db) as connection:
        record_id = damaged.split("'")[1]
        connection.execute(f"UPDATE {table} SET data = '{{}}' WHERE id = ?", [record_id])
    connection.close()
    before = digest(mini_db)
    out_path = mini_db.parent / "out"
    argv = [str(out_path) if a == "OUT" else a for a in argv]
    code, out, err = run_cli(capsys, "--db", str(mini_db), *argv)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{mini_db}: {damaged}: id: Field required (and " in err
    assert f"'sclerotui db check {mini_db}' lists the problems" in err
    assert not out_path.exists()
    assert digest(mini_db) == before
