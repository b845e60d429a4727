"""Tiny random MutBERT checkpoints in the original layout, for offline tests and benchmarks.

Written like the published files: config.json as the GitHub repository's ``model_configs/config.json``
(with ``auto_map`` to ``modeling_mutbert``), ``pytorch_model.bin`` with every key of
``RoPEBertForMaskedLM`` (the tied decoder weight and bias included, as ``torch.save`` stores them),
tokenizer.json (9 tokens, no merges), tokenizer_config.json, the disagreeing vocab.txt, and a stand-in
for the remote code that raises if anything ever executes it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from dnallm_zoo import ModelSpec, kit

from .encoder import MutBERTEncoder
from .layout import SPECIAL_TOKENS, VOCAB_TXT
from .specs import SPECS

__all__ = ["EXECUTED_MARKER", "original_config", "write_checkpoint", "write_test_checkpoint"]

EXECUTED_MARKER = "REMOTE_CODE_EXECUTED"
_REMOTE_CODE = '''"""Stand-in for the original remote code: dnallm-zoo must never import or execute it."""
import pathlib

pathlib.Path(__file__).with_name("{marker}").write_text(__file__ + " was executed\\n")
raise RuntimeError("dnallm-zoo executed " + __file__)
'''


def original_config(*, hidden: int = 32, layers: int = 2, heads: int = 4, intermediate: int = 48,
                    **extra: Any) -> dict[str, Any]:
    """The original config.json's keys and values, at a tiny size; `extra` adds or overrides."""
    config: dict[str, Any] = {
        "_name_or_path": "JadenLong/MutBERT",
        "auto_map": {
            "AutoConfig": "modeling_mutbert.RoPEBertConfig",
            "AutoModel": "modeling_mutbert.RoPEBertModel",
            "AutoModelForMaskedLM": "modeling_mutbert.RoPEBertForMaskedLM",
            "AutoModelForSequenceClassification": "modeling_mutbert.RoPEBertForSequenceClassification",
        },
        "attention_probs_dropout_prob": 0.1, "classifier_dropout": None, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1, "hidden_size": hidden, "initializer_range": 0.02,
        "intermediate_size": intermediate, "layer_norm_eps": 1e-12, "max_position_embeddings": 512,
        "model_type": "bert", "num_attention_heads": heads, "num_hidden_layers": layers, "pad_token_id": 3,
        "pooler_type": "mean", "rope_scaling": None, "rope_theta": 10000.0, "transformers_version": "4.45.2",
        "type_vocab_size": 2, "vocab_size": 9,
    }
    config.update(extra)
    return config


def tokenizer_json() -> str:
    """tokenizer.json as published: [UNK] [CLS] [SEP] [PAD] [MASK] A C G T, no merges, Whitespace split."""
    return kit.tiny_bpe_tokenizer_json(specials=SPECIAL_TOKENS, bases="ACGT", merges=[],
                                       pre_tokenizer="whitespace", fuse_unk=False)


def write_checkpoint(path: str | Path, *, config: dict[str, Any] | None = None, seed: int = 0,
                     weights: Literal["bin", "safetensors"] = "bin", tied_aliases: bool = True,
                     remote_code: bool = True) -> Path:
    """A tiny MutBERT directory in the hub layout; `tied_aliases`: the file carries the decoder keys."""
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    cfg = config if config is not None else original_config()
    (p / "config.json").write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    (p / "tokenizer.json").write_text(tokenizer_json(), encoding="utf-8")
    (p / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "[UNK]", "cls_token": "[CLS]",
        "sep_token": "[SEP]", "pad_token": "[PAD]", "mask_token": "[MASK]"}), encoding="utf-8")
    (p / "vocab.txt").write_text("\n".join(VOCAB_TXT), encoding="utf-8")  # no final newline, as published
    tied = MutBERTEncoder.tied_keys
    sd = kit.random_state_dict(MutBERTEncoder.build_module(SPECS[0], cfg), seed=seed, skip=tied)
    if tied_aliases:
        sd |= {alias: sd[src] for alias, src in tied.items()}
    kit.write_weights(p, sd, weights)
    if remote_code:
        (p / "modeling_mutbert.py").write_text(_REMOTE_CODE.format(marker=EXECUTED_MARKER), encoding="utf-8")
    return p


def write_test_checkpoint(spec: ModelSpec, path: Path) -> Path:
    """The make_test_checkpoint hook's checkpoint: the hub layout of `spec`'s repository."""
    return write_checkpoint(path, config=original_config(_name_or_path=spec.aliases[0]))
