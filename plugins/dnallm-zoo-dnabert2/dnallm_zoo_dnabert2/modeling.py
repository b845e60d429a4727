"""Native plain-torch DNABERT-2 (MosaicBERT) encoder and masked-LM head.

Faithful to ``bert_layers.py`` of ``zhihan1996/DNABERT-2-117M`` without ``trust_remote_code``,
Triton or transformers: no position embeddings, ALiBi attention biases, fused ``Wqkv``, a gated
GELU MLP and post-LayerNorm. The classes are named after the original ones with a ``MosaicBert``
prefix. Module and attribute names are the checkpoint contract: they make ``state_dict()`` keys
exactly the original ones (``bert.encoder.layer.0.attention.self.Wqkv.weight``,
``...mlp.layernorm.weight`` in lower case, ``...LayerNorm`` in TensorFlow case elsewhere; a bare
:class:`MosaicBertModel`, as DNABERT-S saves it, has the same keys without ``bert.``), so an
original ``pytorch_model.bin`` loads unmapped. There is no pooler (the checkpoints hold none that
was trained) and the ALiBi table is no buffer (nothing of it is saved).

Like the original, any length runs: the ALiBi table is built on first use and rebuilt larger when
a longer batch comes (``alibi_starting_size`` only sized the original's first table), one table per
device and dtype. Padded tokens are removed before the linear layers (they cost nothing) and
re-inserted as exact zeros; attention runs on the padded batch with the ALiBi + key-mask bias as
``attn_mask`` of :func:`torch.nn.functional.scaled_dot_product_attention`. ``output_attentions=True``
runs the original's eager path instead (``softmax(q k^T / sqrt(d) + bias)``, padded query rows from
zero ``q`` as the original's ``pad_input`` leaves them) and returns its weights, which the original
computes but never returns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import MISSING, dataclass, fields
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "ALIBI_CACHE_BYTES",
    "TIED_KEYS",
    "DNABERT2Config",
    "MosaicBertEmbeddings",
    "MosaicBertEncoder",
    "MosaicBertForMaskedLM",
    "MosaicBertGatedLinearUnitMLP",
    "MosaicBertLMPredictionHead",
    "MosaicBertLayer",
    "MosaicBertMaskedLMOutput",
    "MosaicBertModel",
    "MosaicBertModelOutput",
    "MosaicBertOnlyMLMHead",
    "MosaicBertPredictionHeadTransform",
    "MosaicBertSelfOutput",
    "MosaicBertUnpadAttention",
    "MosaicBertUnpadSelfAttention",
    "alibi_bias",
    "alibi_slopes",
    "build_mlm_model",
    "build_model",
]

# Key-mask value of the original (added to the ALiBi bias, not -inf): a padded key gets -10000.
MASK_BIAS = -10000.0

# The original BertPredictionHeadTransform hard-codes eps=1e-12 whatever the config says.
HEAD_LAYER_NORM_EPS = 1e-12

#: alias key -> source key of the masked-LM model: the decoder weight IS the word-embedding matrix
#: (a checkpoint may hold it, equal to its source, or not; the loader re-ties it)
TIED_KEYS = {"cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight"}

#: the largest ALiBi table kept between forwards (bytes; 256 MiB is 12 heads x 2364^2 float32);
#: a longer batch builds its table for that forward only, so memory is the forward's, not kept
ALIBI_CACHE_BYTES = 256 * 2**20
# Cached tables are built this many positions at a time, so lengths growing by a few tokens do
# not rebuild the table every batch (and a sliced table's row stride stays aligned for SDPA kernels).
_ALIBI_STEP = 128


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DNABERT2Config:
    """Architecture hyper-parameters read from an original DNABERT-2 ``config.json``."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    # Defaults below are those of the original MosaicBERT/transformers BertConfig classes.
    alibi_starting_size: int = 512
    layer_norm_eps: float = 1e-12
    type_vocab_size: int = 2
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.0

    def __post_init__(self) -> None:
        """Validate types and shapes so a bad config fails here, not deep in a forward."""
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "int":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"DNABERT-2 config: {f.name} must be an int, got {value!r}")
                if value < 1:
                    raise ValueError(f"DNABERT-2 config: {f.name} must be positive, got {value!r}")
            else:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise TypeError(f"DNABERT-2 config: {f.name} must be a number, got {value!r}")
                object.__setattr__(self, f.name, float(value))
        if self.layer_norm_eps <= 0:
            raise ValueError(f"DNABERT-2 config: layer_norm_eps must be > 0, got {self.layer_norm_eps}")
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"DNABERT-2 config: {name} must be in [0, 1), got {getattr(self, name)}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"DNABERT-2 config: hidden_size ({self.hidden_size}) is not a multiple of "
                f"num_attention_heads ({self.num_attention_heads})"
            )

    @property
    def head_dim(self) -> int:
        """Size of one attention head."""
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DNABERT2Config:
        """Build from an original ``config.json`` dict; unrelated keys are ignored."""
        names = [f.name for f in fields(cls)]
        required = [f.name for f in fields(cls) if f.default is MISSING]
        missing = [name for name in required if name not in d]
        if missing:
            raise ValueError(f"DNABERT-2 config.json lacks required key(s) {missing}; required: {required}")
        act = d.get("hidden_act", "gelu")
        if act != "gelu":
            # The MLM head applies config.hidden_act; every DNABERT-2 checkpoint says exact "gelu".
            raise ValueError(f"DNABERT-2 config: hidden_act {act!r} is not supported (only 'gelu')")
        return cls(**{name: d[name] for name in names if name in d})

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (original key names)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


