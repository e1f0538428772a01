"""Bad input for `sclerotui import`: every malformed file is refused cleanly.

The contract checked for each case of the corpus: exit code 2; every problem on its own
stderr line starting "sclerotui: " and naming the file; the problem a user has to fix is
named (field, value or line); no Python traceback; no raw terminal escape; and the database
file byte for byte unchanged.

Most cases are small hand-written files in tests/fixtures/bad/. Binary, oversized or
escape-laden ones are generated into tmp_path by the builders below (not committed).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sclerotui.cli import EXIT_BAD_INPUT, EXIT_OK, main

BAD = Path(__file__).parent / "fixtures" / "bad"
GOOD_JSON = BAD / "good.json"

CSV_HEADER = (
    "case_id,title,sex,age_band,subtype,autoantibodies,organs,therapies,narrative,"
    "illustrative,source,event_id,week,date,kind,therapy,measure,statistic,value,unit,"
    "note,event_source,verified"
)
CSV_ROW = (
    "{case},A generated case,female,40-49,{subtype},,skin,hsct:responded,n,yes,"
    "Some citation,{case}-dx,0,,diagnosis,,,,,,,,"
)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- generated cases ---------------------------------------------------------------------


def _case_json(case_id: str, **changes) -> dict:
    record = {
        "id": case_id,
        "title": "Generated case",
        "subtype": "diffuse",
        "therapies": [{"therapy": "hsct", "response": "responded"}],
        "narrative": "n",
        "illustrative": True,
        "sources": ["seed-fixture"],
    }
    record.update(changes)
    return record


def latin1_json(tmp: Path) -> Path:
    path = tmp / "latin1.json"
    record = _case_json("latin-case", title="Patient from the café")
    path.write_bytes(json.dumps({"cases": [record]}, ensure_ascii=False).encode("latin-1"))
    assert b"caf\xe9" in path.read_bytes()
    return path


def utf16_json(tmp: Path) -> Path:
    path = tmp / "utf16.json"
    path.write_text(json.dumps({"cases": [_case_json("utf16-case")]}), encoding="utf-16")
    return path


def bom_invalid_json(tmp: Path) -> Path:
    path = tmp / "bom_invalid.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{\n  "cases": [\n    {"id": "bom-case",,}\n  ]\n}\n')
    return path


def huge_json(tmp: Path) -> Path:
    """A 50 MB file: one case with an enormous narrative, then one bad event at the end."""
    path = tmp / "huge.json"
    narrative = "Skin thickening progressed despite therapy. " * (50 * 1024 * 1024 // 44)
    data = {
        "cases": [_case_json("huge-case", narrative=narrative)],
        "events": [
            {"id": "huge-case-dx", "case": "huge-case", "week": 0, "kind": "diagnosis"},
            {
                "id": "huge-case-mrss",
                "case": "huge-case",
                "week": 8,
                "kind": "measurement",
                "measure": "mRSS",
                "value": 99,
                "source": "seed-fixture",
                "verified": False,
            },
        ],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    assert path.stat().st_size >= 50 * 1024 * 1024
    return path


def deeply_nested_json(tmp: Path) -> Path:
    """Valid JSON syntax nested 100,000 deep (json's recursion limit, not a syntax error)."""
    path = tmp / "deep.json"
    path.write_text('{"cases": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    return path


def huge_integer_json(tmp: Path) -> Path:
    """A 5,000-digit integer: over Python's int-from-string limit (4,300 digits)."""
    path = tmp / "bigint.json"
    record = '{"id": "bigint-trial", "n": ' + "9" * 5000 + "}"
    path.write_text('{"trials": [' + record + "]}", encoding="utf-8")
    return path


def csv_nul(tmp: Path) -> Path:
    path = tmp / "nul.csv"
    row = CSV_ROW.format(case="csv-nul", subtype="diffuse")
    path.write_bytes(f"{CSV_HEADER}\n{row}\n".encode().replace(b"A generated", b"A\x00gen"))
    return path


def csv_latin1(tmp: Path) -> Path:
    path = tmp / "latin1.csv"
    row = CSV_ROW.format(case="csv-latin", subtype="diffuse").replace("Some citation", "Café")
    path.write_bytes(f"{CSV_HEADER}\n{row}\n".encode("latin-1"))
    return path


def csv_escapes(tmp: Path) -> Path:
    path = tmp / "escapes.csv"
    row = CSV_ROW.format(case="csv-esc\x1b[2J", subtype="[red]diffuse[/]\x1b[31m")
    path.write_text(f"{CSV_HEADER}\n{row}\n", encoding="utf-8")
    return path


def empty_csv(tmp: Path) -> Path:
    path = tmp / "empty.csv"
    path.write_bytes(b"")
    return path


def directory(tmp: Path) -> Path:
    path = tmp / "a-directory.json"
    path.mkdir()
    return path


def missing(tmp: Path) -> Path:
    return tmp / "does-not-exist.json"


# -- the corpus --------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    name: str
    file: str | Callable[[Path], Path]  # a fixture in tests/fixtures/bad, or a builder
    expect: tuple[str, ...]  # substrings the user needs to see, all required

    def path(self, tmp: Path) -> Path:
        return BAD / self.file if isinstance(self.file, str) else self.file(tmp)


CORPUS = [
    Bad("invalid-json", "invalid_syntax.json", ("line 6", "invalid JSON")),
    Bad("truncated-json", "truncated.json", ("invalid JSON",)),
    Bad("latin1-bytes", latin1_json, ("not UTF-8", "UTF-8")),
    Bad("utf16-file", utf16_json, ("UTF-16", "save it as UTF-8")),
    Bad("bom-plus-invalid", bom_invalid_json, ("line 3", "invalid JSON")),
    Bad("empty-file", "empty.json", ("empty",)),
    Bad("whitespace-only", "whitespace.json", ("empty",)),
    Bad("top-level-array", "top_array.json", ("expected a JSON object", "list")),
    Bad("top-level-string", "top_string.json", ("expected a JSON object", "str")),
    Bad("top-level-number", "top_number.json", ("expected a JSON object", "int")),
    Bad("unknown-top-key", "unknown_top_key.json", ("unknown top-level key 'casez'",)),
    Bad("cases-not-a-list", "cases_not_list.json", ("cases: expected a list", "dict")),
    Bad(
        "missing-required-fields",
        "missing_fields.json",
        ("bare-case", "title: Field required", "subtype: Field required", "therapies: Field"),
    ),
    Bad(
        "wrong-types",
        "wrong_types.json",
        ("typed-trial", "n: ", "'many'", "typed-case", "illustrative", "'maybe'"),
    ),
    Bad("mrss-60", "mrss_60.json", ("case-one-mrss", "mRSS 60", "0–51")),
    Bad("fvc-300", "fvc_300.json", ("alpha-nin-fvc-300", "FVC %pred 300", "10–150")),
    Bad("negative-n", "negative_n.json", ("negative-trial", "n: ", "-5")),
    Bad("unknown-therapy", "unknown_therapy.json", ("unobtanium-case", "'unobtanium'")),
    Bad("unknown-source", "unknown_source.json", ("sourceless-case", "'nowhere-source'")),
    Bad("duplicate-ids", "duplicate_ids.json", ("twin-case", "duplicate id")),
    Bad("event-unknown-case", "event_unknown_case.json", ("ghost-dx", "unknown case 'ghost-case'")),
    Bad("trial-week-negative", "trial_week_negative.json", ("alpha-nin-early", "week", "-3")),
    # Any clear message will do for these two; the contract is exit 2 and no traceback.
    Bad("deeply-nested-json", deeply_nested_json, ()),
    Bad("huge-integer", huge_integer_json, ()),
    Bad(
        "nan-and-infinity",
        "nan_infinity.json",
        ("case-one-nan", "case-one-inf", "case-one-forever"),
    ),
    Bad("huge-50mb", huge_json, ("huge-case-mrss", "mRSS 99")),
    Bad("two-bad-records", "two_bad_records.json", ("first-bad", "'medium'", "second-bad")),
    Bad("rich-and-escapes", "escapes.json", ("subtype",)),
    Bad("csv-missing-column", "csv_missing_column.csv", ("line 1", "missing column", "subtype")),
    Bad("csv-unknown-column", "csv_unknown_column.csv", ("line 1", "unknown column", "colour")),
    Bad("csv-more-values", "csv_extra_values.csv", ("line 3", "more values than columns")),
    Bad("csv-quoted-newlines", "csv_quoted_newline.csv", ("csv-d-mrss", "mRSS 60", "csv-d-late")),
    Bad("csv-illustrative-maybe", "csv_illustrative_maybe.csv", ("illustrative", "'maybe'")),
    Bad("csv-case-conflict", "csv_conflict.csv", ("line 3", "subtype", "differs from line 2")),
    Bad(
        "csv-unknown-therapy",
        "csv_unknown_therapy.csv",
        ("line 2: case csv-h", "'unobtanium'", "line 3: event csv-h-start", "'vaporware'"),
    ),
    Bad("csv-nul-bytes", csv_nul, ("NUL",)),
    Bad("csv-latin1", csv_latin1, ("not UTF-8",)),
    Bad("csv-header-only", "csv_header_only.csv", ("no rows",)),
    Bad("csv-empty", empty_csv, ("empty",)),
    Bad("csv-escapes", csv_escapes, ("line 2", "subtype")),
    Bad("registry-no-protocol", "registry_no_protocol.json", ("protocolSection",)),
    Bad("registry-studies-string", "registry_studies_string.json", ("studies",)),
    Bad("registry-no-nct-id", "registry_no_nct.json", ("nctId", "missing")),
    Bad(
        "registry-study-not-object",
        "registry_study_not_object.json",
        ("studies[0]", "studies[1]", "expected a study object"),
    ),
    Bad("registry-escapes", "registry_escapes.json", ("NCT09999999", "interventions", "Magic")),
    Bad("directory", directory, ("directory",)),
    Bad("nonexistent", missing, ("no such file",)),
]


def check_refused(path: Path, code: int, out: str, err: str, expect: tuple[str, ...]) -> None:
    assert code == EXIT_BAD_INPUT, f"exit {code}; stdout={out!r}; stderr={err!r}"
    assert err.strip(), "no message on stderr"
    assert "Traceback" not in out + err
    assert "\x1b" not in err, f"raw ESC byte reaches the terminal: {err!r}"
    for line in err.splitlines():
        assert line.startswith("sclerotui: "), f"stray stderr line: {line!r}"
        assert path.name in line, f"line does not name the file: {line!r}"
        assert len(line) < 2000, f"line of {len(line)} characters"
    for wanted in expect:
        assert wanted in err, f"{wanted!r} not in stderr:\n{err}"


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_bad_file_is_refused_and_database_untouched(case: Bad, capsys, mini_db, tmp_path):
    path = case.path(tmp_path)
    before = sha(mini_db)
    code, out, err = run(capsys, "--db", mini_db, "import", path)
    check_refused(path, code, out, err, case.expect)
    assert sha(mini_db) == before


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 28
    names = [c.name for c in CORPUS]
    assert len(names) == len(set(names))
    for case in CORPUS:
        if isinstance(case.file, str):
            assert (BAD / case.file).is_file(), case.file


def test_check_mode_refuses_bad_files_too(capsys, mini_db):
    before = sha(mini_db)
    path = BAD / "mrss_60.json"
    code, out, err = run(capsys, "--db", mini_db, "import", path, "--check")
    check_refused(path, code, out, err, ("mRSS 60",))
    assert sha(mini_db) == before


def test_every_problem_of_a_file_is_reported(capsys, mini_db):
    """Both bad records of two_bad_records.json, each on its own line."""
    path = BAD / "two_bad_records.json"
    _, _, err = run(capsys, "--db", mini_db, "import", path)
    lines = err.splitlines()
    assert any("first-bad" in line and "subtype" in line for line in lines), err
    assert any("second-bad" in line and "kind" in line for line in lines), err
    assert not any("fine-case" in line for line in lines), err


def test_missing_fields_are_each_reported(capsys, mini_db):
    path = BAD / "missing_fields.json"
    _, _, err = run(capsys, "--db", mini_db, "import", path)
    for field in ("title", "subtype", "therapies"):
        assert sum(f": {field}: " in line for line in err.splitlines()) == 1, err


def test_csv_line_numbers_are_physical_lines(capsys, mini_db):
    """Rows spanning several physical lines (quoted newlines) do not shift later line numbers.

    The file: header on line 1; csv-d-dx spans lines 2-4; csv-d-mrss spans lines 5-6
    (mRSS 60); csv-d-late is line 7 (week "-"). The reported line of a multi-line row may be
    where it starts or where it ends; as implemented (csv.reader.line_num) it is the END line.
    """
    path = BAD / "csv_quoted_newline.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    _, _, err = run(capsys, "--db", mini_db, "import", path)

    def reported_line(event_id: str) -> int:
        found = [m for m in re.finditer(rf"line (\d+): event {event_id}\b", err)]
        assert found, f"no line number for {event_id}:\n{err}"
        return int(found[0].group(1))

    late = reported_line("csv-d-late")
    assert lines[late - 1].startswith("csv-d,,,,,,,,,,,csv-d-late,"), late
    assert late == 7
    mrss = reported_line("csv-d-mrss")
    start = next(i for i, text in enumerate(lines, 1) if ",csv-d-mrss," in text)
    end = next(i for i, text in enumerate(lines, 1) if text.startswith("over two lines"))
    assert (start, end) == (5, 6)
    assert mrss in (start, end), f"reported line {mrss}, row is lines {start}-{end}"


def test_terminal_escapes_never_reach_stderr(capsys, mini_db, tmp_path):
    """Ids and values carrying ESC (or newlines) are shown escaped, one line per problem."""
    for path in (BAD / "escapes.json", csv_escapes(tmp_path), BAD / "registry_escapes.json"):
        _, _, err = run(capsys, "--db", mini_db, "import", path)
        assert "\x1b" not in err and "\x07" not in err, repr(err)
        assert all(line.startswith("sclerotui: ") for line in err.splitlines()), repr(err)


def test_good_file_imports(capsys, mini_db):
    code, out, err = run(capsys, "--db", mini_db, "import", GOOD_JSON)
    assert code == EXIT_OK, err
    assert "Traceback" not in out + err


def test_bom_on_a_valid_file_is_accepted(capsys, mini_db, tmp_path):
    path = tmp_path / "bom_good.json"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD_JSON.read_bytes())
    code, _, err = run(capsys, "--db", mini_db, "import", path)
    assert code == EXIT_OK, err


def test_bom_on_a_valid_csv_is_accepted(capsys, mini_db, tmp_path):
    path = tmp_path / "bom_good.csv"
    row = CSV_ROW.format(case="csv-bom", subtype="diffuse")
    path.write_bytes(b"\xef\xbb\xbf" + f"{CSV_HEADER}\n{row}\n".encode())
    code, _, err = run(capsys, "--db", mini_db, "import", path)
    assert code == EXIT_OK, err


def test_check_on_a_good_file_writes_nothing(capsys, mini_db):
    before = sha(mini_db)
    code, out, err = run(capsys, "--db", mini_db, "import", GOOD_JSON, "--check")
    assert code == EXIT_OK, err
    assert "nothing written" in out
    assert sha(mini_db) == before


def test_good_and_bad_file_together_write_nothing(capsys, mini_db):
    before = sha(mini_db)
    bad = BAD / "unknown_therapy.json"
    code, out, err = run(capsys, "--db", mini_db, "import", GOOD_JSON, bad)
    check_refused(bad, code, out, err, ("'unobtanium'",))
    assert sha(mini_db) == before
    # The good file alone still imports: nothing of it was half-written before.
    assert run(capsys, "--db", mini_db, "import", GOOD_JSON)[0] == EXIT_OK


def test_all_bad_files_of_a_batch_are_reported(capsys, mini_db):
    first, second = BAD / "mrss_60.json", BAD / "csv_illustrative_maybe.csv"
    before = sha(mini_db)
    code, _, err = run(capsys, "--db", mini_db, "import", first, second)
    assert code == EXIT_BAD_INPUT
    assert first.name in err and second.name in err
    assert sha(mini_db) == before


def test_real_process_exits_2_without_traceback(mini_db):
    bad = BAD / "invalid_syntax.json"
    before = sha(mini_db)
    result = subprocess.run(
        [sys.executable, "-m", "sclerotui", "--db", str(mini_db), "import", str(bad)],
        capture_output=True,
        text=True,
        timeout=180,  # a ceiling for a stuck process; a busy machine is only slower
    )
    assert result.returncode == EXIT_BAD_INPUT, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.startswith("sclerotui: ") and bad.name in result.stderr
    assert sha(mini_db) == before
