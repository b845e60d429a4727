"""`PlantDNABERTEncoder`: the core's stock BERT with Plant DNABERT's three tokenizers."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from dnallm_zoo import ModelSpec, NormalizationPolicy, kit, tokenize

from .tokenizer import GreedyKmerTokenizer

__all__ = ["PlantDNABERTEncoder"]

log = logging.getLogger(__name__)
_TOLD: set[tuple[str, int, int]] = set()  # (model, config pad, tokenizer pad) already reported
_GENERIC_LABEL = re.compile(r"^(LABEL_)?\d+$")


class PlantDNABERTEncoder(kit.StockBertEncoder):
    """BertForMaskedLM / BertForSequenceClassification, loaded strictly; BPE, 6-mer or base tokens."""

    @classmethod
    def build_tokenizer(cls, path: Path, spec: ModelSpec, config: dict[str, Any],
                        normalization: NormalizationPolicy) -> tokenize.DNATokenizer:
        """The greedy k-mer tokenizer (6-mer, single base) or the core's BPE; the pad id checked."""
        ts = spec.tokenizer
        tok: tokenize.DNATokenizer
        if ts.kind in ("greedy-kmer", "char"):
            tok = GreedyKmerTokenizer.from_pretrained(
                path, k=ts.k or 1, max_length=ts.max_tokens, normalization=normalization,
                vocab_file=ts.vocab_file,
            )
        else:
            tok = super().build_tokenizer(path, spec, config, normalization)
        _check_pad(spec, config, tok)
        return tok

    @classmethod
    def variant_rule_for(cls, spec: ModelSpec) -> str | None:
        """6-mers with single-base fallback: nonoverlapping_kmer; one base a token: single_base; BPE:
        the core's inference (bpe)."""
        return {"greedy-kmer": "nonoverlapping_kmer", "char": "single_base"}.get(spec.tokenizer.kind)

    def post_load(self) -> None:
        """Compare the label names of config.json's id2label with the spec's."""
        id2label = self.config.get("id2label") or {}
        if self.spec.task != "sequence-classification" or not id2label:
            return
        names = [str(id2label.get(str(i), "")) for i in range(len(id2label))]
        if all(_GENERIC_LABEL.match(n) for n in names):
            return  # LABEL_0, LABEL_1: the checkpoint names nothing, the spec does
        expect = list(self.spec.labels or ())
        if [n.strip().lower() for n in names] != [n.lower() for n in expect]:
            log.warning(
                "%s: config.json names the labels %s, the spec %s; predict() columns are the "
                "checkpoint's classes in index order", self.spec.id, names, expect,
            )


def _check_pad(spec: ModelSpec, config: dict[str, Any], tok: tokenize.DNATokenizer) -> None:
    """The tokenizer's pad id wins over config.json's; say so once per model and pair of ids."""
    cfg_pad = config.get("pad_token_id")
    if cfg_pad is None or int(cfg_pad) == tok.pad_token_id:
        return
    key = (spec.id, int(cfg_pad), tok.pad_token_id)
    if key in _TOLD:
        return
    _TOLD.add(key)
    name = tok.convert_ids_to_tokens([int(cfg_pad)])[0] if 0 <= int(cfg_pad) < len(tok) else "?"
    log.warning(
        "%s: config.json has pad_token_id %d (%s) but the tokenizer pads with %s = %d; "
        "padding uses the tokenizer's id (as the original tokenizer does)",
        spec.id, int(cfg_pad), name, tok.pad_token, tok.pad_token_id,
    )
