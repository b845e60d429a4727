"""`dnallm-zoo new-plugin`: a project passing the conformance kit as written; never over existing files."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import dnallm_zoo
from dnallm_zoo.cli import cli
from dnallm_zoo.cli._new_plugin import render_plugin_project

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # tests/ is no package (pytest's importlib mode)
    sys.path.insert(0, str(TESTS))

from core_only_env import make_core_only_env, run  # noqa: E402

FILES = ["README.md", "dnallm_zoo_my_bert/__init__.py", "dnallm_zoo_my_bert/py.typed", "pyproject.toml",
         "tests/test_conformance.py"]


def new_plugin(*args: str) -> Any:
    return CliRunner().invoke(cli, ["new-plugin", *args])


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_creates_the_project_with_the_entry_point(tmp_path: Path) -> None:
    dest = tmp_path / "proj"
    result = new_plugin("my-bert", "--output", str(dest))
    assert result.exit_code == 0, result.output
    assert listing(dest) == FILES
    meta = (dest / "pyproject.toml").read_text()
    assert 'name = "dnallm-zoo-my-bert"' in meta
    assert '[project.entry-points.dnallm_zoo]\nmy-bert = "dnallm_zoo_my_bert:family"' in meta
    assert f'dependencies = ["dnallm-zoo>={dnallm_zoo.__version__}"]' in meta
    assert 'conformance_suite(plugin="my-bert")' in (dest / "tests" / "test_conformance.py").read_text()
    assert "$" not in "".join(p.read_text() for p in dest.rglob("*") if p.is_file())  # all substituted


def test_default_directory_is_the_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert new_plugin("my-bert").exit_code == 0
    assert listing(tmp_path / "my-bert") == FILES


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    dest = tmp_path / "proj"
    dest.mkdir()
    (dest / "pyproject.toml").write_text("mine\n")
    result = new_plugin("my-bert", "-o", str(dest))
    assert result.exit_code == 1
    assert "refusing to overwrite" in result.output and str(dest) in result.output
    assert listing(dest) == ["pyproject.toml"] and (dest / "pyproject.toml").read_text() == "mine\n"
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert new_plugin("my-bert", "-o", str(a_file)).exit_code == 1 and a_file.read_text() == "x"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert new_plugin("my-bert", "-o", str(empty)).exit_code == 0  # an empty directory is fine


@pytest.mark.parametrize("name", ["My-Bert", "1bert", "my bert", "bert-", "-bert", "my--bert", "a/b", ""])
def test_refuses_names_that_make_no_package(tmp_path: Path, name: str) -> None:
    result = new_plugin(name, "-o", str(tmp_path / "x"))
    assert result.exit_code == 2 and "NAME" in result.output
    assert not (tmp_path / "x").exists()


def test_generated_code_passes_ruff(tmp_path: Path) -> None:
    for tok in ("kmer", "bpe"):
        assert new_plugin(f"r-{tok}", "--tokenizer", tok, "-o", str(tmp_path / tok)).exit_code == 0
    ruff = Path(sys.executable).with_name("ruff")
    proc = subprocess.run([str(ruff), "check", "--isolated", "--line-length", "110", "--select",
                           "E,F,W,I,UP,B,SIM", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture
def generated(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Render a project into tmp_path and import its package (the import is undone afterwards)."""
    imported: list[str] = []

    def make(name: str, **kw: Any) -> Any:
        dest = tmp_path / name
        for rel, text in render_plugin_project(name, **kw).items():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).write_text(text)
        sys.path.insert(0, str(dest))
        package = "dnallm_zoo_" + name.replace("-", "_")
        imported.append(package)
        return importlib.import_module(package)

    yield make
    for package in imported:
        sys.modules.pop(package, None)
    sys.path[:] = [p for p in sys.path if not p.startswith(str(tmp_path))]


def test_k_and_the_tokenizer_reach_the_spec(generated: Callable[..., Any]) -> None:
    (spec,) = generated("gen-k3", k=3).SPECS
    assert (spec.tokenizer.kind, spec.tokenizer.k, spec.capabilities.chunk_overlap) == ("kmer", 3, 2)
    (spec,) = generated("gen-bpe", tokenizer="bpe").SPECS
    assert (spec.tokenizer.kind, spec.tokenizer.vocab_file, spec.weights.files[-1]) == (
        "bpe", "tokenizer.json", "tokenizer.json")


@pytest.mark.parametrize(("tokenizer", "k"), [("kmer", 6), ("bpe", 6)])
def test_the_generated_plugin_passes_every_check(
    generated: Callable[..., Any], zoo_isolated: Any, zoo_plugin: Callable[..., str], tokenizer: str, k: int,
) -> None:
    from dnallm_zoo.testing import run_checks

    name = f"gen-{tokenizer}{k}"
    module = generated(name, tokenizer=tokenizer, k=k)
    zoo_plugin(module.family, name=name)
    spec = dnallm_zoo.get_spec(name)
    assert (spec.plugin, spec.tokenizer.kind, spec.license) == (name, tokenizer, "NOASSERTION")
    results = run_checks(name)
    failed = [f"{r.name}: {r.detail}" for r in results if not r.ok]
    assert not failed, failed
    assert {r.name for r in results if not r.skipped} >= {"strict_load", "tokenizer", "save_round_trip"}


@pytest.mark.slow
def test_a_new_project_installs_beside_the_core_only_and_its_tests_pass(tmp_path: Path) -> None:
    env = make_core_only_env(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    # the installed core's own command: its templates ship in the wheel
    made = run([str(env.script("dnallm-zoo")), "new-plugin", "my-bert"], cwd=work)
    project = work / "my-bert"
    assert listing(project) == FILES, made.stdout
    env.pip_install(project)
    dists = sorted(line.split()[0] for line in env.zoo_distributions() if line)
    assert dists == ["dnallm-zoo", "dnallm-zoo-my-bert"], dists
    doc = json.loads(run([str(env.script("dnallm-zoo")), "list", "--json"], cwd=work).stdout)
    assert [(m["id"], m["plugin"]) for m in doc["models"]] == [("my-bert", "my-bert")]
    tests = run([str(env.python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, check=False)
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    summary = tests.stdout.strip().splitlines()[-1]
    print(f"\nthe generated project's tests, installed: {summary}")
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
