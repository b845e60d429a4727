"""Overlapping (stride 1, DNABERT) and shifted (LCA, ProkBERT) k-mer tokenizers over a vocab.txt."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._spec import NormalizationPolicy
from .base import DNATokenizer, read_vocab_txt, write_vocab_txt
from .kmer import KmerTable, base_codes, kmer_ids, sequence_ids, window_ids_rows

__all__ = ["KmerTokenizer"]

# the methods the vectorised paths stand in for: a subclass overriding one keeps the generic path
_ENCODE_PATH = ("normalize", "encode", "encode_normalized", "encode_body", "pad", "count_tokens")


def _ascii(seq: object) -> bytes | None:
    """The bytes of an ASCII str or of bytes; None for anything else (the generic path reports it)."""
    if isinstance(seq, str):
        try:
            return seq.encode("ascii")
        except UnicodeEncodeError:
            return None
    if isinstance(seq, bytes):
        return seq
    return None


class KmerTokenizer(DNATokenizer):
    """k-mers every `stride` bases, `[CLS] … [SEP]`, ids read from the checkpoint's vocab.txt.

    Input of upper-case A, C, G, T only skips normalisation (it would change nothing); the ids are
    computed by `kmer.sequence_ids` straight into the output, and many sequences in one pass over
    their concatenation (`__call__`, `encode_batch`). A subclass overriding a method of the encode
    path (`_ENCODE_PATH`) gets the generic one-sequence-at-a-time path through its override.
    """

    tokenizer_class = "BertTokenizer"

    def __init__(
        self,
        vocab: dict[str, int],
        *,
        k: int,
        stride: int = 1,
        max_length: int,
        normalization: NormalizationPolicy | None = None,
        pad_token: str = "[PAD]",
        unk_token: str = "[UNK]",
        cls_token: str = "[CLS]",
        sep_token: str = "[SEP]",
        mask_token: str | None = "[MASK]",
    ) -> None:
        super().__init__(
            vocab, max_length=max_length, normalization=normalization,
            pad_token=pad_token, unk_token=unk_token, cls_token=cls_token, sep_token=sep_token,
            mask_token=mask_token, prefix=(cls_token,), suffix=(sep_token,),
        )
        if stride < 1:
            raise ValueError(f"stride must be at least 1, not {stride}")
        self.k, self.stride = k, stride
        self.table = KmerTable.from_vocab(self.vocab, k, self.unk_token_id)
        self._specials = (tuple(self.prefix_ids.tolist()), tuple(self.suffix_ids.tolist()))
        cls = type(self)
        self._vectorised = all(getattr(cls, name) is getattr(KmerTokenizer, name) for name in _ENCODE_PATH)

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> KmerTokenizer:
        """Read `vocab.txt` (a file or a directory holding one)."""
        p = Path(path)
        return cls(read_vocab_txt(p / "vocab.txt" if p.is_dir() else p), **kwargs)

    def encode_body(self, seq: bytes) -> np.ndarray:
        return kmer_ids(base_codes(seq), self.table, self.stride)

    def encode(
        self, seq: str | bytes, *, add_special_tokens: bool = True, record: str | None = None
    ) -> np.ndarray:
        """Normalise and tokenize one sequence to int64 ids."""
        if self._vectorised:
            raw = _ascii(seq)
            if raw:  # only A, C, G, T (checked on the way): normalising would change nothing
                ids = self._encode_raw(raw, add_special_tokens, strict=True)
                if ids is not None:
                    return ids
        return super().encode(seq, add_special_tokens=add_special_tokens, record=record)

    def encode_normalized(self, seq: bytes, *, add_special_tokens: bool = True) -> np.ndarray:
        """Tokenize an already normalised sequence, special tokens around it."""
        if not self._vectorised:
            return super().encode_normalized(seq, add_special_tokens=add_special_tokens)
        ids = self._encode_raw(bytes(seq), add_special_tokens, strict=False)
        assert ids is not None
        return ids

    def _encode_raw(self, raw: bytes, add_special_tokens: bool, *, strict: bool) -> np.ndarray | None:
        """Prefix, k-mer ids, suffix; None (with `strict`) if `raw` holds other than A, C, G, T."""
        m = 0 if len(raw) < self.k else (len(raw) - self.k) // self.stride + 1
        if not add_special_tokens:
            ids = np.empty(m, dtype=np.int64)
            return ids if sequence_ids(raw, self.table, self.stride, ids, strict=strict) else None
        head, tail = self._specials
        p = len(head)
        ids = np.empty(p + m + len(tail), dtype=np.int64)
        if not sequence_ids(raw, self.table, self.stride, ids[p : p + m], strict=strict):
            return None
        if p == len(tail) == 1:  # [CLS] … [SEP]
            ids[0], ids[-1] = head[0], tail[0]
        else:
            ids[:p], ids[p + m :] = head, tail
        return ids

    def _encode_rows(
        self,
        seqs: Sequence[str | bytes],
        *,
        add_special_tokens: bool,
        cut_to: int | None,
        width: int | None,
        mask: bool = False,
        named: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
        """All sequences in one pass over their concatenation (see `window_ids_rows`)."""
        seqs = list(seqs)
        n_special = self.num_special_tokens if add_special_tokens else 0
        if not self._vectorised or not seqs or (cut_to is not None and cut_to <= n_special):
            return None
        head, tail = (self.prefix_ids, self.suffix_ids) if add_special_tokens else (self.prefix_ids[:0],) * 2
        cut = None if cut_to is None else cut_to - n_special  # windows kept
        ids = None
        try:
            raws = [s.encode("ascii") for s in seqs]  # type: ignore[union-attr]  # bytes: see the except
        except (AttributeError, UnicodeEncodeError):  # bytes, or a non-ASCII character
            raws = [_ascii(s) for s in seqs]
        if all(raws):  # ASCII, not empty: if only A, C, G, T too, normalising changes nothing
            counts = self._counts(raws, cut)
            block = self._block(len(seqs), counts, n_special, width, mask)
            ids = self._rows(raws, counts, len(head), block[0], strict=True)
        if ids is None:  # normalise one at a time, raising the first error in input order
            norms = self.normalize_each(seqs, named=named)
            counts = self._counts(norms, cut)
            block = self._block(len(seqs), counts, n_special, width, mask)
            ids = self._rows(norms, counts, len(head), block[0], strict=False)
            assert ids is not None
        n_tokens = counts + n_special
        ids[:, : len(head)] = head
        padding = None
        if int(n_tokens.min()) < ids.shape[1]:
            padding = np.arange(ids.shape[1]) >= n_tokens[:, None]
            ids[padding] = self.pad_token_id
        rows = np.arange(len(seqs))
        for j, tid in enumerate(tail.tolist()):
            ids[rows, counts + len(head) + j] = tid
        if not mask:
            return ids, n_tokens, None
        attention = block[1]
        attention.fill(1)
        if padding is not None:
            attention[padding] = 0
        return ids, n_tokens, attention

    def _counts(self, seqs: list[bytes], cut: int | None) -> np.ndarray:
        """Windows of each sequence, at most `cut` (truncation)."""
        lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
        counts = np.maximum(lengths - self.k, -1) // self.stride + 1
        return counts if cut is None else np.minimum(counts, cut, out=counts)

    @staticmethod
    def _block(
        n_rows: int, counts: np.ndarray, n_special: int, width: int | None, mask: bool
    ) -> np.ndarray:
        """Ids (and attention mask) storage: (1 or 2, rows, columns) int64 in one allocation; at least
        `width` columns, more where a sequence (not truncated) has more tokens."""
        cols = int(counts.max()) + n_special if width is None else max(width, int(counts.max()) + n_special)
        return np.empty((2 if mask else 1, n_rows, cols), dtype=np.int64)

    def _rows(
        self, seqs: list[bytes], counts: np.ndarray, lead: int, out: np.ndarray, *, strict: bool
    ) -> np.ndarray | None:
        """`window_ids_rows` over the batch into `out`."""
        return window_ids_rows(
            seqs, counts, self.table, self.stride, width=out.shape[1], lead=lead, strict=strict, out=out
        )

    def count_tokens(self, n_bases: int) -> int:
        body = 0 if n_bases < self.k else (n_bases - self.k) // self.stride + 1
        return body + self.num_special_tokens

    def max_bases(self, max_tokens: int) -> int:
        """The most bases whose tokens fit in `max_tokens`."""
        body = max_tokens - self.num_special_tokens
        return (body - 1) * self.stride + self.k

    def save_pretrained(self, path: str | Path) -> None:
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        write_vocab_txt(self.vocab, p / "vocab.txt")
        self._save_config(p, self.tokenizer_class, do_lower_case=False)
