"""Variant scoring throughput: `dnallm-zoo vep` vs a straightforward loop; mutagenesis passes and marginals.

(a) 1,000 random SNVs on the Arabidopsis chloroplast genome (examples/), the shipped `dnabert-demo`
    model, the default window (the most the model takes in one pass: 515 bases), both strands.
    The zoo: `dnallm-zoo vep` (in process, through its command) with --no-embedding (llr only, what
    the loop computes) and with the embedding scores. The baseline: transformers' `BertForMaskedLM`
    from the same directory, one unbatched forward per variant and strand, ids built from vocab.txt
    in Python (DNABERT's overlapping 6-mers; the k-mers covering the variant masked), log-softmax over
    every token's logits as the class returns them. Both give the same llr (checked: max difference
    printed). Also `embed` of the same 2,000 windows the masked passes run (1,000 ref windows, each
    strand), as a throughput reference: goal vep >= embed in windows/s, >= 1.5x the loop.
(b) Mutagenesis of a 1-kb region: masked forward passes per position (all three alternatives from
    one pass; one pass per alternative would be 3), masked vs wild-type marginal wall time (goal:
    wild-type >= 50x faster), and how far the two agree (Spearman over the 3,000 substitutions).

The machine may be shared: each side runs --repeat times, interleaved, the best kept. Figures are
measured in this run and printed with their ratios; nothing is asserted.

    python benchmarks/bench_vep.py [--variants 1000] [--region-bases 1000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FASTA = ROOT / "examples" / "arabidopsis_chloroplast.fa"
_COMP = str.maketrans("ACGT", "TGCA")


def write_vcf(path: Path, chrom: str, genome: str, n: int, seed: int) -> list[tuple[int, str, str]]:
    rng = random.Random(seed)
    picked = sorted(rng.sample(range(1, len(genome) + 1), n))
    out = []
    lines = ["##fileformat=VCFv4.2", f"##contig=<ID={chrom},length={len(genome)}>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for i, pos in enumerate(picked):
        ref = genome[pos - 1]
        alt = rng.choice([b for b in "ACGT" if b != ref])
        lines.append(f"{chrom}\t{pos}\tsnv{i}\t{ref}\t{alt}\t.\t.\t.")
        out.append((pos, ref, alt))
    path.write_text("\n".join(lines) + "\n")
    return out


def loop_baseline(model_dir: Path, genome: str, snvs: list[tuple[int, str, str]],
                  width: int) -> list[float]:
    """One unbatched BertForMaskedLM forward per variant and strand; the mean of the strands' llr."""
    import torch
    from transformers import BertForMaskedLM

    model = BertForMaskedLM.from_pretrained(str(model_dir)).eval()
    vocab = {t: i for i, t in enumerate((model_dir / "vocab.txt").read_text().split("\n")[:-1])}
    k = 6
    out = []
    with torch.inference_mode():
        for pos, _, alt in snvs:
            p0 = pos - 1
            start = max(0, min(p0 - width // 2, len(genome) - width))
            seq = genome[start:start + width]
            o = p0 - start
            llrs = []
            strands = ((seq, o, alt), (seq.translate(_COMP)[::-1], len(seq) - 1 - o, alt.translate(_COMP)))
            for s, off, a in strands:
                alt_seq = s[:off] + a + s[off + 1:]
                starts = range(len(s) - k + 1)
                ref_ids = [vocab["[CLS]"], *(vocab[s[i:i + k]] for i in starts), vocab["[SEP]"]]
                alt_ids = [vocab["[CLS]"], *(vocab[alt_seq[i:i + k]] for i in starts), vocab["[SEP]"]]
                masked = [1 + j for j in range(max(0, off - k + 1), min(off, len(s) - k) + 1)]
                ids = torch.tensor([ref_ids])
                ids[0, masked] = vocab["[MASK]"]
                lp = torch.log_softmax(model(input_ids=ids).logits[0], -1)
                llrs.append(float(sum(lp[i, alt_ids[i]] - lp[i, ref_ids[i]] for i in masked)))
            out.append(sum(llrs) / 2)
    return out


def timed(fn, repeat: int):  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variants", type=int, default=1000)
    ap.add_argument("--region-bases", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()

    import pyarrow.parquet as pq
    import torch
    from click.testing import CliRunner

    import dnallm_zoo
    from dnallm_zoo._fasta import read_fasta
    from dnallm_zoo.cli import cli
    from dnallm_zoo.variants import ScoreStats, mutagenesis

    if args.threads:
        torch.set_num_threads(args.threads)
    (chrom, genome), = list(read_fasta(FASTA))
    enc = dnallm_zoo.load("dnabert-demo", device="cpu", dtype="float32")
    model_dir = Path(enc.spec.weights.path or "")
    width = enc.max_bases
    print(f"torch threads {torch.get_num_threads()}; model dnabert-demo ({enc.num_layers} layers, hidden "
          f"{enc.hidden_size}); window {width} bases; {args.variants:,} SNVs on {chrom} ({len(genome):,} bp)")

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        vcf = d / "snvs.vcf"
        snvs = write_vcf(vcf, chrom, genome, args.variants, seed=0)

        def vep(*extra: str) -> object:
            out = d / "out.parquet"
            res = CliRunner().invoke(cli, ["vep", str(vcf), "-r", str(FASTA), "-m", "dnabert-demo",
                                           "-o", str(out), "--device", "cpu", "--dtype", "float32", *extra])
            if res.exit_code:
                raise SystemExit(res.stderr)
            return pq.read_table(out)

        windows = []
        for pos, _, _ in snvs:
            start = max(0, min(pos - 1 - width // 2, len(genome) - width))
            seq = genome[start:start + width]
            windows += [seq, seq.translate(_COMP)[::-1]]

        t_vep, table = timed(lambda: vep("--no-embedding"), args.repeat)
        t_emb_vep, _ = timed(lambda: vep(), args.repeat)
        t_embed, _ = timed(lambda: enc.embed(windows, pooling="mean"), args.repeat)
        t_loop, loop = timed(lambda: loop_baseline(model_dir, genome, snvs, width), args.repeat)
        zoo = np.array(table["llr"].to_pylist(), dtype=np.float64)
        diff = float(np.max(np.abs(zoo - np.array(loop))))
        n = len(snvs)
        print("(a) 1 SNV = 2 masked forward passes (one per strand)")
        print(f"    vep --no-embedding     {t_vep:7.1f} s  {n / t_vep:7.1f} variants/s  "
              f"{2 * n / t_vep:7.1f} windows/s")
        print(f"    vep (+ embed scores)   {t_emb_vep:7.1f} s  {n / t_emb_vep:7.1f} variants/s  "
              f"(+ 2 unmasked windows per variant: {4 * n / t_emb_vep:7.1f} windows/s)")
        print(f"    embed, same windows    {t_embed:7.1f} s  {len(windows) / t_embed:7.1f} windows/s")
        print(f"    loop BertForMaskedLM   {t_loop:7.1f} s  {n / t_loop:7.1f} variants/s  "
              f"{2 * n / t_loop:7.1f} windows/s")
        print(f"    ratio vep / loop: {t_loop / t_vep:.2f}x; vep / embed (windows/s): "
              f"{t_embed / t_vep:.2f}x; max |llr difference| {diff:.2e}")
        print(f"    mean llr {zoo.mean():+.3f}, median {np.median(zoo):+.3f}, "
              f"share < 0: {(zoo < 0).mean():.2f}")

        s = random.Random(1).randrange(0, len(genome) - args.region_bases)
        region = f"{chrom}:{s + 1}-{s + args.region_bases}"
        masked_stats, wild_stats = ScoreStats(), ScoreStats()
        t_masked, masked = timed(lambda: mutagenesis(enc, FASTA, [region], strand="forward",
                                                     stats=masked_stats), 1)
        t_wild, wild = timed(lambda: mutagenesis(enc, FASTA, [region], strand="forward",
                                                 marginal="wildtype", stats=wild_stats), args.repeat)
        from scipy.stats import spearmanr

        m = np.array([r["llr"] for r in masked], dtype=np.float64)
        w = np.array([r["llr"] for r in wild], dtype=np.float64)
        rho = spearmanr(m, w).statistic
        positions = args.region_bases
        print(f"(b) mutagenesis of {region} ({positions:,} positions, {len(masked):,} substitutions), "
              "forward strand")
        per = masked_stats.llr_passes / positions
        print(f"    masked:    {masked_stats.llr_passes:,} passes = {per:.2f} per position (one pass per "
              f"alternative: {3 * positions:,} = 3.00), {t_masked:6.1f} s")
        print(f"    wild-type: {wild_stats.llr_passes:,} passes, {t_wild:6.2f} s; masked / wild-type "
              f"{t_masked / t_wild:.0f}x")
        print(f"    agreement masked vs wild-type: Spearman {rho:.3f}; mean llr masked {m.mean():+.3f}, "
              f"wild-type {w.mean():+.3f}")


if __name__ == "__main__":
    main()
