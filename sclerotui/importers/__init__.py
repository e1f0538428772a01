"""Reading files to import: our JSON, spreadsheet CSV, and ClinicalTrials.gov study records.

Each format module turns one file into a Dataset, reporting every problem it finds at once
(file, record, field, value) as a DataError. `load` picks the format; the store does the
all-or-nothing write.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sclerotui.models import DataError, Dataset, Therapy
from sclerotui.origin import import_origin

MAX_FILE_BYTES = 200 * 1024 * 1024


@dataclass
class LoadedFile:
    path: Path
    format: str  # "json", "csv" or "registry"
    dataset: Dataset
    notes: list[str] = field(default_factory=list)  # reported, not errors (e.g. skipped studies)
    locations: dict[str, int] = field(default_factory=dict)  # "case x" -> CSV line it starts on
    origin: str = ""  # how its records came (origin.import_origin): the file's name, or a pipe
    sha256: str = ""  # of the bytes read
    in_parts: bool = False  # one part of a big file (`load_parts`)

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


def load(
    path: Path,
    therapies: list[Therapy],
    trial_ids: dict[str, str] | None = None,
    skip_unmatched: bool = False,
) -> LoadedFile:
    """Read and validate one file; raises DataError listing every problem in it.

    `trial_ids` are the trials the database holds by registry id: a registry study one of
    them records keeps that trial's id (so that --replace updates it). `skip_unmatched`:
    see `parse_registry`."""
    status = _status(path)
    regular = stat.S_ISREG(status.st_mode)
    origin = _origin(path, status)
    if detect_format(path, None) == "csv":
        if not regular:
            raise DataError([f"{path}: {_kind(status)}; a CSV file is read from a regular file"])
        from sclerotui.importers.csv_cases import parse_csv

        _check_size(path, status.st_size)
        dataset, notes, locations = parse_csv(path)
        return LoadedFile(path, "csv", dataset, notes, locations, origin, _file_sha256(path))
    raw = read_input(path, status)
    digest = hashlib.sha256(raw).hexdigest()
    if not raw and not regular:
        raise DataError([f"{path}: {_kind(status)} and nothing was written to it"])
    from sclerotui.dataset import parse_json

    data = parse_json(raw, path)
    del raw
    if detect_format(path, data) == "registry":
        from sclerotui.importers.registry import parse_registry

        dataset, notes = parse_registry(data, str(path), therapies, trial_ids, skip_unmatched)
        return LoadedFile(path, "registry", dataset, notes, {}, origin, digest)
    from sclerotui.dataset import parse_dataset

    return LoadedFile(path, "json", parse_dataset(data, str(path)), [], {}, origin, digest)


def _status(path: Path) -> os.stat_result:
    """The file's status, or a DataError saying why it cannot be read. Only regular files
    and pipes are read: a device never ends (/dev/zero) and a socket is not a file."""
    try:
        status = path.stat()
    except FileNotFoundError:
        raise DataError([f"{path}: no such file"]) from None
    except PermissionError:
        raise DataError(
            [f"{path}: cannot read: permission denied (on the file or a directory on its path)"]
        ) from None
    except OSError as error:
        raise DataError([f"{path}: cannot read: {error.strerror or error}"]) from None
    mode = status.st_mode
    if stat.S_ISDIR(mode):
        raise DataError([f"{path}: is a directory, not a file"])
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise DataError([f"{path}: {_kind(status)}, not a file; import a saved file"])
    if stat.S_ISREG(mode):
        _check_size(path, status.st_size)
    return status


def _kind(status: os.stat_result) -> str:
    mode = status.st_mode
    if stat.S_ISFIFO(mode):
        return "is a pipe"
    if stat.S_ISCHR(mode):
        return "is a device (or a terminal)"
    if stat.S_ISBLK(mode):
        return "is a block device"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    return "is not a regular file"


def _check_size(path: Path, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise DataError(
            [
                f"{path}: {size:,} bytes is larger than the {MAX_FILE_BYTES:,} "
                "bytes an import may be; split it"
            ]
        )


def read_input(path: Path, status: os.stat_result) -> bytes:
    """The file's bytes, at most MAX_FILE_BYTES of them, whatever it is.

    A pipe is opened without waiting for a writer: a named pipe nobody writes to reads as
    empty at once, rather than blocking the import for ever."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    if stat.S_ISFIFO(status.st_mode):
        flags |= os.O_NONBLOCK
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise DataError([f"{path}: cannot read: {error.strerror or error}"]) from None
    try:
        if flags & os.O_NONBLOCK:
            os.set_blocking(descriptor, True)  # a writer, if any, is now waited for
        parts, size = [], 0
        while size <= MAX_FILE_BYTES:
            try:
                block = os.read(descriptor, min(1 << 20, MAX_FILE_BYTES + 1 - size))
            except OSError as error:
                if error.errno == errno.EINTR:
                    continue
                raise DataError([f"{path}: cannot read: {error.strerror or error}"]) from None
            if not block:
                break
            parts.append(block)
            size += len(block)
    finally:
        os.close(descriptor)
    if size > MAX_FILE_BYTES:
        raise DataError(
            [
                f"{path}: more than the {MAX_FILE_BYTES:,} bytes an import may be "
                "(read so far); split it"
            ]
        )
    return b"".join(parts)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        raise DataError([f"{path}: cannot read: {error.strerror or error}"]) from None
    return digest.hexdigest()


