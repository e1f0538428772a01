"""Nothing leaves the machine: no network, private file modes, no logs of record text.

Case records may come from a clinic, so the app must never open a network connection,
must keep what it writes readable only by its user, and must not leave copies of record
text anywhere but the database (no log, cache or temporary file).
"""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import stat
import sys
import tempfile
from pathlib import Path

import pytest

from sclerotui.cli import EXIT_OK, main
from sclerotui.session import session_path
from sclerotui.store import Store
from tests.app.helpers import make_app, settle
from tests.app.pty_session import Key, run_many_in_pty
from tests.conftest import build_mini_db
from tests.test_import_export import make_schema_1

REPO = Path(__file__).resolve().parents[1]
CLINIC_CSV = REPO / "db" / "examples" / "clinic-cases.csv"
MARKER = "Zephyrine-Quokka-4471"  # a record string that appears nowhere else


# -- no network ---------------------------------------------------------------------------


class NetworkAttempt(OSError):
    """Raised in place of a connection: an OSError, as a real unreachable network would."""


@pytest.fixture
def network_guard(monkeypatch) -> list[str]:
    """Every attempt to resolve a name or open an internet socket is refused and recorded.

    Unix-domain sockets stay allowed: asyncio's event loop wakes itself with a socketpair.
    """
    attempts: list[str] = []

    def refuse(what: str):
        def refused(*args, **kwargs):
            attempts.append(f"{what}{args!r}")
            raise NetworkAttempt(f"network access in a test: {what}{args!r}")

        return refused

    class GuardedSocket(socket.socket):
        def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
            if fileno is None and family in (-1, socket.AF_INET, socket.AF_INET6):
                refuse("socket")(family, type)
            super().__init__(family, type, proto, fileno)

    monkeypatch.setattr(socket, "socket", GuardedSocket)
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        monkeypatch.setattr(socket, name, refuse(name))
    # The guard itself works: these are what urllib, http.client and asyncio call.
    for attempt in (
        lambda: socket.create_connection(("192.0.2.1", 443), timeout=0.1),
        lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM),
        lambda: socket.getaddrinfo("example.org", 443),
    ):
        with pytest.raises(NetworkAttempt):
            attempt()
    assert len(attempts) == 3
    attempts.clear()
    left, right = socket.socketpair()  # still allowed
    left.close()
    right.close()
    return attempts


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_commands_make_no_network_access(network_guard, capsys, mini_db, tmp_path):
    exported = tmp_path / "export.json"
    commands = [
        ("--db", mini_db, "search", "rituximab"),
        ("--db", mini_db, "search", "--json", "organ:lung", "response:resistant"),
        ("--db", mini_db, "export", "--format", "md"),
        ("--db", mini_db, "export", "kind:case", "--format", "csv"),
        ("--db", mini_db, "export", "-o", exported),
        ("--db", mini_db, "db", "check"),
        ("--db", mini_db, "db", "stats"),
        ("--db", mini_db, "import", "--check", CLINIC_CSV),
        ("db", "stats"),  # builds the user's database from the bundled data
    ]
    for argv in commands:
        code, out, err = run_cli(capsys, *argv)
        assert code == EXIT_OK, (argv, err)
    assert exported.stat().st_size > 0
    assert network_guard == []


