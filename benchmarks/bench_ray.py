"""`dnallm-zoo embed --engine ray` (2 actors) vs `--engine local` on the same reads, and Ray's start-up cost.

Input: metagenome-like reads, `--records` reads of `--length` bp cut at random from the Arabidopsis
chloroplast genome (examples/), split over `--files` FASTA files. Both engines run as the console
script in a fresh subprocess, into a shard directory (`-o DIR/`), one after the other on the same
input; each prints its summary line, from which the run's own seconds are read (local: the model
load excluded; Ray: the actors' start-up and model loads included, Ray's own start-up apart).
Local runs twice: with torch's default threads, and with OMP_NUM_THREADS=1 (one thread, as each
actor of one CPU runs; on a busy machine it can be the faster). The wall time of each subprocess
(imports, start-up, everything) is printed too, and the rate at
which the Ray datasource parses the same files (records/s of one read task) and the rate of the
CLI's check of every record on the driver (before any model work), to show what reading costs.
The outputs are compared (the same ids; the largest difference of the vectors is printed).

On a 2-core machine the two actors share one CPU (0.5 each; a read task needs the other), so Ray's
overhead shows: the figure is to be known, not to be good. With a GPU: `--device cuda
--gpus-per-actor 1 --actors N` gives the tokens/s one GPU sustains (used in docs/scale-out.md).
Prints figures only (no asserts).

    python benchmarks/bench_ray.py [--records 4000] [--actors 2] [--model dnabert-demo]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
GENOME = ROOT / "examples" / "arabidopsis_chloroplast.fa"
SUMMARY = re.compile(r"embedded ([\d,]+) sequences?, ([\d,]+) bases.* in ([\d.]+) s")
STARTUP = re.compile(r"Ray start-up ([\d.]+) s")


def zoo_command() -> list[str]:
    script = Path(sys.executable).with_name("dnallm-zoo")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "dnallm_zoo"]


def reads(n: int, length: int, seed: int) -> list[tuple[str, str]]:
    from dnallm_zoo.io import read_fasta

    genome = "".join(seq for _, seq in read_fasta(GENOME))
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(genome) - length, size=n)
    return [(f"read{i}", genome[s : s + length]) for i, s in enumerate(starts)]


def write_inputs(directory: Path, records: list[tuple[str, str]], files: int) -> list[Path]:
    paths = []
    for f in range(files):
        path = directory / f"reads{f}.fa"
        with open(path, "w") as fh:
            for rid, seq in records[f::files]:
                fh.write(f">{rid}\n{seq}\n")
        paths.append(path)
    return paths


def run(cmd: list[str], **env: str) -> tuple[float, str]:
    """(wall seconds, stderr) of one subprocess; exits on failure."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **env})
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return wall, proc.stderr


def summary(stderr: str) -> tuple[int, int, float, float | None]:
    line = next(x for x in reversed(stderr.strip().splitlines()) if x.startswith("embedded "))
    m = SUMMARY.search(line)
    assert m is not None, line
    start = STARTUP.search(line)
    return (int(m[1].replace(",", "")), int(m[2].replace(",", "")), float(m[3]),
            float(start[1]) if start else None)


def parse_rate(paths: list[Path]) -> float:
    """Records/s of the datasource's reader on these files, in this process."""
    from dnallm_zoo.scale._datasource import read_blocks
    from dnallm_zoo.scale._files import expand

    files = expand(paths)
    t0 = time.perf_counter()
    n = sum(b.num_rows for f in files for b in read_blocks(f))
    return n / (time.perf_counter() - t0)


def check_rate(paths: list[Path], model: str) -> float:
    """Records/s of the driver's check of every record before model work (`_validation.Screening`)."""
    from dnallm_zoo import get_spec
    from dnallm_zoo._inputs import expand_inputs
    from dnallm_zoo._validation import Screening, Validator, min_bases

    spec = get_spec(model)
    screening = Screening(expand_inputs([str(p) for p in paths]),
                          Validator(spec.tokenizer.normalization, min_bases=min_bases(spec)))
    t0 = time.perf_counter()
    screening.check_files()
    return len(screening.expected_ids) / (time.perf_counter() - t0)


def same_rows(a: Path, b: Path) -> float:
    import pyarrow.parquet as pq

    ta, tb = (pq.read_table(d).sort_by("id") for d in (a, b))
    assert ta["id"].to_pylist() == tb["id"].to_pylist(), "the engines wrote different ids"
    va = np.array(ta["embedding"].to_pylist(), np.float32)
    vb = np.array(tb["embedding"].to_pylist(), np.float32)
    return float(np.abs(va - vb).max())


