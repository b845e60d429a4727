"""Every k-mer path (multiply-gather, doubling, blocks, batch rows) against a naive reference."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from dnallm_zoo.tokenize import kmer
from dnallm_zoo.tokenize.kmer import (
    PAD,
    KmerTable,
    base_codes,
    kmer_ids,
    window_count,
    window_ids,
    window_ids_padded,
    window_ids_rows,
)


def naive_index(seq: str, k: int, stride: int, unknown: int) -> list[int]:
    """Base-4 index of each window (A, C, G, T; first base most significant), `unknown` if not ACGT."""
    out = []
    for i in range(0, len(seq) - k + 1, stride):
        w = seq[i : i + k]
        out.append(int("".join(str("ACGT".index(c)) for c in w), 4) if set(w) <= set("ACGT") else unknown)
    return out


def identity(k: int) -> np.ndarray:
    """An extended table whose ids are the indices themselves (the unknown id is 4**k)."""
    return np.arange(4**k + 1, dtype=np.int64)


def dna(rng: random.Random, n: int, other: str = "N") -> str:
    """Bases with runs and single bytes of `other` mixed in."""
    out: list[str] = []
    while len(out) < n:
        r = rng.random()
        if r < 0.03:
            out.extend(rng.choice(other) * rng.randint(1, 9))
        elif r < 0.06:
            out.append(rng.choice(other))
        else:
            out.append(rng.choice("ACGT"))
    return "".join(out[:n])


def padded_ids(seq: str, k: int, stride: int) -> list[int]:
    raw = seq.encode()
    padded = (raw + PAD).translate(kmer._CODE_BYTES)
    out = np.empty(window_count(len(raw), k, stride), dtype=np.int64)
    window_ids_padded(padded, len(raw), k, identity(k), stride, out, kmer._FOUR in padded)
    return out.tolist()


@pytest.mark.parametrize("k", range(1, 9))
def test_short_inputs_every_path(k: int) -> None:
    rng = random.Random(k)
    for stride in (1, 2, 3):
        for n in [0, 1, k - 1, k, k + 1, k + stride, *(rng.randint(0, 90) for _ in range(60))]:
            seq = dna(rng, max(n, 0), other="NnRx-")
            want = naive_index(seq, k, stride, 4**k)
            assert padded_ids(seq, k, stride) == want, (seq, stride)  # multiply-gather
            assert window_ids(base_codes(seq.encode()), k, identity(k), stride).tolist() == want  # doubling


@pytest.mark.parametrize("k", range(1, 9))
def test_every_kmer_between_unknown_bases(k: int) -> None:
    # each k-mer framed by N on both sides: a code 4 next to a window must not leak into it
    kmers = ["".join(p) for p in itertools.product("ACGT", repeat=k)]
    if len(kmers) > 4096:
        kmers = random.Random(k).sample(kmers, 4096)
    seq = "N" + "N".join(kmers) + "N"
    got = padded_ids(seq, k, 1)
    assert got == naive_index(seq, k, 1, 4**k)
    assert window_ids(base_codes(seq.encode()), k, identity(k)).tolist() == got


@pytest.mark.parametrize("k", [1, 2, 3, 5, 6, 8])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_long_inputs_cross_blocks(k: int, stride: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kmer, "_BLOCK", 1000)  # many blocks, N runs across their edges
    rng = random.Random(10 * k + stride)
    for n in (kmer._SMALL * stride + 50, 3001, 2000 * stride + k - 1):
        seq = dna(rng, n)
        want = naive_index(seq, k, stride, 4**k)
        assert padded_ids(seq, k, stride) == want
        clean = seq.replace("N", "A")
        assert padded_ids(clean, k, stride) == naive_index(clean, k, stride, -1)


@pytest.mark.parametrize("k", [9, 10])
def test_k_above_8_uses_the_doubling(k: int) -> None:
    rng = random.Random(k)
    for stride in (1, 2):
        seq = dna(rng, 500)
        assert padded_ids(seq, k, stride) == naive_index(seq, k, stride, 4**k)


def test_k_12_index_fits() -> None:
    # the widest index (4**12 - 1) through the doubling's uint32 sums, no table needed
    seq = "T" * 14 + "ACGTACGTACGTAC"
    codes = base_codes(seq.encode())
    got = kmer._index(codes, 12, (window_count(len(seq), 12, 1),), 1, 0).tolist()
    assert got == naive_index(seq, 12, 1, -1)
    with pytest.raises(ValueError, match=r"k must be 1\.\.12"):
        KmerTable(13, np.zeros(1, dtype=np.int64), 0)


def test_kmer_ids_keeps_its_contract() -> None:
    table = KmerTable.from_vocab({"AC": 7, "CG": 8, "[UNK]": 1}, 2, 1)
    assert kmer_ids(base_codes(b"ACGNAC"), table).tolist() == [7, 8, 1, 1, 7]
    assert kmer_ids(base_codes(b"ACGNAC"), table).dtype == np.int64
    assert kmer_ids(np.array([0, 1, 2, 9], dtype=np.int64), table).tolist() == [7, 8, 1]
    assert kmer_ids(base_codes(b"A"), table).tolist() == []
    assert table.extended() is table.extended()  # cached
    table.ids = table.ids.copy()
    assert table.extended() is not None and table.extended()[-1] == 1  # rebuilt for new ids


@pytest.mark.parametrize("k", [1, 3, 6])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_rows_match_one_at_a_time(k: int, stride: int) -> None:
    rng = random.Random(100 * k + stride)
    for _ in range(20):
        sizes = [rng.choice([0, 1, k - 1, k, k + 1, rng.randint(0, 60)]) for _ in range(rng.randint(1, 8))]
        seqs = [dna(rng, n) for n in sizes]
        counts = np.array([window_count(len(s), k, stride) for s in seqs])
        lead = rng.randint(0, 2)
        width = int(counts.max()) + lead + rng.randint(0, 3)
        raws = [s.encode() for s in seqs]
        got = window_ids_rows(raws, counts, k, identity(k), stride, width=width, lead=lead)
        assert got is not None and got.shape == (len(seqs), width) and got.dtype == np.int64
        for row, s, c in zip(got, seqs, counts, strict=True):
            assert row[lead : lead + c].tolist() == naive_index(s, k, stride, 4**k)
        assert got.size == 0 or (got.min() >= 0 and got.max() <= 4**k)


def test_rows_strict_and_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    seqs = [b"ACGTACGT", b"ACGTNACG", b"ACGTAC"]
    counts = np.array([3, 3, 4])
    assert window_ids_rows(seqs, counts, 3, identity(3), width=5, lead=1, strict=True) is None
    # a byte past the last window counted (truncation) still makes strict refuse
    tailed = [b"ACGTACGTx"]
    assert window_ids_rows(tailed, np.array([2]), 3, identity(3), width=2, lead=0, strict=True) is None
    got = window_ids_rows(tailed, np.array([2]), 3, identity(3), width=2, lead=0)
    assert got is not None and got.tolist() == [naive_index("ACGT", 3, 1, -1)]
    monkeypatch.setattr(kmer, "_BLOCK", 4)  # rows longer than a block go row by row
    long = [b"ACGTTGCA" * 3, b"GGGNCCCA"]
    c = np.array([window_count(len(s), 3, 1) for s in long])
    got = window_ids_rows(long, c, 3, identity(3), width=int(c.max()), lead=0)
    assert got is not None
    for row, s, n in zip(got, long, c, strict=True):
        assert row[:n].tolist() == naive_index(s.decode(), 3, 1, 64)
