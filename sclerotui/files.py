"""Writing files that hold records: readable by their owner only, like the database, and
never left half-written: a file is written beside its place and renamed into it."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


class NotWritten(OSError):
    """Writing failed, and the file is as it was before (or still does not exist)."""


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, whole or not at all (see `private_output`)."""
    with private_output(path) as write:
        write(text.encode("utf-8"))


@contextlib.contextmanager
def private_output(path: Path) -> Iterator[Callable[[bytes], None]]:
    """Yields write(bytes) to fill `path` in the `with` block, whole or not at all. A new
    file is created 0600 (an export holds case records); a file that exists keeps the mode
    it has, and its old content when the block fails (a full disk, Ctrl-C): raises
    NotWritten for a failed write, leaving nothing behind (or OSError when a file had to be
    written in place: a device, or in a directory we cannot add to)."""
    try:
        info = os.stat(path)
    except OSError:
        info = None  # no file yet (or one out of reach: the write says why)
    if info is not None and not stat.S_ISREG(info.st_mode):
        # /dev/stdout, a named pipe: written in place (a rename would replace the device).
        with _in_place(path) as write:
            yield write
        return
    mode = None if info is None else stat.S_IMODE(info.st_mode)
    target = Path(os.path.realpath(path))  # through a symbolic link, as writing in place did
    try:
        temporary = _new_beside(target)
    except PermissionError as error:
        if mode is None:
            raise NotWritten(error.errno, error.strerror, str(path)) from None
        # A directory we may not add a file to, holding a file we may write: in place.
        with _in_place(target) as write:
            yield write
        return
    except OSError as error:
        raise NotWritten(error.errno, error.strerror, str(path)) from None
    try:
        with _renamed_into(temporary, target):
            fd = os.open(temporary, os.O_WRONLY)
            try:
                yield lambda data: _write_all(fd, data)
                if mode is not None:
                    os.fchmod(fd, mode)
                os.fsync(fd)
            finally:
                os.close(fd)
    except OSError as error:
        raise NotWritten(error.errno, error.strerror, str(path)) from None


@contextlib.contextmanager
def _in_place(path: Path) -> Iterator[Callable[[bytes], None]]:
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        yield lambda data: _write_all(fd, data)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@contextlib.contextmanager
def beside(path: Path) -> Iterator[Path]:
    """A new empty private (0600) file in `path`'s directory, to fill in the `with` block; it
    is then renamed to `path`. If the block fails, it is removed (with any SQLite journal
    files beside it) and `path` is as it was."""
    temporary = _new_beside(path)
    with _renamed_into(temporary, path):
        yield temporary


def _new_beside(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def _renamed_into(temporary: Path, path: Path) -> Iterator[None]:
    try:
        yield
        os.replace(temporary, path)
    except BaseException:
        for end in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                os.unlink(f"{temporary}{end}")
        raise
