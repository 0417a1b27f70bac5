"""The layers' import rules and sizes, walked over the product's source so they stay true."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("bot", "handlers", "storage", "config")
MOST_LINES_IN_A_MODULE = 450
MOST_LINES_IN_A_FUNCTION = 50


def modules() -> dict[str, Path]:
    found = {}
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = modules()


def imports_of(path: Path) -> Iterator[tuple[str, str]]:
    """(module imported, name imported or "") for every import in the file, type-only too."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ""
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield node.module, alias.name


def product_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for module, imported in imports_of(path):
            if f"{module}.{imported}" in MODULES:
                edges[name].add(f"{module}.{imported}")
            elif module in MODULES:
                edges[name].add(module)
    return edges


def test_the_domain_imports_only_the_standard_library() -> None:
    outside = {
        (name, module)
        for name, path in MODULES.items()
        if name.startswith("bot.domain")
        for module, _ in imports_of(path)
        if module.split(".")[0] not in sys.stdlib_module_names
        and not module.startswith("bot.domain")
    }
    assert outside == set()


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        (
            "bot.services",
            ("storage", "sqlalchemy", "psycopg", "alembic", "slack_sdk", "slack_bolt"),
        ),
        ("bot.slack", ("storage", "sqlalchemy", "psycopg")),
        ("handlers", ("storage", "sqlalchemy")),
    ],
)
def test_a_layer_does_not_reach_past_its_ports(layer: str, forbidden: tuple[str, ...]) -> None:
    reaching = {
        (name, module)
        for name, path in MODULES.items()
        if name.startswith(layer)
        for module, _ in imports_of(path)
        if module.split(".")[0] in forbidden
    }
    assert reaching == set()


def test_no_module_imports_another_modules_private_name() -> None:
    private = {
        (name, f"{module}.{imported}")
        for name, path in MODULES.items()
        for module, imported in imports_of(path)
        if imported.startswith("_") and module.split(".")[0] in PRODUCT
    }
    assert private == set()


def test_no_import_cycle_between_modules() -> None:
    edges = product_edges()
    cycles = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(edges[name]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_modules_and_functions_stay_readable_in_size() -> None:
    long_modules = {
        name: lines
        for name, path in MODULES.items()
        if (lines := path.read_text().count("\n")) > MOST_LINES_IN_A_MODULE
    }
    long_functions = {
        f"{name}.{node.name}": node.end_lineno - node.lineno + 1
        for name, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MOST_LINES_IN_A_FUNCTION
    }
    assert (long_modules, long_functions) == ({}, {})
