"""The read-ahead reader process ends with the importing process, even when that one is killed
(SIGKILL) while the reader is busy loading a file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CEILING_S = 120  # generous: the event is waited for, this only bounds a failure

# The importing side: starts the reader, hands it a request whose unpickling keeps it busy
# for an hour (as a big file would for a while), says the reader's pid, then waits.
PARENT = """
import sys, time
import sclerotui.importers.importing as importing

class Busy:
    def __reduce__(self):
        return (time.sleep, (3600,))

ahead = importing._ReadAhead()
ahead._start()
ahead.connection.send(Busy())
print(ahead.process.pid, flush=True)
time.sleep(3600)
"""


def _gone(pid: int) -> bool:
    """No such process, or a zombie (dead, waiting to be reaped by whoever adopted it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_reader_dies_when_the_importing_process_is_killed():
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    reader = None
    try:
        line = parent.stdout.readline()  # waits for the reader to be running
        reader = int(line)
        assert not _gone(reader)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + CEILING_S
        while not _gone(reader) and time.monotonic() < deadline:
            time.sleep(0.05)  # polling for the event; the ceiling only bounds a failure
        assert _gone(reader), "the reader outlived the killed importing process"
    finally:
        if parent.poll() is None:
            parent.kill()
        if reader is not None and not _gone(reader):
            os.kill(reader, signal.SIGKILL)
