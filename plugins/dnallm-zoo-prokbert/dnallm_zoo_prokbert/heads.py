"""ProkBERT's task heads under their original keys.

``ProkBertForSequenceClassification`` (nbrg-ppcu/prokbert, ``models/megatronbert.py``): ``bert`` (no
pooler), ``weighting_layer`` = Linear(hidden, 1) scores every token, a softmax over the REAL tokens
only (padding at -inf; [CLS]/[SEP] take part), the weighted sum of the token vectors, dropout,
``classifier``. This is the current original (2026, `masked_attention_pool`); the 2025 code the first
hub classifiers were written with ran the softmax over padding too, so its outputs depended on
how a batch was padded: the zoo follows the masked version, which gives the same logits for a
sequence alone or padded, and equals the 2025 code on unpadded input. Its config's
``classifier_pooling`` ("attention") is recorded, not switched on: the original class ignores it too.
The 2025 class also kept MegatronBert's untrained ``bert.pooler``: such keys are dropped on load.

The original has no token head; the zoo's ``ProkBertForTokenClassification`` is transformers'
``BertForTokenClassification`` shape over the same encoder: ``bert``, dropout, ``classifier``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from .modeling import ProkBertConfig, ProkBertModel

__all__ = [
    "ProkBertForSequenceClassification",
    "ProkBertForTokenClassification",
    "classifier_dropout",
    "masked_attention_pool",
]


def classifier_dropout(config: Mapping[str, Any]) -> float:
    """`classifier_dropout`, else the 2025 name `classification_dropout_rate`, else `hidden_dropout_prob`."""
    for key in ("classifier_dropout", "classification_dropout_rate", "hidden_dropout_prob"):
        value = config.get(key)
        if value is not None:
            return float(value)
    return 0.1  # the 2025 ProkBertConfig's classification_dropout_rate default


def masked_attention_pool(
    sequence_output: torch.Tensor, token_scores: torch.Tensor, attention_mask: torch.Tensor | None
) -> torch.Tensor:
    """Softmax of the token scores over the real tokens (a row with none keeps token 0), weighted sum."""
    if attention_mask is not None:
        keep = attention_mask.bool()
        empty = keep.sum(dim=1) == 0
        if bool(empty.any()):
            keep = keep.clone()
            keep[empty, 0] = True
        token_scores = token_scores.masked_fill(~keep.unsqueeze(-1), float("-inf"))
    weights = torch.softmax(token_scores.float(), dim=1).to(dtype=sequence_output.dtype)
    return torch.sum(weights * sequence_output, dim=1)


class ProkBertForSequenceClassification(nn.Module):
    """Original keys: ``bert.*``, ``weighting_layer.{weight,bias}``, ``classifier.{weight,bias}``."""

    def __init__(self, config: ProkBertConfig, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.config = config
        self.num_labels = num_labels
        self.bert = ProkBertModel(config)
        self.weighting_layer = nn.Linear(config.hidden_size, 1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(config.hidden_size, num_labels)

    def head(self, last_hidden_state: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
        """Logits [batch, labels] from the encoder's last hidden state."""
        scores = self.weighting_layer(last_hidden_state)
        pooled = masked_attention_pool(last_hidden_state, scores, attention_mask)
        return self.classifier(self.dropout(pooled))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        out = self.bert(input_ids, attention_mask)
        return self.head(out.last_hidden_state, attention_mask)


class ProkBertForTokenClassification(nn.Module):
    """The zoo's token head: ``bert.*``, ``classifier.*`` (logits at every position)."""

    def __init__(self, config: ProkBertConfig, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.config = config
        self.num_labels = num_labels
        self.bert = ProkBertModel(config)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(config.hidden_size, num_labels)

    def head(self, last_hidden_state: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
        """Logits [batch, tokens, labels]."""
        return self.classifier(self.dropout(last_hidden_state))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        out = self.bert(input_ids, attention_mask)
        return self.head(out.last_hidden_state, attention_mask)
