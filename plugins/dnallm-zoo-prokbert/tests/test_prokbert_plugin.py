"""Specs, hooks and layout recognition of the ProkBERT plugin (no network, cheap imports)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dnallm_zoo_prokbert import SPECS, family
from dnallm_zoo_prokbert.checkpoint import _info, original_config, write_checkpoint
from dnallm_zoo_prokbert.layout import vocab_tokens

import dnallm_zoo
from dnallm_zoo import CheckpointError

IDS = ["prokbert-mini", "prokbert-mini-c", "prokbert-mini-long"]
FACTS = {  # id: (k, shift, max tokens, max bases, chunk overlap, intermediate, rows)
    "prokbert-mini": (6, 1, 1024, 1027, 5, 3072, 4101),
    "prokbert-mini-long": (6, 2, 2048, 4096, 4, 4096, 4200),
    "prokbert-mini-c": (1, 1, 2048, 2046, 0, 4096, 20),
}


def _match(path: Path) -> str | None:
    return family.match_checkpoint(path=path, config=json.loads((path / "config.json").read_text()))

def test_registered_specs(registered: None) -> None:
    assert [s.id for s in dnallm_zoo.list_models("prokbert*")] == IDS
    for model_id, (k, shift, tokens, bases, overlap, inter, rows) in FACTS.items():
        spec = dnallm_zoo.get_spec(f"neuralbioinfo/{model_id}")
        assert spec.id == model_id and spec.plugin == "prokbert" and spec.family == "prokbert"
        assert dnallm_zoo.get_spec(f"prokbert-mini-k{k}s{shift}").id == model_id
        assert dnallm_zoo.get_spec(f"prokbert:{model_id}").id == model_id
        assert spec.license == "CC-BY-NC-4.0" and spec.task == "masked-lm"
        assert spec.citation.startswith("@article{ligeti2024prokbert")
        assert "Frontiers in Microbiology" in spec.citation and "10.3389/fmicb.2023.1331233" in spec.citation
        t, c, a = spec.tokenizer, spec.capabilities, spec.architecture
        assert (t.kind, t.k, t.stride, t.max_tokens) == ("lca", k, shift, tokens)
        assert (c.max_bases, c.chunk_overlap) == (bases, overlap)
        assert (a.hidden_size, a.num_layers, a.num_heads, a.kind) == (384, 6, 6, "megatron-bert")
        assert (a.intermediate_size, a.vocab_size, a.max_tokens) == (inter, rows, tokens)
        assert spec.weights.repo_id == f"neuralbioinfo/{model_id}"
        assert "tokenizer_config.json" not in spec.weights.files  # prokbert #114
        assert {"config.json", "vocab.txt", "model.safetensors"} <= set(spec.weights.files)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_parameter_count_is_the_architectures(spec: Any) -> None:
    """The spec's parameter count is that of the full-size network (mini: the card's 20.6 M)."""
    import torch
    from dnallm_zoo_prokbert.modeling import ProkBertConfig, ProkBertForMaskedLM

    a = spec.architecture
    config = ProkBertConfig.from_dict({
        "vocab_size": a.vocab_size, "hidden_size": a.hidden_size, "num_hidden_layers": a.num_layers,
        "num_attention_heads": a.num_heads, "intermediate_size": a.intermediate_size,
        "max_position_embeddings": a.max_tokens, "position_embedding_type": "relative_key_query",
    })
    with torch.device("meta"):
        model = ProkBertForMaskedLM(config)
    assert sum(p.numel() for p in model.parameters()) == a.parameters
    if spec.id == "prokbert-mini":
        assert round(a.parameters / 1e6, 1) == 20.6


def test_listing_and_importing_load_neither_torch_nor_transformers() -> None:
    code = (
        "import sys, dnallm_zoo_prokbert, dnallm_zoo\n"
        "assert [s.id for s in dnallm_zoo.list_models('prokbert*')] == "
        "['prokbert-mini', 'prokbert-mini-c', 'prokbert-mini-long']\n"
        "dnallm_zoo.get_spec('neuralbioinfo/prokbert-mini-long')\n"
        "heavy = [m for m in ('torch', 'transformers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    if "dnallm_zoo_prokbert" in run.stderr and "ModuleNotFoundError" in run.stderr:
        pytest.skip("dnallm-zoo-prokbert is not installed")
    assert run.returncode == 0, run.stderr


def test_make_test_checkpoint_claims_only_its_own(tmp_path: Path) -> None:
    other = SPECS[0].model_copy(update={"id": "someone-else", "family": "other"})
    assert family.make_test_checkpoint(spec=other, path=tmp_path / "x") is None
    assert not (tmp_path / "x").exists()
    assert family.make_test_checkpoint(spec=SPECS[1], path=tmp_path / "long") is True
    config = json.loads((tmp_path / "long" / "config.json").read_text())
    assert (config["model_type"], config["kmer"], config["shift"]) == ("prokbert", 6, 2)
    assert (config["vocab_size"], config["max_position_embeddings"]) == (4200, 2048)
    assert (tmp_path / "long" / "vocab.txt").read_text().splitlines() == vocab_tokens(6)
    assert len(vocab_tokens(6)) == 4101 and vocab_tokens(1) == [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "A", "C", "G", "T"]
    with pytest.raises(json.JSONDecodeError):  # as broken as the hub's (prokbert #114)
        json.loads((tmp_path / "long" / "tokenizer_config.json").read_text())


def _layout(tmp_path: Path, model_id: str, flavour: Any, **config_changes: Any) -> Path:
    """config.json (+ vocab.txt, tokenizer_config.json) only: matching reads no weights."""
    info = _info(model_id)
    config = {**original_config(info, flavour=flavour), **config_changes}
    config = {k: v for k, v in config.items() if v is not None}
    write_checkpoint(tmp_path, info, config=config, seed=0)
    return tmp_path


@pytest.mark.parametrize("flavour", ["megatron-bert", "prokbert"])
@pytest.mark.parametrize("model_id", IDS)
def test_match_both_flavours(tmp_path: Path, model_id: str, flavour: str) -> None:
    path = _layout(tmp_path, model_id, flavour)
    config = json.loads((path / "config.json").read_text())
    assert family.match_checkpoint(path=path, config=config) == model_id
    assert ("kmer" in config) == (flavour == "prokbert")


@pytest.mark.parametrize("model_id", IDS)
@pytest.mark.parametrize("tokenizer_config", ["valid", "broken", "absent"])
def test_match_without_lca_keys_in_config(tmp_path: Path, model_id: str, tokenizer_config: str) -> None:
    """Old configs carry no kmer/shift: tokenizer_config.json if it parses, else vocab + positions."""
    path = _layout(tmp_path, model_id, "megatron-bert")
    tc = path / "tokenizer_config.json"
    info = _info(model_id)
    if tokenizer_config == "valid":
        tc.write_text(json.dumps({"kmer": info.k, "shift": info.shift}))
    elif tokenizer_config == "broken":
        tc.write_text('{"kmer": 6, "shift": 1}\n}\n')  # Extra data: ignored, never trusted
    else:
        tc.unlink()
    assert _match(path) == model_id


def test_tokenizer_config_decides_when_config_is_silent(tmp_path: Path) -> None:
    path = _layout(tmp_path, "prokbert-mini", "megatron-bert")
    (path / "tokenizer_config.json").write_text(json.dumps({"kmer": 6, "shift": 2}))
    assert _match(path) == (
        "prokbert-mini-long"
    )


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"model_type": "bert"}, "a BERT"),
        ({"position_embedding_type": "absolute"}, "a Megatron-BERT with absolute positions"),
        ({"model_type": None}, "no model_type"),
    ],
)
def test_not_ours(tmp_path: Path, changes: dict[str, Any], why: str) -> None:
    path = _layout(tmp_path, "prokbert-mini", "megatron-bert", **changes)
    assert _match(path) is None, why


@pytest.mark.parametrize(
    "vocab",
    [
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "A", "T", "C", "G"],  # DNABERT's ATCG order
        ["[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]", "A", "C", "G", "T"],
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
        None,
    ],
)
def test_not_a_prokbert_vocabulary(tmp_path: Path, vocab: list[str] | None) -> None:
    path = _layout(tmp_path, "prokbert-mini-c", "prokbert")
    if vocab is None:
        (path / "vocab.txt").unlink()
    else:
        (path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    assert _match(path) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kmer": 3}, "kmer=3 but vocab.txt holds 6-mers"),
        ({"shift": 3}, "k=6, shift=3; no registered model"),
        ({"shift": 7}, "1 <= shift <= k"),
        ({"architectures": ["MegatronBertForSequenceClassification"]}, "fine-tuned head"),
    ],
)
def test_contradictions_are_errors(tmp_path: Path, changes: dict[str, Any], message: str) -> None:
    path = _layout(tmp_path, "prokbert-mini", "prokbert", **changes)
    with pytest.raises(CheckpointError, match=message):
        _match(path)


def test_load_dir_names_the_model(registered: None, prokbert_dir: Callable[..., Path]) -> None:
    """`load(dir)` goes through match_checkpoint to the registered spec (torch imported here)."""
    enc = dnallm_zoo.load(prokbert_dir("prokbert-mini-long", flavour="megatron-bert"))
    assert enc.spec.id == "prokbert-mini-long" and enc.spec.plugin == "prokbert"
    assert type(enc).__name__ == "ProkBertEncoder"
    assert (enc.tokenizer.k, enc.tokenizer.stride, enc.max_length, enc.max_bases) == (6, 2, 2048, 4096)
