"""Reading source files: every failure becomes a DataError naming file, line or record."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import MINI_JSON

from sclerotui.dataset import (
    dataset_files,
    fingerprint,
    load_directory,
    load_vocabularies,
    parse_dataset,
    read_json,
)
from sclerotui.models import DataError


def data_error(call, *args) -> list[str]:
    with pytest.raises(DataError) as caught:
        call(*args)
    return caught.value.problems


def test_read_json_empty_file(tmp_path):
    path = tmp_path / "empty.json"
    path.write_bytes(b"  \n")
    assert data_error(read_json, path) == [f"{path}: the file is empty"]


def test_read_json_missing_file(tmp_path):
    path = tmp_path / "gone.json"
    [problem] = data_error(read_json, path)
    assert problem.startswith(f"{path}: cannot read: ")


def test_read_json_accepts_utf8_bom(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"therapies": []}).encode())
    assert read_json(path) == {"therapies": []}


def test_read_json_invalid_json_gives_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "therapies": [\n    {"id": "x",}\n  ]\n}\n', encoding="utf-8")
    [problem] = data_error(read_json, path)
    assert problem.startswith(f"{path}: line 3, column 16: invalid JSON: ")


def test_read_json_not_utf8(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"cases": ["Sjögren"]}'.encode("latin-1"))
    assert data_error(read_json, path) == [f"{path}: not UTF-8 text (byte 14); save it as UTF-8"]


def test_parse_dataset_wrong_top_level_shape():
    [problem] = data_error(parse_dataset, [{"id": "x"}], "list.json")
    assert problem.startswith("list.json: expected a JSON object")
    assert problem.endswith("got list")


def test_parse_dataset_unknown_top_level_key():
    assert data_error(parse_dataset, {"therapys": []}, "typo.json") == [
        "typo.json: unknown top-level key 'therapys'"
    ]


def test_parse_dataset_section_not_a_list():
    assert data_error(parse_dataset, {"cases": {"id": "x"}}, "f.json") == [
        "f.json: cases: expected a list, got dict"
    ]


def test_parse_dataset_reports_every_bad_record():
    raw = json.loads(MINI_JSON.read_text(encoding="utf-8"))
    raw["trials"][0]["n"] = -3
    raw["events"][0]["value"] = 400  # FVC %pred
    raw["cases"][1]["subtype"] = "mixed"
    raw["extra"] = []
    problems = data_error(parse_dataset, raw, "mini.json")
    assert len(problems) == 4
    assert "mini.json: unknown top-level key 'extra'" in problems
    assert any(p.startswith("mini.json: trials[0] (alpha): n: ") for p in problems)
    assert any(
        p.startswith("mini.json: events[0] (alpha-nin-fvc-0): value: FVC %pred 400")
        for p in problems
    )
    assert any(p.startswith("mini.json: cases[1] (case-two): subtype: ") for p in problems)


def test_parse_dataset_labels_records_without_id():
    [problem] = data_error(parse_dataset, {"therapies": ["cyclophosphamide"]}, "f.json")
    assert problem.startswith("f.json: therapies[0]: ")


def test_parse_dataset_mini(mini_dataset):
    counts = {key: len(getattr(mini_dataset, key)) for key in type(mini_dataset).model_fields}
    assert counts == {"sources": 4, "therapies": 6, "trials": 3, "cases": 4, "events": 11}
    # Control characters in text survive parsing untouched; showing them safely is the UI's job.
    hostile = next(c for c in mini_dataset.cases if c.id == "case-four")
    assert "\x1b[2J" in hostile.title


def split_mini(directory):
    """The mini dataset split over two files in a nested layout, plus noise to ignore."""
    raw = json.loads(MINI_JSON.read_text(encoding="utf-8"))
    (directory / "cases").mkdir(parents=True)
    (directory / "examples").mkdir()
    rest = {key: value for key, value in raw.items() if key not in ("cases", "events")}
    (directory / "therapies.json").write_text(json.dumps(rest), encoding="utf-8")
    cases = {"cases": raw["cases"], "events": raw["events"]}
    (directory / "cases" / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    (directory / "vocabularies.json").write_text('{"organ": {}}', encoding="utf-8")
    (directory / "examples" / "broken.json").write_text("not json", encoding="utf-8")


def test_load_directory_merges_files_and_skips_examples(tmp_path):
    split_mini(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in dataset_files(tmp_path)] == [
        "cases/cases.json",
        "therapies.json",
    ]
    data = load_directory(tmp_path)
    assert len(data.cases) == 4 and len(data.events) == 11 and len(data.therapies) == 6
    assert load_vocabularies(tmp_path) == {"organ": {}}


def test_load_directory_cross_checks_between_files(tmp_path):
    split_mini(tmp_path)
    path = tmp_path / "cases" / "cases.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["cases"][0]["therapies"][0]["therapy"] = "unobtainium"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert data_error(load_directory, tmp_path) == [
        "case case-one: therapies[0]: unknown therapy id 'unobtainium'"
    ]


def test_load_directory_reports_problems_of_every_file(tmp_path):
    split_mini(tmp_path)
    (tmp_path / "therapies.json").write_text("[]", encoding="utf-8")
    (tmp_path / "cases" / "cases.json").write_bytes(b"")
    problems = data_error(load_directory, tmp_path)
    assert len(problems) == 2
    assert problems[0].endswith("cases.json: the file is empty")
    assert problems[1].startswith("therapies.json: expected a JSON object")


def test_fingerprint_changes_with_content(tmp_path):
    shutil.copy(MINI_JSON, tmp_path / "mini.json")
    first = fingerprint(tmp_path)
    assert first == fingerprint(tmp_path)
    (tmp_path / "vocabularies.json").write_text("{}", encoding="utf-8")
    assert fingerprint(tmp_path) == first  # vocabularies are not dataset files
    (tmp_path / "mini.json").write_text('{"therapies": []}', encoding="utf-8")
    assert fingerprint(tmp_path) != first


def test_load_directory_refuses_missing_or_empty_directory(tmp_path):
    assert data_error(load_directory, tmp_path / "typo") == [
        f"{tmp_path / 'typo'}: no such directory"
    ]
    (tmp_path / "vocabularies.json").write_text("{}", encoding="utf-8")
    assert data_error(load_directory, tmp_path) == [f"{tmp_path}: no dataset files (*.json) in it"]
