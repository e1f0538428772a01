"""Reading files to import: our JSON, spreadsheet CSV, and ClinicalTrials.gov study records.

Each format module turns one file into a Dataset, reporting every problem it finds at once
(file, record, field, value) as a DataError. `load` picks the format; the store does the
all-or-nothing write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sclerotui.models import DataError, Dataset, Therapy

MAX_FILE_BYTES = 200 * 1024 * 1024


@dataclass
class LoadedFile:
    path: Path
    format: str  # "json", "csv" or "registry"
    dataset: Dataset
    notes: list[str] = field(default_factory=list)  # reported, not errors (e.g. skipped studies)
    locations: dict[str, int] = field(default_factory=dict)  # "case x" -> CSV line it starts on

    def locate(self, problem: str) -> str:
        """Prefix a cross-record problem ("case x: …") with the CSV line of that record."""
        label = problem.split(":", 1)[0]
        line = self.locations.get(label)
        return f"{self.path}: line {line}: {problem}" if line else f"{self.path}: {problem}"


def detect_format(path: Path, data: object | None) -> str:
    if path.suffix.lower() in (".csv", ".tsv"):
        return "csv"
    if isinstance(data, dict) and ("protocolSection" in data or "studies" in data):
        return "registry"
    return "json"


def load(path: Path, therapies: list[Therapy]) -> LoadedFile:
    """Read and validate one file; raises DataError listing every problem in it."""
    from sclerotui.dataset import read_json

    if path.is_dir():
        raise DataError([f"{path}: is a directory, not a file"])
    if not path.exists():
        raise DataError([f"{path}: no such file"])
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DataError(
            [
                f"{path}: {size:,} bytes is larger than the {MAX_FILE_BYTES:,} "
                "bytes an import may be; split it"
            ]
        )
    if detect_format(path, None) == "csv":
        from sclerotui.importers.csv_cases import parse_csv

        dataset, notes, locations = parse_csv(path)
        return LoadedFile(path, "csv", dataset, notes, locations)
    data = read_json(path)
    if detect_format(path, data) == "registry":
        from sclerotui.importers.registry import parse_registry

        dataset, notes = parse_registry(data, str(path), therapies)
        return LoadedFile(path, "registry", dataset, notes)
    from sclerotui.dataset import parse_dataset

    return LoadedFile(path, "json", parse_dataset(data, str(path)))