# --------------------------------------------------------------------------------------------
# ALiBi
# --------------------------------------------------------------------------------------------
def alibi_slopes(num_heads: int) -> list[float]:
    """ALiBi slopes, MosaicBERT head order (12 heads: 2^-1..2^-8, 2^-0.5, -1.5, -2.5, -3.5)."""
    if isinstance(num_heads, bool) or not isinstance(num_heads, int) or num_heads < 1:
        raise ValueError(f"num_heads must be a positive int, got {num_heads!r}")

    def power_of_2(n: int) -> list[float]:
        # Same float expression as the original, so the float32 slopes are bit-identical.
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start**i for i in range(n)]

    if math.log2(num_heads).is_integer():
        return power_of_2(num_heads)
    closest = 2 ** math.floor(math.log2(num_heads))
    return power_of_2(closest) + alibi_slopes(2 * closest)[0::2][: num_heads - closest]


def alibi_bias(num_heads: int, length: int, *, device: torch.device | str | None = None) -> torch.Tensor:
    """Float32 ALiBi bias ``-slope[h] * |i - j|`` of shape ``[1, heads, length, length]``."""
    pos = torch.arange(length, device=device)
    distance = (pos[None, :] - pos[:, None]).abs_().to(torch.float32)
    slopes = torch.tensor(alibi_slopes(num_heads), dtype=torch.float32, device=device)
    return (distance * -slopes[:, None, None]).unsqueeze(0)


class _Padding(NamedTuple):
    """Where the real tokens of a padded ``[batch, seq]`` batch are (``None`` rows: no padding)."""

    batch: int
    seqlen: int
    rows: torch.Tensor | None  # batch index of each real token, [nnz]
    cols: torch.Tensor | None  # position of each real token, [nnz]

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        """``[nnz, C]`` real-token rows to ``[batch, seq, C]`` with exact zeros at padding."""
        if self.rows is None:
            return x.view(self.batch, self.seqlen, x.shape[-1])
        out = x.new_zeros(self.batch, self.seqlen, x.shape[-1])
        out[self.rows, self.cols] = x
        return out

    def unpad(self, x: torch.Tensor) -> torch.Tensor:
        """``[batch, seq, ...]`` to the ``[nnz, ...]`` rows of real tokens."""
        if self.rows is None:
            return x.reshape(self.batch * self.seqlen, *x.shape[2:])
        return x[self.rows, self.cols]


