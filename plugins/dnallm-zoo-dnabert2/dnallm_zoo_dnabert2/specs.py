"""The DNABERT-2 model table (data only: no I/O, no torch)."""

from __future__ import annotations

from dnallm_zoo import ArchitectureSpec, Capabilities, ModelSpec, TokenizerSpec, WeightsSource

__all__ = ["ENCODER", "FAMILY", "HUB_FILES", "MODEL_ID", "REPO_ID", "REVISION", "SPEC", "SPECS"]

FAMILY = "dnabert2"
MODEL_ID = "dnabert2-117m"
ENCODER = "dnallm_zoo_dnabert2.encoder:DNABERT2Encoder"
REPO_ID = "zhihan1996/DNABERT-2-117M"

# "Update config.json", 2024-02-22: the last commit touching config.json (later ones change only
# bert_layers.py and the README); full sha read from the hub's commit page. pytorch_model.bin and
# tokenizer.json are those of the first upload (634202c, 2023-06-26).
REVISION = "1c51eccc93c384e4ded6a71055ac360d0cf68196"
# What a snapshot needs. The remote code (bert_layers.py, configuration_bert.py, ...) is never fetched.
HUB_FILES = (
    "config.json",
    "pytorch_model.bin",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "LICENSE",
)

# Tokens per forward pass, [CLS] and [SEP] included. ALiBi has no position table, so the network
# runs on longer input (tested to 2048 tokens), but 512 is what the original sized everything for
# (alibi_starting_size, max_position_embeddings, the tokenizer's model_max_length) and the longest
# context pre-training showed it; attention memory also grows with the square of the length. The
# pipeline therefore embeds long sequences in 512-token chunks; `forward` and the tokenizer's
# `max_length=` accept longer input for those who want it.
MAX_TOKENS = 512
# Bases per chunk: the BPE averages ~4-5 bases a token on genomic DNA, so 1800 bases (3.5 a token
# for the 510 body tokens) rarely exceed 512 tokens; a chunk that does (N runs: one [UNK] per N) is
# split again by the core.
MAX_BASES = 1800
# Bases shared by neighbouring chunks: context across the cut, where a BPE token may be split.
CHUNK_OVERLAP = 64

CITATION = """@inproceedings{zhou2024dnabert2,
  title = {{DNABERT}-2: Efficient Foundation Model and Benchmark For Multi-Species Genomes},
  author = {Zhou, Zhihan and Ji, Yanrong and Li, Weijian and Dutta, Pratik and Davuluri, Ramana V
            and Liu, Han},
  booktitle = {The Twelfth International Conference on Learning Representations ({ICLR})},
  year = {2024},
  eprint = {2306.15006},
  archivePrefix = {arXiv}
}"""

SPEC = ModelSpec(
    id=MODEL_ID,
    family=FAMILY,
    aliases=(REPO_ID, "dnabert-2"),
    description="DNABERT-2: MosaicBERT (ALiBi, gated GELU) over a 4096-token DNA BPE, pre-trained on "
    "multi-species genomes (Zhou et al. 2024); native plain torch, no remote code",
    license="Apache-2.0",
    citation=CITATION,
    paper_url="https://arxiv.org/abs/2306.15006",
    origin_url="https://github.com/MAGICS-LAB/DNABERT_2",
    task="masked-lm",
    tokenizer=TokenizerSpec(kind="bpe", vocab_file="tokenizer.json", max_tokens=MAX_TOKENS),
    architecture=ArchitectureSpec(
        kind="mosaic-bert", hidden_size=768, num_layers=12, num_heads=12, intermediate_size=3072,
        vocab_size=4096, max_tokens=MAX_TOKENS, parameters=117_074_176,
    ),
    weights=WeightsSource(repo_id=REPO_ID, revision=REVISION, files=HUB_FILES),
    capabilities=Capabilities(
        max_bases=MAX_BASES, chunk_overlap=CHUNK_OVERLAP,
    ),
)

SPECS: tuple[ModelSpec, ...] = (SPEC,)
