"""The Nucleotide Transformer family's model table: NT v1, NT v2 and AgroNT (data only: no I/O, no torch).

Where each fact was read is listed in the plugin's README. The network is always built from the
checkpoint's own config.json; the shapes here describe the published checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

from dnallm_zoo import ArchitectureSpec, Capabilities, ModelSpec, TokenizerSpec, WeightsSource

__all__ = ["ENCODER", "FAMILY", "SPECS", "Checkpoint", "chunking"]

FAMILY = "nucleotide-transformer"
ENCODER = "dnallm_zoo_nucleotide_transformer.encoder:NTEncoder"
LICENSE = "CC-BY-NC-SA-4.0"
K = 6

NT_CITATION = """@article{dallatorre2025nucleotide,
  title = {Nucleotide Transformer: building and evaluating robust foundation models for human genomics},
  author = {Dalla-Torre, Hugo and Gonzalez, Liam and Mendoza-Revilla, Javier and Lopez Carranza, Nicolas
            and Grzywaczewski, Adam Henryk and Oteri, Francesco and Dallago, Christian and Trop, Evan
            and de Almeida, Bernardo P. and Sirelkhatim, Hassan and Richard, Guillaume and others},
  journal = {Nature Methods},
  volume = {22},
  pages = {287--297},
  year = {2025},
  doi = {10.1038/s41592-024-02523-z}
}"""
AGRO_CITATION = """@article{mendozarevilla2024foundational,
  title = {A foundational large language model for edible plant genomes},
  author = {Mendoza-Revilla, Javier and Trop, Evan and Gonzalez, Liam and Roller, Ma{\\v{s}}a
            and Dalla-Torre, Hugo and de Almeida, Bernardo P. and Richard, Guillaume and Caton, Jonathan
            and Lopez Carranza, Nicolas and Skwark, Marcin and others},
  journal = {Communications Biology},
  volume = {7},
  number = {1},
  pages = {835},
  year = {2024},
  doi = {10.1038/s42003-024-06465-2}
}"""

_TOKENIZER_FILES = ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json")
# safetensors only where the repository has them (v1 and v2 do; the 2.5B ones may be sharded): the
# pytorch_model.bin beside them is never fetched. The v2 repositories also hold the remote code
# (esm_config.py, modeling_esm.py): never fetched either.
HUB_FILES = ("config.json", "model.safetensors", "model-*.safetensors", "model.safetensors.index.json",
             *_TOKENIZER_FILES)
# AgroNT publishes pytorch_model.bin only (read with torch.load(weights_only=True))
AGRO_FILES = ("config.json", "pytorch_model.bin", *_TOKENIZER_FILES)


def chunking(max_tokens: int) -> Capabilities:
    """Chunks of (max_tokens - 1) 6-mers, sharing 100 6-mers: every chunk starts on a multiple of 6."""
    max_bases = (max_tokens - 1) * K  # <cls> + one 6-mer per token
    return Capabilities(max_bases=max_bases, chunk_overlap=100 * K)


@dataclass(frozen=True)
class Checkpoint:
    """One published checkpoint: its id, hub repository and shape."""

    id: str
    repo: str
    version: int  # 1 (learned positions), 2 (rotary, SwiGLU), 3 for AgroNT (v1's design)
    hidden: int
    layers: int
    heads: int
    intermediate: int
    parameters: int | None  # every tensor of the files, where the shape was read (see the README)
    about: str
    revision: str | None = None
    sha256: tuple[tuple[str, str], ...] = ()

    @property
    def max_tokens(self) -> int:
        return {1: 1000, 2: 2048, 3: 1024}[self.version]

    @property
    def vocab_size(self) -> int:
        return 4107 if self.version == 2 else 4105


CHECKPOINTS = (
    Checkpoint("nt-v1-500m-human-ref", "InstaDeepAI/nucleotide-transformer-500m-human-ref", 1,
               1280, 24, 20, 5120, 485_699_306, "NT v1, 500M parameters, pre-trained on the human reference "
               "genome (GRCh38)"),
    Checkpoint("nt-v1-500m-1000g", "InstaDeepAI/nucleotide-transformer-500m-1000g", 1,
               1280, 24, 20, 5120, 485_699_306, "NT v1, 500M parameters, pre-trained on 3,202 human "
               "genomes of the 1000 Genomes Project"),
    Checkpoint("nt-v1-2.5b-1000g", "InstaDeepAI/nucleotide-transformer-2.5b-1000g", 1,
               2560, 32, 20, 10240, None, "NT v1, 2.5B parameters, pre-trained on 3,202 human genomes "
               "of the 1000 Genomes Project"),
    Checkpoint("nt-v1-2.5b-multi-species", "InstaDeepAI/nucleotide-transformer-2.5b-multi-species", 1,
               2560, 32, 20, 10240, None, "NT v1, 2.5B parameters, pre-trained on 850 genomes of many "
               "species"),
    Checkpoint("nt-v2-50m-multi-species", "InstaDeepAI/nucleotide-transformer-v2-50m-multi-species", 2,
               512, 12, 16, 2048, 55_905_164, "NT v2, 50M parameters (rotary positions, SwiGLU without "
               "biases), pre-trained on 850 genomes", revision="81b29e5786726d891dbf929404ef20adca5b36f1"),
    Checkpoint("nt-v2-100m-multi-species", "InstaDeepAI/nucleotide-transformer-v2-100m-multi-species", 2,
               512, 22, 16, 2048, 97_889_484, "NT v2, 100M parameters (rotary positions, SwiGLU without "
               "biases), pre-trained on 850 genomes"),
    Checkpoint("nt-v2-250m-multi-species", "InstaDeepAI/nucleotide-transformer-v2-250m-multi-species", 2,
               768, 24, 16, 3072, None, "NT v2, 250M parameters (rotary positions, SwiGLU without "
               "biases), pre-trained on 850 genomes"),
    Checkpoint("nt-v2-500m-multi-species", "InstaDeepAI/nucleotide-transformer-v2-500m-multi-species", 2,
               1024, 29, 16, 4096, None, "NT v2, 500M parameters (rotary positions, SwiGLU without "
               "biases), pre-trained on 850 genomes"),
    Checkpoint("agront-1b", "InstaDeepAI/agro-nucleotide-transformer-1b", 3,
               1500, 40, 20, 5120, 991_261_206, "AgroNT, 1B parameters (NT v1's design), pre-trained on 48 "
               "plant genomes", revision="b0e1ea1f53a2bf5bb29f8eab7a7e553bf06c1ab1",
               sha256=(
                   ("config.json", "4063f8250f32d922611d8b36f0def1bb53b7ae129d6439c50c8b6c340e8eb0bd"),
                   ("pytorch_model.bin", "eff67add0325047da01c1e7022d05c0b6cbe1b5cc5580d6e9ccca19ace8eb6e8"),
                   ("special_tokens_map.json",
                    "d6dc30bf018166daab248b0abf7efda6fd1b1e0a2d1bee5b31b23db2ebdaee77"),
                   ("tokenizer_config.json",
                    "882fac59d6209cfb4e11f5e933195a4b117f8efb6c9aa30fea8ded53ea3f9bdd"),
                   ("vocab.txt", "f1b544e27897936b50bbd925850fa8a08b421c33bb9c26e3711c140c061d0d4c"),
               )),
)


def _spec(c: Checkpoint) -> ModelSpec:
    tokenizer = TokenizerSpec(kind="greedy-kmer", k=K, max_tokens=c.max_tokens)
    agro = c.version == 3
    kind = "esm-rotary-swiglu" if c.version == 2 else "esm"
    return ModelSpec(
        id=c.id,
        family=FAMILY,
        aliases=(c.repo,),
        description=f"{c.about}; non-overlapping 6-mers, <cls> first, {c.max_tokens} tokens"
        + ("; native, no remote code" if c.version == 2 else "; transformers' ESM"),
        license=LICENSE,
        citation=AGRO_CITATION if agro else NT_CITATION,
        paper_url="https://doi.org/10.1038/s42003-024-06465-2" if agro
        else "https://doi.org/10.1038/s41592-024-02523-z",
        origin_url="https://github.com/instadeepai/nucleotide-transformer",
        task="masked-lm",
        tokenizer=tokenizer,
        architecture=ArchitectureSpec(
            kind=kind, hidden_size=c.hidden, num_layers=c.layers, num_heads=c.heads,
            intermediate_size=c.intermediate, vocab_size=c.vocab_size, max_tokens=c.max_tokens,
            parameters=c.parameters,
        ),
        weights=WeightsSource(repo_id=c.repo, revision=c.revision, files=AGRO_FILES if agro else HUB_FILES,
                              sha256=dict(c.sha256)),
        capabilities=chunking(c.max_tokens),
    )


SPECS: tuple[ModelSpec, ...] = tuple(_spec(c) for c in CHECKPOINTS)
BY_ID = {c.id: c for c in CHECKPOINTS}
