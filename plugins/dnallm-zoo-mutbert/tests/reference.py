"""An independent reference of MutBERT's `RoPEBertForMaskedLM` (modeling_mutbert.py), eager, on a state dict.

Written from the original's equations, step by step as it runs them, without the plugin's modules:
embeddings = LayerNorm(input @ word_embeddings + token_type_embeddings[0]) with `input` [B, T, V] (the
one-hot of the ids, or probabilities); per layer: q, k, v per head, rotary from a cos/sin cache of
`cat(freqs, freqs)` indexed by position ids, scores / sqrt(d) + the extended mask ((1 - mask) * min),
softmax, context, dense, post-LayerNorm residuals, GELU feed-forward.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F


def _ln(x: torch.Tensor, sd: dict[str, torch.Tensor], name: str, eps: float) -> torch.Tensor:
    return F.layer_norm(x, (x.shape[-1],), sd[f"{name}.weight"], sd[f"{name}.bias"], eps)


def _lin(x: torch.Tensor, sd: dict[str, torch.Tensor], name: str) -> torch.Tensor:
    return x @ sd[f"{name}.weight"].T + sd[f"{name}.bias"]


def _cos_sin(dim: int, length: int, base: float, factor: float | None) -> tuple[torch.Tensor, torch.Tensor]:
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
    t = torch.arange(max(length, 512), dtype=torch.float32)  # the cache is built for 512 positions first
    if factor is not None:
        t = t / factor
    freqs = torch.einsum("i,j->ij", t, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos()[:length], emb.sin()[:length]


def _rot(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def encoder(sd: dict[str, torch.Tensor], config: dict[str, Any], inputs: torch.Tensor,
            mask: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Hidden states (embeddings, then each layer) and attention weights of `bert.*` on `inputs` [B, T, V]."""
    eps = config["layer_norm_eps"]
    heads = config["num_attention_heads"]
    b, t, _ = inputs.shape
    emb = torch.matmul(inputs, sd["bert.embeddings.word_embeddings.weight"])
    emb = emb + sd["bert.embeddings.token_type_embeddings.weight"][torch.zeros(b, t, dtype=torch.long)]
    x = _ln(emb, sd, "bert.embeddings.LayerNorm", eps)
    ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    d = x.shape[-1] // heads
    scaling = config.get("rope_scaling")
    cos, sin = _cos_sin(d, t, config["rope_theta"], float(scaling["factor"]) if scaling else None)
    pos = torch.arange(t)[None]
    cos, sin = cos[pos].unsqueeze(1), sin[pos].unsqueeze(1)
    hidden, attn = [x], []
    for i in range(config["num_hidden_layers"]):
        p = f"bert.encoder.layer.{i}"

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, heads, d).permute(0, 2, 1, 3)

        q = split(_lin(x, sd, f"{p}.attention.self.query"))
        k = split(_lin(x, sd, f"{p}.attention.self.key"))
        v = split(_lin(x, sd, f"{p}.attention.self.value"))
        q, k = q * cos + _rot(q) * sin, k * cos + _rot(k) * sin
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + ext
        probs = torch.softmax(scores, dim=-1)
        attn.append(probs)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, t, -1)
        a = _ln(_lin(ctx, sd, f"{p}.attention.output.dense") + x, sd, f"{p}.attention.output.LayerNorm", eps)
        inter = F.gelu(_lin(a, sd, f"{p}.intermediate.dense"))
        x = _ln(_lin(inter, sd, f"{p}.output.dense") + a, sd, f"{p}.output.LayerNorm", eps)
        hidden.append(x)
    return hidden, attn


def mlm_logits(sd: dict[str, torch.Tensor], config: dict[str, Any], last: torch.Tensor) -> torch.Tensor:
    """`cls.predictions`: dense, GELU, LayerNorm, then the word embeddings and the bias."""
    h = _ln(F.gelu(_lin(last, sd, "cls.predictions.transform.dense")), sd,
            "cls.predictions.transform.LayerNorm", config["layer_norm_eps"])
    return h @ sd["bert.embeddings.word_embeddings.weight"].T + sd["cls.predictions.bias"]


def classifier_logits(sd: dict[str, torch.Tensor], last: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """`RoPEBertForSequenceClassification` with the mean pooler: masked mean, then `classifier`."""
    m = mask.unsqueeze(-1).expand(last.size()).float()
    pooled = torch.sum(last * m, 1) / torch.clamp(m.sum(1), min=1e-9)
    return _lin(pooled, sd, "classifier")


def one_hot(ids: torch.Tensor, vocab: int = 9) -> torch.Tensor:
    """The card's input: `F.one_hot(ids, num_classes=len(tokenizer)).float()`."""
    return F.one_hot(ids, num_classes=vocab).float()


def original_key_shapes(config: dict[str, Any], num_labels: int | None = None) -> dict[str, tuple[int, ...]]:
    """The state-dict keys and shapes of the original `RoPEBertForMaskedLM` (num_labels None, tied
    aliases left out) or `RoPEBertForSequenceClassification`, enumerated from modeling_mutbert.py."""
    h, v, n = config["hidden_size"], config["vocab_size"], config["intermediate_size"]
    keys: dict[str, tuple[int, ...]] = {
        "bert.embeddings.word_embeddings.weight": (v, h),
        "bert.embeddings.token_type_embeddings.weight": (config["type_vocab_size"], h),
        "bert.embeddings.LayerNorm.weight": (h,), "bert.embeddings.LayerNorm.bias": (h,),
    }
    for i in range(config["num_hidden_layers"]):
        p = f"bert.encoder.layer.{i}"
        for name, shape in (("attention.self.query", (h, h)), ("attention.self.key", (h, h)),
                            ("attention.self.value", (h, h)), ("attention.output.dense", (h, h)),
                            ("intermediate.dense", (n, h)), ("output.dense", (h, n))):
            keys[f"{p}.{name}.weight"], keys[f"{p}.{name}.bias"] = shape, shape[:1]
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            keys[f"{p}.{ln}.weight"] = keys[f"{p}.{ln}.bias"] = (h,)
    if num_labels is None:
        keys |= {"cls.predictions.bias": (v,), "cls.predictions.transform.dense.weight": (h, h),
                 "cls.predictions.transform.dense.bias": (h,),
                 "cls.predictions.transform.LayerNorm.weight": (h,),
                 "cls.predictions.transform.LayerNorm.bias": (h,)}
    else:
        if config.get("pooler_type", "mean") == "first_token_transform":
            keys |= {"bert.pooler.dense.weight": (h, h), "bert.pooler.dense.bias": (h,)}
        keys |= {"classifier.weight": (num_labels, h), "classifier.bias": (num_labels,)}
    return keys