# --------------------------------------------------------------------------------------------
# Modules (attribute names are the checkpoint's key names)
# --------------------------------------------------------------------------------------------
class MosaicBertEmbeddings(nn.Module):
    """Word + token-type embeddings and LayerNorm; no position embeddings (ALiBi)."""

    def __init__(self, config: DNABERT2Config) -> None:
        """Create the embedding tables."""
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        # "LayerNorm" keeps the TensorFlow-era checkpoint name.
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout_prob = config.hidden_dropout_prob

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Embed ``[batch, seq]`` ids to ``[batch, seq, hidden]``."""
        x = self.word_embeddings(input_ids)
        if token_type_ids is None:
            x = x + self.token_type_embeddings.weight[0]  # type 0 everywhere, no gather needed
        else:
            x = x + self.token_type_embeddings(token_type_ids)
        x = self.LayerNorm(x)
        return F.dropout(x, self.dropout_prob, self.training)


class MosaicBertUnpadSelfAttention(nn.Module):
    """Fused-QKV multi-head self-attention with an additive (ALiBi + key-mask) bias."""

    def __init__(self, config: DNABERT2Config) -> None:
        """Create the fused ``Wqkv`` projection (columns Q | K | V, heads contiguous)."""
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = config.head_dim
        self.dropout_prob = config.attention_probs_dropout_prob
        self.Wqkv = nn.Linear(config.hidden_size, 3 * config.hidden_size)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor,
        padding: _Padding,
        output_attentions: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attend over ``[nnz, hidden]`` rows; ``bias`` is ``[1 or batch, heads, seq, seq]``.

        Returns the ``[nnz, hidden]`` context and, with ``output_attentions``, the ``[batch, heads,
        seq, seq]`` weights of the original's eager path (else None).
        """
        nh, hd = self.num_attention_heads, self.attention_head_size
        qkv = padding.pad(self.Wqkv(hidden_states))  # [batch, seq, 3 * hidden]
        qkv = qkv.view(padding.batch, padding.seqlen, 3, nh, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # each [batch, heads, seq, head_dim]
        dropout_p = self.dropout_prob if self.training else 0.0
        probs = None
        if output_attentions:  # the original's eager attention, weights kept
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd) + bias.to(q.dtype)
            probs = torch.softmax(scores, dim=-1)
            out = torch.matmul(F.dropout(probs, dropout_p, self.training), v)
        else:
            out = F.scaled_dot_product_attention(
                q, k, v, attn_mask=bias.to(q.dtype), dropout_p=dropout_p, scale=1.0 / math.sqrt(hd),
            )
        out = padding.unpad(out.transpose(1, 2))  # [nnz, heads, head_dim]
        return out.reshape(out.shape[0], nh * hd), probs


class MosaicBertSelfOutput(nn.Module):
    """Attention output projection, residual and post-LayerNorm."""

    def __init__(self, config: DNABERT2Config) -> None:
        """Create the projection and LayerNorm."""
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout_prob = config.hidden_dropout_prob

    def forward(self, hidden_states: torch.Tensor, input_tensor: torch.Tensor) -> torch.Tensor:
        """Return ``LayerNorm(dense(hidden_states) + input_tensor)``."""
        x = F.dropout(self.dense(hidden_states), self.dropout_prob, self.training)
        return self.LayerNorm(x + input_tensor)


