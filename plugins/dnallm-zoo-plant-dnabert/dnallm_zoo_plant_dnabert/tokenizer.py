"""Plant DNABERT's ESM-style tokenizers (6-mer and single-base): the core's `EsmKmerTokenizer` on its files.

The originals go through `transformers.EsmTokenizer`, whose longest-match trie on a k-mer vocabulary
gives non-overlapping k-mers from the left with single-base fallback (`tokenize.EsmKmerTokenizer`,
shared with the Nucleotide Transformer); this module reads and writes Plant DNABERT's files.
"""

from __future__ import annotations

from pathlib import Path

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
write_esm_tokenizer_config = tokenize.write_esm_tokenizer_config


class GreedyKmerTokenizer(tokenize.EsmKmerTokenizer):
    """Non-overlapping k-mers left to right with single-base fallback; k=1 is one token a base.

    `<cls>` first and `<eos>` last unless the checkpoint sets no eos (Plant DNABERT sets none); saved
    as transformers saves an `EsmTokenizer` (the core's `save_pretrained`).
    """

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
