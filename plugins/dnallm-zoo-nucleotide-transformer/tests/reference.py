"""An independent eager reference of the original NT v2 code (the hub's remote ``modeling_esm.py``).

Written from that file's equations (transformers 4.28's ESM with the feed-forward replaced), on a
plain state dict, one step at a time on the padded batch, nothing shared with the plugin:

- embeddings: word embeddings (rotary: no position table is added), ESM's mask-dropout rescaling when
  ``token_dropout``, then multiplied by the attention mask;
- per layer: ``ln = LayerNorm(x)``; q, k, v; ``q *= d**-0.5``; rotary on q and k with positions
  ``0..T-1`` of the padded batch (``cos``/``sin`` of ``outer(t, inv_freq)`` repeated twice,
  ``rotate_half(x) = cat(-x2, x1)``); ``scores = q k^T + (1 - mask) * finfo.min``; softmax;
  ``x = x + dense(ctx)``; ``(x1, x2) = split(intermediate.dense(LayerNorm(x)))``;
  ``x = x + output.dense(silu(x1) * x2)``;
- ``emb_layer_norm_after``; the LM head: dense, erf GELU, layer norm, decoder + bias.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.nn import functional as F


def _ln(x: torch.Tensor, sd: dict[str, torch.Tensor], key: str, eps: float) -> torch.Tensor:
    return F.layer_norm(x, (x.shape[-1],), sd[key + ".weight"], sd[key + ".bias"], eps)


def _linear(x: torch.Tensor, sd: dict[str, torch.Tensor], key: str) -> torch.Tensor:
    return F.linear(x, sd[key + ".weight"], sd.get(key + ".bias"))


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def reference_v2(
    sd: dict[str, torch.Tensor], config: dict[str, Any], input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
) -> dict[str, Any]:
    """{'last': [B, T, H], 'hidden': layer outputs (embeddings first, last after the final norm),
    'attentions': [B, heads, T, T] per layer, 'logits': [B, T, V]} of the original v2 network."""
    eps = float(config.get("layer_norm_eps", 1e-12))
    heads = int(config["num_attention_heads"])
    layers = int(config["num_hidden_layers"])
    inter = int(config["intermediate_size"])
    b, t = input_ids.shape
    mask = attention_mask.to(torch.float32)
    x = sd["esm.embeddings.word_embeddings.weight"][input_ids]
    if config.get("token_dropout"):
        masked = input_ids == int(config["mask_token_id"])
        x = x.masked_fill(masked.unsqueeze(-1), 0.0)
        observed = masked.sum(-1).float() / mask.sum(-1)
        x = x * (1 - 0.15 * 0.8) / (1 - observed)[:, None, None]
    x = x * mask.unsqueeze(-1)
    extended = (1.0 - mask[:, None, None, :]) * torch.finfo(torch.float32).min
    hidden, attentions = [x], []
    for i in range(layers):
        p = f"esm.encoder.layer.{i}."
        ln = _ln(x, sd, p + "attention.LayerNorm", eps)

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, heads, -1).permute(0, 2, 1, 3)

        q = split(_linear(ln, sd, p + "attention.self.query"))
        k = split(_linear(ln, sd, p + "attention.self.key"))
        v = split(_linear(ln, sd, p + "attention.self.value"))
        q = q * q.shape[-1] ** -0.5
        inv_freq = sd[p + "attention.self.rotary_embeddings.inv_freq"]
        pos = torch.arange(t).type_as(inv_freq)
        emb = torch.cat((torch.outer(pos, inv_freq),) * 2, dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        q = q * cos + _rotate_half(q) * sin
        k = k * cos + _rotate_half(k) * sin
        scores = torch.matmul(q, k.transpose(-1, -2)) + extended
        probs = torch.softmax(scores, dim=-1)
        attentions.append(probs)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, t, -1)
        x = _linear(ctx, sd, p + "attention.output.dense") + x
        gate_value = _linear(_ln(x, sd, p + "LayerNorm", eps), sd, p + "intermediate.dense")
        x1, x2 = gate_value.split(inter, dim=-1)
        x = _linear(F.silu(x1) * x2, sd, p + "output.dense") + x
        hidden.append(x)
    last = _ln(x, sd, "esm.encoder.emb_layer_norm_after", eps)
    hidden[-1] = last
    out: dict[str, Any] = {"last": last, "hidden": hidden, "attentions": attentions}
    if "lm_head.decoder.weight" in sd:
        y = _linear(last, sd, "lm_head.dense")
        y = y * 0.5 * (1.0 + torch.erf(y / math.sqrt(2.0)))
        y = _ln(y, sd, "lm_head.layer_norm", eps)
        out["logits"] = F.linear(y, sd["lm_head.decoder.weight"]) + sd["lm_head.bias"]
    return out
