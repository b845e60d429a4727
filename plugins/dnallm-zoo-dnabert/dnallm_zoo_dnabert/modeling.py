"""DNABERT's encoder: the core's stock BERT, with the original config's extras kept off the network."""

from __future__ import annotations

from typing import Any

import torch

from dnallm_zoo import CheckpointError, ModelSpec
from dnallm_zoo.kit import StockBertEncoder

from .layout import ORIGINAL_EXTRA_KEYS

__all__ = ["DNABERTEncoder", "network_config"]


def network_config(config: dict[str, Any]) -> dict[str, Any]:
    """The config.json without the original code's extras, checked to be a plain BERT encoder."""
    pos = config.get("position_embedding_type", "absolute")
    if pos != "absolute":
        raise CheckpointError(
            f"config.json has position_embedding_type {pos!r}; DNABERT uses learned absolute positions"
        )
    for key in ("is_decoder", "add_cross_attention"):
        if config.get(key):
            raise CheckpointError(f"config.json sets {key}; DNABERT is an encoder")
    return {k: v for k, v in config.items() if k not in ORIGINAL_EXTRA_KEYS}


class DNABERTEncoder(StockBertEncoder):
    """DNABERT (v1): `BertForMaskedLM` over overlapping k-mers, loaded strictly.

    Old `pytorch_model.bin` files may hold the untrained `bert.pooler.*` and the `position_ids`
    buffer: dropped (the core's `StockBertEncoder.ignorable_keys`). Any other key the network lacks, or
    a missing or misshaped one, is an error.
    """

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> torch.nn.Module:
        return super().build_module(spec, network_config(config))
