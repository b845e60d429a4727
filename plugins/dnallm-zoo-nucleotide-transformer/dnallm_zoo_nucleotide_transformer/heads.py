"""NT v2's task heads under their original keys (the remote code's copies of transformers' ESM heads).

``EsmForSequenceClassification``: ``esm`` (no pooler), ``classifier.dense`` (tanh on the ``<cls>``
token, dropout before and after), ``classifier.out_proj``. ``EsmForTokenClassification``: ``esm``,
dropout, ``classifier`` on every token. Dropout is the config's ``hidden_dropout_prob`` (0.0 in the
v2 files). NT v1 and AgroNT use transformers' own classes of the same names.
"""

from __future__ import annotations

import torch
from torch import nn

from .modeling import NTv2Config, NTv2Model

__all__ = ["NTv2ClassificationHead", "NTv2ForSequenceClassification", "NTv2ForTokenClassification"]


class NTv2ClassificationHead(nn.Module):
    """``dense``, tanh, ``out_proj`` on the first token, with dropout before each linear layer."""

    def __init__(self, config: NTv2Config, num_labels: int) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.out_proj = nn.Linear(config.hidden_size, num_labels)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = self.dropout(features[:, 0, :])
        x = torch.tanh(self.dense(x))
        return self.out_proj(self.dropout(x))


class NTv2ForSequenceClassification(nn.Module):
    """Original keys: ``esm.*``, ``classifier.dense.*``, ``classifier.out_proj.*``."""

    def __init__(self, config: NTv2Config, num_labels: int) -> None:
        super().__init__()
        self.config, self.num_labels = config, num_labels
        self.esm = NTv2Model(config)
        self.classifier = NTv2ClassificationHead(config, num_labels)

    def head(self, last_hidden_state: torch.Tensor) -> torch.Tensor:
        """Logits [batch, labels]."""
        return self.classifier(last_hidden_state)


class NTv2ForTokenClassification(nn.Module):
    """Original keys: ``esm.*``, ``classifier.*`` (logits at every position)."""

    def __init__(self, config: NTv2Config, num_labels: int) -> None:
        super().__init__()
        self.config, self.num_labels = config, num_labels
        self.esm = NTv2Model(config)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, num_labels)

    def head(self, last_hidden_state: torch.Tensor) -> torch.Tensor:
        """Logits [batch, tokens, labels]."""
        return self.classifier(self.dropout(last_hidden_state))
