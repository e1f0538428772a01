"""The Markdown dossier is for colleagues: numbered references to clean citations, no source
keys or research notes, weeks as written, and every unverified figure marked, plots too."""

from __future__ import annotations

import re

import pytest

from sclerotui.dataset import bundled_dir, load_directory
from sclerotui.export import note_text, to_markdown, without_marks


@pytest.fixture(scope="module")
def bundled():
    return load_directory(bundled_dir())


@pytest.fixture(scope="module")
def dossier(bundled) -> str:
    order = [f"trial:{t.id}" for t in bundled.trials] + [f"case:{c.id}" for c in bundled.cases]
    order += [f"therapy:{t.id}" for t in bundled.therapies]
    return to_markdown(bundled, order, "all records")


def section(markdown: str, heading: str) -> str:
    start = markdown.index(f"## {heading}")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end > 0 else None]


def references(markdown: str) -> dict[str, str]:
    listed = section(markdown, "References")
    return dict(re.findall(r"^- (\[[0-9]+\]) (.*)$", listed, re.M))


def test_sources_are_numbered_references_listed_once_at_the_end(bundled, dossier):
    refs = references(dossier)
    body = dossier[: dossier.index("## References")]
    cited = set(re.findall(r"\[[0-9]+\]", body))
    assert cited == set(refs) and len(refs) == len(cited)
    assert dossier.rstrip().splitlines()[-1].startswith(f"- [{len(refs)}] ")
    for source in bundled.sources:  # internal keys such as cite-tashkin-2016 never show
        assert not re.search(rf"(?<![\w-]){re.escape(source.id)}(?![\w-])", dossier), source.id
    assert "NCT NCT" not in dossier
    assert "ClinicalTrials.gov: NCT02597933." in references(dossier).values()


def test_research_notes_are_left_out(dossier):
    for note in ("[V", "[U]", "mirror", "third-party", "verified via"):
        assert note not in dossier, note


def test_a_note_keeps_its_words_and_an_unverified_mark():
    assert note_text("Baseline mean FVC [V]") == "Baseline mean FVC"
    assert without_marks("NCT02165111 [V2 match]. Subset [V/U]. Age [V title/authors].") == (
        "NCT02165111. Subset. Age."
    )
    assert note_text("Change at 24 weeks [U] not seen in stored text") == (
        "Change at 24 weeks (unverified)"
    )
    assert note_text("[V2] ERR review table (mean ± SE −1.0 ± 0.9)") == ""
    assert without_marks("Well tolerated [V]. Deaths 5/69 [V2, ERR review table].") == (
        "Well tolerated. Deaths 5/69."
    )
    assert without_marks("Rare events [U].") == "Rare events (unverified)."
    assert without_marks(
        "PMID 27 (PubMed mirror), DOI 10.1/x. Dosing from registry mirror (meddatax). n=8."
    ) == ("PMID 27, DOI 10.1/x. n=8.")


def test_each_figure_traces_to_the_publication_it_was_read_in(dossier):
    senscis = section(dossier, "Trial: SENSCIS (")
    row = next(
        line for line in senscis.splitlines() if line.startswith("| FVC mL | Nintedanib | 52 |")
    )
    assert "| -52.4 mL/year |" in row and "| **unverified** |" in row
    number = re.search(r"\| (\[[0-9]+\]) \|$", row).group(1)
    assert references(dossier)[number].startswith("Distler O et al. N Engl J Med 2019.")
    timeline = next(line for line in senscis.splitlines() if "-52.4 mL/year **unverified**" in line)
    assert timeline.endswith(f"| {number} |")


def test_weeks_are_written_as_whole_numbers(dossier):
    assert not re.search(r"\| -?[0-9]+\.0 \|", dossier)
    assert "| Event-free survival | between arms | 104 | — |" in dossier


@pytest.mark.parametrize(
    ("trial", "values"),
    [
        ("SENSCIS", ["▲ Nintedanib: week 52: -52.4 **unverified**"]),
        ("DESIRES", ["▲ Placebo: week 24: 2.14 **unverified**"]),
        (
            "DUAL-2",
            [
                "▲ Macitentan 10 mg: week 16: 1.42 **unverified**",
                "■ Placebo: week 16: 1.21 **unverified**",
            ],
        ),
    ],
)
def test_text_plots_mark_their_unverified_values(dossier, trial, values):
    text = section(dossier, f"Trial: {trial} (")
    plots = re.split(r"\n(?=[^\n|#-][^\n]*\): [●▲■◆○△□◇] )", text)  # a plot's legend opens it
    for value in values:
        (plot,) = [p for p in plots if f"- {value}" in p]
        assert "**Includes unverified values**, marked in the values below the plot." in plot
