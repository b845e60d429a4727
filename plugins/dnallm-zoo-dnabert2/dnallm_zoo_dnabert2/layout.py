"""The original DNABERT-2 checkpoint layout and how to recognise it (no torch, no file execution).

A hub snapshot of ``zhihan1996/DNABERT-2-117M`` holds config.json, pytorch_model.bin, tokenizer.json,
tokenizer_config.json and the remote code (``bert_layers.py``, ``bert_padding.py``,
``configuration_bert.py``, ``flash_attn_triton.py``). The remote code is never read, imported or run:
the config's ``auto_map`` is only inspected as data to recognise the layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dnallm_zoo import kit

from .specs import DNABERT_S_ID, MODEL_ID

__all__ = [
    "REMOTE_CODE_FILES",
    "SPECIAL_TOKENS",
    "is_bare_model_config",
    "is_dnabert2_config",
    "is_pretrained_config",
    "match",
    "names_bert_layers",
    "names_head",
]

#: the original tokenizer.json's special tokens, in id order 0..4 ([PAD] is 3, not 0)
SPECIAL_TOKENS = ("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]")
#: the remote code of the hub repository: listed so nothing fetches it; never imported
REMOTE_CODE_FILES = ("bert_layers.py", "bert_padding.py", "configuration_bert.py", "flash_attn_triton.py")
_REMOTE_MODULE = "bert_layers"


def names_bert_layers(auto_map: Any) -> bool:
    """True when an ``auto_map`` sends a model class to the original ``bert_layers`` module.

    Fine-tuned copies qualify the module with the hub repo (``zhihan1996/DNABERT-2-117M--bert_layers.X``).
    """
    return _REMOTE_MODULE in (kit.auto_map_modules(auto_map) or ())


def is_dnabert2_config(config: Mapping[str, Any]) -> bool:
    """True for a config.json in DNABERT-2's layout.

    DNABERT (v1) and Plant DNABERT are ``model_type: bert`` too, so that alone says nothing: a
    DNABERT-2 config has ``alibi_starting_size`` (MosaicBERT's ALiBi) or an ``auto_map`` naming
    ``bert_layers``. Newer hub revisions dropped ``model_type``; any other model type is not ours.
    """
    if config.get("model_type", "bert") != "bert":
        return False
    return "alibi_starting_size" in config or names_bert_layers(config.get("auto_map"))


def is_pretrained_config(config: Mapping[str, Any]) -> bool:
    """True unless `architectures` names only other heads (a fine-tuned classifier, DNABERT-S's BertModel).

    The pre-trained model's config says `BertForMaskedLM` (2023) or nothing (since 2024-02).
    """
    archs = config.get("architectures")
    if not archs:
        return True
    return isinstance(archs, list) and any(
        isinstance(a, str) and a.endswith(("ForMaskedLM", "ForPreTraining")) for a in archs
    )


def is_bare_model_config(config: Mapping[str, Any]) -> bool:
    """True when `architectures` is the encoder alone (`BertModel`: DNABERT-S's layout, no head)."""
    return config.get("architectures") == ["BertModel"]


def names_head(config: Mapping[str, Any]) -> bool:
    """True when `architectures` names a fine-tuned head (sequence or token classification)."""
    archs = config.get("architectures") or []
    return any(isinstance(a, str) and a.endswith(("ForSequenceClassification", "ForTokenClassification"))
               for a in archs)


def match(path: Path, config: Mapping[str, Any]) -> str | None:
    """`dnabert2-117m` for a pre-trained DNABERT-2 directory, `dnabert-s` for a bare `BertModel` one.

    A classifier or token tagger (config.json's architectures) is claimed as `dnabert2-117m`: the core
    builds its head from config.json. The directory's .py files are never read.
    """
    if not is_dnabert2_config(config):
        return None
    if is_pretrained_config(config) or names_head(config):
        return MODEL_ID
    return DNABERT_S_ID if is_bare_model_config(config) else None
