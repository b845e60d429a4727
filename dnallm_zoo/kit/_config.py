"""config.json helpers: tiny BERT configs for test checkpoints, an `auto_map` read as data (no torch)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["NOT_STOCK_KEYS", "auto_map_modules", "tiny_bert_config"]

#: config.json keys that mean another network than transformers' BERT under `model_type: bert`: MosaicBERT's
#: ALiBi; GENA-LM's pre-layer-norm, final norm, DeepSpeed sparse attention and rotary positions
#: (AIRI-Institute/GENA_LM src/gena_lm/modeling_bert.py); rotary BERTs' RoPE settings (MutBERT)
NOT_STOCK_KEYS = ("alibi_starting_size", "pre_layer_norm", "last_layer_norm", "sparse_config_cls",
                  "sparse_attention", "rotary_dim", "rotary_base", "rope_theta", "rope_scaling")


def tiny_bert_config(
    vocab_size: int,
    *,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 4,
    intermediate: int = 37,
    max_positions: int = 512,
    architectures: Sequence[str] | None = ("BertForMaskedLM",),
    model_type: str | None = "bert",
    **extra: Any,
) -> dict[str, Any]:
    """A tiny BERT config.json with transformers' keys, sorted as saved files are; `extra` adds/overrides."""
    config: dict[str, Any] = {
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": hidden,
        "initializer_range": 0.02,
        "intermediate_size": intermediate,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": max_positions,
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "type_vocab_size": 2,
        "vocab_size": vocab_size,
    }
    if architectures is not None:
        config["architectures"] = list(architectures)
    if model_type is not None:
        config["model_type"] = model_type
    config.update(extra)
    return dict(sorted(config.items()))


def auto_map_modules(auto_map: object) -> list[str] | None:
    """The module of every class an ``auto_map`` names (``repo--module.Class`` -> ``module``).

    None when `auto_map` is not a mapping of class paths (null entries, as in tokenizer pairs, are skipped).
    The modules are only read as names: nothing is imported or run.
    """
    if not isinstance(auto_map, Mapping):
        return None
    targets: list[Any] = []
    for value in auto_map.values():
        targets.extend(value if isinstance(value, (list, tuple)) else [value])
    modules = []
    for target in targets:
        if target is None:
            continue
        if not isinstance(target, str):
            return None
        modules.append(target.rpartition("--")[2].rpartition(".")[0])
    return modules
