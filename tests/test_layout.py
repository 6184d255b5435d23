"""The package's layout: imports run down the flow read → history → simulate → result → report / export.

Every import counts, those inside functions too: a lazy import that points back up is a cycle all the same.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "neverlog_sim"
VOCABULARY = {"neverlog_sim.errors", "neverlog_sim.rules", "neverlog_sim.entries", "neverlog_sim.lists",
              "neverlog_sim.atomic", "neverlog_sim._version"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules ``name`` imports, anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # ``from pkg import module`` imports that module; ``from module import name`` the module itself
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in modules and t != name}
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_package_has_no_import_cycle():
    assert [] == _cycles(import_graph())


def test_the_cycle_finder_finds_a_cycle():
    assert [["a", "b"]] == _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}})


@pytest.mark.parametrize("layer, allowed", [
    ("neverlog_sim.readers", VOCABULARY),
    ("neverlog_sim.engine", VOCABULARY),
    ("neverlog_sim.report", VOCABULARY),
])
def test_lower_layers_import_only_the_vocabulary_and_themselves(layer, allowed):
    graph = import_graph()
    wrong = {(m, t) for m, targets in graph.items() if m == layer or m.startswith(layer + ".")
             for t in targets if not (t in allowed or t == layer or t.startswith(layer + "."))}
    assert set() == wrong


def test_the_vocabulary_imports_nothing_above_it():
    graph = import_graph()
    assert set() == {(m, t) for m in VOCABULARY for t in graph[m] if t not in VOCABULARY}


def test_old_module_paths_still_import():
    code = ("import warnings\n"
            "with warnings.catch_warnings(record=True) as seen:\n"
            "    warnings.simplefilter('always')\n"
            "    from neverlog_sim.ingest import load_sent\n"
            "    from neverlog_sim.hubspot import load_hubspot, to_canonical\n"
            "    from neverlog_sim import charts\n"
            "    charts.pareto_chart\n"
            "import neverlog_sim.history, neverlog_sim.readers.hubspot\n"
            "assert load_sent is neverlog_sim.history.load_sent and load_hubspot is neverlog_sim.history.load_hubspot\n"
            "assert to_canonical is neverlog_sim.readers.hubspot.to_canonical\n"
            "print('\\n'.join(str(w.message) for w in seen))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert ["neverlog_sim.ingest.load_sent is now neverlog_sim.history.load_sent",
            "neverlog_sim.hubspot.load_hubspot is now neverlog_sim.history.load_hubspot",
            "neverlog_sim.hubspot.to_canonical is now neverlog_sim.readers.hubspot.to_canonical",
            "neverlog_sim.charts.pareto_chart is now neverlog_sim.report.charts.pareto_chart"] == out.splitlines()
