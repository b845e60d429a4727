"""Length-bucketed batches under a token budget, chunk spans of long sequences, masked pooling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["DEFAULT_TOKEN_BUDGET", "chunk_spans", "plan_batches", "pool"]

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


def chunk_spans(n_bases: int, window: int, overlap: int) -> list[tuple[int, int]]:
    """Half-open base spans of at most `window` bases, neighbours sharing `overlap` bases."""
    if overlap < 0:  # a negative overlap would leave gaps between the spans
        raise ValueError(f"chunk overlap must be 0 or more, got {overlap}")
    if window <= overlap:
        raise ValueError(f"chunk window ({window}) must exceed the overlap ({overlap})")
    if n_bases <= window:
        return [(0, n_bases)]
    step = window - overlap
    spans = []
    start = 0
    while True:
        end = min(start + window, n_bases)
        spans.append((start, end))
        if end >= n_bases:
            return spans
        start += step


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
