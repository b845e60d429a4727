"""DNABERT-2: the zoo's native MosaicBERT vs a straightforward eager fp32 implementation, on CPU.

Both run the same random weights at the real DNABERT-2 dimensions (hidden 768, 12 heads, intermediate
3072, vocabulary 4096; `--layers` cuts the depth so a run takes about a minute on 2 cores) on one
mixed-length batch, right-padded with [PAD] = 3 as the tokenizer pads.

References, written here from the equations (FAMILIES.md), fp32, explicit bias and softmax:
- `padded` (the goal's reference): every step on the padded [batch, seq] grid, attention as
  ``softmax(q @ k^T / sqrt(d) + alibi + key_mask) @ v`` with the bias materialised, as an eager BERT
  (transformers' "eager" attention) computes it.
- `original`: the path ``bert_layers.py`` takes without Triton: linear layers and the MLP on the
  unpadded real tokens, re-padded for the same explicit-softmax attention, unpadded again.

Reported: tokens per second (real tokens, padding not counted) of each, their ratio, and the largest
absolute difference of the last hidden states at real positions, all measured in this run. The goal
(native >= 1.5x the `padded` reference) is printed beside the figure, never asserted.

    python benchmarks/bench_dnabert2.py [--layers 2] [--batch 8] [--min-len 16] [--max-len 512]
                                        [--repeat 2] [--threads 1] [--reference padded|original|both]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import torch
from torch.nn import functional as F

GOAL = 1.5
PAD_ID = 3
Weights = dict[str, torch.Tensor]


def config(layers: int) -> dict[str, Any]:
    """The original config.json's architecture keys, depth cut to `layers`."""
    from dnallm_zoo_dnabert2.checkpoint import original_config

    return original_config(vocab_size=4096, hidden=768, layers=layers, heads=12, intermediate=3072)


