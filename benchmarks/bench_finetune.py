"""Fine-tuning throughput: `dnallm_zoo.finetune` vs transformers' BertForSequenceClassification; the probe.

(a) Training throughput in real (non-pad) tokens per second, on one DNABERT-6-shaped checkpoint with
    random weights in the original layout (hidden 256, 4 layers, 4 heads, intermediate 1024; 512
    positions), written to a temporary directory. The zoo: `dnallm_zoo.finetune.finetune` (the
    `dnallm-zoo finetune` path: Trainer, DataCollatorWithPadding, batches grouped by length). The
    baseline, as the DNABERT/DNABERT-2 fine-tuning scripts run it: transformers'
    `BertForSequenceClassification` from the same directory, `BertTokenizer` ids (the same ids),
    `Trainer` with DataCollatorWithPadding and its default random batches. Same data, batch size,
    epochs, learning rate and seed; each timed around `trainer.train()` only. Two data sets cut from
    the Arabidopsis chloroplast genome: mixed lengths (evenly spread over --min-bases..--max-bases) and
    uniform lengths (all --uniform-bases). Goal: >= 1.5x on mixed lengths, never slower on uniform ones.
(b) The linear probe's wall time (embed once + fit the head) against full fine-tuning on the task of
    docs/fine-tuning.md (`scripts/make_genome_windows.py`: which genome a 150-bp window comes from, the
    `dnabert-demo` model), with the docs' settings, both as `dnallm-zoo finetune` commands, model
    loading included. Evaluation metrics printed for both.

The machine may be shared: --repeat times each side of (a), interleaved, and keeps the best; CPU time
(`time.process_time` around `trainer.train()`) is printed beside wall time, as contention moves it
less. Figures are measured in this run and printed with their ratios; nothing is asserted.

    python benchmarks/bench_finetune.py [--sequences 256] [--epochs 1] [--batch-size 16] [--repeat 1]
        [--skip-probe | --skip-throughput] [--full-epochs 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FASTA = ROOT / "examples" / "arabidopsis_chloroplast.fa"


def windows(genome: str, lengths: np.ndarray, rng: np.random.Generator) -> list[str]:
    starts = rng.integers(0, len(genome) - int(lengths.max()), size=len(lengths))
    return [genome[s: s + int(n)] for s, n in zip(starts, lengths, strict=True)]


def gc_labels(seqs: list[str]) -> np.ndarray:
    """Above or below the median GC content: a learnable label, balanced."""
    gc = np.array([(s.count("G") + s.count("C")) / len(s) for s in seqs])
    return (gc > np.median(gc)).astype(np.int64)


def zoo_run(model_dir: Path, seqs: list[str], labels: np.ndarray, args: argparse.Namespace,
            out: Path) -> dict:
    from dnallm_zoo.finetune.data import LabeledData
    from dnallm_zoo.finetune.train import TrainConfig, finetune

    rows = [f"row {i + 1}" for i in range(len(seqs))]
    data = LabeledData("bench", "binary", seqs, labels, ["0", "1"], rows)
    cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, learning_rate=1e-4, seed=0,
                      device="cpu", progress=False)
    record = finetune(str(model_dir), data, None, out, cfg, overwrite=True, echo=lambda _: None)
    return {"seconds": record["train_seconds"], "cpu": record["train_cpu_seconds"],
            "loss": record["epochs"][-1]["train_loss"]}


def baseline_run(model_dir: Path, seqs: list[str], labels: np.ndarray, args: argparse.Namespace,
                 out: Path) -> dict:
    import transformers
    from transformers import (
        BertForSequenceClassification,
        BertTokenizer,
        DataCollatorWithPadding,
        PrinterCallback,
        Trainer,
        TrainingArguments,
    )

    tok = BertTokenizer(str(model_dir / "vocab.txt"), do_lower_case=False)
    feats = []
    for s, y in zip(seqs, labels, strict=True):
        enc = tok(" ".join(s[i: i + 6] for i in range(len(s) - 5)))
        feats.append({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
                      "labels": int(y)})
    transformers.set_seed(0)
    model = BertForSequenceClassification.from_pretrained(model_dir, num_labels=2)
    targs = TrainingArguments(
        output_dir=str(out), num_train_epochs=args.epochs, learning_rate=1e-4,
        per_device_train_batch_size=args.batch_size, seed=0, data_seed=0, use_cpu=True,
        dataloader_num_workers=0, eval_strategy="no", save_strategy="no", logging_strategy="epoch",
        report_to="none", disable_tqdm=True, remove_unused_columns=False,
    )
    trainer = Trainer(model=model, args=targs, train_dataset=feats,
                      data_collator=DataCollatorWithPadding(tok))
    trainer.remove_callback(PrinterCallback)  # quiet, as the zoo's run
    start, cpu = time.perf_counter(), time.process_time()
    trainer.train()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    loss = next(e["loss"] for e in reversed(trainer.state.log_history) if "loss" in e)
    return {"seconds": seconds, "cpu": cpu, "loss": loss}


def throughput(name: str, model_dir: Path, seqs: list[str], args: argparse.Namespace, tmp: Path
               ) -> tuple[float, float]:
    """Wall-clock and CPU-time ratios zoo / transformers in real tokens per second (best of --repeat)."""
    labels = gc_labels(seqs)
    real = sum(len(s) - 5 + 2 for s in seqs) * args.epochs  # 6-mers + [CLS] + [SEP]
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.repeat):
        for side, fn in (("zoo", zoo_run), ("transformers", baseline_run)):
            r = fn(model_dir, seqs, labels, args, tmp / f"{name}-{side}")
            old = best.get(side, r)
            best[side] = {"seconds": min(r["seconds"], old["seconds"]), "cpu": min(r["cpu"], old["cpu"]),
                          "loss": r["loss"]}
    lengths = [len(s) for s in seqs]
    print(f"  {name}: {len(seqs)} sequences of {min(lengths)}-{max(lengths)} bp, {real:,} real tokens "
          f"({args.epochs} epoch(s), batch {args.batch_size})")
    for side, label in (("zoo", "zoo (length-grouped)"), ("transformers", "transformers BertForSeqCls")):
        b = best[side]
        print(f"    {label:<28} {b['seconds']:7.1f} s wall {real / b['seconds']:8,.0f} real tokens/s | "
              f"{b['cpu']:7.1f} s CPU {real / b['cpu']:8,.0f} real tokens/CPU-s | last loss {b['loss']:.4f}")
    grouped, shuffled = padded_tokens([len(s) - 3 for s in seqs], args.batch_size)
    once = real / args.epochs
    print(f"    padded tokens of the batches (one draw of each sampler): length-grouped {grouped:,}, random "
          f"{shuffled:,}; real share {once / grouped:.0%} vs {once / shuffled:.0%}; "
          f"ceiling of the ratio where cost is linear in tokens {shuffled / grouped:.2f}x")
    wall = best["transformers"]["seconds"] / best["zoo"]["seconds"]
    cpu = best["transformers"]["cpu"] / best["zoo"]["cpu"]
    print(f"    ratio zoo / transformers: {wall:.2f}x wall clock, {cpu:.2f}x CPU time")
    return wall, cpu


def padded_tokens(lengths: list[int], batch: int) -> tuple[int, int]:
    """Tokens after padding each batch to its longest: transformers' LengthGroupedSampler order vs random.

    The sampler sorts within mega-batches of min(N // (4 * batch), 50) batches, so a small data set is
    grouped only within a quarter of itself.
    """
    import torch
    from transformers.trainer_pt_utils import get_length_grouped_indices

    grouped = get_length_grouped_indices(lengths, batch, generator=torch.Generator().manual_seed(0))
    shuffled = torch.randperm(len(lengths), generator=torch.Generator().manual_seed(0)).tolist()

    def total(order: list[int]) -> int:
        return sum(max(lengths[i] for i in order[j: j + batch]) * len(order[j: j + batch])
                   for j in range(0, len(order), batch))

    return total(grouped), total(shuffled)


def cli(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "dnallm_zoo", *args], capture_output=True, text=True,
                          env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"dnallm-zoo {' '.join(args)} failed:\n{done.stderr}")
    return seconds, done.stdout


def probe_vs_full(args: argparse.Namespace, tmp: Path) -> None:
    data = tmp / "genome_windows"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_genome_windows.py"), "-o", str(data)],
                   check=True, capture_output=True)
    common = ["finetune", "-m", "dnabert-demo", "--train", str(data / "train.csv"), "--eval",
              str(data / "eval.csv"), "--task", "multiclass", "-q", "--overwrite"]
    probe_s, probe_out = cli(*common, "--method", "probe", "-o", str(tmp / "probe"))
    full_s, full_out = cli(*common, "-o", str(tmp / "full"), "--epochs", str(args.full_epochs),
                           "--learning-rate", "5e-4")

    def figures(text: str) -> str:
        rows = dict(line.split() for line in text.splitlines() if line and not line.startswith("#"))
        return ", ".join(f"{k} {rows[k]}" for k in ("accuracy", "mcc", "auroc"))

    print("(b) docs/fine-tuning.md's task (600 training, 300 evaluation windows of 150 bp, 3 genomes), "
          "dnabert-demo, wall time of the whole `dnallm-zoo finetune` command:")
    print(f"    probe                     {probe_s:7.1f} s   eval: {figures(probe_out)}")
    print(f"    full, {args.full_epochs} epochs, lr 5e-4    {full_s:7.1f} s   eval: {figures(full_out)}")
    print(f"    ratio full / probe: {full_s / probe_s:.1f}x")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sequences", type=int, default=256)
    p.add_argument("--min-bases", type=int, default=64)
    p.add_argument("--max-bases", type=int, default=509, help="at most 509: 510 6-mers + 2 specials = 512")
    p.add_argument("--uniform-bases", type=int, default=300)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--full-epochs", type=int, default=5, help="full fine-tuning epochs in (b), as the docs")
    p.add_argument("--skip-probe", action="store_true", help="only (a)")
    p.add_argument("--skip-throughput", action="store_true", help="only (b)")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")

    import torch
    from dnallm_zoo_dnabert.checkpoint import original_config, write_checkpoint
    from transformers.utils import logging as hf_logging

    from dnallm_zoo.io import read_fasta

    hf_logging.set_verbosity_error()
    ((_, genome),) = list(read_fasta(FASTA))
    rng = np.random.default_rng(0)
    mixed = windows(genome, rng.integers(args.min_bases, args.max_bases + 1, size=args.sequences), rng)
    uniform = windows(genome, np.full(args.sequences, args.uniform_bases), rng)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU fp32")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        model_dir = tmp / "dnabert6-256x4"
        cfg: dict[str, Any] = original_config(6, hidden=256, layers=4, heads=4, intermediate=1024)
        write_checkpoint(model_dir, 6, config=cfg, seed=0)
        if not args.skip_throughput:
            print("(a) training throughput, DNABERT-6 shape (hidden 256, 4 layers, 4 heads, intermediate "
                  "1024), random weights, original layout:")
            mixed_wall, mixed_cpu = throughput("mixed lengths", model_dir, mixed, args, tmp)
            uniform_wall, uniform_cpu = throughput("uniform lengths", model_dir, uniform, args, tmp)
            print(f"    goal mixed >= 1.5x: {mixed_wall:.2f}x wall, {mixed_cpu:.2f}x CPU "
                  f"({'met' if min(mixed_wall, mixed_cpu) >= 1.5 else 'MISSED'}); "
                  f"goal uniform not slower: {uniform_wall:.2f}x wall, {uniform_cpu:.2f}x CPU")
        if not args.skip_probe:
            probe_vs_full(args, tmp)


if __name__ == "__main__":
    main()
