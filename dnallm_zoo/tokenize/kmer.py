"""Vectorised k-mer primitives: bytes to base codes to k-mer token ids through lookup tables.

A k-mer's base-4 index is built by doubling over narrow arrays: 2-mers from the uint8 codes,
4-mers from 2-mers (still uint8), 8-mers from 4-mers (uint16); a k-mer is then one shift-and-add
per set bit of k (6 = 4 + 2), written straight into the int64 index array a table gathers from.
Only the windows asked for (every `stride`-th, or the rows of a batch) take part in that last step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

import numpy as np

__all__ = [
    "KmerTable",
    "acgt_only",
    "base_codes",
    "kmer_ids",
    "window_count",
    "window_ids",
    "window_ids_padded",
    "window_ids_rows",
]

UNKNOWN = 4  # the code of every byte that is not an upper-case A, C, G or T
MAX_K = 12  # base-4 indices up to 4**12 fit the doubling's uint16 8-mers and one int64 sum
_CODES = np.full(256, UNKNOWN, dtype=np.uint8)
for _i, _b in enumerate(b"ACGT"):
    _CODES[_b] = _i
_CODE_BYTES = _CODES.tobytes()  # the same table for bytes.translate (one C pass, no numpy gather)
_ACGT = b"ACGT"
_FOUR = b"\x04"
# appended before translating: four code-0 bytes let the last windows read whole uint32s
PAD = b"AAAA"
# k-mers (k <= 4) of codes read as little-endian uint32s: (x * _MUL[k]) mod 2**32 >> (32 - 2k) is
# the base-4 index, first base most significant (each code's 2 bits land in place, nothing carries)
_MUL = (0, 1 << 30, (1 << 30) | (1 << 20), (1 << 30) | (1 << 20) | (1 << 10),
        (1 << 30) | (1 << 20) | (1 << 10) | 1)
# up to this many windows (and k <= 8) the multiply path's few calls beat the doubling's many
_SMALL = 8192
# windows a pass works on at a time: its temporaries stay small (cache-resident, reused by the
# allocator) however long the input; one block covers a model-sized window whole
_BLOCK = 32768


def _narrow(k: int) -> type[np.unsignedinteger]:
    """The narrowest unsigned type holding every base-4 index of a k-mer."""
    return np.uint8 if k <= 4 else np.uint16 if k <= 8 else np.uint32


def base_codes(seq: bytes) -> np.ndarray:
    """A=0, C=1, G=2, T=3, anything else (N, lower case) 4; one uint8 per byte."""
    return np.frombuffer(bytearray(bytes(seq).translate(_CODE_BYTES)), dtype=np.uint8)


class KmerTable:
    """Maps a k-mer's base-4 index (A, C, G, T order) to the token id a vocabulary gives it.

    `ids` is read-only once the table is in use: derived tables are cached from it.
    """

    def __init__(self, k: int, ids: np.ndarray, unk_id: int) -> None:
        if not 1 <= k <= MAX_K:
            raise ValueError(f"k must be 1..{MAX_K}, not {k}")
        self.k = k
        self.ids = ids
        self.unk_id = unk_id
        self._extended: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}

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

    def extended(self, extra: tuple[int, ...] = ()) -> np.ndarray:
        """`ids`, then the unknown id at index 4**k, then the `extra` ids from 4**k + 1 on (cached)."""
        hit = self._extended.get(extra)
        if hit is not None and hit[0] is self.ids:
            return hit[1]
        ext = np.concatenate((np.asarray(self.ids, dtype=np.int64),
                              np.array((self.unk_id, *extra), dtype=np.int64)))
        self._extended[extra] = (self.ids, ext)
        return ext


def acgt_only(seq: bytes) -> bool:
    """Whether `seq` holds only upper-case A, C, G and T (one C pass)."""
    return not seq.translate(None, _ACGT)


def window_count(n: int, k: int, stride: int) -> int:
    """Windows of k bases every `stride` bases from the first that fit in n bases."""
    return 0 if n < k else (n - k) // stride + 1


@cache
def _parts(k: int) -> tuple[tuple[int, int], ...]:
    """k as powers of two, widest first, each with its offset in the window: 6 -> (4, 0), (2, 4)."""
    out, offset, width = [], 0, 1 << (k.bit_length() - 1)
    while width:
        if k - offset >= width:
            out.append((width, offset))
            offset += width
        width >>= 1
    return tuple(out)


def _mers(codes: np.ndarray, top: int, dtype: type[np.unsignedinteger]) -> dict[int, np.ndarray]:
    """Base-4 indices (`dtype`) of the w-mers at every position, for w = 1, 2, 4, … up to `top`.

    One dtype throughout (mixed-type ufuncs take numpy's slow buffered path), and multiplies, not
    shifts (numpy vectorises integer multiplication, not small-integer shifts).
    """
    mers = {1: codes if codes.dtype == dtype else codes.astype(dtype)}
    w = 1
    while w < top:
        a = mers[w]
        nxt = a[:-w] * (4**w)
        nxt += a[w:]
        mers[2 * w] = nxt
        w *= 2
    return mers


def _spans(bad: np.ndarray, top: int) -> dict[int, np.ndarray]:
    """Whether the w bases from every position hold an unknown one, for w = 1, 2, 4, … up to `top`."""
    spans = {1: bad}
    w = 1
    while w < top:
        a = spans[w]
        spans[2 * w] = a[:-w] | a[w:]
        w *= 2
    return spans


def _view(a: np.ndarray, offset: int, shape: tuple[int, ...], step: int, row: int) -> np.ndarray:
    """a[offset + j*step] as a (count,) array, or a[offset + i*row + j*step] as a (rows, count) one."""
    if len(shape) == 1:
        return a[offset : offset + (shape[0] - 1) * step + 1 : step]
    size = a.itemsize
    return np.ndarray(shape, a.dtype, buffer=a, offset=offset * size, strides=(row * size, step * size))


def _index(codes: np.ndarray, k: int, shape: tuple[int, ...], step: int, row: int) -> np.ndarray:
    """Base-4 index of the window at i*row + j*step of `codes` (all 0..3), in the narrowest type."""
    parts = _parts(k)
    mers = _mers(codes, parts[0][0], _narrow(k))
    (w0, o0), rest = parts[0], parts[1:]
    first = _view(mers[w0], o0, shape, step, row)
    if not rest:
        return first
    acc = first * (4 ** rest[0][0])
    for i, (w, o) in enumerate(rest):
        if i:
            acc *= 4**w
        acc += _view(mers[w], o, shape, step, row)
    return acc


def _unknown_windows(
    codes: np.ndarray, k: int, shape: tuple[int, ...], step: int, row: int
) -> np.ndarray | None:
    """Whether each window (laid out as in `_index`) holds a code >= 4; None if none does."""
    bad = codes >= UNKNOWN
    if not bad.any():
        return None
    parts = _parts(k)
    spans = _spans(bad, parts[0][0])
    hit = _view(spans[parts[0][0]], parts[0][1], shape, step, row)
    for w, o in parts[1:]:
        hit = hit | _view(spans[w], o, shape, step, row)
    return hit


def _ids_block(
    codes: np.ndarray, k: int, ext: np.ndarray, out: np.ndarray, step: int, row: int, unknown: bool
) -> None:
    """out[i, j] = ext[index of the window at i*row + j*step]; ext[4**k] where a code is >= 4."""
    shape = out.shape
    hit = _unknown_windows(codes, k, shape, step, row) if unknown else None
    if hit is None:
        index = _index(codes, k, shape, step, row)
    else:
        index = np.array(_index(codes & 3, k, shape, step, row), dtype=np.intp)
        index[hit] = 4**k
    ext.take(index, out=out, mode="clip")


def _small_index(padded: bytes, n: int, k: int, stride: int, m: int) -> np.ndarray:
    """Base-4 indices (uint32) of `m` windows every `stride` bases, k <= 8, in a few numpy calls.

    `padded` is n translated codes then `PAD` translated. Each position's 4 codes are read as one
    unaligned uint32 and gathered by one multiply and shift (see `_MUL`); codes of 4 only spoil
    their own windows and every index stays below 4**k. k > 4 joins two halves: 6 = 3 + 3,
    5 = 3 + the last 2 of the 3-mer ending the window.
    """
    if k <= 4:
        r = np.ndarray((m,), np.uint32, padded, 0, (stride,)) * _MUL[k]
        r >>= 32 - 2 * k
        return r
    a = (k + 1) // 2
    b = k - a
    last = (m - 1) * stride
    r = np.ndarray((last + k - a + 1,), np.uint32, padded, 0, (1,)) * _MUL[a]
    r >>= 32 - 2 * a
    index = r[: last + 1 : stride] * (4**b)
    # the last b bases: the a-mer ending the window, masked (never one reading past the window:
    # a code 4 there would spoil this window's bits)
    tail = r[k - a : k - a + last + 1 : stride]
    index += tail if a == b else tail & (4**b - 1)
    return index


def window_ids_padded(
    padded: bytes, n: int, k: int, ext: np.ndarray, stride: int, out: np.ndarray, unknown: bool
) -> None:
    """`window_ids` of the n codes that start `padded` (bytes.translate of a sequence + `PAD`)."""
    m = len(out)
    if not m:
        return
    if k > 8 or m > _SMALL:
        window_ids(np.frombuffer(padded, np.uint8, n), k, ext, stride, out=out, unknown=unknown)
        return
    index = _small_index(padded, n, k, stride, m)
    if unknown:
        hit = _unknown_windows(np.frombuffer(padded, np.uint8, n), k, (m,), stride, 0)
        if hit is not None:
            index[hit] = 4**k
    ext.take(index, out=out, mode="clip")


def window_ids(
    codes: np.ndarray,
    k: int,
    ext: np.ndarray,
    stride: int = 1,
    *,
    out: np.ndarray | None = None,
    unknown: bool = True,
) -> np.ndarray:
    """ext[base-4 index] of every `stride`-th k-mer of `codes`, block by block (int64).

    `ext` is a `KmerTable.extended()` array: windows holding a code >= 4 get ext[4**k]; with
    `unknown` False the caller promises there is none. Trailing bases that fill no window are
    dropped. `out`, if given, is a contiguous int64 array of the window count.
    """
    m = window_count(len(codes), k, stride)
    if out is None:
        out = np.empty(m, dtype=np.int64)
    elif out.shape != (m,):
        raise ValueError(f"out has shape {out.shape}, the windows are {m}")
    for j0 in range(0, m, _BLOCK):
        j1 = min(m, j0 + _BLOCK)
        _ids_block(codes[j0 * stride : (j1 - 1) * stride + k], k, ext, out[j0:j1], stride, 0, unknown)
    return out


def kmer_ids(codes: np.ndarray, table: KmerTable, stride: int = 1) -> np.ndarray:
    """Token ids of the k-mers starting every `stride` bases; windows with a code 4 are unknown.

    Trailing bases that do not fill a window are dropped (as DNABERT and ProkBERT do).
    """
    c = np.asarray(codes)
    if c.dtype != np.uint8:
        c = np.minimum(c, UNKNOWN).astype(np.uint8)
    return window_ids(c, table.k, table.extended(), stride)


def window_ids_rows(
    seqs: Sequence[bytes],
    counts: np.ndarray,
    k: int,
    ext: np.ndarray,
    stride: int = 1,
    *,
    width: int,
    lead: int,
    strict: bool = False,
    out: np.ndarray | None = None,
) -> np.ndarray | None:
    """A (len(seqs), width) int64 array: row b holds ext[base-4 index] of the first `counts[b]`
    windows of `seqs[b]` at columns `lead` on; its other columns hold arbitrary entries of `ext`.
    `out`, if given, is a C-contiguous int64 array of that shape to fill.

    All sequences are laid out in one buffer, one row slot each, translated in one C pass and
    indexed block by block: windows never cross from one sequence into the next. Windows holding a
    byte other than A, C, G or T get ext[4**k]; with `strict`, such a byte anywhere in `seqs` (even
    past the last window) returns None instead, for the caller to normalise first.
    """
    n_rows = len(seqs)
    counts = np.asarray(counts, dtype=np.int64)
    need = np.where(counts > 0, (counts - 1) * stride + k, 0)
    needs = need.tolist()
    if strict and not all(len(s) <= n or acgt_only(s[n:]) for s, n in zip(seqs, needs, strict=True)):
        return None
    # a row slot holds its sequence's bytes and the reads past its last column
    slot = max(width, lead + -(-int(need.max(initial=0)) // stride)) + -(-k // stride)
    span = slot * stride
    lead_bytes = lead * stride
    total = n_rows * span + k
    cut = [s if len(s) == n else s[:n] for s, n in zip(seqs, needs, strict=True)]
    if n_rows and (need == need[0]).all():  # equal lengths (windows of a genome): one join
        end = (n_rows - 1) * span + lead_bytes + needs[0]
        buf = b"".join((b"A" * lead_bytes, (b"A" * (span - needs[0])).join(cut), b"A" * (total - end)))
    else:
        pieces: list[bytes] = []
        end = 0
        for b, s in enumerate(cut):
            start = b * span + lead_bytes
            pieces.append(b"A" * (start - end))
            pieces.append(s)
            end = start + len(s)
        pieces.append(b"A" * (total - end))
        buf = b"".join(pieces)
    translated = buf.translate(_CODE_BYTES)
    unknown = _FOUR in translated
    if strict and unknown:
        return None
    if out is None:
        out = np.empty((n_rows, width), dtype=np.int64)
    if not n_rows or not width:
        return out
    codes = np.frombuffer(translated, dtype=np.uint8)
    reach = (width - 1) * stride + k  # bytes a row's windows read from its slot's start
    if width > _BLOCK:  # long rows: each row block by block
        for b in range(n_rows):
            window_ids(codes[b * span : b * span + reach], k, ext, stride, out=out[b], unknown=unknown)
        return out
    per = max(1, _BLOCK // width)
    for r0 in range(0, n_rows, per):
        r1 = min(n_rows, r0 + per)
        block = codes[r0 * span : (r1 - 1) * span + reach]
        _ids_block(block, k, ext, out[r0:r1], stride, span, unknown)
    return out