def _origin(path: Path, status: os.stat_result) -> str:
    """What the records' origin says: the file's name, "standard input", or a pipe."""
    if str(path) in ("-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"):
        return import_origin("", "stdin")
    if stat.S_ISFIFO(status.st_mode):
        # /dev/fd/63 (a shell's <(…)) names nothing the user would know again.
        anonymous = str(path).startswith(("/dev/fd/", "/proc/"))
        return import_origin("" if anonymous else path.name, "pipe")
    return import_origin(path.name)


# -- large files of our JSON, read in parts -------------------------------------------------

# A JSON file of our format at least this big is read a part at a time (`load_parts`) rather
# than whole: its records are checked and written part by part in the import's transaction,
# so memory stays that of a part however big the file (an export of 100,000 cases is 700 MB).
STREAM_BYTES = 32 * 1024 * 1024
PART_RECORDS = 20_000  # records per part (about 40 MB of models at their largest)
MAX_PROBLEMS = 1_000  # listed of a file read in parts; the rest are counted


def streams(path: Path, stream_bytes: int | None = None) -> bool:
    """Is this a file of our JSON format big enough to read in parts?"""
    from sclerotui.importers.stream import RecordStream

    try:
        status = path.stat()
    except OSError:
        return False  # `load` says why
    if not stat.S_ISREG(status.st_mode) or detect_format(path, None) == "csv":
        return False
    if status.st_size < (STREAM_BYTES if stream_bytes is None else stream_bytes):
        return False
    try:
        return RecordStream(path).first_key() in Dataset.model_fields
    except OSError:
        return False


def load_parts(
    path: Path,
    part_records: int | None = None,
    max_record: int | None = None,
) -> Iterator[tuple[LoadedFile | DataError, bool]]:
    """A file of our JSON read in parts of `part_records` records: (part, last) for each,
    a part being its records validated one by one (problems as a DataError, listing at
    most MAX_PROBLEMS of the file). The last part carries the file's sha256.

    A record may refer only to records before it in the file (or in the database, or in
    the files before it): the order an export writes them in (sources, therapies, trials,
    cases, events)."""
    from pydantic import ValidationError

    from sclerotui.dataset import _record_label
    from sclerotui.importers.stream import MAX_RECORD_CHARS, RecordStream
    from sclerotui.models import describe_validation_error

    status = _status_streamed(path)
    origin = _origin(path, status)
    stream = RecordStream(path, MAX_RECORD_CHARS if max_record is None else max_record)
    validators = {
        key: Dataset.model_fields[key].annotation.__args__[0].model_validate
        for key in Dataset.model_fields
    }
    part_records = part_records or PART_RECORDS
    part, count, problems, listed = Dataset(), 0, [], 0

    def finished(last: bool, digest: str = ""):
        nonlocal part, count, problems
        if problems:
            done = DataError(problems)
        else:
            done = LoadedFile(path, "json", part, [], {}, origin, digest, in_parts=True)
        part, count, problems = Dataset(), 0, []
        return done, last

    try:
        for key, index, record in stream.records(tuple(Dataset.model_fields)):
            try:
                getattr(part, key).append(validators[key](record))
            except ValidationError as error:
                found = describe_validation_error(
                    error, f"{path}: {_record_label(key, index, record)}"
                )
                listed += len(found)
                if listed <= MAX_PROBLEMS:
                    problems.extend(found)
            count += 1
            if count >= part_records:
                yield finished(False)
    except DataError as error:
        problems.extend(error.problems)
        yield finished(True)
        return
    if listed > MAX_PROBLEMS:
        problems.append(f"{path}: {listed - MAX_PROBLEMS:,} more problems not listed")
    yield finished(True, stream.digest)


def _status_streamed(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except OSError as error:
        raise DataError([f"{path}: cannot read: {error.strerror or error}"]) from None
