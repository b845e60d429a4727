"""Peak RSS of `dnallm-zoo embed` on a genome vs the genome repeated 10x (goal: <= 1.1x).

Three runs of the console script, each a fresh subprocess measured with `os.wait4` (its own peak
RSS): the genome as it is, repeated as 10 records, and as one 10x-long record. Streaming input and
output should keep the peak flat. Prints figures only (no asserts).

    python benchmarks/bench_embed_memory.py --model dnabert-demo
    python benchmarks/bench_embed_memory.py --model dnabert-6 --tiny   # its tiny random checkpoint
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.1


def zoo_command() -> list[str]:
    """The console script next to this interpreter, else `python -m dnallm_zoo`."""
    script = Path(sys.executable).with_name("dnallm-zoo")
    if script.is_file():
        return [str(script)]
    found = shutil.which("dnallm-zoo")
    return [found] if found else [sys.executable, "-m", "dnallm_zoo"]


def write_fasta(path: Path, records: list[tuple[str, str]], width: int = 80) -> Path:
    with open(path, "w") as fh:
        for rid, seq in records:
            fh.write(f">{rid}\n")
            for i in range(0, len(seq), width):
                fh.write(seq[i : i + width] + "\n")
    return path


def tiny_checkpoint(model: str, path: Path) -> Path:
    """The model's tiny random checkpoint, written by its plugin's `make_test_checkpoint`."""
    from dnallm_zoo.testing import make_test_checkpoint

    return make_test_checkpoint(model, path)


def measure(cmd: list[str]) -> tuple[int, float, int, str]:
    """(peak RSS in KiB, wall seconds, exit status, stderr's last line) of one subprocess."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        err.seek(0)
        lines = err.read().decode(errors="replace").strip().splitlines()
    return usage.ru_maxrss, seconds, proc.returncode, lines[-1] if lines else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="dnabert-demo", help="model id or checkpoint directory")
    parser.add_argument("--tiny", action="store_true",
                        help="use the model's tiny random test checkpoint (no download)")
    parser.add_argument("--genome", type=Path, default=ROOT / "examples" / "arabidopsis_chloroplast.fa")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--suffix", default=".parquet", help="output format")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()

    from dnallm_zoo.io import read_fasta

    genome = list(read_fasta(args.genome))
    bases = sum(len(s) for _, s in genome)
    with tempfile.TemporaryDirectory(prefix="bench-embed-") as tmp:
        work = Path(tmp)
        model = str(tiny_checkpoint(args.model, work / "tiny")) if args.tiny else args.model
        inputs = {
            "1x": (args.genome, len(genome), bases),
            f"{args.repeat}x records": (
                write_fasta(work / "records.fa", [(f"{rid}_{i}", s) for i in range(args.repeat)
                                                  for rid, s in genome]),
                args.repeat * len(genome), args.repeat * bases),
            f"{args.repeat}x one record": (
                write_fasta(work / "long.fa", [("genome_x", "".join(s for _, s in genome) * args.repeat)]),
                1, args.repeat * bases),
        }
        print(f"model   : {args.model}{' (tiny test checkpoint)' if args.tiny else ''}")
        print(f"genome  : {args.genome} ({len(genome)} record(s), {bases:,} bases)")
        print(f"{'input':<16} {'records':>7} {'bases':>11} {'peak RSS':>11} {'wall':>8} {'vs 1x':>6}")
        base_rss = None
        for label, (path, n_rec, n_bases) in inputs.items():
            cmd = [*zoo_command(), "embed", str(path), "--model", model, "-o",
                   str(work / f"out{args.suffix}"), "--device", args.device]
            rss, secs, code, last = measure(cmd)
            if code != 0:
                print(f"{label:<16} failed (exit {code}): {last}")
                continue
            base_rss = base_rss or rss
            print(f"{label:<16} {n_rec:>7} {n_bases:>11,} {rss / 1024:>8.1f} MiB {secs:>6.1f} s "
                  f"{rss / base_rss:>5.2f}x")
        print(f"goal    : 10x input within {GOAL}x of the 1x peak RSS")


if __name__ == "__main__":
    main()
