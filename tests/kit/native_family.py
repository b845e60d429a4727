"""Transformers-native families written as nothing but a spec table naming the architecture."""

from __future__ import annotations

from dnallm_zoo import ArchitectureSpec, Capabilities, ModelSpec, TokenizerSpec, WeightsSource
from dnallm_zoo.kit import StockFamily

CITATION = "@misc{nativedemo, title = {Transformers-native encoders on DNA}, year = {2026}}"
BPE = TokenizerSpec(kind="bpe", vocab_file="tokenizer.json", max_tokens=64)
#: the architectures the kit builds from transformers' classes, besides stock BERT
KINDS = ("big_bird", "roberta", "esm", "modernbert")


def _spec(kind: str, task: str = "masked-lm", **kw: object) -> ModelSpec:
    suffix = {"masked-lm": "", "sequence-classification": "-cls", "token-classification": "-tok"}[task]
    return ModelSpec(
        id=f"native-{kind.replace('_', '')}{suffix}", family=f"native-{kind}",
        description=f"a tiny {kind} over BPE", license="MIT", citation=CITATION, tokenizer=BPE,
        weights=WeightsSource(repo_id=f"someone/native-{kind}{suffix}"),
        architecture=ArchitectureSpec(kind=kind, hidden_size=32, num_layers=2, num_heads=4, max_tokens=64),
        capabilities=Capabilities(max_bases=150, chunk_overlap=8), task=task, **kw,  # type: ignore[arg-type]
    )


def specs(kind: str) -> tuple[ModelSpec, ...]:
    return (_spec(kind),
            _spec(kind, "sequence-classification", labels=("no", "yes"), problem_type="single-label"),
            _spec(kind, "token-classification", labels=("out", "in", "edge"), problem_type="single-label"))


FAMILIES = {kind: StockFamily(f"native-{kind}", specs(kind)) for kind in KINDS}
