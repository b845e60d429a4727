"""Overlapping (stride 1, DNABERT) and shifted (LCA, ProkBERT) k-mer tokenizers over a vocab.txt."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..spec import NormalizationPolicy
from .base import DNATokenizer, read_vocab_txt, write_vocab_txt
from .kmer import KmerTable, base_codes, kmer_ids

__all__ = ["KmerTokenizer"]


class KmerTokenizer(DNATokenizer):
    """k-mers every `stride` bases, `[CLS] … [SEP]`, ids read from the checkpoint's vocab.txt."""

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
        self.k, self.stride = k, stride
        self.table = KmerTable.from_vocab(self.vocab, k, self.unk_token_id)

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: object) -> KmerTokenizer:
        """Read `vocab.txt` (a file or a directory holding one)."""
        p = Path(path)
        return cls(read_vocab_txt(p / "vocab.txt" if p.is_dir() else p), **kwargs)  # type: ignore[arg-type]

    def encode_body(self, seq: bytes) -> np.ndarray:
        return kmer_ids(base_codes(seq), self.table, self.stride)

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
