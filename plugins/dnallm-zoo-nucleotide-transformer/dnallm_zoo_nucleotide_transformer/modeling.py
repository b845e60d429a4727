"""Native plain-torch Nucleotide Transformer v2: rotary positions, a fused SwiGLU without biases, pre-LN.

Faithful to the hub's remote ``modeling_esm.py`` of the v2 checkpoints (transformers 4.28's ESM with
the feed-forward replaced) without ``trust_remote_code``. Attribute names are the checkpoint
contract, so ``state_dict()`` keys are exactly the original ones::

    esm.embeddings.word_embeddings.weight
    esm.embeddings.position_embeddings.weight          # in the files, unused by rotary attention
    esm.encoder.layer.N.attention.LayerNorm.*          # pre-LN before attention
    esm.encoder.layer.N.attention.self.{query,key,value}.*
    esm.encoder.layer.N.attention.self.rotary_embeddings.inv_freq   # a saved buffer
    esm.encoder.layer.N.attention.output.dense.*
    esm.encoder.layer.N.LayerNorm.*                    # pre-LN before the feed-forward
    esm.encoder.layer.N.intermediate.dense.weight      # [2 * intermediate, hidden]: gate rows, value rows
    esm.encoder.layer.N.output.dense.weight            # [hidden, intermediate]
    esm.encoder.emb_layer_norm_after.*
    esm.contact_head.regression.*                      # in the files, unused
    lm_head.{dense,layer_norm,decoder}.*, lm_head.bias

A layer computes ``h = x + W_o attn(LN1 x)``, then ``h + W_2 (silu(g) * v)`` with ``(g, v)`` the two
halves of ``W_1 LN2 h``. Attention scales the query by ``d**-0.5`` before the rotary rotation (positions
0..T-1 of the padded batch, as the original), adds the key mask, and runs as
:func:`torch.nn.functional.scaled_dot_product_attention` (explicit softmax when attentions are asked
for). Linear layers and the feed-forward run on the real tokens only (padding removed, re-inserted
for attention); padded positions come out exactly 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "NTv2Config",
    "NTv2ForMaskedLM",
    "NTv2LMHead",
    "NTv2Layer",
    "NTv2Model",
    "NTv2Output",
    "rotary_tables",
]

ROTARY_BASE = 10000.0
POSITION_TYPES = ("rotary",)


@dataclass(frozen=True)
class NTv2Config:
    """The architecture keys of a v2 config.json (others are ignored)."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    pad_token_id: int = 1
    mask_token_id: int = 2
    layer_norm_eps: float = 1e-12
    add_bias_fnn: bool = True  # the remote EsmConfig's default; the v2 files set false
    position_embedding_type: str = "absolute"
    emb_layer_norm_before: bool | None = None
    token_dropout: bool = False
    hidden_dropout_prob: float = 0.0
    attention_probs_dropout_prob: float = 0.0

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> NTv2Config:
        names = {f.name for f in fields(cls)}
        cfg = cls(**{k: v for k, v in config.items() if k in names and v is not None})
        if cfg.hidden_size % cfg.num_attention_heads:
            raise ValueError(f"hidden_size {cfg.hidden_size} is not a multiple of num_attention_heads "
                             f"{cfg.num_attention_heads}")
        return cfg

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads


@dataclass
class NTv2Output:
    last_hidden_state: torch.Tensor
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


