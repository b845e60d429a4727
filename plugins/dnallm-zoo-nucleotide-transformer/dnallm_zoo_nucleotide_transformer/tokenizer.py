"""The Nucleotide Transformer tokenizer: transformers' `EsmTokenizer` on the NT vocab.txt, in numpy.

On the NT vocabulary `EsmTokenizer`'s longest-match trie gives non-overlapping 6-mers from the left
with single-base fallback (A, T, C, G, N have tokens of their own) and one `<unk>` for a stretch of
characters with no token: the core's `tokenize.EsmKmerTokenizer` (shared with Plant DNABERT), here
on NT's files. `<cls>` goes first; an end token only where the files name one (the NT files set
`eos_token` to null: none).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from dnallm_zoo import CheckpointError, NormalizationPolicy, tokenize

__all__ = ["NT_SPECIALS", "K", "NTTokenizer", "check_nt_vocab", "read_vocab_lines"]

K = 6
#: the first ids of every NT vocabulary (v1, v2 and AgroNT alike)
NT_SPECIALS = ("<unk>", "<pad>", "<mask>", "<cls>")
_LETTERS = "ATCGN"
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


class NTTokenizer(tokenize.EsmKmerTokenizer):
    """Non-overlapping 6-mers from the left, single-base fallback, `<cls>` first; NT's vocab.txt ids.

    `tokens` is vocab.txt in id order (saved back as it was); ids at or past `rows` (the embedding rows,
    config.json's `vocab_size`: v1 and AgroNT list `<eos>` and `<bos>` past them) are left out of
    `vocab`, as the tokenizer never gives them.
    """

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
        super().__init__(
            vocab, k=K, max_length=max_length, normalization=normalization,
            pad_token=names["pad_token"] or "<pad>", unk_token=names["unk_token"] or "<unk>",
            cls_token=names["cls_token"] or "<cls>", eos_token=names["eos_token"],
            mask_token=names["mask_token"] if names["mask_token"] in vocab else None,
        )

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
