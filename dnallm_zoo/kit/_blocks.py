"""Building blocks for encoders transformers lacks, placed under each original layout's key names.

A network is a `Net` (the recurring choices of DNA encoders: pre- or post-layer-norm, learned / rotary /
ALiBi positions, GELU or gated feed-forward, separate or fused QKV, a final norm) and a `Layout`: the
original checkpoint's dotted path of each part. The modules sit at those paths, so `state_dict()` has
the original keys (strict loading, saving in the original layout, peft's LoRA on the original module
names) with no renaming step. `BERT_LAYOUT` is transformers' BERT; a family changes the paths that
differ (GENA-LM: ``attn_norm -> pre_attention_ln``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "BERT_LAYOUT",
    "BlockEmbeddings",
    "BlockLayer",
    "BlockStack",
    "Layout",
    "Net",
    "alibi_slopes",
    "rotate_half",
]

Layout = Mapping[str, str]

#: transformers' BERT: part -> dotted path (embeddings' under `embeddings`, a layer's under `layer.N`)
BERT_LAYOUT: dict[str, str] = {
    "word": "embeddings.word_embeddings",
    "position": "embeddings.position_embeddings",
    "token_type": "embeddings.token_type_embeddings",
    "embed_norm": "embeddings.LayerNorm",
    "layers": "encoder.layer",
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "qkv": "attention.self.Wqkv",
    "o": "attention.output.dense",
    "attn_norm": "attention.output.LayerNorm",
    "ffn_in": "intermediate.dense",
    "ffn_out": "output.dense",
    "ffn_norm": "output.LayerNorm",
    "final_norm": "encoder.final_norm",
}


@dataclass(frozen=True)
class Net:
    """The network's shape and the choices that differ between DNA encoders."""

    vocab_size: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    max_positions: int = 512
    norm: Literal["post", "pre"] = "post"  #: post: LN(x + f(x)) (BERT); pre: x + f(LN(x))
    final_norm: bool = False  #: a norm after the last layer (pre-LN networks)
    positions: Literal["learned", "rotary", "alibi", "none"] = "learned"
    rotary_dim: int | None = None  #: rotary on the first dims of each head (None: all)
    rotary_base: float = 10000.0
    ffn: Literal["plain", "gated"] = "plain"  #: gated: act(first half) * second half (GLU)
    act: str = "gelu"  #: gelu (erf), gelu_new (tanh), relu, silu
    qkv: Literal["separate", "fused"] = "separate"
    bias: bool = True
    eps: float = 1e-12
    type_vocab_size: int = 2  #: 0: no token-type embeddings
    embed_norm: bool = True
    pad_token_id: int | None = None
    dropout: float = 0.1  #: on embeddings and each sublayer's output (training only)
    attn_dropout: float = 0.1  #: on the attention weights (training only)

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    def with_(self, **changes: object) -> Net:
        return replace(self, **changes)  # type: ignore[arg-type]


_ACT = {"gelu": F.gelu, "gelu_new": lambda x: F.gelu(x, approximate="tanh"), "relu": F.relu, "silu": F.silu}


def _place(root: nn.Module, path: str, module: nn.Module) -> None:
    """Set `module` at a dotted path under `root`, creating empty containers on the way."""
    *parents, leaf = path.split(".")
    node = root
    for name in parents:
        if name not in node._modules:
            node.add_module(name, nn.Module())
        node = node._modules[name]  # type: ignore[assignment]
    node.add_module(leaf, module)


class _Parts(nn.Module):
    """Modules at layout paths; `self.part(name)` finds one (resolved each call: peft may swap leaves)."""

    def __init__(self, layout: Layout) -> None:
        super().__init__()
        self._paths = dict(layout)

    def put(self, name: str, module: nn.Module) -> None:
        _place(self, self._paths[name], module)

    def part(self, name: str) -> Any:
        return self.get_submodule(self._paths[name])


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """GPT-NeoX rotary's half rotation: (x1, x2) -> (-x2, x1)."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def alibi_slopes(heads: int) -> torch.Tensor:
    """ALiBi's per-head slopes (Press et al.; the closest power of two, then interleaved), as MosaicBERT."""
    def powers(n: int) -> list[float]:
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start ** (i + 1) for i in range(n)]
    p = 2 ** math.floor(math.log2(heads))
    slopes = powers(p) if p == heads else powers(p) + powers(2 * p)[0::2][: heads - p]
    return torch.tensor(slopes, device="cpu")


