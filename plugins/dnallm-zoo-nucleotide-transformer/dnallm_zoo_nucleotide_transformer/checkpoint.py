"""Tiny random checkpoints in the original NT hub layouts, for offline tests and benchmarks.

v1 / AgroNT: config.json as the hub's (`model_type` esm, learned positions, `token_dropout` true,
`vocab_size` 4105, positions for the token limit + 2), model.safetensors under transformers'
`EsmForMaskedLM` keys plus the legacy `esm.embeddings.position_ids` buffer the hub files carry (or
pytorch_model.bin, as AgroNT publishes), a 4,107-line vocab.txt (`<eos>`, `<bos>` past the embedding
rows), tokenizer_config.json with `eos_token` null and special_tokens_map.json. v2: config.json with
no `model_type`, `auto_map` to the remote code, `add_bias_fnn` false, rotary positions, 2,050 position
rows, `vocab_size` 4107, the three classes in `architectures`; the weights under the remote
`EsmForMaskedLM` keys (the unused position table, per-layer rotary `inv_freq`, the contact head
included), and stand-ins for `esm_config.py` / `modeling_esm.py` that leave a marker file and raise
if anything ever executes them. `head` writes a fine-tuned classifier / token tagger instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import torch

from dnallm_zoo import ModelSpec, kit

from .modeling import NTv2Config, NTv2ForMaskedLM
from .specs import BY_ID
from .tokenizer import nt_vocab_tokens, write_tokenizer_files

__all__ = [
    "EXECUTED_MARKER", "original_config", "random_weights", "write_checkpoint", "write_test_checkpoint",
]

EXECUTED_MARKER = "REMOTE_CODE_EXECUTED"
_REMOTE_CODE = '''"""Stand-in for the original remote code: dnallm-zoo must never import or execute it."""
import pathlib

pathlib.Path(__file__).with_name("{marker}").write_text(__file__ + " was executed\\n")
raise RuntimeError("dnallm-zoo executed " + __file__ + "; it must never run a checkpoint's code")
'''
_AUTO_MAP = {
    "AutoConfig": "esm_config.EsmConfig",
    "AutoModelForMaskedLM": "modeling_esm.EsmForMaskedLM",
    "AutoModelForTokenClassification": "modeling_esm.EsmForTokenClassification",
    "AutoModelForSequenceClassification": "modeling_esm.EsmForSequenceClassification",
}
Head = Literal["sequence-classification", "token-classification"]
_HEAD_CLASS = {"sequence-classification": "EsmForSequenceClassification",
               "token-classification": "EsmForTokenClassification"}


def original_config(
    version: int, *, hidden: int = 32, layers: int = 2, heads: int = 4, intermediate: int = 48,
    max_tokens: int | None = None, head: Head | None = None, labels: tuple[str, ...] = (),
) -> dict[str, Any]:
    """config.json of the hub's v1 (1), v2 (2) or AgroNT (3) files, at a tiny size."""
    tokens = max_tokens or {1: 1000, 2: 2048, 3: 1024}[version]
    common: dict[str, Any] = {
        "attention_probs_dropout_prob": 0.0, "emb_layer_norm_before": False, "esmfold_config": None,
        "hidden_dropout_prob": 0.0, "hidden_size": hidden, "initializer_range": 0.02,
        "intermediate_size": intermediate, "is_folding_model": False, "layer_norm_eps": 1e-12,
        "mask_token_id": 2, "num_attention_heads": heads, "num_hidden_layers": layers, "pad_token_id": 1,
        "tie_word_embeddings": False, "torch_dtype": "float32", "use_cache": False, "vocab_list": None,
    }
    if version == 2:
        cfg = {"add_bias_fnn": False,
               "architectures": ["EsmForMaskedLM", "EsmForTokenClassification",
                                 "EsmForSequenceClassification"],
               "auto_map": dict(_AUTO_MAP), **common, "max_position_embeddings": 2050,
               "position_embedding_type": "rotary", "token_dropout": False,
               "transformers_version": "4.32.0.dev0", "vocab_size": 4107}
    else:
        cfg = {"architectures": ["EsmForMaskedLM"], **common, "max_position_embeddings": tokens + 2,
               "model_type": "esm", "position_embedding_type": "absolute", "token_dropout": True,
               "transformers_version": "4.29.0.dev0", "vocab_size": 4105}
    if head is not None:
        cfg["architectures"] = [_HEAD_CLASS[head]]
        cfg["id2label"] = {str(i): name for i, name in enumerate(labels)}
        cfg["label2id"] = {name: i for i, name in enumerate(labels)}
    return dict(sorted(cfg.items()))


