"""DNABERT-2's task heads under their original keys (the remote ``bert_layers.py``'s classes).

``BertForSequenceClassification`` (the original): ``bert`` = MosaicBERT with its pooler
(``bert.pooler.dense``, tanh on the first token), dropout (``classifier_dropout``, else
``hidden_dropout_prob``), ``classifier``. The original has no token head; the zoo's
``MosaicBertForTokenClassification`` is transformers' ``BertForTokenClassification`` shape over the
same encoder: ``bert`` (no pooler), dropout, ``classifier`` on every token.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .modeling import DNABERT2Config, MosaicBertModel

__all__ = [
    "MosaicBertForSequenceClassification",
    "MosaicBertForTokenClassification",
    "MosaicBertModelWithPooler",
    "MosaicBertPooler",
    "classifier_dropout",
]


def classifier_dropout(config: DNABERT2Config, raw: dict[str, Any]) -> float:
    """The original's rule: `classifier_dropout` when config.json sets it, else `hidden_dropout_prob`."""
    p = raw.get("classifier_dropout")
    return float(config.hidden_dropout_prob if p is None else p)


class MosaicBertPooler(nn.Module):
    """``dense`` then tanh on the first token ([CLS]), as BertPooler."""

    def __init__(self, config: DNABERT2Config) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.activation(self.dense(hidden_states[:, 0]))


class MosaicBertModelWithPooler(MosaicBertModel):
    """The encoder with the pooler the original `BertModel(config)` of a classifier has."""

    def __init__(self, config: DNABERT2Config) -> None:
        super().__init__(config)
        self.pooler = MosaicBertPooler(config)


class MosaicBertForSequenceClassification(nn.Module):
    """Original keys: ``bert.*`` (``bert.pooler.dense.*`` included), ``classifier.*``."""

    def __init__(self, config: DNABERT2Config, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.config = config
        self.num_labels = num_labels
        self.bert = MosaicBertModelWithPooler(config)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(config.hidden_size, num_labels)

    def head(self, last_hidden_state: torch.Tensor) -> torch.Tensor:
        """Logits [batch, labels] from the encoder's last hidden state."""
        return self.classifier(self.dropout(self.bert.pooler(last_hidden_state)))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        last = self.bert(input_ids, attention_mask).last_hidden_state
        return self.head(last)


class MosaicBertForTokenClassification(nn.Module):
    """The zoo's token head: ``bert.*`` (no pooler), ``classifier.*`` (logits at every position)."""

    def __init__(self, config: DNABERT2Config, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.config = config
        self.num_labels = num_labels
        self.bert = MosaicBertModel(config)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(config.hidden_size, num_labels)

    def head(self, last_hidden_state: torch.Tensor) -> torch.Tensor:
        """Logits [batch, tokens, labels]."""
        return self.classifier(self.dropout(last_hidden_state))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        last = self.bert(input_ids, attention_mask).last_hidden_state
        return self.head(last)
