"""Route modules import each service twice: under TYPE_CHECKING (what mypy and editors follow) and as a
lazy module at run time. This walk proves the two always name the same module under the same name, so
what the type checker checked is what runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted([*(ROOT / "chalicelib" / "routes").glob("*.py"), ROOT / "app.py"])


def _wiring(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    typed: dict[str, str] = {}
    lazy: dict[str, str] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom):
                    for alias in stmt.names:
                        typed[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name) and node.value.func.id == "lazy_module"):
            target = node.targets[0]
            argument = node.value.args[0]
            assert isinstance(target, ast.Name) and isinstance(argument, ast.Constant)
            lazy[target.id] = str(argument.value)
    return typed, lazy


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_every_lazy_service_has_the_same_typed_import(path):
    typed, lazy = _wiring(path)
    assert {name: typed.get(name) for name in lazy} == lazy


def test_the_walk_sees_the_wiring():
    typed, lazy = _wiring(ROOT / "chalicelib" / "routes" / "settlement.py")
    assert lazy["settlement"] == typed["settlement"] == "chalicelib.settlement.service"
