"""Importing files into a database: validate everything first, then write all or nothing."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sclerotui.importers import LoadedFile, load
from sclerotui.models import DataError, KnownIds, Therapy, validate_dataset
from sclerotui.store import Store


@dataclass
class ImportReport:
    files: list[LoadedFile] = field(default_factory=list)
    written: bool = False

    def lines(self) -> list[str]:
        out = []
        for loaded in self.files:
            data = loaded.dataset
            out.append(
                f"{loaded.path}: {loaded.format}: {len(data.therapies)} therapies, "
                f"{len(data.trials)} trials, {len(data.cases)} cases, "
                f"{len(data.events)} events, {len(data.sources)} sources"
            )
            out += [f"{loaded.path}: note: {note}" for note in loaded.notes]
        return out


def import_files(
    store: Store, paths: list[Path], check: bool = False, replace: bool = False
) -> ImportReport:
    """Load and validate every file, then (unless check) write them in one transaction.

    Raises DataError with every problem of every file; the database is then untouched.
    """
    with collector_paused():
        return _import_files(store, paths, check, replace)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while files load: an import holds millions of new objects
    (parsed JSON, models, rows), none in cycles, and the collector kept walking all of them;
    15% of an import of 30k cases. Nothing is lost: what it would find, it finds afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import_files(store: Store, paths: list[Path], check: bool, replace: bool) -> ImportReport:
    therapies: list[Therapy] = store.therapy_records()
    known = store.known_ids()
    report = ImportReport()
    problems: list[str] = []
    for path in paths:
        try:
            loaded = load(path, therapies)
        except DataError as error:
            problems += error.problems
            continue
        data = loaded.dataset
        problems += [loaded.locate(problem) for problem in validate_dataset(data, known)]
        problems += [loaded.locate(problem) for problem in store.registry_clashes(data)]
        if not replace and (clashes := store.existing(data)):
            shown = ", ".join(clashes[:10]) + (" …" if len(clashes) > 10 else "")
            problems.append(
                f"{path}: already in the database: {shown} (use --replace to update them)"
            )
        # Later files of the batch may refer to what earlier ones bring.
        batch_ids = KnownIds.of(data)
        known.sources |= batch_ids.sources
        known.therapies |= batch_ids.therapies
        known.cases |= batch_ids.cases
        known.arms |= batch_ids.arms
        therapies += data.therapies
        report.files.append(loaded)
    if problems:
        raise DataError(problems)
    if not check:
        batch = [(f.dataset, f.path.name, _sha256(f.path)) for f in report.files]
        store.import_batch(batch, replace=replace)
        report.written = True
    return report


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
