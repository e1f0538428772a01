"""Instructions to the explorer's first frame, counted by valgrind: start-up work, without noise.

    uv run python benchmarks/instructions.py [--sizes 10000] [--tree PATH ...]

The start-up benchmark in run.py times the first frame on the wall clock, which moves by a
quarter between runs on a shared machine. This counts the instructions the process runs until
its first frame is composed (callgrind, about 20 s a run, the same count to 0.1% each time),
for the minimal three-pane app of run.py and for the explorer, and prints their ratio. A change
to start-up shows here as a number, not a shift inside the noise. It is a diagnostic, not the
target: the target is the wall-clock ratio in run.py. Needs valgrind (Debian: `valgrind`).

--tree runs the explorer from other checkouts too (a `git worktree` of an older commit, say),
each on the same database, so a change can be counted against the code before it.
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BASELINE_APP, ROOT, compile_bytecode, database  # noqa: E402

# Run under valgrind: ends the process as the first frame has been composed.
HOOK = """
import os, sys
import textual.screen

compose = textual.screen.Screen._compositor_refresh

def composed_then_exit(self):
    compose(self)
    open(os.environ["FIRST_FRAME"], "w").close()  # so an error is not counted as a start
    os._exit(0)

textual.screen.Screen._compositor_refresh = composed_then_exit
if sys.argv[1] == "baseline":
    exec(sys.argv[2])
else:
    sys.path.insert(0, sys.argv[1])
    from sclerotui.cli import main
    main(["--db", sys.argv[2], "--read-only"])
"""


def count(args: list[str], timeout: float = 600) -> int:
    """Instructions run by `python HOOK args` in a pseudo-terminal, as callgrind counts them."""
    with tempfile.TemporaryDirectory() as where:
        hook, log = Path(where) / "hook.py", Path(where) / "valgrind.log"
        frame = Path(where) / "first-frame"
        hook.write_text(HOOK)
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
        command += [f"--log-file={log}", sys.executable, str(hook), *args]
        pid, fd = pty.fork()
        if pid == 0:  # the child: the program, in a terminal of the benchmark's size
            os.environ.update({"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"})
            os.environ["FIRST_FRAME"] = str(frame)
            os.execvp(command[0], command)
        start = time.monotonic()
        output = b""
        try:
            while time.monotonic() - start < timeout:
                if select.select([fd], [], [], 0.1)[0]:
                    try:
                        output = (output + os.read(fd, 65536))[-4000:]
                    except OSError:
                        break
                if os.waitpid(pid, os.WNOHANG)[0]:
                    pid = 0
                    break
        finally:
            if pid:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            os.close(fd)
        if not frame.exists():
            shown = output.decode(errors="replace")
            raise RuntimeError(f"{args[0]} ended before its first frame; its output:\n{shown}")
        found = re.search(r"Collected : ([\d,]+)", log.read_text())
        if found is None:
            raise RuntimeError(f"valgrind counted nothing; its log:\n{log.read_text()[-2000:]}")
        return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--tree", action="append", default=[], metavar="PATH")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt install valgrind)")
    compile_bytecode()  # this checkout's and the packages'; the others' below
    for tree in args.tree:
        subprocess.run([sys.executable, "-m", "compileall", "-q", f"{tree}/sclerotui"], check=True)
    baseline = count(["baseline", BASELINE_APP])
    print(f"minimal three-pane app: {baseline / 1e6:,.1f} M instructions to its first frame")
    for cases in [int(size) for size in args.sizes.split(",")]:
        db = database(cases)
        for tree in [str(ROOT), *args.tree]:
            explorer = count([tree, str(db)])
            print(
                f"explorer, {cases:,} cases ({tree}): {explorer / 1e6:,.1f} M, "
                f"ratio {explorer / baseline:.3f}"
            )


if __name__ == "__main__":
    # The explorer restores the session kept in its data directory: every run starts from an
    # empty one, so no run sees another's state (nor the user's).
    os.environ["SCLEROTUI_DATA_DIR"] = tempfile.mkdtemp(prefix="sclerotui-bench-")
    main()
