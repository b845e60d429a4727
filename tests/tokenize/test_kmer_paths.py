"""Every k-mer path (multiply-gather, doubling on codes or ASCII, blocks, k = 1 bytes, batch rows)
against a naive reference."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from dnallm_zoo.tokenize import kmer
from dnallm_zoo.tokenize.kmer import (
    KmerTable,
    base_codes,
    kmer_ids,
    sequence_ids,
    window_count,
    window_ids_rows,
)


def naive_index(seq: str, k: int, stride: int, unknown: int, offset: int = 0) -> list[int]:
    """offset + base-4 index of each window (A, C, G, T; first base most significant), or `unknown`."""
    out = []
    for i in range(0, len(seq) - k + 1, stride):
        w = seq[i : i + k]
        ok = set(w) <= set("ACGT")
        out.append(offset + int("".join(str("ACGT".index(c)) for c in w), 4) if ok else unknown)
    return out


KINDS = ["ordered", "atcg", "shuffled", "small"]


def table(k: int, kind: str) -> KmerTable:
    """ids in k-mer order after 1000 (no gather: ProkBERT's layout), in ATCG order (DNABERT's),
    shuffled (one gather), or small and ordered (k = 1: one bytes.translate)."""
    index = np.arange(4**k, dtype=np.int64)
    if kind == "atcg":  # digits A0 T1 C2 G3 instead of A0 C1 G2 T3
        order = np.array([0, 2, 3, 1])
        ids = np.zeros(4**k, dtype=np.int64)
        for j in range(k - 1, -1, -1):
            ids = ids * 4 + order[(index >> 2 * j) & 3]
        return KmerTable(k, ids + 5, 1)
    if kind == "shuffled":
        return KmerTable(k, np.random.default_rng(k).permutation(4**k) + 1000, 999)
    if kind == "small":
        return KmerTable(k, index + 5, 1)
    return KmerTable(k, index + 1000, 999)


def want(seq: str, t: KmerTable, stride: int) -> list[int]:
    return [t.unk_id if i < 0 else int(t.ids[i]) for i in naive_index(seq, t.k, stride, -1)]


def ids_of(seq: str, t: KmerTable, stride: int, *, strict: bool = False) -> list[int] | None:
    out = np.full(window_count(len(seq), t.k, stride), -7, dtype=np.int64)
    if not sequence_ids(seq.encode(), t, stride, out, strict=strict):
        return None
    return out.tolist()


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


@pytest.fixture(params=["multiply", "doubling"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Short inputs through either route: the doubling with no input counted small."""
    if request.param == "doubling":
        monkeypatch.setattr(kmer, "_SMALL", 0)
        monkeypatch.setattr(kmer, "_BLOCK", 61)  # and many blocks
    return str(request.param)


@pytest.mark.parametrize("k", range(1, 9))
@pytest.mark.parametrize("kind", KINDS)
def test_short_inputs(k: int, kind: str, path: str) -> None:
    rng = random.Random(k)
    t = table(k, kind)
    for stride in (1, 2, 3):
        for n in [0, 1, k - 1, k, k + 1, k + stride, *(rng.randint(0, 90) for _ in range(40))]:
            seq = dna(rng, max(n, 0), other="NnRx-")
            assert ids_of(seq, t, stride) == want(seq, t, stride), (seq, stride)
            strict = ids_of(seq, t, stride, strict=True)
            assert strict == (want(seq, t, stride) if set(seq) <= set("ACGT") else None)
            assert kmer_ids(base_codes(seq.encode()), t, stride).tolist() == want(seq, t, stride)


@pytest.mark.parametrize("k", range(1, 9))
@pytest.mark.parametrize("kind", KINDS)
def test_every_kmer_between_unknown_bases(k: int, kind: str, path: str) -> None:
    # each k-mer framed by N on both sides: a code 4 next to a window must not leak into it
    kmers = ["".join(p) for p in itertools.product("ACGT", repeat=k)]
    if len(kmers) > 4096:
        kmers = random.Random(k).sample(kmers, 4096)
    seq = "N" + "N".join(kmers) + "N"
    t = table(k, kind)
    assert ids_of(seq, t, 1) == want(seq, t, 1)
    clean = "".join(kmers)  # and every k-mer through the clean (ASCII) route
    assert ids_of(clean, t, 1, strict=True) == want(clean, t, 1)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 6, 8])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("kind", KINDS)
def test_long_inputs_cross_blocks(k: int, stride: int, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kmer, "_BLOCK", 1000)  # many blocks, N runs across their edges
    rng = random.Random(10 * k + stride)
    t = table(k, kind)
    for n in (kmer._SMALL * stride + 50, 3001, 2000 * stride + k - 1):
        seq = dna(rng, n)
        assert ids_of(seq, t, stride) == want(seq, t, stride)
        clean = seq.replace("N", "G")
        assert ids_of(clean, t, stride, strict=True) == want(clean, t, stride)


@pytest.mark.parametrize("k", [9, 10])
def test_k_above_8_uses_the_doubling(k: int) -> None:
    rng = random.Random(k)
    t = table(k, "shuffled")
    for stride in (1, 2):
        for short in ("", "ACGT", "ACGTACGN", "ACGTACGTA"[: k - 1] + "x"):
            assert ids_of(short, t, stride) == want(short, t, stride)
            assert ids_of(short, t, stride, strict=True) == (None if "x" in short or "N" in short else [])
        seq = dna(rng, 500)
        assert ids_of(seq, t, stride) == want(seq, t, stride)
        clean = seq.replace("N", "T")
        assert ids_of(clean, t, stride, strict=True) == want(clean, t, stride)
        counts = np.array([window_count(len(clean), k, stride)])
        rows = window_ids_rows([clean.encode()], counts, t, stride, width=int(counts[0]), lead=0, strict=True)
        assert rows is not None and rows[0].tolist() == want(clean, t, stride)


