"""The DNABERT-2 family's model table: DNABERT-2 and DNABERT-S (data only: no I/O, no torch)."""

from __future__ import annotations

from dnallm_zoo import ArchitectureSpec, Capabilities, ModelSpec, TokenizerSpec, WeightsSource

__all__ = [
    "DNABERT_S",
    "DNABERT_S_ID",
    "ENCODER",
    "FAMILY",
    "HUB_FILES",
    "MODEL_ID",
    "REPO_ID",
    "REVISION",
    "SPEC",
    "SPECS",
]

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

# Tokens per chunk, [CLS] and [SEP] included. ALiBi has no position table: like the original, the
# network takes any length in one pass (capabilities.any_length; tested to 2100 tokens against the
# original's equations), but 512 is what the original sized everything for (alibi_starting_size,
# max_position_embeddings, the tokenizer's model_max_length) and the longest context pre-training
# showed it; attention memory also grows with the square of the length. The pipeline therefore
# embeds long sequences in 512-token chunks by default; one pass over a whole sequence is asked for.
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

TOKENIZER = TokenizerSpec(kind="bpe", vocab_file="tokenizer.json", max_tokens=MAX_TOKENS)
CAPABILITIES = Capabilities(max_bases=MAX_BASES, chunk_overlap=CHUNK_OVERLAP, any_length=True)

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
    tokenizer=TOKENIZER,
    architecture=ArchitectureSpec(
        kind="mosaic-bert", hidden_size=768, num_layers=12, num_heads=12, intermediate_size=3072,
        vocab_size=4096, max_tokens=MAX_TOKENS, parameters=117_074_176,
    ),
    weights=WeightsSource(repo_id=REPO_ID, revision=REVISION, files=HUB_FILES),
    capabilities=CAPABILITIES,
)

DNABERT_S_ID = "dnabert-s"
# DNABERT-S (MAGICS-LAB/DNABERT_S): DNABERT-2 trained further, saved with `BertModel.save_pretrained`:
# the same config but `architectures: ["BertModel"]` (and a `pad_token_id` 0 the tokenizer overrules),
# keys without `bert.`, no MLM head, plus the pooler BertModel adds (initialised at random, never
# trained: the encoder drops it). pytorch_model.bin only. The hub repo's own pages were not readable
# here, so no revision is pinned; the license is the Apache-2.0 its mirrored card states.
DNABERT_S = ModelSpec(
    id=DNABERT_S_ID,
    family=FAMILY,
    aliases=("zhihan1996/DNABERT-S",),
    description="DNABERT-S: DNABERT-2 trained further by contrastive learning into species-aware DNA "
    "embeddings (Zhou et al. 2024); its recipe is the mean over tokens, [CLS] and [SEP] included",
    license="Apache-2.0",
    citation="""@misc{zhou2024dnaberts,
  title = {{DNABERT-S}: Learning Species-Aware {DNA} Embedding with Genome Foundation Models},
  author = {Zhou, Zhihan and Wu, Winmin and Ho, Harrison and Wang, Jiayi and Shi, Lizhen
            and Davuluri, Ramana V and Wang, Zhong and Liu, Han},
  year = {2024},
  eprint = {2402.08777},
  archivePrefix = {arXiv},
  primaryClass = {q-bio.GN}
}""",
    paper_url="https://arxiv.org/abs/2402.08777",
    origin_url="https://github.com/MAGICS-LAB/DNABERT_S",
    task="embedding",
    tokenizer=TOKENIZER,
    architecture=SPEC.architecture.model_copy(update={"parameters": 116_477_952}),  # no MLM head
    weights=WeightsSource(repo_id="zhihan1996/DNABERT-S", files=HUB_FILES),
    capabilities=CAPABILITIES,
)

SPECS: tuple[ModelSpec, ...] = (SPEC, DNABERT_S)
