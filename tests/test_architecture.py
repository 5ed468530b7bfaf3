"""The domain's rooms and the direction of their imports.

- ``timebank.ledger`` (the double-entry core), ``timebank.community`` (people and what
  they do beside the ledger) and ``timebank.reports`` (what reads the ledger to tell
  someone something) import no Flask: each is imported in a fresh interpreter where
  Flask cannot be imported at all.
- ``ledger`` imports neither of the others; ``community`` may import ``ledger``;
  ``reports`` may import both. Checked on the source (every ``import`` statement,
  including those inside functions), so a lazy import cannot slip through.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "timebank"

ALLOWED = {
    "ledger": {"ledger"},
    "community": {"ledger", "community"},
    "reports": {"ledger", "community", "reports"},
}

FLASK_BLOCKER = """
import importlib.abc, pkgutil, sys

class NoFlask(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top == "flask" or top.startswith("flask_") or top in {"werkzeug", "jinja2"}:
            raise ImportError(f"{name} is not allowed in the domain")
        return None

sys.meta_path.insert(0, NoFlask())
import timebank.{room} as room
for info in pkgutil.walk_packages(room.__path__, room.__name__ + "."):
    __import__(info.name)
    print(info.name)
"""


def _imports_of(path: Path) -> list[tuple[int, str]]:
    """Every module name imported by a source file, with its line."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = path.parent.relative_to(ROOT).parts
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # ``from timebank import reports`` names the room in the alias, not the module.
            if module == "timebank":
                found.extend((node.lineno, f"timebank.{alias.name}") for alias in node.names)
    return found


def import_violations(room: str) -> list[str]:
    problems = []
    for path in sorted((PACKAGE / room).rglob("*.py")):
        for line, module in _imports_of(path):
            parts = module.split(".")
            if (
                parts[0] in {"flask", "werkzeug", "jinja2"}
                or parts[0].startswith("flask_")
                or (parts[0] == "timebank" and len(parts) > 1 and parts[1] not in ALLOWED[room])
            ):
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return problems


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_room_imports_only_what_it_may(room):
    assert import_violations(room) == []


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_room_imports_without_flask(room):
    result = subprocess.run(
        [sys.executable, "-c", FLASK_BLOCKER.replace("{room}", room)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    imported = result.stdout.split()
    modules = {
        f"timebank.{room}." + ".".join(p.relative_to(PACKAGE / room).with_suffix("").parts)
        for p in (PACKAGE / room).rglob("*.py")
        if p.name != "__init__.py"
    }
    assert modules <= set(imported)


def test_the_check_sees_a_forbidden_import(tmp_path, monkeypatch):
    """The checker itself: a ledger module importing the community is reported."""
    fake = tmp_path / "timebank" / "ledger"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text(
        "def f():\n    from timebank.community import people\n    import flask\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "timebank")
    assert import_violations("ledger") == [
        "timebank/ledger/bad.py:2 imports timebank.community",
        "timebank/ledger/bad.py:3 imports flask",
    ]