class BlockEmbeddings(_Parts):
    """Token (+ learned position) (+ token-type) embeddings, then a norm (BERT's, post-embedding)."""

    def __init__(self, net: Net, layout: Layout) -> None:
        super().__init__(layout)
        self.net = net
        self.put("word", nn.Embedding(net.vocab_size, net.hidden, padding_idx=net.pad_token_id))
        if net.positions == "learned":
            self.put("position", nn.Embedding(net.max_positions, net.hidden))
        if net.type_vocab_size:
            self.put("token_type", nn.Embedding(net.type_vocab_size, net.hidden))
        if net.embed_norm:
            self.put("embed_norm", nn.LayerNorm(net.hidden, eps=net.eps))
        self.dropout = nn.Dropout(net.dropout)

    def forward(self, input_ids: torch.Tensor | None = None,
                inputs_embeds: torch.Tensor | None = None) -> torch.Tensor:
        x = self.part("word")(input_ids) if inputs_embeds is None else inputs_embeds
        t = x.shape[1]
        if self.net.positions == "learned":
            x = x + self.part("position").weight[:t]
        if self.net.type_vocab_size:
            x = x + self.part("token_type").weight[0]
        if self.net.embed_norm:
            x = self.part("embed_norm")(x)
        return self.dropout(x)  # type: ignore[no-any-return]


