"""Providers are packages: no module outside `linelogic_assets/providers/` names one in its code.

Code means identifiers and string literals (docstrings and comments may say which sources a layer reads).
A layer that needs something of a provider loops over `providers.registry.PROVIDERS` instead.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from linelogic_assets.providers.registry import PROVIDERS

PACKAGE = Path(__file__).resolve().parents[2] / "linelogic_assets"
SPELLINGS = {  # how code spells each registered provider, beyond its registry name
    "oddsapi": [r"odds_?api", r"the odds api"],
    "balldontlie": [r"ball_?dont_?lie", r"(?<![a-z])bdl(?![a-z])"],
    "polymarket": [r"polymarket"],
}


def _patterns() -> re.Pattern:
    spellings = [s for p in PROVIDERS for s in [re.escape(p.name), *SPELLINGS.get(p.name, [])]]
    return re.compile("|".join(spellings), re.IGNORECASE)


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def namings(path: Path, pattern: re.Pattern) -> list[str]:
    """`line: text` of every identifier or string literal of a module that names a provider."""
    tree = ast.parse(path.read_text())
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        texts: list[str] = []
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            texts = [node.value]
        elif isinstance(node, ast.Name):
            texts = [node.id]
        elif isinstance(node, ast.Attribute):
            texts = [node.attr]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            texts = [node.name]
        elif isinstance(node, ast.alias):
            texts = [node.name, node.asname or ""]
        elif isinstance(node, ast.ImportFrom):
            texts = [node.module or ""]
        elif isinstance(node, ast.arg):
            texts = [node.arg]
        elif isinstance(node, ast.keyword):
            texts = [node.arg or ""]
        found += [f"{getattr(node, 'lineno', '?')}: {t!r}" for t in texts if pattern.search(t)]
    return found


def layer_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "providers" not in p.relative_to(PACKAGE).parts)


def test_no_module_outside_providers_names_a_provider() -> None:
    pattern = _patterns()
    offenders = {str(p.relative_to(PACKAGE)): hits for p in layer_modules() if (hits := namings(p, pattern))}
    assert not offenders, "\n".join(f"{m}: {', '.join(h[:4])}{' …' if len(h) > 4 else ''}"
                                    for m, h in sorted(offenders.items()))


def test_the_check_sees_a_provider_named_in_code(tmp_path: Path) -> None:
    module = tmp_path / "layer.py"
    module.write_text('"""Reads oddsapi responses (a docstring may say so)."""\n# so may a comment: balldontlie\n'
                      'ENDPOINTS = {"oddsapi": ("odds",)}\n\n\ndef f(bdl_game):\n    return bdl_game\n')
    hits = namings(module, _patterns())
    assert [h.split(":")[0] for h in hits] == ["3", "6", "7"]
