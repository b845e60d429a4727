"""What variant scoring needs of an encoder (a `DNAEncoder`, named structurally: no import circle)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .._pipeline import PipelineModel

if TYPE_CHECKING:
    import torch

    from .._spec import ModelSpec

__all__ = ["ScoringModel"]


class ScoringModel(PipelineModel, Protocol):
    """The parts of `DNAEncoder` that `score_variants` and `mutagenesis` use: the pipeline's, and these."""

    def check_length(self, n_tokens: int) -> None: ...
    def masked_lm_head(self) -> torch.nn.Module | None: ...
    def variant_rule_for(self, spec: ModelSpec) -> str | None: ...
