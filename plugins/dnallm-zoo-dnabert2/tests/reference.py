"""Independent eager DNABERT-2 reference, written from the equations in FAMILIES.md.

Deliberately naive: per-sequence and per-head Python loops, an explicit bias matrix, an explicit
softmax, a hand-written LayerNorm and erf GELU. It takes a plain config dict (``config.json``
keys) and a plain dict of tensors keyed by the ORIGINAL checkpoint key names, and never imports
the plugin, so it checks the plugin's key names and equations rather than sharing its bugs.
"""

from __future__ import annotations

import math
from typing import Any

import torch

Weights = dict[str, torch.Tensor]

# The slopes FAMILIES.md lists for the 12-head checkpoint, in head order.
SLOPES_12 = [2.0**-e for e in (1, 2, 3, 4, 5, 6, 7, 8, 0.5, 1.5, 2.5, 3.5)]


def reference_slopes(num_heads: int) -> list[float]:
    """Slopes by the closed form: 2^(-8k/m) for k=1..m, then odd k of 2m: 2^(-8k/2m)."""
    m = 1 << (num_heads.bit_length() - 1)  # largest power of two <= num_heads
    slopes = [2.0 ** (-8.0 * k / m) for k in range(1, m + 1)]
    odd = [2.0 ** (-8.0 * k / (2 * m)) for k in range(1, 2 * m + 1, 2)]
    return slopes + odd[: num_heads - m]


