"""The floors of DESIGN.md, checked on the source: shells → ingest/, eval/ → tutor/, never back up."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

SHELLS = {"app", "app_state"}


def _imports(path: Path) -> set[str]:
    """Top-level names of every module the file imports (inside functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def _package(name: str) -> list[Path]:
    return sorted((ROOT / name).rglob("*.py"))


def test_tutor_never_imports_ingest_eval_or_a_shell():
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & ({"ingest", "eval"} | SHELLS))
                 for p in _package("tutor")}
    assert not {k: v for k, v in offenders.items() if v}


def test_ingest_and_eval_never_import_a_shell_or_each_other():
    for package, other in (("ingest", "eval"), ("eval", "ingest")):
        offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & (SHELLS | {other})) for p in _package(package)}
        assert not {k: v for k, v in offenders.items() if v}, package


def test_no_generic_top_level_modules_in_the_tree():
    # The distribution ships tutor, ingest and eval; no `cli`, `commands` or installable `app` beside them.
    assert not (ROOT / "cli.py").exists() and not (ROOT / "commands").exists()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "py-modules" not in pyproject and 'include = ["tutor*", "ingest*", "eval*"]' in pyproject
