"""ProkBERT: the zoo's LCA tokenizer and native encoder vs the original rule and an eager reference, on CPU.

1. Tokenization. Windows of each model's maximum length (k6 s1: 1,027 bp, k6 s2: 4,096 bp, k1 s1:
   2,046 bp) cut at random from the A. thaliana chloroplast genome in examples/. The original rule is
   ProkBERT's LCATokenizer at its core: ``[vocab.get(seq[i:i+k], unk) for i in range(0, len(seq)-k+1,
   shift)]`` wrapped in [CLS]/[SEP] (a lower bound on what the hub tokenizer costs). For reference, the
   same logic as the hub's remote code runs it, through transformers' PreTrainedTokenizer (re-created
   here; no remote code is run). Ids are checked identical on every window before timing.
2. Encoder. Random weights at the real prokbert-mini dimensions (hidden 384, 6 heads, intermediate
   3072, vocab 4101, 1,024 positions; `--layers` cuts the depth) on one mixed-length batch padded
   with [PAD] = 0: the native network (blocked relative scores + SDPA) vs the eager reference of the
   plugin's tests (tests/reference.py: the gathered [L, L, d] relative tensor, the two einsums,
   explicit softmax), both fp32, both with the MLM head. Tokens/s count real tokens only.

Times are CPU seconds of this process (`time.process_time`, best of `--repeat`): the machines these
run on are shared, and CPU time is what contention distorts least. Goals (tokenization >= 50x the
original rule, encoder >= 1.5x the reference) are printed beside the figures, never asserted.

    python benchmarks/bench_prokbert.py [--windows 300] [--repeat 5] [--encoder-repeat 2] [--layers 6]
                                        [--batch 4] [--min-len 128] [--max-len 1024] [--threads 1]
                                        [--skip-tokenizer] [--skip-encoder]
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from dnallm_zoo.io import read_fasta as fasta_records

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "plugins" / "dnallm-zoo-prokbert"
FASTA = ROOT / "examples" / "arabidopsis_chloroplast.fa"
TOKENIZE_GOAL, ENCODER_GOAL = 50.0, 1.5
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def read_fasta(path: Path) -> str:
    """The first record of a FASTA file (through the core's reader), upper-cased."""
    return next(iter(fasta_records(path)))[1].upper()


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    """Least CPU time of `repeat` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def original_rule(vocab: dict[str, int], k: int, shift: int) -> Callable[[str], list[int]]:
    """ProkBERT's LCA rule as plain Python: the baseline of the goal."""
    unk, cls, sep = vocab["[UNK]"], vocab["[CLS]"], vocab["[SEP]"]

    def encode(seq: str) -> list[int]:
        return [cls, *[vocab.get(seq[i : i + k], unk) for i in range(0, len(seq) - k + 1, shift)], sep]

    return encode


def hub_style_tokenizer(vocab: dict[str, int], k: int, shift: int) -> Callable[[str], list[int]] | None:
    """The hub LCATokenizer's logic on transformers' PreTrainedTokenizer, or None if unavailable."""
    try:
        from transformers import PreTrainedTokenizer
    except ImportError:
        return None

    class LCATokenizer(PreTrainedTokenizer):  # the methods prokbert's tokenizer.py overrides
        def __init__(self) -> None:
            self.vocab = dict(vocab)
            self.ids_to_tokens = {i: t for t, i in vocab.items()}
            super().__init__(cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]",
                             unk_token="[UNK]", mask_token="[MASK]")

        def get_vocab(self) -> dict[str, int]:
            return dict(self.vocab)

        @property
        def vocab_size(self) -> int:
            return len(self.vocab)

        def tokenize(self, text: str, **kwargs: Any) -> list[str]:  # type: ignore[override]
            return [text[i : i + k] for i in range(0, len(text) - k + 1, shift)]

        def _convert_token_to_id(self, token: str) -> int:
            return self.vocab.get(token, self.vocab["[UNK]"])

        def _convert_id_to_token(self, index: int) -> str:
            return self.ids_to_tokens.get(index, "[UNK]")

        def build_inputs_with_special_tokens(
            self, token_ids_0: list[int], token_ids_1: list[int] | None = None
        ) -> list[int]:
            return [self.vocab["[CLS]"], *token_ids_0, self.vocab["[SEP]"]]

    tok = LCATokenizer()
    return lambda seq: tok.encode(seq)


