"""An independent reference of AIRI's GENA-LM `modeling_bert.py` forward, written out in plain torch
(explicit scores, extended attention mask, eager softmax), used by the tests and `bench_gena.py`."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F


def reference(sd: dict[str, torch.Tensor], config: dict[str, Any], ids: torch.Tensor, mask: torch.Tensor,
              *, head: bool = True) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor | None]:
    """AIRI's BertModel + BertOnlyMLMHead in eval mode: hidden states, attention probabilities, MLM logits
    (None without `head`)."""
    eps, heads = config["layer_norm_eps"], config["num_attention_heads"]
    pre = config.get("pre_layer_norm", False)
    lastln = config.get("last_layer_norm", pre)

    def ln(x: torch.Tensor, name: str) -> torch.Tensor:
        return F.layer_norm(x, x.shape[-1:], sd[f"{name}.weight"], sd[f"{name}.bias"], eps)

    def lin(x: torch.Tensor, name: str) -> torch.Tensor:
        return F.linear(x, sd[f"{name}.weight"], sd[f"{name}.bias"])

    n, t = ids.shape
    e = "bert.embeddings."
    x = sd[e + "word_embeddings.weight"][ids] + sd[e + "token_type_embeddings.weight"][0] + \
        sd[e + "position_embeddings.weight"][:t]
    x = ln(x, e + "LayerNorm")
    ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    states, probs = [x], []
    for i in range(config["num_hidden_layers"]):
        p = f"bert.encoder.layer.{i}."
        h = ln(x, p + "pre_attention_ln") if pre else x
        q, k, v = (lin(h, p + f"attention.self.{w}").view(n, t, heads, -1).transpose(1, 2)
                   for w in ("query", "key", "value"))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + ext, dim=-1)
        probs.append(a)
        out = lin((a @ v).transpose(1, 2).reshape(n, t, -1), p + "attention.output.dense")
        x = x + out if pre else ln(out + x, p + "attention.output.LayerNorm")
        h = ln(x, p + "post_attention_ln") if pre else x
        out = lin(F.gelu(lin(h, p + "intermediate.dense")), p + "output.dense")
        x = x + out if pre else ln(out + x, p + "output.LayerNorm")
        states.append(x)
    if pre and lastln:
        x = ln(x, "bert.encoder.last_layer_ln")
        states[-1] = x
    if not head:
        return states, probs, None
    c = "cls.predictions."
    h = ln(F.gelu(lin(x, c + "transform.dense")), c + "transform.LayerNorm")
    logits = F.linear(h, sd[e + "word_embeddings.weight"], sd[c + "bias"])
    return states, probs, logits
