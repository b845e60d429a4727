"""Native plain-torch ProkBERT encoder: Megatron-BERT (pre-LN) with relative_key_query attention."""

# ProkBERT checkpoints (neuralbioinfo/prokbert-mini, -mini-long, -mini-c) are MegatronBertForMaskedLM
# with position_embedding_type="relative_key_query". transformers 5.x dropped relative attention from
# MegatronBert, so the encoder is implemented here without transformers.
#
# Attribute names are the checkpoint contract: bert.encoder.layer.{i}.attention.self.query.weight and
# friends load unmapped, with Megatron's snake-case `ln` next to the TF-style `LayerNorm` of the MLM
# head. The MLM decoder weight is the word-embedding matrix and its bias cls.predictions.bias, under
# second names (cls.predictions.decoder.*, the core's `tied_keys`, TIED_KEYS below): besides them,
# state_dict() holds exactly the keys of the original checkpoints: 3 + 17 * layers + 2 + 5 (112 for
# the six-layer models), and no buffers (older .bin files also carry bert.embeddings.position_ids:
# the loader drops it).

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "TIED_KEYS",
    "ProkBertAttention",
    "ProkBertConfig",
    "ProkBertEmbeddings",
    "ProkBertForMaskedLM",
    "ProkBertIntermediate",
    "ProkBertLMPredictionHead",
    "ProkBertLayer",
    "ProkBertLayerStack",
    "ProkBertMaskedLMOutput",
    "ProkBertModel",
    "ProkBertModelOutput",
    "ProkBertOnlyMLMHead",
    "ProkBertOutput",
    "ProkBertPredictionHeadTransform",
    "ProkBertSelfAttention",
    "ProkBertSelfOutput",
    "relative_position_scores",
]

#: alias key -> the key it shares storage with: the MLM decoder is the word-embedding matrix (the
#: decoder bias, which some files carry, is cls.predictions.bias)
TIED_KEYS = {
    "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
    "cls.predictions.decoder.bias": "cls.predictions.bias",
}

# config.json "model_type" values of the two original flavours: the transformers MegatronBert
# config (older hub revisions) and prokbert's own ProkBertConfig subclass (newer ones, with auto_map).
_MODEL_TYPES = ("megatron-bert", "prokbert")

# hidden_act name -> function, as transformers' ACT2FN defines them ("gelu" is the exact erf GELU).
_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "gelu": F.gelu,
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
}

# Keys a config must carry: the defaults of MegatronBertConfig (vocab 29056, 24 layers of 1024, ...)
# describe no ProkBERT model, so a config without them is refused rather than silently completed.
_REQUIRED_KEYS = (
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "max_position_embeddings",
)


def _int_field(d: Mapping[str, Any], key: str, default: int | None = None) -> int:
    """Read an integer config value, refusing floats, bools and strings."""
    value = d.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"ProkBERT config: {key!r} must be an integer, got {value!r}")
    return value


