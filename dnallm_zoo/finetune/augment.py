"""Reverse-complement augmentation of a training split (per-base labels reversed with their bases)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .data import LabeledData

__all__ = ["reverse_complement", "with_reverse_complements"]

# IUPAC complements, case kept; U pairs with A as T does
_COMPLEMENT = str.maketrans("ACGTUNRYKMSWBDHVacgtunrykmswbdhv", "TGCAANYRMKSWVHDBtgcaanyrmkswvhdb")


def reverse_complement(seq: str) -> str:
    """The other strand, read 5' to 3' (IUPAC codes complemented, unknown letters kept)."""
    return seq.translate(_COMPLEMENT)[::-1]


def with_reverse_complements(data: LabeledData) -> LabeledData:
    """The rows followed by their reverse complements (labels kept; per-base labels reversed)."""
    seqs = data.sequences + [reverse_complement(s) for s in data.sequences]
    labels: list[Any] | np.ndarray
    if isinstance(data.labels, list):
        labels = list(data.labels) + [np.ascontiguousarray(a[::-1]) for a in data.labels]
    else:
        labels = np.concatenate([data.labels, data.labels])
    rows = data.rows + [f"{r} (reverse complement)" for r in data.rows]
    return replace(data, sequences=seqs, labels=labels, rows=rows)
