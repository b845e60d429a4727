"""Reusable DNA tokenization primitives and HF-compatible tokenizers built on them."""

from __future__ import annotations

from .base import BatchEncoding, DNATokenizer, read_vocab_txt, write_vocab_txt
from .bpe import BPETokenizer
from .esm import ESM_DEFAULT_SPECIALS, read_esm_special_tokens, write_esm_tokenizer_config
from .esm_kmer import EsmKmerTokenizer
from .kmer import KmerTable, base_codes, kmer_ids
from .kmer_tokenizer import KmerTokenizer
from .normalize import normalize

__all__ = [
    "ESM_DEFAULT_SPECIALS",
    "BPETokenizer",
    "BatchEncoding",
    "DNATokenizer",
    "EsmKmerTokenizer",
    "KmerTable",
    "KmerTokenizer",
    "base_codes",
    "kmer_ids",
    "normalize",
    "read_esm_special_tokens",
    "read_vocab_txt",
    "write_esm_tokenizer_config",
    "write_vocab_txt",
]
