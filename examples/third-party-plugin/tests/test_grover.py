"""GROVER on the zoo: the whole conformance kit, plus what this plugin states about the original."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import dnallm_zoo
from dnallm_zoo.cli import cli
from dnallm_zoo.testing import conformance_suite, make_test_checkpoint

TestConformance = conformance_suite(plugin="grover")


def test_discovered_through_the_entry_point() -> None:
    spec = dnallm_zoo.get_spec("PoetschLab/GROVER")
    assert (spec.id, spec.plugin, spec.family) == ("grover", "grover", "grover")
    assert [s.id for s in dnallm_zoo.list_models(family="grover")] == ["grover"]


def test_no_license_is_invented() -> None:
    spec = dnallm_zoo.get_spec("grover")
    assert spec.license == "NONE"
    out = CliRunner().invoke(cli, ["info", "grover"]).stdout
    assert "NONE" in out and "no license" in out.lower()


def test_a_tiny_checkpoint_in_the_original_layout_loads_and_embeds(tmp_path: Path) -> None:
    path = make_test_checkpoint("grover", tmp_path / "grover")
    assert (path / "pytorch_model.bin").is_file() and not (path / "model.safetensors").exists()
    assert (path / "tokenizer.json").is_file() and not (path / "vocab.txt").exists()
    enc = dnallm_zoo.load(path)  # claimed by this plugin's match_checkpoint
    assert enc.spec.id == "grover"
    x = enc.embed(["ACGTTGCAAC" * 30, "GATTACA"])
    assert x.shape == (2, enc.hidden_size)
