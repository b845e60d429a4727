"""The 30 Plant DNABERT specs (3 base models, 27 fine-tuned classifiers), generated from two tables.

No torch here: the encoder is named as a "module:Class" string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dnallm_zoo import ArchitectureSpec, Capabilities, ModelSpec, TokenizerSpec, WeightsSource

__all__ = ["ENCODER", "FAMILY", "FLAVOURS", "TASKS", "Flavour", "Task", "all_specs"]

FAMILY = "plant-dnabert"
ENCODER = "dnallm_zoo_plant_dnabert.encoder:PlantDNABERTEncoder"
LICENSE = "CC-BY-NC-SA-4.0"
PAPER_URL = "https://doi.org/10.1016/j.molp.2024.12.006"
CITATION = """@article{liu2025pdllms,
  title   = {{PDLLMs}: A group of tailored {DNA} large language models for analyzing plant genomes},
  author  = {Liu, G. and Chen, L. and Wu, Y. and Han, Y. and Bao, Y. and Zhang, T.},
  journal = {Molecular Plant},
  year    = {2025},
  doi     = {10.1016/j.molp.2024.12.006},
  url     = {https://doi.org/10.1016/j.molp.2024.12.006}
}"""
MAX_TOKENS = 512  # learned absolute positions


@dataclass(frozen=True)
class Flavour:
    """One of the three tokenizers, with what follows from it."""

    key: str  # id part: plant-dnabert-<key>
    hub: str  # hub repo part: zhangtaolab/plant-dnabert-<hub>
    kind: Literal["bpe", "greedy-kmer", "char"]
    k: int | None
    vocab_file: str
    vocab_size: int
    max_bases: int
    note: str


FLAVOURS: tuple[Flavour, ...] = (
    # BPE: the core re-splits a chunk that tokenizes past 512 tokens; 2000 bases is ~4 bases a
    # token, a conservative guess for an 8000-entry DNA BPE vocabulary (tokens are mostly longer).
    Flavour("bpe", "BPE", "bpe", None, "tokenizer.json", 8005, 2000,
            "byte-pair encoding from tokenizer.json (8000 pieces, specials at the end)"),
    # 6-mer: 511 body tokens after <cls>. 3000 A/C/G/T bases are 500 6-mers, which leaves 11
    # tokens for the extra single bases that Ns cost (each N breaks a run: up to 6 more tokens).
    # A chunk with more Ns than that still fits: the core re-splits it.
    Flavour("6mer", "6mer", "greedy-kmer", 6, "vocab.txt", 4107, 3000,
            "non-overlapping 6-mers with single-base fallback (ESM-style vocab.txt)"),
    # single base: <cls> + one token a base, no end token: 511 bases.
    Flavour("singlebase", "singlebase", "char", None, "vocab.txt", 11, MAX_TOKENS - 1,
            "one token a base (ESM-style vocab.txt)"),
)


@dataclass(frozen=True)
class Task:
    """One of the nine fine-tuning tasks, as DNALLM's model_info.yaml lists them."""

    hub: str  # hub repo suffix, e.g. "open_chromatin"
    kind: Literal["binary", "multiclass", "regression"]  # DNALLM's task_type
    labels: tuple[str, ...]
    what: str

    @property
    def key(self) -> str:
        return self.hub.lower()

    @property
    def dnallm(self) -> str:
        """The task part of DNALLM's model name ("open chromatin")."""
        return self.hub.replace("_", " ")

    @property
    def problem_type(self) -> Literal["single-label", "regression"]:
        return "regression" if self.kind == "regression" else "single-label"


TASKS: tuple[Task, ...] = (
    Task("promoter", "binary", ("Not promoter", "Core promoter"),
         "whether a sequence is a core promoter"),
    Task("conservation", "binary", ("Not conserved", "Conserved"),
         "whether a sequence is conserved"),
    Task("lncRNAs", "binary", ("Not lncRNA", "lncRNA"), "whether a sequence is a lncRNA"),
    Task("H3K27ac", "binary", ("Not H3K27ac", "H3K27ac"),
         "whether a sequence is enriched with H3K27ac"),
    Task("H3K4me3", "binary", ("Not H3K4me3", "H3K4me3"),
         "whether a sequence is enriched with H3K4me3"),
    Task("H3K27me3", "binary", ("Not H3K27me3", "H3K27me3"),
         "whether a sequence is enriched with H3K27me3"),
    Task("open_chromatin", "multiclass", ("Not open", "Full open", "Partial open"),
         "whether a sequence is in fully, partially or not open chromatin"),
    Task("promoter_strength_leaf", "regression", ("promoter strength in tobacco leaves",),
         "promoter strength in tobacco leaves"),
    Task("promoter_strength_protoplast", "regression", ("promoter strength in maize protoplasts",),
         "promoter strength in maize protoplasts"),
)


def _common(flavour: Flavour, repo: str) -> dict[str, object]:
    return {
        "family": FAMILY,
        "license": LICENSE,
        "citation": CITATION,
        "paper_url": PAPER_URL,
        "origin_url": f"https://huggingface.co/{repo}",
        "tokenizer": TokenizerSpec(
            kind=flavour.kind, k=flavour.k, vocab_file=flavour.vocab_file, max_tokens=MAX_TOKENS,
        ),
        "architecture": ArchitectureSpec(
            kind="bert", hidden_size=768, num_layers=12, num_heads=12, intermediate_size=3072,
            vocab_size=flavour.vocab_size, max_tokens=MAX_TOKENS,
        ),
        "weights": WeightsSource(
            repo_id=repo,
            files=("config.json", "model.safetensors", "pytorch_model.bin", flavour.vocab_file,
                   "tokenizer_config.json", "special_tokens_map.json"),
        ),
        "capabilities": Capabilities(
            max_bases=flavour.max_bases,
        ),
    }


def base_spec(flavour: Flavour) -> ModelSpec:
    """The pre-trained masked-LM of one tokenizer flavour."""
    repo = f"zhangtaolab/plant-dnabert-{flavour.hub}"
    aliases = [repo, f"Plant DNABERT {flavour.hub}"]
    if flavour.key == "bpe":
        aliases.append("Plant DNABERT")  # DNALLM's name for the pre-trained model
    return ModelSpec(
        id=f"{FAMILY}-{flavour.key}",
        aliases=tuple(aliases),
        description=f"Plant DNABERT (Molecular Plant 2025), BERT-base masked LM pre-trained on plant "
        f"genomes; tokenizer: {flavour.note}",
        task="masked-lm",
        **_common(flavour, repo),
    )


def task_spec(flavour: Flavour, task: Task) -> ModelSpec:
    """A fine-tuned sequence classifier (BERT pooler + linear head)."""
    repo = f"zhangtaolab/plant-dnabert-{flavour.hub}-{task.hub}"
    labels = " / ".join(task.labels)
    return ModelSpec(
        id=f"{FAMILY}-{flavour.key}-{task.key}",
        aliases=(repo, f"Plant DNABERT {flavour.hub} {task.dnallm}"),
        description=f"Plant DNABERT ({flavour.hub}) fine-tuned to predict {task.what} in plants "
        f"({task.kind}: {labels})",
        task="sequence-classification",
        labels=task.labels,
        problem_type=task.problem_type,
        **_common(flavour, repo),
    )


def all_specs() -> list[ModelSpec]:
    """Base models first, then the classifiers, flavour by flavour."""
    specs = [base_spec(f) for f in FLAVOURS]
    specs += [task_spec(f, t) for f in FLAVOURS for t in TASKS]
    return specs
