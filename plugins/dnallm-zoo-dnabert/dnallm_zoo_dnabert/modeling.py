"""DNABERT's encoder: the core's stock BERT, with the original config's extras kept off the network."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import torch

from dnallm_zoo import (
    BertEncoder,
    CheckpointError,
    DNATokenizer,
    KmerTokenizer,
    ModelSpec,
    NormalizationPolicy,
)

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


class DNABERTEncoder(BertEncoder):
    """DNABERT (v1): `BertForMaskedLM` over overlapping k-mers, loaded strictly.

    Old `pytorch_model.bin` files may hold the untrained `bert.pooler.*` and the `position_ids`
    buffer: dropped. Any other key the network lacks, or a missing or misshaped one, is an error.
    """

    ignorable_keys: ClassVar[tuple[str, ...]] = ("bert.pooler.*", "bert.embeddings.position_ids")

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> torch.nn.Module:
        return super().build_module(spec, network_config(config))

    @classmethod
    def build_tokenizer(
        cls,
        path: Path,
        spec: ModelSpec,
        config: dict[str, Any],
        normalization: NormalizationPolicy,
    ) -> DNATokenizer:
        """The k-mer tokenizer over the checkpoint's vocab.txt, checked against k and the network."""
        tok = super().build_tokenizer(path, spec, config, normalization)
        assert isinstance(tok, KmerTokenizer)
        missing = int((tok.table.ids == tok.unk_token_id).sum())
        if missing:
            raise CheckpointError(
                f"{path / spec.tokenizer.vocab_file}: {missing} of the {4**tok.k} {tok.k}-mers of "
                f"{spec.id} are not in the vocabulary; is this a DNABERT-{tok.k} checkpoint?"
            )
        rows = config.get("vocab_size")
        top = max(tok.vocab.values())
        if isinstance(rows, int) and top >= rows:
            raise CheckpointError(
                f"vocab.txt has ids up to {top} but config.json's vocab_size is {rows}"
            )
        return tok
