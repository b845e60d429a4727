#!/usr/bin/env python
"""Build a small real-sequence task from the `examples/` genomes: which genome a window comes from.

Three classes, one per genome: `phix174` (phage phiX174, 5,386 bp), `yersinia_pPCP1` (a Yersinia
pestis plasmid, 9,609 bp), `arabidopsis_chloroplast` (154,478 bp). Each window is read from a random
place of its genome, on a random strand (so that the strand tells nothing), the same for a seed.
Training and evaluation windows come from different parts of each genome and never overlap: the
last 20% of phiX174 and pPCP1 are kept for evaluation, and for the chloroplast the window the
`dnabert-demo` model was not pre-trained on (bases 112,000-122,000; the rest of the chloroplast,
its inverted repeats included, is training ground).

Writes OUT/train.csv and OUT/eval.csv with the columns id, sequence, label (the genome's name);
with --test-per-genome also OUT/test.csv, other windows of the evaluation stretches (a test split
for `dnallm-zoo benchmark`: eval.csv picks the epoch, test.csv is scored).

Usage: python scripts/make_genome_windows.py -o data/genomes [--length 150] [--min-length 50
--max-length 500 for mixed lengths] [--train-per-genome 200] [--eval-per-genome 100] [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import dnaio
import numpy as np

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
GENOMES = {  # label -> (file, (start, end) of the evaluation region, 0-based half-open; None: the last 20%)
    "phix174": ("phix174.fa", None),
    "yersinia_pPCP1": ("yersinia_pPCP1.fa", None),
    "arabidopsis_chloroplast": ("arabidopsis_chloroplast.fa", (112_000, 122_000)),
}
_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def read_genome(path: Path) -> str:
    with dnaio.open(path, fileformat="fasta") as reader:
        (record,) = list(reader)
    return record.sequence.upper()


def regions(n: int, held_out: tuple[int, int] | None) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """The training stretches and the evaluation stretch of a genome of n bases."""
    start, end = held_out if held_out is not None else (n - n // 5, n)
    train = [(a, b) for a, b in ((0, start), (end, n)) if b > a]
    return train, (start, end)


def sample(genome: str, stretches: list[tuple[int, int]], count: int, lengths: np.ndarray,
           rng: np.random.Generator, name: str) -> list[tuple[str, str]]:
    """`count` distinct windows, each wholly inside one stretch (stretches drawn by their usable length)."""
    out = []
    taken: set[tuple[int, int]] = set()
    for length in lengths[:count]:
        usable = np.array([max(b - a - length + 1, 0) for a, b in stretches], dtype=np.float64)
        if usable.sum() == 0:
            raise SystemExit(f"{name}: no stretch holds a window of {length} bases")
        for _ in range(1000):  # a window already drawn is drawn again: no duplicate ids or rows
            i = int(rng.choice(len(stretches), p=usable / usable.sum()))
            start = stretches[i][0] + int(rng.integers(0, int(usable[i])))
            if (start, int(length)) not in taken:
                break
        else:
            raise SystemExit(f"{name}: too few distinct windows of {length} bases for {count} draws")
        taken.add((start, int(length)))
        seq = genome[start: start + int(length)]
        strand = "+"
        if rng.random() < 0.5:
            seq, strand = seq.translate(_COMPLEMENT)[::-1], "-"
        out.append((f"{name}:{start}-{start + int(length)}:{strand}", seq))
    return out


def write(path: Path, rows: list[tuple[str, str, str]]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "sequence", "label"])
        w.writerows(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", type=Path, required=True, help="directory for train.csv and eval.csv")
    ap.add_argument("--length", type=int, default=150, help="bases per window (default 150)")
    ap.add_argument("--min-length", type=int, default=None, help="with --max-length: mixed lengths")
    ap.add_argument("--max-length", type=int, default=None)
    ap.add_argument("--train-per-genome", type=int, default=200)
    ap.add_argument("--eval-per-genome", type=int, default=100)
    ap.add_argument("--test-per-genome", type=int, default=0,
                    help="also OUT/test.csv: other windows of the evaluation stretch (none by default)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if (args.min_length is None) != (args.max_length is None):
        ap.error("--min-length and --max-length go together")
    rng = np.random.default_rng(args.seed)
    splits: dict[str, list[tuple[str, str, str]]] = {"train": [], "eval": []}
    if args.test_per_genome:
        splits["test"] = []
    for label, (file, held_out) in GENOMES.items():
        genome = read_genome(EXAMPLES / file)
        train_parts, eval_part = regions(len(genome), held_out)
        held = args.eval_per_genome + args.test_per_genome  # drawn together: no window in both
        for split, parts, count in (("train", train_parts, args.train_per_genome),
                                    ("eval", [eval_part], held)):
            if args.min_length is None:
                lengths = np.full(count, args.length)
            else:
                lengths = rng.integers(args.min_length, args.max_length + 1, size=count)
            for i, (rid, seq) in enumerate(sample(genome, parts, count, lengths, rng, label)):
                where = "test" if split == "eval" and i >= args.eval_per_genome else split
                splits[where].append((rid, seq, label))
    args.output.mkdir(parents=True, exist_ok=True)
    for split, rows in splits.items():
        order = rng.permutation(len(rows))  # classes interleaved, the same for a seed
        write(args.output / f"{split}.csv", [rows[i] for i in order])
        counts = {label: sum(r[2] == label for r in rows) for label in GENOMES}
        print(f"{args.output / f'{split}.csv'}: {len(rows)} windows {counts}")


if __name__ == "__main__":
    main()