def _tokenization_rows(
    model_id: str, k: int, shift: int, size: int, genome: str, args: argparse.Namespace
) -> float:
    """Print one model's rows; return its one-window-a-call ratio."""
    from dnallm_zoo_prokbert.tokenizer import LCATokenizer

    tokens = SPECIALS + ["".join(p) for p in itertools.product("ACGT", repeat=k)]
    vocab = {t: i for i, t in enumerate(tokens)}
    zoo = LCATokenizer(vocab, k=k, stride=shift, max_length=10**9)
    orig = original_rule(vocab, k, shift)
    hub = hub_style_tokenizer(vocab, k, shift)
    rng = np.random.default_rng(0)
    seqs = [genome[s : s + size] for s in rng.integers(0, len(genome) - size, size=args.windows)]
    bases = len(seqs) * size
    assert all(zoo.encode(s).tolist() == orig(s) for s in seqs), "ids differ"
    assert [a.tolist() for a in zoo.encode_batch(seqs)] == [orig(s) for s in seqs], "ids differ (batch)"
    if hub is not None:
        assert all(hub(s) == orig(s) for s in seqs[:20]), "ids differ (hub-style)"
    fewer = max(1, args.repeat // 2)  # the slow side: fewer repeats
    t_orig = best_of(lambda: [orig(s) for s in seqs], fewer)
    t_call = best_of(lambda: [zoo.encode(s) for s in seqs], args.repeat)
    rows = [
        ("one window a call: encode(seq)", t_call, t_orig, bases),
        ("batch __call__ -> padded array",
         best_of(lambda: zoo(seqs, padding=True, return_tensors="np"), args.repeat),
         t_orig, bases),
        ("batch encode_batch -> list of arrays", best_of(lambda: zoo.encode_batch(seqs), args.repeat),
         t_orig, bases),
        ("whole genome, one call", best_of(lambda: zoo.encode(genome), args.repeat),
         best_of(lambda: orig(genome), fewer), len(genome)),
    ]
    if hub is not None:
        rows.append(("  (vs hub-style PreTrainedTokenizer)", t_call,
                     best_of(lambda: [hub(s) for s in seqs], 1), bases))
    for name, t_zoo, t_ref, n in rows:
        print(f"{model_id:20s} {name:36s} {n / t_zoo / 1e6:10.1f} {n / t_ref / 1e6:11.2f} "
              f"{t_ref / t_zoo:7.1f}x")
    return t_orig / t_call


def bench_tokenization(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(PLUGIN))
    from dnallm_zoo_prokbert.specs import SPECS

    genome = read_fasta(args.fasta)
    print(f"== LCA tokenization: {args.windows} windows per model from {args.fasta.name} "
          f"({len(genome):,} bp); CPU time, best of {args.repeat}; ids identical on every window")
    print(f"{'model':20s} {'path':36s} {'zoo Mbp/s':>10s} {'orig Mbp/s':>11s} {'ratio':>8s}")
    ratios = []
    for spec in SPECS:
        assert spec.tokenizer.k is not None
        ratios.append(_tokenization_rows(spec.id, spec.tokenizer.k, spec.tokenizer.stride,
                                         spec.capabilities.max_bases, genome, args))
    worst = min(ratios)
    print(f"goal: >= {TOKENIZE_GOAL:.0f}x the original rule, one window a call: "
          f"{'met' if worst >= TOKENIZE_GOAL else 'MISSED'} (worst model {worst:.1f}x)")


def _load_reference() -> ModuleType:
    name = "_dnallm_zoo_prokbert_test_reference"
    spec = importlib.util.spec_from_file_location(name, PLUGIN / "tests" / "reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench_encoder(args: argparse.Namespace) -> None:
    import torch

    sys.path.insert(0, str(PLUGIN))
    from dnallm_zoo_prokbert.checkpoint import random_state_dict
    from dnallm_zoo_prokbert.modeling import TIED_KEYS, ProkBertConfig, ProkBertForMaskedLM

    from dnallm_zoo.kit import load_state_dict_strict

    torch.set_num_threads(args.threads)
    ref = _load_reference()
    config = {
        "vocab_size": 4101, "hidden_size": 384, "num_hidden_layers": args.layers,
        "num_attention_heads": 6, "intermediate_size": 3072, "max_position_embeddings": 1024,
        "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu", "pad_token_id": 0,
        "position_embedding_type": "relative_key_query", "model_type": "megatron-bert",
    }
    sd = random_state_dict(config, seed=0)
    with torch.device("meta"):
        model = ProkBertForMaskedLM(ProkBertConfig.from_dict(config))
    load_state_dict_strict(model, sd, tied=TIED_KEYS)
    model.eval()
    g = torch.Generator().manual_seed(1)
    lengths = torch.linspace(args.min_len, args.max_len, args.batch).round().long().tolist()
    width = max(lengths)
    ids = torch.zeros(len(lengths), width, dtype=torch.long)
    mask = torch.zeros(len(lengths), width, dtype=torch.long)
    for row, n in enumerate(lengths):
        ids[row, :n] = torch.randint(5, 4101, (n,), generator=g)
        ids[row, 0], ids[row, n - 1] = 2, 3
        mask[row, :n] = 1
    tokens = int(mask.sum())

    out: dict[str, Any] = {}

    @torch.inference_mode()
    def native() -> None:
        out["native"] = model(ids, mask)

    @torch.inference_mode()
    def eager() -> None:
        out["eager"] = ref.reference_forward(sd, config, ids, mask)

    print(f"\n== encoder: prokbert-mini dimensions, {args.layers} layer(s), random weights, fp32, "
          f"{args.threads} thread(s); batch {lengths} tokens ({tokens} real of {ids.numel()}); "
          f"CPU time, best of {args.encoder_repeat}")
    t_native = best_of(native, args.encoder_repeat)
    t_eager = best_of(eager, args.encoder_repeat)
    real = mask.bool()
    got, want = out["native"], out["eager"]
    diff_hidden = (got.last_hidden_state - want[0])[real].abs().max().item()
    diff_logits = (got.logits - want[2])[real].abs().max().item()
    ratio = t_eager / t_native
    print(f"native (blocked relative scores + SDPA): {tokens / t_native:9.0f} tokens/s")
    print(f"eager reference (gathered R, einsums):   {tokens / t_eager:9.0f} tokens/s")
    print(f"native/reference {ratio:.2f}x | max abs difference at real tokens: last hidden "
          f"{diff_hidden:.2e}, logits {diff_logits:.2e}")
    print(f"goal: >= {ENCODER_GOAL}x the eager reference: {'met' if ratio >= ENCODER_GOAL else 'MISSED'} "
          f"({ratio:.2f}x)")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--windows", type=int, default=300, help="windows per model (tokenization)")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--fasta", type=Path, default=FASTA)
    p.add_argument("--layers", type=int, default=6, help="encoder depth (6 in the released models)")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--min-len", type=int, default=128)
    p.add_argument("--max-len", type=int, default=1024)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--encoder-repeat", type=int, default=2, help="best of (encoder; one pass is seconds)")
    p.add_argument("--skip-encoder", action="store_true")
    p.add_argument("--skip-tokenizer", action="store_true")
    args = p.parse_args(argv)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    if not args.skip_tokenizer:
        bench_tokenization(args)
    if not args.skip_encoder:
        bench_encoder(args)


if __name__ == "__main__":
    main()