class BlockLayer(_Parts):
    """One transformer layer: attention and feed-forward, each with its norm before or after the residual."""

    def __init__(self, net: Net, layout: Layout) -> None:
        super().__init__(layout)
        self.net = net
        h, b = net.hidden, net.bias
        if net.qkv == "fused":
            self.put("qkv", nn.Linear(h, 3 * h, bias=b))
        else:
            for name in ("q", "k", "v"):
                self.put(name, nn.Linear(h, h, bias=b))
        self.put("o", nn.Linear(h, h, bias=b))
        self.put("attn_norm", nn.LayerNorm(h, eps=net.eps))
        self.put("ffn_in", nn.Linear(h, net.intermediate * (2 if net.ffn == "gated" else 1), bias=b))
        self.put("ffn_out", nn.Linear(net.intermediate, h, bias=b))
        self.put("ffn_norm", nn.LayerNorm(h, eps=net.eps))
        self.dropout = nn.Dropout(net.dropout)
        self.act = _ACT[net.act]

    def _attend(self, x: torch.Tensor, bias: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None,
                  weights: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Self-attention with an additive [B, H or 1, T or 1, T] bias SDPA unless `weights`."""
        n, t, _ = x.shape
        shape = (n, t, self.net.heads, self.net.head_dim)
        if self.net.qkv == "fused":
            q, k, v = (z.view(shape).transpose(1, 2) for z in self.part("qkv")(x).chunk(3, dim=-1))
        else:
            q, k, v = (self.part(p)(x).view(shape).transpose(1, 2) for p in ("q", "k", "v"))
        if rope is not None:
            q, k = _rotary(q, rope), _rotary(k, rope)
        p = self.net.attn_dropout if self.training else 0.0
        if weights:
            probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.net.head_dim) + bias, dim=-1)
            ctx = F.dropout(probs, p) @ v
        else:
            probs = None
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype), dropout_p=p)
        return self.part("o")(ctx.transpose(1, 2).reshape(n, t, -1)), probs

    def _feed_forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.part("ffn_in")(x)
        if self.net.ffn == "gated":
            a, g = y.chunk(2, dim=-1)
            y = self.act(a) * g
        else:
            y = self.act(y)
        return self.part("ffn_out")(y)  # type: ignore[no-any-return]

    def forward(self, x: torch.Tensor, bias: torch.Tensor,
                rope: tuple[torch.Tensor, torch.Tensor] | None = None,
                weights: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        an, fn = self.part("attn_norm"), self.part("ffn_norm")
        if self.net.norm == "pre":
            a, probs = self._attend(an(x), bias, rope, weights)
            x = x + self.dropout(a)
            return x + self.dropout(self._feed_forward(fn(x))), probs
        a, probs = self._attend(x, bias, rope, weights)
        x = an(x + self.dropout(a))
        return fn(x + self.dropout(self._feed_forward(x))), probs


def _rotary(x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    cos, sin = rope
    d = cos.shape[-1]
    rot, keep = x[..., :d], x[..., d:]
    return torch.cat((rot * cos + rotate_half(rot) * sin, keep), dim=-1)


class BlockStack(_Parts):
    """Embeddings, layers and an optional final norm at the layout's paths (BERT's `bert.*`, no prefix)."""

    def __init__(self, net: Net, layout: Layout = BERT_LAYOUT) -> None:
        super().__init__(layout)
        self.net = net
        emb_layout = {k: v.partition(".")[2] for k, v in layout.items() if v.startswith("embeddings.")}
        layer_layout = {k: layout[k] for k in ("q", "k", "v", "qkv", "o", "attn_norm", "ffn_in", "ffn_out",
                                               "ffn_norm") if k in layout}
        _place(self, layout["word"].partition(".")[0], BlockEmbeddings(net, emb_layout))
        self.put("layers", nn.ModuleList(BlockLayer(net, layer_layout) for _ in range(net.layers)))
        if net.final_norm:
            self.put("final_norm", nn.LayerNorm(net.hidden, eps=net.eps))
        if net.positions == "rotary":
            d = net.rotary_dim or net.head_dim
            inv = 1.0 / (net.rotary_base ** (torch.arange(0, d, 2, dtype=torch.float32, device="cpu") / d))
            self.register_buffer("inv_freq", inv, persistent=False)
        if net.positions == "alibi":
            self.register_buffer("slopes", alibi_slopes(net.heads), persistent=False)

    def embedder(self) -> BlockEmbeddings:
        """The embeddings module (at the layout's ``embeddings`` path)."""
        return self.get_submodule(self._paths["word"].partition(".")[0])  # type: ignore[return-value]

    def position_bias(self, attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """The additive attention bias: padding keys at the dtype's minimum, plus ALiBi's -slope * |i - j|."""
        bias = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(dtype).min
        if self.net.positions == "alibi":
            t = attention_mask.shape[1]
            pos = torch.arange(t, device=attention_mask.device)
            dist = (pos[None, :] - pos[:, None]).abs().to(torch.float32)
            slopes: torch.Tensor = self.get_buffer("slopes")
            bias = bias - slopes.to(attention_mask.device)[None, :, None, None] * dist
        return bias

    def rope(self, t: int, device: torch.device,
             dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor] | None:
        """cos and sin of the rotary angles for `t` positions ([t, rotary_dim]), or None."""
        if self.net.positions != "rotary":
            return None
        inv: torch.Tensor = self.get_buffer("inv_freq")
        freqs = torch.outer(torch.arange(t, device=device, dtype=torch.float32), inv.to(device))
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(dtype), emb.sin().to(dtype)

    def forward(
        self,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor,
        *,
        inputs_embeds: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...] | None, tuple[torch.Tensor, ...] | None]:
        """last hidden state, hidden states (embeddings, then each layer; the last one after the final
        norm), attention weights per layer."""
        x = self.embedder()(input_ids, inputs_embeds)
        bias = self.position_bias(attention_mask, x.dtype)
        rope = self.rope(x.shape[1], x.device, x.dtype)
        states: list[torch.Tensor] = [x]
        probs: list[torch.Tensor] = []
        layers = self.part("layers")
        for layer in layers:
            x, p = layer(x, bias, rope, output_attentions)
            states.append(x)
            if p is not None:
                probs.append(p)
        if self.net.final_norm:
            x = self.part("final_norm")(x)
            states[-1] = x
        return (x, tuple(states) if output_hidden_states else None,
                tuple(probs) if output_attentions else None)
