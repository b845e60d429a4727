"""The plugin's table and directory detection: listing without torch, licenses, hub layouts claimed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from dnallm_zoo_nucleotide_transformer import SPECS
from dnallm_zoo_nucleotide_transformer.layout import match

import dnallm_zoo

IDS = {"nt-v1-500m-human-ref", "nt-v1-500m-1000g", "nt-v1-2.5b-1000g", "nt-v1-2.5b-multi-species",
       "nt-v2-50m-multi-species", "nt-v2-100m-multi-species", "nt-v2-250m-multi-species",
       "nt-v2-500m-multi-species", "agront-1b"}


def test_the_table() -> None:
    assert {s.id for s in SPECS} == IDS
    for s in SPECS:
        assert s.license == "CC-BY-NC-SA-4.0" and s.tokenizer.kind == "greedy-kmer" and s.tokenizer.k == 6
        assert s.aliases[0].startswith("InstaDeepAI/") and s.weights.repo_id == s.aliases[0]
        caps = s.capabilities
        assert caps.max_bases == (s.tokenizer.max_tokens - 1) * 6 and caps.chunk_overlap % 6 == 0
    limits = {s.id: s.tokenizer.max_tokens for s in SPECS}
    assert limits["nt-v1-500m-human-ref"] == 1000 and limits["nt-v2-500m-multi-species"] == 2048
    assert limits["agront-1b"] == 1024
    assert dnallm_zoo.get_spec("InstaDeepAI/agro-nucleotide-transformer-1b").id == "agront-1b"


def test_listing_imports_neither_torch_nor_transformers() -> None:
    code = ("import sys, dnallm_zoo; ids = [s.id for s in dnallm_zoo.list_models('nt-*')]; "
            "assert len(ids) == 8, ids; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_license_filter_finds_them() -> None:
    out = subprocess.run([sys.executable, "-m", "dnallm_zoo", "list", "--json", "--license", "CC-BY-NC*"],
                         check=True, capture_output=True, text=True).stdout
    ids = {m["id"] for m in json.loads(out)["models"]}
    assert ids >= IDS


@pytest.mark.parametrize(("version", "expected"), [
    (1, "nt-v1-500m-human-ref"), (2, "nt-v2-50m-multi-species"), (3, "agront-1b"),
])
def test_hub_layouts_are_claimed(version: int, expected: str, tiny: Callable[..., Path]) -> None:
    path = tiny(version)
    config = json.loads((path / "config.json").read_text())
    assert match(path, config) == expected


def test_other_esm_directories_are_not_claimed(tiny: Callable[..., Path], tmp_path: Path) -> None:
    config = json.loads((tiny(1) / "config.json").read_text())
    (tmp_path / "vocab.txt").write_text("\n".join(["<cls>", "<pad>", "<eos>", "<unk>", "L", "A", "G"]))
    assert match(tmp_path, config) is None  # a protein ESM vocabulary
    v2 = json.loads((tiny(2) / "config.json").read_text())
    v2["auto_map"] = {"AutoModel": "other_code.Model"}
    assert match(tiny(2), v2) is None