def _module(version: int, config: dict[str, Any], head: Head | None, n_labels: int) -> torch.nn.Module:
    with torch.device("meta"):
        if version == 2:
            from .heads import NTv2ForSequenceClassification, NTv2ForTokenClassification

            cfg = NTv2Config.from_dict(config)
            if head == "sequence-classification":
                return NTv2ForSequenceClassification(cfg, n_labels)
            if head == "token-classification":
                return NTv2ForTokenClassification(cfg, n_labels)
            return NTv2ForMaskedLM(cfg)
        import transformers

        ecfg = transformers.EsmConfig.from_dict({k: v for k, v in config.items() if k != "auto_map"})
        ecfg.num_labels = max(n_labels, 1)
        cls = _HEAD_CLASS.get(head or "", "EsmForMaskedLM")
        return getattr(transformers, cls)(ecfg)


def random_weights(version: int, config: dict[str, Any], *, seed: int = 0, head: Head | None = None,
                   n_labels: int = 2) -> dict[str, torch.Tensor]:
    """Random float32 weights under the original keys, with what the hub's files also hold."""
    module = _module(version, config, head, n_labels)
    shapes = {k: v for k, v in module.state_dict().items() if not k.endswith("position_ids")}
    sd = kit.random_state_dict(shapes, seed=seed)
    for key in sd:
        if "norm" in key.lower() and key.endswith(".weight"):
            sd[key] = 1.0 + (sd[key] - sd[key].mean())
        if key.endswith("rotary_embeddings.inv_freq"):  # the exact values the original saves
            dim = 2 * sd[key].numel()
            sd[key] = 1.0 / (10000 ** (torch.arange(0, dim, 2).float() / dim))
    if version != 2:  # the legacy buffer the v1 files carry
        n = int(config["max_position_embeddings"])
        sd["esm.embeddings.position_ids"] = torch.arange(n).unsqueeze(0)
    return sd


def write_checkpoint(
    path: str | Path,
    version: int,
    *,
    config: dict[str, Any] | None = None,
    seed: int = 0,
    weights: Literal["safetensors", "bin"] = "safetensors",
    remote_code: bool = True,
    head: Head | None = None,
    labels: tuple[str, ...] = ("negative", "positive"),
    max_tokens: int | None = None,
) -> Path:
    """Write a tiny NT checkpoint directory (v1 = 1, v2 = 2, AgroNT = 3) in the hub layout; returns it."""
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    tokens = max_tokens or {1: 1000, 2: 2048, 3: 1024}[version]
    cfg = config if config is not None else original_config(
        version, head=head, labels=labels if head else (), max_tokens=tokens)
    (p / "config.json").write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    (p / "vocab.txt").write_text("\n".join(nt_vocab_tokens(2 if version == 2 else 1)), encoding="utf-8")
    write_tokenizer_files(p, max_length=tokens)
    kit.write_weights(p, random_weights(version, cfg, seed=seed, head=head, n_labels=len(labels)), weights)
    if version == 2 and remote_code:
        for name in ("esm_config.py", "modeling_esm.py"):
            (p / name).write_text(_REMOTE_CODE.format(marker=EXECUTED_MARKER), encoding="utf-8")
    return p


def write_test_checkpoint(spec: ModelSpec, path: Path) -> Path:
    """The make_test_checkpoint hook's checkpoint: the layout of the spec's version, AgroNT's .bin."""
    c = BY_ID[spec.id]
    return write_checkpoint(path, c.version, weights="bin" if c.version == 3 else "safetensors")