# Runs as `python -c GUARD ARGS...`: refuses the network before anything is imported, then
# imports every sclerotui module (Textual included) and runs the command line.
GUARD = r"""
import socket, sys

def refuse(*args, **kwargs):
    sys.stderr.write(f"NETWORK ATTEMPT {args!r}\n")
    sys.stderr.flush()
    raise OSError("network disabled")

class GuardedSocket(socket.socket):
    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        if fileno is None and family in (-1, socket.AF_INET, socket.AF_INET6):
            refuse("socket", family)
        super().__init__(family, type, proto, fileno)

socket.socket = GuardedSocket
for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
    setattr(socket, name, refuse)

if sys.argv[1:] == ["--self-test"]:
    try:
        socket.create_connection(("192.0.2.1", 443), timeout=0.1)
    except OSError:
        pass
    sys.exit(0)

import importlib, pkgutil
import sclerotui
for module in pkgutil.walk_packages(sclerotui.__path__, "sclerotui."):
    if not module.name.endswith("__main__"):
        importlib.import_module(module.name)
from sclerotui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def sandbox_env(root: Path) -> dict[str, str]:
    """HOME, the XDG directories and TMPDIR inside `root`: anything written is seen."""
    env = {"HOME": str(root / "home"), "TMPDIR": str(root / "tmp")}
    for name in ("DATA", "CONFIG", "CACHE", "STATE"):
        env[f"XDG_{name}_HOME"] = str(root / f"xdg-{name.lower()}")
    env["XDG_RUNTIME_DIR"] = str(root / "xdg-runtime")
    for path in env.values():
        Path(path).mkdir(parents=True, exist_ok=True)
    return env


def files_under(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


DATABASE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def is_database(path: Path, database: Path) -> bool:
    return any(path == database.with_name(database.name + s) for s in DATABASE_SUFFIXES)


# Search, go to the results, open pathways, back, quit. Each step waits for the screen to
# show that the last one took effect (on a busy machine keys sent a fixed time apart went
# to the wrong pane, and an escape with a "q" 0.2 s behind it read as alt+q).
KEYS = [
    # The search box has the focus: its placeholder is drawn with the cursor on its "/".
    Key(b"/", re.compile(rb"m search: words")),
    Key(b"alpha", b"for alpha"),  # the results' title: "1 result for alpha"
    Key(b"\r", b"Zoom"),  # the results have the focus: the footer lists their keys
    Key(b"p", b"Pathways"),
    Key(b"\x1b", b"Outcome timeline"),  # back on the explorer
    b"q",
]


def test_real_terminal_run_makes_no_network_access_and_writes_no_files(tmp_path):
    """The app in a real terminal, under the guard from the first import: no network, and
    nothing written beside the database but the session file (ids, no record text). With
    TEXTUAL_LOG set (a developer setting) Textual does write a log holding record text, and
    the same check finds it."""
    runs, databases, before = {}, {}, {}
    for name in ("plain", "textual-log"):
        root = tmp_path / name
        # The data directory inside the sandbox: the session file (where the user was)
        # is written there, and must be seen.
        env = {**sandbox_env(root), "TERM": "xterm-256color"}
        env["SCLEROTUI_DATA_DIR"] = str(root / "xdg-data" / "sclerotui")
        if name == "textual-log":
            env["TEXTUAL_LOG"] = str(root / "home" / "textual.log")
        (root / "cwd").mkdir()
        databases[name] = build_mini_db(root / "data" / "mini.db")
        before[name] = files_under(root)
        runs[name] = dict(
            argv=["--db", str(databases[name])],
            env=env,
            wait_for=b"RCT n=576",  # the first therapy's evidence is listed: started
            keys=KEYS,
            cwd=root / "cwd",
            python=[sys.executable, "-c", GUARD],
        )
    results = run_many_in_pty(runs)

    written = {}
    for name, run in results.items():
        assert run.painted, (name, run.text[-2000:])
        assert run.answered == len(KEYS) - 1, (name, run.answered, run.text[-2000:])
        assert run.returncode == 0, (name, run.text[-2000:])
        assert "Traceback" not in run.text
        assert "NETWORK ATTEMPT" not in run.text
        assert "Alpha lung trial" in run.text  # record text was on screen
        after = files_under(tmp_path / name)
        written[name] = {
            path: data
            for path, data in after.items()
            if before[name].get(path) != data and not is_database(path, databases[name])
        }
    # Beside the database, only the session: ids, the typed query, no record text.
    for name in runs:
        file_name = session_path(databases[name]).name  # named after the database
        session = tmp_path / name / "xdg-data" / "sclerotui" / file_name
        assert session in written[name], name
        assert oct(mode(session)) == "0o600"
        assert b"Alpha lung trial" not in written[name].pop(session)
        assert b'"alpha"' in session.read_bytes()  # the record's id, which the database holds
    assert written["plain"] == {}
    log = tmp_path / "textual-log" / "home" / "textual.log"
    assert list(written["textual-log"]) == [log]
    assert b"Alpha lung trial" in written["textual-log"][log]


def test_guard_in_subprocess_sees_an_attempt(tmp_path):
    """The subprocess guard is not vacuous: a connection attempt is reported."""
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", GUARD, "--self-test"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert result.returncode == 0
    assert "NETWORK ATTEMPT" in result.stderr


# -- file modes ---------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask():
    """The worst case: a umask that would leave new files world-readable and writable."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_user_database_and_its_directory_are_private(permissive_umask, monkeypatch, tmp_path):
    from sclerotui.bundle import open_default

    data_dir = tmp_path / "fresh" / "sclerotui-data"
    monkeypatch.setenv("SCLEROTUI_DATA_DIR", str(data_dir))
    store, note = open_default()
    try:
        assert note and note.startswith("created")
        assert store.counts()["cases"] > 0  # a read: the WAL files exist while it is open
        files = sorted(data_dir.iterdir())
        assert data_dir / "sclerotui.db" in files
        assert {p.name for p in files} >= {"sclerotui.db-wal", "sclerotui.db-shm"}
        assert {p.name: oct(mode(p)) for p in files} == {p.name: "0o600" for p in files}
        assert mode(data_dir) == 0o700
    finally:
        store.close()


def test_backup_made_on_schema_upgrade_is_private(permissive_umask, tmp_path):
    path = tmp_path / "old.db"
    make_schema_1(path)
    os.chmod(path, 0o644)
    with Store(path) as store:
        assert store.upgraded_from == 1
        backup = store.backup_path
    assert backup is not None and backup.exists()
    assert mode(backup) == 0o600
    assert [p for p in tmp_path.iterdir() if "backup" in p.name] == [backup]


