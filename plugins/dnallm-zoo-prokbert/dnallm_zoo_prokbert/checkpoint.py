"""Tiny random checkpoints in the original ProkBERT layout, for offline tests and benchmarks."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

import torch

from .layout import vocab_tokens
from .specs import MODELS, ProkBertModelInfo

__all__ = ["original_config", "random_state_dict", "write_checkpoint"]

Flavour = Literal["megatron-bert", "prokbert"]


def original_config(
    info: ProkBertModelInfo,
    *,
    flavour: Flavour = "prokbert",
    hidden: int = 32,
    layers: int = 2,
    heads: int = 2,
    intermediate: int = 37,
) -> dict[str, Any]:
    """config.json as the hub files key it, shrunk; positions and embedding rows stay real."""
    config: dict[str, Any] = {
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": hidden,
        "initializer_range": 0.02,
        "intermediate_size": intermediate,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": info.max_tokens,
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "pad_token_id": 0,
        "position_embedding_type": "relative_key_query",
        "torch_dtype": "float32",
        "type_vocab_size": 2,
        "use_cache": True,
        "vocab_size": info.vocab_rows,
    }
    if flavour == "megatron-bert":  # older hub revisions: transformers' own MegatronBert config
        config.update({
            "architectures": ["MegatronBertForMaskedLM"],
            "model_type": "megatron-bert",
            "transformers_version": "4.35.0",
        })
    else:  # newer ones: prokbert's ProkBertConfig behind remote code (never run here)
        config.update({
            "architectures": ["ProkBertForMaskedLM"],
            "auto_map": {
                "AutoConfig": "models.ProkBertConfig",
                "AutoModel": "models.ProkBertModel",
                "AutoModelForMaskedLM": "models.ProkBertForMaskedLM",
                "AutoModelForSequenceClassification": "models.ProkBertForSequenceClassification",
            },
            "model_type": "prokbert",
            "kmer": info.k,
            "shift": info.shift,
            "num_class_labels": 2,
            "classification_dropout_rate": 0.1,
            "transformers_version": "4.44.2",
        })
    return dict(sorted(config.items()))


def random_state_dict(config: dict[str, Any], seed: int = 0) -> dict[str, torch.Tensor]:
    """Random fp32 tensors under the 3 + 17 * layers + 7 original key names (no decoder weight)."""
    g = torch.Generator().manual_seed(seed)
    h, inter = config["hidden_size"], config["intermediate_size"]
    rows, pos = config["vocab_size"], config["max_position_embeddings"]
    d = h // config["num_attention_heads"]

    def rand(*shape: int, scale: float = 1.0, offset: float = 0.0) -> torch.Tensor:
        return torch.randn(*shape, generator=g) * scale + offset

    sd = {
        "bert.embeddings.word_embeddings.weight": rand(rows, h, scale=0.3),
        "bert.embeddings.position_embeddings.weight": rand(pos, h, scale=0.02),
        "bert.embeddings.token_type_embeddings.weight": rand(config["type_vocab_size"], h, scale=0.3),
    }
    for i in range(config["num_hidden_layers"]):
        p = f"bert.encoder.layer.{i}."
        sd[p + "attention.ln.weight"] = rand(h, scale=0.2, offset=1.0)
        sd[p + "attention.ln.bias"] = rand(h, scale=0.1)
        for name in ("query", "key", "value"):
            sd[p + f"attention.self.{name}.weight"] = rand(h, h, scale=1 / math.sqrt(h))
            sd[p + f"attention.self.{name}.bias"] = rand(h, scale=0.1)
        sd[p + "attention.self.distance_embedding.weight"] = rand(2 * pos - 1, d)
        sd[p + "attention.output.dense.weight"] = rand(h, h, scale=1 / math.sqrt(h))
        sd[p + "attention.output.dense.bias"] = rand(h, scale=0.1)
        sd[p + "ln.weight"] = rand(h, scale=0.2, offset=1.0)
        sd[p + "ln.bias"] = rand(h, scale=0.1)
        sd[p + "intermediate.dense.weight"] = rand(inter, h, scale=1 / math.sqrt(h))
        sd[p + "intermediate.dense.bias"] = rand(inter, scale=0.1)
        sd[p + "output.dense.weight"] = rand(h, inter, scale=1 / math.sqrt(inter))
        sd[p + "output.dense.bias"] = rand(h, scale=0.1)
    sd["bert.encoder.ln.weight"] = rand(h, scale=0.2, offset=1.0)
    sd["bert.encoder.ln.bias"] = rand(h, scale=0.1)
    sd["cls.predictions.bias"] = rand(rows, scale=0.1)
    sd["cls.predictions.transform.dense.weight"] = rand(h, h, scale=1 / math.sqrt(h))
    sd["cls.predictions.transform.dense.bias"] = rand(h, scale=0.1)
    sd["cls.predictions.transform.LayerNorm.weight"] = rand(h, scale=0.2, offset=1.0)
    sd["cls.predictions.transform.LayerNorm.bias"] = rand(h, scale=0.1)
    return sd


def write_checkpoint(
    path: str | Path,
    model: str | ProkBertModelInfo = "prokbert-mini",
    *,
    flavour: Flavour = "prokbert",
    seed: int = 0,
    fmt: Literal["safetensors", "bin"] = "safetensors",
    config: dict[str, Any] | None = None,
    tokenizer_config: bool = True,
) -> Path:
    """config.json, vocab.txt, tokenizer_config.json and random weights in the original layout.

    ``fmt="bin"`` writes an old-style `pytorch_model.bin` that also carries the
    `bert.embeddings.position_ids` buffer, as the older hub files do. mini-long's
    tokenizer_config.json is written as broken as the hub's (prokbert #114: not valid JSON).
    """
    info = model if isinstance(model, ProkBertModelInfo) else _info(model)
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    cfg = config if config is not None else original_config(info, flavour=flavour)
    sd = random_state_dict(cfg, seed=seed)
    (p / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    (p / "vocab.txt").write_text("".join(t + "\n" for t in vocab_tokens(info.k)), encoding="utf-8")
    if tokenizer_config:
        (p / "tokenizer_config.json").write_text(_tokenizer_config_text(info))
    if fmt == "safetensors":
        from safetensors.torch import save_file

        save_file(sd, str(p / "model.safetensors"), metadata={"format": "pt"})
    else:
        sd["bert.embeddings.position_ids"] = torch.arange(cfg["max_position_embeddings"])[None]
        torch.save(sd, p / "pytorch_model.bin")
    return p


def _tokenizer_config_text(info: ProkBertModelInfo) -> str:
    """The hub's tokenizer_config.json of a model (LCATokenizer behind remote code)."""
    text = json.dumps({
        "auto_map": {"AutoTokenizer": ["tokenizer.LCATokenizer", None]},
        "kmer": info.k,
        "shift": info.shift,
        "model_max_length": info.max_tokens,
        "operation_space": "kmer",
        "tokenizer_class": "LCATokenizer",
    }, indent=2)
    # mini-long's file has a second, dangling closing brace: "Extra data" for every JSON reader
    return text + ("\n}\n" if info.id == "prokbert-mini-long" else "\n")


def _info(model_id: str) -> ProkBertModelInfo:
    for info in MODELS:
        if info.id == model_id:
            return info
    raise KeyError(f"no ProkBERT model {model_id!r}; known: {[m.id for m in MODELS]}")
