"""Padding-aware batches, chunk spans of long sequences, masked pooling."""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import pytest
import torch

from dnallm_zoo._batching import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_WASTE,
    DEFAULT_TOKEN_BUDGET,
    batch_cost,
    plan_batches,
    pool,
    waste,
)
from dnallm_zoo._chunking import chunk_spans

# ---- plan_batches ---------------------------------------------------------------------------------


def check_plan(lengths: list[int], budget: int, **bounds: Any) -> list[list[int]]:
    """The plan's invariants: every index once, runs of the longest-first order, every bound kept."""
    max_waste = bounds.get("max_waste", DEFAULT_MAX_WASTE)
    max_batch = bounds.get("max_batch", DEFAULT_MAX_BATCH)
    batches = plan_batches(lengths, budget, **bounds)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lengths)))  # every index exactly once
    assert all(b for b in batches)
    # longest first, across and within batches, ties in input order
    assert flat == sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    for b in batches:
        if len(b) == 1:
            continue
        got = [lengths[i] for i in b]
        padded = max(got) * len(b)
        assert padded <= budget, (b, padded)
        assert len(b) <= max_batch
        token_waste = 1 - sum(got) / padded
        assert token_waste <= waste(got) + 1e-12  # counting attention makes padding dearer, never cheaper
        assert waste(got) <= max_waste + 1e-12, (got, waste(got))
    assert plan_batches(lengths, budget, **bounds) == batches  # deterministic
    return batches


def plan_cost(lengths: list[int], batches: list[list[int]]) -> float:
    return sum(batch_cost(len(b), max(lengths[i] for i in b)) for b in batches)


def least_cost(lengths: list[int], budget: int, max_waste: float, max_batch: int) -> float:
    """Exhaustive search over every split of the longest-first order into runs within the bounds."""
    w = sorted(lengths, reverse=True)
    best = [0.0] + [math.inf] * len(w)
    for j in range(1, len(w) + 1):
        for i in range(j):
            size = j - i
            if size > 1 and (size > max_batch or size * w[i] > budget or waste(w[i:j]) > max_waste):
                continue
            best[j] = min(best[j], best[i] + batch_cost(size, w[i]))
    return best[-1]


def adversarial(rng: random.Random) -> list[int]:
    """Length mixes that tempt a planner to pad: far apart, clustered, geometric, just past a bound."""
    n = rng.randint(0, 90)
    kind = rng.randrange(5)
    if kind == 0:
        return [rng.randint(1, 600) for _ in range(n)]
    if kind == 1:  # one long, many short, and the other way round
        long, short = rng.randint(200, 3000), rng.randint(1, 40)
        return [long if rng.random() < rng.choice([0.05, 0.95]) else short for _ in range(n)]
    if kind == 2:
        return [int(2 ** rng.uniform(0, 11)) for _ in range(n)]
    if kind == 3:  # clusters of near-equal lengths, as chunks and reads give
        return [rng.choice([512, 511, 500, 460, 150, 149, 136, 30, 27]) for _ in range(n)]
    base = rng.randint(10, 500)  # each step a hair past or within a 10 % waste bound
    return [max(1, round(base * rng.choice([1.0, 0.95, 0.9, 0.89, 0.8]))) for _ in range(n)]


def test_plan_bounds_on_adversarial_mixes() -> None:
    rng = random.Random(0)
    for _ in range(400):
        lengths = adversarial(rng)
        budget = rng.choice([1, 64, 512, 1000, 4096, DEFAULT_TOKEN_BUDGET, 100_000])
        max_waste, max_batch = rng.choice([0.0, 0.05, 0.1, 0.25, 0.9]), rng.choice([1, 3, 8, 128])
        check_plan(lengths, budget, max_waste=max_waste, max_batch=max_batch)
        check_plan(lengths, budget)


