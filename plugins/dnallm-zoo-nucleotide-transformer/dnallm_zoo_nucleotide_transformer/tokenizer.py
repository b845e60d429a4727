"""The Nucleotide Transformer tokenizer: transformers' `EsmTokenizer` on the NT vocab.txt, in numpy.

`EsmTokenizer` splits text on every vocabulary token with a longest-match trie. On DNA over the NT
vocabulary that is: from the left, the next six letters as one token when they are a run of A/C/G/T,
else one letter (A, T, C, G, N have tokens of their own); a stretch of characters with no token
(lower case, under the originals' policy) is one `<unk>`. A run of r letters A/C/G/T therefore gives
r // 6 six-mers, then r % 6 single bases. `<cls>` goes first; an end token only where the files name
one (the NT files set `eos_token` to null: none).

The ids are computed for the whole sequence at once (the start of every token, then one table
lookup), and a list of sequences in one pass over their concatenation; never a Python loop per token.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dnallm_zoo import CheckpointError, InputError, NormalizationPolicy, tokenize

__all__ = ["NT_SPECIALS", "K", "NTTokenizer", "check_nt_vocab", "read_vocab_lines"]

K = 6
#: the first ids of every NT vocabulary (v1, v2 and AgroNT alike)
NT_SPECIALS = ("<unk>", "<pad>", "<mask>", "<cls>")
_LETTERS = "ATCGN"
_CODE8 = np.full(256, 4, dtype=np.uint8)  # base-4 code of A, C, G, T; 4 for every other byte
for _i, _b in enumerate(b"ACGT"):
    _CODE8[_b] = _i
_POWERS = 4 ** np.arange(K - 1, -1, -1, dtype=np.int64)
#: EsmTokenizer's defaults (the core's)
ESM_DEFAULTS = tokenize.ESM_DEFAULT_SPECIALS


def read_vocab_lines(file: Path) -> list[str]:
    """vocab.txt as `EsmTokenizer` reads it: one token a line, stripped, the line number is the id."""
    try:
        return [line.strip() for line in file.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{file}: cannot read the vocabulary ({exc})") from None


def check_nt_vocab(tokens: Sequence[str], file: Path) -> None:
    """A `CheckpointError` naming the file unless it is NT's: specials, every 6-mer, A T C G N."""
    if tuple(tokens[: len(NT_SPECIALS)]) != NT_SPECIALS:
        raise CheckpointError(
            f"{file}: not a Nucleotide Transformer vocabulary: its first tokens are "
            f"{list(tokens[:4])}, NT's are {list(NT_SPECIALS)}"
        )
    have = set(tokens)
    from itertools import product

    kmers = ["".join(p) for p in product("ACGT", repeat=K)]
    missing = [t for t in kmers if t not in have]
    letters = [b for b in _LETTERS if b not in have]
    if missing or letters:
        raise CheckpointError(
            f"{file}: not a Nucleotide Transformer vocabulary: {len(missing)} of the 4096 6-mers "
            f"missing{f' (e.g. {missing[:3]})' if missing else ''}"
            f"{f', single bases {letters} missing' if letters else ''}"
        )


