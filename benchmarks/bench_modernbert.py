"""ModernBERT: the unpadded path vs the same model padded, on mixed lengths (transformers' ModernBertModel).

What the installed transformers does is printed first: from 5.x, `ModernBertModel` has no unpadding of its
own (4.48-4.5x unpadded the whole input once under flash-attention 2); it runs the padded grid and only
the `flash_attention_2` kernel unpads, inside attention. On a CPU, or without the `flash_attn` package,
there is no unpadded path in transformers. So this script measures, on one model with random weights at
a small DNA-encoder size, in one run:

- `padded`: batches of `--batch` sequences in input order, each padded to its longest (sdpa attention);
- `unpadded`: the same batches with every padding token removed: their sequences packed into one row,
  position ids restarting at 0 for each sequence and a block-diagonal attention mask (the sliding-window
  layers' band inside each block), so no linear layer or MLP touches a pad token; this is what the
  unpadded path computes, through transformers' own classes (sdpa with the 4-D masks it accepts);
- `flash_attention_2` on the padded batches, when CUDA and the `flash_attn` package are here;
- `zoo`: `dnallm_zoo`'s `embed` over the same sequences (length-sorted batches under a padding bound),
  when the ModernBERT plugin is installed.

Reported: real tokens per second of each, the ratio to `padded`, and the largest difference of the last
hidden states at real positions against `padded` (the paths must compute the same function).

    python benchmarks/bench_modernbert.py [--n 32] [--batch 8] [--min-len 32] [--max-len 1024]
                                          [--layers 4] [--hidden 256] [--threads 1] [--repeat 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import platform
import random
import time
from collections.abc import Callable
from typing import Any

import torch


def model(args: argparse.Namespace) -> Any:
    """A random `ModernBertModel` (global attention every 3rd layer, local window 128), eval, fp32."""
    from transformers import ModernBertConfig, ModernBertModel

    cfg = ModernBertConfig(vocab_size=4096, hidden_size=args.hidden, intermediate_size=args.hidden * 3 // 2,
                           num_hidden_layers=args.layers, num_attention_heads=args.hidden // 64,
                           max_position_embeddings=8192, global_attn_every_n_layers=3, local_attention=128,
                           pad_token_id=3, bos_token_id=1, eos_token_id=2, cls_token_id=1, sep_token_id=2)
    cfg._attn_implementation = "sdpa"
    torch.manual_seed(args.seed)
    return ModernBertModel(cfg).eval()


def lengths(args: argparse.Namespace) -> list[int]:
    """Token counts log-uniform over [min, max], in a shuffled (input) order."""
    rng = random.Random(args.seed)
    lo, hi = math.log(args.min_len), math.log(args.max_len)
    return [round(math.exp(rng.uniform(lo, hi))) for _ in range(args.n)]


def ids_of(n: int, g: torch.Generator) -> torch.Tensor:
    x = torch.randint(5, 4096, (n,), generator=g)
    x[0], x[-1] = 1, 2
    return x


def padded_batch(seqs: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), 3, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)], mask[i, : len(s)] = s, 1
    return ids, mask


def packed_masks(sizes: list[int], window: int, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """Additive [1, 1, T, T] masks: attend within one's own sequence (and within the local window)."""
    seq = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    pos = torch.cat([torch.arange(n) for n in sizes])
    same = seq[:, None] == seq[None, :]
    band = same & ((pos[:, None] - pos[None, :]).abs() <= window // 2)
    low = torch.finfo(dtype).min

    def additive(allowed: torch.Tensor) -> torch.Tensor:
        return torch.zeros(allowed.shape, dtype=dtype).masked_fill(~allowed, low)[None, None]

    return {"full_attention": additive(same), "sliding_attention": additive(band)}


def timed(fn: Callable[[], list[torch.Tensor]], repeat: int) -> tuple[float, list[torch.Tensor]]:
    out = fn()
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--min-len", type=int, default=32)
    ap.add_argument("--max-len", type=int, default=1024)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    import transformers
    from transformers.models.modernbert import modeling_modernbert as mm

    src = open(mm.__file__, encoding="utf-8").read()
    unpads = "_unpad_modernbert_input" in src
    fa2 = torch.cuda.is_available() and importlib.util.find_spec("flash_attn") is not None
    print(f"transformers {transformers.__version__}, torch {torch.__version__}, {platform.processor() or 'cpu'}, "
          f"{args.threads} thread(s), os.cpu_count()={os.cpu_count()}")
    print(f"ModernBertModel unpads its input itself: {unpads}; flash_attention_2 usable here: {fa2}")

    m = model(args)
    window = m.config.local_attention
    g = torch.Generator().manual_seed(args.seed)
    seqs = [ids_of(n, g) for n in lengths(args)]
    groups = [seqs[i : i + args.batch] for i in range(0, len(seqs), args.batch)]
    real = sum(len(s) for s in seqs)
    grid = sum(len(b) * max(len(s) for s in b) for b in groups)
    print(f"{len(seqs)} sequences, {real} real tokens, padded grid {grid} ({1 - real / grid:.0%} padding), "
          f"lengths {min(map(len, seqs))}..{max(map(len, seqs))}; hidden {args.hidden}, {args.layers} layers")

    @torch.inference_mode()
    def run_padded() -> list[torch.Tensor]:
        out = []
        for b in groups:
            ids, mask = padded_batch(b)
            h = m(input_ids=ids, attention_mask=mask).last_hidden_state
            out += [h[i, : len(s)] for i, s in enumerate(b)]
        return out

    @torch.inference_mode()
    def run_unpadded() -> list[torch.Tensor]:
        out = []
        for b in groups:
            sizes = [len(s) for s in b]
            ids = torch.cat(b)[None]
            pos = torch.cat([torch.arange(n) for n in sizes])[None]
            h = m(input_ids=ids, position_ids=pos, attention_mask=packed_masks(sizes, window, torch.float32))
            out += list(h.last_hidden_state[0].split(sizes))
        return out

    rows: list[tuple[str, float, float]] = []
    t_pad, ref = timed(run_padded, args.repeat)
    rows.append(("padded", t_pad, 0.0))
    t_unp, got = timed(run_unpadded, args.repeat)
    rows.append(("unpadded (packed, no pad tokens)", t_unp, max(float((a - b).abs().max()) for a, b in
                                                            zip(got, ref, strict=True))))
    if fa2:
        m.config._attn_implementation = "flash_attention_2"
        t_fa, got = timed(run_padded, args.repeat)
        m.config._attn_implementation = "sdpa"
        rows.append(("flash_attention_2", t_fa, max(float((a - b).abs().max()) for a, b in
                                                    zip(got, ref, strict=True))))
    print(f"{'path':<36}{'seconds':>9}{'real tok/s':>12}{'vs padded':>11}{'max |diff|':>12}")
    for name, t, diff in rows:
        print(f"{name:<36}{t:>9.3f}{real / t:>12.0f}{t_pad / t:>10.2f}x{diff:>12.2e}")


if __name__ == "__main__":
    main()
