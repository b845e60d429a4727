"""Tiny stock-BERT models for the interpretation tests: a k-mer masked LM, a classifier and a regressor.

A spec table on the kit (`StockFamily`), so the checkpoints are transformers' BERT in the original
layout; the regressor is the masked LM with a new one-output head (seeded).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from dnallm_zoo import ArchitectureSpec, ModelSpec, TokenizerSpec, WeightsSource
from dnallm_zoo.kit import StockFamily, kmer_capabilities

KMER = TokenizerSpec(kind="kmer", k=3, max_tokens=40)
LABELS = ("coding", "noncoding", "repeat")


def _spec(model_id: str, **kw: Any) -> ModelSpec:
    return ModelSpec(
        id=model_id, family="interpretdemo", description="a tiny stock BERT on 3-mers", license="MIT",
        citation="@misc{interpretdemo, year = {2025}}", tokenizer=KMER,
        weights=WeightsSource(repo_id=f"someone/{model_id}"),
        architecture=ArchitectureSpec(kind="bert", hidden_size=32, num_layers=2, num_heads=4, max_tokens=40),
        capabilities=kmer_capabilities(KMER), **kw,
    )


SPECS = (
    _spec("interpretdemo-mlm", task="masked-lm"),
    _spec("interpretdemo-clf", task="sequence-classification", labels=LABELS, problem_type="single-label"),
)
family = StockFamily("interpretdemo", SPECS)


def models(tmp: Path, zoo_plugin: Callable[..., str]) -> dict[str, Path]:
    """Register the family and write its checkpoints under `tmp`: {'mlm': dir, 'clf': dir}."""
    from dnallm_zoo.testing import make_test_checkpoint

    zoo_plugin(family, name="interpretdemo")
    return {name: make_test_checkpoint(f"interpretdemo-{name}", tmp / name) for name in ("mlm", "clf")}
