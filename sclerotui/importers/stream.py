"""Reading a large JSON file of our format a record at a time, within bounded memory.

The standard library parses a JSON document whole; an export of 100,000 cases is 700 MB of
text and ten times that as Python objects. This reader walks the top level itself (an
object whose values are arrays of records: `{"sources": [...], "cases": [...], ...}`) and
hands each record to the standard parser (`JSONDecoder.raw_decode`, strict, duplicate keys
refused), so at most one record's text beyond a read block is held. A record longer than
`max_record` characters is refused, as is anything that is not that shape, each with the
file's line and column.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path

from sclerotui.dataset import (
    _BadJSON,
    _no_duplicate_keys,
    _utf16_without_mark,
    _without_python_advice,
)
from sclerotui.vocabulary import DataError

MAX_RECORD_CHARS = 64 * 1024 * 1024  # far above any record the models accept whole
BLOCK_BYTES = 1 << 20
WHITESPACE = re.compile(r"[ \t\n\r]*")
# What decides where a value ends: a whole string, a lone quote (a string cut short), or a
# bracket; a scalar ends at the first delimiter after it.
STRUCTURE = re.compile(r'["\[\]{}]')
SCALAR_END = re.compile(r"[,\]}\s]")


class StreamError(DataError):
    pass


def _string_end(text: str, at: int) -> int:
    """The index after the quote closing a string whose body starts at `at`; -1 if the
    text ends first. A quote after an odd number of backslashes is escaped."""
    while True:
        quote = text.find('"', at)
        if quote < 0:
            return -1
        slashes = 0
        while text[quote - 1 - slashes] == "\\":
            slashes += 1
        if slashes % 2 == 0:
            return quote + 1
        at = quote + 1


class RecordStream:
    """The records of one file, as (key, index, record); `offset` is how many bytes have
    been read so far (for a progress bar), `digest` their sha256 once read to the end."""

    def __init__(self, path: Path, max_record: int = MAX_RECORD_CHARS) -> None:
        import hashlib

        self.path = path
        self.max_record = max_record
        self.decoder = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys)
        self.text_decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.hash = hashlib.sha256()
        self.handle = None
        self.buffer = ""
        self.position = 0  # in buffer
        self.line = 1  # of buffer[0]
        self.line_start = 0  # buffer index where that line starts (may be negative)
        self.offset = 0  # bytes read
        self.eof = False
        self.first = True
        self.scanned = (0, 0)  # how far `_whole` has counted the value being read, at what depth

    # -- reading ---------------------------------------------------------------------------

    def _fill(self) -> bool:
        """Read another block into the buffer; False at the end of the file."""
        if self.eof:
            return False
        block = self.handle.read(BLOCK_BYTES)
        self.hash.update(block)
        try:
            text = self.text_decoder.decode(block, final=not block)
        except UnicodeDecodeError as error:
            at = self.offset + error.start
            raise StreamError(
                [f"{self.path}: not UTF-8 text (byte {at}); save it as UTF-8"]
            ) from None
        self.offset += len(block)
        if not block:
            self.eof = True
        if self.first and text:
            self.first = False
            if text.startswith("\ufeff"):
                text = text[1:]  # a UTF-8 byte-order mark is harmless
        # Drop what has been read, keeping the line count of the file.
        done = self.buffer[: self.position]
        newlines = done.count("\n")
        if newlines:
            self.line += newlines
            self.line_start = done.rfind("\n") + 1
        self.line_start -= self.position
        self.buffer = self.buffer[self.position :] + text
        self.position = 0
        return bool(block)

    def _check_start(self, block: bytes) -> None:
        if block.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise StreamError([f"{self.path}: UTF-16 text; save it as UTF-8"])
        utf16 = _utf16_without_mark(block)
        if utf16:
            raise StreamError(
                [
                    f"{self.path}: looks like UTF-16 ({utf16}) text without a byte-order mark; "
                    "save it as UTF-8"
                ]
            )

    def _where(self, index: int) -> str:
        line = self.line + self.buffer.count("\n", 0, index)
        start = self.buffer.rfind("\n", 0, index)
        column = index - (start + 1 if start >= 0 else self.line_start) + 1
        return f"{self.path}: line {line}, column {column}"

    def _fail(self, index: int, message: str) -> StreamError:
        return StreamError([f"{self._where(index)}: invalid JSON: {message}"])

    def _skip_space(self) -> None:
        while True:
            self.position = WHITESPACE.match(self.buffer, self.position).end()
            if self.position < len(self.buffer) or not self._fill():
                return

    def _char(self) -> str:
        """The next character that is not whitespace ("" at the end of the file)."""
        self._skip_space()
        return self.buffer[self.position : self.position + 1]

    def _expect(self, wanted: str, what: str) -> None:
        char = self._char()
        if char != wanted:
            found = repr(char) if char else "the end of the file"
            raise self._fail(self.position, f"expected {what}, found {found}")
        self.position += 1

    def _value(self, label: str = "a value") -> object:
        """One JSON value from the buffer, reading more while it may be cut by the block's
        end; refused once it runs past `max_record` characters."""
        self.scanned = (0, 0)
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.position)
            except (ValueError, RecursionError) as error:
                # Cut by the block's end, or wrong: read on until the value is whole, then
                # parse it again (once: not at every block of a long record).
                if self.eof or self._whole(self.position):
                    raise self._problem(error) from None
                while not self.eof and not self._whole(self.position):
                    if len(self.buffer) - self.position > self.max_record:
                        raise self._too_long(label) from None
                    self._fill()
                continue
            if end == len(self.buffer) and not self.eof:
                # A number may go on in the next block ("12" of "123"): read it whole.
                self._fill()
                continue
            if end - self.position > self.max_record:
                raise self._too_long(label)
            self.position = end
            return value

    def _whole(self, start: int) -> bool:
        """Does the value starting at `start` end within the buffer? Brackets are counted
        outside strings; a scalar ends at the first delimiter after it. The count goes on
        from where it stopped when more is read (`scanned`), so a long record is scanned
        once, not once per block. Strings are skipped with `find`: a regular expression's
        backtracking would keep state for every character of a long string."""
        buffer = self.buffer
        if buffer[start : start + 1] not in ('"', "[", "{"):
            return SCALAR_END.search(buffer, start) is not None
        offset, depth = self.scanned
        at = start + offset
        while True:
            found = STRUCTURE.search(buffer, at)
            if found is None:
                self.scanned = (len(buffer) - start, depth)
                return False
            char, at = found.group(), found.end()
            if char == '"':
                end = _string_end(buffer, at)
                if end < 0:  # not closed in the buffer: count from its quote next time
                    self.scanned = (found.start() - start, depth)
                    return False
                at = end
                if depth == 0:
                    return True
                continue
            depth += 1 if char in "[{" else -1
            if depth <= 0:
                return True

    def _too_long(self, label: str) -> StreamError:
        return StreamError(
            [
                f"{self._where(self.position)}: {label}: longer than {self.max_record:,} "
                "characters; not read"
            ]
        )

    def _problem(self, error: Exception) -> StreamError:
        at = self._where(getattr(error, "pos", self.position))
        if isinstance(error, json.JSONDecodeError):
            return StreamError([f"{at}: invalid JSON: {error.msg}"])
        if isinstance(error, _BadJSON):
            return StreamError([f"{self._where(self.position)}: invalid JSON: {error}"])
        if isinstance(error, RecursionError):
            return StreamError([f"{self._where(self.position)}: invalid JSON: nested too deeply"])
        message = _without_python_advice(error)
        return StreamError([f"{self._where(self.position)}: invalid JSON: {message}"])

    # -- the document ----------------------------------------------------------------------

    def first_key(self) -> str | None:
        """The first top-level key (to tell our format from a registry record), or None when
        the file does not start as an object with a key."""
        with open(self.path, "rb") as handle:
            head = handle.read(4096)
        text = head.lstrip(b"\xef\xbb\xbf").decode("utf-8", "replace")
        found = re.match(r'\s*\{\s*"((?:[^"\\]|\\.)*)"', text)
        return found.group(1) if found else None

    def records(self, keys: tuple[str, ...]) -> Iterator[tuple[str, int, object]]:
        """(key, index, record) for each record of each key's array, in file order."""
        try:
            self.handle = open(self.path, "rb")  # noqa: SIM115 (closed below)
        except OSError as error:
            raise StreamError([f"{self.path}: cannot read: {error.strerror or error}"]) from None
        try:
            self._check_start(self.handle.read(4096))
            self.handle.seek(0)
            if not self._char():
                raise StreamError([f"{self.path}: the file is empty"])
            self._expect(
                "{", "a JSON object with 'therapies', 'trials', 'cases', 'events' or 'sources'"
            )
            seen: set[str] = set()
            if self._char() == "}":
                self.position += 1
            else:
                while True:
                    if self._char() != '"':
                        raise self._fail(self.position, "expected a key in double quotes")
                    at = self.position
                    key = self._value()
                    if key in seen:
                        raise self._fail(at, f"the key {key!r} appears twice in one object")
                    if key not in keys:
                        raise StreamError([f"{self._where(at)}: unknown top-level key {key!r}"])
                    seen.add(key)
                    self._expect(":", "':' after the key")
                    if self._char() != "[":
                        raise StreamError([f"{self._where(self.position)}: {key}: expected a list"])
                    self.position += 1
                    yield from self._array(key)
                    char = self._char()
                    if char == "}":
                        self.position += 1
                        break
                    self._expect(",", "',' or '}' after a list")
            if self._char():
                raise self._fail(self.position, "extra data after the JSON object")
        finally:
            self.handle.close()

    def _array(self, key: str) -> Iterator[tuple[str, int, object]]:
        if self._char() == "]":
            self.position += 1
            return
        index = 0
        while True:
            self._skip_space()
            yield key, index, self._value(f"{key}[{index}]")
            index += 1
            char = self._char()
            if char == "]":
                self.position += 1
                return
            self._expect(",", "',' or ']' between records")

    @property
    def digest(self) -> str:
        return self.hash.hexdigest()
