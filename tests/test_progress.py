"""Long commands show progress on a terminal (rate and time left), nothing when piped, and
Ctrl-C during an import still leaves the database as it was."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from app.pty_session import run_in_pty
from conftest import build_mini_db

from sclerotui.store import Store
from sclerotui.synth import import_payload

ESCAPE = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def sclerotui(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sclerotui", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,  # a ceiling for a stuck run, not a deadline
    )


def clean_env(tmp_path) -> dict[str, str]:
    import os

    return {**os.environ, "SCLEROTUI_DATA_DIR": str(tmp_path / "data"), "TERM": "xterm"}


def test_piped_output_is_unchanged(tmp_path):
    """Into a pipe: the lines the commands printed before, and not a byte of progress."""
    env = clean_env(tmp_path)
    synth = sclerotui("db", "synth", "--cases", "40", "--out", str(tmp_path / "s.db"), env=env)
    assert synth.returncode == 0, synth.stderr
    assert synth.stderr == ""
    assert re.fullmatch(
        r"wrote SYNTHETIC database \S+: 40 cases, [\d,]+ events \(seed 1; not real patients\)\n",
        synth.stdout,
    )
    checked = sclerotui("db", "check", str(tmp_path / "s.db"), env=env)
    assert (checked.returncode, checked.stderr) == (0, "")
    assert checked.stdout == f"{tmp_path / 's.db'}: ok\n"
    db = build_mini_db(tmp_path / "mini.db")
    payload = tmp_path / "cases.json"
    payload.write_text(json.dumps(import_payload(30)))
    imported = sclerotui("--db", str(db), "import", str(payload), env=env)
    assert (imported.returncode, imported.stderr) == (0, ""), imported.stderr
    assert imported.stdout.endswith(f"imported into {db}\n")
    assert "importing" not in imported.stdout and "\x1b" not in imported.stdout


def test_a_terminal_shows_progress_with_rate_and_time_left(tmp_path):
    """In a pty, `db synth` draws a bar naming the work, with cases per second and the time
    left (the rate from the first batch of 5,000 on), then clears it for its summary."""
    out = tmp_path / "s.db"
    run = run_in_pty(
        ["db", "synth", "--cases", "10000", "--out", str(out)],
        {"SCLEROTUI_DATA_DIR": str(tmp_path / "data"), "TERM": "xterm-256color"},
        wait_for=b"wrote SYNTHETIC database",
        keys=b"",
        size=(120, 24),
    )
    assert run.painted and run.returncode == 0, run.output[-500:]
    text = ESCAPE.sub(b"", run.output).decode()
    assert "writing synthetic cases" in text
    assert re.search(r"5,000/10,000 cases +[\d,]+ cases/s +left", text), text[-800:]


def test_ctrl_c_during_an_import_with_progress_rolls_back(tmp_path):
    """Ctrl-C while the bar is up (SIGINT to the command's process group, as a terminal
    sends it): the command exits 130 and the database has no case of the file (the import
    is one transaction)."""
    import os
    import pty
    import select
    import signal
    import time

    db = build_mini_db(tmp_path / "mini.db")
    with Store(db, read_only=True) as store:
        before = store.counts()
    payload = tmp_path / "cases.json"
    payload.write_text(json.dumps(import_payload(20_000)))  # seconds to validate and write
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "sclerotui", "--db", str(db), "import", str(payload)],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=clean_env(tmp_path),
        start_new_session=True,
        # A shell without job control starts a background command with Ctrl-C ignored, and
        # Python keeps an ignored SIGINT ignored: the pytest run started with `&` would hand
        # that on, and the import would rightly run to its end.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    os.close(slave)
    output, ceiling = b"", time.monotonic() + 300  # a ceiling for a stuck run
    try:
        while b"importing 1 file" not in output and time.monotonic() < ceiling:
            if select.select([master], [], [], 1.0)[0]:
                output += os.read(master, 65536)
        assert b"importing 1 file" in output, output[-500:]
        os.killpg(process.pid, signal.SIGINT)
        # Read on while it exits: a full pty would block its last writes, and it never would.
        ceiling = time.monotonic() + 600  # a ceiling for a stuck run
        while process.poll() is None and time.monotonic() < ceiling:
            if select.select([master], [], [], 1.0)[0]:
                try:
                    output += os.read(master, 65536)
                except OSError:  # EIO: it closed the terminal
                    break
        returncode = process.wait(timeout=max(1.0, ceiling - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    assert returncode == 130
    with Store(db, read_only=True) as store:
        assert store.counts() == before


def test_export_and_db_build_piped_print_what_they_did_before(tmp_path):
    """Into a pipe: `export -o` says only where it wrote, `db build` only what it built."""
    env = clean_env(tmp_path)
    db = build_mini_db(tmp_path / "mini.db")
    out = tmp_path / "all.json"
    exported = sclerotui("--db", str(db), "export", "-o", str(out), env=env)
    assert (exported.returncode, exported.stdout) == (0, "")
    assert exported.stderr == f"wrote {out}\n"
    piped = sclerotui("--db", str(db), "export", env=env)
    assert piped.stdout == out.read_text() and piped.stderr == ""
    built = sclerotui("db", "build", "--out", str(tmp_path / "b.db"), env=env)
    assert built.returncode == 0 and built.stderr == ""
    assert re.fullmatch(
        r"created \S+: \d+ therapies, \d+ trials, \d+ cases, \d+ events\n", built.stdout
    )


def test_a_terminal_shows_export_progress_and_the_file_is_the_same(tmp_path, synthetic_store):
    """In a pty, `export -o` draws a bar naming the work with records per second and the
    time left; the file written is the one a piped run writes."""
    out = tmp_path / "pty.json"
    env = {"SCLEROTUI_DATA_DIR": str(tmp_path / "data"), "TERM": "xterm-256color"}
    db = str(synthetic_store.path)
    run = run_in_pty(
        ["--db", db, "--read-only", "export", "-o", str(out)],
        env,
        wait_for=b"wrote ",
        keys=b"",
        size=(120, 24),
    )
    assert run.painted and run.returncode == 0, run.output[-500:]
    text = ESCAPE.sub(b"", run.output).decode()
    assert "exporting json" in text
    assert re.search(r"[\d,]+/[\d,]+ records +[\d,]+ records/s +left", text), text[-800:]
    piped = tmp_path / "piped.json"
    done = sclerotui("--db", db, "--read-only", "export", "-o", str(piped), env=clean_env(tmp_path))
    assert done.returncode == 0 and piped.read_bytes() == out.read_bytes()


def test_a_terminal_shows_db_build_progress(tmp_path):
    out = tmp_path / "built.db"
    run = run_in_pty(
        ["db", "build", "--out", str(out)],
        {"SCLEROTUI_DATA_DIR": str(tmp_path / "data"), "TERM": "xterm-256color"},
        wait_for=b"created ",
        keys=b"",
        size=(120, 24),
    )
    assert run.painted and run.returncode == 0, run.output[-500:]
    text = ESCAPE.sub(b"", run.output).decode()
    assert re.search(r"building the database .* [\d,]+/[\d,]+ steps", text), text[-800:]


@pytest.mark.parametrize("existing", [False, True])
def test_ctrl_c_during_an_export_leaves_no_half_file(tmp_path, monkeypatch, capsys, existing):
    """Ctrl-C after some of the records are written (KeyboardInterrupt from the writer, as
    the signal raises it): exit 130, and the file is as it was (or absent), no temporary
    left beside it."""
    from sclerotui import cli, export
    from sclerotui.cli import main

    db = build_mini_db(tmp_path / "mini.db")
    target = tmp_path / "out" / "all.json"
    target.parent.mkdir()
    if existing:
        target.write_text("the previous export\n")
    monkeypatch.setattr(cli.Blocks, "SIZE", 10)  # written out in many blocks
    written = []
    write_json = export.write_json

    def interrupted(records, write, advance=None):
        def write_some(text):
            write(text)
            written.append(text)
            if len(written) == 20:
                raise KeyboardInterrupt

        write_json(records, write_some, advance)

    monkeypatch.setattr(export, "write_json", interrupted)
    assert main(["--db", str(db), "export", "-o", str(target)]) == 130
    assert len(written) == 20
    assert [p.name for p in target.parent.iterdir()] == (["all.json"] if existing else [])
    assert not existing or target.read_text() == "the previous export\n"


def test_a_bar_begun_inside_another_is_a_line_of_the_same_display(monkeypatch):
    """The ranking lists' bar starts while the import's is on screen: one display with two
    lines, each with its own unit (two displays at once drew over each other)."""
    from sclerotui import progress as progress_module

    monkeypatch.setattr(progress_module, "shown", lambda: True)
    with progress_module.progress("importing 1 file", 10, "MB") as outer:
        display = progress_module._running
        outer(10)
        with progress_module.progress("ranking lists", 5, "terms") as inner:
            assert progress_module._running is display
            inner(5)
            lines = [(t.description, t.fields["unit"], t.completed) for t in display.tasks]
            assert lines == [("importing 1 file", "MB", 10), ("ranking lists", "terms", 5)]
        assert [t.description for t in display.tasks] == ["importing 1 file"]
    assert progress_module._running is None


def test_db_synth_shows_the_steps_after_the_cases(tmp_path):
    """After its cases, `db synth` builds the indexes and the ranking lists (minutes at a
    million cases): each step has a bar that reaches its end, not a full bar standing still."""
    from contextlib import contextmanager

    from sclerotui.synth import synthesize

    seen: dict[str, list] = {}

    @contextmanager
    def bars(description, total, unit):
        done = seen.setdefault(description, [total, unit, 0])

        def advance(amount):
            done[2] += amount

        yield advance

    synthesize(tmp_path / "s.db", 600, seed=3, bars=bars)
    assert set(seen) == {"building indexes", "ranking lists"}
    for description, (total, _unit, done) in seen.items():
        assert total > 0 and done == total, description
    assert seen["building indexes"][1] == "indexes" and seen["ranking lists"][1] == "terms"
