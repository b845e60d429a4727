"""Non-overlapping k-mers with single-base fallback: transformers' `EsmTokenizer` on a k-mer vocabulary.

`EsmTokenizer` splits text on every vocabulary token with a longest-match trie. On DNA over a
vocabulary of every k-mer and single letters (Plant DNABERT's 6-mer and single-base models, the
Nucleotide Transformer) that is: from the left, the next k letters as one token when they are a run
of A/C/G/T, else one letter; a stretch of letters with no token of their own (lower case, under the
originals' policy) is one `<unk>`. A run of r letters A/C/G/T therefore gives r // k k-mers, then
r % k single bases. `<cls>` goes first; an end token only where the files name one.

The tokens are computed for the whole sequence at once (the start of every token, then one table
lookup; a loop over the runs when a few letters outside A/C/G/T break it), and a list of sequences
in one pass over their concatenation joined by N (where N has a token and k > 1); never a Python
loop per token.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import CheckpointError
from .base import DNATokenizer, write_vocab_txt
from .esm import write_esm_tokenizer_config
from .kmer import base_codes

if TYPE_CHECKING:
    from .._spec import NormalizationPolicy

__all__ = ["FEW_RUNS", "EsmKmerTokenizer"]

FEW_RUNS = 24  # up to this many letters outside A/C/G/T, a loop over the runs is the faster way


class EsmKmerTokenizer(DNATokenizer):
    """Non-overlapping k-mers from the left, single-base fallback, `<cls>` first (see the module).

    A plugin subclasses it for its files (`from_pretrained`; `save_pretrained` writes what
    transformers writes for an `EsmTokenizer`, where the family's hub files differ, its own); the
    vocabulary must hold every k-mer and the single bases A, C, G, T.
    """

    tokenizer_class = "EsmTokenizer"

    def __init__(
        self,
        vocab: Mapping[str, int],
        *,
        k: int,
        max_length: int,
        normalization: NormalizationPolicy | None = None,
        unk_token: str = "<unk>",
        pad_token: str = "<pad>",
        mask_token: str | None = "<mask>",
        cls_token: str = "<cls>",
        eos_token: str | None = None,
    ) -> None:
        super().__init__(
            dict(vocab), max_length=max_length, normalization=normalization,
            pad_token=pad_token, unk_token=unk_token, cls_token=cls_token, sep_token=eos_token,
            mask_token=mask_token, prefix=(cls_token,), suffix=(eos_token,) if eos_token else (),
        )
        self.k = k
        self.eos_token = eos_token
        missing = [b for b in "ACGT" if b not in self.vocab]
        if missing:
            raise CheckpointError(f"the vocabulary lacks the single bases {missing}")
        kmers = np.full(4**k, -1, dtype=np.int64)
        for n, letters in enumerate(itertools.product("ACGT", repeat=k)):  # base-4 order: A=0 .. T=3
            kmers[n] = self.vocab.get("".join(letters), -1)
        if (kmers < 0).any():
            raise CheckpointError(f"the vocabulary lacks {int((kmers < 0).sum())} of the {4**k} {k}-mers")
        # the id of each byte read as one letter; -1: no token of its own (an <unk> stretch)
        self._single = np.full(256, -1, dtype=np.int64)
        for tok, i in self.vocab.items():
            if len(tok) == 1 and tok.isascii():
                self._single[ord(tok)] = i
        # one lookup: a k-mer's base-4 index i -> lut[i]; a byte b read alone -> lut[4**k + b]
        self._letter = 4**k
        self._lut = np.concatenate((kmers, np.where(self._single >= 0, self._single, self.unk_token_id)))
        self._powers = 4 ** np.arange(k - 1, -1, -1, dtype=np.int64)

    @property
    def chunk_grid(self) -> int:
        """Chunks of a long sequence start on multiples of k bases (the core's chunking reads it)."""
        return self.k

    # ------------------------------------------------------------------ encoding
    def _starts(self, seq: bytes, *, starts: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
        """(start base, lookup index) of every token of a normalised sequence, in order (the starts
        only when asked)."""
        k = self.k
        codes = base_codes(seq)  # A/C/G/T 0..3, every other byte 4
        n = len(codes)
        other = np.flatnonzero(codes == 4)
        if not len(other):  # one run of A/C/G/T: the usual case
            m = n // k
            idx = np.empty(m + n - m * k, dtype=np.int64)
            idx[:m] = codes[: m * k].reshape(m, k) @ self._powers
            idx[m:] = np.add(np.frombuffer(seq, np.uint8, n - m * k, m * k), self._letter, dtype=np.int64)
            if not starts:
                return None, idx
            return np.concatenate((np.arange(0, m * k, k, dtype=np.int64), np.arange(m * k, n))), idx
        arr = np.frombuffer(seq, dtype=np.uint8)
        unk = self._single[arr[other]] < 0  # no token of its own: a stretch of them is one <unk>
        first = None  # which of them start a token (None: every one)
        if unk.any():
            first = np.ones(len(other), dtype=bool)
            first[1:] = ~(unk[1:] & unk[:-1] & (other[1:] == other[:-1] + 1))
        if not starts and len(other) <= FEW_RUNS:
            return None, self._few_runs(arr, codes, other, first)
        bounds = np.concatenate(([-1], other, [n]))
        run0 = bounds[:-1] + 1
        m, t = np.divmod(bounds[1:] - run0, k)
        cm, ct = np.cumsum(m), np.cumsum(t)
        kpos = np.repeat(run0 - k * (cm - m), m) + k * np.arange(cm[-1])  # k-mers at run start + k*j
        spos = np.repeat(run0 + k * m - (ct - t), t) + np.arange(ct[-1])  # then each run's single bases
        kidx = codes[kpos].astype(np.int64)
        for j in range(1, k):
            kidx <<= 2
            kidx |= codes[kpos + j]
        if first is not None:
            other = other[first]
        at = np.empty(n, dtype=np.int64)  # the lookup index at each token's start
        at[kpos] = kidx
        at[spos] = arr[spos].astype(np.int64) + self._letter
        at[other] = arr[other].astype(np.int64) + self._letter
        keep = np.zeros(n, dtype=bool)
        keep[kpos] = True
        keep[spos] = True
        keep[other] = True
        where = np.flatnonzero(keep)
        return where, at[where]

    def _few_runs(self, arr: np.ndarray, codes: np.ndarray, other: np.ndarray,
                  first: np.ndarray | None) -> np.ndarray:
        """The lookup indexes by a loop over the runs (not the tokens): cheaper than `_starts`'s
        every-run-at-once arithmetic when a few letters outside A/C/G/T break the sequence."""
        k, letter = self.k, self._letter
        o_idx = np.add(arr[other], letter, dtype=np.int64)
        parts = []
        a = 0
        for j, b in enumerate([*other.tolist(), len(codes)]):
            m = (b - a) // k
            cut = a + m * k
            if m:
                parts.append(codes[a:cut].reshape(m, k) @ self._powers)
            if cut < b:
                parts.append(np.add(arr[cut:b], letter, dtype=np.int64))
            if j < len(other) and (first is None or first[j]):
                parts.append(o_idx[j : j + 1])
            a = b + 1
        return np.concatenate(parts)

    def encode_body(self, seq: bytes) -> np.ndarray:
        if not seq:
            return np.empty(0, dtype=np.int64)
        if self.k == 1:  # one token a letter; a stretch of letters without one is one <unk>
            arr = np.frombuffer(seq, dtype=np.uint8)
            ids = self._lut[self._letter:][arr]  # the one-letter part of the lookup
            unk = self._single[arr] < 0
            if unk.any():
                repeat = unk.copy()
                repeat[1:] &= unk[:-1]
                repeat[0] = False
                ids = ids[~repeat]
            return ids
        return self._lut[self._starts(seq, starts=False)[1]]

    def body_spans(self, seq: bytes, ids: np.ndarray) -> np.ndarray:
        """[start, end) bases of each body token: tokens tile the sequence, an `<unk>` its whole stretch."""
        starts = self._starts(seq)[0] if seq else np.empty(0, dtype=np.int64)
        assert starts is not None  # asked for
        ends = np.append(starts[1:], len(seq))
        return np.stack((starts, ends), axis=1)

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
        """Every sequence tokenized in one numpy pass over their concatenation, padded rows out."""
        if not seqs or self.k == 1 or self._single[ord("N")] < 0:
            return None  # one a letter, or no N to join by: the base class's one sequence at a time
        norms = self.normalize_each(seqs, named=named)
        # one pass: sequences joined by an N, a one-letter token that ends every A/C/G/T run and every
        # <unk> stretch, so no token crosses a seam; the seams' own tokens are then dropped
        lengths = np.fromiter(map(len, norms), dtype=np.int64, count=len(norms))
        starts, idx = self._starts(b"N".join(norms))
        assert starts is not None
        seams = np.cumsum(lengths + 1)[:-1] - 1  # positions of the separators
        body = ~np.isin(starts, seams)
        row = np.searchsorted(seams, starts[body], side="right")
        ids = self._lut[idx[body]]
        counts = np.bincount(row, minlength=len(norms))
        head = self.prefix_ids if add_special_tokens else self.prefix_ids[:0]
        tail = self.suffix_ids if add_special_tokens else self.suffix_ids[:0]
        keep = counts if cut_to is None else np.minimum(counts, max(cut_to - len(head) - len(tail), 0))
        n_tokens = keep + len(head) + len(tail)
        cols = int(n_tokens.max())
        if width is not None:
            cols = max(cols, width)
        out = np.full((len(norms), cols), self.pad_token_id, dtype=np.int64)
        out[:, : len(head)] = head
        offset = np.concatenate(([0], np.cumsum(counts)[:-1]))
        pos = np.arange(len(ids)) - np.repeat(offset, counts)
        sel = pos < np.repeat(keep, counts)
        out[row[sel], pos[sel] + len(head)] = ids[sel]
        for j, tid in enumerate(tail.tolist()):
            out[np.arange(len(norms)), keep + len(head) + j] = tid
        attention = None
        if mask:
            attention = (np.arange(cols) < n_tokens[:, None]).astype(np.int64)
        return out, n_tokens, attention

    def count_tokens(self, n_bases: int) -> int | None:
        """Exact for single bases when the policy leaves only A/C/G/T/N; k-mers depend on the Ns."""
        pol = self.normalization
        if self.k == 1 and pol.uppercase and pol.u_to_t and self._single[ord("N")] >= 0:
            return n_bases + self.num_special_tokens
        return None

    def min_tokens(self, n_bases: int) -> int:
        """Upper-cased input: each token spells at most k bases. Otherwise a stretch of letters without
        a token (lower case) is one `<unk>`, however long: the base class's bound."""
        n = self.count_tokens(n_bases)
        if n is not None:
            return n
        if not self.normalization.uppercase:
            return super().min_tokens(n_bases)
        return -(-n_bases // self.k) + self.num_special_tokens

    def save_pretrained(self, path: str | Path) -> None:
        """vocab.txt in id order, tokenizer_config.json and special_tokens_map.json as transformers
        writes an `EsmTokenizer`'s."""
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        write_vocab_txt(self.vocab, p / "vocab.txt")
        write_esm_tokenizer_config(
            p, max_length=self.max_length, unk_token=self.unk_token, pad_token=self.pad_token,
            mask_token=self.mask_token, cls_token=self.cls_token or "<cls>",
            eos_token=self.eos_token, vocab=self.vocab,
        )
