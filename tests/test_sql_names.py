"""The SQL steps live in several modules of one package, ``engine.sql``, which re-exports them all by name:
two steps of one name would leave one of them unreachable (the later import wins, silently)."""

from __future__ import annotations

import ast
from pathlib import Path

SQL = Path(__file__).resolve().parents[1] / "neverlog_sim" / "engine" / "sql"


def test_no_two_sql_modules_define_the_same_function():
    seen: dict[str, list[str]] = {}
    for path in sorted(SQL.glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                seen.setdefault(node.name, []).append(path.name)
    assert {} == {name: files for name, files in seen.items() if len(files) > 1}
