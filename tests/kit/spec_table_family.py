"""A third-party stock family written as nothing but a spec table and one `StockFamily`."""

from __future__ import annotations

from dnallm_zoo import ArchitectureSpec, Capabilities, ModelSpec, TokenizerSpec, WeightsSource
from dnallm_zoo.kit import StockFamily, kmer_capabilities

CITATION = "@misc{kitdemo, title = {A stock BERT on DNA}, year = {2025}}"
KMER = TokenizerSpec(kind="kmer", k=4, max_tokens=64)
BPE = TokenizerSpec(kind="bpe", vocab_file="tokenizer.json", max_tokens=64)


def _spec(model_id: str, tokenizer: TokenizerSpec, capabilities: Capabilities, **kw: object) -> ModelSpec:
    return ModelSpec(
        id=model_id, family="kitdemo", description="a stock BERT trained on DNA", license="MIT",
        citation=CITATION, tokenizer=tokenizer, weights=WeightsSource(repo_id=f"someone/{model_id}"),
        architecture=ArchitectureSpec(kind="bert", hidden_size=64, num_layers=2, num_heads=2, max_tokens=64),
        capabilities=capabilities, **kw,  # type: ignore[arg-type]
    )


SPECS = (
    _spec("kitdemo-4mer", KMER, kmer_capabilities(KMER), task="masked-lm"),
    _spec("kitdemo-4mer-promoter", KMER, kmer_capabilities(KMER), task="sequence-classification",
          labels=("no", "yes"), problem_type="single-label"),
    _spec("kitdemo-bpe", BPE, Capabilities(max_bases=150, chunk_overlap=8), task="masked-lm"),
)
family = StockFamily("kitdemo", SPECS)
