"""The forest plot and the summary of findings in Markdown (the screens' `e`, and `sclerotui
export --forest / --summary`): checked against golden files, record text escaped, no pooled
estimate. Set SCLEROTUI_UPDATE_GOLDEN=1 to rewrite the golden files, then read the diff."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from evidence_fixture import build_evidence_db
from markdown_it import MarkdownIt

from sclerotui.cli import EXIT_BAD_INPUT, EXIT_OK, main
from sclerotui.evidence import NO_POOLING, WINDOWS, outcomes, summary
from sclerotui.export import forest_markdown, summary_markdown
from sclerotui.facets import Criteria
from sclerotui.models import Dataset
from sclerotui.store import Store

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
NOW = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)
STAMP = "2025-01-02 03:04 UTC"


@pytest.fixture(scope="module")
def evidence_db(tmp_path_factory) -> Path:
    return build_evidence_db(tmp_path_factory.mktemp("evidence-exports") / "e.db")


def outcome(store: Store, label: str):
    (found,) = [o for o in outcomes(store) if o.label == label]
    return found


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SCLEROTUI_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"differs from {path}"


def test_forest_of_a_difference_with_filters(evidence_db):
    with Store(evidence_db, read_only=True) as store:
        text = forest_markdown(
            store,
            outcome(store, "mRSS — difference, units"),
            WINDOWS[0],
            Criteria(subtype=frozenset({"diffuse"})),
            "Rituximab",
            now=NOW,
        )
    check_golden("forest-mrss-diffuse.md", text)


def test_forest_of_a_ratio_on_a_log_axis(evidence_db):
    with Store(evidence_db, read_only=True) as store:
        text = forest_markdown(
            store, outcome(store, "Event-free survival — HR"), WINDOWS[0], now=NOW
        )
    check_golden("forest-event-free-survival.md", text)


def test_summary_of_findings(evidence_db):
    with Store(evidence_db, read_only=True) as store:
        rows, left_out = summary(store, "rituximab")
        text = summary_markdown(store, "Rituximab", rows, left_out, now=NOW)
    check_golden("summary-rituximab.md", text)


def test_every_export_says_there_is_no_pooled_estimate_and_marks_unverified(evidence_db):
    with Store(evidence_db, read_only=True) as store:
        rows, left_out = summary(store, "rituximab")
        texts = [
            forest_markdown(store, outcome(store, "mRSS — difference, units"), WINDOWS[0]),
            summary_markdown(store, "Rituximab", rows, left_out),
        ]
    for text in texts:
        assert f"\n{NO_POOLING}\n" in text
        assert "diamond" not in text.replace(NO_POOLING, "")
        (unverified,) = [line for line in text.splitlines() if "| FX-B |" in line]
        assert "| **unverified** |" in unverified


def test_an_empty_window_says_so(evidence_db):
    with Store(evidence_db, read_only=True) as store:
        text = forest_markdown(store, outcome(store, "mRSS — difference, units"), WINDOWS[3])
    assert "- Comparisons: 0" in text
    assert "No comparison with numbers in this timepoint window." in text
    assert "```" not in text and "## References" not in text


HOSTILE_NAME = "<script>alert(1)</script> | [x](javascript:alert(1)) **bold** `code`"
HOSTILE_ARM = "![](http://evil.example/t.png) \x1b[2J"


@pytest.fixture(scope="module")
def hostile_evidence_db(tmp_path_factory) -> Path:
    path = build_evidence_db(tmp_path_factory.mktemp("hostile-evidence") / "h.db")
    trial = {
        "id": "fx-hostile",
        "name": HOSTILE_NAME,
        "acronym": HOSTILE_NAME,
        "design": "Fixture",
        "evidence_type": "rct",
        "population": "Fixture",
        "therapies": ["rituximab"],
        "arms": [
            {"id": "drug", "name": HOSTILE_ARM, "therapy": "rituximab", "intervention": "x"},
            {"id": "control", "name": "&amp; <b>", "intervention": "y"},
        ],
        "results": "Fixture.",
        "findings": [
            {
                "measure": "mRSS",
                "estimate": -1,
                "ci_low": -2,
                "ci_high": 0.5,
                "scale": "difference",
                "intervention_arm": "drug",
                "comparator_arm": "control",
                "subgroup": "~~struck~~ | $math$",
                "source": "seed-fixture",
                "verified": False,
            }
        ],
        "sources": ["seed-fixture"],
        "verified": False,
    }
    with Store(path) as store:
        store.write_dataset(Dataset.model_validate({"trials": [trial]}), "bundled")
    return path


def test_record_text_in_these_exports_is_shown_never_obeyed(hostile_evidence_db):
    with Store(hostile_evidence_db, read_only=True) as store:
        rows, left_out = summary(store, "rituximab")
        texts = [
            forest_markdown(store, outcome(store, "mRSS — difference, units"), WINDOWS[0]),
            summary_markdown(store, "Rituximab", rows, left_out),
        ]
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    for text in texts:
        assert "\x1b" not in text
        found = parser.parse(text)
        kinds = {t.type for t in found}
        for inline in (t for t in found if t.type == "inline"):
            children = inline.children or []
            kinds |= {child.type for child in children}
            for index, child in enumerate(children):
                if child.type in ("strong_open", "em_open"):
                    ours = children[index + 1].content
                    assert ours == "unverified" or ours.startswith("Exported from"), ours
        forbidden = {"html_block", "html_inline", "link_open", "image", "code_inline", "s_open"}
        assert not kinds & forbidden, kinds
        cells = [
            "".join(c.content for c in t.children if c.type == "text")
            for t in found
            if t.type == "inline"
        ]
        row = next(c for c in cells if c.startswith("<script>"))
        assert row == HOSTILE_NAME  # the whole name in its one cell, as typed
        assert any(c.startswith("![](http://evil.example/t.png) ␛[2J vs &amp; <b>") for c in cells)
        for fence in (t for t in found if t.type == "fence"):  # only the drawing: no record text
            *drawn, favours = fence.content.splitlines()
            assert all(re.fullmatch(r" +[0-9]+  [ ├┤─┼│■□?]+", line) for line in drawn)
            assert favours.strip().startswith(("← favours", "which side favours"))


# -- the command line ----------------------------------------------------------------------


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def without_stamp(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "Exported from sclerotui" not in line)


def test_cli_forest_is_the_screens_export(capsys, evidence_db):
    code, out, err = run(
        capsys, "--db", evidence_db, "export", "--forest", "MRSS", "--window", "about-52"
    )
    assert (code, err) == (EXIT_OK, "")
    with Store(evidence_db, read_only=True) as store:
        same = forest_markdown(store, outcome(store, "mRSS — difference, units"), WINDOWS[2])
    assert without_stamp(out) == without_stamp(same)
    assert "- Timepoints: about 52 weeks (40–64)" in out and "| FX-A |" not in out


def test_cli_forest_with_filters_and_one_plot_per_scale(capsys, evidence_db):
    code, out, _ = run(capsys, "--db", evidence_db, "export", "--forest", "mrss", "subtype:limited")
    assert code == EXIT_OK
    assert "- Filters: subtype:limited" in out
    assert [line for line in out.splitlines() if line.startswith("| 2 | FX-B |")][0].endswith(
        "| **unverified** | yes | [1] |"
    )
    code, out, _ = run(capsys, "--db", evidence_db, "export", "--forest", "FVC %pred")
    assert out.count("# Forest plot: ") == 1 and "# Forest plot: FVC %pred — OR" in out


def test_cli_summary_by_name_or_id_to_a_private_file(capsys, evidence_db, tmp_path):
    target = tmp_path / "summary.md"
    code, _, err = run(
        capsys, "--db", evidence_db, "export", "--summary", "RITUXIMAB", "-o", target
    )
    assert code == EXIT_OK and err == f"wrote {target}\n"
    text = target.read_text()
    assert text.startswith("# Summary of findings: Rituximab\n")
    assert target.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--forest", "nope"], "sclerotui: --forest: no trial effect given as numbers for 'nope'"),
        (["--forest", "mRSS", "--format", "json"], "sclerotui: --forest writes Markdown"),
        (["--forest", "mRSS", "rituximab"], "sclerotui: --forest takes filters"),
        (["--summary", "nobody"], "sclerotui: --summary: no therapy 'nobody' in this database"),
        (["--summary", "rituximab", "organ:lung"], "sclerotui: --summary takes a therapy"),
        (["--window", "about-52"], "sclerotui: --window goes with --forest"),
    ],
)
def test_cli_bad_requests_are_one_line(capsys, evidence_db, argv, message):
    code, out, err = run(capsys, "--db", evidence_db, "export", *argv)
    assert code == EXIT_BAD_INPUT and out == ""
    assert err.startswith(message) and err.count("\n") == 1


def test_export_help_documents_the_views_with_examples(capsys):
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    out = capsys.readouterr().out
    assert 'sclerotui export --forest "FVC mL" -o fvc-forest.md' in out
    assert "sclerotui export --summary nintedanib -o nintedanib-summary.md" in out
    assert "--window {all,up-to-26,about-52,after-64}" in out
