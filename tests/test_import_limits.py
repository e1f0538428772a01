"""Inputs have limits: what is not a regular file is refused or read with a hard cap and never
waited on for ever; unreadable paths and odd encodings get one clear line each."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import write_case_file

import sclerotui.importers as importers
from sclerotui.cli import EXIT_BAD_INPUT, main

CEILING_S = 120  # bounds a failure (a hang); the subprocess's exit is waited for


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(capsys, db: Path, *files, flags=()) -> str:
    """Import the files; the import must be refused, the database unchanged; stderr."""
    before = sha(db)
    code, _, err = run(capsys, "--db", db, "import", *flags, *files)
    assert code == EXIT_BAD_INPUT, err
    assert "Traceback" not in err
    assert sha(db) == before
    return err


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_refused_at_once(capsys, mini_db):
    """/dev/zero never ends: read whole, it grew until MemoryError."""
    err = refused(capsys, mini_db, "/dev/zero")
    assert (
        err
        == "sclerotui: /dev/zero: is a device (or a terminal), not a file; import a saved file\n"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_named_pipe_nobody_writes_to_is_refused_without_waiting(mini_db, tmp_path):
    """Opening a FIFO with no writer blocked for ever: the import must end by itself."""
    fifo = tmp_path / "nobody-writes.json"
    os.mkfifo(fifo)
    before = sha(mini_db)
    done = subprocess.run(
        [sys.executable, "-m", "sclerotui", "--db", str(mini_db), "import", str(fifo)],
        capture_output=True,
        text=True,
        timeout=CEILING_S,
    )
    assert done.returncode == EXIT_BAD_INPUT
    assert done.stderr == f"sclerotui: {fifo}: is a pipe and nothing was written to it\n"
    assert sha(mini_db) == before


def test_a_pipe_longer_than_the_limit_is_refused(capsys, mini_db, tmp_path, monkeypatch):
    """A pipe's size is unknown beforehand (st_size 0): it is read with a hard cap."""
    monkeypatch.setattr(importers, "MAX_FILE_BYTES", 4096)
    content = write_case_file(tmp_path / "big.json", "big", refers_to=None).read_bytes()
    content = content[:-1] + b" " * 10_000 + content[-1:]  # valid JSON, 10 kB
    ours, theirs = os.pipe()

    def write() -> None:
        try:
            os.write(theirs, content)
        except BrokenPipeError:
            pass  # the importer stopped reading at the cap
        finally:
            os.close(theirs)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        err = refused(capsys, mini_db, f"/dev/fd/{ours}")
    finally:
        os.close(ours)
        writer.join()
    assert f"/dev/fd/{ours}: more than the 4,096 bytes an import may be" in err


def test_a_file_in_a_directory_that_cannot_be_searched(capsys, mini_db, tmp_path, monkeypatch):
    """Without search permission on a directory, stat() of a file in it fails with EACCES
    (Path.is_dir() raised it). The tests run as root, who may search anything: the
    refusal is simulated where Python asks the system."""
    locked = tmp_path / "locked"
    locked.mkdir()
    inside = write_case_file(locked / "case.json", "locked-case")
    real_stat = pathlib.Path.stat

    def stat(self, *args, **kwargs):
        if self.parent == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "stat", stat)
    err = refused(capsys, mini_db, inside)
    assert err == (
        f"sclerotui: {inside}: cannot read: permission denied (on the file or a directory "
        "on its path)\n"
    )


def test_utf16_without_a_byte_order_mark_says_what_was_expected(capsys, mini_db, tmp_path):
    path = tmp_path / "utf16le.json"
    path.write_bytes(json.dumps({"cases": []}).encode("utf-16-le"))  # no BOM
    err = refused(capsys, mini_db, path)
    assert err == (
        f"sclerotui: {path}: looks like UTF-16 (little-endian) text without a byte-order "
        "mark: every other byte is 0; expected UTF-8, so save it as UTF-8\n"
    )
    path.write_bytes(json.dumps({"cases": []}).encode("utf-16-be"))
    assert "UTF-16 (big-endian)" in refused(capsys, mini_db, path)


def test_a_huge_integer_is_explained_without_python_advice(capsys, mini_db, tmp_path):
    path = tmp_path / "bigint.json"
    path.write_text('{"trials": [{"id": "x", "n": ' + "9" * 5000 + "}]}", encoding="utf-8")
    err = refused(capsys, mini_db, path)
    assert "set_int_max_str_digits" not in err and "sys." not in err
    assert err == (
        f"sclerotui: {path}: invalid JSON: a number of 5,000 digits is too long "
        "(at most 4,300 digits)\n"
    )


def test_replace_with_an_event_id_of_another_record_names_file_event_and_record(
    capsys, mini_db, tmp_path
):
    """--replace swaps a record and its events; an event id another record's event holds
    failed as a bare UNIQUE constraint error naming neither file nor record."""
    path = tmp_path / "clash.json"
    case = {
        "id": "case-two",
        "title": "Case two, revised",
        "subtype": "limited",
        "therapies": [{"therapy": "mycophenolate", "response": "partial"}],
        "narrative": "Revised.",
        "illustrative": True,
        "sources": ["seed-fixture"],
    }
    event = {"id": "case-one-dx", "case": "case-two", "week": 0, "kind": "diagnosis"}
    path.write_text(json.dumps({"cases": [case], "events": [event]}), encoding="utf-8")
    err = refused(capsys, mini_db, path, flags=("--replace",))
    assert err == (
        f"sclerotui: {path}: event case-one-dx (of case case-two): that id is already the "
        "database's event of case case-one, which this file does not replace; give the "
        "event another id\n"
    )
