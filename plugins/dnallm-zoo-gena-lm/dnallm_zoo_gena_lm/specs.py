"""The GENA-LM model table (data only): the pre-layer-norm BERTs and the transformers BigBird."""

from __future__ import annotations

from dnallm_zoo import ArchitectureSpec, Capabilities, ModelSpec, TokenizerSpec, WeightsSource

__all__ = ["BERT_SPECS", "BIGBIRD_SPEC", "CITATION", "ENCODER", "FAMILY", "FAMILY_BIGBIRD", "SPECIALS"]

FAMILY = "gena-lm"
FAMILY_BIGBIRD = "gena-lm-bigbird"
ENCODER = "dnallm_zoo_gena_lm.encoder:GenaEncoder"
#: tokenizer.json's added tokens, ids 0..5 (data/tokenizers/t2t_1000h_multi_32k/tokenizer.json)
SPECIALS = ("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "-")

# the README's BibTeX (AIRI-Institute/GENA_LM, README.md "Citation"), abridged to the bibliographic fields
CITATION = """@article{GENA_LM,
  author = {Fishman, Veniamin and Kuratov, Yuri and Shmelev, Aleksei and Petrov, Maxim and Penzar, Dmitry and
            Shepelin, Denis and Chekanov, Nikolay and Kardymon, Olga and Burtsev, Mikhail},
  title = {{GENA-LM}: a family of open-source foundational {DNA} language models for long sequences},
  journal = {Nucleic Acids Research},
  volume = {53},
  number = {2},
  pages = {gkae1310},
  year = {2025},
  doi = {10.1093/nar/gkae1310}
}"""
PAPER = "https://doi.org/10.1093/nar/gkae1310"
ORIGIN = "https://github.com/AIRI-Institute/GENA_LM"
# what a snapshot needs: never the remote code (modeling_bert.py)
FILES = ("config.json", "pytorch_model.bin", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
         "special_tokens_map.json")
# README_previous_generation.md: 512 tokens hold about 4,500 bp; a chunk that tokenizes longer is cut again
BERT_CAPS = Capabilities(max_bases=4500, chunk_overlap=100)

#: id, repo, layers, hidden, heads, what the README table says of it
_BERT = (
    ("gena-lm-bert-base", 12, 768, 12, "BERT-12L, T2T split v1"),
    ("gena-lm-bert-base-t2t", 12, 768, 12, "BERT-12L, T2T + 1000G SNPs"),
    ("gena-lm-bert-base-lastln-t2t", 12, 768, 12, "BERT-12L with the final layer norm, T2T + 1000G SNPs"),
    ("gena-lm-bert-base-t2t-multi", 12, 768, 12, "BERT-12L, T2T + 1000G SNPs + multispecies"),
    ("gena-lm-bert-large-t2t", 24, 1024, 16, "BERT-24L, T2T + 1000G SNPs"),
    ("gena-lm-bert-base-fly", 12, 768, 12, "BERT-12L on fly genomes"),
    ("gena-lm-bert-base-yeast", 12, 768, 12, "BERT-12L on yeast genomes"),
    ("gena-lm-bert-base-athaliana", 12, 768, 12, "BERT-12L on Arabidopsis thaliana genomes"),
)


def _spec(model_id: str, family: str, kind: str, layers: int, hidden: int, heads: int, max_tokens: int,
          caps: Capabilities, what: str) -> ModelSpec:
    repo = f"AIRI-Institute/{model_id}"
    return ModelSpec(
        id=model_id, family=family, aliases=(repo,), task="masked-lm",
        description=f"GENA-LM {what}: masked LM over a 32k BPE vocabulary (AIRI)", license="MIT",
        citation=CITATION, paper_url=PAPER, origin_url=ORIGIN,
        tokenizer=TokenizerSpec(kind="bpe", vocab_file="tokenizer.json", max_tokens=max_tokens),
        architecture=ArchitectureSpec(kind=kind, hidden_size=hidden, num_layers=layers, num_heads=heads,
                                      intermediate_size=4 * hidden, vocab_size=32000, max_tokens=max_tokens),
        # the hub revisions could not be read here: unpinned (main)
        weights=WeightsSource(repo_id=repo, files=FILES),
        capabilities=caps,
    )


BERT_SPECS = tuple(_spec(i, FAMILY, "gena-bert", n, h, a, 512, BERT_CAPS, what) for i, n, h, a, what in _BERT)
# README: 4096 tokens hold about 36,000 bp
BIGBIRD_SPEC = _spec("gena-lm-bigbird-base-t2t", FAMILY_BIGBIRD, "big_bird", 12, 768, 12, 4096,
                     Capabilities(max_bases=36000, chunk_overlap=100), "BigBird-12L (transformers' BigBird)")
