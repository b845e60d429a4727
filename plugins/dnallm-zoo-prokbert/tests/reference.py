"""Independent eager ProkBERT reference written from the equations, on a dict of original-named tensors."""

# Deliberately naive and separate from dnallm_zoo_prokbert.modeling: explicit gathered
# R[l, r] = distance_embedding[l - r + P - 1] of shape [L, L, d], the two einsums of transformers 4.x,
# hand-written LayerNorm, erf GELU and masked softmax. Plain dicts in, tensors out.

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

__all__ = [
    "original_keys",
    "reference_forward",
    "reference_sequence_logits",
    "reference_token_logits",
    "relative_scores_einsum",
]


def original_keys(num_layers: int) -> list[str]:
    """Return the state-dict keys of an original ProkBERT MLM checkpoint (tied decoder absent)."""
    keys = [
        "bert.embeddings.word_embeddings.weight",
        "bert.embeddings.position_embeddings.weight",
        "bert.embeddings.token_type_embeddings.weight",
    ]
    for i in range(num_layers):
        p = f"bert.encoder.layer.{i}."
        keys += [
            p + "attention.ln.weight",
            p + "attention.ln.bias",
            p + "attention.self.query.weight",
            p + "attention.self.query.bias",
            p + "attention.self.key.weight",
            p + "attention.self.key.bias",
            p + "attention.self.value.weight",
            p + "attention.self.value.bias",
            p + "attention.self.distance_embedding.weight",
            p + "attention.output.dense.weight",
            p + "attention.output.dense.bias",
            p + "ln.weight",
            p + "ln.bias",
            p + "intermediate.dense.weight",
            p + "intermediate.dense.bias",
            p + "output.dense.weight",
            p + "output.dense.bias",
        ]
    keys += [
        "bert.encoder.ln.weight",
        "bert.encoder.ln.bias",
        "cls.predictions.bias",
        "cls.predictions.transform.dense.weight",
        "cls.predictions.transform.dense.bias",
        "cls.predictions.transform.LayerNorm.weight",
        "cls.predictions.transform.LayerNorm.bias",
    ]
    return keys


def _layer_norm(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, eps: float) -> torch.Tensor:
    """LayerNorm over the last axis with biased variance."""
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * w + b


def _gelu(x: torch.Tensor) -> torch.Tensor:
    """Exact (erf) GELU."""
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def _linear(x: torch.Tensor, sd: Mapping[str, torch.Tensor], name: str) -> torch.Tensor:
    """Apply ``name.weight`` / ``name.bias`` as ``x W^T + b``."""
    return x @ sd[name + ".weight"].T + sd[name + ".bias"]


