"""ModernBERT: the unpadded path vs the same model padded, on mixed lengths (transformers' ModernBertModel).

What the installed transformers does is printed first: from 5.x, `ModernBertModel` has no unpadding of its
own (4.48-4.5x unpadded the whole input once under flash-attention 2); it runs the padded grid and only
the `flash_attention_2` kernel unpads, inside attention. On a CPU, or without the `flash_attn` package,
there is no unpadded path in transformers. So this script measures, on one model with random weights at
a small DNA-encoder size, in one run:

- `padded`: batches of `--batch` sequences in input order, each padded to its longest (sdpa attention);
- `unpadded`: the same batches with every padding token removed: their sequences packed into one row,
  position ids restarting at 0 for each sequence and a block-diagonal attention mask (the sliding-window
  layers' band inside each block), so no linear layer or MLP touches a pad token; this is what the
  unpadded path computes, through transformers' own classes (sdpa with the 4-D masks it accepts);
- `flash_attention_2` on the padded batches, when CUDA and the `flash_attn` package are here;
- `zoo`: `dnallm_zoo`'s `embed` over the same sequences (length-sorted batches under a padding bound),
  when the ModernBERT plugin is installed.

Reported: real tokens per second of each, the ratio to `padded`, and the largest difference of the last
hidden states at real positions against `padded` (the paths must compute the same function).

The sequences are random DNA (log-uniform lengths) tokenized by a small DNA BPE with the publishers'
special ids; the zoo path loads the same weights and tokenizer from a directory in the published layout.

    python benchmarks/bench_modernbert.py [--n 32] [--batch 8] [--min-bases 60] [--max-bases 1500]
                                          [--layers 4] [--hidden 256] [--threads 1] [--repeat 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import platform
import random
import time
from collections.abc import Callable
from typing import Any

import torch

SPECIALS = ("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]")  # ids 0-4, as ModernGENA's and ModernBERT-DNA's


def model(args: argparse.Namespace, vocab: int) -> Any:
    """A random `ModernBertForMaskedLM` (global attention every 3rd layer, local window 128), eval, fp32."""
    from transformers import ModernBertConfig, ModernBertForMaskedLM

    cfg = ModernBertConfig(vocab_size=vocab, hidden_size=args.hidden, intermediate_size=args.hidden * 3 // 2,
                           num_hidden_layers=args.layers, num_attention_heads=args.hidden // 64,
                           max_position_embeddings=8192, local_attention=128,
                           layer_types=[("sliding_attention", "full_attention")[i % 3 == 0]
                                        for i in range(args.layers)],
                           pad_token_id=3, bos_token_id=1, eos_token_id=2, cls_token_id=1, sep_token_id=2)
    cfg._attn_implementation = "sdpa"
    torch.manual_seed(args.seed)
    return ModernBertForMaskedLM(cfg).eval()


def dna(args: argparse.Namespace) -> list[str]:
    """Random DNA, lengths log-uniform over [min, max] bases, in input order."""
    rng = random.Random(args.seed)
    lo, hi = math.log(args.min_bases), math.log(args.max_bases)
    return ["".join(rng.choice("ACGT") for _ in range(round(math.exp(rng.uniform(lo, hi)))))
            for _ in range(args.n)]


def padded_batch(seqs: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), 3, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)], mask[i, : len(s)] = s, 1
    return ids, mask


def packed_masks(sizes: list[int], window: int, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """Additive [1, 1, T, T] masks: attend within one's own sequence (and within the local window)."""
    seq = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    pos = torch.cat([torch.arange(n) for n in sizes])
    same = seq[:, None] == seq[None, :]
    band = same & ((pos[:, None] - pos[None, :]).abs() <= window // 2)
    low = torch.finfo(dtype).min

    def additive(allowed: torch.Tensor) -> torch.Tensor:
        return torch.zeros(allowed.shape, dtype=dtype).masked_fill(~allowed, low)[None, None]

    return {"full_attention": additive(same), "sliding_attention": additive(band)}


def timed(fn: Callable[[], list[torch.Tensor]], repeat: int) -> tuple[float, list[torch.Tensor]]:
    out = fn()
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--min-bases", type=int, default=60)
    ap.add_argument("--max-bases", type=int, default=1500, help="longest (<= 512 tokens: one zoo pass)")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    import transformers
    from transformers.models.modernbert import modeling_modernbert as mm

    with open(mm.__file__, encoding="utf-8") as f:  # 4.48-4.5x: _unpad_modernbert_input
        unpads = "_unpad_modernbert_input" in f.read()
    fa2 = torch.cuda.is_available() and importlib.util.find_spec("flash_attn") is not None
    print(f"transformers {transformers.__version__}, torch {torch.__version__}, "
          f"{platform.processor() or 'cpu'}, {args.threads} thread(s), os.cpu_count()={os.cpu_count()}")
    print(f"ModernBertModel unpads its input itself: {unpads}; flash_attention_2 usable here: {fa2}")

    from tokenizers import Tokenizer

    from dnallm_zoo import kit

    tok_json = kit.tiny_bpe_tokenizer_json(specials=SPECIALS)
    tok = Tokenizer.from_str(tok_json)
    mlm = model(args, tok.get_vocab_size())
    m = mlm.model
    window = m.config.local_attention
    texts = dna(args)
    seqs = [torch.tensor(tok.encode(t).ids) for t in texts]
    groups = [seqs[i : i + args.batch] for i in range(0, len(seqs), args.batch)]
    real = sum(len(s) for s in seqs)
    grid = sum(len(b) * max(len(s) for s in b) for b in groups)
    print(f"{len(seqs)} sequences, {real} real tokens, padded grid {grid} ({1 - real / grid:.0%} padding), "
          f"lengths {min(map(len, seqs))}..{max(map(len, seqs))}; hidden {args.hidden}, {args.layers} layers")

    @torch.inference_mode()
    def run_padded() -> list[torch.Tensor]:
        out = []
        for b in groups:
            ids, mask = padded_batch(b)
            h = m(input_ids=ids, attention_mask=mask).last_hidden_state
            out += [h[i, : len(s)] for i, s in enumerate(b)]
        return out

    @torch.inference_mode()
    def run_unpadded() -> list[torch.Tensor]:
        out = []
        for b in groups:
            sizes = [len(s) for s in b]
            ids = torch.cat(b)[None]
            pos = torch.cat([torch.arange(n) for n in sizes])[None]
            h = m(input_ids=ids, position_ids=pos, attention_mask=packed_masks(sizes, window, torch.float32))
            out += list(h.last_hidden_state[0].split(sizes))
        return out

    rows: list[tuple[str, float, float]] = []
    t_pad, ref = timed(run_padded, args.repeat)
    rows.append(("padded", t_pad, 0.0))
    t_unp, got = timed(run_unpadded, args.repeat)
    rows.append(("unpadded (packed, no pad tokens)", t_unp, max(float((a - b).abs().max()) for a, b in
                                                            zip(got, ref, strict=True))))
    if fa2:
        m.config._attn_implementation = "flash_attention_2"
        t_fa, got = timed(run_padded, args.repeat)
        m.config._attn_implementation = "sdpa"
        rows.append(("flash_attention_2", t_fa, max(float((a - b).abs().max()) for a, b in
                                                    zip(got, ref, strict=True))))
    zoo = _zoo(mlm, tok_json)
    if zoo is not None:
        t_zoo, got = timed(lambda: [torch.from_numpy(h) for h in zoo.embed(texts, pooling="none")],
                           args.repeat)
        rows.append(("zoo embed (length-grouped batches)", t_zoo, max(float((a - b).abs().max()) for a, b in
                                                                    zip(got, ref, strict=True))))
    print(f"{'path':<36}{'seconds':>9}{'real tok/s':>12}{'vs padded':>11}{'max |diff|':>12}")
    for name, t, diff in rows:
        print(f"{name:<36}{t:>9.3f}{real / t:>12.0f}{t_pad / t:>10.2f}x{diff:>12.2e}")


def _zoo(mlm: Any, tokenizer_json: str) -> Any:
    """The same weights, loaded by dnallm_zoo from a directory in the published layout (None: no plugin)."""
    import tempfile
    from pathlib import Path

    import dnallm_zoo

    if not dnallm_zoo.list_models(family="modernbert-dna"):
        print("zoo path skipped: the dnallm-zoo-modernbert plugin is not installed")
        return None
    d = Path(tempfile.mkdtemp(prefix="bench-modernbert-"))
    from transformers.utils import logging

    logging.disable_progress_bar()
    mlm.save_pretrained(d)
    (d / "tokenizer.json").write_text(tokenizer_json)
    return dnallm_zoo.load(d, device="cpu", dtype="float32")


if __name__ == "__main__":
    main()
