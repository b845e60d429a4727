"""What variant scoring needs of an encoder (a `DNAEncoder`, named structurally: no import circle)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import torch

    from .._spec import ModelSpec
    from ..tokenize.base import DNATokenizer

__all__ = ["ScoringModel"]


class ScoringModel(Protocol):
    """The parts of `DNAEncoder` that `score_variants` and `mutagenesis` use."""

    spec: ModelSpec
    tokenizer: DNATokenizer

    @property
    def device(self) -> torch.device: ...
    @property
    def max_length(self) -> int: ...
    @property
    def max_bases(self) -> int: ...
    @property
    def hidden_size(self) -> int: ...

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, *,
                output_hidden_states: bool = False, with_logits: bool = False) -> Any: ...
    def check_length(self, n_tokens: int) -> None: ...
    def masked_lm_head(self) -> torch.nn.Module | None: ...
    def variant_rule_for(self, spec: ModelSpec) -> str | None: ...
