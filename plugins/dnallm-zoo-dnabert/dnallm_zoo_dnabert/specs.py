"""The DNABERT model table: one spec per k, plus the packaged demo model (data only, no I/O)."""

from __future__ import annotations

import os

from dnallm_zoo import ArchitectureSpec, ModelSpec, TokenizerSpec, WeightsSource, kit

__all__ = ["DEMO_DIR", "DEMO_ID", "ENCODER", "FAMILY", "KS", "SPECS", "demo_spec", "dnabert_spec"]

FAMILY = "dnabert"
ENCODER = "dnallm_zoo_dnabert.encoder:DNABERTEncoder"
KS = (3, 4, 5, 6)
MAX_TOKENS = 512  # [CLS] + 510 k-mers + [SEP]
N_SPECIAL = 5  # [PAD] [UNK] [CLS] [SEP] [MASK]
DEMO_ID = "dnabert-demo"
DEMO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo")

CITATION = """@article{ji2021dnabert,
  author = {Ji, Yanrong and Zhou, Zhihan and Liu, Han and Davuluri, Ramana V},
  title = {{DNABERT}: pre-trained Bidirectional Encoder Representations from Transformers model for
           {DNA}-language in genome},
  journal = {Bioinformatics},
  volume = {37},
  number = {15},
  pages = {2112--2120},
  year = {2021},
  doi = {10.1093/bioinformatics/btab083}
}"""
PAPER_URL = "https://doi.org/10.1093/bioinformatics/btab083"
ORIGIN_URL = "https://github.com/jerryji1993/DNABERT"

# Hub commits (full sha, read from the hub's commit pages: "Rename LICENSE.txt to LICENSE", 2023-10-30,
# the tree holding pytorch_model.bin, config.json and vocab.txt). DNA_bert_3's full sha could not be
# verified (only its short form fc85097), so it stays unpinned.
REVISIONS: dict[int, str | None] = {
    3: None,
    4: "69ad5f186c3f62fb45f1c2cca25baf7a0e48e546",
    5: "1cb665ccb11eb9076f82937957e3990d60694650",
    6: "55e0c0eb7b734c8b9b77bc083bf89eb6fbda1341",
}
# what a snapshot needs: no remote code (dnabert_layer.py, configuration_bert.py) is fetched
HUB_FILES = ("config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json",
             "pytorch_model.bin", "model.safetensors", "LICENSE")

# The demo model in demo/ (scripts/train_demo_model.py's ModelSize); the numbers are those of its
# config.json, hard-coded so that registration reads no file (a test compares them with the file).
DEMO_ARCH = {"hidden": 128, "layers": 2, "heads": 4, "intermediate": 512}


def _tokenizer(k: int) -> TokenizerSpec:
    return TokenizerSpec(kind="kmer", k=k, stride=1, max_tokens=MAX_TOKENS)


def dnabert_spec(k: int) -> ModelSpec:
    """The spec of the original DNABERT with k-mer length `k`."""
    repo = f"zhihan1996/DNA_bert_{k}"
    return ModelSpec(
        id=f"dnabert-{k}",
        family=FAMILY,
        aliases=(repo,),
        description=f"DNABERT, overlapping {k}-mers: BERT-base pre-trained (masked spans) on the "
        "human genome (Ji et al. 2021)",
        license="Apache-2.0",
        citation=CITATION,
        paper_url=PAPER_URL,
        origin_url=ORIGIN_URL,
        task="masked-lm",
        tokenizer=_tokenizer(k),
        architecture=ArchitectureSpec(
            kind="bert", hidden_size=768, num_layers=12, num_heads=12, intermediate_size=3072,
            vocab_size=4**k + N_SPECIAL, max_tokens=MAX_TOKENS,
        ),
        weights=WeightsSource(repo_id=repo, revision=REVISIONS[k], files=HUB_FILES),
        # chunks share k - 1 bases, so their k-mers partition the sequence's k-mers
        capabilities=kit.kmer_capabilities(_tokenizer(k)),
    )


def demo_spec() -> ModelSpec:
    """The small demo model shipped inside this package (MIT, like the project)."""
    a = DEMO_ARCH
    return ModelSpec(
        id=DEMO_ID,
        family=FAMILY,
        description="demo, not for biology: a small DNABERT-layout model (6-mers) trained for minutes "
        "on the Arabidopsis thaliana chloroplast genome; for examples and tests",
        license="MIT",
        citation=CITATION,
        paper_url=PAPER_URL,
        origin_url=ORIGIN_URL,
        task="masked-lm",
        tokenizer=_tokenizer(6),
        architecture=ArchitectureSpec(
            kind="bert", hidden_size=a["hidden"], num_layers=a["layers"], num_heads=a["heads"],
            intermediate_size=a["intermediate"], vocab_size=4**6 + N_SPECIAL, max_tokens=MAX_TOKENS,
        ),
        weights=WeightsSource(path=DEMO_DIR),
        capabilities=kit.kmer_capabilities(_tokenizer(6)),
    )


SPECS: tuple[ModelSpec, ...] = (*(dnabert_spec(k) for k in KS), demo_spec())
