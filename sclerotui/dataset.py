"""Reading the curated source files in `db/` (and files in the same shape) into a Dataset."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sclerotui.vocabulary import DataError

if TYPE_CHECKING:
    from sclerotui.models import Dataset

# The models (and pydantic) are imported where a dataset is loaded, not with this module: the
# explorer reads the vocabularies from here before its first screen, which needs no models.

VOCABULARY_FILE = "vocabularies.json"


def bundled_dir() -> Path:
    """The curated data: `db/` in a source checkout, `sclerotui/bundled/` in a wheel."""
    checkout = Path(__file__).resolve().parent.parent / "db"
    if (checkout / "therapies.json").is_file():
        return checkout
    from importlib import resources  # a wheel only; the explorer starts without it

    return Path(str(resources.files("sclerotui") / "bundled"))


def dataset_files(directory: Path) -> list[Path]:
    """Every dataset file under a directory, in a stable order (vocabularies excluded)."""
    return sorted(
        path
        for path in directory.rglob("*.json")
        if path.name != VOCABULARY_FILE and "examples" not in path.relative_to(directory).parts
    )


def fingerprint(directory: Path) -> str:
    """A hash of the curated files, so a new release's data can be told from the old."""
    import hashlib  # only when the bundled data is built or checked, not at start-up

    digest = hashlib.sha256()
    for path in dataset_files(directory):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def read_json(path: Path) -> object:
    """Parse one JSON file, turning every failure into a DataError naming the file."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError([f"{path}: cannot read: {error.strerror or error}"]) from None
    return parse_json(raw, path)


def parse_json(raw: bytes, path: Path) -> object:
    """Parse the bytes of a JSON file, turning every failure into a DataError naming it."""
    text = decode_text(raw, path)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as error:
        raise DataError(
            [f"{path}: line {error.lineno}, column {error.colno}: invalid JSON: {error.msg}"]
        ) from None
    except _BadJSON as error:
        raise DataError([f"{path}: invalid JSON: {error}"]) from None
    except RecursionError:
        raise DataError([f"{path}: invalid JSON: nested too deeply"]) from None
    except ValueError as error:  # e.g. an integer of thousands of digits
        raise DataError([f"{path}: invalid JSON: {_without_python_advice(error)}"]) from None


def _without_python_advice(error: ValueError) -> str:
    """Python's message for an integer of over 4,300 digits ends with advice for programmers
    (`sys.set_int_max_str_digits()`); the user gets what is wrong with the file."""
    message = str(error)
    if "int_max_str_digits" in message or "integer string conversion" in message:
        digits = re.search(r"value has (\d+) digits", message)
        shown = f" of {int(digits.group(1)):,} digits" if digits else ""
        return f"a number{shown} is too long (at most {sys.get_int_max_str_digits():,} digits)"
    return message


class _BadJSON(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    result = dict(pairs)
    if len(result) == len(pairs):  # the common case, checked at C speed
        return result
    result = {}
    for key, value in pairs:
        if key in result:
            raise _BadJSON(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def decode_text(raw: bytes, path: Path) -> str:
    """Bytes of a text file as UTF-8, or a DataError saying how to fix the file."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a UTF-8 byte-order mark is harmless; spreadsheets add it
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError([f"{path}: UTF-16 text; save it as UTF-8"])
    if not raw.strip():
        raise DataError([f"{path}: the file is empty"])
    utf16 = _utf16_without_mark(raw)
    if utf16:
        raise DataError(
            [
                f"{path}: looks like UTF-16 ({utf16}) text without a byte-order mark: "
                "every other byte is 0; expected UTF-8, so save it as UTF-8"
            ]
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(
            [f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8"]
        ) from None


def _utf16_without_mark(raw: bytes) -> str | None:
    """The byte order ("little-endian" or "big-endian") when the text reads as UTF-16: ASCII
    characters with a zero byte beside each, which UTF-8 text never is."""
    sample = raw[:4096]
    if len(sample) < 4 or sample.count(0) < len(sample) // 3:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "little-endian"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "big-endian"
    return None


def parse_dataset(data: object, where: str) -> Dataset:
    """Validate a parsed JSON object as a Dataset, reporting every problem at once."""
    from pydantic import ValidationError

    from sclerotui.models import Dataset, describe_validation_error

    if not isinstance(data, dict):
        raise DataError(
            [
                f"{where}: expected a JSON object with 'therapies', 'trials', "
                f"'cases', 'events' or 'sources', got {type(data).__name__}"
            ]
        )
    known = set(Dataset.model_fields)
    problems = [f"{where}: unknown top-level key {key!r}" for key in data if key not in known]
    merged = Dataset()
    for key in known & set(data):
        records = data[key]
        if not isinstance(records, list):
            problems.append(f"{where}: {key}: expected a list, got {type(records).__name__}")
            continue
        validate = Dataset.model_fields[key].annotation.__args__[0].model_validate
        valid = getattr(merged, key)
        for index, record in enumerate(records):
            try:
                valid.append(validate(record))
            except ValidationError as error:
                label = _record_label(key, index, record)
                problems.extend(describe_validation_error(error, f"{where}: {label}"))
    if problems:
        raise DataError(problems)
    return merged


def _record_label(key: str, index: int, record: object) -> str:
    ident = record.get("id") if isinstance(record, dict) else None
    return f"{key}[{index}]" + (f" ({ident})" if isinstance(ident, str) else "")


def merge(datasets: list[Dataset]) -> Dataset:
    from sclerotui.models import Dataset

    merged = Dataset()
    for data in datasets:
        for key in Dataset.model_fields:
            getattr(merged, key).extend(getattr(data, key))
    return merged


def load_directory(directory: Path, advance=None) -> Dataset:
    """Load and cross-check every dataset file of a directory; all problems reported at once.
    `advance(1)`, if given, is called as each file is read."""
    from sclerotui.models import validate_dataset

    if not directory.is_dir():
        raise DataError([f"{directory}: no such directory"])
    files = dataset_files(directory)
    if not files:
        # Never build an empty database silently from a mistyped or missing data directory.
        raise DataError([f"{directory}: no dataset files (*.json) in it"])
    problems: list[str] = []
    parts = []
    for path in files:
        try:
            parts.append(parse_dataset(read_json(path), str(path.relative_to(directory))))
        except DataError as error:
            problems.extend(error.problems)
        if advance is not None:
            advance(1)
    if problems:
        raise DataError(problems)
    data = merge(parts)
    problems = validate_dataset(data)
    if problems:
        raise DataError(problems)
    return data


def load_vocabularies(directory: Path) -> dict:
    data = read_json(directory / VOCABULARY_FILE)
    if not isinstance(data, dict):
        raise DataError([f"{directory / VOCABULARY_FILE}: expected a JSON object"])
    return data
