"""Importing files into a database: every file validated, all of them written or none."""

from __future__ import annotations

import gc
import os
import signal
import stat
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from sclerotui.importers import STREAM_BYTES, LoadedFile, load, load_parts, streams
from sclerotui.models import DataError, Dataset, KnownIds, Therapy, validate_dataset
from sclerotui.rows import event_rows
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
        return cls(loaded.path, loaded.format, _counts(loaded.dataset), list(loaded.notes))

    def add(self, part: LoadedFile) -> None:
        """A further part of a file read in parts."""
        for key, number in _counts(part.dataset).items():
            self.counts[key] += number
        self.notes += part.notes


def _counts(data: Dataset) -> dict[str, int]:
    return {
        "therapies": len(data.therapies),
        "trials": len(data.trials),
        "cases": len(data.cases),
        "events": len(data.events),
        "sources": len(data.sources),
    }


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
    store: Store,
    paths: list[Path],
    check: bool = False,
    replace: bool = False,
    skip_unmatched: bool = False,
    advance: Callable[[float], None] | None = None,
) -> ImportReport:
    """Load and validate every file and (unless check) write them, in one transaction.

    Raises DataError with every problem of every file; the database is then untouched.
    `skip_unmatched`: registry studies none of whose interventions is a therapy of the
    database are left out (each named in the report), not a problem.
    """
    with collector_paused():
        return _import_files(store, paths, check, replace, skip_unmatched, advance)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while files load: an import holds millions of new objects
    (parsed JSON, models, rows), none in cycles, and the collector kept walking all of them.
    Nothing is lost: what it would find, it finds afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import_files(
    store: Store,
    paths: list[Path],
    check: bool,
    replace: bool,
    skip_unmatched: bool,
    advance: Callable[[float], None] | None = None,
) -> ImportReport:
    """Each file is checked, then written at once and let go, so the importing process holds
    one file's records at a time (a reader process may hold the next: `_loaded_files`).
    Every write is part of one transaction, rolled back if any file of the batch has a
    problem: the database gets all the files or none of them."""
    known = store.known_ids()
    report = ImportReport()
    problems: list[str] = []
    brought: dict[str, Path] = {}  # "case x" -> the file of this batch that brings it
    reading = _Reading(store.therapy_records(), store.registry_trials(), skip_unmatched)
    files = _loaded_files(paths, reading, events=not check)
    summary: FileSummary | None = None
    noted: set[Path] = set()  # files read in parts whose problems say what that means
    # One transaction for the whole batch (none when only checking). closing(): a failed
    # write stops the reader at once, not when the generator is collected.
    with closing(files), nullcontext() if check else store.transaction():
        for path, loaded, events, last in files:
            if isinstance(loaded, DataError):
                problems += loaded.problems
                summary = None if last else summary
                continue
            data = loaded.dataset
            checked = [loaded.locate(problem) for problem in validate_dataset(data, known)]
            problems += checked
            problems += [loaded.locate(problem) for problem in store.registry_clashes(data)]
            problems += _clashes(store, path, data, brought, replace, bool(report.files))
            unknown = any(": unknown " in problem for problem in checked)
            if loaded.in_parts and unknown and path not in noted:
                noted.add(path)
                problems.append(
                    f"{path}: read in parts (a file of {STREAM_BYTES:,} bytes or more): a "
                    "record may refer only to records before it in the file, as an export "
                    "writes them (sources, therapies, trials, cases, events)"
                )
            # Later files (and parts) of the batch may refer to what earlier ones bring.
            known.add(KnownIds.of(data))
            if summary is None:  # a file's first part (or the whole file)
                summary = FileSummary.of(loaded)
                report.files.append(summary)
            else:
                summary.add(loaded)
            if not problems and not check:
                store.import_file(data, loaded.origin, "", replace, True, events, log=False)
                if last:
                    store.log_import(loaded.origin, loaded.sha256, summary.counts, replace)
            del loaded, data, events, checked  # this part's records go before the next one
            if last:
                summary = None
                if advance is not None:
                    from sclerotui.progress import megabytes

                    advance(megabytes(path))
        if problems:
            raise DataError(problems)  # the batch's transaction is rolled back
    report.written = not check
    return report


