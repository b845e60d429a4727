"""Tiny random checkpoints in the original Plant DNABERT layouts, for offline tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from dnallm_zoo import ModelSpec, kit, tokenize

from .layout import BPE_SPECIALS, esm_vocab
from .specs import FLAVOURS, TASKS, Flavour, Task
from .tokenizer import write_esm_tokenizer_config

__all__ = ["flavour_and_task", "tiny_bpe_json", "tiny_config", "write_test_checkpoint"]


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


def tiny_bpe_json(*, post_processor: Literal["template", "bert"] = "template") -> str:
    """A small DNA BPE tokenizer.json with the Plant layout: pieces first, then the 5 specials.

    Pieces: the bases, every 2-mer, 3-mer (2-mer + base) and 4-mer (2-mer + 2-mer); 341 pieces, so
    the specials get ids 341..345, not the real model's 8000..8004: ids must come from the file.
    """
    return kit.tiny_bpe_tokenizer_json(specials=BPE_SPECIALS, specials_first=False, bases="ACGTN",
                                       merges=kit.dna_merges((2, 3, 4)), post_processor=post_processor)


def tiny_config(
    flavour: Flavour, *, vocab_size: int, pad_token_id: int, task: Task | None = None
) -> dict[str, Any]:
    """A tiny config.json with the original keys (a transformers 4.x BertConfig's)."""
    extra: dict[str, Any] = {}
    if task is not None:
        extra["id2label"] = {str(i): name for i, name in enumerate(task.labels)}
        extra["label2id"] = {name: i for i, name in enumerate(task.labels)}
        extra["problem_type"] = (
            "regression" if task.problem_type == "regression" else "single_label_classification"
        )
    return kit.tiny_bert_config(
        vocab_size, intermediate=64,
        architectures=("BertForSequenceClassification" if task else "BertForMaskedLM",),
        _name_or_path=f"zhangtaolab/plant-dnabert-{flavour.hub}", classifier_dropout=None,
        initializer_range=0.2, pad_token_id=pad_token_id, position_embedding_type="absolute",
        torch_dtype="float32", transformers_version="4.39.3", use_cache=True, **extra,
    )


def write_test_checkpoint(
    spec: ModelSpec,
    path: str | Path,
    *,
    seed: int = 0,
    safetensors: bool = True,
    bpe_post_processor: Literal["template", "bert"] = "template",
) -> Path:
    """config.json, weights and tokenizer files as the hub repository of `spec` has them."""
    flavour, task = flavour_and_task(spec)
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    if flavour.kind == "bpe":
        text = tiny_bpe_json(post_processor=bpe_post_processor)
        (p / "tokenizer.json").write_text(text, encoding="utf-8")
        ids = json.loads(text)["model"]["vocab"]
        vocab_size, pad = len(ids), ids["[PAD]"]
        (p / "tokenizer_config.json").write_text(json.dumps({
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": 512,
            **{f"{role}_token": name for role, name in zip(
                ("cls", "sep", "unk", "pad", "mask"), BPE_SPECIALS, strict=True)},
        }, indent=2) + "\n", encoding="utf-8")
    else:
        ids = {t: i for i, t in enumerate(esm_vocab(flavour.k))}
        tokenize.write_vocab_txt(ids, p / "vocab.txt")
        write_esm_tokenizer_config(p, max_length=512, vocab=ids, eos_token=None)
        vocab_size = len(ids)
        # the 6-mer base config says pad_token_id 0 (<unk>), the tokenizer pads with <pad>=1
        pad = 0 if flavour.key == "6mer" else ids["<pad>"]
    config = tiny_config(flavour, vocab_size=vocab_size, pad_token_id=pad, task=task)
    kit.write_bert_checkpoint(p, config, classifier=task is not None, seed=seed, safetensors=safetensors)
    return p
