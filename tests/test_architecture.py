"""The dependency rules hold: connectors depend on the bridge, never the reverse, except at the composition roots.

The contracts live in pyproject.toml (``[tool.importlinter]``); import-linter checks them from the
source, without importing it. Dynamic imports (``importlib.import_module``) are invisible to it, so
a second check finds those by reading the syntax tree.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
COMPOSITION_ROOTS = ("bridge.runtime", "bridge.demo")


def _is_root(module: str) -> bool:
    return any(module == root or module.startswith(root + ".") for root in COMPOSITION_ROOTS)


def test_the_import_contracts_in_pyproject_hold() -> None:
    run = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
         "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    report = run.stdout + run.stderr
    assert "Contracts: 4 kept, 0 broken." in report, report
    assert run.returncode == 0, report


def test_only_the_composition_roots_import_connectors() -> None:
    graph = grimp.build_graph("bridge", "connectors", cache_dir=None)
    edges = sorted(
        (importer, detail["line_number"], imported)
        for importer in graph.find_descendants("bridge")
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported == "connectors" or imported.startswith("connectors.")
        for detail in graph.get_import_details(importer=importer, imported=imported)
    )
    importers = {importer for importer, _, _ in edges}
    print(f"\nimport edges from bridge into connectors: {len(edges)} lines in {len(importers)} modules "
          f"({', '.join(sorted(importers))})")
    assert sorted(m for m in importers if not _is_root(m)) == []
    assert edges, "the composition root builds connectors: some bridge module must import them"


def _dynamic_imports(path: Path) -> list[int]:
    """Lines that import a module by a computed name, which import-linter cannot see."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("import_module", "__import__"):
                lines.append(node.lineno)
    return lines


def test_no_module_outside_the_roots_imports_by_a_computed_name() -> None:
    found = []
    for path in sorted((ROOT / "bridge").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if not _is_root(module):
            found += [f"{path.relative_to(ROOT)}:{line}" for line in _dynamic_imports(path)]
    assert found == [], "reach a tool's modules through bridge.runtime, not importlib: " + ", ".join(found)
