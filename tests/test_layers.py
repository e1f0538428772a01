"""The package's rooms: only the store (and the schema it applies) touches a connection."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sclerotui

PACKAGE = Path(sclerotui.__file__).parent
# The modules that may touch a connection, and why. Every other module runs SQL through the
# store's door (read, first, scan, write, insert, execute_many, interrupt, transaction).
ALLOWED = {
    "store.py": "the door: opens the connection, runs every statement, owns the transactions",
    "schema.py": "the schema and numbered migrations, run by the store inside its transaction "
    "on the store's own connection (sqlite-utils' Database over it)",
}
# A connection's own methods (the store's door has read, first, scan, execute_many, interrupt).
CONNECTION_METHODS = {"execute", "executemany", "executescript", "cursor", "backup"}
# Attributes that are a connection or a wrapper of one (sqlite-utils' Database).
CONNECTION_ATTRIBUTES = {"conn", "db"}
# What any module may take from sqlite3: the errors the door lets through, to name them.
SQLITE_ERRORS = {"Error", "DatabaseError", "OperationalError", "IntegrityError"}


def modules_outside_the_door() -> list[Path]:
    return [path for path in sorted(PACKAGE.rglob("*.py")) if path.name not in ALLOWED]


def connection_uses(source: str) -> list[str]:
    """Where a module's source touches a connection: "line: what"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        where = getattr(node, "lineno", "?")
        if isinstance(node, ast.Attribute) and node.attr in CONNECTION_ATTRIBUTES:
            if not (isinstance(node.value, ast.Name) and node.value.id == "args"):  # --db
                found.append(f"{where}: .{node.attr}")
        elif isinstance(node, ast.Attribute) and node.attr == "connect":
            found.append(f"{where}: .connect")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in CONNECTION_ATTRIBUTES
        ):
            found.append(f"{where}: getattr(…, {node.args[1].value!r})")
        elif isinstance(node, ast.ImportFrom) and node.module in ("sqlite3", "sqlite_utils"):
            if any(alias.name not in SQLITE_ERRORS for alias in node.names):
                found.append(f"{where}: from {node.module} import …")
        elif isinstance(node, ast.Import) and any(a.name == "sqlite_utils" for a in node.names):
            found.append(f"{where}: import sqlite_utils")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CONNECTION_METHODS
            and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "self")
        ):
            found.append(f"{where}: .{node.func.attr}()")
    return found


def test_no_module_outside_the_store_touches_a_connection():
    found = []
    for path in modules_outside_the_door():
        for use in connection_uses(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(PACKAGE)}:{use}")
    assert found == [], f"only {', '.join(ALLOWED)} may touch a connection"


def test_the_allowed_modules_exist():
    """A module renamed away would leave its name allowed for whatever takes it next."""
    assert all((PACKAGE / name).is_file() for name in ALLOWED)


@pytest.mark.parametrize(
    "source",
    [
        "store.conn.execute('SELECT 1')",
        "rows = store.db['cases'].rows",
        "import sqlite3\nsqlite3.connect(path)",
        "from sqlite3 import connect\nconnect(path)",
        "import sqlite_utils",
        "from sqlite_utils import Database",
        "getattr(store, 'conn')",
        "cursor.execute('DELETE FROM cases')",
        "connection.executemany(sql, rows)",
        "connection.backup(target)",
    ],
)
def test_each_way_of_touching_a_connection_is_found(source):
    assert connection_uses(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "store.read('SELECT 1')",
        "store.first('SELECT 1', [x])",
        "with store.transaction():\n    store.write(sql, args)",
        "store.execute_many(sql, rows)",
        "store.interrupt()",
        "path = args.db",
        "import sqlite3\nexcept_ = sqlite3.DatabaseError",
        "from sqlite3 import OperationalError",
    ],
)
def test_the_door_is_not_mistaken_for_a_connection(source):
    assert connection_uses(source) == []


def test_widgets_do_not_import_the_store():
    """Widgets are handed plain rows and models; what they read of a record's origin comes
    from origin.py, not through the door."""
    found = []
    for path in sorted((PACKAGE / "widgets").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "sclerotui.store":
                found.append(f"{path.name}:{node.lineno}")
            elif isinstance(node, ast.ImportFrom) and node.module == "sclerotui":
                found += [f"{path.name}:{node.lineno}" for a in node.names if a.name == "store"]
            elif isinstance(node, ast.Import):
                found += [
                    f"{path.name}:{node.lineno}" for a in node.names if a.name == "sclerotui.store"
                ]
    assert found == []


# The explorer's rooms; everything else (models, store, search, importers, export, cli) is the
# data layer and never imports Textual, so the command line and imports do not pay for it.
UI = {"app.py", "screens", "widgets"}


def test_the_data_layer_never_imports_textual():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] in UI:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            if any(name == "textual" or name.startswith("textual.") for name in names):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == []


def test_the_registry_importer_loads_without_textual():
    """Importing the registry package (models, builders) and reading a record pulls in no
    Textual module, even indirectly."""
    import subprocess
    import sys

    fixture = Path(__file__).parent / "fixtures" / "registry" / "single_study_results.json"
    code = (
        "import json, sys\n"
        "from sclerotui.importers.registry import parse_registry\n"
        "from sclerotui.importers.registry.models import read_study\n"
        f"study, problems = read_study(json.load(open({str(fixture)!r})))\n"
        "assert study is not None and problems == []\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'textual'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert result.stdout.strip() == "[]"
