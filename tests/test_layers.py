"""The package's rooms: only the store (and the schema it applies) touches a connection."""

from __future__ import annotations

import ast
from pathlib import Path

import sclerotui

PACKAGE = Path(sclerotui.__file__).parent
# The door, and the schema and migrations it runs inside its transactions.
DOOR = {"store.py", "schema.py"}
# A connection's own methods (the store's door has read, first, scan, execute_many, interrupt).
CONNECTION_METHODS = {"execute", "executemany", "executescript", "cursor", "backup"}


def modules_outside_the_door() -> list[Path]:
    return [path for path in sorted(PACKAGE.rglob("*.py")) if path.name not in DOOR]


def test_no_module_outside_the_store_touches_a_connection():
    found = []
    for path in modules_outside_the_door():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(PACKAGE)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Attribute) and node.attr == "conn":
                found.append(f"{where} .conn")
            elif isinstance(node, ast.Attribute) and node.attr == "db":  # sqlite-utils' Database
                if not (isinstance(node.value, ast.Name) and node.value.id == "args"):
                    found.append(f"{where} .db")
            elif isinstance(node, ast.Attribute) and node.attr == "connect":
                found.append(f"{where} .connect")
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in CONNECTION_METHODS
                and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "self")
            ):
                found.append(f"{where} .{node.func.attr}()")
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
