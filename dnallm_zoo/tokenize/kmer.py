"""Vectorised k-mer primitives: bytes to base codes to k-mer token ids through lookup tables.

A window's base-4 index (first base most significant) comes from one of two numpy routes:

* short inputs, k <= 8 (`_small_index`): each position's 4 codes read as one unaligned uint32 and
  gathered into an index by one multiply and shift (`_MUL`); k > 4 joins two halves (6 = 3 + 3).
  Few numpy calls: their fixed cost is what a model-sized window pays.
* long inputs (`_index`): doubling over narrow arrays (2-mers from codes, 4-mers from 2-mers,
  8-mers from 4-mers), then one multiply-add per set bit of k (6 = 4 + 2), block by block so
  temporaries stay small and cache-resident, every position contiguous (numpy vectorises only
  contiguous arithmetic) and every `stride`-th kept.

The index becomes ids with no gather at all where the vocabulary lists the k-mers in order (ids =
first id + index, in some order of the four bases: ProkBERT's ACGT, DNABERT's ATCG; the bytes are
translated to that order's digits), else by one gather from the table, or from a spread copy of it
for long clean input read as ``byte & 6`` (twice a digit in the order A, C, T, G: no translation).
Ids go straight into the caller's int64 output; windows holding a byte other than A, C, G or T
(N, lower case…) get the unknown id. k = 1 with small ids is one bytes.translate to the ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np

__all__ = [
    "KmerTable",
    "acgt_only",
    "base_codes",
    "kmer_ids",
    "sequence_ids",
    "window_count",
    "window_ids_rows",
]

UNKNOWN = 4  # the code of every byte that is not an upper-case A, C, G or T
MAX_K = 12  # a window's index (twice it, read from ASCII) fits uint32
_CODES = np.full(256, UNKNOWN, dtype=np.uint8)
for _i, _b in enumerate(b"ACGT"):
    _CODES[_b] = _i
_CODE_BYTES = _CODES.tobytes()  # the same table for bytes.translate (one C pass, no numpy gather)
_ACGT = b"ACGT"
_FOUR = b"\x04"
_NOT_ACGT = b"\xff"  # what `KmerTable.byte_tables` strict table gives a byte other than A, C, G, T
# appended before translating: four code-0 bytes let the last windows read whole uint32s
PAD = b"AAAA"
# k-mers (k <= 4) of codes read as little-endian uint32s: (x * _MUL[k]) mod 2**32 >> (32 - 2k) is
# the base-4 index, first base most significant (each code's 2 bits land in place, nothing carries)
_LE32 = np.dtype("<u4")
_MUL = (0, 1 << 30, (1 << 30) | (1 << 20), (1 << 30) | (1 << 20) | (1 << 10),
        (1 << 30) | (1 << 20) | (1 << 10) | 1)
# up to this many windows (and k <= 8) the multiply path's few calls beat the doubling's many
_SMALL = 8192
# windows a pass works on at a time: its temporaries stay small (cache-resident, reused by the
# allocator) however long the input; one block covers a model-sized window whole
_BLOCK = 32768


def _narrow(top: int) -> type[np.unsignedinteger]:
    """The narrowest unsigned type holding 0 … top."""
    return np.uint8 if top < 1 << 8 else np.uint16 if top < 1 << 16 else np.uint32


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
        self._derived: dict[str, tuple[np.ndarray, Any]] = {}

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

    def _derived_table(self, name: str) -> Any:
        """A table derived from `ids` by `_build_<name>`, rebuilt if `ids` was replaced."""
        hit = self._derived.get(name)
        if hit is None or hit[0] is not self.ids:
            hit = self._derived[name] = (self.ids, getattr(self, f"_build_{name}")())
        return hit[1]

    def int64_ids(self) -> np.ndarray:
        """`ids` as int64 (themselves when they are already)."""
        return self._derived_table("int64")

    def spread(self) -> np.ndarray:
        """The ids at twice a window's index in the A, C, T, G order that ``byte & 6`` reads."""
        return self._derived_table("spread")

    def byte_tables(self) -> tuple[bytes, bytes] | None:
        """For k = 1 with ids below 255: bytes.translate tables from a base to its id, any other
        byte to 255 (strict) or to the unknown id. None otherwise."""
        return self._derived_table("bytes")

    def digits(self) -> tuple[bytes, int] | None:
        """Where ids = first + the k-mer's base-4 index in some order of A, C, G, T (k <= 8): a
        bytes.translate table from a base to its digit in that order (4 for any other byte) and
        `first`. None for any other vocabulary."""
        return self._derived_table("digits")

    def _build_int64(self) -> np.ndarray:
        return np.asarray(self.ids, dtype=np.int64)

    def _build_spread(self) -> np.ndarray:
        index = np.arange(4**self.k, dtype=np.int64)
        swapped = index ^ ((index >> 1) & (4**self.k - 1) // 3)  # G <-> T in every digit
        out = np.full(2 * 4**self.k, self.unk_id, dtype=np.int64)
        out[2 * swapped] = self.ids
        return out

    def _build_digits(self) -> tuple[bytes, int] | None:
        k = self.k
        ids = np.asarray(self.ids, dtype=np.int64)
        if k > 8:
            return None
        first = int(ids.min())
        unit = (4**k - 1) // 3  # the index of the k-mer of one base repeated, per unit of its code
        order = [(int(ids[code * unit]) - first) // unit for code in range(4)]
        if sorted(order) != [0, 1, 2, 3] or first + 4**k >= 1 << 31:
            return None
        digit = np.array(order, dtype=np.int64)
        codes = np.arange(4**k, dtype=np.int64)
        index = np.zeros(4**k, dtype=np.int64)
        for j in range(k - 1, -1, -1):
            index = index * 4 + digit[(codes >> 2 * j) & 3]
        if not np.array_equal(ids, index + first):
            return None
        table = bytearray([UNKNOWN] * 256)
        for b, d in zip(b"ACGT", order, strict=True):
            table[b] = d
        return bytes(table), first

    def _build_bytes(self) -> tuple[bytes, bytes] | None:
        ids = [int(i) for i in self.ids]
        if self.k != 1 or max(*ids, self.unk_id) >= 255 or min(*ids, self.unk_id) < 0:
            return None
        strict, lenient = bytearray(b"\xff" * 256), bytearray([self.unk_id] * 256)
        for b, i in zip(b"ACGT", ids, strict=True):
            strict[b] = lenient[b] = i
        return bytes(strict), bytes(lenient)


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


def _mers(values: np.ndarray, top: int, scale: int) -> dict[int, np.ndarray]:
    """Indices of the w-mers at every position, for w = 1, 2, 4, … up to `top`.

    `values` are digits (scale 1) or twice them (scale 2). Each w-mer array is of the narrowest
    type that holds it (2- and 4-mers of digits stay uint8), one type per operation (mixed-type
    ufuncs take numpy's buffered path), and multiplies, not shifts (numpy vectorises integer
    multiplication, not small-integer shifts).
    """
    mers = {1: values}
    w = 1
    while w < top:
        a = mers[w]
        dtype = _narrow(scale * (4 ** (2 * w) - 1))
        if a.dtype != dtype:
            a = a.astype(dtype)
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


def _view(a: np.ndarray, offset: int, shape: tuple[int, ...], row: int) -> np.ndarray:
    """a[offset + j] as a (count,) array, or a[offset + i*row + j] as a (rows, count) one."""
    if len(shape) == 1:
        return a[offset : offset + shape[0]]
    size = a.itemsize
    return np.ndarray(shape, a.dtype, buffer=a, offset=offset * size, strides=(row * size, size))


def _index(values: np.ndarray, k: int, scale: int, shape: tuple[int, ...], row: int) -> np.ndarray:
    """The index of the window at i*row + j: sum of values[pos + j] * 4**(k-1-j), j < k.

    `values` are digits (scale 1) or twice them (scale 2); the result is of the narrowest type.
    """
    parts = _parts(k)
    mers = _mers(values, parts[0][0], scale)
    (w0, o0), rest = parts[0], parts[1:]
    first = _view(mers[w0], o0, shape, row)
    if not rest:
        return first
    acc = first.astype(_narrow(scale * (4**k - 1)))
    acc *= 4 ** rest[0][0]
    for i, (w, o) in enumerate(rest):
        if i:
            acc *= 4**w
        acc += _view(mers[w], o, shape, row)
    return acc


def _unknown_windows(codes: np.ndarray, k: int, shape: tuple[int, ...], row: int) -> np.ndarray | None:
    """Whether each window (laid out as in `_index`) holds a code >= 4; None if none does."""
    bad = codes >= UNKNOWN
    if not bad.any():
        return None
    parts = _parts(k)
    spans = _spans(bad, parts[0][0])
    hit = _view(spans[parts[0][0]], parts[0][1], shape, row)
    for w, o in parts[1:]:
        hit = hit | _view(spans[w], o, shape, row)
    return hit


def _ids_block(
    src: np.ndarray, table: KmerTable, out: np.ndarray, step: int, row: int, kind: str, unknown: bool
) -> None:
    """out[i, j] = id of the window at i*row + j*step of `src`.

    `kind`: "ascii" (upper-case A, C, G, T bytes), "codes" (`base_codes`) or "digits" (bytes
    translated by `table.digits()`); with `unknown`, windows holding a code 4 get the unknown id.
    """
    k = table.k
    every = (*out.shape[:-1], (out.shape[-1] - 1) * step + 1)
    hit = _unknown_windows(src, k, every, row) if unknown else None
    if hit is not None:
        src = src & 3  # every index stays in the table; those windows are overwritten
    index = _index(src & 6, k, 2, every, row) if kind == "ascii" else _index(src, k, 1, every, row)
    digits = table.digits() if kind == "digits" else None
    first = digits[1] if digits is not None else 0
    if first and index.flags.owndata and np.iinfo(index.dtype).max >= 4**k - 1 + first:
        index += first  # in the narrow type, before widening
        first = 0
    if step != 1:
        index = index[..., ::step]
        hit = None if hit is None else hit[..., ::step]
    if kind == "digits":
        np.copyto(out, index)
        if first:
            out += first
    else:
        (table.spread() if kind == "ascii" else table.int64_ids()).take(index, out=out, mode="clip")
    if hit is not None:
        out[hit] = table.unk_id


def _small_index(padded: bytes, n: int, k: int, stride: int, m: int) -> np.ndarray:
    """Base-4 indices (uint32) of `m` windows every `stride` bases, k <= 8, in a few numpy calls.

    `padded` is n translated codes then `PAD` translated. Each position's 4 codes are read as one
    unaligned uint32 and gathered by one multiply and shift (see `_MUL`); codes of 4 only spoil
    their own windows and every index stays below 4**k. k > 4 joins two halves: 6 = 3 + 3,
    5 = 3 + the last 2 of the 3-mer ending the window.
    """
    if k <= 4:
        r = np.ndarray((m,), _LE32, padded, 0, (stride,)) * _MUL[k]
        r >>= 32 - 2 * k
        return r
    a = (k + 1) // 2
    b = k - a
    last = (m - 1) * stride
    r = np.ndarray((last + k - a + 1,), _LE32, padded, 0, (1,)) * _MUL[a]
    r >>= 32 - 2 * a
    index = r[: last + 1 : stride] * (4**b)
    # the last b bases: the a-mer ending the window, masked (never one reading past the window:
    # a code 4 there would spoil this window's bits)
    tail = r[k - a : k - a + last + 1 : stride]
    index += tail if a == b else tail & (4**b - 1)
    return index


def _blocks(
    src: np.ndarray, table: KmerTable, stride: int, out: np.ndarray, kind: str, unknown: bool
) -> None:
    """`_ids_block` over a long sequence, `_BLOCK` windows at a time."""
    k, m = table.k, len(out)
    for j0 in range(0, m, _BLOCK):
        j1 = min(m, j0 + _BLOCK)
        _ids_block(src[j0 * stride : (j1 - 1) * stride + k], table, out[j0:j1], stride, 0, kind, unknown)


def sequence_ids(raw: bytes, table: KmerTable, stride: int, out: np.ndarray, *, strict: bool) -> bool:
    """Write into `out` the ids of the k-mers every `stride` bases of the bytes `raw`.

    `out` is a contiguous int64 array of `window_count(len(raw), k, stride)`. Windows holding a
    byte other than upper-case A, C, G or T get the unknown id; with `strict`, such a byte anywhere
    in `raw` returns False instead (the caller normalises first; `out` may be partly written).
    """
    k, m, n = table.k, len(out), len(raw)
    tables = table.byte_tables()
    if tables is not None:  # k = 1, small ids: the translation is the ids
        ids = raw.translate(tables[0] if strict else tables[1])
        if strict and _NOT_ACGT in ids:
            return False
        if m:
            np.copyto(out, np.frombuffer(ids, np.uint8, (m - 1) * stride + 1)[::stride])
        return True
    digits = table.digits()
    if k > 8 or m > _SMALL:  # long: block by block, so every temporary stays small
        if strict and not acgt_only(raw[(m - 1) * stride + k if m else 0 :]):  # past the last window
            return False
        for j0 in range(0, m, _BLOCK):
            j1 = min(m, j0 + _BLOCK)
            piece = raw[j0 * stride : (j1 - 1) * stride + k]
            if digits is not None:
                piece = piece.translate(digits[0])
                kind, unknown = "digits", _FOUR in piece
            elif k <= 8 and acgt_only(piece):  # read the bytes as they are (spread table: 2 * 4**k)
                kind, unknown = "ascii", False
            else:
                piece = piece.translate(_CODE_BYTES)
                kind, unknown = "codes", _FOUR in piece
            if strict and unknown:
                return False
            _ids_block(np.frombuffer(piece, np.uint8), table, out[j0:j1], stride, 0, kind, unknown)
        return True
    translated = (raw + PAD).translate(_CODE_BYTES if digits is None else digits[0])
    unknown = _FOUR in translated
    if strict and unknown:
        return False
    if not m:
        return True
    index = _small_index(translated, n, k, stride, m)
    if digits is None:
        table.int64_ids().take(index, out=out, mode="clip")
    else:
        index += digits[1]
        np.copyto(out, index)
    if unknown:
        hit = _unknown_windows(np.frombuffer(translated, np.uint8, n), k, ((m - 1) * stride + 1,), 0)
        if hit is not None:
            out[hit[::stride]] = table.unk_id
    return True


def kmer_ids(codes: np.ndarray, table: KmerTable, stride: int = 1) -> np.ndarray:
    """Token ids of the k-mers starting every `stride` bases; windows with a code 4 are unknown.

    Trailing bases that do not fill a window are dropped (as DNABERT and ProkBERT do).
    """
    c = np.asarray(codes)
    if c.dtype != np.uint8:
        c = np.minimum(c, UNKNOWN).astype(np.uint8)
    out = np.empty(window_count(len(c), table.k, stride), dtype=np.int64)
    _blocks(c, table, stride, out, "codes", True)
    return out


def window_ids_rows(
    seqs: Sequence[bytes],
    counts: np.ndarray,
    table: KmerTable,
    stride: int = 1,
    *,
    width: int,
    lead: int,
    strict: bool = False,
    out: np.ndarray | None = None,
) -> np.ndarray | None:
    """A (len(seqs), width) int64 array: row b holds the ids of the first `counts[b]` windows of
    `seqs[b]` at columns `lead` on; its other columns hold arbitrary ids of the table.
    `out`, if given, is a C-contiguous int64 array of that shape to fill.

    All sequences are laid out in one buffer, one row slot each, checked or translated in one C
    pass and indexed block by block: windows never cross from one sequence into the next. Windows
    holding a byte other than A, C, G or T get the unknown id; with `strict`, such a byte anywhere
    in `seqs` (even past the last window) returns None instead, for the caller to normalise first.
    """
    k = table.k
    n_rows = len(seqs)
    counts = np.asarray(counts, dtype=np.int64)
    need = np.where(counts > 0, (counts - 1) * stride + k, 0)
    needs = need.tolist()
    longer = np.flatnonzero(np.fromiter(map(len, seqs), np.int64, n_rows) > need).tolist()
    if strict and not all(acgt_only(seqs[b][needs[b] :]) for b in longer):
        return None
    # a row slot holds its sequence's bytes and the reads past its last column
    slot = max(width, lead + -(-int(need.max(initial=0)) // stride)) + -(-k // stride)
    span = slot * stride
    lead_bytes = lead * stride
    total = n_rows * span + k
    cut = list(seqs)
    for b in longer:  # the bytes past a row's last window (truncation, trailing bases)
        cut[b] = cut[b][: needs[b]]
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
    tables, digits = table.byte_tables(), table.digits()
    unknown = False
    if tables is not None:  # k = 1, small ids: the translation is the ids
        translated = buf.translate(tables[0] if strict else tables[1])
        if strict and _NOT_ACGT in translated:
            return None
        kind = "ids"
    elif digits is not None:
        translated = buf.translate(digits[0])
        unknown = _FOUR in translated
        kind = "digits"
    elif k <= 8 and acgt_only(buf):
        translated, kind = buf, "ascii"
    else:
        translated = buf.translate(_CODE_BYTES)
        kind, unknown = "codes", _FOUR in translated
    if strict and unknown:
        return None
    if out is None:
        out = np.empty((n_rows, width), dtype=np.int64)
    if not n_rows or not width:
        return out
    src = np.frombuffer(translated, np.uint8)
    if kind == "ids":
        np.copyto(out, _view(src, 0, (n_rows, (width - 1) * stride + 1), span)[:, ::stride])
        return out
    reach = (width - 1) * stride + k  # bytes a row's windows read from its slot's start
    if width > _BLOCK:  # long rows, each block by block
        for b in range(n_rows):
            _blocks(src[b * span : b * span + reach], table, stride, out[b], kind, unknown)
        return out
    per = _BLOCK // width
    for r0 in range(0, n_rows, per):
        r1 = min(n_rows, r0 + per)
        _ids_block(src[r0 * span : (r1 - 1) * span + reach], table, out[r0:r1], stride, span, kind, unknown)
    return out
