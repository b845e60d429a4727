"""The ProkBERT model table: one spec per released base model (data only, no I/O, no torch)."""

from __future__ import annotations

from dataclasses import dataclass

from dnallm_zoo import ArchitectureSpec, ModelSpec, NormalizationPolicy, TokenizerSpec, WeightsSource, kit

__all__ = [
    "ENCODER",
    "FAMILY",
    "MODELS",
    "ORIGINAL_NORMALIZATION",
    "SPECS",
    "ProkBertModelInfo",
    "prokbert_spec",
]

FAMILY = "prokbert"
ENCODER = "dnallm_zoo_prokbert.encoder:ProkBertEncoder"

# The original LCATokenizer reads the text as it is: it neither upper-cases nor maps U to T, so
# lower-case letters and U make [UNK] windows. IUPAC codes become N under the zoo's default policy:
# both are [UNK] windows in the original too, so `iupac` changes no id. What no policy reproduces:
# characters that are no nucleotide letter at all (X, '-', '*', digits, whitespace) are an
# InvalidSequenceError in the zoo, where the original silently makes [UNK] windows of them.
ORIGINAL_NORMALIZATION = NormalizationPolicy(uppercase=False, u_to_t=False, iupac="unk")

CITATION = """@article{ligeti2024prokbert,
  author = {Ligeti, Bal{\\'a}zs and Szepesi-Nagy, Istv{\\'a}n and Bodn{\\'a}r, Babett and
            Ligeti-Nagy, No{\\'e}mi and Juh{\\'a}sz, J{\\'a}nos},
  title = {{ProkBERT} family: genomic language models for microbiome applications},
  journal = {Frontiers in Microbiology},
  volume = {14},
  pages = {1331233},
  year = {2024},
  doi = {10.3389/fmicb.2023.1331233},
  issn = {1664-302X}
}"""
PAPER_URL = "https://doi.org/10.3389/fmicb.2023.1331233"
ORIGIN_URL = "https://github.com/nbrg-ppcu/prokbert"
# The weights' licence as the hub model cards state it: checked on the cards of prokbert-mini and
# prokbert-mini-long; mini-c's card could not be checked here and is taken to match its siblings.
# The code of the original repository (nbrg-ppcu/prokbert) is MIT; the zoo runs none of it.
LICENSE = "CC-BY-NC-4.0"

# What a hub snapshot needs: config.json, vocab.txt and the weights (safetensors, or the older
# pytorch_model.bin). Neither the remote code (models.py) nor tokenizer_config.json is fetched:
# the network is native and the LCA parameters come from the spec (prokbert #114: mini-long's
# tokenizer_config.json is not valid JSON). Revisions stay unpinned: no full hub commit of these
# repositories whose file list could be checked was at hand.
HUB_FILES = ("config.json", "vocab.txt", "model.safetensors", "pytorch_model.bin")


@dataclass(frozen=True)
class ProkBertModelInfo:
    """The facts that set one released ProkBERT model apart."""

    id: str
    repo_id: str
    k: int
    shift: int
    intermediate_size: int
    max_tokens: int  # max_position_embeddings
    vocab_rows: int  # embedding rows (config vocab_size); vocab.txt may list fewer
    parameters: int  # of the masked-LM checkpoint, tied decoder counted once
    summary: str


MODELS: tuple[ProkBertModelInfo, ...] = (
    ProkBertModelInfo(
        "prokbert-mini", "neuralbioinfo/prokbert-mini", 6, 1, 3072, 1024, 4101, 20_642_181,
        "LCA 6-mers at every base (k6 s1), up to 1,027 bp a window",
    ),
    ProkBertModelInfo(
        "prokbert-mini-long", "neuralbioinfo/prokbert-mini-long", 6, 2, 4096, 2048, 4200, 26_584_680,
        "LCA 6-mers at every second base (k6 s2), up to 4,096 bp a window",
    ),
    ProkBertModelInfo(
        "prokbert-mini-c", "neuralbioinfo/prokbert-mini-c", 1, 1, 4096, 2048, 20, 24_975_380,
        "one token a base (k1 s1), up to 2,046 bp a window",
    ),
)
HIDDEN, LAYERS, HEADS = 384, 6, 6


def prokbert_spec(info: ProkBertModelInfo) -> ModelSpec:
    """The spec of one released ProkBERT model."""
    tokenizer = TokenizerSpec(kind="lca", k=info.k, stride=info.shift, max_tokens=info.max_tokens)
    return ModelSpec(
        id=info.id,
        family=FAMILY,
        aliases=(info.repo_id, f"prokbert-mini-k{info.k}s{info.shift}"),
        description=f"ProkBERT {info.id.removeprefix('prokbert-')}: Megatron-BERT (pre-LN, relative "
        f"key-query attention), 6 layers of 384; {info.summary}; pre-trained on prokaryotic, viral "
        "and fungal genomes (Ligeti et al. 2024)",
        license=LICENSE,
        citation=CITATION,
        paper_url=PAPER_URL,
        origin_url=ORIGIN_URL,
        task="masked-lm",
        tokenizer=tokenizer,
        architecture=ArchitectureSpec(
            kind="megatron-bert", hidden_size=HIDDEN, num_layers=LAYERS, num_heads=HEADS,
            intermediate_size=info.intermediate_size, vocab_size=info.vocab_rows,
            max_tokens=info.max_tokens, parameters=info.parameters,
        ),
        weights=WeightsSource(repo_id=info.repo_id, files=HUB_FILES),
        # The most bases whose LCA windows fit in max_tokens ([CLS] and [SEP] included); chunks of a
        # long input share k - shift bases: chunk starts then stay on the sequence's LCA grid (the
        # step is a multiple of the shift) and the chunks' windows are exactly the sequence's
        # windows, none lost and none twice (see the README).
        capabilities=kit.kmer_capabilities(tokenizer),
    )


SPECS: tuple[ModelSpec, ...] = tuple(prokbert_spec(m) for m in MODELS)
