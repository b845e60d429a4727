"""DNABERT tokenization: the zoo's vectorised k-mer tokenizer vs the original pipeline.

The original pipeline joins a sequence's overlapping k-mers with spaces (DNABERT's `seq2kmer`) and runs
`transformers.BertTokenizer(vocab.txt, do_lower_case=False)` over that string. Both sides produce the
same ids (checked here on every sequence before timing). Figures are measured in this run; the goals
(zoo >= 50x the original on one sequence at a time, and >= 80x on a batch returned as Python lists, the
default `tok(seqs)`) are printed next to them, never asserted.

    python benchmarks/bench_dnabert_tokenize.py [--k 6] [--n 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dnallm_zoo.io import read_fasta as fasta_records

ROOT = Path(__file__).resolve().parents[1]
FASTA = ROOT / "examples" / "arabidopsis_chloroplast.fa"
GOAL = 50.0  # one sequence a call
LIST_GOAL = 80.0  # a batch to Python lists, `tok(seqs)`


def read_fasta(path: Path) -> str:
    """The first record of a FASTA file (through the core's reader), upper-cased."""
    return next(iter(fasta_records(path)))[1].upper()


def seq2kmer(seq: str, k: int) -> str:
    """The original pipeline's input: overlapping k-mers joined by spaces."""
    return " ".join(seq[i : i + k] for i in range(len(seq) - k + 1))


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    """Fastest wall time of `repeat` runs (after one warm-up)."""
    return best_pair(fn, lambda: None, repeat)[0]


def best_pair(a: Callable[[], Any], b: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Fastest wall times of `a` and `b`, timed alternately (a shared machine's load hits both)."""
    a(), b()
    ta = tb = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        a()
        t1 = time.perf_counter()
        b()
        t2 = time.perf_counter()
        ta, tb = min(ta, t1 - t0), min(tb, t2 - t1)
    return ta, tb


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--k", type=int, default=6, choices=(3, 4, 5, 6))
    p.add_argument("--n", type=int, default=1000, help="sequences (windows of the genome)")
    p.add_argument("--length", type=int, default=None, help="bases per sequence (default 509+k: 512 tokens)")
    p.add_argument("--repeat", type=int, default=5, help="alternating timings of each side")
    p.add_argument("--fasta", type=Path, default=FASTA)
    args = p.parse_args(argv)

    from dnallm_zoo_dnabert.encoder import DNABERTEncoder
    from dnallm_zoo_dnabert.layout import vocab_tokens
    from dnallm_zoo_dnabert.specs import dnabert_spec
    from transformers import BertTokenizer

    k = args.k
    length = args.length or 509 + k
    genome = read_fasta(args.fasta)
    rng = np.random.default_rng(0)
    starts = rng.integers(0, len(genome) - length, size=args.n)
    seqs = [genome[s : s + length] for s in starts]
    bases = sum(map(len, seqs))

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "vocab.txt").write_text("".join(t + "\n" for t in vocab_tokens(k)))
        spec = dnabert_spec(k)
        zoo = DNABERTEncoder.build_tokenizer(Path(tmp), spec, {}, spec.tokenizer.normalization)
        ref = BertTokenizer(str(Path(tmp) / "vocab.txt"), do_lower_case=False)

    joined = [seq2kmer(s, k) for s in seqs]
    want = ref(joined)["input_ids"]
    assert all(zoo.encode(s).tolist() == w for s, w in zip(seqs, want, strict=True)), "ids differ"
    assert zoo(seqs)["input_ids"] == want, "ids differ (list form)"
    assert (zoo(seqs, padding=True, return_tensors="np")["input_ids"] == np.array(want)).all(), \
        "ids differ (numpy)"

    print(f"DNABERT-{k} tokenization: {args.n} windows of {length} bp ({length - k + 3} tokens) from "
          f"{args.fasta.name}; {bases / 1e6:.2f} Mbp per pass, best of {args.repeat} "
          "alternating runs of each side")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; ids identical "
          "on every sequence")
    rows = [
        ("one sequence a call", "zoo.encode(seq)", lambda: [zoo.encode(s) for s in seqs],
         "BertTokenizer(seq2kmer(seq))", lambda: [ref(seq2kmer(s, k))["input_ids"] for s in seqs]),
        ("one sequence a call, k-mer strings given", "zoo.encode(seq)", lambda: [zoo.encode(s) for s in seqs],
         "BertTokenizer(kmers)", lambda: [ref(j)["input_ids"] for j in joined]),
        ("batch __call__ to Python lists", "zoo(seqs)", lambda: zoo(seqs),
         "BertTokenizer([seq2kmer..])", lambda: ref([seq2kmer(s, k) for s in seqs])),
        ("batch __call__ to numpy", "zoo(seqs, padding=True, return_tensors='np')",
         lambda: zoo(seqs, padding=True, return_tensors="np"),
         "BertTokenizer([seq2kmer..], padding=True, return_tensors='np')",
         lambda: ref([seq2kmer(s, k) for s in seqs], padding=True, return_tensors="np")),
        ("batch __call__ to padded tensors", "zoo(seqs, padding=True, return_tensors='pt')",
         lambda: zoo(seqs, padding=True, return_tensors="pt"),
         "BertTokenizer([seq2kmer..], padding=True, return_tensors='pt')",
         lambda: ref([seq2kmer(s, k) for s in seqs], padding=True, return_tensors="pt")),
        ("batch __call__, k-mer strings given", "zoo(seqs, padding=True, return_tensors='pt')",
         lambda: zoo(seqs, padding=True, return_tensors="pt"),
         "BertTokenizer(kmers, padding=True, return_tensors='pt')",
         lambda: ref(joined, padding=True, return_tensors="pt")),
    ]
    print(f"{'path':42s} {'zoo Mbp/s':>10s} {'original Mbp/s':>15s} {'ratio':>8s}")
    ratios = []
    for name, _zname, zfn, _rname, rfn in rows:
        tz, tr = best_pair(zfn, rfn, args.repeat)
        ratio = tr / tz
        ratios.append(ratio)
        print(f"{name:42s} {bases / tz / 1e6:10.2f} {bases / tr / 1e6:15.3f} {ratio:7.1f}x")
    for i, goal, what in ((0, GOAL, "one sequence a call (the original pipeline)"),
                          (2, LIST_GOAL, "a batch to Python lists")):
        verdict = "met" if ratios[i] >= goal else "MISSED"
        print(f"goal: >= {goal:.0f}x on {what}: {verdict} ({ratios[i]:.1f}x)")
    t = best_of(lambda: zoo.encode(genome), args.repeat)
    print(f"whole genome as one sequence ({len(genome):,} bp, no model limit): "
          f"{len(genome) / t / 1e6:.1f} Mbp/s")


if __name__ == "__main__":
    main()
