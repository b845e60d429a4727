"""MutBERT's network in plain torch: the rotary BERT of `modeling_mutbert.py` (after ruRoPEBert).

Attribute names are the checkpoint's keys (``bert.embeddings.word_embeddings.weight``, ...). The network
is post-LayerNorm BERT without position embeddings: rotary positions (rotate-half, base `rope_theta`,
optional linear `rope_scaling`) on the queries and keys of every layer. The word embedding is a matrix
product, so a row of base probabilities embeds as the probability-weighted mean of the rows; token ids
use the lookup, which gives the same numbers as the one-hot product.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "MutBertConfig",
    "MutBertForMaskedLM",
    "MutBertForSequenceClassification",
    "MutBertModel",
    "build",
]


@dataclass(frozen=True)
class MutBertConfig:
    """The config.json fields the network reads, with `RoPEBertConfig`'s defaults."""

    vocab_size: int = 9
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    pooler_type: str = "mean"
    hidden_dropout_prob: float = 0.1
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    max_position_embeddings: int = 512
    rope_theta: float = 10000.0
    rope_scaling: dict[str, Any] | None = None
    classifier_dropout: float | None = None

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> MutBertConfig:
        """The known fields of config.json; checks what the original's config class checks."""
        cfg = cls(**{f.name: config[f.name] for f in fields(cls) if f.name in config})
        if cfg.pooler_type not in ("mean", "first_token_transform"):
            raise ValueError(f"pooler_type must be 'mean' or 'first_token_transform', "
                             f"not {cfg.pooler_type!r}")
        if cfg.hidden_size % cfg.num_attention_heads:
            raise ValueError(f"hidden_size {cfg.hidden_size} is not a multiple of "
                             f"num_attention_heads {cfg.num_attention_heads}")
        scaling = cfg.rope_scaling
        if scaling is not None and not (isinstance(scaling, dict) and scaling.get("type") == "linear"
                                        and float(scaling.get("factor", 0)) > 1.0):
            # 'dynamic' NTK scaling changes the original's cached frequencies for good after one long
            # batch, so its output depends on what ran before: not reproducible, refused
            raise ValueError(f"rope_scaling {scaling!r}: only None or {{'type': 'linear', 'factor' > 1}}")
        return cfg

    @property
    def activation(self) -> Any:
        from transformers.activations import ACT2FN

        return ACT2FN[self.hidden_act]


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """(x1, x2) -> (-x2, x1) over the last dimension's halves."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def rotary(length: int, dim: int, cfg: MutBertConfig,
           device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin [length, dim] as the original's cache holds them (float32)."""
    inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, dim, 2, device=device).float() / dim))
    t = torch.arange(length, device=device, dtype=torch.float32)
    if cfg.rope_scaling is not None:
        t = t / float(cfg.rope_scaling["factor"])
    emb = torch.outer(t, inv_freq).repeat(1, 2)
    return emb.cos(), emb.sin()


class MutBertEmbeddings(nn.Module):
    def __init__(self, cfg: MutBertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.token_type_embeddings = nn.Embedding(cfg.type_vocab_size, cfg.hidden_size)
        self.LayerNorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)  # TF name, as the keys
        self.dropout = nn.Dropout(cfg.hidden_dropout_prob)

    def forward(self, input_ids: torch.Tensor | None, probabilities: torch.Tensor | None) -> torch.Tensor:
        words = self.word_embeddings(input_ids) if probabilities is None \
            else probabilities.to(self.word_embeddings.weight.dtype) @ self.word_embeddings.weight
        return self.dropout(self.LayerNorm(words + self.token_type_embeddings.weight[0]))


class MutBertSelfAttention(nn.Module):
    def __init__(self, cfg: MutBertConfig) -> None:
        super().__init__()
        self.heads = cfg.num_attention_heads
        h = cfg.hidden_size
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)

    def forward(self, x: torch.Tensor, bias: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor],
                want_weights: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        b, t, h = x.shape
        q, k, v = (p(x).view(b, t, self.heads, -1).transpose(1, 2)
                   for p in (self.query, self.key, self.value))
        cos, sin = (r.to(q.dtype) for r in rope)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        weights = None
        if want_weights:  # the original's eager path: softmax(q k^T / sqrt(d) + mask)
            weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + bias, dim=-1)
            ctx = weights @ v
        else:
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return ctx.transpose(1, 2).reshape(b, t, h), weights


class MutBertSelfOutput(nn.Module):
    def __init__(self, cfg: MutBertConfig, width: int) -> None:
        super().__init__()
        self.dense = nn.Linear(width, cfg.hidden_size)
        self.LayerNorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.hidden_dropout_prob)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class MutBertAttention(nn.Module):
    def __init__(self, cfg: MutBertConfig) -> None:
        super().__init__()
        self.self = MutBertSelfAttention(cfg)
        self.output = MutBertSelfOutput(cfg, cfg.hidden_size)


class MutBertIntermediate(nn.Module):
    def __init__(self, cfg: MutBertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.act = cfg.activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.dense(x))  # type: ignore[no-any-return]  # ACT2FN modules are untyped


