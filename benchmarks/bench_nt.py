"""Nucleotide Transformer: the zoo's native v2 encoder vs an eager reference of the original; the NT
tokenizer vs transformers' EsmTokenizer, both in one run on CPU.

1. Encoder. Both run the same random weights at real NT v2 dimensions (`--size`: 500m is hidden 1024,
   16 heads, intermediate 4096, vocabulary 4107; `--layers` cuts the depth so a run takes about a minute
   on 2 cores) on one batch of mixed lengths (spread evenly over [min-len, max-len] tokens, right-padded
   with <pad> = 1). The reference is the plugin's test reference (`tests/reference.py`): the original
   remote code's equations step by step on the padded batch, explicit softmax, as transformers 4.28's
   eager ESM computes them. Reported: real tokens per second of each, their ratio (goal >= 1.5x), and
   the largest difference of the last hidden states at real positions.
2. Tokenizer. `NTTokenizer(seqs, padding=False)` vs `EsmTokenizer(seqs, padding=False)` on the same
   list (`--n-seqs` sequences of 100-3,000 bases, a few N), ids checked equal; goal >= 20x.

Goals are printed beside the figures, never asserted.

    python benchmarks/bench_nt.py [--size 500m] [--layers 2] [--batch 8] [--min-len 32] [--max-len 1024]
                                  [--repeat 3] [--threads 1] [--n-seqs 400]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from dnallm_zoo.testing import load_test_module

ENCODER_GOAL, TOKENIZER_GOAL = 1.5, 20.0
PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "dnallm-zoo-nucleotide-transformer"
SIZES = {"50m": (512, 16, 2048), "100m": (512, 16, 2048), "250m": (768, 16, 3072), "500m": (1024, 16, 4096)}


def _reference() -> Any:
    """The plugin's test reference of the original NT forward."""
    return load_test_module("nt_reference", PLUGIN / "tests" / "reference.py")


def mixed_batch(n: int, lo: int, hi: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random 6-mer ids (<cls> first), lengths spread evenly over [lo, hi], right-padded with <pad> = 1."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.linspace(lo, hi, n).round().long()
    ids = torch.ones((n, hi), dtype=torch.long)
    mask = torch.zeros((n, hi), dtype=torch.long)
    for row, length in enumerate(lengths.tolist()):
        ids[row, :length] = torch.randint(6, 4102, (length,), generator=g)
        ids[row, 0] = 3
        mask[row, :length] = 1
    return ids, mask


def best_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_encoder(args: argparse.Namespace) -> None:
    from dnallm_zoo_nucleotide_transformer.checkpoint import original_config, random_weights
    from dnallm_zoo_nucleotide_transformer.modeling import NTv2Config, NTv2ForMaskedLM

    ref = _reference()
    hidden, heads, inter = SIZES[args.size]
    config = original_config(2, hidden=hidden, layers=args.layers, heads=heads, intermediate=inter)
    sd = random_weights(2, config, seed=0)
    with torch.device("meta"):
        model = NTv2ForMaskedLM(NTv2Config.from_dict(config))
    model.load_state_dict(sd, assign=True)
    model.eval()
    ids, mask = mixed_batch(args.batch, args.min_len, args.max_len, seed=1)
    real = int(mask.sum())
    with torch.no_grad():
        zoo = model.esm(ids, mask).last_hidden_state
        want = ref.reference_v2(sd, config, ids, mask)["last"]
        diff = float((zoo - want)[mask.bool()].abs().max())
        t_ref = t_zoo = float("inf")
        for _ in range(args.repeat):  # alternate, so that load on the machine hits both alike
            t_ref = min(t_ref, best_time(lambda: ref.reference_v2(sd, config, ids, mask), 1))
            t_zoo = min(t_zoo, best_time(lambda: model.esm(ids, mask), 1))
    pad = 1 - real / mask.numel()
    print(f"encoder: NT v2 {args.size} dims (hidden {hidden}, {heads} heads, intermediate {inter}), "
          f"{args.layers} layers, batch {args.batch} of {args.min_len}-{args.max_len} tokens "
          f"({real} real, {pad:.0%} padding), fp32, {torch.get_num_threads()} thread(s), "
          f"best of {args.repeat}")
    print(f"  reference (eager original): {real / t_ref:9.0f} tokens/s  ({t_ref:.3f} s)")
    print(f"  zoo native v2:              {real / t_zoo:9.0f} tokens/s  ({t_zoo:.3f} s)")
    print(f"  ratio zoo / reference: {t_ref / t_zoo:.2f}x (goal >= {ENCODER_GOAL}x); max |diff| {diff:.2e}")


def random_dna(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        seq = [rng.choice("ACGT") for _ in range(rng.randint(100, 3000))]
        for _ in range(rng.randint(0, 3)):
            seq[rng.randrange(len(seq))] = "N"
        out.append("".join(seq))
    return out


def bench_tokenizer(args: argparse.Namespace) -> None:
    from dnallm_zoo_nucleotide_transformer import tokenizer as nt
    from transformers import EsmTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp)
        (p / "vocab.txt").write_text("\n".join(nt.nt_vocab_tokens(2)))
        nt.write_tokenizer_files(p, max_length=2048)
        esm = EsmTokenizer.from_pretrained(str(p))
        ours = nt.NTTokenizer.from_pretrained(p, max_length=2048)
    seqs = random_dna(args.n_seqs, seed=2)
    bases = sum(map(len, seqs))
    same = esm(seqs, padding=False)["input_ids"] == ours(seqs, padding=False)["input_ids"]
    t_esm = t_ours = float("inf")
    for _ in range(args.repeat):
        t_esm = min(t_esm, best_time(lambda: esm(seqs, padding=False), 1))
        t_ours = min(t_ours, best_time(lambda: ours(seqs, padding=False), 1))
    print(f"tokenizer: {len(seqs)} sequences, {bases} bases, list form, padding=False, ids equal: {same}")
    print(f"  EsmTokenizer: {bases / t_esm / 1e6:7.2f} Mbp/s  ({t_esm:.3f} s)")
    print(f"  NTTokenizer:  {bases / t_ours / 1e6:7.2f} Mbp/s  ({t_ours:.3f} s)")
    print(f"  ratio: {t_esm / t_ours:.1f}x (goal >= {TOKENIZER_GOAL}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="500m")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--min-len", type=int, default=32)
    parser.add_argument("--max-len", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--n-seqs", type=int, default=400)
    args = parser.parse_args()
    if importlib.util.find_spec("dnallm_zoo_nucleotide_transformer") is None:
        sys.path.insert(0, str(PLUGIN))
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    bench_encoder(args)
    bench_tokenizer(args)


if __name__ == "__main__":
    main()
