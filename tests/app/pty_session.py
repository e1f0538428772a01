"""Run `python -m sclerotui` in a real pseudo-terminal, wait for its first paint, press keys.

Used by the terminal and privacy tests. Every step waits for what the screen shows, never
for a fixed time: a loaded machine only makes a run slower. A run that does not paint or does
not quit within CEILING seconds is killed and reported, so a broken build can never hang the
suite; the ceiling is generous, reached only by a program that is stuck.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

# Variables that change how Textual draws or logs; each run states the ones it wants.
TERMINAL_VARIABLES = (
    "TERM",
    "COLORTERM",
    "NO_COLOR",
    "FORCE_COLOR",
    "TEXTUAL",
    "TEXTUAL_LOG",
    "TEXTUAL_COLOR_SYSTEM",
    "TEXTUAL_DRIVER",
    "TEXTUAL_FPS",
    "COLUMNS",
    "LINES",
    "TMUX",
)

SGR = re.compile(rb"\x1b\[([0-9;:]*)m")
KEY_GAP = 0.2  # seconds between chunks of keys that wait for nothing (see Key)
CEILING = 180.0  # seconds a run may take before it is taken to be stuck


@dataclass(frozen=True)
class Key:
    """Keys to send, and text the screen shows once they have taken effect: the next keys
    wait until it has been written. (Sent too soon after an escape, a letter reads as
    alt+letter; on a busy machine 0.2 s is not always enough for the app to read the escape.)"""

    data: bytes
    then: bytes | re.Pattern[bytes]


def drain(fd: int, seconds: float) -> bytes:
    """Whatever the program writes during `seconds` (it blocks once the pty buffer fills)."""
    data = b""
    until = time.monotonic() + seconds
    while (left := until - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


@dataclass
class PtyRun:
    returncode: int | None  # None: killed at the ceiling
    output: bytes  # everything the program wrote to the terminal
    painted: bool  # the awaited text appeared before the ceiling
    seconds: float
    answered: int = 0  # the Keys whose awaited text appeared

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", "replace")

    def sgr_parameters(self) -> list[list[int]]:
        """The parameters of every Select Graphic Rendition sequence written, as integers."""
        found = []
        for match in SGR.finditer(self.output):
            body = match.group(1).replace(b":", b";")
            found.append([int(part) if part else 0 for part in body.split(b";")])
        return found


def run_in_pty(
    argv: list[str],
    env: dict[str, str],
    *,
    wait_for: bytes,
    keys: bytes | list[bytes | Key] = b"q",
    size: tuple[int, int] = (80, 24),
    cwd: Path | None = None,
    timeout: float = CEILING,
    python: list[str] | None = None,
) -> PtyRun:
    """Start `python -m sclerotui ARGV` on a fresh pty of `size`, wait until `wait_for` has
    been written, send `keys`, and collect output until the program exits (or, if it is
    stuck, until `timeout`).

    `keys` may be a list of chunks: a `Key` waits for the text its keys bring to the screen;
    plain bytes are followed by a pause of KEY_GAP, for keys whose order alone matters."""
    master, slave = pty.openpty()
    columns, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    full_env = {k: v for k, v in os.environ.items() if k not in TERMINAL_VARIABLES}
    full_env.update(env)
    command = [*(python or [sys.executable, "-m", "sclerotui"]), *argv]
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=full_env,
        cwd=cwd,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    output = b""
    painted = False
    answered = 0
    deadline = started + timeout

    def read_until(needle: bytes | re.Pattern[bytes], since: int) -> bool:
        """Read until `needle` is in what was written after byte `since`, or the program
        ends, or the deadline passes; whether it was written."""
        nonlocal output

        def found() -> bool:
            if isinstance(needle, bytes):
                return needle in output[since:]
            return needle.search(output, since) is not None

        while time.monotonic() < deadline:
            if found():
                return True
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the program closed the terminal
                    return found()
                if not chunk:
                    return found()
                output += chunk
            elif process.poll() is not None:
                return found()
        return found()

    try:
        painted = read_until(wait_for, 0)
        if painted:
            time.sleep(0.1)  # let the rest of the first frame arrive before the keys
            since = 0
            for chunk in [keys] if isinstance(keys, bytes) else keys:
                data = chunk.data if isinstance(chunk, Key) else chunk
                # A Key that sends nothing waits for more of what the keys before it brought,
                # which may have come in the same read as their own text.
                if data:
                    since = len(output)
                    os.write(master, data)
                if isinstance(chunk, Key):
                    if not read_until(chunk.then, since):
                        break  # the keys did not take effect: stop, and report it
                    answered += 1
                else:
                    output += drain(master, KEY_GAP)
        read_until(b"\x00never written\x00", len(output))  # all it writes, until it exits
        try:
            returncode = process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            returncode = None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return PtyRun(returncode, output, painted, time.monotonic() - started, answered)


def run_many_in_pty(runs: dict[str, dict]) -> dict[str, PtyRun]:
    """Several independent runs at once (keyword arguments of run_in_pty per name): each
    spends most of its time starting Python and Textual, so they overlap well."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        futures = {name: pool.submit(run_in_pty, **kwargs) for name, kwargs in runs.items()}
        return {name: future.result() for name, future in futures.items()}
