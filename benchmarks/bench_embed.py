"""Embedding throughput: `encoder.embed` vs a plain transformers loop, and vs the machine's GEMM rate.

Real DNABERT-k dimensions (hidden 768, 12 heads, intermediate 3072, 512 positions) with random weights
written in the original layout to a temporary directory; `--layers` cuts the depth so that a run takes
about a minute on two cores (per-layer figures do not depend on depth).

(a) A mixed-length set (lengths evenly spread over 100-3000 bp, cut from the Arabidopsis chloroplast
    genome). The zoo: `encoder.embed(seqs)` (mean pooling; long sequences chunked). The baseline, as a
    user would write it: the same chunks, k-mer strings through `BertTokenizer`, fixed batches of 8
    padded chunks in input order through `transformers.BertModel` (SDPA) under `torch.no_grad`, masked
    mean per chunk, token-weighted mean per sequence. Figure: useful (non-pad) tokens per second.
(b) Uniform 512-token sequences: model FLOP rate as a fraction of this machine's fp32 GEMM rate,
    measured in the same run with `torch.matmul` on the model's own weight shapes (as many products
    as the model does), for `encoder.embed` (end to end: tokenization, batching, pooling included)
    and for raw transformers `BertModel` forward calls on the same batches (model only).

The machine is shared: each side is timed `--repeat` times, interleaved with the other, and the best
(least disturbed) time of each is reported. Figures are measured in this run; goals are printed next to
them, never asserted.

    python benchmarks/bench_embed.py [--k 6] [--layers 2] [--mixed 12] [--uniform 16] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from dnallm_zoo._fasta import read_fasta as fasta_records

ROOT = Path(__file__).resolve().parents[1]
FASTA = ROOT / "examples" / "arabidopsis_chloroplast.fa"
GOAL_MIXED = 2.0
GOAL_FRACTION = 0.9
T = TypeVar("T")


def read_fasta(path: Path) -> str:
    """The first record of a FASTA file (through the core's reader), upper-cased."""
    return next(iter(fasta_records(path)))[1].upper()


def seq2kmer(seq: str, k: int) -> str:
    return " ".join(seq[i : i + k] for i in range(len(seq) - k + 1))


def spans(n: int, window: int, overlap: int) -> list[tuple[int, int]]:
    """The same chunk spans the zoo uses: `window` bases, neighbours sharing `overlap`."""
    if n <= window:
        return [(0, n)]
    out, start = [], 0
    while True:
        end = min(start + window, n)
        out.append((start, end))
        if end >= n:
            return out
        start += window - overlap


def flops_per_sequence(tokens: int, hidden: int, inter: int, layers: int) -> float:
    """Forward FLOPs of a BERT encoder on one sequence: the weight matmuls plus attention."""
    dense = 2 * tokens * (4 * hidden * hidden + 2 * hidden * inter)  # QKV + output, FFN in + out
    attention = 4 * tokens * tokens * hidden  # Q K^T and P V over all heads
    return layers * (dense + attention)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """The result of `fn()` and its wall time."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def baseline_embed(model: Any, tok: Any, seqs: list[str], k: int, window: int, overlap: int,
                   batch: int) -> tuple[np.ndarray, int]:
    """The plain loop: chunks in input order, fixed batches, BertTokenizer, BertModel, mean pooling."""
    chunks = [(i, s[a:b]) for i, s in enumerate(seqs) for a, b in spans(len(s), window, overlap)]
    sums = np.zeros((len(seqs), model.config.hidden_size))
    weights = np.zeros(len(seqs))
    useful = 0
    with torch.no_grad():
        for j in range(0, len(chunks), batch):
            part = chunks[j : j + batch]
            enc = tok([seq2kmer(c, k) for _, c in part], padding=True, return_tensors="pt")
            hidden = model(**enc).last_hidden_state
            m = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = ((hidden * m).sum(1) / m.sum(1)).numpy()
            n_tok = enc["attention_mask"].sum(1).numpy()
            useful += int(n_tok.sum())
            for (i, _), v, n in zip(part, mean, n_tok, strict=True):
                sums[i] += v * n
                weights[i] += n
    return sums / weights[:, None], useful




def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--k", type=int, default=6, choices=(3, 4, 5, 6))
    p.add_argument("--layers", type=int, default=2, help="encoder depth (DNABERT has 12)")
    p.add_argument("--mixed", type=int, default=12, help="sequences in the mixed-length set")
    p.add_argument("--uniform", type=int, default=16, help="512-token sequences for (b)")
    p.add_argument("--repeat", type=int, default=2, help="interleaved timings of each side (best kept)")
    p.add_argument("--batch", type=int, default=8, help="baseline batch size in (a)")
    p.add_argument("--fasta", type=Path, default=FASTA)
    args = p.parse_args(argv)

    from dnallm_zoo_dnabert.checkpoint import original_config, write_checkpoint
    from dnallm_zoo_dnabert.encoder import DNABERTEncoder
    from dnallm_zoo_dnabert.specs import dnabert_spec
    from transformers import BertModel, BertTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    k, layers = args.k, args.layers
    hidden, inter = 768, 3072
    genome = read_fasta(args.fasta)
    rng = np.random.default_rng(0)

    with tempfile.TemporaryDirectory() as tmp:
        cfg = original_config(k, hidden=hidden, layers=layers, heads=12, intermediate=inter)
        write_checkpoint(tmp, k, config=cfg, seed=0)
        spec = dnabert_spec(k)
        enc = DNABERTEncoder.from_pretrained(tmp, spec, device="cpu", dtype="float32")
        model = BertModel.from_pretrained(tmp, add_pooling_layer=False).eval()
        tok = BertTokenizer(str(Path(tmp) / "vocab.txt"), do_lower_case=False)
    attn = model.config._attn_implementation
    window, overlap = enc.max_bases, spec.capabilities.chunk_overlap

    print(f"DNABERT-{k} dimensions (hidden {hidden}, 12 heads, intermediate {inter}), {layers} of 12 layers, "
          f"random weights; fp32 on CPU, {torch.get_num_threads()} torch threads, {os.cpu_count()} CPUs")
    print(f"baseline: transformers {__import__('transformers').__version__} BertModel "
          f"(attn_implementation={attn!r}, {model.dtype}) + BertTokenizer; zoo: DNABERTEncoder.embed "
          f"(token budget 8192)")

    # warm-up both paths (allocator, thread pools, first-call overheads)
    warm = [genome[:700], genome[1000:1300]]
    enc.embed(warm)
    baseline_embed(model, tok, warm, k, window, overlap, args.batch)

    # (a) mixed lengths
    lengths = np.linspace(100, 3000, args.mixed).round().astype(int)
    starts = rng.integers(0, len(genome) - 3000, size=args.mixed)
    mixed = [genome[s : s + n] for s, n in zip(starts, lengths, strict=True)]
    t_base = t_zoo = float("inf")
    for _ in range(args.repeat):
        (want, useful), t = timed(lambda: baseline_embed(model, tok, mixed, k, window, overlap,
                                                         args.batch))
        t_base = min(t_base, t)
        got, t = timed(lambda: enc.embed(mixed))
        t_zoo = min(t_zoo, t)
    n_chunks = sum(len(spans(len(s), window, overlap)) for s in mixed)
    padded = sum(
        len(part) * max(len(c) - k + 3 for c in part)
        for part in (
            [s[a:b] for s in mixed for a, b in spans(len(s), window, overlap)][j : j + args.batch]
            for j in range(0, n_chunks, args.batch)
        )
    )
    from dnallm_zoo._batching import DEFAULT_TOKEN_BUDGET, plan_batches

    chunk_tokens = [b - a - k + 3 for s in mixed for a, b in spans(len(s), window, overlap)]
    zoo_padded = sum(len(b) * max(chunk_tokens[i] for i in b)
                     for b in plan_batches(chunk_tokens, DEFAULT_TOKEN_BUDGET))
    diff = float(np.abs(got - want).max())
    print(f"\n(a) mixed set, best of {args.repeat} interleaved runs: {args.mixed} sequences, "
          f"{lengths.min()}-{lengths.max()} bp evenly spread, {sum(lengths):,} bp -> {n_chunks} chunks, "
          f"{useful:,} useful tokens; max |zoo - baseline| = {diff:.1e}")
    print(f"    the baseline's batches of {args.batch} hold {padded:,} tokens with padding "
          f"({useful / padded:.0%} useful): the same model on the same chunks can gain at most "
          f"~{padded / useful:.2f}x by not padding; the zoo's length-sorted batches hold {zoo_padded:,}")
    print(f"    baseline loop      {useful / t_base:10,.0f} useful tokens/s  ({t_base:.1f} s)")
    print(f"    zoo encoder.embed  {useful / t_zoo:10,.0f} useful tokens/s  ({t_zoo:.1f} s)")
    ratio = t_base / t_zoo
    print(f"    ratio {ratio:.2f}x (goal >= {GOAL_MIXED:.0f}x: {'met' if ratio >= GOAL_MIXED else 'MISSED'})")

    # (b) uniform 512-token sequences
    n_bases = 509 + k
    starts = rng.integers(0, len(genome) - n_bases, size=args.uniform)
    uniform = [genome[s : s + n_bases] for s in starts]
    per_seq = flops_per_sequence(512, hidden, inter, layers)
    total = per_seq * len(uniform)
    batch_b = max(1, 8192 // 512)  # what the zoo's default token budget packs
    ids = tok([seq2kmer(s, k) for s in uniform], return_tensors="pt")
    assert ids["input_ids"].shape == (len(uniform), 512)

    def raw_forward() -> None:
        with torch.no_grad():
            for j in range(0, len(uniform), batch_b):
                model(input_ids=ids["input_ids"][j : j + batch_b],
                      attention_mask=ids["attention_mask"][j : j + batch_b])

    # the machine's rate: the model's own weight-matmul shapes replayed back to back with torch.matmul,
    # as many as one pass of (b) does (so that it is exposed to a shared machine's load as long)
    rows = batch_b * 512
    replay_shapes = [(rows, hidden, hidden)] * 4 + [(rows, hidden, inter), (rows, inter, hidden)]
    x, h = torch.randn(rows, hidden), torch.randn(rows, inter)
    w = {(kk, n): torch.randn(kk, n) for _, kk, n in replay_shapes}
    operands = [(x if kk == hidden else h, w[kk, n]) for _, kk, n in replay_shapes]
    n_batches = -(-len(uniform) // batch_b)
    replay_flops = n_batches * layers * sum(2 * m * kk * n for m, kk, n in replay_shapes)

    def replay() -> None:
        for _ in range(n_batches * layers):
            for a, b in operands:
                torch.matmul(a, b)

    square = (torch.randn(2048, 2048), torch.randn(2048, 2048))
    t_sq = t_replay = t_raw = t_emb = float("inf")
    for _ in range(args.repeat + 1):
        t_sq = min(t_sq, timed(lambda: torch.matmul(*square))[1])
        t_replay = min(t_replay, timed(replay)[1])
        t_raw = min(t_raw, timed(raw_forward)[1])
        t_emb = min(t_emb, timed(lambda: enc.embed(uniform))[1])
    peak = replay_flops / t_replay
    print(f"\n(b) uniform: {args.uniform} sequences x 512 tokens, batches of {batch_b}; "
          f"{per_seq / 1e9:.2f} GFLOP per sequence ({layers} layers: weight matmuls + attention); "
          f"best of {args.repeat + 1} interleaved runs")
    print(f"    torch.matmul fp32, square 2048 (one product)   {2 * 2048**3 / t_sq / 1e9:7.1f} GFLOP/s")
    print(f"    torch.matmul fp32, the model's weight shapes    {peak / 1e9:7.1f} GFLOP/s "
          f"({replay_flops / 1e9:.0f} GFLOP back to back: the machine's GEMM rate used below)")
    f_raw = total / t_raw / peak
    f_emb = total / t_emb / peak
    print(f"    raw transformers BertModel forward  {total / t_raw / 1e9:7.1f} GFLOP/s = {f_raw:.2f} of GEMM")
    print(f"    zoo encoder.embed (end to end)      {total / t_emb / 1e9:7.1f} GFLOP/s = {f_emb:.2f} of GEMM")
    print(f"    goal >= {GOAL_FRACTION} of GEMM: {'met' if f_emb >= GOAL_FRACTION else 'MISSED'}")


if __name__ == "__main__":
    main()
