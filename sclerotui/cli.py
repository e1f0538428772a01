"""The command line: parses, calls the store or the app, maps errors to exit codes.

Textual is imported only when the explorer launches, so scripting commands start fast.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import sqlite3
import sys
from pathlib import Path

from sclerotui.query import SearchError
from sclerotui.store import (
    ListsNotRebuilt,
    ReadOnlyError,
    Store,
    StoreError,
    describe_database_error,
)
from sclerotui.vocabulary import DataError

EXIT_OK = 0
EXIT_ERROR = 1  # something went wrong that is not the input's fault
EXIT_BAD_INPUT = 2  # bad arguments, bad files, bad database, bad query
EXIT_BROKEN_PIPE = 141  # the reader of our output went away (`| head`): 128 + SIGPIPE


# Textual settings that copy what is on screen (record text) somewhere else.
TEXTUAL_LEAKS = {
    "TEXTUAL_LOG": "Textual writes a log of the session, record text included, to that file",
    "TEXTUAL_SCREENSHOT": "Textual saves a picture of the screen",
    "TEXTUAL": "Textual features are on (devtools would send the screen to a console)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sclerotui",
        description="Offline explorer of systemic sclerosis evidence: therapies, trials, cases.",
        epilog=examples(
            "sclerotui                                  the explorer, on your database",
            "sclerotui --fresh                          the explorer, not where you left it",
            "sclerotui --db shared.db --read-only       another database, never written",
            "sclerotui search organ:lung response:resistant",
            "sclerotui COMMAND --help                   a command's options and examples",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="database file (default: your user database, built from the "
        "bundled data on first run)",
    )
    parser.add_argument("--read-only", action="store_true", help="never write to the database")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="start the explorer fresh, without restoring where you were last time",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    db = commands.add_parser(
        "db",
        help="build, check or describe a database",
        description="Build, check or describe a database.",
        epilog=examples(
            "sclerotui db stats",
            "sclerotui db check clinic.db",
            "sclerotui db create empty.db",
            "sclerotui db build --out clinic.db",
            "sclerotui db synth --cases 100000 --out synthetic.db",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    build = db_commands.add_parser(
        "build",
        help="compile the curated db/ files into SQLite",
        description="Compile the curated files into a database, or refresh its bundled records.",
        epilog=examples(
            "sclerotui db build                         refresh your database",
            "sclerotui db build --out clinic.db --source ./db",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    build.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        help="database to create or refresh (default: --db or your database)",
    )
    build.add_argument(
        "--source",
        type=Path,
        metavar="DIR",
        help="directory of curated files (default: the bundled data)",
    )
    check = db_commands.add_parser(
        "check",
        help="integrity and dataset rules of a database",
        description="Run SQLite's integrity check and the dataset rules; list problems by record.",
        epilog=examples("sclerotui db check", "sclerotui db check clinic.db"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument(
        "path",
        type=Path,
        nargs="?",
        metavar="PATH",
        help="database to check (default: --db or your database)",
    )
    db_commands.add_parser(
        "stats",
        help="counts of records in the database",
        description="Count the therapies, trials, cases and events, and where they came from.",
        epilog=examples("sclerotui db stats", "sclerotui --db clinic.db db stats"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )

    reindex = db_commands.add_parser(
        "reindex",
        help="rebuild the search's ranking lists (after an import stopped while rebuilding them)",
        description="Rebuild the lists that rank a common word's best records quickly. Every "
        "write rebuilds them; a Ctrl-C while it did leaves them out of date, and searches rank "
        "every match instead (the same hits, slower on a large database).",
        epilog=examples("sclerotui db reindex", "sclerotui db reindex clinic.db"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    reindex.add_argument(
        "path",
        type=Path,
        nargs="?",
        metavar="PATH",
        help="database to reindex (default: --db or your database)",
    )

    synth = db_commands.add_parser(
        "synth",
        help="write a labelled synthetic database for scale tests (never bundled)",
        description="Write a synthetic database (every record flagged synthetic) for scale tests.",
        epilog=examples(
            "sclerotui db synth --cases 10000 --out synthetic.db",
            "sclerotui db synth --cases 1000000 --out big.db --seed 7",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    synth.add_argument(
        "--cases", type=int, required=True, metavar="N", help="how many synthetic cases to write"
    )
    synth.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="PATH",
        help="the new database file (an existing file is refused)",
    )
    synth.add_argument(
        "--seed",
        type=int,
        default=1,
        metavar="S",
        help="random seed: the same seed writes the same records (1)",
    )

    create = db_commands.add_parser(
        "create",
        help="create an empty database (no bundled data)",
        description="Create an empty database, readable by you only, for your own imports.",
        epilog=examples(
            "sclerotui db create clinic.db",
            "sclerotui --db clinic.db import cases.csv",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    create.add_argument("path", type=Path, metavar="PATH", help="the new file (must not exist)")

    importing = commands.add_parser(
        "import",
        help="import JSON, CSV or ClinicalTrials.gov files",
        description="Import files in one transaction: all of them, or (on any problem) none.",
        epilog=examples(
            "sclerotui import cases.csv",
            "sclerotui import --check cases.csv trials.json    validate; write nothing",
            "sclerotui import --replace NCT01234567.json       update records already there",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    importing.add_argument(
        "files",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="our JSON (as export --format json writes it), CSV of cases and events, "
        "or a ClinicalTrials.gov study record (API v2 JSON)",
    )
    importing.add_argument("--check", action="store_true", help="validate only; write nothing")
    importing.add_argument(
        "--replace",
        action="store_true",
        help="update records that are already in the database (a curated record you replace "
        "stays yours: refreshes of the bundled data leave it alone)",
    )
    importing.add_argument(
        "--skip-unmatched",
        action="store_true",
        help="ClinicalTrials.gov files: leave out the studies none of whose interventions is a "
        "therapy of the database, naming each (without it, such a study refuses the import)",
    )

    export = commands.add_parser(
        "export",
        help="export records as JSON, CSV or Markdown",
        description="Write the records a search selects (or all of them); or, in Markdown, "
        "a forest plot of one measure or a therapy's summary of findings, as the explorer "
        "shows them (no pooled estimate: the trials differ in population, measure and "
        "timepoint).",
        epilog=examples(
            "sclerotui export > everything.json",
            "sclerotui export therapy:rituximab --format md -o rituximab.md",
            "sclerotui export kind:case organ:renal --format csv -o renal-cases.csv",
            'sclerotui export --forest "FVC mL" -o fvc-forest.md',
            "sclerotui export --forest mRSS --window about-52 subtype:diffuse",
            "sclerotui export --summary nintedanib -o nintedanib-summary.md",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument(
        "query",
        nargs="*",
        help="a search selecting the records (default: all); with --forest, filters only "
        "(subtype:, organ:, type:), and each row says whether its trial's population matches",
    )
    export.add_argument(
        "--format",
        choices=["json", "csv", "md"],
        help="json (re-importable, the default), csv (cases and events, the import format) "
        "or md (a readable dossier); --forest and --summary write md",
    )
    views = export.add_mutually_exclusive_group()
    views.add_argument(
        "--forest",
        metavar="MEASURE",
        help='the forest plot of a measure\'s trial effects (mRSS, "FVC mL"…; one plot per '
        "effect scale), in Markdown",
    )
    views.add_argument(
        "--summary",
        metavar="THERAPY",
        help="a therapy's summary of findings (its id, name or an alias), in Markdown",
    )
    export.add_argument(
        "--window",
        choices=list(FOREST_WINDOWS),
        default="all",
        help="with --forest: the timepoints shown (all; up-to-26 weeks; about-52, 40 to 64 "
        "weeks; after-64); default all",
    )
    export.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here instead of standard output"
    )

    search = commands.add_parser(
        "search",
        help="search therapies, trials and cases",
        description="Search with the explorer's query language.",
        epilog=examples(
            "sclerotui search rituximab",
            'sclerotui search "skin score" -placebo',
            "sclerotui search therapy:cyclophosphamide response:resistant organ:lung",
            "sclerotui search --json --limit 5 organ:renal",
            "sclerotui search -- -placebo nintedanib       a query starting with an exclusion",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    search.add_argument("query", nargs="*", help='words, "phrases", -excluded, field:value')
    search.add_argument("--json", action="store_true", help="print results as JSON")
    search.add_argument(
        "--limit", type=int, default=20, metavar="N", help="most results to show, 1 or more (20)"
    )
    return parser


def examples(*lines: str) -> str:
    """An epilog of example command lines for --help."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def say(message: str, stream=None) -> None:
    """One line for the user. Messages quote file names and record text, so control
    characters are shown, never sent: no escape sequence or forged line reaches the terminal."""
    from sclerotui.text import visible

    print(f"sclerotui: {visible(message, multiline=False)}", file=stream or sys.stderr)