def original_key_shapes(cfg: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Every key of an original DNABERT-2 MLM checkpoint and its shape, for config ``cfg``."""
    h, i, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    shapes: dict[str, tuple[int, ...]] = {
        "bert.embeddings.word_embeddings.weight": (v, h),
        "bert.embeddings.token_type_embeddings.weight": (cfg.get("type_vocab_size", 2), h),
        "bert.embeddings.LayerNorm.weight": (h,),
        "bert.embeddings.LayerNorm.bias": (h,),
    }
    for n in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{n}."
        shapes |= {
            p + "attention.self.Wqkv.weight": (3 * h, h),
            p + "attention.self.Wqkv.bias": (3 * h,),
            p + "attention.output.dense.weight": (h, h),
            p + "attention.output.dense.bias": (h,),
            p + "attention.output.LayerNorm.weight": (h,),
            p + "attention.output.LayerNorm.bias": (h,),
            p + "mlp.gated_layers.weight": (2 * i, h),
            p + "mlp.wo.weight": (h, i),
            p + "mlp.wo.bias": (h,),
            p + "mlp.layernorm.weight": (h,),
            p + "mlp.layernorm.bias": (h,),
        }
    shapes |= {
        "cls.predictions.transform.dense.weight": (h, h),
        "cls.predictions.transform.dense.bias": (h,),
        "cls.predictions.transform.LayerNorm.weight": (h,),
        "cls.predictions.transform.LayerNorm.bias": (h,),
        "cls.predictions.decoder.weight": (v, h),
        "cls.predictions.decoder.bias": (v,),
    }
    return shapes


def random_weights(cfg: dict[str, Any], seed: int) -> Weights:
    """Random float32 weights in the original layout (decoder weight IS the word embeddings)."""
    g = torch.Generator().manual_seed(seed)
    out: Weights = {}
    for key, shape in original_key_shapes(cfg).items():
        if key == "cls.predictions.decoder.weight":
            continue
        if key.endswith("LayerNorm.weight") or key.endswith("layernorm.weight"):
            t = 1.0 + 0.1 * torch.randn(shape, generator=g)
        elif key.endswith(".bias") or "embeddings" in key:  # small embeddings: logits of order 1
            t = 0.1 * torch.randn(shape, generator=g)
        else:  # linear weights [out, in]: half-unit outputs, residual paths dominate
            t = 0.5 * torch.randn(shape, generator=g) / math.sqrt(shape[1])
        out[key] = t
    out["cls.predictions.decoder.weight"] = out["bert.embeddings.word_embeddings.weight"]
    return out


def _layer_norm(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, eps: float) -> torch.Tensor:
    """LayerNorm over the last axis, biased variance."""
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * w + b


def _gelu(x: torch.Tensor) -> torch.Tensor:
    """Exact GELU: x * Phi(x)."""
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def _linear(x: torch.Tensor, sd: Weights, name: str, bias: bool = True) -> torch.Tensor:
    """``x @ W^T (+ b)`` with weights looked up by original key name."""
    y = x @ sd[name + ".weight"].T
    return y + sd[name + ".bias"] if bias else y


def reference_forward(
    cfg: dict[str, Any],
    sd: Weights,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    token_type_ids: torch.Tensor | None = None,
    dtype: torch.dtype = torch.float64,
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Return (hidden states [embeddings, layer 1..n], MLM logits), padded positions zeroed."""
    sd = {k: t.to(dtype) for k, t in sd.items()}
    eps = cfg.get("layer_norm_eps", 1e-12)
    hidden, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    inter = cfg["intermediate_size"]
    d = hidden // heads
    slopes = reference_slopes(heads)
    batch, seqlen = input_ids.shape
    mask = torch.ones(batch, seqlen) if attention_mask is None else attention_mask
    mask = mask.to(dtype)
    tt = torch.zeros_like(input_ids) if token_type_ids is None else token_type_ids

    emb = sd["bert.embeddings.word_embeddings.weight"][input_ids]
    emb = emb + sd["bert.embeddings.token_type_embeddings.weight"][tt]
    x = _layer_norm(emb, sd["bert.embeddings.LayerNorm.weight"], sd["bert.embeddings.LayerNorm.bias"], eps)
    states = [x]

    pos = torch.arange(seqlen, dtype=dtype)
    distance = (pos[:, None] - pos[None, :]).abs()
    for n in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{n}."
        new_rows = []
        for b in range(batch):
            xb = x[b]
            key_bias = (1.0 - mask[b]) * -10000.0  # [seq], added to every query row
            rows = mask[b].nonzero().squeeze(1)  # only real queries matter (padding is zeroed)
            qkv = _linear(xb, sd, p + "attention.self.Wqkv")
            head_outputs = []
            for h in range(heads):
                q = qkv[rows, h * d : (h + 1) * d]
                k = qkv[:, hidden + h * d : hidden + (h + 1) * d]
                v = qkv[:, 2 * hidden + h * d : 2 * hidden + (h + 1) * d]
                bias = -slopes[h] * distance[rows] + key_bias[None, :]
                scores = q @ k.T / math.sqrt(d) + bias
                scores = scores - scores.max(dim=-1, keepdim=True).values
                probs = torch.exp(scores)
                probs = probs / probs.sum(dim=-1, keepdim=True)
                head_outputs.append(probs @ v)
            a = torch.zeros(seqlen, hidden, dtype=dtype)
            a[rows] = torch.cat(head_outputs, dim=-1)
            xb = _layer_norm(
                _linear(a, sd, p + "attention.output.dense") + xb,
                sd[p + "attention.output.LayerNorm.weight"],
                sd[p + "attention.output.LayerNorm.bias"],
                eps,
            )
            g = _linear(xb, sd, p + "mlp.gated_layers", bias=False)
            y = _linear(_gelu(g[:, :inter]) * g[:, inter:], sd, p + "mlp.wo")
            xb = _layer_norm(y + xb, sd[p + "mlp.layernorm.weight"], sd[p + "mlp.layernorm.bias"], eps)
            new_rows.append(xb)
        x = torch.stack(new_rows)
        states.append(x)

    states = [s * mask[:, :, None] for s in states]  # padded positions become exactly 0
    t = _gelu(_linear(states[-1], sd, "cls.predictions.transform.dense"))
    t = _layer_norm(
        t,
        sd["cls.predictions.transform.LayerNorm.weight"],
        sd["cls.predictions.transform.LayerNorm.bias"],
        1e-12,
    )
    logits = t @ sd["bert.embeddings.word_embeddings.weight"].T + sd["cls.predictions.decoder.bias"]
    return states, logits