async def test_markdown_export_from_the_app_is_private(permissive_umask, mini_db, tmp_path):
    """`e` in the explorer writes a dossier of the record on screen: a new file is 0600."""
    target = tmp_path / "case.md"
    existing = tmp_path / "shared.md"
    existing.write_text("old")
    os.chmod(existing, 0o644)
    app = make_app(mini_db)
    async with app.run_test(size=(120, 40)) as pilot:
        app.main_screen.jump_to("case", "case-one")
        await pilot.pause()
        for path in (target, existing):
            await pilot.press("e")
            await pilot.pause()
            app.screen.query_one("#export-path").value = str(path)
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is app.main_screen
    assert "Cyclophosphamide" in target.read_text()
    assert mode(target) == 0o600
    # Writing over a file the user already has keeps the mode they gave it.
    assert "Cyclophosphamide" in existing.read_text()
    assert mode(existing) == 0o644


def test_cli_export_file_is_private(permissive_umask, capsys, mini_db, tmp_path):
    target = tmp_path / "cases.json"
    code, _, _ = run_cli(capsys, "--db", mini_db, "export", "kind:case", "-o", target)
    assert code == EXIT_OK
    assert mode(target) == 0o600


# -- no logs, caches or temporary files with record text ----------------------------------


@pytest.mark.parametrize("name", ["TEXTUAL_LOG", "TEXTUAL_SCREENSHOT", "TEXTUAL"])
def test_launch_warns_when_textual_would_copy_the_screen(monkeypatch, capsys, mini_db, name):
    from sclerotui.app import SclerotuiApp

    monkeypatch.setenv(name, "x")
    monkeypatch.setattr(SclerotuiApp, "run", lambda self: None)  # the warning comes first
    assert main(["--db", str(mini_db)]) == EXIT_OK
    err = capsys.readouterr().err
    assert err.startswith(f"sclerotui: {name} is set:") and "unset it" in err


@pytest.fixture
def sandbox(tmp_path, monkeypatch) -> Path:
    """HOME, XDG directories, TMPDIR and the working directory all inside one directory,
    and the user database where platformdirs puts it (no SCLEROTUI_DATA_DIR)."""
    root = tmp_path / "sandbox"
    for name, value in sandbox_env(root).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SCLEROTUI_DATA_DIR")
    for name in ("TEXTUAL_LOG", "TEXTUAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    (root / "cwd").mkdir()
    monkeypatch.chdir(root / "cwd")
    return root


def marked_cases_csv(path: Path) -> Path:
    """The example clinic file, its case renamed and its narrative carrying MARKER."""
    rows = list(csv.DictReader(io.StringIO(CLINIC_CSV.read_text(encoding="utf-8-sig"))))
    for row in rows:
        for field, value in row.items():
            row[field] = value.replace("clinic-001", "privacy-001")
        if row["narrative"]:
            row["narrative"] = f"Patient note {MARKER}: FVC fell on mycophenolate."
            row["title"] = f"{MARKER} progressing on mycophenolate"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


async def test_app_and_cli_write_record_text_only_to_the_database_and_use_no_network(
    sandbox, network_guard, tmp_path, capsys
):
    from sclerotui.app import SclerotuiApp
    from sclerotui.bundle import default_db_path, open_default

    (tmp_path / "input").mkdir()
    source = marked_cases_csv(tmp_path / "input" / "cases.csv")
    for argv in (
        ("import", source),
        ("search", MARKER),
        ("search", "--json", MARKER),
        ("export", MARKER, "--format", "md"),
        ("db", "check"),
        ("db", "stats"),
    ):
        code, out, err = run_cli(capsys, *argv)
        assert code == EXIT_OK, (argv, err)
        if argv[0] in ("search", "export"):
            assert MARKER in out

    store, _ = open_default()
    app = SclerotuiApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash")
        app.main_screen.query_one("#search").value = MARKER
        await settle(pilot)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.main_screen.item == ("case", "privacy-001")
        await pilot.press("p")
        await settle(pilot)
        assert type(app.screen).__name__ == "PathwaysScreen"
        await pilot.press("escape", "y")  # y: the citation goes to the terminal, not a file
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    store.close()
    assert network_guard == []

    database = default_db_path()
    assert database.is_relative_to(sandbox / "xdg-data")
    files = files_under(sandbox)
    others = {path: data for path, data in files.items() if not is_database(path, database)}
    assert sorted(others) == []
    assert [p for p, data in others.items() if MARKER.encode() in data] == []
    assert MARKER.encode() in b"".join(files[p] for p in files if is_database(p, database))


def test_synthetic_database_is_private(permissive_umask, capsys, tmp_path):
    """`db synth` writes a new database 0600, as `db create` and `db build` do, WAL included."""
    target = tmp_path / "synth" / "synthetic.db"
    code, _, _ = run_cli(capsys, "db", "synth", "--cases", "3", "--out", target)
    assert code == EXIT_OK
    with Store(target, read_only=True) as store:
        assert store.counts()["cases"] == 3  # open: its WAL files exist now, if it has any
        files = sorted(target.parent.iterdir())
        assert {p.name: oct(mode(p)) for p in files} == {p.name: "0o600" for p in files}
    code, _, err = run_cli(capsys, "db", "synth", "--cases", "3", "--out", target)
    assert code != EXIT_OK and "already exists" in err