def test_plan_is_the_least_cost_split() -> None:
    # the planner tries only some batch ends; it must still find the cheapest split an exhaustive search finds
    rng = random.Random(1)
    for _ in range(200):
        lengths = adversarial(rng)[:30]
        budget = rng.choice([64, 512, 1000, DEFAULT_TOKEN_BUDGET])
        max_waste, max_batch = rng.choice([0.0, 0.05, 0.1, 0.3]), rng.choice([2, 3, 4, 16, 128])
        got = plan_cost(lengths, check_plan(lengths, budget, max_waste=max_waste, max_batch=max_batch))
        assert got == pytest.approx(least_cost(lengths, budget, max_waste, max_batch), rel=1e-12), lengths


def test_plan_example() -> None:
    lengths = [10, 50, 20, 50, 5, 30]
    # 30 padded to 50 would waste 40 %: a batch of its own (so would 20 with 30 and 10 with 20)
    assert check_plan(lengths, 100, max_waste=0.1) == [[1, 3], [5], [2], [0], [4]]
    assert check_plan(lengths, 10_000, max_waste=0.9) == [[1, 3, 5, 2, 0, 4]]


def test_plan_splits_what_the_budget_alone_would_join() -> None:
    # The old planner filled each batch to the budget, so 8 x 500 and 8 x 50 shared one batch padded to
    # 500: 45 % padding. Now they are two batches, and many short sequences fill one large batch.
    lengths = [500, 50] * 8
    assert check_plan(lengths, DEFAULT_TOKEN_BUDGET) == [list(range(0, 16, 2)), list(range(1, 16, 2))]
    apart = [40] * 100 + [10] * 100  # 100 x 10 padded to 40 would fit the budget, but waste 37 %
    assert check_plan(apart, DEFAULT_TOKEN_BUDGET) == [list(range(100)), list(range(100, 200))]
    room = min(DEFAULT_MAX_BATCH, DEFAULT_TOKEN_BUDGET // 40)
    assert len(check_plan([40] * 3 * room, DEFAULT_TOKEN_BUDGET)) == 3  # as few batches as the bounds allow


def test_plan_overhead_joins_near_equal_lengths() -> None:
    # each batch costs BATCH_OVERHEAD: lengths within the waste bound share a batch rather than pay it twice
    assert check_plan([100, 99, 98, 97], DEFAULT_TOKEN_BUDGET) == [[0, 1, 2, 3]]
    assert check_plan([100, 99, 98, 97], DEFAULT_TOKEN_BUDGET, max_waste=0.0) == [[0], [1], [2], [3]]


def test_plan_attention_counts() -> None:
    # the same padding in tokens wastes more compute in long sequences, where attention's share is larger
    assert waste([2000, 1800]) > waste([20, 18]) > 1 - (20 + 18) / 40 - 1e-12


def test_plan_oversize_alone() -> None:
    assert check_plan([5, 1000, 5], 100) == [[1], [0, 2]]
    assert check_plan([1000, 999], 10) == [[0], [1]]
    assert check_plan([1000, 1000, 1000], 1999) == [[0], [1], [2]]
    assert check_plan([7, 3000, 7, 7], DEFAULT_TOKEN_BUDGET // 2, max_waste=0.9) == [[1], [0, 2, 3]]


def test_plan_edges() -> None:
    assert plan_batches([], 100) == []
    assert plan_batches([7], 1) == [[0]]
    assert check_plan([3, 3, 3, 3], 6) == [[0, 1], [2, 3]]  # ties keep input order
    assert sorted(map(len, check_plan([3] * 10, 10_000, max_batch=4))) == [2, 4, 4]
    for bad in (0, -5):
        with pytest.raises(ValueError, match="token_budget must be positive"):
            plan_batches([1, 2], bad)
    for bad_waste in (-0.1, 1.0):
        with pytest.raises(ValueError, match="max_waste must be in"):
            plan_batches([1, 2], 10, max_waste=bad_waste)
    with pytest.raises(ValueError, match="max_batch must be positive"):
        plan_batches([1, 2], 10, max_batch=0)


# ---- chunk_spans ----------------------------------------------------------------------------------


def test_chunk_spans_property() -> None:
    for n in range(0, 70):
        for window in range(1, 22):
            for overlap in range(0, window):
                spans = chunk_spans(n, window, overlap)
                assert spans[0][0] == 0
                assert spans[-1][1] == n  # the last span ends at the end
                covered = set()
                for s, e in spans:
                    assert 0 <= s < e <= n or (n == 0 and (s, e) == (0, 0))
                    assert e - s <= window
                    covered.update(range(s, e))
                assert covered == set(range(n))
                for (s0, e0), (s1, e1) in itertools.pairwise(spans):
                    assert e0 - s0 == window  # only the last span may be short
                    assert e0 - s1 == overlap  # neighbours share exactly `overlap` bases
                    assert s1 > s0 and e1 > e0
                if n <= window:
                    assert spans == [(0, n)]


def test_chunk_spans_example() -> None:
    assert chunk_spans(10, 4, 1) == [(0, 4), (3, 7), (6, 10)]
    assert chunk_spans(11, 4, 1) == [(0, 4), (3, 7), (6, 10), (9, 11)]
    assert chunk_spans(1000, 512, 5) == [(0, 512), (507, 1000)]


@pytest.mark.parametrize(("window", "overlap"), [(4, 4), (4, 5), (0, 0), (4, -1), (4, -10)])
def test_chunk_spans_refused(window: int, overlap: int) -> None:
    with pytest.raises(ValueError, match="overlap"):
        chunk_spans(100, window, overlap)


# ---- pool -----------------------------------------------------------------------------------------


@pytest.fixture
def batch() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    hidden = torch.randn(3, 5, 4)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]])
    hidden[mask == 0] = 1e6  # padding must never leak into a pooled vector
    return hidden, mask


