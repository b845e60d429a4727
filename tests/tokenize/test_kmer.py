"""The vectorised k-mer primitives against a naive Python reference."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from dnallm_zoo.tokenize import KmerTable, base_codes, kmer_ids

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
UNK = 1


def dnabert_vocab(k: int) -> dict[str, int]:
    """DNABERT's vocab.txt order: specials, then k-mers over A, T, C, G (not A, C, G, T)."""
    tokens = SPECIALS + ["".join(p) for p in itertools.product("ATCG", repeat=k)]
    return {t: i for i, t in enumerate(tokens)}


def naive(seq: str, vocab: dict[str, int], k: int, stride: int, unk: int) -> list[int]:
    return [vocab.get(seq[i : i + k], unk) for i in range(0, len(seq) - k + 1, stride)]


def random_dna(rng: random.Random, n: int) -> str:
    """Bases with runs of N (and the odd lone N) mixed in."""
    out: list[str] = []
    while len(out) < n:
        r = rng.random()
        if r < 0.05:
            out.extend("N" * rng.randint(1, 8))
        elif r < 0.08:
            out.append("N")
        else:
            out.append(rng.choice("ACGT"))
    return "".join(out[:n])


def test_base_codes() -> None:
    codes = base_codes(b"ACGTNacgtn-R")
    assert codes.dtype == np.uint8
    assert codes.tolist() == [0, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4]
    assert base_codes(b"").tolist() == []


@pytest.mark.parametrize("k", range(1, 7))
def test_kmer_ids_against_naive(k: int) -> None:
    rng = random.Random(k)
    vocab = dnabert_vocab(k)
    table = KmerTable.from_vocab(vocab, k, UNK)
    for stride in (1, 2, 3):
        for _ in range(200):
            n = rng.choice([0, 1, k - 1, k, k + 1, rng.randint(0, 80), rng.randint(80, 300)])
            seq = random_dna(rng, max(n, 0))
            got = kmer_ids(base_codes(seq.encode()), table, stride)
            assert got.dtype == np.int64
            assert got.tolist() == naive(seq, vocab, k, stride, UNK), (seq, k, stride)


def test_shorter_than_k() -> None:
    table = KmerTable.from_vocab(dnabert_vocab(6), 6, UNK)
    for n in range(6):
        assert kmer_ids(base_codes(b"A" * n), table).tolist() == []
    assert len(kmer_ids(base_codes(b"A" * 6), table)) == 1


def test_lower_case_is_unknown() -> None:
    # the primitive never upper-cases: that is the normalisation policy's job
    table = KmerTable.from_vocab(dnabert_vocab(2), 2, UNK)
    assert kmer_ids(base_codes(b"AcG"), table).tolist() == [UNK, UNK]


@pytest.mark.parametrize("k", [1, 3, 5])
def test_from_vocab_respects_its_order(k: int) -> None:
    rng = random.Random(100 + k)
    tokens = SPECIALS + ["".join(p) for p in itertools.product("ACGT", repeat=k)]
    rng.shuffle(tokens)
    vocab = {t: i for i, t in enumerate(tokens)}
    unk = vocab["[UNK]"]
    table = KmerTable.from_vocab(vocab, k, unk)
    for _ in range(300):
        seq = random_dna(rng, rng.randint(0, 60))
        for stride in (1, 2):
            assert kmer_ids(base_codes(seq.encode()), table, stride).tolist() == naive(
                seq, vocab, k, stride, unk
            )


def test_from_vocab_sparse_and_foreign_tokens() -> None:
    # ids need not be contiguous; k-mers absent from the vocab, other lengths, lower case and
    # non-ACGT tokens are ignored (their windows read as unknown)
    vocab = {"[UNK]": 900, "AAA": 7, "ACG": 12345, "acg": 3, "NNN": 4, "AC": 5, "ACGT": 6, "ÄCG": 8}
    table = KmerTable.from_vocab(vocab, 3, 900)
    assert table.ids.shape == (64,)
    seq = "AAAACGTNNNacg"
    want = naive(seq, {"AAA": 7, "ACG": 12345}, 3, 1, 900)
    assert kmer_ids(base_codes(seq.encode()), table).tolist() == want


def test_strides_pick_window_starts() -> None:
    vocab = dnabert_vocab(3)
    table = KmerTable.from_vocab(vocab, 3, UNK)
    seq = "ACGTTGCAAC"
    all_windows = kmer_ids(base_codes(seq.encode()), table, 1)
    for stride in (1, 2, 3, 4, 7, 8, 20):
        got = kmer_ids(base_codes(seq.encode()), table, stride)
        assert got.tolist() == all_windows[::stride].tolist()
        assert got[0] == vocab["ACG"]
