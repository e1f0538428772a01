"""Importing files into a database: every file validated, all of them written or none."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from sclerotui.importers import LoadedFile, load
from sclerotui.models import DataError, Dataset, KnownIds, Therapy, validate_dataset
from sclerotui.store import Store


@dataclass
class FileSummary:
    """What one file brought, kept for the report once its records are written and let go."""

    path: Path
    format: str
    counts: dict[str, int]
    notes: list[str]

    @classmethod
    def of(cls, loaded: LoadedFile) -> FileSummary:
        data = loaded.dataset
        counts = {
            "therapies": len(data.therapies),
            "trials": len(data.trials),
            "cases": len(data.cases),
            "events": len(data.events),
            "sources": len(data.sources),
        }
        return cls(loaded.path, loaded.format, counts, loaded.notes)


@dataclass
class ImportReport:
    files: list[FileSummary] = field(default_factory=list)
    written: bool = False

    def lines(self) -> list[str]:
        out = []
        for summary in self.files:
            counted = ", ".join(f"{number} {name}" for name, number in summary.counts.items())
            out.append(f"{summary.path}: {summary.format}: {counted}")
            out += [f"{summary.path}: note: {note}" for note in summary.notes]
        return out


def import_files(
    store: Store, paths: list[Path], check: bool = False, replace: bool = False
) -> ImportReport:
    """Load and validate every file and (unless check) write them, in one transaction.

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
    """Each file is checked, then written at once and let go, so an import holds one file's
    records at a time. Every write is part of one transaction, rolled back if any file of the
    batch has a problem: the database gets all the files or none of them."""
    therapies: list[Therapy] = store.therapy_records()
    known = store.known_ids()
    report = ImportReport()
    problems: list[str] = []
    brought: dict[str, str] = {}  # "case x" -> the file of this batch that brings it
    # One transaction for the whole batch; none when only checking.
    with nullcontext() if check else store.transaction():
        for path in paths:
            try:
                loaded = load(path, therapies)
            except DataError as error:
                problems += error.problems
                continue
            data = loaded.dataset
            problems += [loaded.locate(problem) for problem in validate_dataset(data, known)]
            problems += [loaded.locate(problem) for problem in store.registry_clashes(data)]
            problems += _clashes(store, path, data, brought, replace, bool(report.files))
            # Later files of the batch may refer to what earlier ones bring.
            known.add(KnownIds.of(data))
            therapies += data.therapies
            report.files.append(FileSummary.of(loaded))
            if not problems and not check:
                store.import_file(data, path.name, _sha256(path), replace, checked=True)
            del loaded, data  # this file's records go before the next file is read
        if problems:
            raise DataError(problems)  # the batch's transaction is rolled back
    report.written = not check
    return report


def _clashes(
    store: Store, path: Path, data: Dataset, brought: dict[str, str], replace: bool, earlier: bool
) -> list[str]:
    """Records another file of the same import brings too (refused even with --replace: which
    one would win?), then records the database holds (unless replacing). Records are
    "case x", as `Store.existing` names them; `earlier` says files came before this one."""
    problems = []
    labels = [f"{kind} {record.id}" for kind, records in _records(data) for record in records]
    twice = [label for label in labels if label in brought]
    if twice:
        shown = ", ".join(f"{label} (in {brought[label]})" for label in twice[:10])
        problems.append(f"{path}: also in another file of this import: {_more(shown, twice)}")
    brought.update((label, path.name) for label in labels)
    if not replace:
        # The batch's earlier files may be in the database by now: what is named above (and
        # the events of those records) is not named again.
        named = set(twice)
        if named:
            named |= {
                f"event {event.id}"
                for event in data.events
                if f"case {event.case}" in named or f"trial {event.trial}" in named
            }
        clashes = [label for label in store.existing(data) if label not in named]
        if clashes:
            where = "in the database"
            if earlier:
                where += " or an earlier file of this import"
            problems.append(
                f"{path}: already {where}: {_more(', '.join(clashes[:10]), clashes)} "
                "(use --replace to update them)"
            )
    return problems


def _records(data: Dataset) -> list[tuple[str, list]]:
    """The records a file brings by id (events are many, and belong to one of these)."""
    return [("therapy", data.therapies), ("trial", data.trials), ("case", data.cases)]


def _more(shown: str, all_of: list) -> str:
    return shown + (" …" if len(all_of) > 10 else "")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
