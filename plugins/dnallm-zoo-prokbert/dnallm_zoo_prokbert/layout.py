"""The ProkBERT checkpoint layout: its files, and how to recognise a directory (no torch)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dnallm_zoo import CheckpointError, kit

from .specs import MODELS

__all__ = [
    "ALPHABET",
    "MODEL_TYPES",
    "SPECIALS",
    "ZOO_HEADS",
    "detect_k",
    "is_prokbert_config",
    "lca_params",
    "match_model",
    "vocab",
    "vocab_tokens",
]

SPECIALS = kit.BERT_SPECIALS  # [PAD] [UNK] [CLS] [SEP] [MASK], ids 0..4
ALPHABET = "ACGT"  # vocab.txt lists itertools.product("ACGT", repeat=k) after the specials
# config.json flavours: transformers' MegatronBert config (older hub revisions) and prokbert's
# own ProkBertConfig (newer ones, with auto_map to the repo's models.py, never executed here)
MODEL_TYPES = ("megatron-bert", "prokbert")


def vocab(k: int) -> kit.KmerVocab:
    """The original vocab.txt of LCA k-mers: five specials, then product("ACGT", repeat=k)."""
    return kit.KmerVocab(k, ALPHABET, SPECIALS)


def vocab_tokens(k: int) -> list[str]:
    """The tokens of that vocab.txt in id order."""
    return vocab(k).tokens()


def detect_k(path: str | Path) -> int | None:
    """k when `path`/vocab.txt is an original ProkBERT vocabulary, else None."""
    found = kit.KmerVocab.detect(path, specials=SPECIALS)
    return found.k if found is not None and found == vocab(found.k) else None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _tokenizer_config(path: Path) -> Mapping[str, Any]:
    """tokenizer_config.json when it is valid JSON, else nothing (mini-long's is not: prokbert #114)."""
    try:
        data = json.loads((path / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, Mapping) else {}


def lca_params(path: str | Path, config: Mapping[str, Any], k_vocab: int) -> tuple[int, int]:
    """(k, shift) of a checkpoint: config.json's kmer/shift, then tokenizer_config.json's, then inferred.

    Without either file saying, the shift is inferred from the released models: 6-mers with 2048
    positions are mini-long (shift 2), everything else shift 1.
    """
    sources = [("config.json", config), ("tokenizer_config.json", _tokenizer_config(Path(path)))]
    for name, src in sources:
        k, shift = _int_or_none(src.get("kmer")), _int_or_none(src.get("shift"))
        if k is None and shift is None:
            continue
        if k is not None and k != k_vocab:
            raise CheckpointError(
                f"{path}: {name} says kmer={k} but vocab.txt holds {k_vocab}-mers"
            )
        if shift is not None and not 1 <= shift <= k_vocab:
            raise CheckpointError(f"{path}: {name} says shift={shift}; LCA needs 1 <= shift <= k")
        if shift is not None:
            return k_vocab, shift
    positions = _int_or_none(config.get("max_position_embeddings"))
    return k_vocab, 2 if k_vocab == 6 and positions == 2048 else 1


def is_prokbert_config(config: Mapping[str, Any]) -> bool:
    """True for either original config.json flavour of a ProkBERT encoder."""
    model_type = config.get("model_type")
    if model_type == "prokbert":
        return True
    return model_type == "megatron-bert" and config.get("position_embedding_type") == "relative_key_query"


#: the head classes whose layout the plugin reads (the core builds the head from config.json)
ZOO_HEADS = ("ProkBertForSequenceClassification", "ProkBertForTokenClassification")


def match_model(path: str | Path, config: Mapping[str, Any]) -> str | None:
    """The registered model id of a ProkBERT checkpoint directory; None when it is not one."""
    if not is_prokbert_config(config):
        return None
    k = detect_k(path)
    if k is None:
        return None
    archs = config.get("architectures") or []
    heads = [a for a in archs if isinstance(a, str) and not a.endswith(("ForMaskedLM", "Model"))
             and a not in ZOO_HEADS]
    if heads:
        raise CheckpointError(
            f"{path}: a ProkBERT checkpoint with a fine-tuned head ({', '.join(heads)}); "
            f"dnallm-zoo-prokbert reads the base models and the {' and '.join(ZOO_HEADS)} layouts"
        )
    k, shift = lca_params(path, config, k)
    for info in MODELS:
        if (info.k, info.shift) == (k, shift):
            return info.id
    known = ", ".join(f"{m.id} (k{m.k} s{m.shift})" for m in MODELS)
    raise CheckpointError(
        f"{path}: a ProkBERT checkpoint with LCA k={k}, shift={shift}; no registered model has "
        f"these (known: {known})"
    )
