"""Independent eager DNABERT-2 reference, written from the equations in FAMILIES.md.

Deliberately naive: per-sequence and per-head Python loops, an explicit bias matrix, an explicit
softmax, a hand-written LayerNorm and erf GELU. It takes a plain config dict (``config.json``
keys) and a plain dict of tensors keyed by the ORIGINAL checkpoint key names (the masked-LM layout
``bert.*`` + ``cls.*``, or the bare ``BertModel`` layout DNABERT-S saves: no prefix, no head), and
never imports the plugin, so it checks the plugin's key names and equations rather than sharing
its bugs. The ALiBi bias follows the original ``BertEncoder``: a float32 table built at
``alibi_starting_size``, rebuilt at the sequence length when a longer batch comes, then sliced.
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


class OriginalAlibi:
    """The original ``BertEncoder``'s ALiBi table: built at the starting size, grown on demand.

    ``rebuild_alibi_tensor``: float32 slopes times minus the integer distance ``|i - j|``, shape
    ``[1, heads, size, size]``; a batch longer than the table rebuilds it at exactly its length,
    every batch slices ``[:, :, :seqlen, :seqlen]``. ``sizes`` records every table built.
    """

    def __init__(self, num_heads: int, starting_size: int = 512) -> None:
        self.num_heads = num_heads
        self.sizes: list[int] = []
        self.table = self._build(starting_size)

    def _build(self, size: int) -> torch.Tensor:
        pos = torch.arange(size)
        relative = (pos[None, :] - pos[:, None]).abs()  # int64, as the original
        slopes = torch.tensor(reference_slopes(self.num_heads), dtype=torch.float32)
        self.sizes.append(size)
        return (slopes[:, None, None] * -relative).unsqueeze(0)  # float32

    def __call__(self, seqlen: int) -> torch.Tensor:
        """The ``[heads, seqlen, seqlen]`` float32 bias of a batch of ``seqlen`` tokens."""
        if self.table.shape[-1] < seqlen:
            self.table = self._build(seqlen)
        return self.table[0, :, :seqlen, :seqlen]


def original_key_shapes(cfg: dict[str, Any], *, bare: bool = False) -> dict[str, tuple[int, ...]]:
    """Every key of an original checkpoint and its shape, for config ``cfg``.

    The masked-LM layout (DNABERT-2) by default; ``bare``: a ``BertModel`` saved by itself
    (DNABERT-S), the same encoder keys without ``bert.`` and no ``cls.*`` head.
    """
    h, i, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    top = "" if bare else "bert."
    shapes: dict[str, tuple[int, ...]] = {
        top + "embeddings.word_embeddings.weight": (v, h),
        top + "embeddings.token_type_embeddings.weight": (cfg.get("type_vocab_size", 2), h),
        top + "embeddings.LayerNorm.weight": (h,),
        top + "embeddings.LayerNorm.bias": (h,),
    }
    for n in range(cfg["num_hidden_layers"]):
        p = f"{top}encoder.layer.{n}."
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
    if bare:
        return shapes
    shapes |= {
        "cls.predictions.transform.dense.weight": (h, h),
        "cls.predictions.transform.dense.bias": (h,),
        "cls.predictions.transform.LayerNorm.weight": (h,),
        "cls.predictions.transform.LayerNorm.bias": (h,),
        "cls.predictions.decoder.weight": (v, h),
        "cls.predictions.decoder.bias": (v,),
    }
    return shapes


def random_weights(cfg: dict[str, Any], seed: int, *, bare: bool = False) -> Weights:
    """Random float32 weights in the original layout (decoder weight IS the word embeddings)."""
    g = torch.Generator().manual_seed(seed)
    out: Weights = {}
    for key, shape in original_key_shapes(cfg, bare=bare).items():
        if key == "cls.predictions.decoder.weight":
            continue
        if key.endswith("LayerNorm.weight") or key.endswith("layernorm.weight"):
            t = 1.0 + 0.1 * torch.randn(shape, generator=g)
        elif key.endswith(".bias") or "embeddings" in key:  # small embeddings: logits of order 1
            t = 0.1 * torch.randn(shape, generator=g)
        else:  # linear weights [out, in]: half-unit outputs, residual paths dominate
            t = 0.5 * torch.randn(shape, generator=g) / math.sqrt(shape[1])
        out[key] = t
    if not bare:
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
    alibi: OriginalAlibi | None = None,
    attentions: list[torch.Tensor] | None = None,
) -> tuple[list[torch.Tensor], torch.Tensor | None]:
    """Return (hidden states [embeddings, layer 1..n], MLM logits), padded positions zeroed.

    The layout is read from the keys: ``bert.*`` + ``cls.*`` (logits returned) or bare (logits
    None). ``alibi``: the table to use, carried across calls as the original model carries it
    (default: a fresh one at the config's ``alibi_starting_size``). ``attentions``: a list that
    receives each layer's softmax weights ``[batch, heads, seq, seq]`` (rows of padded queries NaN:
    the reference computes real queries only).
    """
    sd = {k: t.to(dtype) for k, t in sd.items()}
    top = "bert." if "bert.embeddings.word_embeddings.weight" in sd else ""
    eps = cfg.get("layer_norm_eps", 1e-12)
    hidden, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    inter = cfg["intermediate_size"]
    d = hidden // heads
    if alibi is None:
        alibi = OriginalAlibi(heads, cfg.get("alibi_starting_size", 512))
    batch, seqlen = input_ids.shape
    mask = torch.ones(batch, seqlen) if attention_mask is None else attention_mask
    mask = mask.to(dtype)
    tt = torch.zeros_like(input_ids) if token_type_ids is None else token_type_ids

    word = sd[top + "embeddings.word_embeddings.weight"]
    emb = word[input_ids] + sd[top + "embeddings.token_type_embeddings.weight"][tt]
    x = _layer_norm(emb, sd[top + "embeddings.LayerNorm.weight"], sd[top + "embeddings.LayerNorm.bias"], eps)
    states = [x]

    alibi_bias = alibi(seqlen).to(dtype)  # [heads, seq, seq], float32 values
    for n in range(cfg["num_hidden_layers"]):
        p = f"{top}encoder.layer.{n}."
        new_rows = []
        weights = torch.full((batch, heads, seqlen, seqlen), float("nan"), dtype=dtype)
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
                bias = alibi_bias[h, rows] + key_bias[None, :]
                scores = q @ k.T / math.sqrt(d) + bias
                scores = scores - scores.max(dim=-1, keepdim=True).values
                probs = torch.exp(scores)
                probs = probs / probs.sum(dim=-1, keepdim=True)
                weights[b, h, rows] = probs
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
        if attentions is not None:
            attentions.append(weights)

    states = [s * mask[:, :, None] for s in states]  # padded positions become exactly 0
    if not top or "cls.predictions.decoder.bias" not in sd:  # bare, or a task head's layout
        return states, None
    t = _gelu(_linear(states[-1], sd, "cls.predictions.transform.dense"))
    t = _layer_norm(
        t,
        sd["cls.predictions.transform.LayerNorm.weight"],
        sd["cls.predictions.transform.LayerNorm.bias"],
        1e-12,
    )
    logits = t @ word.T + sd["cls.predictions.decoder.bias"]
    return states, logits


# ------------------------------------------------------------------------------- task heads
def head_key_shapes(
    cfg: dict[str, Any], num_labels: int, *, token: bool = False
) -> dict[str, tuple[int, ...]]:
    """Every key of the original ``BertForSequenceClassification`` (``bert.*`` with ``bert.pooler``,
    ``classifier``), or of the same-shaped token head (no pooler)."""
    h = cfg["hidden_size"]
    shapes = {k: v for k, v in original_key_shapes(cfg).items() if k.startswith("bert.")}
    if not token:
        shapes |= {"bert.pooler.dense.weight": (h, h), "bert.pooler.dense.bias": (h,)}
    return shapes | {"classifier.weight": (num_labels, h), "classifier.bias": (num_labels,)}


def reference_sequence_logits(
    cfg: dict[str, Any], sd: Weights, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None
) -> torch.Tensor:
    """The original ``BertForSequenceClassification`` in eval: tanh(pooler.dense(h[:, 0])), classifier."""
    states, _ = reference_forward(cfg, sd, input_ids, attention_mask)
    first = states[-1][:, 0]
    pooled = torch.tanh(_linear(first, {k: t.double() for k, t in sd.items()}, "bert.pooler.dense"))
    return _linear(pooled, {k: t.double() for k, t in sd.items()}, "classifier")


def reference_token_logits(
    cfg: dict[str, Any], sd: Weights, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None
) -> torch.Tensor:
    """A token head: ``classifier`` on every position of the last hidden state (eval: no dropout)."""
    states, _ = reference_forward(cfg, sd, input_ids, attention_mask)
    return _linear(states[-1], {k: t.double() for k, t in sd.items()}, "classifier")
