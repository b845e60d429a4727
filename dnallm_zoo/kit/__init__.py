"""The family kit: a family plugin as one object, and the building blocks under it.

A family whose checkpoints are one of transformers' own architectures (BERT, BigBird, RoBERTa, ESM,
ModernBERT: `ARCHITECTURES`) needs only a spec table naming it::

    from dnallm_zoo import kit
    family = kit.StockFamily("grover", SPECS)      # entry point: grover = "grover_zoo:family"
    family = kit.StockFamily("my-bigbird", SPECS, architecture="big_bird")

Importing this package is cheap (no torch); the names that need torch are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._checkpoint import (
    WeightsFormat,
    find_weights_file,
    load_state_dict_strict,
    read_config,
    read_state_dict,
    write_weights,
)
from .._lazy import lazy_getattr
from ._architectures import ARCHITECTURES, Architecture, architecture
from ._bpe import bpe_vocab, dna_merges, tiny_bpe_tokenizer_json
from ._capabilities import kmer_capabilities, kmer_max_bases
from ._config import NOT_STOCK_KEYS, auto_map_modules, tiny_bert_config
from ._family import CheckpointWriter, Family, Matcher, StockFamily
from ._heads import BERT_HEAD_ARCHITECTURES, BERT_HEAD_KEYS, BERT_HEAD_MODULES
from ._vocab import BERT_SPECIALS, KmerVocab, kmers

if TYPE_CHECKING:
    from ._bert import StockBertEncoder, write_bert_checkpoint, write_stock_checkpoint, write_tokenizer_files
    from ._block_encoder import BlockEncoder, write_block_checkpoint
    from ._blocks import BERT_LAYOUT, BlockLayer, BlockStack, Layout, Net, alibi_slopes
    from ._native import NativeEncoder, write_native_checkpoint
    from ._weights import random_state_dict

__getattr__ = lazy_getattr(__name__, {
    "BERT_LAYOUT": "._blocks",
    "BlockEncoder": "._block_encoder",
    "BlockLayer": "._blocks",
    "BlockStack": "._blocks",
    "Layout": "._blocks",
    "Net": "._blocks",
    "alibi_slopes": "._blocks",
    "write_block_checkpoint": "._block_encoder",
    "NativeEncoder": "._native",
    "StockBertEncoder": "._bert",
    "random_state_dict": "._weights",
    "write_bert_checkpoint": "._bert",
    "write_native_checkpoint": "._native",
    "write_stock_checkpoint": "._bert",
    "write_tokenizer_files": "._bert",
})

__all__ = [
    "ARCHITECTURES",
    "BERT_HEAD_ARCHITECTURES",
    "BERT_HEAD_KEYS",
    "BERT_HEAD_MODULES",
    "BERT_LAYOUT",
    "BERT_SPECIALS",
    "NOT_STOCK_KEYS",
    "Architecture",
    "BlockEncoder",
    "BlockLayer",
    "BlockStack",
    "CheckpointWriter",
    "Family",
    "KmerVocab",
    "Layout",
    "Matcher",
    "NativeEncoder",
    "Net",
    "StockBertEncoder",
    "StockFamily",
    "WeightsFormat",
    "alibi_slopes",
    "architecture",
    "auto_map_modules",
    "bpe_vocab",
    "dna_merges",
    "find_weights_file",
    "kmer_capabilities",
    "kmer_max_bases",
    "kmers",
    "load_state_dict_strict",
    "random_state_dict",
    "read_config",
    "read_state_dict",
    "tiny_bert_config",
    "tiny_bpe_tokenizer_json",
    "write_bert_checkpoint",
    "write_block_checkpoint",
    "write_native_checkpoint",
    "write_stock_checkpoint",
    "write_tokenizer_files",
    "write_weights",
]