@dataclass(frozen=True)
class ProkBertConfig:
    """Architecture of a ProkBERT encoder, read from either original config.json flavour."""

    vocab_size: int  # embedding rows; may exceed the vocab.txt size (mini-long 4200, mini-c 20)
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    hidden_act: str = "gelu"
    position_embedding_type: str = "relative_key_query"
    pad_token_id: int | None = 0

    def __post_init__(self) -> None:
        """Validate the values so a bad config fails here, not deep inside a forward pass."""
        for name in (*_REQUIRED_KEYS, "type_vocab_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"ProkBERT config: {name} must be >= 1, got {getattr(self, name)}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"ProkBERT config: hidden_size {self.hidden_size} is not a multiple of "
                f"num_attention_heads {self.num_attention_heads}"
            )
        if self.position_embedding_type != "relative_key_query":
            raise ValueError(
                "ProkBERT config: position_embedding_type must be 'relative_key_query', got "
                f"{self.position_embedding_type!r} (absolute and relative_key are other architectures)"
            )
        if self.hidden_act not in _ACTIVATIONS:
            raise ValueError(
                f"ProkBERT config: unsupported hidden_act {self.hidden_act!r}; "
                f"supported: {sorted(_ACTIVATIONS)}"
            )
        if not self.layer_norm_eps > 0:
            raise ValueError(f"ProkBERT config: layer_norm_eps must be > 0, got {self.layer_norm_eps}")
        if self.pad_token_id is not None and not 0 <= self.pad_token_id < self.vocab_size:
            raise ValueError(
                f"ProkBERT config: pad_token_id {self.pad_token_id} outside [0, {self.vocab_size})"
            )

    @property
    def head_dim(self) -> int:
        """Width of one attention head (64 in the released models)."""
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ProkBertConfig:
        """Build from a config.json mapping ("megatron-bert" or "prokbert" flavour); extras are ignored."""
        model_type = d.get("model_type")
        if model_type is not None and model_type not in _MODEL_TYPES:
            raise ValueError(f"ProkBERT config: model_type {model_type!r} is not one of {list(_MODEL_TYPES)}")
        for flag in ("is_decoder", "add_cross_attention"):
            if d.get(flag):
                raise ValueError(f"ProkBERT config: {flag}=true is not supported (encoder only)")
        missing = [key for key in _REQUIRED_KEYS if key not in d]
        if missing:
            raise ValueError(f"ProkBERT config: missing required keys {missing}")
        hidden_act = d.get("hidden_act", "gelu")
        if not isinstance(hidden_act, str):
            raise ValueError(f"ProkBERT config: hidden_act must be a string, got {hidden_act!r}")
        eps = d.get("layer_norm_eps")
        pad = d.get("pad_token_id", 0)
        return cls(
            vocab_size=_int_field(d, "vocab_size"),
            hidden_size=_int_field(d, "hidden_size"),
            num_hidden_layers=_int_field(d, "num_hidden_layers"),
            num_attention_heads=_int_field(d, "num_attention_heads"),
            intermediate_size=_int_field(d, "intermediate_size"),
            max_position_embeddings=_int_field(d, "max_position_embeddings"),
            type_vocab_size=_int_field(d, "type_vocab_size", 2),
            layer_norm_eps=1e-12 if eps is None else float(eps),
            hidden_act=hidden_act,
            # MegatronBertConfig's default is "absolute": a config without the key is not ProkBERT.
            position_embedding_type=str(d.get("position_embedding_type", "absolute")),
            pad_token_id=None if pad is None else _int_field(d, "pad_token_id", 0),
        )


class ProkBertModelOutput(NamedTuple):
    """Encoder output; unpacks as ``(last_hidden_state, hidden_states, attentions)``."""

    last_hidden_state: torch.Tensor
    # (embedding output, layer 1 output, ..., layer N-1 output, encoder.ln(layer N output)) when
    # requested, else None: N + 1 tensors, the last one IS last_hidden_state (after the final LN).
    hidden_states: tuple[torch.Tensor, ...] | None
    # per layer, the softmax weights [B, H, L, L] when requested (output_attentions), else None
    attentions: tuple[torch.Tensor, ...] | None = None


class ProkBertMaskedLMOutput(NamedTuple):
    """Masked-LM output; unpacks as ``(logits, last_hidden_state, hidden_states, attentions)``."""

    logits: torch.Tensor
    last_hidden_state: torch.Tensor
    hidden_states: tuple[torch.Tensor, ...] | None
    attentions: tuple[torch.Tensor, ...] | None = None


# Rows (queries) or columns (keys) per block of the relative-score computation: large enough for
# efficient matmuls, small enough that the 2L-1 → L+b-1 table overlap wastes little work.
_BLOCK = 256