class MosaicBertUnpadAttention(nn.Module):
    """Self-attention followed by its output block (``attention.self`` / ``attention.output``)."""

    def __init__(self, config: DNABERT2Config) -> None:
        """Create the two sub-blocks under their checkpoint names."""
        super().__init__()
        self.self = MosaicBertUnpadSelfAttention(config)
        self.output = MosaicBertSelfOutput(config)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor,
        padding: _Padding,
        output_attentions: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attention block on ``[nnz, hidden]`` rows; the weights with ``output_attentions``."""
        context, probs = self.self(hidden_states, bias, padding, output_attentions)
        return self.output(context, hidden_states), probs


class MosaicBertGatedLinearUnitMLP(nn.Module):
    """Gated-GELU feed-forward block: ``layernorm(wo(gelu(g[:, :I]) * g[:, I:]) + x)``."""

    def __init__(self, config: DNABERT2Config) -> None:
        """Create ``gated_layers`` (no bias), ``wo`` and the lower-case ``layernorm``."""
        super().__init__()
        self.intermediate_size = config.intermediate_size
        self.gated_layers = nn.Linear(config.hidden_size, 2 * config.intermediate_size, bias=False)
        self.wo = nn.Linear(config.intermediate_size, config.hidden_size)
        self.layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout_prob = config.hidden_dropout_prob

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """Feed-forward block on ``[..., hidden]``; the first half goes through exact GELU."""
        gated, non_gated = self.gated_layers(hidden_states).split(self.intermediate_size, dim=-1)
        x = F.dropout(F.gelu(gated) * non_gated, self.dropout_prob, self.training)
        return self.layernorm(self.wo(x) + hidden_states)


class MosaicBertLayer(nn.Module):
    """One encoder layer: attention block then gated MLP block."""

    def __init__(self, config: DNABERT2Config) -> None:
        """Create ``attention`` and ``mlp``."""
        super().__init__()
        self.attention = MosaicBertUnpadAttention(config)
        self.mlp = MosaicBertGatedLinearUnitMLP(config)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor,
        padding: _Padding,
        output_attentions: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Run the layer on ``[nnz, hidden]`` rows; the attention weights with ``output_attentions``."""
        x, probs = self.attention(hidden_states, bias, padding, output_attentions)
        return self.mlp(x), probs


