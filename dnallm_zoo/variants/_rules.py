"""Which tokens an SNV touches, per tokenizer kind: one formulation through base<->token offsets.

The ref and alt windows are tokenized; the tokens of the ref window whose bases
(`dnallm_zoo.tokenize.offsets.body_spans`) cover the variant are the masked ones. The alt window
must tokenize to as many tokens as the ref window, differing only at those tokens (else the SNV
re-segmented the window: null llr). The llr is the sum, over the masked tokens, of
log P(alt window's token there) - log P(ref window's token there). By rule:

- single_base: the one token of the variant's base: log P(alt) - log P(ref);
- overlapping_kmer (DNABERT's k-mers, ProkBERT's LCA windows at any shift): every k-mer covering the
  variant, each with its alt and ref k-mer;
- nonoverlapping_kmer (k-mers with single-base fallback): the one token holding the variant, a
  k-mer or a fallback base;
- bpe: the one piece holding the variant, when the alt window differs from the ref window in that
  piece alone (same token count).

A rule that expects one token (all but overlapping_kmer) and finds several is a status, not a score.
K-mer tokenizers (`KmerTokenizer`: DNABERT, LCA) are local, so only the covering k-mers of the alt
window are tokenized: the same ids, without a pass over the whole alt window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ..tokenize.kmer_tokenizer import KmerTokenizer
from ..tokenize.offsets import body_spans

if TYPE_CHECKING:
    from .._spec import ModelSpec
    from ..tokenize.base import DNATokenizer
    from ._model import ScoringModel

__all__ = ["RULES", "Site", "resolve_rule", "rule_of", "snv_site"]

RULES = ("single_base", "overlapping_kmer", "nonoverlapping_kmer", "bpe")
OK = "ok"


@dataclass(frozen=True)
class Site:
    """An SNV in one window: the ref window's ids, the masked positions and the ids read there."""

    ids: np.ndarray  # the ref window's token ids, special tokens included
    positions: np.ndarray  # indices into `ids` of the tokens covering the variant
    ref_ids: np.ndarray
    alt_ids: np.ndarray


def resolve_rule(encoder: ScoringModel) -> str:
    """The encoder's `variant_rule`, else the one its tokenizer kind implies."""
    return _checked(encoder.variant_rule_for(encoder.spec), encoder.spec, type(encoder).__name__)


def rule_of(spec: ModelSpec) -> str:
    """`resolve_rule` before the model loads: its registered encoder class's rule (imported, not
    built), else the one the tokenizer kind implies."""
    from .._registry import get_registry
    from ..errors import UnknownModelError

    try:
        cls = get_registry().resolve(f"{spec.plugin}:{spec.id}" if spec.plugin else spec.id).encoder_class()
    except UnknownModelError:  # a hub repository no plugin registers: the kind decides
        return _checked(None, spec, spec.id)
    return _checked(cls.variant_rule_for(spec), spec, cls.__name__)


def _checked(rule: str | None, spec: ModelSpec, owner: str) -> str:
    ts = spec.tokenizer
    if rule is None:
        if ts.kind in ("kmer", "lca") and ts.k is not None:
            rule = "single_base" if ts.k == 1 else "overlapping_kmer"
        elif ts.kind == "bpe":
            rule = "bpe"
        elif ts.k == 1:
            rule = "single_base"
        else:
            raise InputError(
                f"{spec.id}: no variant scoring rule for tokenizer kind {ts.kind!r}; its encoder "
                f"class sets `variant_rule` to one of {', '.join(RULES)}"
            )
    if rule not in RULES:
        raise InputError(f"{owner}: variant rule {rule!r}; use one of {', '.join(RULES)}")
    return rule


def snv_site(tokenizer: DNATokenizer, rule: str, window: bytes, offset: int, alt: bytes,
             ids: np.ndarray | None = None, spans: np.ndarray | None = None) -> Site | str:
    """The `Site` of the SNV `alt` at `offset` of the normalised `window`, or why there is none.

    `ids` and `spans` (the window's ids and body spans) may be passed when known.
    """
    if window[offset : offset + 1] == b"N" or alt == b"N":
        return "N allele"
    if ids is None:
        ids = tokenizer.encode_normalized(window)
    lead = len(tokenizer.prefix_ids)
    if isinstance(tokenizer, KmerTokenizer):  # k-mers are local: only the covering ones change
        k, stride = tokenizer.k, tokenizer.stride
        n = len(ids) - lead - len(tokenizer.suffix_ids)
        first, last = max(0, -(-(offset - k + 1) // stride)), min(offset // stride, n - 1)
        if first > last:
            return "not covered by a token"
        if rule != "overlapping_kmer" and last > first:
            return f"{last - first + 1} tokens cover the variant; rule {rule} takes one"
        local = window[first * stride : offset] + alt + window[offset + 1 : last * stride + k]
        cover = np.arange(first + lead, last + lead + 1)
        return Site(ids, cover, ids[cover], tokenizer.encode_normalized(local, add_special_tokens=False))
    if spans is None:
        spans = body_spans(tokenizer, window, ids[lead : len(ids) - len(tokenizer.suffix_ids)])
    cover = np.flatnonzero((spans[:, 0] <= offset) & (spans[:, 1] > offset)) + lead
    if not len(cover):
        return "not covered by a token"
    if rule != "overlapping_kmer" and len(cover) != 1:
        return f"{len(cover)} tokens cover the variant; rule {rule} takes one"
    alt_ids = tokenizer.encode_normalized(window[:offset] + alt + window[offset + 1 :])
    if len(alt_ids) != len(ids):
        return "re-segmented"
    differ = ids != alt_ids
    differ[cover] = False
    if differ.any():  # a token other than those covering the variant changed
        return "re-segmented"
    return Site(ids, cover, ids[cover], alt_ids[cover])
