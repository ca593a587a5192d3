"""Patterns are copied into learners' apps: they must not reach behind the SDK — no local
cloud, no other part of labsupport, no private ``azure.*._module`` — only each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PATTERNS = Path(__file__).resolve().parents[2] / "labsupport" / "patterns"


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


def reaches_behind(module: str) -> bool:
    parts = module.lstrip(".").split(".")
    return (module.startswith("..") or parts[0] == "labsupport"
            or (parts[0] == "azure" and any(p.startswith("_") for p in parts)))


@pytest.mark.parametrize("path", sorted(PATTERNS.glob("*.py")), ids=lambda p: p.name)
def test_a_pattern_uses_public_libraries_and_other_patterns_only(path):
    assert not [m for m in imported_modules(path) if reaches_behind(m)]


def test_the_rule_catches_what_it_should():
    assert [m for m in ("..localcloud", "labsupport.lab", "azure.storage.queue._models",
                        ".leases", "azure.storage.queue", "sqlite3") if reaches_behind(m)] == [
        "..localcloud", "labsupport.lab", "azure.storage.queue._models"]
