"""Tiny random checkpoints in the original DNABERT layout, for offline tests and benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dnallm_zoo import kit

from .layout import HUB_EXTRAS, vocab
from .specs import dnabert_spec

__all__ = ["original_config", "write_checkpoint"]


def original_config(k: int, *, hub_extras: bool = True, **shape: int) -> dict[str, Any]:
    """config.json as the original files key it (the hub's 2023 extras unless `hub_extras=False`).

    `shape`: `tiny_bert_config`'s hidden, layers, heads, intermediate (tiny by default).
    """
    params: dict[str, Any] = {**shape, **(HUB_EXTRAS if hub_extras else {})}
    return kit.tiny_bert_config(len(vocab(k)), **params)


def write_checkpoint(
    path: str | Path,
    k: int,
    *,
    config: dict[str, Any] | None = None,
    seed: int = 0,
    safetensors: bool = True,
) -> Path:
    """config.json, vocab.txt, tokenizer files and random weights under the original key names."""
    from . import family

    return kit.write_stock_checkpoint(family, dnabert_spec(k), path, seed=seed, config=config,
                                      weights="safetensors" if safetensors else "bin")
