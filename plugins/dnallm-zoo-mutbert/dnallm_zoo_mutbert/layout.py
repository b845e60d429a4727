"""The original MutBERT layout and how to recognise it (no torch; the remote code is never read).

A hub snapshot holds config.json (``model_type: bert``, an ``auto_map`` to ``modeling_mutbert``,
``rope_theta``, ``pooler_type``), the weights, tokenizer.json and a vocab.txt that disagrees with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dnallm_zoo import kit

from .specs import SPECS

__all__ = ["SPECIAL_TOKENS", "VOCAB", "VOCAB_TXT", "is_mutbert_config", "match"]

#: tokenizer.json's vocabulary, in id order: what transformers' fast tokenizer (and the model) uses
VOCAB = ("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "A", "C", "G", "T")
SPECIAL_TOKENS = VOCAB[:5]
#: the vocab.txt shipped beside it, in line order: other ids, never read by transformers nor the zoo
VOCAB_TXT = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "A", "T", "C", "G")
_REMOTE_MODULE = "modeling_mutbert"


def is_mutbert_config(config: Mapping[str, Any]) -> bool:
    """True for MutBERT's config.json: ``model_type: bert`` with the rotary BERT's keys or remote code."""
    if config.get("model_type", "bert") != "bert":
        return False
    if _REMOTE_MODULE in (kit.auto_map_modules(config.get("auto_map")) or ()):
        return True
    return "rope_theta" in config and "pooler_type" in config


def match(path: Path, config: Mapping[str, Any]) -> str | None:
    """The MutBERT model a directory holds: its `_name_or_path`'s if that names one, else `mutbert`.

    Fine-tuned classifiers are claimed too (the core builds the head from config.json).
    """
    if not is_mutbert_config(config):
        return None
    name = str(config.get("_name_or_path", ""))
    return next((s.id for s in SPECS if name in s.aliases), SPECS[0].id)
