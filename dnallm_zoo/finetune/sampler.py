"""Training batches grouped by length over the whole training set, their order shuffled each epoch.

transformers' `LengthGroupedSampler` sorts by length only within "mega-batches" of at most 50
batches (a quarter of a small set): much padding is left. `LengthGroupedBatchSampler` sorts the
whole set (ties broken at random), cuts it into batches, and shuffles the order of the batches
each epoch, so that training stays stochastic; `GroupedTrainer` feeds it to transformers' `Trainer`
as the training dataloader's `batch_sampler`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence, Sized
from typing import Any

import torch
from torch.utils.data import DataLoader, Sampler
from transformers import Trainer

__all__ = ["GroupedTrainer", "LengthGroupedBatchSampler"]


class LengthGroupedBatchSampler(Sampler[list[int]]):
    """Batches of indices of similar length: the whole set sorted, cut, and the batches shuffled.

    The order depends on `seed` and the epoch only: `set_epoch(e)` (as Trainer and accelerate call
    it) picks an epoch, and each new iteration moves on to the next epoch.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, *, seed: int = 0) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.lengths = [int(n) for n in lengths]
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def batches(self, epoch: int) -> list[list[int]]:
        """The batches of an epoch, in the order they are trained."""
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        shuffled = torch.randperm(len(self.lengths), generator=g).tolist()  # ties broken at random
        ordered = sorted(shuffled, key=self.lengths.__getitem__)  # a stable sort
        b = self.batch_size
        cut = [ordered[i: i + b] for i in range(0, len(ordered), b)]
        return [cut[i] for i in torch.randperm(len(cut), generator=g).tolist()]

    def __iter__(self) -> Iterator[list[int]]:
        epoch = self.epoch
        self.epoch += 1
        yield from self.batches(epoch)

    def __len__(self) -> int:
        return math.ceil(len(self.lengths) / self.batch_size)


class GroupedTrainer(Trainer):
    """`Trainer` whose training batches come from a `LengthGroupedBatchSampler` over `lengths`."""

    def __init__(self, *args: Any, lengths: Sequence[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lengths = lengths

    def get_train_dataloader(self) -> Any:
        if self.lengths is None:
            return super().get_train_dataloader()
        data: Any = self.train_dataset  # a map-style dataset: the sampler indexes it
        size = len(data) if isinstance(data, Sized) else None
        if size != len(self.lengths):
            raise ValueError("lengths must give one length per training example")
        sampler = LengthGroupedBatchSampler(self.lengths, self._train_batch_size, seed=self._data_seed())
        loader: DataLoader[Any] = DataLoader(
            data,
            batch_sampler=sampler,
            collate_fn=self.data_collator,
            num_workers=self.args.dataloader_num_workers,
            pin_memory=self.args.dataloader_pin_memory,
        )
        return self.accelerator.prepare(loader)

    def _data_seed(self) -> int:
        seed = self.args.data_seed
        return int(self.args.seed if seed is None else seed)
