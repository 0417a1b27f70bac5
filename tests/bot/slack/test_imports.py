"""bot/slack's imports: no storage, no other module's private names, no cycle among its modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SLACK = Path(__file__).resolve().parents[3] / "bot" / "slack"
MODULES = {f"bot.slack.{path.stem}": path for path in sorted(SLACK.glob("*.py"))}


def imported(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) for every import in the file, wherever it stands in it."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.module, alias.name) for alias in node.names]
    return found


def slack_modules_imported_by(path: Path) -> set[str]:
    found = set()
    for module, name in imported(path):
        if name and f"{module}.{name}" in MODULES:
            found.add(f"{module}.{name}")
        elif module in MODULES:
            found.add(module)
    return found


@pytest.mark.parametrize("module", list(MODULES))
def test_no_slack_module_imports_storage(module: str) -> None:
    storage = [m for m, _ in imported(MODULES[module]) if m.split(".")[0] == "storage"]
    assert storage == []


@pytest.mark.parametrize("module", list(MODULES))
def test_no_slack_module_imports_a_private_name_of_another_module(module: str) -> None:
    private = [
        f"{m}.{name}"
        for m, name in imported(MODULES[module])
        if name and name.startswith("_") and not name.startswith("__")
    ]
    assert private == []


def test_the_slack_modules_import_each_other_without_a_cycle() -> None:
    graph = {module: slack_modules_imported_by(path) for module, path in MODULES.items()}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " → ".join((*path, module))
        if module in done:
            return
        for other in graph[module]:
            visit(other, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())