def mixed_batch(n: int, lo: int, hi: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random ids ([CLS] first, [SEP] last), lengths spread evenly over [lo, hi], right-padded with [PAD].

    Evenly spread rather than drawn, so the share of padding (about half) does not depend on luck.
    """
    g = torch.Generator().manual_seed(seed)
    lengths = torch.linspace(lo, hi, n).round().long()
    ids = torch.full((n, hi), PAD_ID, dtype=torch.long)
    mask = torch.zeros((n, hi), dtype=torch.long)
    for row in torch.randperm(n, generator=g).tolist():
        length = int(lengths[row])
        ids[row, :length] = torch.randint(5, 4096, (length,), generator=g)
        ids[row, 0], ids[row, length - 1] = 1, 2
        mask[row, :length] = 1
    return ids, mask


def alibi(heads: int, seqlen: int) -> torch.Tensor:
    """[1, heads, seq, seq] of -slope[h] * |i - j|, slopes in MosaicBERT's head order."""
    m = 1 << (heads.bit_length() - 1)
    slopes = [2.0 ** (-8.0 * k / m) for k in range(1, m + 1)]
    slopes += [2.0 ** (-8.0 * k / (2 * m)) for k in range(1, 2 * m + 1, 2)][: heads - m]
    pos = torch.arange(seqlen)
    distance = (pos[None, :] - pos[:, None]).abs().float()
    return (-torch.tensor(slopes)[:, None, None] * distance).unsqueeze(0)


def _linear(x: torch.Tensor, sd: Weights, name: str, bias: bool = True) -> torch.Tensor:
    return F.linear(x, sd[name + ".weight"], sd[name + ".bias"] if bias else None)


def _norm(x: torch.Tensor, sd: Weights, name: str, eps: float) -> torch.Tensor:
    return F.layer_norm(x, x.shape[-1:], sd[name + ".weight"], sd[name + ".bias"], eps)


def _attention(qkv: torch.Tensor, bias: torch.Tensor, heads: int) -> torch.Tensor:
    """Explicit-softmax attention on a padded [batch, seq, 3 * hidden] -> [batch, seq, hidden]."""
    b, s, three_h = qkv.shape
    d = three_h // 3 // heads
    q, k, v = qkv.view(b, s, 3, heads, d).permute(2, 0, 3, 1, 4).unbind(0)
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + bias
    probs = torch.softmax(scores, dim=-1)
    return torch.matmul(probs, v).transpose(1, 2).reshape(b, s, three_h // 3)


def eager_forward(cfg: dict[str, Any], sd: Weights, ids: torch.Tensor, mask: torch.Tensor,
                  *, unpad_linears: bool) -> torch.Tensor:
    """Last hidden state [batch, seq, hidden], padded positions 0 (see the module docstring)."""
    heads, inter, eps = cfg["num_attention_heads"], cfg["intermediate_size"], cfg["layer_norm_eps"]
    b, s = ids.shape
    x = sd["bert.embeddings.word_embeddings.weight"][ids]
    x = x + sd["bert.embeddings.token_type_embeddings.weight"][0]
    x = _norm(x, sd, "bert.embeddings.LayerNorm", eps)
    bias = alibi(heads, s) + ((1.0 - mask.float()) * -10000.0)[:, None, None, :]
    real = mask.bool()
    if unpad_linears:
        x = x[real]  # [nnz, hidden]
    for n in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{n}."
        qkv = _linear(x, sd, p + "attention.self.Wqkv")
        if unpad_linears:
            padded = qkv.new_zeros(b, s, qkv.shape[-1])
            padded[real] = qkv
            a = _attention(padded, bias, heads)[real]
        else:
            a = _attention(qkv, bias, heads)
        x = _norm(_linear(a, sd, p + "attention.output.dense") + x, sd, p + "attention.output.LayerNorm", eps)
        g = _linear(x, sd, p + "mlp.gated_layers", bias=False)
        y = _linear(F.gelu(g[..., :inter]) * g[..., inter:], sd, p + "mlp.wo")
        x = _norm(y + x, sd, p + "mlp.layernorm", eps)
    if unpad_linears:
        out = x.new_zeros(b, s, x.shape[-1])
        out[real] = x
        return out
    return x * mask[..., None].to(x.dtype)


def best_of(fn: Callable[[], torch.Tensor], repeat: int) -> tuple[float, torch.Tensor]:
    """Fastest wall time of `repeat` runs after one warm-up, and the output."""
    out = fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--layers", type=int, default=2, help="encoder layers (the real model has 12)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--min-len", type=int, default=16, help="shortest sequence, in tokens")
    ap.add_argument("--max-len", type=int, default=512, help="longest sequence, in tokens")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reference", choices=["padded", "original", "both"], default="both")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from dnallm_zoo_dnabert2.checkpoint import random_state_dict
    from dnallm_zoo_dnabert2.modeling import TIED_KEYS, DNABERT2Config, build_mlm_model

    from dnallm_zoo.kit import load_state_dict_strict

    torch.set_num_threads(args.threads)
    cfg = config(args.layers)
    sd = random_state_dict(cfg, seed=args.seed)
    model = build_mlm_model(DNABERT2Config.from_dict(cfg), device="meta")
    load_state_dict_strict(model, sd, tied=TIED_KEYS)
    ids, mask = mixed_batch(args.batch, args.min_len, args.max_len, args.seed)
    tokens = int(mask.sum())

    print(f"DNABERT-2 on CPU ({platform.processor() or platform.machine()}, {args.threads} thread(s) of "
          f"{os.cpu_count()}), torch {torch.__version__}, fp32")
    print(f"weights: random, hidden 768, 12 heads, intermediate 3072, vocab 4096, {args.layers} layer(s)")
    print(f"batch: {args.batch} sequences of {args.min_len}..{args.max_len} tokens, {tokens} real tokens "
          f"in a {args.batch}x{ids.shape[1]} padded grid ({tokens / ids.numel():.0%} real)")

    with torch.inference_mode():
        t_native, native = best_of(lambda: model.bert(ids, mask).last_hidden_state, args.repeat)
        print(f"native (unpadded linears, SDPA with ALiBi bias): {tokens / t_native:10.0f} tokens/s")
        which = ["padded", "original"] if args.reference == "both" else [args.reference]
        real = mask.bool()
        for name in which:
            t_ref, want = best_of(
                lambda name=name: eager_forward(cfg, sd, ids, mask, unpad_linears=name == "original"),
                args.repeat,
            )
            diff = (native[real] - want[real]).abs().max().item()
            pad_zero = bool((native[~real] == 0).all())
            goal = f"goal >= {GOAL}x" if name == "padded" else "for information"
            print(f"eager '{name}' reference: {tokens / t_ref:10.0f} tokens/s | native/reference "
                  f"{t_ref / t_native:.2f}x ({goal}) | max abs diff {diff:.2e} | native padding exactly 0: "
                  f"{pad_zero}")


if __name__ == "__main__":
    main()