class MutBertLayer(nn.Module):
    def __init__(self, cfg: MutBertConfig) -> None:
        super().__init__()
        self.attention = MutBertAttention(cfg)
        self.intermediate = MutBertIntermediate(cfg)
        self.output = MutBertSelfOutput(cfg, cfg.intermediate_size)

    def forward(self, x: torch.Tensor, bias: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor],
                want_weights: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        ctx, weights = self.attention.self(x, bias, rope, want_weights)
        a = self.attention.output(ctx, x)
        return self.output(self.intermediate(a), a), weights


class MutBertEncoder(nn.Module):
    def __init__(self, cfg: MutBertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(MutBertLayer(cfg) for _ in range(cfg.num_hidden_layers))


class MutBertPooler(nn.Module):
    """`first_token_transform`: dense + tanh on token 0 (the `mean` pooler has no weights)."""

    def __init__(self, cfg: MutBertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(x[:, 0]))


def mean_pool(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The original's mean pooler: the mean over positions where `mask` is 1."""
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(1) / m.sum(1).clamp(min=1e-9)


@dataclass
class MutBertOutput:
    last_hidden_state: torch.Tensor
    hidden_states: tuple[torch.Tensor, ...] | None
    attentions: tuple[torch.Tensor, ...] | None


class MutBertModel(nn.Module):
    """`RoPEBertModel`: embeddings, encoder, and the pooler when `first_token_transform` asks for one."""

    def __init__(self, cfg: MutBertConfig, *, pooler: bool = False) -> None:
        super().__init__()
        self.cfg = cfg
        self.embeddings = MutBertEmbeddings(cfg)
        self.encoder = MutBertEncoder(cfg)
        self.pooler = MutBertPooler(cfg) if pooler and cfg.pooler_type == "first_token_transform" else None

    def forward(self, input_ids: torch.Tensor | None, attention_mask: torch.Tensor, *,
                probabilities: torch.Tensor | None = None, output_hidden_states: bool = False,
                output_attentions: bool = False) -> MutBertOutput:
        x = self.embeddings(input_ids, probabilities)
        # the extended mask of transformers' BERT: 0 where attended, the dtype's minimum elsewhere
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        head_dim = self.cfg.hidden_size // self.cfg.num_attention_heads
        rope = rotary(x.shape[1], head_dim, self.cfg, x.device)
        hidden, weights = [x], []
        for layer in self.encoder.layer:
            x, w = layer(x, bias, rope, output_attentions)
            hidden.append(x)
            if w is not None:
                weights.append(w)
        return MutBertOutput(x, tuple(hidden) if output_hidden_states else None,
                             tuple(weights) if output_attentions else None)

    def pool(self, last: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The configured pooler's output (what the sequence classifier reads)."""
        return self.pooler(last) if self.pooler is not None else mean_pool(last, attention_mask)


class MutBertPredictionHeadTransform(nn.Module):
    def __init__(self, cfg: MutBertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.act = cfg.activation
        self.LayerNorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.act(self.dense(x)))


class MutBertLMPredictionHead(nn.Module):
    def __init__(self, cfg: MutBertConfig) -> None:
        super().__init__()
        self.transform = MutBertPredictionHeadTransform(cfg)
        self.decoder = nn.Linear(cfg.hidden_size, cfg.vocab_size)
        self.bias = self.decoder.bias  # one tensor under two keys, as the original ties them

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.transform(x))  # type: ignore[no-any-return]


class MutBertOnlyMLMHead(nn.Module):
    def __init__(self, cfg: MutBertConfig) -> None:
        super().__init__()
        self.predictions = MutBertLMPredictionHead(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.predictions(x)  # type: ignore[no-any-return]


class MutBertForMaskedLM(nn.Module):
    """`RoPEBertForMaskedLM`: ``bert.*`` (no pooler) and ``cls.predictions.*`` (decoder tied to the words)."""

    def __init__(self, cfg: MutBertConfig) -> None:
        super().__init__()
        self.bert = MutBertModel(cfg)
        self.cls = MutBertOnlyMLMHead(cfg)
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight


class MutBertForSequenceClassification(nn.Module):
    """`RoPEBertForSequenceClassification`: ``bert.*`` with its pooler, dropout, ``classifier``."""

    def __init__(self, cfg: MutBertConfig, num_labels: int) -> None:
        super().__init__()
        self.bert = MutBertModel(cfg, pooler=True)
        p = cfg.classifier_dropout if cfg.classifier_dropout is not None else cfg.hidden_dropout_prob
        self.dropout = nn.Dropout(p)
        self.classifier = nn.Linear(cfg.hidden_size, num_labels)

    def head(self, last: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.bert.pool(last, attention_mask)))  # type: ignore[no-any-return]


def build(config: dict[str, Any], *, num_labels: int | None = None) -> nn.Module:
    """The masked-LM model, or the sequence classifier with `num_labels`, on the meta device."""
    cfg = MutBertConfig.from_dict(config)
    with torch.device("meta"):
        if num_labels is None:
            return MutBertForMaskedLM(cfg)
        return MutBertForSequenceClassification(cfg, num_labels)
