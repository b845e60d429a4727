"""Tiny random checkpoints in the original Plant DNABERT layouts, for offline tests."""

from __future__ import annotations

import json
from pathlib import Path

from dnallm_zoo import ModelSpec
from dnallm_zoo.kit import write_bert_checkpoint

from .layout import (
    BPE_SPECIALS,
    bpe_special_ids,
    esm_vocab,
    tiny_bpe_tokenizer_json,
    tiny_config,
    write_json,
)
from .models import FLAVOURS, TASKS, Flavour, Task
from .tokenizer import write_esm_tokenizer_config

__all__ = ["flavour_and_task", "write_tiny_checkpoint"]


def flavour_and_task(spec: ModelSpec) -> tuple[Flavour, Task | None]:
    """Which tokenizer flavour and fine-tuning task a spec of this plugin stands for."""
    for f in FLAVOURS:
        base = f"plant-dnabert-{f.key}"
        if spec.id == base:
            return f, None
        for t in TASKS:
            if spec.id == f"{base}-{t.key}":
                return f, t
    raise ValueError(f"{spec.id!r} is not a Plant DNABERT model")


def write_tiny_checkpoint(
    spec: ModelSpec,
    path: str | Path,
    *,
    seed: int = 0,
    safetensors: bool = True,
    bpe_post_processor: str = "template",
) -> Path:
    """config.json, weights and tokenizer files as the hub repository of `spec` has them."""
    flavour, task = flavour_and_task(spec)
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    if flavour.kind == "bpe":
        text = tiny_bpe_tokenizer_json(post_processor=bpe_post_processor)
        (p / "tokenizer.json").write_text(text, encoding="utf-8")
        data = json.loads(text)
        ids = bpe_special_ids(data)
        vocab_size = len(data["model"]["vocab"])
        pad = ids["[PAD]"]
        write_json(p / "tokenizer_config.json", {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": 512,
            **{f"{role}_token": name for role, name in zip(
                ("cls", "sep", "unk", "pad", "mask"), BPE_SPECIALS, strict=True)},
        })
    else:
        vocab = esm_vocab(flavour.k)
        (p / "vocab.txt").write_text("".join(t + "\n" for t in vocab), encoding="utf-8")
        ids_of = {t: i for i, t in enumerate(vocab)}
        write_esm_tokenizer_config(p, max_length=512, vocab=ids_of, eos_token=None)
        vocab_size = len(vocab)
        # the 6-mer base config says pad_token_id 0 (<unk>), the tokenizer pads with <pad>=1
        pad = 0 if flavour.key == "6mer" else ids_of["<pad>"]
    config = tiny_config(flavour, vocab_size=vocab_size, pad_token_id=pad, task=task)
    write_bert_checkpoint(p, config, classifier=task is not None, seed=seed,
                          safetensors=safetensors)
    return p
