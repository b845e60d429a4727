"""Tiny random checkpoints in the original DNABERT layout, for offline tests and benchmarks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .layout import vocab_tokens

__all__ = ["original_config", "write_checkpoint"]


def original_config(
    k: int,
    *,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 4,
    intermediate: int = 37,
    hub_extras: bool = True,
) -> dict[str, Any]:
    """config.json as the original files key it (hub extras included unless `hub_extras=False`)."""
    config: dict[str, Any] = {
        "architectures": ["BertForMaskedLM"],
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": hidden,
        "initializer_range": 0.02,
        "intermediate_size": intermediate,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "model_type": "bert",
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "type_vocab_size": 2,
        "vocab_size": 4**k + 5,
    }
    if hub_extras:  # as in zhihan1996/DNA_bert_k's config.json since 2023
        config.update({
            "auto_map": {
                "AutoConfig": "configuration_bert.BertConfig",
                "AutoModel": "dnabert_layer.BertModel",
                "AutoModelForMaskedLM": "dnabert_layer.BertForMaskedLM",
                "AutoModelForPreTraining": "dnabert_layer.BertForPreTraining",
                "AutoModelForSequenceClassification": "dnabert_layer.DNABertForSequenceClassification",
            },
            "bos_token_id": 0,
            "eos_token_ids": 0,
            "num_rnn_layer": 1,
            "output_past": True,
            "pad_token_id": 0,
            "position_embedding_type": "absolute",
            "rnn": "lstm",
            "rnn_dropout": 0.0,
            "rnn_hidden": hidden,
            "split": 10,
        })
    return config


def write_checkpoint(
    path: str | Path,
    k: int,
    *,
    config: dict[str, Any] | None = None,
    seed: int = 0,
    safetensors: bool = True,
) -> Path:
    """config.json, vocab.txt, tokenizer files and random weights under the original key names."""
    from dnallm_zoo.kit import write_bert_checkpoint

    p = Path(path)
    cfg = config if config is not None else original_config(k)
    write_bert_checkpoint(p, cfg, seed=seed, safetensors=safetensors)
    (p / "vocab.txt").write_text("".join(t + "\n" for t in vocab_tokens(k)), encoding="utf-8")
    (p / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": False, "max_len": 512}))
    (p / "special_tokens_map.json").write_text(json.dumps({
        "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
        "mask_token": "[MASK]",
    }))
    return p