# A file at least this big is read and validated in a second process while the importing
# process writes the file before it: Python's parsing and SQLite's writing then run on two
# cores. A smaller file is not worth starting a process for; and none is started when the
# machine lacks the memory for it (`_worth_reading_ahead`).
READ_AHEAD_BYTES = 8 * 1024 * 1024


@dataclass
class _Reading:
    """What loading a file needs of the database and of the files before it in the batch:
    the therapies (a registry record names its interventions by them), the trials by
    registry id (a study already held keeps its trial's id), and the import's options."""

    therapies: list[Therapy]
    trial_ids: dict[str, str]
    skip_unmatched: bool = False

    def after(self, loaded: LoadedFile) -> _Reading:
        data = loaded.dataset
        trial_ids = self.trial_ids | {
            t.registry_id: t.id for t in data.trials if getattr(t, "registry_id", None)
        }
        return _Reading([*self.therapies, *data.therapies], trial_ids, self.skip_unmatched)


def _loaded_files(
    paths: list[Path], context: _Reading, events: bool
) -> Iterator[tuple[Path, LoadedFile | DataError, list[tuple] | None, bool]]:
    """Each file of the batch, loaded in order with what the database and the files before
    it hold (`_Reading`): (path, loaded, its events' rows or None, last part of the file?).
    A big file of our JSON comes in parts (`load_parts`), any other whole.

    While the caller checks and writes one file (or part), `_ReadAhead` loads the next when
    it is big enough, and (if `events`) builds its events' rows; those of a file loaded here
    are None, and built when it is written. The importing process holds one part at a time."""
    ahead = _ReadAhead()
    try:
        # The reader starts on the first file only when that is read in parts: the parts
        # then flow while this process writes.
        reading = bool(paths) and streams(paths[0]) and ahead.request(paths[0], context, events)
        for index, path in enumerate(paths):
            following = paths[index + 1 : index + 2]
            received = 0
            if reading:
                for part in ahead.parts():
                    if part is None:  # the reader failed: the rest is loaded here
                        break
                    result, built, last = part
                    received += 1
                    context = _after(context, result)
                    if last:
                        reading = bool(following) and ahead.request(following[0], context, events)
                    yield path, result, built, last
                    result = built = part = None  # let this part go before the next arrives
                else:
                    continue
            for number, (result, last) in enumerate(_load_parts_here(path, context)):
                if number < received:
                    continue  # had from the reader before it failed
                context = _after(context, result)
                if last:
                    reading = bool(following) and ahead.request(following[0], context, events)
                yield path, result, None, last
                result = None
    finally:
        ahead.close()


def _after(context: _Reading, result: LoadedFile | DataError) -> _Reading:
    return context.after(result) if isinstance(result, LoadedFile) else context


def _load_parts_here(
    path: Path, context: _Reading
) -> Iterator[tuple[LoadedFile | DataError, bool]]:
    if streams(path):
        yield from load_parts(path)
    else:
        yield _load_here(path, context), True


def _load_here(path: Path, context: _Reading) -> LoadedFile | DataError:
    try:
        return load(path, context.therapies, context.trial_ids, context.skip_unmatched)
    except DataError as error:
        return error


