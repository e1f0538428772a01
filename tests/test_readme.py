"""README's promises name their tests: each named file and test must exist."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# `test_x.py`, `app/test_x.py`, `tests/app/test_x.py::test_y`, `::test_y` (of the last file named)
NAMED = re.compile(r"`((?:tests/)?(?:app/)?test_\w+\.py)?(?:::(\w+))?`")


def named_tests(text: str) -> list[tuple[str, str | None]]:
    """(file, test or None) for each test README names; `::name` takes the last file named."""
    named, last_file = [], None
    for match in NAMED.finditer(text):
        file, test = match.groups()
        if file is None and test is None:
            continue
        if file:
            last_file = file.removeprefix("tests/")
        named.append((last_file, test))
    return named


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    }


def test_every_test_the_readme_names_exists():
    named = named_tests((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(named) > 30, "README should name the tests behind its promises"
    missing = []
    for file, test in named:
        path = ROOT / "tests" / file if file else None
        absent = path is None or not path.exists()
        if absent or (test and test not in defined_tests(path)):
            missing.append(f"{file}::{test}")
    assert missing == []


def test_a_name_after_a_file_is_read_as_that_files_test():
    text = "x (`test_a.py::test_one`, `::test_two`, `app/test_b.py`) `::test_three`"
    assert named_tests(text) == [
        ("test_a.py", "test_one"),
        ("test_a.py", "test_two"),
        ("app/test_b.py", None),
        ("app/test_b.py", "test_three"),
    ]
