"""Tiny random checkpoints in the original ProkBERT layout, for offline tests and benchmarks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import torch

from dnallm_zoo import ModelSpec, kit

from .layout import vocab
from .modeling import TIED_KEYS, ProkBertConfig, ProkBertForMaskedLM
from .specs import MODELS, ProkBertModelInfo

__all__ = ["original_config", "random_state_dict", "write_checkpoint", "write_test_checkpoint"]

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
    if flavour == "megatron-bert":  # older hub revisions: transformers' own MegatronBert config
        extra: dict[str, Any] = {
            "architectures": ["MegatronBertForMaskedLM"],
            "model_type": "megatron-bert",
            "transformers_version": "4.35.0",
        }
    else:  # newer ones: prokbert's ProkBertConfig behind remote code (never run here)
        extra = {
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
        }
    return kit.tiny_bert_config(
        info.vocab_rows, hidden=hidden, layers=layers, heads=heads, intermediate=intermediate,
        max_positions=info.max_tokens, pad_token_id=0, position_embedding_type="relative_key_query",
        torch_dtype="float32", use_cache=True, **extra,
    )


def random_state_dict(config: dict[str, Any], seed: int = 0) -> dict[str, torch.Tensor]:
    """Random fp32 tensors under the 3 + 17 * layers + 7 original key names (no tied decoder).

    Only the shapes come from `config`, so that tests can write deliberately foreign configs.
    """
    shapes = {**config, "model_type": "prokbert", "position_embedding_type": "relative_key_query"}
    with torch.device("meta"):
        model = ProkBertForMaskedLM(ProkBertConfig.from_dict(shapes))
    return kit.random_state_dict(model, seed=seed, skip=TIED_KEYS)


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
    vocab(info.k).write(p)
    if tokenizer_config:
        (p / "tokenizer_config.json").write_text(_tokenizer_config_text(info))
    if fmt == "bin":
        sd["bert.embeddings.position_ids"] = torch.arange(cfg["max_position_embeddings"])[None]
    kit.write_weights(p, sd, fmt)
    return p


def write_test_checkpoint(spec: ModelSpec, path: Path) -> Path:
    """The make_test_checkpoint hook's checkpoint of one of this plugin's specs."""
    return write_checkpoint(path, spec.id)


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
