"""list, info, plugins, schema; none of them imports torch or transformers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import toy_plugin
from cli_support import one_line_error, run

import dnallm_zoo
from dnallm_zoo import hookimpl
from dnallm_zoo._discovery import PluginInfo, get_manager
from dnallm_zoo._registry import reset_registry


# ----------------------------------------------------------------------------------------- list
def test_list_table_names_every_model_with_its_columns(toy: Any) -> None:
    result = run("list", env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "family", "task", "license", "max", "bases", "plugin"]
    assert lines[1].split() == ["toy-3", "toy", "embedding", "MIT", "16", "toy"]
    assert lines[2].split() == ["toy-classifier", "toy", "sequence-classification", "MIT", "16", "toy"]


def test_list_table_fits_a_narrow_terminal_without_cutting_ids(toy: Any) -> None:
    result = run("list", env={"COLUMNS": "40"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert all(len(line) <= 40 for line in lines), lines
    assert [line.split()[0] for line in lines[1:]] == ["toy-3", "toy-classifier"]


def test_list_json_is_the_specs(toy: Any) -> None:
    result = run("list", "--json")
    assert result.exit_code == 0
    specs = json.loads(result.stdout)["models"]
    assert [s["id"] for s in specs] == ["toy-3", "toy-classifier"]
    assert specs[1]["labels"] == ["neg", "pos"] and specs[0]["plugin"] == "toy"
    dnallm_zoo.ModelSpec.model_validate(specs[0])


@pytest.mark.parametrize(
    ("args", "ids"),
    [
        (["classifier"], ["toy-classifier"]),  # plain text matches within
        (["toy-?"], ["toy-3"]),
        (["--task", "sequence-classification"], ["toy-classifier"]),
        (["--family", "toy", "--license", "mit"], ["toy-3", "toy-classifier"]),
        (["--license", "Apache-*"], []),
        (["--device", "cuda"], []),
    ],
)
def test_list_filters(toy: Any, args: list[str], ids: list[str]) -> None:
    result = run("list", "--json", *args)
    assert result.exit_code == 0, result.output
    assert [s["id"] for s in json.loads(result.stdout)["models"]] == ids


def test_list_with_no_match_says_so_on_stderr(toy: Any) -> None:
    result = run("list", "nothing-like-it")
    assert result.exit_code == 0 and result.stdout == ""
    assert "no installed model matches" in result.stderr


class Rival:
    """Another plugin claiming `toy-3`, and a broken one."""

    def __init__(self, spec: dict[str, Any] | None = None, raises: bool = False) -> None:
        self.spec, self.raises = spec, raises

    @hookimpl
    def register_models(self, register: Any) -> None:
        if self.raises:
            raise RuntimeError("kaputt")
        register(self.spec, toy_plugin.CliToyEncoder)


def test_list_reports_conflicts_and_failed_plugins_on_stderr(toy: Any, toy_root: Path) -> None:
    get_manager().register(Rival(toy_plugin.toy_spec("toy-3", toy_root / "toy-3")), name="zrival")
    get_manager().register(Rival(raises=True), name="broken")
    reset_registry()
    result = run("list", "--json")
    assert result.exit_code == 0
    assert [s["id"] for s in json.loads(result.stdout)["models"]] == ["toy-3", "toy-classifier"]
    errs = result.stderr.strip().splitlines()
    assert len(errs) == 2
    assert "'toy-3'" in errs[0] and "'toy'" in errs[0] and "'zrival:toy-3'" in errs[0]
    assert "plugin 'broken' failed" in errs[1] and "kaputt" in errs[1]


# ----------------------------------------------------------------------------------------- info
def test_info_describes_the_model(toy: Any, toy_root: Path) -> None:
    result = run("info", "toy-classifier")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("toy-classifier: A toy 3-mer model")
    for text in ("toy (toy-dist 9.9)", "license       MIT", f"local directory {toy_root / 'toy-classifier'}",
                 "labels        neg, pos (single-label)", "kmer, k=3", "cpu (float32)",
                 "16 tokens / 16 bases", "@misc{toy, title = {Toy}}"):
        assert text in out, text


def test_info_json(toy: Any, toy_root: Path) -> None:
    result = run("info", "toy:toy-3", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["spec"]["id"] == "toy-3" and data["qualified_name"] == "toy:toy-3"
    assert data["weights_from"] == f"local directory {toy_root / 'toy-3'}"


def test_info_of_a_checkpoint_directory(toy: Any, toy_root: Path) -> None:
    result = run("info", toy_root / "toy-classifier", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["spec"]["id"] == "toy-classifier"


def test_info_unknown_model_is_one_line_with_suggestions(toy: Any) -> None:
    line = one_line_error(run("info", "toy-4"))
    assert "unknown model 'toy-4'; did you mean 'toy-3'" in line


def test_unknown_model_names_plugins_that_failed(toy: Any) -> None:
    get_manager().register(Rival(raises=True), name="broken")
    reset_registry()
    line = one_line_error(run("info", "from-broken"))
    assert "plugins that failed to load: broken" in line


# ----------------------------------------------------------------------------------------- plugins
def test_plugins_lists_origin_models_failures_and_blocked(toy: Any) -> None:
    get_manager().register(Rival(raises=True), name="broken", distribution="broken-dist", version="0.1")
    get_manager().info["gone"] = PluginInfo(name="gone", distribution="gone-dist", blocked=True)
    reset_registry()
    result = run("plugins")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    by_name = {line.split()[0]: line for line in lines if not line.startswith(" ")}
    assert by_name["toy"].split()[1:] == ["toy-dist", "9.9", "2", "models:", "toy-3,", "toy-classifier"]
    assert "FAILED" in by_name["broken"] and "broken-dist 0.1" in by_name["broken"]
    assert "blocked" in by_name["gone"]
    assert "    error: register_models: RuntimeError: kaputt" in lines
    assert "Traceback" not in result.stdout
    assert "Traceback (most recent call last)" in run("plugins", "--traceback").stdout


def test_plugins_json(toy: Any) -> None:
    get_manager().register(Rival(raises=True), name="broken")
    reset_registry()
    data = {p["name"]: p for p in json.loads(run("plugins", "--json", "--traceback").stdout)}
    assert data["toy"]["models"] == ["toy-3", "toy-classifier"] and data["toy"]["ok"]
    assert data["toy"]["version"] == "9.9" and data["toy"]["errors"] == []
    assert not data["broken"]["ok"] and "kaputt" in data["broken"]["errors"][0]
    assert "Traceback" in data["broken"]["tracebacks"][0]


# ----------------------------------------------------------------------------------------- schema
def test_schema_is_the_model_spec_json_schema(toy: Any) -> None:
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema == dnallm_zoo.ModelSpec.model_json_schema()
    assert {"id", "license", "citation", "weights"} <= set(schema["properties"])


# ----------------------------------------------------------------------------------------- no torch
NO_TORCH = """
import json, sys
from click.testing import CliRunner
from dnallm_zoo import list_models
from dnallm_zoo.cli import cli
ids = [s.id for s in list_models()]
codes = {}
for args in (["list"], ["list", "--json"], ["plugins", "--json"], ["schema"],
             ["info", ids[0] if ids else "no-model-installed"]):
    codes[" ".join(args[:1])] = CliRunner().invoke(cli, args).exit_code
heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
print(json.dumps({"codes": codes, "heavy": heavy, "models": len(ids)}))
"""


def test_listing_commands_import_neither_torch_nor_transformers() -> None:
    """With whatever plugins are installed, in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNALLM_ZOO_")}
    proc = subprocess.run([sys.executable, "-c", NO_TORCH], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["heavy"] == [], report
    assert report["codes"]["list"] == 0 and report["codes"]["plugins"] == 0
    assert report["codes"]["schema"] == 0
    assert report["codes"]["info"] == (0 if report["models"] else 1)
