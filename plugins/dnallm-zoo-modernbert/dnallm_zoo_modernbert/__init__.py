"""ModernBERT DNA encoders: a spec table on the kit's transformers-native ModernBERT (no torch here)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dnallm_zoo import ArchitectureSpec, Capabilities, ModelSpec, TokenizerSpec, WeightsSource, kit

__all__ = ["SPECS", "family"]
_SHAPE = ArchitectureSpec(kind="modernbert", hidden_size=768, num_layers=22, num_heads=12,
                          intermediate_size=1152, max_tokens=8192)
_GENA = ("@misc{moderngena2026, title = {Back to {BERT} in 2026: {ModernGENA} as a Strong, Efficient "
         "Baseline for {DNA} Foundation Models}, year = {2026}, url = {https://openreview.net/forum?id=8QsSDzYK97}}")
_MOURAD = ("@misc{mourad2025llmgenomics, title = {Training on large language models for genomics}, author = "
           "{Mourad, Raphael}, year = {2025}, url = {https://github.com/raphaelmourad/LLM-for-genomics-training}}")


def _spec(model_id: str, repo: str, license: str, citation: str, bases: int) -> ModelSpec:
    return ModelSpec(
        id=model_id, family="modernbert-dna", aliases=(repo,), license=license, citation=citation,
        description=f"{repo}: transformers' ModernBERT over a DNA BPE; shape NOT read: the one listed is "
        "ModernBertConfig's default, the checkpoint's config.json builds the network",
        task="masked-lm", tokenizer=TokenizerSpec(kind="bpe", vocab_file="tokenizer.json", max_tokens=512),
        architecture=_SHAPE, weights=WeightsSource(repo_id=repo),
        capabilities=Capabilities(max_bases=bases, chunk_overlap=64),
    )


_M = "RaphaelMourad/ModernBERT-DNA-v1-37M-"
SPECS = tuple(_spec(*row) for row in (  # id, hub repository, license, citation, bases per chunk
    ("moderngena-base", "AIRI-Institute/moderngena-base", "MIT", _GENA, 4000),
    ("moderngena-large", "AIRI-Institute/moderngena-large", "MIT", _GENA, 4000),
    ("modernbert-dna-37m-hg38", _M + "hg38", "Apache-2.0", _MOURAD, 1800),
    ("modernbert-dna-37m-athaliana", _M + "Athaliana", "NOASSERTION", _MOURAD, 1800),
    ("modernbert-dna-37m-virus", "RaphaelMourad/ModernBert-DNA-v1-37M-virus", "NOASSERTION", _MOURAD, 1800),
))


class _Family(kit.StockFamily):
    def match(self, path: str | Path, config: Mapping[str, Any]) -> str | None:
        """The kit's claim, then the model its config's `_name_or_path` names, if one of ours."""
        found, name = super().match(path, config), str(config.get("_name_or_path", ""))
        return next((s.id for s in self.specs if found and name in s.aliases), found)


#: entry point ``modernbert_dna = "dnallm_zoo_modernbert:family"``; both publishers' specials are ids 0-4
family = _Family("modernbert-dna", SPECS, architecture="modernbert",
                 specials=("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"))