class _ReadAhead:
    """A second process that loads one file while this one writes another.

    Started on the first request worth making. If it cannot start or dies, `receive` says
    so (None) and the file is loaded in the importing process instead, as before."""

    def __init__(self):
        self.process = None
        self.connection = None
        self.broken = False

    def request(self, path: Path, context: _Reading, events: bool) -> bool:
        """Start loading a file (and building its events' rows), if the file is big enough
        to be worth it; True if the reader took it."""
        if self.broken or not _worth_reading_ahead(path):
            return False
        try:
            if self.process is None:
                self._start()
            self.connection.send((path, context, events))
        except (OSError, ValueError, RuntimeError):  # no process or pipe: loaded here
            self.broken = True
            return False
        return True

    def receive(self) -> tuple[LoadedFile | DataError, list[tuple] | None, bool] | None:
        """One part of the file asked for; None if the reader failed."""
        try:
            result = self.connection.recv()
        except (EOFError, OSError):  # the reader died (say, killed for memory)
            result = None
        if result is None:
            self.broken = True
        return result

    def parts(self) -> Iterator[tuple[LoadedFile | DataError, list[tuple] | None, bool] | None]:
        """The parts of the file asked for, up to its last; None if the reader failed."""
        while True:
            result = self.receive()
            yield result
            if result is None or result[2]:
                return

    def _start(self) -> None:
        import multiprocessing

        # Spawned, not forked: a fork would copy this process's open database connection.
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(target=_read_ahead, args=(theirs, os.getpid()), daemon=True)
        try:
            with _ctrl_c_ignored():  # inherited: the reader starts deaf to it
                process.start()
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.connection, self.process = ours, process

    def close(self) -> None:
        if self.process is not None:
            self.process.terminate()  # it may be reading a file nobody will ask for now
            self.process.join()
            self.connection.close()


def _worth_reading_ahead(path: Path) -> bool:
    """Big enough to be worth a process, and room for it: the reader holds the file's
    records (about 20 bytes of memory per byte of JSON at its peak) beside this process.
    Short of memory, the files are read here, one at a time."""
    try:
        status = path.stat()
    except OSError:
        return False  # reported by `load`, in the importing process
    size = status.st_size
    if not stat.S_ISREG(status.st_mode) or size < READ_AHEAD_BYTES:  # a pipe is read here
        return False
    if streams(path):
        size = STREAM_BYTES  # the reader holds a part of it at a time
    available = memory_available()
    return available is None or available >= READER_BYTES_PER_BYTE * size


READER_BYTES_PER_BYTE = 20  # measured: at most 2.1 GB for a file of 115 MB


