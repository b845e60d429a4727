"""Plant DNABERT's ESM-style tokenizers (6-mer and single-base), vectorised on the core primitives.

The originals go through `transformers.EsmTokenizer`, which splits text on every vocabulary token
with a longest-match trie. On DNA that is: at each position, the next k letters as one token when
they form a vocabulary k-mer, else one letter; a stretch of characters with no token of its own
(lower case under the original policy) is one `<unk>`. For a run of r consecutive A/C/G/T that gives
r // k k-mers, then r % k single bases: numpy computes them a run at a time when a few Ns break the
sequence, every run at once when many do; never a Python loop per token.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

from dnallm_zoo import CheckpointError, NormalizationPolicy, tokenize

__all__ = [
    "ESM_DEFAULT_SPECIALS",
    "GreedyKmerTokenizer",
    "read_special_tokens",
    "write_esm_tokenizer_config",
]

#: EsmTokenizer's defaults and its rule for a directory's special tokens (the core's, shared with NT)
ESM_DEFAULT_SPECIALS = tokenize.ESM_DEFAULT_SPECIALS
read_special_tokens = tokenize.read_esm_special_tokens
OTHER = 4  # base_codes' code of every byte that is not an upper-case A, C, G or T
FEW_RUNS = 24  # up to this many letters outside A/C/G/T, a loop over the runs is the faster way


class GreedyKmerTokenizer(tokenize.DNATokenizer):
    """Non-overlapping k-mers left to right with single-base fallback; k=1 is one token a base.

    `<cls>` first and `<eos>` last unless the checkpoint sets no eos (Plant DNABERT sets none).
    """

    tokenizer_class = "EsmTokenizer"

    def __init__(
        self,
        vocab: dict[str, int],
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
            vocab, max_length=max_length, normalization=normalization,
            pad_token=pad_token, unk_token=unk_token, cls_token=cls_token, sep_token=eos_token,
            mask_token=mask_token, prefix=(cls_token,), suffix=(eos_token,) if eos_token else (),
        )
        self.k = k
        self.eos_token = eos_token
        missing = [b for b in "ACGT" if b not in self.vocab]
        if missing:
            raise CheckpointError(f"the vocabulary lacks the single bases {missing}")
        # id of each byte as a one-letter token; -1: no token of its own (an <unk> stretch)
        self._single = np.full(256, -1, dtype=np.int64)
        for tok, i in self.vocab.items():
            if len(tok) == 1 and tok.isascii():
                self._single[ord(tok)] = i
        self._kmer = np.zeros(0, dtype=np.int64)
        if k > 1:
            table = np.full(4**k, -1, dtype=np.int64)
            lut = {b: i for i, b in enumerate("ACGT")}
            for letters in itertools.product("ACGT", repeat=k):
                idx = 0
                for b in letters:
                    idx = idx * 4 + lut[b]
                table[idx] = self.vocab.get("".join(letters), -1)
            if (table < 0).any():
                raise CheckpointError(
                    f"the vocabulary lacks {int((table < 0).sum())} of the {4**k} {k}-mers"
                )
            self._kmer = table
        self._powers = 4 ** np.arange(k - 1, -1, -1, dtype=np.int64)  # base-4 index of a k-mer
        # one lookup for every token: k-mer base-4 index i -> lut[i]; a letter byte b ->
        # lut[offset + b] (its one-letter token, or <unk> when it has none)
        self._offset = len(self._kmer)
        one_letter = np.where(self._single >= 0, self._single, self.unk_token_id)
        self._lut = np.concatenate((self._kmer, one_letter))

    @classmethod
    def from_pretrained(
        cls, path: str | Path, *, k: int, max_length: int,
        normalization: NormalizationPolicy | None = None, vocab_file: str = "vocab.txt",
    ) -> GreedyKmerTokenizer:
        """Read vocab.txt and the special tokens of an ESM-style tokenizer directory."""
        p = Path(path)
        f = p / vocab_file
        if not f.is_file():
            raise CheckpointError(
                f"{p}: no {vocab_file} (an ESM-style vocabulary, one token a line, is needed)"
            )
        specials = read_special_tokens(p)
        vocab = tokenize.read_vocab_txt(f)
        for role in ("unk_token", "pad_token", "cls_token"):
            if specials[role] is None or specials[role] not in vocab:
                raise CheckpointError(f"{f}: the {role} {specials[role]!r} is not in the vocabulary")
        mask = specials["mask_token"] if specials["mask_token"] in vocab else None
        eos = specials["eos_token"]
        if eos is not None and eos not in vocab:
            raise CheckpointError(f"{f}: the eos_token {eos!r} is not in the vocabulary")
        return cls(
            vocab, k=k, max_length=max_length, normalization=normalization,
            unk_token=specials["unk_token"] or "<unk>", pad_token=specials["pad_token"] or "<pad>",
            mask_token=mask, cls_token=specials["cls_token"] or "<cls>", eos_token=eos,
        )

    def encode_body(self, seq: bytes) -> np.ndarray:
        if not seq:
            return np.empty(0, dtype=np.int64)
        if self.k == 1:
            return self._encode_single(seq)
        codes = tokenize.base_codes(seq)  # A/C/G/T 0..3, anything else OTHER
        if codes.max() < OTHER:  # one run of A/C/G/T (the usual case)
            return self._lut[self._run_index(seq, codes, 0, len(codes))]
        other = np.flatnonzero(codes == OTHER)
        if len(other) <= FEW_RUNS:
            return self._encode_few_runs(seq, codes, other)
        return self._encode_runs(seq, codes, other)

    def _letters(self, arr: np.ndarray) -> np.ndarray:
        """Lookup indexes of bytes read one letter a token."""
        return np.add(arr, self._offset, dtype=np.int64)

    def _encode_single(self, seq: bytes) -> np.ndarray:
        arr = np.frombuffer(seq, dtype=np.uint8)
        ids = self._lut[arr]  # offset 0: no k-mers
        unk = self._single[arr] < 0
        if not unk.any():
            return ids
        repeat = unk.copy()  # an <unk> right after an <unk> continues its stretch: no new token
        repeat[1:] &= unk[:-1]
        repeat[0] = False
        return ids[~repeat]

    def _run_index(self, seq: bytes, codes: np.ndarray, a: int, b: int) -> np.ndarray:
        """Lookup indexes of the A/C/G/T run codes[a:b]: (b - a) // k k-mers, then single bases."""
        m = (b - a) // self.k
        cut = a + m * self.k
        kmers = codes[a:cut].reshape(m, self.k) @ self._powers
        if cut == b:
            return kmers
        return np.concatenate((kmers, self._letters(np.frombuffer(seq, np.uint8, b - cut, cut))))

    def _other_starts(self, arr: np.ndarray, other: np.ndarray) -> np.ndarray | None:
        """Which letters outside A/C/G/T start a token (None: all); <unk> stretches are one token."""
        unk = self._single[arr[other]] < 0
        if not unk.any():
            return None
        starts = ~unk
        starts[0] = True
        starts[1:] |= ~unk[:-1] | (other[1:] != other[:-1] + 1)
        return starts

    def _encode_few_runs(self, seq: bytes, codes: np.ndarray, other: np.ndarray) -> np.ndarray:
        """A loop over the runs (not the tokens): cheapest when a few Ns break the sequence."""
        k = self.k
        arr = np.frombuffer(seq, dtype=np.uint8)
        o_idx = self._letters(arr[other])
        o_starts = self._other_starts(arr, other)
        parts = []
        a = 0
        for j, b in enumerate([*other.tolist(), len(codes)]):
            m = (b - a) // k
            cut = a + m * k
            if m:
                parts.append(codes[a:cut].reshape(m, k) @ self._powers)
            if cut < b:
                parts.append(self._letters(arr[cut:b]))
            if j < len(other) and (o_starts is None or o_starts[j]):
                parts.append(o_idx[j : j + 1])
            a = b + 1
        return self._lut[np.concatenate(parts)]

    def _encode_runs(self, seq: bytes, codes: np.ndarray, other: np.ndarray) -> np.ndarray:
        """Every run at once: token positions, then lookup indexes at them, in sequence order."""
        k, n = self.k, len(codes)
        arr = np.frombuffer(seq, dtype=np.uint8)
        bounds = np.concatenate(([-1], other, [n]))
        starts = bounds[:-1] + 1
        m, t = np.divmod(bounds[1:] - starts, k)
        # token positions: the k-mers at start + k*j (j < m), then the t single bases of each run
        cm, ct = np.cumsum(m), np.cumsum(t)
        kpos = np.repeat(starts - k * (cm - m), m) + k * np.arange(cm[-1])
        spos = np.repeat(starts + k * m - (ct - t), t) + np.arange(ct[-1])
        idx = codes[kpos].astype(np.int64)  # base-4 index of each k-mer
        for j in range(1, k):
            idx <<= 2
            idx |= codes[kpos + j]
        at = self._letters(arr)  # every position read as one letter; k-mer starts overwritten
        at[kpos] = idx
        keep = np.zeros(n, dtype=bool)
        keep[kpos] = True
        keep[spos] = True
        o_starts = self._other_starts(arr, other)
        keep[other] = True if o_starts is None else o_starts
        return self._lut[at[keep]]

    def count_tokens(self, n_bases: int) -> int | None:
        """Exact for single bases when the policy leaves only A/C/G/T/N; k-mers depend on the Ns."""
        pol = self.normalization
        if self.k == 1 and pol.uppercase and pol.u_to_t and self._single[ord("N")] >= 0:
            return n_bases + self.num_special_tokens
        return None

    def save_pretrained(self, path: str | Path) -> None:
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        tokenize.write_vocab_txt(self.vocab, p / "vocab.txt")
        write_esm_tokenizer_config(
            p, max_length=self.max_length, unk_token=self.unk_token, pad_token=self.pad_token,
            mask_token=self.mask_token, cls_token=self.cls_token or "<cls>",
            eos_token=self.eos_token, vocab=self.vocab,
        )


