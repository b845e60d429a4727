"""Length-bucketed batches under a token budget, and masked pooling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["DEFAULT_TOKEN_BUDGET", "plan_batches", "pool"]

DEFAULT_TOKEN_BUDGET = 8192


def plan_batches(lengths: Sequence[int], token_budget: int) -> list[list[int]]:
    """Group indices longest first so that each batch's padded size stays within the budget.

    A single sequence longer than the budget gets a batch of its own.
    """
    if token_budget <= 0:
        raise ValueError(f"token_budget must be positive, got {token_budget}")
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    width = 0
    for i in order:
        width_if = max(width, lengths[i])
        if current and width_if * (len(current) + 1) > token_budget:
            batches.append(current)
            current, width_if = [], lengths[i]
        current.append(i)
        width = width_if
    if current:
        batches.append(current)
    return batches


def pool(hidden: torch.Tensor, mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """Pool [B, S, H] over the tokens where `mask` is 1: mean, max, or the first ([CLS]) token."""
    import torch

    if pooling == "cls":
        return hidden[:, 0]
    m = mask.to(hidden.dtype).unsqueeze(-1)
    if pooling == "mean":
        return (hidden * m).sum(1) / m.sum(1).clamp_min(1)
    if pooling == "max":
        return hidden.masked_fill(m == 0, torch.finfo(hidden.dtype).min).amax(1)
    raise ValueError(f"unknown pooling {pooling!r}; use mean, cls or max")  # 'none' is not pooling