def main(argv: list[str] | None = None) -> None:
    cpus = os.cpu_count() or 1
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="dnabert-demo")
    p.add_argument("--records", type=int, default=4000)
    p.add_argument("--length", type=int, default=150)
    p.add_argument("--files", type=int, default=4)
    p.add_argument("--actors", type=int, default=2)
    p.add_argument("--cpus-per-actor", type=float, default=None,
                   help="default: the CPUs less one (for reading) shared by the actors, at most 1 each")
    p.add_argument("--gpus-per-actor", type=float, default=0.0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--batch-size", type=int, default=500, help="records per actor call (--shard-size)")
    args = p.parse_args(argv)
    per_actor = args.cpus_per_actor
    if per_actor is None:
        per_actor = min(1.0, max(cpus - 1, 1) / args.actors) if args.gpus_per_actor == 0 else 1.0

    from dnallm_zoo import load

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        records = reads(args.records, args.length, seed=0)
        paths = write_inputs(d, records, args.files)
        enc = load(args.model, device="cpu", dtype="float32")
        tokens = sum(len(ids) for ids in enc.tokenizer([s for _, s in records])["input_ids"])
        common = [*map(str, paths), "-m", args.model, "--device", args.device, "--dtype", args.dtype,
                  "--shard-size", str(args.batch_size)]
        print(f"{args.model}: {args.records:,} reads of {args.length} bp in {args.files} files "
              f"({tokens:,} tokens with specials), device {args.device}, {args.dtype}; {cpus} CPUs")
        print(f"datasource parsing (one read task, this process): {parse_rate(paths):,.0f} records/s; "
              f"the CLI's check of every record on the driver: {check_rate(paths, args.model):,.0f} "
              "records/s")

        wall_local, err_local = run([*zoo_command(), "embed", *common, "-o", f"{d}/local/"])
        n_l, _, s_l, _ = summary(err_local)
        wall_one, err_one = run([*zoo_command(), "embed", *common, "-o", f"{d}/one/"], OMP_NUM_THREADS="1")
        n_1, _, s_1, _ = summary(err_one)
        ray_cmd = [*zoo_command(), "embed", *common, "-o", f"{d}/ray/", "--engine", "ray",
                   "--actors", str(args.actors), "--cpus-per-actor", f"{per_actor:g}",
                   "--gpus-per-actor", f"{args.gpus_per_actor:g}"]
        wall_ray, err_ray = run(ray_cmd)
        n_r, _, s_r, startup = summary(err_ray)
        diff = same_rows(d / "ray", d / "local")
        shutil.rmtree(d / "ray")

    for label, n, secs, wall in (("local (one process, torch's default threads)", n_l, s_l, wall_local),
                                 ("local (one process, OMP_NUM_THREADS=1)", n_1, s_1, wall_one)):
        print(f"{label}: {n:,} records in {secs:.1f} s = {n / secs:,.1f} records/s, {tokens / secs:,.0f} "
              f"tokens/s (process wall {wall:.1f} s: {n / wall:,.1f} records/s)")
    print(f"ray ({args.actors} actors x {per_actor:g} CPU, {args.gpus_per_actor:g} GPU): {n_r:,} records in "
          f"{s_r:.1f} s = {n_r / s_r:,.1f} records/s, {tokens / s_r:,.0f} tokens/s (actor start-up and model "
          f"loads included; process wall {wall_ray:.1f} s: {n_r / wall_ray:,.1f} records/s)")
    print(f"Ray start-up (ray.init of a local cluster): {startup:.1f} s" if startup is not None
          else "Ray start-up: joined a running cluster")
    best, best_wall = max(n_l / s_l, n_1 / s_1), max(n_l / wall_local, n_1 / wall_one)
    print(f"ratio ray / local (default threads): run {(n_r / s_r) / (n_l / s_l):.2f}x, process wall "
          f"{(n_r / wall_ray) / (n_l / wall_local):.2f}x; ray / the faster local: run "
          f"{(n_r / s_r) / best:.2f}x, process wall {(n_r / wall_ray) / best_wall:.2f}x; "
          f"max abs difference of the vectors {diff:.1e}")


if __name__ == "__main__":
    main()
