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
