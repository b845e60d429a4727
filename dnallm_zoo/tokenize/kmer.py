"""Vectorised k-mer primitives: bytes to base codes to k-mer token ids through lookup tables."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["KmerTable", "base_codes", "kmer_ids"]

UNKNOWN = 4  # the code of every byte that is not an upper-case A, C, G or T
_CODES = np.full(256, UNKNOWN, dtype=np.uint8)
for _i, _b in enumerate(b"ACGT"):
    _CODES[_b] = _i
_CODE_BYTES = _CODES.tobytes()  # the same table for bytes.translate (one C pass, no numpy gather)
# powers[m] = 4**m: np.convolve flips its kernel, so convolving with these gives the base-4 index
_POWERS = {k: 4 ** np.arange(k, dtype=np.int64) for k in range(1, 32)}


def base_codes(seq: bytes) -> np.ndarray:
    """A=0, C=1, G=2, T=3, anything else (N, lower case) 4; one uint8 per byte."""
    return np.frombuffer(bytearray(bytes(seq).translate(_CODE_BYTES)), dtype=np.uint8)


class KmerTable:
    """Maps a k-mer's base-4 index (A, C, G, T order) to the token id a vocabulary gives it."""

    def __init__(self, k: int, ids: np.ndarray, unk_id: int) -> None:
        self.k = k
        self.ids = ids
        self.unk_id = unk_id

    @classmethod
    def from_vocab(cls, vocab: Mapping[str, int], k: int, unk_id: int) -> KmerTable:
        """Build the table from a token -> id vocabulary; k-mers it lacks map to `unk_id`."""
        ids = np.full(4**k, unk_id, dtype=np.int64)
        lut = np.full(256, -1, dtype=np.int64)
        for i, b in enumerate(b"ACGT"):
            lut[b] = i
        powers = 4 ** np.arange(k - 1, -1, -1, dtype=np.int64)
        for token, tid in vocab.items():
            if len(token) != k:
                continue
            codes = lut[np.frombuffer(token.encode("ascii", "replace"), dtype=np.uint8)]
            if (codes < 0).any():
                continue
            ids[int(codes @ powers)] = tid
        return cls(k, ids, unk_id)


def kmer_ids(codes: np.ndarray, table: KmerTable, stride: int = 1) -> np.ndarray:
    """Token ids of the k-mers starting every `stride` bases; windows with a code 4 are unknown.

    Trailing bases that do not fill a window are dropped (as DNABERT and ProkBERT do).
    """
    k = table.k
    n = len(codes)
    if n < k:
        return np.empty(0, dtype=np.int64)
    c = codes.astype(np.int64)
    any_bad = bool(c.max() >= UNKNOWN)
    if any_bad:
        bad = c >= UNKNOWN
        c[bad] = 0
    # base-4 index of every window: idx[i] = sum_j c[i+j] * 4**(k-1-j), one C-level convolution
    m = n - k + 1
    idx = np.convolve(c, _POWERS[k], "valid")
    out = table.ids[idx]
    if any_bad:
        cs = np.concatenate(([0], np.cumsum(bad, dtype=np.int64)))
        out[(cs[k:] - cs[:m]) > 0] = table.unk_id
    if stride != 1:
        out = out[::stride]
    return out
