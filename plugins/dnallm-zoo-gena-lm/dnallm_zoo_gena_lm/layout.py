"""The GENA-LM BERT checkpoint layout as data (no torch): which directories are GENA's, and the refusals.

Facts from AIRI-Institute/GENA_LM `src/gena_lm/modeling_bert.py` (see the README): the config class is
transformers' `BertConfig`, and the code reads its own keys with defaults: `pre_layer_norm` absent is
False, `last_layer_norm` absent is `pre_layer_norm`, `sparse_config_cls` present means DeepSpeed's sparse
attention.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dnallm_zoo import errors, kit

from .specs import BERT_SPECS, SPECIALS

__all__ = ["SPARSE_KEYS", "last_layer_norm", "match", "refuse_unsupported", "weight_keys"]

SPARSE_KEYS = ("sparse_config_cls", "sparse_attention")
_MARKERS = ("pre_attention_ln", "post_attention_ln", "last_layer_ln")


def last_layer_norm(config: Mapping[str, Any]) -> bool:
    """Whether the final norm runs: `last_layer_norm`, absent -> `pre_layer_norm` (BertEncoder.__init__)."""
    return bool(config.get("last_layer_norm", config.get("pre_layer_norm", False)))


def refuse_unsupported(config: Mapping[str, Any], where: object) -> None:
    """A CheckpointError for what the original computes with code the zoo does not run."""
    if any(k in config for k in SPARSE_KEYS):
        raise errors.CheckpointError(
            f"{where}: a GENA-LM DeepSpeed-sparse checkpoint (config.json sets "
            f"{config.get('sparse_config_cls')!r}): its attention is DeepSpeed's block-sparse kernels "
            "(deepspeed.ops.sparse_attention: CUDA, Triton, fp16, lengths a multiple of the block size), "
            "which dnallm-zoo does not run; use "
            "gena-lm-bigbird-base-t2t (transformers' BigBird) for long inputs"
        )
    pos = config.get("position_embedding_type", "absolute")
    if pos != "absolute":
        raise errors.CheckpointError(
            f"{where}: GENA-LM with position_embedding_type {pos!r}: the zoo computes GENA's absolute "
            "positions only (GENA's rotary model is a DeepSpeed-sparse one)"
        )
    if config.get("last_layer_norm") and not config.get("pre_layer_norm"):
        raise errors.CheckpointError(
            f"{where}: last_layer_norm without pre_layer_norm (GENA's code refuses it)")


def weight_keys(path: Path) -> set[str]:
    """Tensor names from model.safetensors' header (8-byte length, then JSON), without torch."""
    f = path / "model.safetensors"
    if not f.is_file():
        return set()
    with open(f, "rb") as fh:
        n = int.from_bytes(fh.read(8), "little")
        return {k for k in json.loads(fh.read(n)) if k != "__metadata__"}


def is_gena(path: Path, config: Mapping[str, Any]) -> bool:
    """A `model_type: bert` directory in GENA's layout: its config.json's keys or its weights' pre-LN keys."""
    if config.get("model_type") != "bert":
        return False
    if any(k in config for k in ("pre_layer_norm", "last_layer_norm", *SPARSE_KEYS)):
        return True
    return any(m in k for k in weight_keys(path) for m in _MARKERS)


def match(path: Path, config: Mapping[str, Any]) -> str | None:
    """The GENA-LM BERT model of a directory: by weights path, else by shape (large, lastln, base)."""
    real = os.path.realpath(path)
    for spec in BERT_SPECS:
        if spec.weights.path is not None and os.path.realpath(spec.weights.path) == real:
            return spec.id
    if not is_gena(path, config):
        return None
    refuse_unsupported(config, path)
    vocab = kit.bpe_vocab(path)
    if vocab is not None and [vocab.get(t) for t in SPECIALS[:5]] != [0, 1, 2, 3, 4]:
        return None  # a pre-LN BERT with another tokenizer: not GENA's
    if config.get("num_hidden_layers") == 24:
        return "gena-lm-bert-large-t2t"
    return "gena-lm-bert-base-lastln-t2t" if last_layer_norm(config) else "gena-lm-bert-base-t2t"
