"""The length-grouped batch sampler: grouped over the whole set, batches shuffled per epoch, in Trainer."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from dnallm_zoo.finetune.sampler import GroupedTrainer, LengthGroupedBatchSampler


def lengths(n: int = 1000, seed: int = 0) -> list[int]:
    return np.random.default_rng(seed).integers(10, 500, size=n).tolist()


def test_batches_cover_every_index_once_and_are_sorted_runs_of_the_whole_set() -> None:
    lens = lengths()
    s = LengthGroupedBatchSampler(lens, 16, seed=0)
    batches = s.batches(0)
    assert len(batches) == len(s) == 63
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lens)))
    assert sum(len(b) < 16 for b in batches) == 1  # one short batch, the rest full
    # grouped over the whole set: the batches, put in order of length, are the sorted lengths cut
    by_start = sorted(batches, key=lambda b: min(lens[i] for i in b))
    spans = [(min(lens[i] for i in b), max(lens[i] for i in b)) for b in by_start]
    assert all(hi <= nxt_lo for (_, hi), (nxt_lo, _) in itertools.pairwise(spans))
    assert [lens[i] for b in by_start for i in sorted(b, key=lens.__getitem__)] == sorted(lens)


def test_padding_is_less_than_transformers_mega_batches() -> None:
    import torch
    from transformers.trainer_pt_utils import get_length_grouped_indices

    lens = lengths(1024)

    def padded(batches: list[list[int]]) -> int:
        return sum(max(lens[i] for i in b) * len(b) for b in batches)

    ours = padded(LengthGroupedBatchSampler(lens, 16, seed=0).batches(0))
    order = get_length_grouped_indices(lens, 16, generator=torch.Generator().manual_seed(0))
    theirs = padded([order[i: i + 16] for i in range(0, len(order), 16)])
    assert ours < theirs
    assert ours / sum(lens) < 1.02  # sorted over the whole set: ~1 % padding on 1,024 sequences


def test_each_epoch_shuffles_the_batches_and_a_seed_repeats() -> None:
    lens = lengths(400)
    s = LengthGroupedBatchSampler(lens, 8, seed=3)
    e0, e1 = list(s), list(s)  # each iteration is the next epoch
    assert e0 != e1
    assert {len(b) for b in e0} == {8}
    s.set_epoch(1)
    assert list(s) == e1  # set_epoch picks the epoch, as Trainer calls it
    assert LengthGroupedBatchSampler(lens, 8, seed=3).batches(0) == e0
    assert LengthGroupedBatchSampler(lens, 8, seed=4).batches(0) != e0
    # the order of batches is shuffled, not sorted by length
    firsts = [min(lens[i] for i in b) for b in e0]
    assert firsts != sorted(firsts) and firsts != sorted(firsts, reverse=True)


def test_ties_are_broken_at_random_per_epoch() -> None:
    s = LengthGroupedBatchSampler([100] * 64, 8, seed=0)
    assert {frozenset(b) for b in s.batches(0)} != {frozenset(b) for b in s.batches(1)}


def test_trainer_trains_on_the_samplers_batches(tmp_path: Path) -> None:
    import torch
    from transformers import TrainerCallback, TrainingArguments

    lens = lengths(40, seed=1)

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
            return {"loss": ((self.w * x.float().mean(dim=1) - labels) ** 2).mean()}

    seen: list[list[int]] = []

    def collate(rows: list[dict[str, int]]) -> dict[str, torch.Tensor]:
        seen.append([r["i"] for r in rows])
        width = max(r["n"] for r in rows)
        return {"x": torch.ones(len(rows), width), "labels": torch.zeros(len(rows))}

    class Epochs(TrainerCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            self.starts: list[int] = []

        def on_epoch_begin(self, args: object, state: object, control: object, **kw: object) -> None:
            self.starts.append(len(seen))

    data = [{"i": i, "n": n} for i, n in enumerate(lens)]
    args = TrainingArguments(output_dir=str(tmp_path), num_train_epochs=2, per_device_train_batch_size=8,
                             use_cpu=True, save_strategy="no", report_to="none", disable_tqdm=True,
                             remove_unused_columns=False, seed=5, logging_strategy="no")
    marks = Epochs()
    GroupedTrainer(model=Net(), args=args, train_dataset=data, data_collator=collate, lengths=lens,
                   callbacks=[marks]).train()
    sampler = LengthGroupedBatchSampler(lens, 8, seed=5)
    assert seen[marks.starts[0]: marks.starts[1]] == sampler.batches(0)
    assert seen[marks.starts[1]:] == sampler.batches(1)


def test_lengths_must_match_the_data(tmp_path: Path) -> None:
    from transformers import TrainingArguments

    args = TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to="none")
    import torch

    trainer = GroupedTrainer(model=torch.nn.Linear(1, 1), args=args, train_dataset=[{"a": 1}] * 3,
                             lengths=[1, 2])
    with pytest.raises(ValueError, match="one length per training example"):
        trainer.get_train_dataloader()