def rotary_tables(
    inv_freq: torch.Tensor, length: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin [length, head_dim] in float32: positions 0..length-1, frequencies repeated twice."""
    t = torch.arange(length, device=device, dtype=torch.float32)
    freqs = torch.outer(t, inv_freq.to(device=device, dtype=torch.float32))
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return (x * cos + torch.cat((-x2, x1), dim=-1) * sin).to(x.dtype)


class NTv2RotaryEmbedding(nn.Module):
    """Holds the original's saved ``inv_freq`` buffer (1 / 10000^(2i/d))."""

    inv_freq: torch.Tensor

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("inv_freq", 1.0 / (ROTARY_BASE ** (torch.arange(0, dim, 2).float() / dim)))


class NTv2SelfAttention(nn.Module):
    def __init__(self, config: NTv2Config) -> None:
        super().__init__()
        h = config.hidden_size
        self.num_heads, self.head_dim = config.num_attention_heads, config.head_dim
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.rotary_embeddings = NTv2RotaryEmbedding(self.head_dim)
        self.dropout = config.attention_probs_dropout_prob


class NTv2SelfOutput(nn.Module):
    def __init__(self, config: NTv2Config) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)


class NTv2Attention(nn.Module):
    def __init__(self, config: NTv2Config) -> None:
        super().__init__()
        self.self = NTv2SelfAttention(config)
        self.output = NTv2SelfOutput(config)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)


class NTv2Intermediate(nn.Module):
    """The fused gate and value projection: ``dense.weight`` rows [0, I) gate (SiLU), [I, 2I) value."""

    def __init__(self, config: NTv2Config) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, 2 * config.intermediate_size, bias=config.add_bias_fnn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, value = self.dense(x).chunk(2, dim=-1)
        return F.silu(gate) * value


class NTv2FFOutput(nn.Module):
    def __init__(self, config: NTv2Config) -> None:
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size, bias=config.add_bias_fnn)


class NTv2Layer(nn.Module):
    def __init__(self, config: NTv2Config) -> None:
        super().__init__()
        self.attention = NTv2Attention(config)
        self.intermediate = NTv2Intermediate(config)
        self.output = NTv2FFOutput(config)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.hidden_dropout = config.hidden_dropout_prob

    def forward(
        self, x: torch.Tensor, *, index: torch.Tensor, shape: tuple[int, int], key_mask: torch.Tensor,
        want_attention: bool,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """`x`: [real tokens, hidden]; `index` their flat positions in the padded [batch, T] grid."""
        att = self.attention
        sa = att.self
        b, t = shape
        h = att.LayerNorm(x)
        q, k, v = sa.query(h), sa.key(h), sa.value(h)
        grid = torch.zeros(3, b * t, q.shape[-1], dtype=q.dtype, device=q.device)
        grid[:, index] = torch.stack((q, k, v))
        q, k, v = grid.view(3, b, t, sa.num_heads, sa.head_dim).transpose(2, 3).unbind(0)
        rotary: NTv2RotaryEmbedding = sa.rotary_embeddings  # a submodule
        cos, sin = rotary_tables(rotary.inv_freq, t, q.device)  # this layer's saved buffer
        q = _rotate(q * sa.head_dim**-0.5, cos, sin)
        k = _rotate(k, cos, sin)
        dropout = sa.dropout if self.training else 0.0
        probs = None
        if want_attention:
            scores = q @ k.transpose(-1, -2)
            scores = scores.masked_fill(~key_mask, torch.finfo(scores.dtype).min)
            probs = scores.softmax(-1)
            ctx = F.dropout(probs, dropout, self.training) @ v
        else:
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask, dropout_p=dropout, scale=1.0)
        ctx = ctx.transpose(1, 2).reshape(b * t, -1)[index]
        x = x + F.dropout(att.output.dense(ctx), self.hidden_dropout, self.training)
        ff = self.output.dense(self.intermediate(self.LayerNorm(x)))
        return x + F.dropout(ff, self.hidden_dropout, self.training), probs


