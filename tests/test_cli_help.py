"""The command line's help (every option documented, every command with examples), --limit
bounds, and how the explorer is launched with its session."""

from __future__ import annotations

import argparse
import re
import shlex

import pytest

from sclerotui.cli import EXIT_BAD_INPUT, EXIT_OK, build_parser, main
from sclerotui.session import session_path


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def parsers(parser: argparse.ArgumentParser, name: str = "sclerotui"):
    """Every parser and subparser, with its command line."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from parsers(sub, f"{name} {sub_name}")


def test_every_option_and_argument_is_documented_and_every_command_has_examples():
    for name, parser in parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            assert action.help, f"{name}: {action.dest} has no help text"
        assert parser.epilog and parser.epilog.startswith("examples:"), name
        # Each example is a command of this parser (or the top level's).
        for line in parser.epilog.splitlines()[1:]:
            assert line.strip().startswith("sclerotui"), (name, line)
        help_text = parser.format_help()
        assert "examples:\n  sclerotui" in help_text, name  # kept as written, not rewrapped


def test_examples_in_help_parse():
    """The examples are real command lines: each parses (its comment dropped)."""
    parser = build_parser()
    for name, sub in parsers(parser):
        for line in sub.epilog.splitlines()[1:]:
            command = re.split(r"\s{2,}", line.strip())[0]  # "cmd   comment"
            words = shlex.split(command.split(" > ")[0])[1:]
            if "COMMAND" in words:
                continue
            args, extra = parser.parse_known_args(words)
            assert not [w for w in extra if w.startswith("--")], (name, line)


@pytest.mark.parametrize("limit", ["0", "-3"])
def test_search_limit_below_one_is_refused_in_one_line(capsys, mini_db, limit):
    before = mini_db.read_bytes()
    code, out, err = run(capsys, "--db", mini_db, "search", "--limit", limit, "rituximab")
    assert code == EXIT_BAD_INPUT
    assert out == ""
    assert err == f"sclerotui: --limit must be 1 or more, not {limit}\n"
    assert mini_db.read_bytes() == before


def test_search_limit_one_gives_one_result(capsys, mini_db):
    code, out, _ = run(capsys, "--db", mini_db, "search", "--limit", "1", "rituximab")
    assert code == EXIT_OK
    assert len(out.splitlines()) == 2  # one hit, two lines


@pytest.mark.parametrize("fresh", [False, True])
def test_the_explorer_keeps_its_session_in_the_data_directory(mini_db, monkeypatch, fresh):
    """The launcher passes the session file (the tests' own data directory, here); --fresh
    starts without restoring it."""
    from sclerotui.app import SclerotuiApp

    launched = []

    def run_app(app):
        launched.append((app.session_path, app.main_screen._session is None))
        app.search.close()

    monkeypatch.setattr(SclerotuiApp, "run", run_app)
    path = session_path(mini_db)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"version": 1, "query": "rituximab"}')
    argv = ["--db", str(mini_db), *(["--fresh"] if fresh else [])]
    assert main(argv) == EXIT_OK
    assert launched == [(path, fresh)]
