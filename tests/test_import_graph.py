"""The core's modules import each other without a circle (function-level and TYPE_CHECKING imports count)."""

from __future__ import annotations

import ast
from pathlib import Path

import dnallm_zoo

ROOT = Path(dnallm_zoo.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for f in ROOT.rglob("*.py"):
        parts = list(f.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = f
    return out


def _edges(mods: dict[str, Path]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        is_pkg = f.name == "__init__.py"
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = m.split(".") if is_pkg else m.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    mod = ".".join([*base, node.module] if node.module else base)
                else:
                    mod = node.module or ""
                targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in mods else mod for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for t in targets:
                while t and t not in mods and "." in t:
                    t = t.rsplit(".", 1)[0]
                # a package importing its children is how packages work; a child importing its package is not
                if t in mods and t != m and not (is_pkg and t.startswith(m + ".")):
                    edges[m].add(t)
    return edges


def _circle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        path.append(v)
        for w in sorted(edges[v]):
            if state.get(w) == 1:
                return [*path[path.index(w):], w]
            if w not in state and (found := visit(w)):
                return found
        path.pop()
        state[v] = 2
        return None

    for v in sorted(edges):
        if v not in state and (found := visit(v)):
            return found
    return None


def test_no_import_circle_among_the_core_modules() -> None:
    circle = _circle(_edges(_modules()))
    assert circle is None, "import circle: " + " -> ".join(circle or [])


def test_the_walk_sees_a_circle_when_there_is_one() -> None:
    assert _circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _circle({"a": {"b"}, "b": set()}) is None


def test_the_walk_finds_function_level_imports() -> None:
    edges = _edges(_modules())
    assert "dnallm_zoo._hub" in edges["dnallm_zoo._core_plugin"]  # imported inside the hook function
    assert "dnallm_zoo._hub" in edges["dnallm_zoo._loading"]  # inside _load_unregistered_hub