def memory_available() -> int | None:
    """Bytes of memory the system can give without swapping (Linux's MemAvailable), or None
    where it does not say."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


@contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """Ctrl-C reaches every process of the terminal's group. The importing process handles
    it (and stops the reader); the reader must not print a traceback of its own.

    While the reader starts, Ctrl-C is blocked in this thread: the reader inherits the block
    and ignores the signal once it runs. The handler stays ours, so a Ctrl-C in that moment
    is not lost: another thread (the progress bar's) takes it for this process, or it waits
    until unblocked. (Ignoring it here as well lost it when another thread took it.)"""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is not None:
        mask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            yield
        finally:
            mask(signal.SIG_UNBLOCK, {signal.SIGINT})
        return
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: the reader ignores it once it runs
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _read_ahead(connection, parent: int | None = None) -> None:
    """The reader process."""
    _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # see _ctrl_c_ignored
    gc.disable()  # as collector_paused does in the importing process
    _serve(connection)


def _die_with(parent: int | None) -> None:
    """The reader ends when the importing process does, even killed (SIGKILL) while the
    reader loads a file: it would otherwise go on for as long as that takes, holding the
    file's records. On Linux the kernel kills it (PR_SET_PDEATHSIG; "parent" is the thread
    that started it, which waits for the import); elsewhere a thread watches the parent."""
    if parent is None:
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        set_death_signal = 1  # PR_SET_PDEATHSIG, from <linux/prctl.h>
        if libc.prctl(set_death_signal, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # it went before the signal was asked for
                os._exit(0)
            return
    except (OSError, AttributeError):  # not Linux: no prctl
        pass
    import threading

    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _serve(connection) -> None:
    """Load each file asked for and send back its parts (a file read whole is one part):
    records or problems, with its events' rows, and whether it is the file's last part.
    Anything other than a problem with the file is sent as None: the importing process
    then loads the rest of the file itself and reports what happens there."""
    while True:
        try:
            request = connection.recv()
        except EOFError:  # the importing process has gone
            return
        try:
            for part in _read(*request):
                connection.send(part)
        except (OSError, ValueError):  # the pipe is gone
            return
        except Exception:  # noqa: BLE001 (see above: reported by the importing process)
            try:
                connection.send(None)
            except (OSError, ValueError):
                return


def _read(
    path: Path, context: _Reading, events: bool
) -> Iterator[tuple[LoadedFile | DataError, list[tuple] | None, bool]]:
    for loaded, last in _load_parts_here(path, context):
        context = _after(context, loaded)
        if not events or not isinstance(loaded, LoadedFile):
            yield loaded, None, last
            continue
        data = loaded.dataset
        rows = event_rows(data)
        # With its rows built, the importing process needs only an event's references: the
        # models would cost it more to receive (half the records of a file) than to check.
        data.events = [EventRefs.of(event) for event in data.events]
        yield loaded, rows, last
        loaded = data = rows = None


class EventRefs(NamedTuple):
    """An event read ahead, as the importing process checks it: its id and what it refers
    to (`validate_dataset`, the clash checks). Its record goes with its row."""

    id: str
    case: str | None
    trial: str | None
    arm: str | None
    therapy: str | None
    source: str | None

    @classmethod
    def of(cls, event) -> EventRefs:
        return cls(event.id, event.case, event.trial, event.arm, event.therapy, event.source)


def _clashes(
    store: Store, path: Path, data: Dataset, brought: dict[str, Path], replace: bool, earlier: bool
) -> list[str]:
    """Records another file of the same import brings too (refused even with --replace: which
    one would win?), then records the database holds (unless replacing). Records are
    "case x", as `Store.existing` names them; `earlier` says files came before this one."""
    problems = []
    labels = [f"{kind} {record.id}" for kind, records in _records(data) for record in records]
    twice = [label for label in labels if label in brought]
    # A file read in parts brings a record twice if an earlier part of it brought it.
    again = [label for label in twice if brought[label] == path]
    if again:
        problems.append(f"{path}: twice in this file: {_more(', '.join(again[:10]), again)}")
    elsewhere = [label for label in twice if brought[label] != path]
    if elsewhere:
        shown = ", ".join(f"{label} (in {brought[label].name})" for label in elsewhere[:10])
        problems.append(f"{path}: also in another file of this import: {_more(shown, elsewhere)}")
    brought.update((label, path) for label in labels)
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
        # An event goes with its case or trial: naming that is enough.
        owners = {f"case {e.case}" for e in data.events} | {f"trial {e.trial}" for e in data.events}
        listed = set(clashes) & owners
        if listed:
            going = {
                f"event {e.id}"
                for e in data.events
                if f"case {e.case}" in listed or f"trial {e.trial}" in listed
            }
            clashes = [label for label in clashes if label not in going]
        if clashes:
            registered = {
                f"trial {t.id}": f"trial {t.id} ({t.registry_id})"
                for t in data.trials
                if t.registry_id
            }
            clashes = [registered.get(label, label) for label in clashes]
            where = "in the database"
            if earlier:
                where += " or an earlier file of this import"
            problems.append(
                f"{path}: already {where}: {_more(', '.join(clashes[:10]), clashes)} "
                "(use --replace to update them)"
            )
    else:
        problems += _events_of_others(store, path, data)
    return problems


def _events_of_others(store: Store, path: Path, data: Dataset) -> list[str]:
    """Under --replace, events whose ids the database holds for a case or trial this file does
    not replace: writing them would take those ids from another record."""
    replaced = {("case", c.id) for c in data.cases} | {("trial", t.id) for t in data.trials}
    held = store.event_owners([event.id for event in data.events])
    problems = []
    for event in data.events:
        owner = held.get(event.id)
        if owner is not None and owner not in replaced:
            mine = f"case {event.case}" if event.case else f"trial {event.trial}"
            problems.append(
                f"{path}: event {event.id} (of {mine}): that id is already the database's "
                f"event of {owner[0]} {owner[1]}, which this file does not replace; "
                "give the event another id"
            )
    return problems


def _records(data: Dataset) -> list[tuple[str, list]]:
    """The records a file brings by id (events are many, and belong to one of these)."""
    return [("therapy", data.therapies), ("trial", data.trials), ("case", data.cases)]


def _more(shown: str, all_of: list) -> str:
    return shown + (" …" if len(all_of) > 10 else "")
