"""Reverse-complement augmentation: the other strand, per-base labels reversed."""

from __future__ import annotations

import numpy as np

from dnallm_zoo.finetune.augment import reverse_complement, with_reverse_complements
from dnallm_zoo.finetune.data import LabeledData


def test_reverse_complement() -> None:
    assert reverse_complement("AACGTN") == "NACGTT"
    assert reverse_complement("acgR") == "Ycgt"
    assert reverse_complement(reverse_complement("ACGTRYKMSWBDHVN")) == "ACGTRYKMSWBDHVN"


def test_sequence_labels_kept() -> None:
    d = LabeledData("t.csv", "binary", ["AAC", "GGT"], np.array([0, 1]), ["0", "1"], ["line 2", "line 3"])
    a = with_reverse_complements(d)
    assert a.sequences == ["AAC", "GGT", "GTT", "ACC"]
    assert a.labels.tolist() == [0, 1, 0, 1]
    assert a.rows[2] == "line 2 (reverse complement)"
    assert d.sequences == ["AAC", "GGT"]  # the input is left as it was


def test_per_base_labels_reversed() -> None:
    d = LabeledData("t.csv", "token", ["AACG"], [np.array([0, 0, 1, 2])], ["0", "1", "2"], ["line 2"])
    a = with_reverse_complements(d)
    assert a.sequences == ["AACG", "CGTT"]
    assert a.labels[1].tolist() == [2, 1, 0, 0]  # base i of the reverse strand is base n-1-i
