"""Batches that waste little compute on padding, under a token budget, and masked pooling."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from ._names import RowPooling

__all__ = [
    "ATTENTION_WIDTH",
    "BATCH_OVERHEAD",
    "DEFAULT_MAX_BATCH",
    "DEFAULT_MAX_WASTE",
    "DEFAULT_TOKEN_BUDGET",
    "batch_cost",
    "plan_batches",
    "pool",
    "waste",
]

# The cost model and defaults are measured (bench_embed.py --grid/--sweep): docs/benchmarks.md, "Batching".
DEFAULT_TOKEN_BUDGET = 8192
DEFAULT_MAX_WASTE = 0.2
DEFAULT_MAX_BATCH = 256
BATCH_OVERHEAD = 290
ATTENTION_WIDTH = 2900


def _work(width: int) -> int:
    """One sequence's dense plus attention work, times ATTENTION_WIDTH (an exact integer)."""
    return width * (ATTENTION_WIDTH + width)


def batch_cost(size: int, width: int) -> float:
    """Predicted forward cost of `size` sequences padded to `width` tokens, in padded-token units."""
    return BATCH_OVERHEAD + size * _work(width) / ATTENTION_WIDTH


def waste(lengths: Sequence[int]) -> float:
    """The fraction of a batch's compute (dense and attention) spent on padding."""
    return 1.0 - sum(_work(n) for n in lengths) / (len(lengths) * _work(max(lengths)))


def plan_batches(
    lengths: Sequence[int],
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    *,
    max_waste: float = DEFAULT_MAX_WASTE,
    max_batch: int = DEFAULT_MAX_BATCH,
) -> list[list[int]]:
    """Split the indices of `lengths`, longest first, into batches of least total `batch_cost`.

    A batch of two or more holds at most `max_batch` sequences and `token_budget` padded tokens and
    spends at most `max_waste` of its compute on padding (`waste`); a sequence that cannot share a batch
    within these bounds (one longer than the budget, say) gets a batch of its own. Batches are runs of
    the lengths sorted longest first (ties in input order), so the plan depends only on the lengths.
    """
    if token_budget <= 0:
        raise ValueError(f"token_budget must be positive, got {token_budget}")
    if not 0.0 <= max_waste < 1.0:
        raise ValueError(f"max_waste must be in [0, 1), got {max_waste}")
    if max_batch <= 0:
        raise ValueError(f"max_batch must be positive, got {max_batch}")
    n = len(lengths)
    order = sorted(range(n), key=lambda i: (-lengths[i], i))
    width = [lengths[i] for i in order]
    work = [_work(w) for w in width]
    cum = list(itertools.accumulate(work, initial=0))
    limit = [_longest_run(i, width, work, cum, token_budget, max_waste, max_batch) for i in range(n)]
    # A batch may end where the width changes, at its longest run, or where a chain of full batches up to a
    # change of width begins. Elsewhere its last sequence could move to the next batch (same width there,
    # so no dearer per sequence) at no extra cost: no other end is needed (the tests check this against an
    # exhaustive search).
    tried = [False] * (n + 1)
    tried[n] = True
    for k in range(n - 1, 0, -1):
        tried[k] = width[k] != width[k - 1] or (limit[k] - k == _room(k, width, token_budget, max_batch)
                                                  and tried[limit[k]])
    next_tried = [n] * (n + 1)
    for k in range(n - 1, -1, -1):
        next_tried[k] = k + 1 if tried[k + 1] else next_tried[k + 1]
    overhead = BATCH_OVERHEAD * ATTENTION_WIDTH
    best: list[float] = [0.0] + [math.inf] * n  # least cost of batching the first j positions
    cut = [0] * (n + 1)  # where the last batch of that plan starts
    for i in range(n):  # best[i] is final: every batch ending at i starts before it
        if best[i] == math.inf:
            continue
        base, end, step = best[i] + overhead, limit[i], work[i]
        j = next_tried[i]
        while j < end:
            cost = base + (j - i) * step
            if cost < best[j]:
                best[j], cut[j] = cost, i
            j = next_tried[j]
        cost = base + (end - i) * step
        if cost < best[end]:
            best[end], cut[end] = cost, i
    batches: list[list[int]] = []
    j = n
    while j > 0:
        batches.append(order[cut[j] : j])
        j = cut[j]
    return batches[::-1]


def _room(i: int, width: list[int], token_budget: int, max_batch: int) -> int:
    """How many sequences a batch whose longest is at sorted position `i` may hold."""
    return min(max_batch, max(1, token_budget // max(width[i], 1)))


def _longest_run(i: int, width: list[int], work: list[int], cum: list[int], token_budget: int,
                 max_waste: float, max_batch: int) -> int:
    """The end of the longest batch starting at sorted position `i` that keeps within the bounds."""
    end = min(len(width), i + _room(i, width, token_budget, max_batch))

    def too_wasteful(j: int) -> bool:
        full = (j - i) * work[i]
        return full - (cum[j] - cum[i]) > max_waste * full

    if end == i + 1 or not too_wasteful(end):
        return end
    # waste only grows as shorter sequences join, so the runs within the bound are a prefix: bisect it
    ok, bad = i + 1, end
    while bad - ok > 1:
        mid = (ok + bad) // 2
        if too_wasteful(mid):
            bad = mid
        else:
            ok = mid
    return ok


def pool(hidden: torch.Tensor, mask: torch.Tensor, pooling: RowPooling) -> torch.Tensor:
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
