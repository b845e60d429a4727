"""Tiny random checkpoints in the original DNABERT-2 hub layout, for offline tests and benchmarks.

Written like the hub repository: config.json with ``auto_map`` to ``bert_layers``, ``pytorch_model.bin``
under the original keys (or model.safetensors; ``bare``: DNABERT-S's ``BertModel`` layout, keys without
``bert.``, no MLM head, the untrained pooler), a BPE ``tokenizer.json`` with the original special ids
([UNK]=0 [CLS]=1 [SEP]=2 [PAD]=3 [MASK]=4, then A C G T) and template, tokenizer_config.json, and
stand-ins for the remote code that leave a marker file and raise if anything ever executes them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import torch

from dnallm_zoo import ModelSpec, kit

from .layout import SPECIAL_TOKENS
from .modeling import TIED_KEYS, DNABERT2Config, build_mlm_model, build_model

__all__ = [
    "EXECUTED_MARKER",
    "original_config",
    "random_state_dict",
    "tiny_tokenizer_json",
    "write_checkpoint",
    "write_test_checkpoint",
]

#: the file the remote-code stand-ins write when executed: its presence means the zoo ran them
EXECUTED_MARKER = "REMOTE_CODE_EXECUTED"
_DECODER_KEY = "cls.predictions.decoder.weight"
_REMOTE_CODE = '''"""Stand-in for the original remote code: dnallm-zoo must never import or execute it."""
import pathlib

pathlib.Path(__file__).with_name("{marker}").write_text(__file__ + " was executed\\n")
raise RuntimeError("dnallm-zoo executed " + __file__ + "; it must never run a checkpoint's code")
'''
_AUTO_MAP = {
    "AutoConfig": "configuration_bert.BertConfig",
    "AutoModel": "bert_layers.BertModel",
    "AutoModelForMaskedLM": "bert_layers.BertForMaskedLM",
    "AutoModelForSequenceClassification": "bert_layers.BertForSequenceClassification",
}


def original_config(
    *,
    vocab_size: int,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 4,
    intermediate: int = 48,
    legacy: bool = False,
    bare: bool = False,
) -> dict[str, Any]:
    """config.json as the hub has it (since 2024-02: no model_type); `legacy` as before, with it.

    `bare`: DNABERT-S's config.json (`BertModel`, model_type bert, and a `pad_token_id` 0 that the
    tokenizer's [PAD] = 3 overrules).
    """
    archs: tuple[str, ...] | None = None
    model_type, extra = None, {}
    if legacy:  # the first upload (634202c) also said what it was
        archs, model_type = ("BertForMaskedLM",), "bert"
    if bare:
        archs, model_type, extra = ("BertModel",), "bert", {"pad_token_id": 0}
    return kit.tiny_bert_config(
        vocab_size, hidden=hidden, layers=layers, heads=heads, intermediate=intermediate,
        architectures=archs, model_type=model_type, _name_or_path="zhihan1996/DNABERT-2-117M",
        alibi_starting_size=512, attention_probs_dropout_prob=0.0, auto_map=dict(_AUTO_MAP),
        classifier_dropout=None, gradient_checkpointing=False, position_embedding_type="absolute",
        torch_dtype="float32", transformers_version="4.28.0", use_cache=True, **extra,
    )


def tiny_tokenizer_json() -> str:
    """A small DNA BPE with the original layout: 5 specials, A C G T, then merged pieces.

    Pieces: all 2-mers, all 4-mers (2-mer + 2-mer), then all 3-mers: 345 entries, so random DNA gives
    ~3-4 bases a token like the real 4096-entry vocabulary. No normalizer (lower case is [UNK]),
    Whitespace pre-tokenizer, `fuse_unk` off: every N is one [UNK] that breaks merges.
    """
    return kit.tiny_bpe_tokenizer_json(specials=SPECIAL_TOKENS, pre_tokenizer="whitespace", fuse_unk=False)


def random_state_dict(
    config: dict[str, Any], *, seed: int = 0, bare: bool = False, pooler: bool = False
) -> dict[str, torch.Tensor]:
    """Random float32 weights under the original keys, decoder weight left out (it is tied).

    Larger than BERT's 0.02 initialisation so that outputs differ visibly between tokens and layers.
    `bare`: the prefix-less `BertModel` keys; `pooler` adds its (untrained) `pooler.dense.*`.
    """
    cfg = DNABERT2Config.from_dict(config)
    shapes = (build_model if bare else build_mlm_model)(cfg, device="meta").state_dict()
    if pooler:
        h = cfg.hidden_size
        shapes |= {"pooler.dense.weight": torch.empty(h, h), "pooler.dense.bias": torch.empty(h)}
    return kit.random_state_dict(shapes, seed=seed, skip=TIED_KEYS)


def write_checkpoint(
    path: str | Path,
    *,
    config: dict[str, Any] | None = None,
    seed: int = 0,
    weights: Literal["bin", "safetensors"] = "bin",
    decoder_weight: bool = True,
    remote_code: bool = True,
    bare: bool = False,
    pooler: bool = True,
) -> Path:
    """Write a tiny DNABERT-2 checkpoint directory in the hub layout; returns its path.

    `decoder_weight`: whether the file carries `cls.predictions.decoder.weight` (the same tensor as the
    word embeddings, as `torch.save` of the tied original stores it). `bare`: DNABERT-S's layout
    (`BertModel` saved by itself), with its untrained pooler unless `pooler` is False.
    """
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    text = tiny_tokenizer_json()
    (p / "tokenizer.json").write_text(text, encoding="utf-8")
    n_vocab = len(json.loads(text)["model"]["vocab"])
    cfg = config if config is not None else original_config(vocab_size=n_vocab, bare=bare)
    (p / "config.json").write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    names = dict(zip(("unk_token", "cls_token", "sep_token", "pad_token", "mask_token"),
                     SPECIAL_TOKENS, strict=True))
    (p / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "PreTrainedTokenizerFast", **names}, indent=2) + "\n"
    )
    (p / "special_tokens_map.json").write_text(json.dumps(names, indent=2) + "\n")
    sd = random_state_dict(cfg, seed=seed, bare=bare, pooler=bare and pooler)
    if decoder_weight and not bare:
        sd[_DECODER_KEY] = sd[TIED_KEYS[_DECODER_KEY]]  # one storage, as the tied original saves it
    kit.write_weights(p, sd, weights)
    if remote_code:
        for name in ("bert_layers.py", "configuration_bert.py"):
            (p / name).write_text(_REMOTE_CODE.format(marker=EXECUTED_MARKER), encoding="utf-8")
    return p


def write_test_checkpoint(spec: ModelSpec, path: Path) -> Path:
    """The make_test_checkpoint hook's checkpoint: the hub layout, DNABERT-S's bare one for `embedding`."""
    return write_checkpoint(path, bare=spec.task == "embedding")
