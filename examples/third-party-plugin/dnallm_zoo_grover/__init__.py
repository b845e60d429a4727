"""GROVER (Sanabria et al., Nature Machine Intelligence 2024) for dnallm-zoo: one spec on the stock kit.

A stock transformers `BertForMaskedLM` over a byte-pair vocabulary of the human genome: no modeling code.
"""

from dnallm_zoo import ArchitectureSpec, Capabilities, ModelSpec, TokenizerSpec, WeightsSource, kit

# the model card's BibTeX, verbatim, plus the DOI (Crossref/OpenAlex)
CITATION = """@article{sanabria2024dna,
  title={DNA language model GROVER learns sequence context in the human genome},
  author={Sanabria, Melissa and Hirsch, Jonas and Joubert, Pierre M and Poetsch, Anna R},
  journal={Nature Machine Intelligence},
  pages={1--13},
  year={2024},
  publisher={Nature Publishing Group UK London},
  doi={10.1038/s42256-024-00872-0}
}"""

SPEC = ModelSpec(
    id="grover",
    family="grover",
    aliases=("PoetschLab/GROVER",),
    description="GROVER: BERT masked-LM over a byte-pair vocabulary learnt on the human genome. "
    "No license is declared on its model card (license NONE: ask the authors before redistributing). "
    "Shape not read from its config.json: hidden 768 per third-party registries, 12 layers and heads "
    "inferred from the checkpoint's size; the network is built from the checkpoint's own config.json.",
    # SPDX NONE: the card and files at the pinned revision carry no license information whatsoever
    license="NONE",
    citation=CITATION,
    paper_url="https://doi.org/10.1038/s42256-024-00872-0",
    origin_url="https://huggingface.co/PoetschLab/GROVER",
    task="masked-lm",
    # 512 = tokenizer_config.json's model_max_length; specials and merges come from tokenizer.json
    tokenizer=TokenizerSpec(kind="bpe", vocab_file="tokenizer.json", max_tokens=512),
    architecture=ArchitectureSpec(kind="bert", hidden_size=768, num_layers=12, num_heads=12, max_tokens=512),
    weights=WeightsSource(
        repo_id="PoetschLab/GROVER",
        revision="f6ed259a321aacb629cf638a1568c2a40b381cfe",
        # not tokenized_chromosomes/ (pickles); the weights exist only as pytorch_model.bin
        files=("config.json", "pytorch_model.bin", "tokenizer.json", "tokenizer_config.json",
               "special_tokens_map.json"),
    ),
    # a token spells at least one base, so 510 bases always fit [CLS] + 510 + [SEP]; the card advises
    # 100 bases of context on each side for the genome's own tokenization, hence the overlap
    capabilities=Capabilities(max_bases=510, chunk_overlap=100),
)

family = kit.StockFamily("grover", [SPEC], weights="bin")