def show(text: str, file=None) -> None:
    """Print a line that may quote paths or record text, with control characters visible."""
    from sclerotui.text import visible

    print(visible(text, multiline=False), file=file or sys.stdout)


def main(argv: list[str] | None = None) -> int:
    try:
        code = _main(argv)
        sys.stdout.flush()  # here, where a closed pipe can still be answered quietly
    except BrokenPipeError:
        # `sclerotui search a | head -1`: the reader has what it wanted. Stop quietly, as
        # standard tools do, with the status a tool killed by SIGPIPE has; output still
        # buffered goes nowhere rather than raising again when Python exits.
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                os.dup2(devnull, stream.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE
    return code


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command in ("search", "export"):
        # "-word" excludes a word: argparse sees an unknown option, the query language does not.
        unknown = [arg for arg in extra if arg.startswith("--")]
        if unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        args.query = [*args.query, *extra]
        if not args.query and args.command == "search":
            parser.error("the following arguments are required: query")
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return _dispatch(args)
    except ListsNotRebuilt as error:  # Ctrl-C after the write was saved
        say(str(error))
        return 130
    except (StoreError, SearchError) as error:
        say(str(error))
        return EXIT_BAD_INPUT
    except DataError as error:
        for problem in error.problems:
            say(problem)
        return EXIT_BAD_INPUT
    except sqlite3.DatabaseError as error:
        # Damage that opening did not catch (big files are not checked whole at open).
        checking = args.command == "db" and args.db_command == "check"
        say(str(describe_database_error(database_named(args), error, checking=checking)))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "db":
        commands = {
            "build": cmd_build,
            "check": cmd_check,
            "stats": cmd_stats,
            "create": cmd_create,
            "synth": cmd_synth,
            "reindex": cmd_reindex,
        }
        return commands[args.db_command](args)
    if args.command == "import":
        return cmd_import(args)
    if args.command == "export":
        return cmd_export(args)
    if args.command == "search":
        return cmd_search(args)
    return cmd_launch(args)


def database_named(args: argparse.Namespace) -> Path:
    """The file a command works on, for messages."""
    path = getattr(args, "path", None) or getattr(args, "out", None) or args.db
    if path is None:
        from sclerotui.bundle import default_db_path

        path = default_db_path()
    return path


def _upgrading(path: Path):
    """Says an upgrade is starting: of a large file it takes minutes (a million cases from
    schema 8: a backup copy, the events rewritten, the file compacted), not a hang."""

    def started(version: int) -> None:
        say(
            f"upgrading {path} from schema {version}: a backup copy first, then the upgrade "
            "(a few minutes for a large database; Ctrl-C leaves it unchanged)"
        )

    return started


def open_store(args: argparse.Namespace) -> tuple[Store, str | None]:
    """The database the user named with --db, or their own (built on first use)."""
    if args.db is not None:
        store = Store(args.db, read_only=args.read_only, on_upgrade=_upgrading(args.db))
        note = None
        if store.upgraded_from is not None:
            note = (
                f"upgraded {store.path} from schema {store.upgraded_from} "
                f"(the old file is kept at {store.backup_path})"
            )
            say(note)
    else:
        from sclerotui.bundle import open_default

        store, note = open_default(read_only=args.read_only)
    store.rank_progress = _ranking_bar
    return store, note


def _ranking_bar(total: int):
    from sclerotui.progress import progress

    return progress("ranking lists", total, "terms")


def cmd_launch(args: argparse.Namespace) -> int:
    store, note = open_store(args)
    for name, what in TEXTUAL_LEAKS.items():
        if os.environ.get(name):
            say(f"{name} is set: {what}; unset it to keep record text on screen only")
    # Start-up builds long-lived objects and little garbage, yet the cycle collector kept
    # running over them; the app turns it back on once the first frame is out (on_ready).
    gc.disable()
    try:
        from sclerotui.app import SclerotuiApp
        from sclerotui.session import session_path

        app = SclerotuiApp(
            store, note=note, session_path=session_path(store.path), restore=not args.fresh
        )
        app.run()
    finally:
        gc.enable()
    store.close()
    if app.database_error:
        say(app.database_error)
        return EXIT_BAD_INPUT
    return app.return_code or EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from sclerotui.bundle import build, build_steps, default_db_path
    from sclerotui.progress import progress

    path = args.out or args.db or default_db_path()
    with progress("building the database", build_steps(args.source), "steps") as advance:
        store, what = build(path, args.source, advance)
    store.close()
    show(what)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from sclerotui.checks import TABLES as CHECKED
    from sclerotui.checks import check_database
    from sclerotui.text import counted

    path = args.path or args.db
    if path is None:
        from sclerotui.bundle import default_db_path

        path = default_db_path()
    from sclerotui.progress import progress

    with Store(path, read_only=True, check=False) as store:
        total = sum(store.counts().get(table, 0) for table, _, _ in CHECKED)
        with progress("checking records", total, "records") as advance:
            problems = check_database(store, advance)
    for problem in problems:
        show(problem)
    if problems:
        show(f"{path}: {counted(len(problems), 'problem')}", file=sys.stderr)
        return EXIT_BAD_INPUT
    show(f"{path}: ok")
    return EXIT_OK


def cmd_reindex(args: argparse.Namespace) -> int:
    path = database_named(args)
    with Store(path, read_only=args.read_only, on_upgrade=_upgrading(path)) as store:
        if store.read_only:
            why = store.read_only_reason or "opened with --read-only"
            raise ReadOnlyError(f"cannot reindex {store.path}: it is read-only ({why})")
        if not store.has_table("rank_terms"):
            raise StoreError(f"{store.path} has no ranking lists (schema {store.schema_version})")
        store.rank_progress = _ranking_bar
        listed = store.rebuild_rank_lists()
    show(f"rebuilt the ranking lists of {path}: {listed:,} common words listed")
    return EXIT_OK


def cmd_create(args: argparse.Namespace) -> int:
    if args.path.exists():
        raise StoreError(f"{args.path} already exists; not overwriting it")
    Store(args.path, create=True).close()
    os.chmod(args.path, 0o600)
    show(f"created empty database {args.path}")
    return EXIT_OK


def cmd_synth(args: argparse.Namespace) -> int:
    from sclerotui.synth import synthesize

    if args.cases < 1:
        raise StoreError("--cases must be at least 1")
    from sclerotui.progress import progress

    with progress("writing synthetic cases", args.cases, "cases") as advance:
        totals = synthesize(args.out, args.cases, args.seed, advance, bars=progress)
    show(
        f"wrote SYNTHETIC database {args.out}: {totals['cases']:,} cases, "
        f"{totals['events']:,} events (seed {args.seed}; not real patients)"
    )
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from sclerotui.importers.importing import import_files

    if args.check:
        args.read_only = True  # validating never writes
    store, note = open_store(args)
    with store:
        if store.read_only and not args.check:
            # Say so before validating: fixing the files would not help.
            raise ReadOnlyError(
                f"cannot import into {store.path}: it is read-only ({store.read_only_reason}); "
                "'import --check' validates the files without writing"
            )
        from sclerotui.progress import megabytes, progress
        from sclerotui.text import counted

        size = sum(megabytes(path) for path in args.files)
        doing = "checking" if args.check else "importing"
        files = counted(len(args.files), "file")
        with progress(f"{doing} {files}", size, "MB") as advance:
            report = import_files(
                store,
                args.files,
                check=args.check,
                replace=args.replace,
                skip_unmatched=args.skip_unmatched,
                advance=advance,
            )

    for line in report.lines():
        show(line)
    show("checked: nothing written (--check)" if args.check else f"imported into {store.path}")
    return EXIT_OK


FOREST_WINDOWS = {"all": 0, "up-to-26": 1, "about-52": 2, "after-64": 3}  # evidence.WINDOWS


def cmd_export(args: argparse.Namespace) -> int:
    view = "--forest" if args.forest is not None else "--summary" if args.summary else None
    if view and args.format not in (None, "md"):
        return bad_input(f"{view} writes Markdown; leave out --format {args.format}")
    if args.window != "all" and args.forest is None:
        return bad_input("--window goes with --forest")
    store, _ = open_store(args)
    with store:
        if args.forest is not None:
            text = forest_export(store, args.forest, " ".join(args.query), args.window)
        elif args.summary is not None:
            if args.query:
                return bad_input(f"--summary takes a therapy, not a search: {' '.join(args.query)}")
            text = summary_export(store, args.summary)
        else:
            return export_records(args, store)
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    with written(args.output) as write:
        write(text)
    show(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK


def export_records(args: argparse.Namespace, store: Store) -> int:
    """Records written as they are read (an export of 100,000 cases is 700 MB of JSON):
    into standard output, or a file that appears whole once written (sclerotui.files)."""
    from sclerotui.export import export
    from sclerotui.progress import progress

    query, fmt = " ".join(args.query), args.format or "json"
    with contextlib.ExitStack() as stack:

        def bar(total: int):
            return stack.enter_context(progress(f"exporting {fmt}", total, "records"))

        if args.output is None:
            # Records shown on the terminal itself get no bar drawn over them.
            with Blocks(sys.stdout.write) as write:
                export(store, query, fmt, write, None if _on_terminal(sys.stdout) else bar)
            return EXIT_OK
        with written(args.output) as write:
            export(store, query, fmt, write, bar)
    show(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK


def _on_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def written(path: Path):
    """Yields write(text) into `path`, which is replaced only once all is written: a
    failure (a full disk) or Ctrl-C leaves the file as it was, and no other behind."""
    from sclerotui.files import NotWritten, private_output

    existed = path.exists()
    try:
        with (
            private_output(path) as write_bytes,
            Blocks(lambda text: write_bytes(text.encode("utf-8"))) as write,
        ):
            yield write
    except OSError as error:
        kept = ""
        if isinstance(error, NotWritten):
            kept = "; the file is as it was" if existed else "; no file was created"
        raise StoreError(f"cannot write {path}: {error.strerror or error}{kept}") from None


class Blocks:
    """Text gathered into blocks of about a megabyte before each is written: a write per
    record would cost a system call each."""

    SIZE = 1 << 20

    def __init__(self, emit) -> None:
        self.emit = emit
        self.parts: list[str] = []
        self.size = 0

    def __call__(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= self.SIZE:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            block = "".join(self.parts)
            self.parts.clear()
            self.size = 0
            self.emit(block)

    def __enter__(self):
        return self

    def __exit__(self, kind, *rest) -> None:
        if kind is None:
            self.flush()


def bad_input(message: str) -> int:
    say(message)
    return EXIT_BAD_INPUT


def forest_export(store: Store, measure: str, query: str, window: str) -> str:
    """The forest plots of a measure (one per effect scale), or a StoreError naming the
    measures that have trial effects as numbers."""
    from sclerotui.evidence import WINDOWS, outcomes
    from sclerotui.export import forest_markdown
    from sclerotui.query import parse
    from sclerotui.search import Search

    found = outcomes(store)
    chosen = [o for o in found if o.measure.casefold() == " ".join(measure.split()).casefold()]
    if not chosen:
        known = ", ".join(dict.fromkeys(o.measure for o in found)) or "none in this database"
        raise StoreError(
            f"--forest: no trial effect given as numbers for {measure!r} "
            f"(measures with some: {known})"
        )
    parsed = parse(query)
    if parsed.has_text or parsed.excluded:
        raise StoreError(
            f"--forest takes filters (subtype:, organ:, type:), not words: {query.strip()}"
        )
    criteria = Search(store).filters(parsed)
    return "\n".join(
        forest_markdown(store, outcome, WINDOWS[FOREST_WINDOWS[window]], criteria)
        for outcome in chosen
    )


def summary_export(store: Store, therapy: str) -> str:
    """A therapy's summary of findings, found by id, name or alias (any letter case)."""
    from sclerotui.evidence import summary
    from sclerotui.export import summary_markdown

    wanted = " ".join(therapy.split()).casefold()
    for record in store.therapy_records():
        if wanted in {record.id, record.name.casefold(), *(a.casefold() for a in record.aliases)}:
            rows, left_out = summary(store, record.id)
            return summary_markdown(store, record.name, rows, left_out)
    raise StoreError(f"--summary: no therapy {therapy!r} in this database (give its id or name)")


def cmd_stats(args: argparse.Namespace) -> int:
    store, note = open_store(args)
    with store:
        if note and args.db is None:  # open_store has said a --db file's note already
            show(note)
        show(f"database: {store.path}{' (read-only)' if store.read_only else ''}")
        for table, count in store.counts().items():
            show(f"{table:>10}: {count:,}")
        from sclerotui.origin import describe_origin

        for origin, count in store.origins():
            kind, where = describe_origin(origin)
            what = f"imported from {where}" if kind == "import" else f"from {where}"
            show(f"  trials and cases {what}: {count:,}")
        overridden = sorted(store.curated_overridden())
        if overridden:
            shown = ", ".join(f"{kind} {record_id}" for kind, record_id in overridden)
            show(f"  curated records replaced by your own: {shown}")
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    from sclerotui.query import parse, split_snippet
    from sclerotui.search import Search

    if args.limit < 1:
        raise SearchError(f"--limit must be 1 or more, not {args.limit}")
    query = parse(" ".join(args.query))  # a query that cannot be searched opens no database
    store, _ = open_store(args)
    with store:
        hits = Search(store).hits(query, limit=args.limit)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "kind": h.kind,
                        "id": h.id,
                        "title": h.title,
                        "therapy": h.therapy,
                        "snippet": "".join(t for t, _ in split_snippet(h.snippet)),
                        "rank": round(h.rank, 4),
                    }
                    for h in hits
                ],
                indent=2,
            )
        )
        return EXIT_OK
    if not hits:
        show(f"no results for {query.text!r}", file=sys.stderr)
        return EXIT_OK
    from sclerotui.text import one_line

    for hit in hits:
        snippet = "".join(f"[{t}]" if is_match else t for t, is_match in split_snippet(hit.snippet))
        show(f"{hit.kind:<8} {hit.id:<28} {one_line(hit.title)}")
        show(f"{'':<8} {one_line(snippet)}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
