"""Small labelled data sets for the fine-tuning tests, deterministic from a seed."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest


def gc_rows(n: int, seed: int, lengths: tuple[int, int] = (40, 90)) -> list[tuple[str, int]]:
    """GC-rich (label 1) and AT-rich (label 0) sequences, alternating, of mixed lengths."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = i % 2
        gc = 0.7 if label else 0.3
        p = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]  # A C G T
        length = int(rng.integers(lengths[0], lengths[1] + 1))
        rows.append(("".join(rng.choice(list("ACGT"), size=length, p=p)), label))
    return rows


def write_csv(path: Path, header: list[str], rows: list[tuple[object, ...]]) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def gc_task(tmp_path: Path) -> tuple[Path, Path]:
    """(train.csv, eval.csv): 32 and 16 sequences, GC-rich against AT-rich."""
    train = write_csv(tmp_path / "train.csv", ["sequence", "label"], gc_rows(32, 0))  # type: ignore[arg-type]
    evald = write_csv(tmp_path / "eval.csv", ["sequence", "label"], gc_rows(16, 1))  # type: ignore[arg-type]
    return train, evald
