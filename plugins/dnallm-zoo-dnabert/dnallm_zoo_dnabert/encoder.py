"""DNABERT's encoder: the kit's stock BERT, with the original config's extras kept off the network."""

from __future__ import annotations

from typing import ClassVar

from dnallm_zoo import kit

from .layout import ORIGINAL_EXTRA_KEYS

__all__ = ["DNABERTEncoder"]


class DNABERTEncoder(kit.StockBertEncoder):
    """DNABERT (v1): `BertForMaskedLM` over overlapping k-mers, loaded strictly.

    Old `pytorch_model.bin` files may hold the untrained `bert.pooler.*` and the `position_ids`
    buffer: dropped (the kit's `StockBertEncoder.ignorable_keys`). Any other key the network lacks, or
    a missing or misshaped one, is an error. The original code's config keys are not the network's.
    """

    extra_config_keys: ClassVar[frozenset[str]] = ORIGINAL_EXTRA_KEYS