class NTv2Embeddings(nn.Module):
    def __init__(self, config: NTv2Config) -> None:
        super().__init__()
        h = config.hidden_size
        self.word_embeddings = nn.Embedding(config.vocab_size, h, padding_idx=config.pad_token_id)
        # in every v2 file (the remote EsmEmbeddings always builds it); rotary attention never reads it
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, h,
                                                padding_idx=config.pad_token_id)
        self.layer_norm = nn.LayerNorm(h, eps=config.layer_norm_eps) if config.emb_layer_norm_before else None
        self.token_dropout = config.token_dropout
        self.mask_token_id = config.mask_token_id

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = self.word_embeddings(input_ids)
        if self.token_dropout:  # ESM's mask-dropout rescaling; src lengths count the real tokens
            masked = input_ids == self.mask_token_id
            x = x.masked_fill(masked.unsqueeze(-1), 0.0)
            observed = masked.sum(-1).float() / attention_mask.sum(-1)
            x = (x * (1 - 0.15 * 0.8) / (1 - observed)[:, None, None]).to(x.dtype)
        if self.layer_norm is not None:
            x = self.layer_norm(x)
        return (x * attention_mask.unsqueeze(-1)).to(x.dtype)


class NTv2Encoder(nn.Module):
    def __init__(self, config: NTv2Config) -> None:
        super().__init__()
        self.layer = nn.ModuleList(NTv2Layer(config) for _ in range(config.num_hidden_layers))
        self.emb_layer_norm_after = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)


class NTv2ContactHead(nn.Module):
    """In every v2 file (ESM's contact predictor); never trained for DNA, never run here."""

    def __init__(self, config: NTv2Config) -> None:
        super().__init__()
        self.regression = nn.Linear(config.num_hidden_layers * config.num_attention_heads, 1)


class NTv2Model(nn.Module):
    """The encoder: ``embeddings``, ``encoder`` (layers, final layer norm), ``contact_head``."""

    def __init__(self, config: NTv2Config) -> None:
        super().__init__()
        self.config = config
        self.embeddings = NTv2Embeddings(config)
        self.encoder = NTv2Encoder(config)
        self.contact_head = NTv2ContactHead(config)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, *,
        output_hidden_states: bool = False, output_attentions: bool = False,
    ) -> NTv2Output:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        b, t = input_ids.shape
        x = self.embeddings(input_ids, attention_mask)
        real = attention_mask.reshape(-1).bool()
        index = real.nonzero().squeeze(1)
        key_mask = attention_mask.bool()[:, None, None, :]
        hidden: list[torch.Tensor] = [x] if output_hidden_states else []
        probs: list[torch.Tensor] = []
        flat = x.reshape(b * t, -1)[index]
        for layer in self.encoder.layer:
            flat, p = layer(flat, index=index, shape=(b, t), key_mask=key_mask,
                            want_attention=output_attentions)
            if output_hidden_states:
                hidden.append(self._pad(flat, index, b, t))
            if p is not None:
                probs.append(p)
        last = self._pad(self.encoder.emb_layer_norm_after(flat), index, b, t)
        if output_hidden_states:
            hidden[-1] = last  # as transformers' ESM: the last entry is after the final layer norm
        return NTv2Output(last, tuple(hidden) if output_hidden_states else None,
                          tuple(probs) if output_attentions else None)

    @staticmethod
    def _pad(flat: torch.Tensor, index: torch.Tensor, b: int, t: int) -> torch.Tensor:
        out = flat.new_zeros(b * t, flat.shape[-1])
        out[index] = flat
        return out.view(b, t, -1)


class NTv2LMHead(nn.Module):
    """ESM's masked-LM head: dense, exact GELU, layer norm, decoder (no bias) plus ``bias``."""

    def __init__(self, config: NTv2Config) -> None:
        super().__init__()
        h = config.hidden_size
        self.dense = nn.Linear(h, h)
        self.layer_norm = nn.LayerNorm(h, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(h, config.vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.dense(x)
        x = x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))
        return self.decoder(self.layer_norm(x)) + self.bias


class NTv2ForMaskedLM(nn.Module):
    """``esm`` (no pooler) and ``lm_head``: the original ``EsmForMaskedLM`` keys."""

    def __init__(self, config: NTv2Config) -> None:
        super().__init__()
        self.config = config
        self.esm = NTv2Model(config)
        self.lm_head = NTv2LMHead(config)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.lm_head(self.esm(input_ids, attention_mask).last_hidden_state)