def test_pool_mean(batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    hidden, mask = batch
    got = pool(hidden, mask, "mean")
    want = torch.stack([hidden[i, : int(mask[i].sum())].mean(0) for i in range(3)])
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(pool(hidden, mask.bool(), "mean"), want)


def test_pool_max(batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    hidden, mask = batch
    got = pool(hidden, mask, "max")
    want = torch.stack([hidden[i, : int(mask[i].sum())].amax(0) for i in range(3)])
    torch.testing.assert_close(got, want)
    assert got.max() < 1e5


def test_pool_cls(batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    hidden, mask = batch
    torch.testing.assert_close(pool(hidden, mask, "cls"), hidden[:, 0])


def test_pool_single_token_rows_agree(batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    hidden, mask = batch
    row = 2  # one real token: every pooling gives it back
    for how in ("mean", "max", "cls"):
        torch.testing.assert_close(pool(hidden, mask, how)[row], hidden[row, 0])


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_pool_keeps_dtype(batch: tuple[torch.Tensor, torch.Tensor], dtype: torch.dtype) -> None:
    hidden, mask = batch
    hidden = hidden.clamp(max=100).to(dtype)
    for how in ("mean", "max", "cls"):
        out = pool(hidden, mask, how)
        assert out.dtype == dtype and out.shape == (3, 4) and torch.isfinite(out).all()


def test_pool_empty_row_is_finite() -> None:
    out = pool(torch.randn(2, 3, 4), torch.tensor([[1, 1, 0], [0, 0, 0]]), "mean")
    assert torch.isfinite(out).all() and torch.equal(out[1], torch.zeros(4))


@pytest.mark.parametrize("how", ["sum", "none", "MEAN"])
def test_pool_unknown(batch: tuple[torch.Tensor, torch.Tensor], how: str) -> None:
    hidden, mask = batch
    with pytest.raises(ValueError, match=f"unknown pooling '{how}'; use mean, cls or max$"):
        pool(hidden, mask, how)
