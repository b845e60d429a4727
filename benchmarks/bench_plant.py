"""Plant DNABERT tokenization: the zoo's tokenizers vs the original tokenizer classes.

References: `transformers.EsmTokenizer` (6-mer, single base) on the same vocab.txt and
tokenizer_config.json, and `transformers.PreTrainedTokenizerFast` over the same tokenizer.json (BPE).
Inputs are windows of the Arabidopsis chloroplast genome as long as each model takes (its max_bases),
optionally with a fraction of the bases turned into N. Ids are checked identical on every sequence
before timing. Figures are measured in this run; the goal (zoo >= 20x the original, one sequence a
call) is printed next to them, never asserted.

The BPE side cannot reach 20x: both sides run the same Rust `tokenizers` BPE on the same file, so the
zoo can only save the Python wrapping around it. The tiny BPE vocabulary used here (341 pieces up to
4-mers, specials after them as in the real file) stands in for the real 8000-piece one, which cannot
be downloaded here; it slows both sides alike.

    python benchmarks/bench_plant.py [--n 200] [--repeat 3] [--n-fraction 0.001]
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
GOAL = 20.0


def read_fasta(path: Path) -> str:
    """The first record of a FASTA file (through the core's reader), upper-cased."""
    return next(iter(fasta_records(path)))[1].upper()


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    """Fastest wall time of `repeat` runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def windows(genome: str, length: int, n: int, n_fraction: float, seed: int) -> list[str]:
    """`n` random windows of `length` bases, a fraction of their bases set to N."""
    rng = np.random.default_rng(seed)
    out = []
    for s in rng.integers(0, len(genome) - length, size=n):
        w = bytearray(genome[s : s + length], "ascii")
        for i in np.flatnonzero(rng.random(length) < n_fraction):
            w[i] = ord("N")
        out.append(w.decode())
    return out


def tokenizers(tmp: Path) -> list[tuple[str, Any, Any, int]]:
    """(model id, zoo tokenizer, reference tokenizer, max_bases) for the three flavours."""
    from dnallm_zoo_plant_dnabert.checkpoint import tiny_bpe_json
    from dnallm_zoo_plant_dnabert.encoder import PlantDNABERTEncoder
    from dnallm_zoo_plant_dnabert.layout import esm_vocab
    from dnallm_zoo_plant_dnabert.tokenizer import write_esm_tokenizer_config
    from transformers import EsmTokenizer, PreTrainedTokenizerFast

    from dnallm_zoo import get_spec

    out = []
    for model_id in ("plant-dnabert-bpe", "plant-dnabert-6mer", "plant-dnabert-singlebase"):
        spec = get_spec(model_id)
        d = tmp / model_id
        d.mkdir()
        if spec.tokenizer.kind == "bpe":
            (d / "tokenizer.json").write_text(tiny_bpe_json())
            ref = PreTrainedTokenizerFast(
                tokenizer_file=str(d / "tokenizer.json"), cls_token="[CLS]", sep_token="[SEP]",
                unk_token="[UNK]", pad_token="[PAD]", mask_token="[MASK]",
            )
        else:
            vocab = esm_vocab(spec.tokenizer.k)
            (d / "vocab.txt").write_text("".join(t + "\n" for t in vocab))
            write_esm_tokenizer_config(d, max_length=512, vocab={t: i for i, t in enumerate(vocab)})
            ref = EsmTokenizer.from_pretrained(str(d))
        zoo = PlantDNABERTEncoder.build_tokenizer(d, spec, {}, spec.tokenizer.normalization)
        out.append((model_id, zoo, ref, spec.capabilities.max_bases))
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=200, help="sequences (genome windows) per model")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--n-fraction", type=float, default=0.001, help="fraction of bases set to N")
    p.add_argument("--fasta", type=Path, default=FASTA)
    args = p.parse_args(argv)

    genome = read_fasta(args.fasta)
    print(f"Plant DNABERT tokenization: {args.n} windows of each model's max_bases from "
          f"{args.fasta.name}, {args.n_fraction:.2%} of bases N; best of {args.repeat}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs "
          f"(RAYON_NUM_THREADS={os.environ.get('RAYON_NUM_THREADS', 'unset')})")
    print(f"{'model':26s} {'path':34s} {'zoo Mbp/s':>10s} {'original Mbp/s':>15s} {'ratio':>8s}")
    single_call: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for model_id, zoo, ref, max_bases in tokenizers(Path(tmp)):
            seqs = windows(genome, max_bases, args.n, args.n_fraction, seed=1)
            bases = sum(map(len, seqs))
            want = ref(seqs)["input_ids"]
            got = [zoo.encode(s).tolist() for s in seqs]
            assert got == want, f"{model_id}: ids differ from the reference"
            whole = [genome]
            assert zoo.encode(genome).tolist() == ref(whole)["input_ids"][0]
            rows = [
                ("one sequence a call", lambda z=zoo, s=seqs: [z.encode(x) for x in s],
                 lambda r=ref, s=seqs: [r(x)["input_ids"] for x in s]),
                ("batch __call__ to padded tensors",
                 lambda z=zoo, s=seqs: z(s, padding=True, return_tensors="pt", max_length=1 << 30),
                 lambda r=ref, s=seqs: r(s, padding=True, return_tensors="pt")),
                (f"whole genome ({len(genome) / 1e3:.0f} kbp), one call",
                 lambda z=zoo: z.encode(genome), lambda r=ref, w=whole: r(w)["input_ids"]),
            ]
            for name, zfn, rfn in rows:
                n_bases = len(genome) if name.startswith("whole") else bases
                tz = best_of(zfn, args.repeat)
                tr = best_of(rfn, args.repeat)
                ratio = tr / tz
                single_call.setdefault(model_id, ratio)
                print(f"{model_id:26s} {name:34s} {n_bases / tz / 1e6:10.2f} {n_bases / tr / 1e6:15.3f} "
                      f"{ratio:7.1f}x")
        print("ids identical to the reference on every sequence")
        for model_id, ratio in single_call.items():
            verdict = "met" if ratio >= GOAL else "MISSED"
            why = " (same Rust BPE on both sides)" if model_id.endswith("bpe") else ""
            print(f"goal >= {GOAL:.0f}x, {model_id}, one sequence a call: {verdict} "
                  f"({ratio:.1f}x){why}")


if __name__ == "__main__":
    main()