class NTTokenizer(tokenize.DNATokenizer):
    """Non-overlapping 6-mers from the left, single-base fallback, `<cls>` first; NT's vocab.txt ids.

    `tokens` is vocab.txt in id order (saved back as it was); ids at or past `rows` (the embedding rows,
    config.json's `vocab_size`: v1 and AgroNT list `<eos>` and `<bos>` past them) are left out of
    `vocab`, as the tokenizer never gives them.
    """

    tokenizer_class = "EsmTokenizer"
    #: chunks of a long sequence start on multiples of 6 bases (the core's chunking reads it)
    chunk_grid = K

    def __init__(
        self,
        tokens: Sequence[str],
        *,
        max_length: int,
        rows: int | None = None,
        normalization: NormalizationPolicy | None = None,
        eos_token: str | None = None,
        specials: dict[str, str | None] | None = None,
    ) -> None:
        self.tokens = list(tokens)
        names = {**ESM_DEFAULTS, "eos_token": eos_token, **(specials or {})}
        limit = len(self.tokens) if rows is None else min(rows, len(self.tokens))
        vocab = {t: i for i, t in enumerate(self.tokens) if i < limit and t}
        eos = names["eos_token"]
        super().__init__(
            vocab, max_length=max_length, normalization=normalization,
            pad_token=names["pad_token"] or "<pad>", unk_token=names["unk_token"] or "<unk>",
            cls_token=names["cls_token"] or "<cls>", sep_token=eos,
            mask_token=names["mask_token"] if names["mask_token"] in vocab else None,
            prefix=(names["cls_token"] or "<cls>",), suffix=(eos,) if eos else (),
        )
        self.eos_token = eos
        self.k = K
        kmer = np.full(4**K, -1, dtype=np.int64)
        from itertools import product

        for letters in product("ACGT", repeat=K):
            idx = int(np.dot(_CODE8[np.frombuffer("".join(letters).encode(), np.uint8)], _POWERS))
            kmer[idx] = self.vocab.get("".join(letters), -1)
        if (kmer < 0).any():
            raise CheckpointError(f"the vocabulary lacks {int((kmer < 0).sum())} of the 4096 6-mers")
        # one lookup table: a 6-mer's base-4 index i -> lut[i]; a byte b read alone -> lut[4096 + b]
        single = np.full(256, -1, dtype=np.int64)
        for tok, i in self.vocab.items():
            if len(tok) == 1 and tok.isascii():
                single[ord(tok)] = i
        self._single = single
        self._lut = np.concatenate((kmer, np.where(single >= 0, single, self.unk_token_id)))

    @classmethod
    def from_pretrained(
        cls, path: str | Path, *, max_length: int, rows: int | None = None,
        normalization: NormalizationPolicy | None = None, vocab_file: str = "vocab.txt",
    ) -> NTTokenizer:
        """vocab.txt and the special tokens of an NT checkpoint directory, checked to be NT's."""
        p = Path(path)
        f = p / vocab_file
        if not f.is_file():
            present = sorted(x.name for x in p.iterdir()) if p.is_dir() else []
            raise CheckpointError(f"{p}: no {vocab_file} (the NT vocabulary); found {present or 'nothing'}")
        tokens = read_vocab_lines(f)
        check_nt_vocab(tokens, f)
        specials = tokenize.read_esm_special_tokens(p)
        for role in ("unk_token", "pad_token", "cls_token", "eos_token"):
            name = specials[role]
            if name is not None and name not in tokens[: rows or len(tokens)]:
                where = "the model's embedding rows" if name in tokens else "the vocabulary"
                raise CheckpointError(f"{p / 'tokenizer_config.json'}: the {role} {name!r} is not in {where}")
        return cls(tokens, max_length=max_length, rows=rows, normalization=normalization,
                   eos_token=specials["eos_token"], specials=specials)

    # ------------------------------------------------------------------ encoding
    def _starts(self, seq: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(start base, lookup index) of every token of a normalised sequence, in order."""
        arr = np.frombuffer(seq, dtype=np.uint8)
        n = len(arr)
        codes = _CODE8[arr]
        other = np.flatnonzero(codes == 4)
        if not len(other):  # one run of A/C/G/T: the usual case
            m = n // K
            starts = np.concatenate((np.arange(0, m * K, K, dtype=np.int64), np.arange(m * K, n)))
            idx = np.empty(len(starts), dtype=np.int64)
            idx[:m] = codes[: m * K].reshape(m, K).astype(np.int64) @ _POWERS
            idx[m:] = arr[m * K:].astype(np.int64) + 4**K
            return starts, idx
        bounds = np.concatenate(([-1], other, [n]))
        run0 = bounds[:-1] + 1
        m, t = np.divmod(bounds[1:] - run0, K)
        cm, ct = np.cumsum(m), np.cumsum(t)
        kpos = np.repeat(run0 - K * (cm - m), m) + K * np.arange(cm[-1])
        spos = np.repeat(run0 + K * m - (ct - t), t) + np.arange(ct[-1])
        kidx = codes[kpos].astype(np.int64)
        for j in range(1, K):
            kidx <<= 2
            kidx |= codes[kpos + j]
        unk = self._single[arr[other]] < 0  # no token of its own: stretches are one <unk>
        first = np.ones(len(other), dtype=bool)
        first[1:] = ~(unk[1:] & unk[:-1] & (other[1:] == other[:-1] + 1))
        other = other[first]
        at = np.empty(n, dtype=np.int64)  # the lookup index at each token's start
        at[kpos] = kidx
        at[spos] = arr[spos].astype(np.int64) + 4**K
        at[other] = arr[other].astype(np.int64) + 4**K
        keep = np.zeros(n, dtype=bool)
        keep[kpos] = True
        keep[spos] = True
        keep[other] = True
        starts = np.flatnonzero(keep)
        return starts, at[starts]

    def encode_body(self, seq: bytes) -> np.ndarray:
        if not seq:
            return np.empty(0, dtype=np.int64)
        return self._lut[self._starts(seq)[1]]

    def body_spans(self, seq: bytes, ids: np.ndarray) -> np.ndarray:
        """[start, end) bases of each body token: tokens tile the sequence, an `<unk>` its whole stretch."""
        starts = self._starts(seq)[0] if seq else np.empty(0, dtype=np.int64)
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
        seqs = list(seqs)
        if not seqs:
            return None
        norms = []
        for i, s in enumerate(seqs):
            try:
                norms.append(self.normalize(s))
            except InputError as exc:
                if not named:
                    raise
                raise tokenize.base.name_sequence(exc, i) from None
        # one pass: sequences joined by an N, a one-letter token that ends every A/C/G/T run and every
        # <unk> stretch, so no token crosses a seam; the seams' own tokens are then dropped
        lengths = np.fromiter(map(len, norms), dtype=np.int64, count=len(norms))
        starts, idx = self._starts(b"N".join(norms))
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
        """Unknown from the length alone (an N breaks a 6-mer into single bases)."""
        return None

    def min_tokens(self, n_bases: int) -> int:
        """Each token spells at most six bases."""
        return -(-n_bases // K) + self.num_special_tokens

    def save_pretrained(self, path: str | Path) -> None:
        """vocab.txt (every line of the original, no final newline), tokenizer_config.json and
        special_tokens_map.json as transformers writes an NT tokenizer's."""
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        (p / "vocab.txt").write_text("\n".join(self.tokens), encoding="utf-8")
        write_tokenizer_files(p, max_length=self.max_length, eos_token=self.eos_token)


def write_tokenizer_files(path: Path, *, max_length: int, eos_token: str | None = None) -> None:
    """tokenizer_config.json and special_tokens_map.json of the hub's NT repositories."""
    config = {"clean_up_tokenization_spaces": True, "eos_token": eos_token,
              "model_max_length": max_length, "tokenizer_class": "EsmTokenizer"}
    (path / "tokenizer_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    roles = {"cls_token": "<cls>", "mask_token": "<mask>", "pad_token": "<pad>", "unk_token": "<unk>"}
    (path / "special_tokens_map.json").write_text(json.dumps(roles, indent=2, sort_keys=True) + "\n")


def nt_vocab_tokens(version: int) -> list[str]:
    """vocab.txt of NT v1 / AgroNT (`version` 1: 4 specials, 6-mers, A T C G N, `<eos>` `<bos>`) or
    v2 (`version` 2: 6 specials, 6-mers, A T C G N): 4,107 lines either way, 6-mers in product("ATCG")."""
    from itertools import product

    kmers = ["".join(p) for p in product("ATCG", repeat=K)]
    if version == 1:
        return [*NT_SPECIALS, *kmers, *_LETTERS, "<eos>", "<bos>"]
    return [*NT_SPECIALS, "<eos>", "<bos>", *kmers, *_LETTERS]
