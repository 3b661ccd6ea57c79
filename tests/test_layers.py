"""No module imports a layer above its own: text < extract < checks (validate, grounding) < run.

A strategy is handed the checks it re-asks with (`ClaimChecker`) rather than importing them, and
the store keeps rows, not model types: the call log that knows both sits beside the backends.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A folder -> the modules it must not import, even lazily.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "pipeline/text": ("pipeline.extract", "pipeline.validate", "pipeline.grounding"),
    "pipeline/extract": ("pipeline.validate", "pipeline.grounding", "pipeline.run"),
    "pipeline/store": ("pipeline.backends", "pipeline.extract"),
    "schemas": ("pipeline",),
}


def imported(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function or TYPE_CHECKING block."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_module_imports_a_layer_above_it(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    above = FORBIDDEN[package]
    found = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in imported(path)
        if any(name == a or name.startswith(a + ".") for a in above)
    }
    assert not found