def _windows(x: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Return ``out[..., i, c] = x[..., i, :] . table[c + b - 1 - i]`` for x [..., b, d], table [L+b-1, d]."""
    scores = torch.matmul(x, table.transpose(0, 1)).contiguous()  # [..., b, L + b - 1]
    rows, width = scores.shape[-2:]
    # Element (i, c + b-1-i) of a row-major [b, L+b-1] block sits at b-1 + i*(L+b-2) + c: one
    # strided view (the Transformer-XL "skew"), no copy and no [L, L, d] gather.
    return scores.as_strided(
        size=(*scores.shape[:-1], width - rows + 1),
        stride=(*scores.stride()[:-2], width - 1, 1),
        storage_offset=scores.storage_offset() + rows - 1,
    )


def relative_position_scores(
    query: torch.Tensor, key: torch.Tensor, distance_weight: torch.Tensor
) -> torch.Tensor:
    """Return ``q_l.R[l,r] + k_r.R[l,r]`` [B,H,L,L] for q, k [B,H,L,d], R[l,r] = table[l - r + P - 1]."""
    # Equal to transformers 4.x's einsums bhld,lrd->bhlr + bhrd,lrd->bhlr over the (2P - 1, d)
    # distance_embedding table, without building the [L, L, d] gathered tensor: each block of b
    # query rows (key columns) is one matmul against the L + b - 1 table rows it uses, re-indexed
    # by a strided view. About 2x less work than one matmul against all 2L - 1 rows.
    batch, heads, length, _ = query.shape
    max_pos = (distance_weight.shape[0] + 1) // 2
    if length > max_pos:
        raise ValueError(f"sequence of {length} positions exceeds the distance table's {max_pos}")
    # t[j] is R for distance l - r = j - (L - 1), j = 0 .. 2L-2; flipped[m] = t[2L - 2 - m].
    table = distance_weight[max_pos - length : max_pos + length - 1].to(query.dtype)
    flipped = table.flip(0)
    out = torch.empty(batch, heads, length, length, dtype=query.dtype, device=query.device)
    for start in range(0, length, _BLOCK):
        stop = min(start + _BLOCK, length)
        rows = slice(length - stop, 2 * length - 1 - start)  # the L + b - 1 table rows this block uses
        # Query term of row l = start + i: q_l . t[l - r + L - 1] = q_l . flipped[r + L - 1 - l],
        # i.e. column r + (b - 1 - i) of the block against flipped[L - stop:].
        out[:, :, start:stop] = _windows(query[:, :, start:stop], flipped[rows])
    for start in range(0, length, _BLOCK):
        stop = min(start + _BLOCK, length)
        rows = slice(length - stop, 2 * length - 1 - start)
        # Key term of column r = start + i: k_r . t[l - r + L - 1], column l + (b - 1 - i) of the
        # block against t[L - stop:]; computed as [r, l], added transposed.
        out[:, :, :, start:stop] += _windows(key[:, :, start:stop], table[rows]).transpose(-1, -2)
    return out


class ProkBertEmbeddings(nn.Module):
    """Word + token-type embeddings; position embeddings are stored but never added (relative model)."""

    def __init__(self, config: ProkBertConfig) -> None:
        """Create the three embedding tables of the checkpoint (no embedding LayerNorm in Megatron-BERT)."""
        super().__init__()
        self.word_embeddings = nn.Embedding(
            config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id
        )
        # Present in every checkpoint, unused: MegatronBertEmbeddings adds them only for "absolute".
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Return ``word_emb[ids] + type_emb[token_type_ids or 0]``: [B, L, hidden]."""
        embeddings = self.word_embeddings(input_ids)
        if token_type_ids is None:
            # Same values as looking up type 0 for every token, without the index tensor.
            return embeddings + self.token_type_embeddings.weight[0]
        return embeddings + self.token_type_embeddings(token_type_ids)


class ProkBertSelfAttention(nn.Module):
    """Multi-head self-attention with relative_key_query position scores (Huang et al. 2020, method 4)."""

    def __init__(self, config: ProkBertConfig) -> None:
        """Create the q/k/v projections and the (2 * max_pos - 1, head_dim) distance table."""
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = config.head_dim
        self.max_position_embeddings = config.max_position_embeddings
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.distance_embedding = nn.Embedding(2 * config.max_position_embeddings - 1, config.head_dim)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        """Reshape [B, L, hidden] to [B, H, L, d] (heads contiguous along hidden)."""
        batch, length, _ = x.shape
        return x.view(batch, length, self.num_attention_heads, self.attention_head_size).transpose(1, 2)

    def forward(
        self, hidden_states: torch.Tensor, mask: torch.Tensor | None = None, output_attentions: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attend with ``softmax((qk^T + q.R + k.R) / sqrt(d) + mask) v``; mask is additive [B,1,1,L].

        Returns the context [B, L, hidden] and, with ``output_attentions``, the softmax [B, H, L, L].
        """
        query = self._heads(self.query(hidden_states))
        key = self._heads(self.key(hidden_states))
        value = self._heads(self.value(hidden_states))
        scale = 1.0 / math.sqrt(self.attention_head_size)
        # The scaled positional scores (+ padding mask) are the float attn_mask of SDPA, which adds
        # them to q k^T * scale: softmax((q k^T + q.R + k.R) / sqrt(d) + mask) as in the original.
        # Scaling q and k (not the [B, H, L, L] scores) saves a pass over the largest tensor.
        bias = relative_position_scores(query * scale, key * scale, self.distance_embedding.weight)
        if mask is not None:
            bias.add_(mask)
        probs = None
        if output_attentions:  # the eager path: the same scores, the weights kept
            probs = torch.softmax(torch.matmul(query, key.transpose(-1, -2)) * scale + bias, dim=-1)
            context = torch.matmul(probs, value)
        else:
            context = F.scaled_dot_product_attention(query, key, value, attn_mask=bias, scale=scale)
        batch, _, length, _ = context.shape
        return context.transpose(1, 2).reshape(batch, length, -1), probs


class ProkBertSelfOutput(nn.Module):
    """Attention output projection (Megatron moved its LayerNorm into ProkBertAttention.ln)."""

    def __init__(self, config: ProkBertConfig) -> None:
        """Create the hidden -> hidden projection."""
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, context: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """Return ``residual + dense(context)``."""
        return residual + self.dense(context)


class ProkBertAttention(nn.Module):
    """Pre-LN attention block: ``x + output.dense(self(ln(x)))``."""

    def __init__(self, config: ProkBertConfig) -> None:
        """Create ln, self (attention) and output (projection) under their checkpoint names."""
        super().__init__()
        self.ln = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.self = ProkBertSelfAttention(config)
        self.output = ProkBertSelfOutput(config)

    def forward(
        self, hidden_states: torch.Tensor, mask: torch.Tensor | None = None, output_attentions: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Apply the pre-LN attention sub-block with its residual; the weights with ``output_attentions``."""
        context, probs = self.self(self.ln(hidden_states), mask, output_attentions)
        return self.output(context, hidden_states), probs


class ProkBertIntermediate(nn.Module):
    """Feed-forward expansion ``act(dense(x))``."""

    def __init__(self, config: ProkBertConfig) -> None:
        """Create the hidden -> intermediate projection and pick the activation."""
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = _ACTIVATIONS[config.hidden_act]

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """Return ``act(dense(x))``."""
        return self.intermediate_act_fn(self.dense(hidden_states))


class ProkBertOutput(nn.Module):
    """Feed-forward contraction with residual (its LayerNorm lives in ProkBertLayer.ln)."""

    def __init__(self, config: ProkBertConfig) -> None:
        """Create the intermediate -> hidden projection."""
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)

    def forward(self, hidden_states: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """Return ``residual + dense(x)``."""
        return residual + self.dense(hidden_states)


class ProkBertLayer(nn.Module):
    """One pre-LN transformer layer: attention block, then ``x + output(intermediate(ln(x)))``."""

    def __init__(self, config: ProkBertConfig) -> None:
        """Create attention, ln, intermediate and output under their checkpoint names."""
        super().__init__()
        self.attention = ProkBertAttention(config)
        self.ln = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.intermediate = ProkBertIntermediate(config)
        self.output = ProkBertOutput(config)

    def forward(
        self, hidden_states: torch.Tensor, mask: torch.Tensor | None = None, output_attentions: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Apply one layer (not normalised: the pre-LN residual stream); its attention weights on request."""
        attention_output, probs = self.attention(hidden_states, mask, output_attentions)
        return self.output(self.intermediate(self.ln(attention_output)), attention_output), probs


class ProkBertLayerStack(nn.Module):
    """Stack of pre-LN layers followed by the final LayerNorm ``ln`` (transformers' MegatronBertEncoder)."""

    def __init__(self, config: ProkBertConfig) -> None:
        """Create ``layer.{i}`` and the final ``ln``."""
        super().__init__()
        self.layer = nn.ModuleList(ProkBertLayer(config) for _ in range(config.num_hidden_layers))
        self.ln = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(
        self,
        hidden_states: torch.Tensor,
        mask: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> ProkBertModelOutput:
        """Run all layers and the final LN; hidden states follow MegatronBertEncoder exactly."""
        collected: list[torch.Tensor] | None = [] if output_hidden_states else None
        weights: list[torch.Tensor] = []
        for layer in self.layer:
            if collected is not None:
                collected.append(hidden_states)
            hidden_states, probs = layer(hidden_states, mask, output_attentions)
            if probs is not None:
                weights.append(probs)
        hidden_states = self.ln(hidden_states)
        attentions = tuple(weights) if output_attentions else None
        if collected is None:
            return ProkBertModelOutput(hidden_states, None, attentions)
        # As in the original: the raw output of the last layer is never exposed; the final entry is
        # that output after encoder.ln, i.e. hidden_states[-1] is last_hidden_state.
        collected.append(hidden_states)
        return ProkBertModelOutput(hidden_states, tuple(collected), attentions)


class ProkBertModel(nn.Module):
    """ProkBERT base encoder (``MegatronBertModel`` without pooler); keys ``embeddings.*``, ``encoder.*``."""

    def __init__(self, config: ProkBertConfig) -> None:
        """Create embeddings and encoder (no pooler: no checkpoint carries a trained one)."""
        super().__init__()
        self.config = config
        self.embeddings = ProkBertEmbeddings(config)
        self.encoder = ProkBertLayerStack(config)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> ProkBertModelOutput:
        """Encode [B, L] token ids (L <= max_position_embeddings); mask is 1 for tokens, 0 for padding."""
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must be [batch, length], got shape {tuple(input_ids.shape)}")
        length = input_ids.shape[1]
        if length > self.config.max_position_embeddings:
            raise ValueError(
                f"sequence of {length} tokens exceeds max_position_embeddings "
                f"{self.config.max_position_embeddings}"
            )
        embeddings = self.embeddings(input_ids, token_type_ids)
        mask = None
        if attention_mask is not None:
            if attention_mask.shape != input_ids.shape:
                raise ValueError(
                    f"attention_mask shape {tuple(attention_mask.shape)} != input_ids shape "
                    f"{tuple(input_ids.shape)}"
                )
            # transformers' get_extended_attention_mask: (1 - mask) * finfo(dtype).min, [B, 1, 1, L].
            dtype = embeddings.dtype
            keep = attention_mask.to(device=embeddings.device, dtype=dtype)
            mask = ((1.0 - keep) * torch.finfo(dtype).min)[:, None, None, :]
        return self.encoder(embeddings, mask, output_hidden_states, output_attentions)


class ProkBertPredictionHeadTransform(nn.Module):
    """MLM transform ``LayerNorm(act(dense(x)))`` (TF-style ``LayerNorm`` name, as in the checkpoint)."""

    def __init__(self, config: ProkBertConfig) -> None:
        """Create dense, activation and LayerNorm."""
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = _ACTIVATIONS[config.hidden_act]
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """Return ``LayerNorm(act(dense(x)))``."""
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))


class ProkBertLMPredictionHead(nn.Module):
    """MLM decoder: transform, then ``decoder`` (tied to the word embeddings) plus the ``bias``."""

    def __init__(self, config: ProkBertConfig) -> None:
        """Create the [vocab_size] bias, the transform and the decoder (weight tied by the owner)."""
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.transform = ProkBertPredictionHeadTransform(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.decoder.bias = self.bias  # as in transformers' BertLMPredictionHead

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """Return logits ``transform(x) @ decoder.weight^T + bias``: [B, L, vocab_size]."""
        return self.decoder(self.transform(hidden_states))


# Copied from dnallm_zoo_dnabert2.modeling.MosaicBertOnlyMLMHead with MosaicBert->ProkBert, DNABERT2->ProkBert
class ProkBertOnlyMLMHead(nn.Module):
    """The ``cls`` module: holds ``predictions``."""

    def __init__(self, config: ProkBertConfig) -> None:
        """Create ``predictions``."""
        super().__init__()
        self.predictions = ProkBertLMPredictionHead(config)

    def forward(self, sequence_output: torch.Tensor) -> torch.Tensor:
        """Return MLM logits."""
        return self.predictions(sequence_output)


class ProkBertForMaskedLM(nn.Module):
    """ProkBERT with its MLM head; ``state_dict()`` keys equal the original checkpoint's keys."""

    def __init__(self, config: ProkBertConfig) -> None:
        """Create ``bert`` and ``cls``; cheap under ``with torch.device("meta")``."""
        super().__init__()
        self.config = config
        self.bert = ProkBertModel(config)
        self.cls = ProkBertOnlyMLMHead(config)
        self.tie_weights()

    def tie_weights(self) -> None:
        """Tie the decoder to the word embeddings and the bias (again after ``load_state_dict(assign=True)``).

        The core's strict loader re-ties through `TIED_KEYS` itself; this is for plain torch use.
        """
        embeddings = self.bert.embeddings.word_embeddings.weight
        bias = self.cls.predictions.bias.shape[0]
        if embeddings.shape[0] != bias:
            raise ValueError(
                f"word embeddings have {embeddings.shape[0]} rows but cls.predictions.bias has {bias} entries"
            )
        self.cls.predictions.decoder.weight = embeddings
        self.cls.predictions.decoder.bias = self.cls.predictions.bias

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> ProkBertMaskedLMOutput:
        """Encode and score every position over all ``vocab_size`` embedding rows."""
        encoded = self.bert(
            input_ids, attention_mask, token_type_ids, output_hidden_states, output_attentions
        )
        return ProkBertMaskedLMOutput(self.cls(encoded.last_hidden_state), *encoded)
