"""Capabilities that follow from a k-mer tokenizer's k, stride and token limit (no torch)."""

from __future__ import annotations

from typing import Any

from .._spec import Capabilities, TokenizerSpec

__all__ = ["kmer_capabilities", "kmer_max_bases"]


def kmer_max_bases(tokenizer: TokenizerSpec, *, specials: int = 2) -> int:
    """The most bases whose k-mer windows (every `stride` bases) fit in `max_tokens` with `specials`."""
    if tokenizer.k is None:
        raise ValueError(f"a {tokenizer.kind!r} tokenizer without k has no k-mer windows")
    return (tokenizer.max_tokens - specials - 1) * tokenizer.stride + tokenizer.k


def kmer_capabilities(tokenizer: TokenizerSpec, **overrides: Any) -> Capabilities:
    """Capabilities whose chunks hold `max_tokens` tokens and share k - stride bases.

    Chunk starts then stay on the sequence's window grid, so the chunks' windows are exactly the
    sequence's windows, none lost and none twice. `overrides` sets any other field (devices, dtypes, ...).
    """
    max_bases = kmer_max_bases(tokenizer)  # refuses a tokenizer without k
    assert tokenizer.k is not None
    fields: dict[str, Any] = {"max_bases": max_bases, "chunk_overlap": tokenizer.k - tokenizer.stride}
    fields.update(overrides)
    return Capabilities(**fields)