def write_esm_tokenizer_config(
    path: Path,
    *,
    max_length: int,
    vocab: dict[str, int],
    unk_token: str = "<unk>",
    pad_token: str = "<pad>",
    mask_token: str | None = "<mask>",
    cls_token: str = "<cls>",
    eos_token: str | None = None,
) -> None:
    """tokenizer_config.json and special_tokens_map.json as transformers writes an EsmTokenizer's."""
    roles = {"unk_token": unk_token, "pad_token": pad_token, "mask_token": mask_token,
             "cls_token": cls_token}
    decoder = {
        str(vocab[tok]): {"content": tok, "lstrip": False, "normalized": False, "rstrip": False,
                          "single_word": False, "special": True}
        for tok in roles.values() if tok is not None
    }
    config = {
        "added_tokens_decoder": dict(sorted(decoder.items(), key=lambda kv: int(kv[0]))),
        "clean_up_tokenization_spaces": True,
        **{k: v for k, v in roles.items() if v is not None},
        "eos_token": eos_token,  # explicit: null means no end token
        "model_max_length": max_length,
        "tokenizer_class": "EsmTokenizer",
    }
    (path / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    smap = {k: v for k, v in roles.items() if v is not None}
    (path / "special_tokens_map.json").write_text(json.dumps(smap, indent=2) + "\n")
