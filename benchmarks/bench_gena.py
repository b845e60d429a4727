"""GENA-LM: the zoo's `embed` (kit blocks, SDPA, grouped batches) vs an eager reference of the original.

Both run the same random weights at GENA-LM bert-base's width (hidden 768, 12 heads, intermediate 3072,
pre-layer-norm with the final `last_layer_ln`; `--layers` cuts the depth so a run takes about a minute on
2 cores) over the same sequences of mixed lengths, tokenized by the same tiny GENA-shaped tokenizer.json.

The reference is the plugin's test reference (`plugins/dnallm-zoo-gena-lm/tests/reference.py`): AIRI's
`modeling_bert.py` forward written out in plain torch (explicit scores, extended mask, softmax, as its
non-sparse path computes them), without the MLM head, fed as a user of the original feeds it: the
transformers tokenizer on batches of `--batch` sequences in input order, padded to the longest, mean
pooled over real tokens. The zoo: `enc.embed(seqs)` (tokenizes, groups by length, SDPA attention).

Reported: real tokens (no padding) per second of each, their ratio, and the largest difference of the
pooled vectors, measured in this run. The goal (zoo >= 1.5x) is printed beside the figure, never asserted.

    python benchmarks/bench_gena.py [--layers 2] [--n 96] [--batch 8] [--min-bases 50] [--max-bases 1200]
                                    [--repeat 2] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dnallm_zoo.testing import load_test_module

GOAL = 1.5
PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "dnallm-zoo-gena-lm"
_REFERENCE: Any = load_test_module("gena_reference", PLUGIN / "tests" / "reference.py")


def reference_embed(sd: dict[str, torch.Tensor], config: dict[str, Any], ids: torch.Tensor,
                    mask: torch.Tensor) -> torch.Tensor:
    """The plugin's test reference of AIRI's BertModel, no MLM head; mean over real tokens."""
    states, _, _ = _REFERENCE.reference(sd, config, ids, mask, head=False)
    w = mask[..., None].float()
    return (states[-1] * w).sum(1) / w.sum(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--n", type=int, default=96)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--min-bases", type=int, default=50)
    ap.add_argument("--max-bases", type=int, default=1200)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    import dnallm_zoo_gena_lm
    from dnallm_zoo_gena_lm.checkpoint import gena_config, tiny_tokenizer_json, write_checkpoint
    from transformers import PreTrainedTokenizerFast

    import dnallm_zoo
    from dnallm_zoo.kit import read_state_dict
    from dnallm_zoo.testing import registered

    registered(dnallm_zoo_gena_lm.family, name="gena-lm", distribution="dnallm-zoo-gena-lm")
    spec = dnallm_zoo.get_spec("gena-lm-bert-base-lastln-t2t")
    tmp = Path(tempfile.mkdtemp(prefix="bench-gena-"))
    vocab = len(json.loads(tiny_tokenizer_json())["model"]["vocab"])
    config = gena_config(vocab, last_layer_norm=None, hidden=768, layers=args.layers, heads=12,
                         intermediate=3072, max_positions=512)
    d = write_checkpoint(spec, tmp / "gena", config=config, seed=0)
    enc = dnallm_zoo.load(d, device="cpu", dtype="float32")
    sd = read_state_dict(d / "model.safetensors")
    tok = PreTrainedTokenizerFast(tokenizer_file=str(d / "tokenizer.json"), pad_token="[PAD]")

    rng = random.Random(0)
    seqs = ["".join(rng.choice("ACGT") for _ in range(rng.randint(args.min_bases, args.max_bases)))
            for _ in range(args.n)]
    real_tokens = sum(len(tok(s)["input_ids"]) for s in seqs)

    def run_reference() -> np.ndarray:
        out = []
        with torch.no_grad():
            for i in range(0, len(seqs), args.batch):
                b = tok(seqs[i:i + args.batch], padding=True, return_tensors="pt")
                out.append(reference_embed(sd, config, b["input_ids"], b["attention_mask"]).numpy())
        return np.concatenate(out)

    def run_zoo() -> np.ndarray:
        return enc.embed(seqs)  # type: ignore[return-value]

    timings: dict[str, list[float]] = {"zoo": [], "reference": []}
    results: dict[str, np.ndarray] = {}
    for _ in range(args.repeat):
        for name, fn in (("reference", run_reference), ("zoo", run_zoo)):
            t0 = time.perf_counter()
            results[name] = fn()
            timings[name].append(time.perf_counter() - t0)
    best = {k: min(v) for k, v in timings.items()}
    rate = {k: real_tokens / v for k, v in best.items()}
    diff = float(np.abs(results["zoo"] - results["reference"]).max())
    print(f"machine: {platform.machine()} {os.cpu_count()} cpus, torch {torch.__version__}, "
          f"threads {args.threads}")
    print(f"GENA-LM pre-LN + lastln, hidden 768, 12 heads, {args.layers} layers; {args.n} sequences of "
          f"{args.min_bases}-{args.max_bases} bases, {real_tokens} real tokens; "
          f"reference batches of {args.batch}")
    for k in ("reference", "zoo"):
        print(f"  {k:9s}: {rate[k]:9.0f} real tokens/s (best of {args.repeat}: {best[k]:.2f} s)")
    ratio = rate["zoo"] / rate["reference"]
    print(f"  zoo / reference: {ratio:.2f}x (goal >= {GOAL}x: {'met' if ratio >= GOAL else 'MISSED'}); "
          f"max |pooled difference| {diff:.1e}")


if __name__ == "__main__":
    main()
