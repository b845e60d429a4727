"""docs/writing-a-plugin.md keeps in step with the hook specs, the kit's signatures, the env variables."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

import dnallm_zoo
from dnallm_zoo import _hooks
from dnallm_zoo.kit import Family, StockFamily

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "writing-a-plugin.md").read_text(encoding="utf-8")
FIRST = "first answer wins"


def hookspecs() -> dict[str, Any]:
    """The hook specs: name -> function (pluggy marks them with `dnallm_zoo_spec`)."""
    return {name: fn for name, fn in vars(_hooks).items() if callable(fn) and hasattr(fn, "dnallm_zoo_spec")}


def section(title: str) -> str:
    """The text of the `## title` section."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", DOC, re.S | re.M)
    assert match, f"docs/writing-a-plugin.md has no '## {title}' section"
    return match.group(1)


def documented_hooks() -> dict[str, tuple[str, str, str]]:
    """Hook name -> (parameters, return annotation, rest of the heading), from the hook headings."""
    out = {}
    for m in re.finditer(r"^### `(\w+)\(([^)]*)\) -> ([^`]+)`(.*)$", section("The hooks"), re.M):
        out[m.group(1)] = (m.group(2), m.group(3).strip(), m.group(4))
    return out


def hook_bodies() -> dict[str, str]:
    """Hook name -> the text under its heading."""
    parts = re.split(r"^### `(\w+)\(.*$", section("The hooks"), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_every_hook_spec_is_documented_and_nothing_else() -> None:
    assert sorted(documented_hooks()) == sorted(hookspecs())


@pytest.mark.parametrize("name", sorted(hookspecs()))
def test_documented_signature_is_the_spec(name: str) -> None:
    params, returns, rest = documented_hooks()[name]
    spec = hookspecs()[name]
    sig = inspect.signature(spec)
    assert [p.strip() for p in params.split(",")] == list(sig.parameters), name
    assert returns == sig.return_annotation, name
    assert (FIRST in rest) == bool(spec.dnallm_zoo_spec["firstresult"]), (
        f"{name}: the heading says '{FIRST}' exactly when the spec is firstresult")


@pytest.mark.parametrize("name", sorted(hookspecs()))
def test_each_hook_has_an_example_implementation_with_the_spec_signature(name: str) -> None:
    sig = inspect.signature(hookspecs()[name])
    impls = []
    for block in python_blocks(hook_bodies()[name]):
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.FunctionDef) and node.name == name:
                impls.append(node)
    assert impls, f"no example `def {name}(...)` under its heading"
    (fn,) = impls
    assert any(ast.unparse(d) == "hookimpl" for d in fn.decorator_list), f"{name}: not marked @hookimpl"
    args = fn.args.args
    assert [a.arg for a in args] == list(sig.parameters), name
    annotations = [ast.unparse(a.annotation) if a.annotation else None for a in args]
    assert annotations == [p.annotation for p in sig.parameters.values()], name
    assert fn.returns is not None and ast.unparse(fn.returns) == sig.return_annotation, name


def test_every_python_example_parses() -> None:
    blocks = python_blocks(DOC)
    assert len(blocks) >= 7  # the table, four hooks, the encoder, the suite
    for block in blocks:
        ast.parse(block)


def test_examples_import_only_public_names() -> None:
    for block in python_blocks(DOC):
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.ImportFrom) and node.module == "dnallm_zoo":
                missing = [a.name for a in node.names if a.name not in dnallm_zoo.__all__]
                assert not missing, f"the doc imports non-public {missing} from dnallm_zoo"
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dnallm_zoo."):
                assert not any(part.startswith("_") for part in (node.module or "").split(".")), node.module


@pytest.mark.parametrize("cls", [StockFamily, Family])
def test_documented_family_signatures_are_the_kit_s(cls: type) -> None:
    m = re.search(rf"`{cls.__name__}\((.*?)\)`", DOC, re.S)
    assert m, f"the doc gives no `{cls.__name__}(...)` signature"
    params = re.sub(r"\([^()]*\)", "()", " ".join(m.group(1).split()))  # defaults like ("bert",)
    documented = [p.split("=")[0].strip() for p in params.split(",")]
    documented = [p for p in documented if p != "*"]
    assert documented == list(inspect.signature(cls.__init__).parameters)[1:]


def test_environment_variables_are_the_ones_the_core_reads() -> None:
    source = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "dnallm_zoo").rglob("*.py"))
    read = set(re.findall(r"DNALLM_ZOO_[A-Z_]+", source))
    assert set(re.findall(r"DNALLM_ZOO_[A-Z_]+", section("Conflicts and failures"))) == read


def test_the_sections_a_newcomer_needs() -> None:
    titles = re.findall(r"^## (.+)$", DOC, re.M)
    for needed in ("From nothing to `dnallm-zoo check`",
                   "The short way: a spec table on the stock-family kit", "The hooks",
                   "The full way: your own `DNAEncoder`", "The conformance kit",
                   "Conflicts and failures", "Publishing"):
        assert needed in titles, needed
    assert titles.index("The short way: a spec table on the stock-family kit") < titles.index(
        "The full way: your own `DNAEncoder`")


def test_the_short_way_example_is_a_working_plugin(zoo_isolated: Any, zoo_plugin: Any) -> None:
    """The spec table of the short way, run as written, registers a valid model."""
    (block,) = [b for b in python_blocks(section("The short way: a spec table on the stock-family kit"))
                if "StockFamily(" in b]
    namespace: dict[str, Any] = {}
    exec(compile(block, "writing-a-plugin.md", "exec"), namespace)
    family = namespace["family"]
    assert isinstance(family, StockFamily) and [s.id for s in family.specs] == ["my-bert"]
    zoo_plugin(family, name="my-bert")
    assert dnallm_zoo.get_spec("my-org/my-bert").plugin == "my-bert"
    assert dnallm_zoo.get_spec("my-bert").capabilities.max_bases == 515  # 510 6-mer windows span 515 bases