def test_k_12_index_fits() -> None:
    # the widest index (4**12 - 1, or twice it read from ASCII) through uint32 sums, no table needed
    seq = "G" * 14 + "ACGTACGTACGTAC"  # G: the last digit in the order byte & 6 reads
    shape = (window_count(len(seq), 12, 1),)
    got = kmer._index(base_codes(seq.encode()), 12, 1, shape, 0).tolist()
    assert got == naive_index(seq, 12, 1, -1)
    doubled = kmer._index(np.frombuffer(seq.encode(), np.uint8) & 6, 12, 2, shape, 0)
    assert doubled.max() == 2 * (4**12 - 1) and doubled.dtype == np.uint32
    with pytest.raises(ValueError, match=r"k must be 1\.\.12"):
        KmerTable(13, np.zeros(1, dtype=np.int64), 0)


def test_derived_tables() -> None:
    t = KmerTable.from_vocab({"AC": 7, "CG": 8, "[UNK]": 1}, 2, 1)
    assert kmer_ids(base_codes(b"ACGNAC"), t).tolist() == [7, 8, 1, 1, 7]
    assert kmer_ids(base_codes(b"ACGNAC"), t).dtype == np.int64
    assert kmer_ids(np.array([0, 1, 2, 9], dtype=np.int64), t).tolist() == [7, 8, 1]
    assert kmer_ids(base_codes(b"A"), t).tolist() == []
    assert t.int64_ids() is t.ids and t.spread() is t.spread()  # no copy; cached
    t.ids = t.ids.copy()
    t.ids[1] = 70
    assert t.spread()[2] == 70 and ids_of("AC", t, 1) == [70]  # rebuilt for new ids
    assert t.byte_tables() is None  # k = 2
    one = KmerTable.from_vocab({"A": 3, "C": 4, "G": 5, "T": 6, "[UNK]": 1}, 1, 1)
    strict, lenient = one.byte_tables()  # type: ignore[misc]
    assert b"ACGTN".translate(lenient) == bytes([3, 4, 5, 6, 1])
    assert b"ACGTN".translate(strict) == bytes([3, 4, 5, 6, 255])
    assert KmerTable.from_vocab({"A": 300, "[UNK]": 1}, 1, 1).byte_tables() is None
    assert table(3, "ordered").digits() == (kmer._CODE_BYTES, 1000)
    atcg = table(3, "atcg").digits()
    assert atcg is not None and atcg[1] == 5 and b"ATCGN".translate(atcg[0]) == bytes([0, 1, 2, 3, 4])
    assert table(3, "shuffled").digits() is None
    assert table(9, "ordered").digits() is None  # k > 8: the gather
    gap = table(2, "ordered")
    gap.ids = gap.ids.copy()
    gap.ids[5] += 1  # one id out of order
    assert gap.digits() is None and ids_of("CC", gap, 1) == [int(gap.ids[5])]


@pytest.mark.parametrize("k", [1, 3, 6])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("kind", KINDS)
def test_rows_match_one_at_a_time(k: int, stride: int, kind: str) -> None:
    rng = random.Random(100 * k + stride)
    t = table(k, kind)
    for i in range(30):
        sizes = [rng.choice([0, 1, k - 1, k, k + 1, rng.randint(0, 60)]) for _ in range(rng.randint(1, 8))]
        seqs = [dna(rng, n) if i % 2 else dna(rng, n).replace("N", "C") for n in sizes]
        counts = np.array([window_count(len(s), k, stride) for s in seqs])
        lead = rng.randint(0, 2)
        width = int(counts.max()) + lead + rng.randint(0, 3)
        raws = [s.encode() for s in seqs]
        got = window_ids_rows(raws, counts, t, stride, width=width, lead=lead)
        assert got is not None and got.shape == (len(seqs), width) and got.dtype == np.int64
        for row, s, c in zip(got, seqs, counts, strict=True):
            assert row[lead : lead + c].tolist() == want(s, t, stride)
        strict = window_ids_rows(raws, counts, t, stride, width=width, lead=lead, strict=True)
        assert (strict is None) == any("N" in s for s in seqs)
        assert strict is None or strict.tolist() == got.tolist()


@pytest.mark.parametrize("kind", KINDS)
def test_rows_strict_cut_and_long_rows(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    t = table(3, kind)
    seqs = [b"ACGTACGT", b"ACGTNACG", b"ACGTAC"]
    assert window_ids_rows(seqs, np.array([3, 3, 4]), t, width=5, lead=1, strict=True) is None
    # a byte past the last window counted (truncation) still makes strict refuse
    tailed = [b"ACGTACGTx"]
    assert window_ids_rows(tailed, np.array([2]), t, width=2, lead=0, strict=True) is None
    got = window_ids_rows(tailed, np.array([2]), t, width=2, lead=0)
    assert got is not None and got.tolist() == [want("ACGT", t, 1)]
    monkeypatch.setattr(kmer, "_BLOCK", 4)  # rows longer than a block go block by block
    long = [b"ACGTTGCA" * 3, b"GGGNCCCA"]
    for stride in (1, 2):
        c = np.array([window_count(len(s), 3, stride) for s in long])
        got = window_ids_rows(long, c, t, stride, width=int(c.max()) + 1, lead=1)
        assert got is not None
        for row, s, n in zip(got, long, c, strict=True):
            assert row[1 : 1 + n].tolist() == want(s.decode(), t, stride)
