"""The original file layouts: vocabularies, the BPE tokenizer.json, config.json (no torch here)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from .models import Flavour, Task

__all__ = [
    "BPE_SPECIALS",
    "ESM_SPECIALS",
    "bpe_special_ids",
    "esm_vocab",
    "tiny_bpe_tokenizer_json",
    "tiny_config",
]

#: the first four lines of the ESM-style vocab.txt of the 6-mer and single-base models
ESM_SPECIALS = ("<unk>", "<pad>", "<mask>", "<cls>")
#: the BPE model's specials, in the order they follow the 8000 pieces
BPE_SPECIALS = ("[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]")


def esm_vocab(k: int | None) -> list[str]:
    """vocab.txt in FAMILIES.md's order: specials, 6-mers (A, T, C, G order), bases, eos, bos."""
    kmers = ["".join(p) for p in itertools.product("ATCG", repeat=k)] if k and k > 1 else []
    return [*ESM_SPECIALS, *kmers, "A", "T", "C", "G", "N", "<eos>", "<bos>"]


def bpe_special_ids(data: dict[str, Any]) -> dict[str, int]:
    """Ids of the BPE specials a tokenizer.json gives (added tokens first, then the model vocab)."""
    out = {t["content"]: int(t["id"]) for t in data.get("added_tokens", [])
           if t.get("content") in BPE_SPECIALS}
    vocab = (data.get("model") or {}).get("vocab") or {}
    if isinstance(vocab, dict):
        for name in BPE_SPECIALS:
            if name not in out and name in vocab:
                out[name] = int(vocab[name])
    return out


def tiny_bpe_tokenizer_json(*, post_processor: str = "template") -> str:
    """A small DNA BPE tokenizer.json with the Plant layout: pieces first, then the 5 specials.

    Pieces: the bases, every 2-mer, 3-mer (2-mer + base) and 4-mer (2-mer + 2-mer); 341 pieces, so
    the specials get ids 341..345, not the real model's 8000..8004: ids must come from the file.
    """
    from tokenizers import AddedToken, Tokenizer, models, processors

    bases = ["A", "C", "G", "T", "N"]
    two = ["".join(p) for p in itertools.product("ACGT", repeat=2)]
    merges = [(a, b) for a, b in two]
    merges += [(ab, c) for ab in two for c in "ACGT"]
    merges += [(ab, cd) for ab in two for cd in two]
    pieces = bases + [a + b for a, b in merges]
    vocab = {tok: i for i, tok in enumerate(pieces)}
    for name in BPE_SPECIALS:
        vocab[name] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="[UNK]"))
    tok.add_special_tokens([AddedToken(name, special=True, normalized=False) for name in BPE_SPECIALS])
    cls_id, sep_id = vocab["[CLS]"], vocab["[SEP]"]
    if post_processor == "template":
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
        )
    elif post_processor == "bert":
        tok.post_processor = processors.BertProcessing(("[SEP]", sep_id), ("[CLS]", cls_id))
    else:
        raise ValueError(f"post_processor must be 'template' or 'bert', not {post_processor!r}")
    return tok.to_str(pretty=True)


def tiny_config(
    flavour: Flavour, *, vocab_size: int, pad_token_id: int, task: Task | None = None
) -> dict[str, Any]:
    """A tiny config.json with the original keys (a transformers 4.x BertConfig's)."""
    cfg: dict[str, Any] = {
        "_name_or_path": f"zhangtaolab/plant-dnabert-{flavour.hub}",
        "architectures": ["BertForSequenceClassification" if task else "BertForMaskedLM"],
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": 32,
        "initializer_range": 0.2,  # larger than the real 0.02 so tiny outputs differ visibly
        "intermediate_size": 64,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "model_type": "bert",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "pad_token_id": pad_token_id,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "transformers_version": "4.39.3",
        "type_vocab_size": 2,
        "use_cache": True,
        "vocab_size": vocab_size,
    }
    if task is not None:
        cfg["id2label"] = {str(i): name for i, name in enumerate(task.labels)}
        cfg["label2id"] = {name: i for i, name in enumerate(task.labels)}
        cfg["problem_type"] = (
            "regression" if task.problem_type == "regression" else "single_label_classification"
        )
    return cfg


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
