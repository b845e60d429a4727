"""The DNABERT-2 plugin's spec, hooks and layout recognition (no network, cheap imports)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import dnabert2_reference as ref
import pytest
import torch
from dnallm_zoo_dnabert2 import family
from dnallm_zoo_dnabert2.checkpoint import original_config
from dnallm_zoo_dnabert2.specs import SPEC


def test_spec(zoo: Any) -> None:
    assert [s.id for s in zoo.list_models("dnabert2*")] == ["dnabert2-117m"]
    for name in ("dnabert2-117m", "zhihan1996/DNABERT-2-117M", "dnabert-2", "DNABERT-2"):
        assert zoo.get_spec(name).id == "dnabert2-117m"
    spec = zoo.get_spec("dnabert-2")
    assert spec.plugin == "dnabert2" and spec.family == "dnabert2" and spec.task == "masked-lm"
    assert spec.license == "Apache-2.0" and spec.citation.startswith("@inproceedings{zhou2024dnabert2")
    assert "International Conference on Learning Representations" in spec.citation
    t, c, a = spec.tokenizer, spec.capabilities, spec.architecture
    assert (t.kind, t.vocab_file, t.max_tokens) == ("bpe", "tokenizer.json", 512)
    assert (c.max_bases, c.chunk_overlap) == (1800, 64)
    assert (a.hidden_size, a.num_layers) == (768, 12)
    assert c.dtypes["cpu"] == ("float32",) and {"float16", "bfloat16"} <= set(c.dtypes["cuda"])
    assert (a.vocab_size, a.num_heads, a.intermediate_size, a.parameters) == (4096, 12, 3072, 117_074_176)
    w = spec.weights
    assert w.repo_id == "zhihan1996/DNABERT-2-117M" and w.revision is not None
    assert len(w.revision) == 40 and int(w.revision, 16) >= 0
    assert {"config.json", "pytorch_model.bin", "tokenizer.json"} <= set(w.files)
    assert not [f for f in w.files if f.endswith(".py") or "*" in f]  # the remote code is never fetched


def test_parameter_count_matches_architecture() -> None:
    """The spec's count is the original config's count, built on meta from the modeling."""
    from dnallm_zoo_dnabert2.modeling import DNABERT2Config, build_mlm_model

    cfg = original_config(vocab_size=4096, hidden=768, layers=12, heads=12, intermediate=3072)
    model = build_mlm_model(DNABERT2Config.from_dict(cfg), device="meta")
    assert sum(p.numel() for p in model.parameters()) == SPEC.architecture.parameters


def test_listing_imports_neither_torch_nor_transformers() -> None:
    code = (
        "import sys, dnallm_zoo_dnabert2, dnallm_zoo\n"
        "assert [s.id for s in dnallm_zoo.list_models('dnabert2*')] == ['dnabert2-117m']\n"
        "dnallm_zoo.get_spec('zhihan1996/DNABERT-2-117M')\n"
        "heavy = [m for m in ('torch', 'transformers', 'tokenizers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_make_test_checkpoint_writes_the_hub_layout(tmp_path: Path) -> None:
    other = SPEC.model_copy(update={"id": "someone-else", "family": "other"})
    assert family.make_test_checkpoint(spec=other, path=tmp_path / "x") is None
    assert not (tmp_path / "x").exists()
    d = tmp_path / "d"
    assert family.make_test_checkpoint(spec=SPEC, path=d) is True
    assert sorted(p.name for p in d.iterdir()) == [
        "bert_layers.py", "config.json", "configuration_bert.py", "pytorch_model.bin",
        "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json",
    ]
    config = json.loads((d / "config.json").read_text())
    assert config["auto_map"]["AutoModel"] == "bert_layers.BertModel" and "model_type" not in config
    sd = torch.load(d / "pytorch_model.bin", weights_only=True)
    assert {k: tuple(v.shape) for k, v in sd.items()} == ref.original_key_shapes(config)
    tok = json.loads((d / "tokenizer.json").read_text())
    assert [(t["id"], t["content"]) for t in tok["added_tokens"]] == [
        (0, "[UNK]"), (1, "[CLS]"), (2, "[SEP]"), (3, "[PAD]"), (4, "[MASK]")]
    assert tok["normalizer"] is None and tok["pre_tokenizer"]["type"] == "Whitespace"
    assert tok["model"]["type"] == "BPE" and tok["model"]["fuse_unk"] is False
    assert config["vocab_size"] == len(tok["model"]["vocab"])
    assert family.match_checkpoint(path=d, config=config) == "dnabert2-117m"


def _v1_config() -> dict[str, Any]:
    return {"model_type": "bert", "hidden_size": 768, "vocab_size": 4101, "auto_map": {
        "AutoConfig": "configuration_bert.BertConfig", "AutoModel": "dnabert_layer.BertModel"}}


CLAIMED = {
    "hub now": original_config(vocab_size=4096),
    "hub 2023": original_config(vocab_size=4096, legacy=True),
    "qualified auto_map": {"auto_map": {"AutoModel": "zhihan1996/DNABERT-2-117M--bert_layers.BertModel"}},
    "alibi only": {"model_type": "bert", "alibi_starting_size": 512, "hidden_size": 768},
    # fine-tuned (in the zoo or by the original scripts): the core builds the head from config.json
    "classifier": original_config(vocab_size=4096) | {"architectures": ["BertForSequenceClassification"]},
}
DECLINED = {
    "dnabert v1": _v1_config(),
    "plant / stock bert": {"model_type": "bert", "hidden_size": 768, "vocab_size": 8005},
    "other model type": original_config(vocab_size=4096) | {"model_type": "esm"},
    "empty": {},
}


@pytest.mark.parametrize("name", sorted(CLAIMED))
def test_match_checkpoint_claims(tmp_path: Path, name: str) -> None:
    assert family.match_checkpoint(path=tmp_path, config=CLAIMED[name]) == "dnabert2-117m"


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_match_checkpoint_declines(tmp_path: Path, name: str) -> None:
    assert family.match_checkpoint(path=tmp_path, config=DECLINED[name]) is None


def test_legacy_snapshot_loads_through_match(zoo: Any, tmp_path: Path) -> None:
    """The first upload's config (model_type bert, BertForMaskedLM) is recognised by `load(dir)` too."""
    from dnallm_zoo_dnabert2.checkpoint import write_checkpoint

    d = tmp_path / "legacy"
    d.mkdir()
    write_checkpoint(d, config=original_config(vocab_size=345, legacy=True))
    enc = zoo.load(d)
    assert enc.spec.id == "dnabert2-117m" and enc.config["model_type"] == "bert"
