"""The MutBERT family's model table (data only: no I/O, no torch). Where each fact was read: README.md."""

from __future__ import annotations

from dnallm_zoo import ArchitectureSpec, Capabilities, ModelSpec, TokenizerSpec, WeightsSource

__all__ = ["ENCODER", "FAMILY", "HUB_FILES", "MAX_TOKENS", "SPECS"]

FAMILY = "mutbert"
ENCODER = "dnallm_zoo_mutbert.encoder:MutBERTEncoder"
# What a snapshot needs; the remote code (modeling_mutbert.py) is never fetched.
HUB_FILES = ("config.json", "pytorch_model.bin", "model.safetensors", "tokenizer.json",
             "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
# Pre-training windows were 510 bases + [CLS] + [SEP] (mutdataset.py); max_position_embeddings 512
# sizes the rotary cache. Rotary positions have no table, but the zoo keeps the trained length.
MAX_TOKENS = 512
CITATION = """@article{long2025mutbert,
  title = {{MutBERT}: Probabilistic Genome Representation Improves Genomics Foundation Models},
  author = {Long, Weicai and Su, Houcheng and Xiong, Jiaqi and Zhang, Yanlin},
  journal = {bioRxiv},
  year = {2025},
  doi = {10.1101/2025.01.23.634452}
}"""
_ARCH = ArchitectureSpec(kind="rope-bert", hidden_size=768, num_layers=12, num_heads=12,
                         intermediate_size=3072, vocab_size=9, max_tokens=MAX_TOKENS)
_TOKENIZER = TokenizerSpec(kind="bpe", vocab_file="tokenizer.json", max_tokens=MAX_TOKENS)
_CAPS = Capabilities(max_bases=MAX_TOKENS - 2)


def _spec(model_id: str, repo: str, what: str, revision: str | None = None) -> ModelSpec:
    return ModelSpec(
        id=model_id, family=FAMILY, aliases=(repo,),
        description=f"MutBERT ({what}): rotary BERT over single bases, pre-trained on allele-frequency "
        "probabilities; takes base-probability matrices too (embed_probabilities); native, no remote code",
        license="MIT", citation=CITATION,
        paper_url="https://www.biorxiv.org/content/10.1101/2025.01.23.634452v1",
        origin_url="https://github.com/ai4nucleome/mutBERT", task="masked-lm",
        tokenizer=_TOKENIZER, architecture=_ARCH,
        weights=WeightsSource(repo_id=repo, revision=revision, files=HUB_FILES), capabilities=_CAPS,
    )


SPECS: tuple[ModelSpec, ...] = (
    # revision: the hub commit a third-party tokenizer audit pinned (see README); not read on the hub
    _spec("mutbert", "JadenLong/MutBERT", "human, 1000 Genomes allele frequencies",
          "b68d8d6c9ccd8167639b25fb979cbd39a5c5c60c"),
    _spec("mutbert-human-ref", "JadenLong/MutBERT-Human-Ref", "human reference genome only"),
    _spec("mutbert-multi", "JadenLong/MutBERT-Multi", "multi-species"),
)
