"""Token-budget batches, chunk spans of long sequences, masked pooling."""

from __future__ import annotations

import itertools
import random

import pytest
import torch

from dnallm_zoo._batching import DEFAULT_TOKEN_BUDGET, plan_batches, pool
from dnallm_zoo._chunking import chunk_spans

# ---- plan_batches ---------------------------------------------------------------------------------


def check_plan(lengths: list[int], budget: int) -> list[list[int]]:
    batches = plan_batches(lengths, budget)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lengths)))  # every index exactly once
    assert all(b for b in batches)
    # longest first, across and within batches
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    for b in batches:
        padded = max(lengths[i] for i in b) * len(b)
        assert padded <= budget or len(b) == 1, (b, padded)
    # greedy: a batch closes only when the next sequence would not fit
    for b, nxt in itertools.pairwise(batches):
        assert max(lengths[i] for i in b) * (len(b) + 1) > budget
        assert lengths[nxt[0]] <= min(lengths[i] for i in b)
    return batches


def test_plan_random() -> None:
    rng = random.Random(0)
    for _ in range(300):
        lengths = [rng.randint(1, 600) for _ in range(rng.randint(0, 80))]
        check_plan(lengths, rng.choice([1, 64, 512, 1000, DEFAULT_TOKEN_BUDGET]))


def test_plan_example() -> None:
    lengths = [10, 50, 20, 50, 5, 30]
    assert check_plan(lengths, 100) == [[1, 3], [5, 2, 0], [4]]
    assert plan_batches(lengths, 10_000) == [[1, 3, 5, 2, 0, 4]]


def test_plan_oversize_alone() -> None:
    assert check_plan([5, 1000, 5], 100) == [[1], [0, 2]]
    assert check_plan([1000, 999], 10) == [[0], [1]]


def test_plan_edges() -> None:
    assert plan_batches([], 100) == []
    assert plan_batches([7], 1) == [[0]]
    assert check_plan([3, 3, 3, 3], 6) == [[0, 1], [2, 3]]  # ties keep input order
    for bad in (0, -5):
        with pytest.raises(ValueError, match="token_budget must be positive"):
            plan_batches([1, 2], bad)


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
