"""The four journeys of issue 22, keyboard only, in a real terminal at 120x40 and 80x24.

Each journey starts `python -m sclerotui` on a pty over a database built from the bundled
data (SCLEROTUI_DATA_DIR in a sandbox), presses the keys a clinician would press, waits for
each to show on screen (generous ceilings, never fixed deadlines), and quits with `q`:

1. failed cyclophosphamide with diffuse lung disease → pathways → a case;
2. SENSCIS's FVC result and whether it is verified;
3. comparing rituximab, tocilizumab and mycophenolate;
4. exporting a record (to the file the dialog suggests, in the data directory) and copying
   its citation (the OSC 52 sequence the app writes to the terminal, decoded).

The four journeys of one size run at once (run_many_in_pty): most of each run is Python and
Textual starting.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import stat
import sys
from pathlib import Path

import pytest

from sclerotui.bundle import build
from tests.app.pty_session import Key, PtyRun, run_many_in_pty

# Between two characters written to the terminal there may be style changes and cursor moves.
CONTROL = rb"(?:\x1b\[[0-9;:?]*[A-Za-z])*"

DOWN = b"\x1b[B"
PAGE_DOWN = b"\x1b[6~"
CTRL_P = b"\x10"
ESCAPE = b"\x1b"


def seen(text: str) -> re.Pattern[bytes]:
    """`text` as the terminal receives it: its characters, with any escape sequences between."""
    return re.compile(CONTROL.join(re.escape(char.encode()) for char in text))


def last_words(run: PtyRun, chars: int = 3000) -> str:
    """The end of what was written, without its escape sequences: for failure messages."""
    text = re.sub(rb"\x1b\[[0-9;:?<>]*[A-Za-z~]", b" ", run.output[-4 * chars :])
    return re.sub(r" {2,}", " ", text.decode("utf-8", "replace"))[-chars:]


def shown(run: PtyRun, text: str, since: int = 0) -> bool:
    return seen(text).search(run.output, since) is not None


def sandbox_env(root: Path) -> dict[str, str]:
    """HOME, the XDG directories, TMPDIR and the data directory inside `root`."""
    env = {"HOME": str(root / "home"), "TMPDIR": str(root / "tmp")}
    for name in ("DATA", "CONFIG", "CACHE", "STATE"):
        env[f"XDG_{name}_HOME"] = str(root / f"xdg-{name.lower()}")
    env["XDG_RUNTIME_DIR"] = str(root / "xdg-runtime")
    for path in env.values():
        Path(path).mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(mode=0o700)
    env["SCLEROTUI_DATA_DIR"] = str(root / "data")
    env["TERM"] = "xterm-256color"
    return env


def palette(words: str, offered: str) -> list[Key]:
    """ctrl+p, then `words` typed until the palette offers `offered`."""
    return [Key(CTRL_P, "🔎".encode()), Key(words.encode(), seen(offered))]


# 1. Plain words read as filters (tab applies them), the results focused, pathways from the
# failed therapy (picked by typing its name), the node of mycophenolate after it, and a case.
LUNG_KEYS: list[bytes | Key] = [
    Key(b"/", seen("search: words")),
    Key(b"cyclophosphamide failed diffuse lung", seen("read as therapy:cyclophosphamide")),
    Key(b"\t", seen("6 results for")),
    Key(b"\r", seen("Zoom")),  # the results have the focus: the footer lists their keys
    Key(b"p", seen("After failing")),
    Key(b"s", seen("Start from which failed therapy?")),
    Key(b"cyclo", seen("find: cyclo")),
    Key(b"\r", seen("Cyclophosphamide failed (n=10)")),
    Key(DOWN, seen("Autologous haematopoietic")),
    Key(DOWN, seen("Mycophenolate mofetil  n=3")),  # the node, whole, beside the tree
    Key(b"", seen("Refractory")),  # and its cases, found by a worker
    # Tab to the cases. (Enter on the node would do too, but it finds them again: an enter
    # typed before they are back lands on the "finding the cases…" row, and on a busy
    # machine the screen's other redraws show the old rows meanwhile.)
    b"\t",
    Key(b"\r", seen("Evidence — Cyclophosphamide")),  # the case, opened in the explorer
    Key(b"z", seen("Therapy sequence")),
    Key(b"z", seen("Outcome timeline")),  # back: the zoomed case was written whole
    b"q",
]

# 2. SENSCIS from the palette (SENSCIS-ON comes first), its detail zoomed and paged.
SENSCIS_KEYS: list[bytes | Key] = [
    *palette("SENSCIS", "SENSCIS-ON (open-label"),
    DOWN,
    Key(b"\r", seen("NCT02597933")),
    Key(b"z", seen("Endpoint and results")),
    # The finding with its mark, and the one after it (a page scrolls in steps: wait for the
    # lines further down).
    Key(PAGE_DOWN, seen("p 0.04 [unverified]")),
    Key(b"z", seen("Outcome timeline")),  # back: the page above was written whole
    b"q",
]

# 3. Three therapies marked from the palette, then compared.
COMPARE_KEYS: list[bytes | Key] = [
    *palette("rituximab", "therapy: Rituximab"),
    Key(b"\r", seen("Evidence — Rituximab")),
    Key(b"m", seen("●Rituximab")),  # marked in the therapy list
    *palette("tocilizumab", "therapy: Tocilizumab"),
    Key(b"\r", seen("Evidence — Tocilizumab")),
    Key(b"m", seen("●Tocilizumab")),
    *palette("mycophenolate", "therapy: Mycophenolate mofetil"),
    Key(b"\r", seen("Evidence — Mycophenolate")),
    Key(b"m", seen("●Mycophenolate")),
    Key(b"c", seen("Comparison: Rituximab vs Tocilizumab")),
    Key(ESCAPE, seen("Outcome timeline")),  # back: the comparison was written whole
    b"q",
]


def citation_keys(path: Path) -> list[bytes | Key]:
    """4. SLS-II from the palette, `e` to the suggested file, `y` to copy its citation."""
    return [
        *palette("SLS-II", "Scleroderma Lung Study II (SLS-II)"),
        Key(b"\r", seen("RCT n=142")),
        # The dialog suggests a file in the (sandboxed) data directory, not the working
        # directory; enter takes it.
        Key(b"e", seen(f"data/{path.name}")),
        Key(b"\r", seen("Wrote")),
        Key(b"y", seen("Citation copied")),
        b"q",
    ]


SIZES = [(120, 40), (80, 24)]


@pytest.fixture(scope="module")
def bundled_db(tmp_path_factory) -> Path:
    """The bundled data built once: 60 trials and 42 cases."""
    path = tmp_path_factory.mktemp("bundled") / "sclerotui.db"
    store, _ = build(path)
    store.close()
    return path


def journey_run(root: Path, database: Path, keys: list, size: tuple[int, int]) -> dict:
    env = sandbox_env(root)
    shutil.copy(database, Path(env["SCLEROTUI_DATA_DIR"]) / "sclerotui.db")
    (root / "cwd").mkdir()
    return dict(
        argv=[],
        env=env,
        wait_for=b"palette",  # the footer: the first screen is drawn
        keys=keys,
        size=size,
        cwd=root / "cwd",
        python=[sys.executable, "-m", "sclerotui"],
    )


def osc52_payload(output: bytes) -> str:
    """The text the app put on the terminal's clipboard (OSC 52), decoded."""
    match = re.search(rb"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07", output)
    assert match, output[-2000:]
    return base64.b64decode(match.group(1)).decode("utf-8")


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
def test_four_journeys_in_a_real_terminal(tmp_path, bundled_db, size):
    export = tmp_path / "citation" / "data" / "sclerotui-trial-sls-2.md"
    keys = {
        "lung": LUNG_KEYS,
        "senscis": SENSCIS_KEYS,
        "compare": COMPARE_KEYS,
        "citation": citation_keys(export),
    }
    runs = {name: journey_run(tmp_path / name, bundled_db, k, size) for name, k in keys.items()}
    results = run_many_in_pty(runs)

    for name, run in results.items():
        awaited = [k for k in keys[name] if isinstance(k, Key)]
        assert run.painted, (name, run.text[-2000:])
        # Every step showed what it should, in order (the first missing one is named).
        assert run.answered == len(awaited), (name, awaited[run.answered], last_words(run))
        assert run.returncode == 0, (name, run.returncode, run.text[-2000:])
        assert "Traceback" not in run.text, name

    # 1. The plain words were offered as filters, and the case that opened is one of the
    # node's: cyclophosphamide, then mycophenolate, both failed, in diffuse SSc with ILD.
    lung = results["lung"]
    assert shown(lung, "response:resistant subtype:diffuse organ:lung")
    assert shown(lung, "After failing Cyclophosphamide: 10 cases")
    assert shown(lung, "1. Cyclophosphamide → resistant")
    assert shown(lung, "2. Mycophenolate mofetil → resistant")
    assert shown(lung, "dcSSc · female")

    # 2. SENSCIS's FVC finding, with its verified and unverified marks.
    senscis = results["senscis"]
    assert shown(senscis, "SENSCIS (nintedanib in SSc-ILD)")
    assert shown(senscis, "primary result unverified")
    zoomed = seen("Endpoint and results").search(senscis.output)
    assert zoomed
    paged = zoomed.start()  # what the zoomed detail showed, and then a page further
    assert shown(senscis, "Primary endpoint: Annual rate of decline in FVC (mL/year)")
    assert shown(senscis, "Nintedanib at week 52: -52.4 mL/year", paged)
    assert shown(senscis, "over 52 weeks [unverified]", paged)
    assert shown(senscis, "Placebo at week 52: -93.3 mL/year", paged)
    assert shown(senscis, "[verified]", paged)

    # 3. The comparison shows the three therapies side by side, each with its trials.
    compare = results["compare"]
    after = compare.output.rindex(b"Comparison")
    for heading in ("Rituximab", "Tocilizumab", "Mycophenolate mofetil", "Biologics", "Trials"):
        assert shown(compare, heading, after), heading
    assert shown(compare, "RECITAL", after)  # rituximab's first trial

    # 4. The file written where the user said, private, with the record's references; and
    # the citation on the clipboard is clean: standard references, no doubled prefix, no
    # internal source keys or research notes.
    citation = results["citation"]
    assert export.is_file()
    assert stat.S_IMODE(os.stat(export).st_mode) == 0o600
    dossier = export.read_text(encoding="utf-8")
    assert "Tashkin DP et al. Lancet Respir Med 2016;4(9):708-719." in dossier
    assert "NCT00883129" in dossier and "NCT NCT" not in dossier
    copied = osc52_payload(citation.output)
    assert copied.startswith("Scleroderma Lung Study II (SLS-II). ClinicalTrials.gov: NCT00883129.")
    assert "1. Tashkin DP et al. Lancet Respir Med 2016;4(9):708-719." in copied
    assert "PMID: 28544580" in copied
    for internal in ("NCT NCT", "cite-", "not verified]", "["):
        assert internal not in copied, internal