def relative_scores_einsum(q: torch.Tensor, k: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Return ``einsum(bhld,lrd) + einsum(bhrd,lrd)`` over the gathered [L, L, d] distance tensor."""
    length = q.shape[-2]
    max_pos = (table.shape[0] + 1) // 2
    pos = torch.arange(length)
    distance = pos[:, None] - pos[None, :]
    r = table[distance + max_pos - 1]  # [L, L, d]
    return torch.einsum("bhld,lrd->bhlr", q, r) + torch.einsum("bhrd,lrd->bhlr", k, r)


def reference_forward(
    sd: Mapping[str, torch.Tensor],
    config: Mapping[str, Any],
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    token_type_ids: torch.Tensor | None = None,
    attentions: list[torch.Tensor] | None = None,
) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor | None]:
    """Return ``(last_hidden_state, hidden_states, logits)`` in the dtype of ``sd``'s tensors.

    ``attentions``: a list that receives each layer's softmax weights ``[batch, heads, L, L]``.
    """
    if (
        config.get("hidden_act", "gelu") != "gelu"
        or config["position_embedding_type"] != "relative_key_query"
    ):
        raise ValueError("the reference covers gelu + relative_key_query only")
    eps = float(config.get("layer_norm_eps", 1e-12))
    heads = int(config["num_attention_heads"])
    hidden = int(config["hidden_size"])
    d = hidden // heads
    batch, length = input_ids.shape
    dtype = sd["bert.embeddings.word_embeddings.weight"].dtype
    if token_type_ids is None:
        token_type_ids = torch.zeros_like(input_ids)
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)

    # Embeddings: word + token type; position embeddings are not used, no LayerNorm.
    word = sd["bert.embeddings.word_embeddings.weight"]
    pad = config.get("pad_token_id", 0)
    if pad is not None:
        # nn.Embedding(padding_idx=pad) in the original: the lookup sends no gradient to the pad row
        # (the tied decoder still does). Values are unchanged.
        word = torch.cat([word[:pad], word[pad : pad + 1].detach(), word[pad + 1 :]])
    x = word[input_ids] + sd["bert.embeddings.token_type_embeddings.weight"][token_type_ids]
    additive = (1.0 - attention_mask.to(dtype)) * torch.finfo(dtype).min  # [B, L]

    def split(t: torch.Tensor) -> torch.Tensor:
        return t.reshape(batch, length, heads, d).permute(0, 2, 1, 3)

    states = [x]
    for i in range(int(config["num_hidden_layers"])):
        p = f"bert.encoder.layer.{i}."
        n = _layer_norm(x, sd[p + "attention.ln.weight"], sd[p + "attention.ln.bias"], eps)
        q = split(_linear(n, sd, p + "attention.self.query"))
        k = split(_linear(n, sd, p + "attention.self.key"))
        v = split(_linear(n, sd, p + "attention.self.value"))
        table = sd[p + "attention.self.distance_embedding.weight"]
        s = q @ k.transpose(-1, -2) + relative_scores_einsum(q, k, table)
        s = s / math.sqrt(d) + additive[:, None, None, :]
        s = s - s.max(-1, keepdim=True).values
        probs = torch.exp(s)
        probs = probs / probs.sum(-1, keepdim=True)
        if attentions is not None:
            attentions.append(probs)
        context = (probs @ v).permute(0, 2, 1, 3).reshape(batch, length, hidden)
        x = x + _linear(context, sd, p + "attention.output.dense")
        n = _layer_norm(x, sd[p + "ln.weight"], sd[p + "ln.bias"], eps)
        x = x + _linear(_gelu(_linear(n, sd, p + "intermediate.dense")), sd, p + "output.dense")
        states.append(x)
    last = _layer_norm(x, sd["bert.encoder.ln.weight"], sd["bert.encoder.ln.bias"], eps)
    # MegatronBertEncoder appends the final-LN output instead of the last layer's raw output.
    states[-1] = last
    if "cls.predictions.bias" not in sd:  # a task head's layout: no MLM head
        return last, states, None

    h = _gelu(_linear(last, sd, "cls.predictions.transform.dense"))
    h = _layer_norm(
        h,
        sd["cls.predictions.transform.LayerNorm.weight"],
        sd["cls.predictions.transform.LayerNorm.bias"],
        eps,
    )
    logits = h @ sd["bert.embeddings.word_embeddings.weight"].T + sd["cls.predictions.bias"]
    return last, states, logits


def reference_sequence_logits(
    sd: Mapping[str, torch.Tensor],
    config: Mapping[str, Any],
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    *,
    masked: bool = True,
) -> torch.Tensor:
    """The original ProkBertForSequenceClassification in eval, one sequence at a time.

    ``weighting_layer`` scores each token, a softmax over the real tokens (``masked``, the current
    code) or over every position (the 2025 code), the weighted sum, then ``classifier``.
    """
    last, _, _ = reference_forward(sd, config, input_ids, attention_mask)
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    rows = []
    for b in range(input_ids.shape[0]):
        n = int(attention_mask[b].sum()) if masked else input_ids.shape[1]
        x = last[b, :n]
        scores = (x @ sd["weighting_layer.weight"].T + sd["weighting_layer.bias"])[:, 0]
        w = torch.exp(scores - scores.max())
        w = w / w.sum()
        pooled = (w[:, None] * x).sum(0)
        rows.append(pooled @ sd["classifier.weight"].T + sd["classifier.bias"])
    return torch.stack(rows)


def reference_token_logits(
    sd: Mapping[str, torch.Tensor],
    config: Mapping[str, Any],
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """A per-token ``classifier`` on the last hidden state (eval: no dropout)."""
    last, _, _ = reference_forward(sd, config, input_ids, attention_mask)
    return last @ sd["classifier.weight"].T + sd["classifier.bias"]
