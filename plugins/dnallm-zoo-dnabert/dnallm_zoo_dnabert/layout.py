"""The DNABERT checkpoint layout: what its files hold (no torch)."""

from __future__ import annotations

from typing import Any

from dnallm_zoo import kit

__all__ = ["ALPHABET", "HUB_EXTRAS", "ORIGINAL_EXTRA_KEYS", "REMOTE_MODULES", "vocab", "vocab_tokens"]

ALPHABET = "ATCG"  # the original vocab.txt lists itertools.product("ATCG", repeat=k) after the specials

# config.json keys of the original code that do not describe the encoder: the fine-tuning head of
# jerryji1993/DNABERT (BertForLongSequenceClassification: split, rnn, ...), transformers 2.x keys the
# original configs still carry, and the hub repos' 2023 remote-code map. Dropped before the network
# is built; the saved config keeps them.
ORIGINAL_EXTRA_KEYS = frozenset({
    "split", "rnn", "num_rnn_layer", "rnn_dropout", "rnn_hidden",
    "output_past", "eos_token_ids",
    "auto_map",
})
# the modules of the hub repos' own remote code (zhihan1996/DNA_bert_k), named by their auto_map (never
# run); DNABERT-2's is bert_layers
REMOTE_MODULES = ("dnabert_layer", "configuration_bert")
# what zhihan1996/DNA_bert_k's config.json holds beside a BERT config since 2023
HUB_EXTRAS: dict[str, Any] = {
    "auto_map": {
        "AutoConfig": "configuration_bert.BertConfig",
        "AutoModel": "dnabert_layer.BertModel",
        "AutoModelForMaskedLM": "dnabert_layer.BertForMaskedLM",
        "AutoModelForPreTraining": "dnabert_layer.BertForPreTraining",
        "AutoModelForSequenceClassification": "dnabert_layer.DNABertForSequenceClassification",
    },
    "bos_token_id": 0,
    "eos_token_ids": 0,
    "num_rnn_layer": 1,
    "output_past": True,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
    "rnn": "lstm",
    "rnn_dropout": 0.0,
    "rnn_hidden": 768,
    "split": 10,
}


def vocab(k: int) -> kit.KmerVocab:
    """The original vocab.txt of DNABERT-k: [PAD] [UNK] [CLS] [SEP] [MASK], then the k-mers in ATCG order."""
    return kit.KmerVocab(k, ALPHABET)


def vocab_tokens(k: int) -> list[str]:
    """The tokens of DNABERT-k's vocab.txt in id order."""
    return vocab(k).tokens()
