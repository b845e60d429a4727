"""Two tiny checkpoints (DNABERT-3 and DNABERT-2 layouts) and two small labelled datasets."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest


def gc_rows(n: int, seed: int) -> list[tuple[str, int, float]]:
    """GC-rich (label 1) and AT-rich (0) sequences of 40-80 bases, alternating, with their GC share."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = i % 2
        gc = 0.7 if label else 0.3
        p = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
        seq = "".join(rng.choice(list("ACGT"), size=int(rng.integers(40, 81)), p=p))
        rows.append((seq, label, round((seq.count("G") + seq.count("C")) / len(seq), 4)))
    return rows


def write_csv(path: Path, header: list[str], rows: list[tuple[object, ...]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """Directories of a tiny random DNABERT-3 and DNABERT-2 checkpoint, in their original layouts."""
    from dnallm_zoo.testing import make_test_checkpoint

    root = tmp_path_factory.mktemp("models")
    a = make_test_checkpoint("dnabert-3", root / "tiny-dnabert3")
    b = make_test_checkpoint("dnabert2-117m", root / "tiny-dnabert2")
    return str(a), str(b)


@pytest.fixture
def datasets(tmp_path: Path) -> tuple[Path, Path]:
    """(gc.csv: binary, 24 rows, cross-validated; gcshare/: regression, given train and test splits)."""
    gc = write_csv(tmp_path / "data" / "gc.csv", ["sequence", "label"],
                   [(s, y) for s, y, _ in gc_rows(24, 0)])
    share = tmp_path / "data" / "gcshare"
    write_csv(share / "train.csv", ["sequence", "label"], [(s, g) for s, _, g in gc_rows(20, 1)])
    write_csv(share / "test.csv", ["sequence", "label"], [(s, g) for s, _, g in gc_rows(10, 2)])
    return gc, share


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """One torch thread, as the killed benchmark's subprocess runs (OMP_NUM_THREADS=1): the same sums."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
