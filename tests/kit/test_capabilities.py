"""Capabilities derived from a k-mer tokenizer's k, stride and token limit."""

from __future__ import annotations

import pytest

from dnallm_zoo import TokenizerSpec
from dnallm_zoo.kit import kmer_capabilities, kmer_max_bases
from dnallm_zoo.tokenize import KmerTokenizer


@pytest.mark.parametrize(("k", "stride", "max_tokens"),
                         [(6, 1, 512), (3, 1, 512), (6, 2, 2048), (1, 1, 2048)])
def test_max_bases_fill_max_tokens_exactly(k: int, stride: int, max_tokens: int) -> None:
    ts = TokenizerSpec(kind="lca" if stride > 1 else "kmer", k=k, stride=stride, max_tokens=max_tokens)
    caps = kmer_capabilities(ts)
    assert caps.max_bases == kmer_max_bases(ts) == (max_tokens - 3) * stride + k
    assert caps.chunk_overlap == k - stride
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])}
    tok = KmerTokenizer(vocab, k=k, stride=stride, max_length=max_tokens)
    assert tok.count_tokens(caps.max_bases) == max_tokens
    assert tok.count_tokens(caps.max_bases + stride) == max_tokens + 1


def test_overrides_and_errors() -> None:
    ts = TokenizerSpec(kind="kmer", k=4, max_tokens=64)
    caps = kmer_capabilities(ts, devices=("cpu",), dtypes={"cpu": ("float32",)})
    assert caps.devices == ("cpu",) and caps.max_bases == 65
    with pytest.raises(ValueError, match="without k"):
        kmer_max_bases(TokenizerSpec(kind="bpe", max_tokens=64))