class MosaicBertEncoder(nn.Module):
    """The stack of layers; builds the ALiBi + key-mask bias once per forward, for any length.

    The ALiBi table is kept per device and dtype and rebuilt larger when a longer batch comes, as
    the original's ``rebuild_alibi_tensor`` does; it is no buffer (not in ``state_dict``), a move
    with ``.to()`` drops it, and tables over :data:`ALIBI_CACHE_BYTES` are not kept.
    """

    def __init__(self, config: DNABERT2Config) -> None:
        """Create ``layer.{i}``."""
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.layer = nn.ModuleList(MosaicBertLayer(config) for _ in range(config.num_hidden_layers))
        self._alibi: dict[tuple[torch.device, torch.dtype], torch.Tensor] = {}

    def alibi(self, seqlen: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        """``[1, heads, seq, seq]`` ALiBi bias (computed in float32, cast to ``dtype``)."""
        key = (device, dtype)
        table = self._alibi.get(key)
        if table is None or table.shape[-1] < seqlen:
            size = -(-seqlen // _ALIBI_STEP) * _ALIBI_STEP
            # Built as a normal tensor even under inference_mode, so a later training forward can
            # save it for backward.
            with torch.inference_mode(False):
                if self.num_attention_heads * size * size * dtype.itemsize > ALIBI_CACHE_BYTES:
                    return alibi_bias(self.num_attention_heads, seqlen, device=device).to(dtype)
                table = alibi_bias(self.num_attention_heads, size, device=device).to(dtype)
            self._alibi[key] = table
        return table[:, :, :seqlen, :seqlen]

    def build_bias(
        self, seqlen: int, key_mask: torch.Tensor | None, device: torch.device, dtype: torch.dtype
    ) -> torch.Tensor:
        """``-slope * |i - j| + (1 - mask[j]) * -10000`` in ``dtype``.

        Shape ``[1, heads, seq, seq]`` without padding, ``[batch, heads, seq, seq]`` with it.
        """
        bias = self.alibi(seqlen, device, dtype)
        if key_mask is None:
            return bias
        key_bias = (~key_mask).to(dtype) * MASK_BIAS  # [batch, seq]
        return bias + key_bias[:, None, None, :]

    def _apply(self, fn: Any, recurse: bool = True) -> MosaicBertEncoder:
        """``.to()``, ``.half()``, ...: drop the ALiBi tables of the old device and dtype."""
        self._alibi.clear()
        return super()._apply(fn, recurse)

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> MosaicBertModelOutput:
        """Encode ``[batch, seq, hidden]``; padded positions of every hidden state are exactly 0.0."""
        batch, seqlen = hidden_states.shape[:2]
        key_mask = None
        if attention_mask is not None:
            key_mask = attention_mask.to(device=hidden_states.device, dtype=torch.bool)
            if bool(key_mask.all()):
                key_mask = None  # no padding: skip the (un)padding and the per-batch bias
        if key_mask is None:
            padding = _Padding(batch, seqlen, None, None)
        else:
            rows, cols = key_mask.nonzero(as_tuple=True)
            padding = _Padding(batch, seqlen, rows, cols)
        bias = self.build_bias(seqlen, key_mask, hidden_states.device, hidden_states.dtype)

        x = padding.unpad(hidden_states)  # [nnz, hidden]
        all_hidden: list[torch.Tensor] | None = [padding.pad(x)] if output_hidden_states else None
        all_probs: list[torch.Tensor] = []
        for layer_module in self.layer:
            x, probs = layer_module(x, bias, padding, output_attentions)
            if probs is not None:
                all_probs.append(probs)
            if all_hidden is not None:
                all_hidden.append(padding.pad(x))
        attentions = tuple(all_probs) if output_attentions else None
        if all_hidden is not None:
            return MosaicBertModelOutput(all_hidden[-1], tuple(all_hidden), attentions)
        return MosaicBertModelOutput(padding.pad(x), None, attentions)


class MosaicBertModelOutput(NamedTuple):
    """Output of :class:`MosaicBertModel`: ``(last_hidden_state, hidden_states, attentions)``."""

    last_hidden_state: torch.Tensor
    hidden_states: tuple[torch.Tensor, ...] | None
    #: per layer ``[batch, heads, seq, seq]`` (``output_attentions=True``), else None
    attentions: tuple[torch.Tensor, ...] | None = None


class MosaicBertMaskedLMOutput(NamedTuple):
    """:class:`MosaicBertForMaskedLM`'s output: ``(logits, last_hidden_state, hidden_states, attentions)``."""

    logits: torch.Tensor
    last_hidden_state: torch.Tensor
    hidden_states: tuple[torch.Tensor, ...] | None
    attentions: tuple[torch.Tensor, ...] | None = None


def _check_inputs(
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None,
    token_type_ids: torch.Tensor | None,
) -> None:
    """Raise ValueError on inputs the forward pass cannot handle."""
    if input_ids.dim() != 2:
        raise ValueError(f"input_ids must be [batch, seq], got shape {tuple(input_ids.shape)}")
    for name, t in (("attention_mask", attention_mask), ("token_type_ids", token_type_ids)):
        if t is not None and t.shape != input_ids.shape:
            raise ValueError(
                f"{name} shape {tuple(t.shape)} differs from input_ids shape {tuple(input_ids.shape)}"
            )


class MosaicBertModel(nn.Module):
    """The encoder: ``bert.*`` of the masked-LM model, or the whole of a bare one; no pooler."""

    def __init__(self, config: DNABERT2Config) -> None:
        """Create embeddings and encoder with BERT initialisation."""
        super().__init__()
        self.config = config
        self.embeddings = MosaicBertEmbeddings(config)
        self.encoder = MosaicBertEncoder(config)
        self.apply(_init_weights)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> MosaicBertModelOutput:
        """Return ``(last_hidden_state, hidden_states, attentions)``; hidden_states start at the embeddings.

        ``attention_mask`` is 1 (or True) for real tokens; padded positions of every returned
        hidden state, the embedding output included, are exactly 0.0.
        """
        _check_inputs(input_ids, attention_mask, token_type_ids)
        x = self.embeddings(input_ids, token_type_ids)
        return self.encoder(x, attention_mask, output_hidden_states, output_attentions)


class MosaicBertPredictionHeadTransform(nn.Module):
    """MLM transform: dense, exact GELU, LayerNorm."""

    def __init__(self, config: DNABERT2Config) -> None:
        """Create ``dense`` and ``LayerNorm``."""
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=HEAD_LAYER_NORM_EPS)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """Transform ``[..., hidden]``."""
        return self.LayerNorm(F.gelu(self.dense(hidden_states)))


class MosaicBertLMPredictionHead(nn.Module):
    """Transform then ``decoder`` (weight tied to the word embeddings, own bias)."""

    def __init__(self, config: DNABERT2Config) -> None:
        """Create ``transform`` and ``decoder``; the owner ties ``decoder.weight``."""
        super().__init__()
        self.transform = MosaicBertPredictionHeadTransform(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """Return logits ``[..., vocab]``."""
        return self.decoder(self.transform(hidden_states))


class MosaicBertOnlyMLMHead(nn.Module):
    """The ``cls`` module: holds ``predictions``."""

    def __init__(self, config: DNABERT2Config) -> None:
        """Create ``predictions``."""
        super().__init__()
        self.predictions = MosaicBertLMPredictionHead(config)

    def forward(self, sequence_output: torch.Tensor) -> torch.Tensor:
        """Return MLM logits."""
        return self.predictions(sequence_output)


class MosaicBertForMaskedLM(nn.Module):
    """Encoder (``bert``) plus MLM head (``cls``), decoder weight tied to the word embeddings.

    The tie is :data:`TIED_KEYS`: load with ``dnallm_zoo.kit.load_state_dict_strict(model, sd,
    tied=TIED_KEYS)``, which accepts a checkpoint with or without the decoder weight (when present
    it must equal the embeddings) and re-ties after loading, ``assign=True`` on a meta model
    included. Call :meth:`tie_weights` after replacing parameters by other means.
    """

    def __init__(self, config: DNABERT2Config) -> None:
        """Create ``bert`` and ``cls`` and tie the decoder weight."""
        super().__init__()
        self.config = config
        self.bert = MosaicBertModel(config)
        self.cls = MosaicBertOnlyMLMHead(config)
        self.cls.apply(_init_weights)
        self.tie_weights()

    def tie_weights(self) -> None:
        """Make ``cls.predictions.decoder.weight`` the very Parameter of the word embeddings."""
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> MosaicBertMaskedLMOutput:
        """Return ``(logits, last_hidden_state, hidden_states, attentions)``; logits at every position.

        As in the original, logits of padded positions are the head applied to a zero vector.
        """
        out = self.bert(input_ids, attention_mask, token_type_ids, output_hidden_states, output_attentions)
        return MosaicBertMaskedLMOutput(self.cls(out.last_hidden_state), *out)


def _init_weights(module: nn.Module) -> None:
    """BERT initialisation (normal std 0.02, zero biases, unit LayerNorm) as in the original."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def build_model(config: DNABERT2Config, *, device: torch.device | str | None = None) -> MosaicBertModel:
    """Build the bare encoder (keys without ``bert.``, as DNABERT-S has them) in eval mode.

    ``device="meta"`` builds it without allocating weights.
    """
    with torch.device(device) if device is not None else nullcontext():
        model = MosaicBertModel(config)
    return model.eval()


def build_mlm_model(
    config: DNABERT2Config, *, device: torch.device | str | None = None
) -> MosaicBertForMaskedLM:
    """Build the masked-LM model in eval mode; ``device="meta"`` allocates nothing.

    Fill a meta model with ``load_state_dict_strict(model, state_dict, tied=TIED_KEYS)`` (see
    :class:`MosaicBertForMaskedLM`), which keeps the decoder tied to the word embeddings.
    """
    with torch.device(device) if device is not None else nullcontext():
        model = MosaicBertForMaskedLM(config)
    return model.eval()
