#!/usr/bin/env python
"""Train the small DNABERT (k=6) demo model shipped with the dnallm-zoo DNABERT plugin.

Masked-LM pre-training of a tiny ``BertForMaskedLM`` on the Arabidopsis thaliana chloroplast
genome (``examples/arabidopsis_chloroplast.fa``), deterministic from ``--seed``, written in the
ORIGINAL DNABERT layout (config.json, vocab.txt, model.safetensors with ``bert.*``/``cls.*`` keys
and no pooler, tokenizer_config.json, special_tokens_map.json, README.md).

Tokenization is DNABERT's: overlapping 6-mers (stride 1) wrapped in ``[CLS] ... [SEP]``, vocab
``[PAD] [UNK] [CLS] [SEP] [MASK]`` then ``itertools.product("ATCG", repeat=6)``. Masking hides
whole contiguous spans of k tokens (with k tokens exactly, one base is hidden per span).

A fixed window of the genome is held out (default bases 112,000-122,000, 0-based half-open, in
the small single-copy region: the last 10 kb lie in inverted repeat IRa, whose reverse
complement IRb is in the rest of the genome, so they would not be held out at all). The script
reports held-out masked-token accuracy next to k-mer-count baselines from the training part.

Usage: .venv/bin/python scripts/train_demo_model.py [--seed 0] [--steps N] [--threads 2]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import dnaio
import numpy as np
import torch
import transformers
from safetensors.torch import save_file
from torch import nn

K = 6
N_SPECIAL = 5
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = 0, 1, 2, 3, 4
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
ALPHABET = "ATCG"  # DNABERT's product order: A, T, C, G
VOCAB_SIZE = 4**K + N_SPECIAL
MAX_TOKENS = 512  # including [CLS] and [SEP]
REPO = Path(__file__).resolve().parents[1]
DEFAULT_FASTA = REPO / "examples" / "arabidopsis_chloroplast.fa"
DEFAULT_OUT = REPO / "plugins" / "dnallm-zoo-dnabert" / "dnallm_zoo_dnabert" / "demo"
HOLDOUT = (112_000, 122_000)
DEFAULT_STEPS = 2400
EVAL_MASK_RATE = 0.15
LEAK_K = 20
POS_SCALE = 0.05  # sinusoidal position embeddings, scaled to the size of the token embeddings

_CODE = np.full(256, -1, dtype=np.int64)
for _i, _b in enumerate(ALPHABET):
    _CODE[ord(_b)] = _i


@dataclass(frozen=True)
class ModelSize:
    """Architecture of the demo model."""

    hidden: int = 128
    layers: int = 2
    heads: int = 4
    intermediate: int = 512


# ----------------------------------------------------------------------------- tokenization


def vocab_tokens(k: int = K) -> list[str]:
    """DNABERT vocabulary: five specials, then all k-mers in product("ATCG") order."""
    return [*SPECIALS, *("".join(p) for p in itertools.product(ALPHABET, repeat=k))]


def kmer_ids(seq: str, k: int = K) -> np.ndarray:
    """Ids of the overlapping k-mers of ``seq`` (stride 1); any non-ACGT base gives [UNK]."""
    if len(seq) < k:
        return np.zeros(0, dtype=np.int64)
    codes = _CODE[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)]
    win = np.lib.stride_tricks.sliding_window_view(codes, k)
    ids = win @ (4 ** np.arange(k - 1, -1, -1, dtype=np.int64)) + N_SPECIAL
    ids[(win < 0).any(axis=1)] = UNK_ID
    return ids


def encode(seq: str, k: int = K) -> np.ndarray:
    """DNABERT input ids: [CLS] overlapping k-mers [SEP]."""
    return np.concatenate([[CLS_ID], kmer_ids(seq, k), [SEP_ID]]).astype(np.int64)


def kmer_string(seq: str, k: int = K) -> str:
    """The space-joined k-mer string the original pipeline feeds to BertTokenizer."""
    return " ".join(seq[i : i + k] for i in range(len(seq) - k + 1))


# ----------------------------------------------------------------------------- data


def read_genome(path: Path) -> str:
    """Read the first record of a FASTA file with dnaio, upper-cased."""
    with dnaio.open(str(path)) as reader:
        record = next(iter(reader))
    return record.sequence.upper()


def split_genome(seq: str, start: int, end: int) -> tuple[list[str], str]:
    """Training segments (left and right of the held-out window) and the held-out window."""
    parts = [p for p in (seq[:start], seq[end:]) if len(p) >= MAX_TOKENS + K]
    return parts, seq[start:end]


def revcomp(seq: str) -> str:
    """Reverse complement (N and other letters map to N)."""
    table = str.maketrans("ACGT", "TGCA")
    return "".join("N" if c not in "ACGT" else c for c in seq.translate(table)[::-1])


def leakage(train: list[str], held: str, k: int = LEAK_K) -> float:
    """Fraction of held-out k-mers found in the training part on either strand."""
    seen: set[str] = set()
    for part in train:
        for s in (part, revcomp(part)):
            seen.update(s[i : i + k] for i in range(len(s) - k + 1))
    kmers = [held[i : i + k] for i in range(len(held) - k + 1)]
    return sum(x in seen for x in kmers) / max(len(kmers), 1)


def span_starts(rng: np.random.Generator, n: int, n_spans: int, k: int = K) -> np.ndarray:
    """Starts of ``n_spans`` k-token spans in k-mer positions 1..n (after [CLS]).

    Spans never touch each other nor [CLS]/[SEP]: each has an unmasked k-mer on both sides, so
    exactly one base per span is hidden.
    """
    lo, hi = 2, n - k  # first start, last start (inclusive)
    room = hi - (n_spans - 1) * k - lo + 1
    n_spans = min(n_spans, room)
    picks = np.sort(rng.choice(room, size=n_spans, replace=False))
    return lo + picks + np.arange(n_spans) * k


def mask_positions(rng: np.random.Generator, n: int, rate: float, k: int = K) -> np.ndarray:
    """Token positions (in a [CLS]-prefixed row) of span-masked tokens, ~``rate`` of n."""
    n_spans = max(1, round(rate * n / k))
    starts = span_starts(rng, n, n_spans, k)
    return (starts[:, None] + np.arange(k)[None, :]).reshape(-1)


def train_batch(
    rng: np.random.Generator, parts: list[np.ndarray], batch: int, n: int, rate: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random windows of n k-mers from the training part, span-masked.

    Returns input ids [B, n+2], flat masked row indices, flat masked column indices; the
    labels are the original ids at those places.
    """
    sizes = np.array([len(p) - n + 1 for p in parts], dtype=np.float64)
    which = rng.choice(len(parts), size=batch, p=sizes / sizes.sum())
    rows, cols = [], []
    ids = np.empty((batch, n + 2), dtype=np.int64)
    for b, w in enumerate(which):
        start = rng.integers(0, len(parts[w]) - n + 1)
        ids[b] = np.concatenate([[CLS_ID], parts[w][start : start + n], [SEP_ID]])
        pos = mask_positions(rng, n, rate)
        rows.append(np.full(len(pos), b))
        cols.append(pos)
    return (
        torch.from_numpy(ids),
        torch.from_numpy(np.concatenate(rows)),
        torch.from_numpy(np.concatenate(cols)),
    )


# ----------------------------------------------------------------------------- model


def bert_config(size: ModelSize) -> dict[str, object]:
    """config.json content, keyed like the original DNABERT configs."""
    return {
        "architectures": ["BertForMaskedLM"],
        "attention_probs_dropout_prob": 0.0,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "hidden_size": size.hidden,
        "initializer_range": 0.02,
        "intermediate_size": size.intermediate,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": MAX_TOKENS,
        "model_type": "bert",
        "num_attention_heads": size.heads,
        "num_hidden_layers": size.layers,
        "pad_token_id": PAD_ID,
        "type_vocab_size": 2,
        "vocab_size": VOCAB_SIZE,
    }


def build_model(size: ModelSize) -> transformers.BertForMaskedLM:
    """A freshly initialised BertForMaskedLM (no pooler: BertForMaskedLM never builds one)."""
    model = transformers.BertForMaskedLM(transformers.BertConfig(**bert_config(size)))
    assert model.bert.pooler is None
    with torch.no_grad():
        model.bert.embeddings.position_embeddings.weight.copy_(POS_SCALE * sinusoids(MAX_TOKENS, size.hidden))
    return model


def sinusoids(length: int, dim: int) -> torch.Tensor:
    """Transformer sinusoidal position table [length, dim] (the demo's fixed position embeddings)."""
    pos = torch.arange(length, dtype=torch.float64)[:, None]
    angle = pos / 10000 ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    table = torch.zeros(length, dim, dtype=torch.float64)
    table[:, 0::2], table[:, 1::2] = torch.sin(angle), torch.cos(angle)
    return table.float()


class KmerEmbedding(nn.Module):
    """Training-time factorisation of the tied word embeddings.

    Row of a k-mer = sum over its k slots of a learned (slot, base) vector; the five special
    tokens have free rows. All 4^k rows share 4k vectors, so every masked token trains every
    k-mer's input and output embedding; after training the table is written into the stock
    (tied) word-embedding matrix.
    """

    def __init__(self, hidden: int, k: int = K, std: float = 0.02) -> None:
        super().__init__()
        self.special = nn.Parameter(torch.randn(N_SPECIAL, hidden) * std)
        self.base = nn.Parameter(torch.randn(4 * k, hidden) * std)
        codes = np.array(list(itertools.product(range(4), repeat=k))) + 4 * np.arange(k)
        onehot = torch.zeros(4**k, 4 * k)
        onehot[torch.arange(4**k)[:, None], torch.from_numpy(codes)] = 1.0
        self.register_buffer("onehot", onehot)

    def forward(self) -> torch.Tensor:
        """The full [vocab, hidden] embedding table."""
        return torch.cat([self.special, self.onehot @ self.base])


def masked_logits(
    model: transformers.BertForMaskedLM, ids: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor
) -> torch.Tensor:
    """MLM logits of the stock model at the masked places only."""
    inputs = ids.clone()
    inputs[rows, cols] = MASK_ID
    hidden = model.bert(input_ids=inputs, attention_mask=torch.ones_like(inputs)).last_hidden_state
    return model.cls(hidden[rows, cols])


def train_logits(
    model: transformers.BertForMaskedLM,
    table: torch.Tensor,
    ids: torch.Tensor,
    rows: torch.Tensor,
    cols: torch.Tensor,
) -> torch.Tensor:
    """masked_logits with the factorised embedding table in place of the tied word embeddings."""
    inputs = ids.clone()
    inputs[rows, cols] = MASK_ID
    hidden = model.bert(inputs_embeds=table[inputs]).last_hidden_state
    head = model.cls.predictions
    return head.transform(hidden[rows, cols]) @ table.T + head.bias


def lr_at(step: int, steps: int, peak: float, warmup: int) -> float:
    """Linear warm-up then cosine decay to 5% of the peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, steps - warmup)
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t)))


def window_plan(step: int, args: argparse.Namespace) -> tuple[int, int, int]:
    """(min k-mers, max k-mers, batch size) of a step: length curriculum, ~constant tokens.

    First 15% of the steps: windows of 24-40 k-mers (short context lets attention find the
    neighbours of a span fast); next 50%: the maximum grows linearly to --max-tokens; last
    35%: windows of --min-tokens to --max-tokens k-mers.
    """
    short, ramp = int(0.15 * args.steps), int(0.5 * args.steps)
    if step < short:
        lo, hi = 24, 40
    elif step < short + ramp:
        hi = int(40 + (args.max_tokens - 40) * (step - short) / ramp)
        lo = max(24, hi // 2)
    else:
        lo, hi = args.min_tokens, args.max_tokens
    return lo, hi, max(2, round(2 * args.tokens_per_step / (lo + hi)))


def make_optimizer(model: transformers.BertForMaskedLM, table: KmerEmbedding, lr: float) -> torch.optim.AdamW:
    """AdamW, weight decay on matrices only; the stock word embeddings are not trained directly."""
    named = [
        (n, p)
        for n, p in model.named_parameters()
        if n != "bert.embeddings.word_embeddings.weight" and p.requires_grad
    ]
    decay = [p for n, p in named if p.ndim > 1 and "embeddings" not in n]
    other = [p for n, p in named if not (p.ndim > 1 and "embeddings" not in n)]
    return torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": 0.01},
            {"params": other + list(table.parameters()), "weight_decay": 0.0},
        ],
        lr=lr,
        betas=(0.9, 0.98),
        eps=1e-6,
    )


def train(
    model: transformers.BertForMaskedLM,
    parts: list[np.ndarray],
    args: argparse.Namespace,
    ev: EvalSet | None = None,
) -> list[float]:
    """Span-masked MLM training; returns the mean loss of each logging interval.

    With ``ev`` and --eval-every, prints the held-out accuracy along the way.
    """
    rng = np.random.default_rng([args.seed, 1])
    table = KmerEmbedding(model.config.hidden_size)
    model.bert.embeddings.position_embeddings.weight.requires_grad_(False)  # fixed sinusoids: see README
    opt = make_optimizer(model, table, args.lr)
    params = [p for g in opt.param_groups for p in g["params"]]
    model.train()
    logged, running, t0 = [], [], time.perf_counter()
    for step in range(args.steps):
        lo, hi, batch = window_plan(step, args)
        n = int(rng.integers(lo, hi + 1))
        ids, rows, cols = train_batch(rng, parts, batch, n, args.mask_rate)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        logits = train_logits(model, table(), ids, rows, cols)
        loss = nn.functional.cross_entropy(logits, ids[rows, cols])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        running.append(loss.item())
        if (step + 1) % args.log_every == 0 or step + 1 == args.steps:
            logged.append(float(np.mean(running)))
            print(
                f"step {step + 1:5d}/{args.steps}  loss {logged[-1]:.3f}  windows {lo}-{hi} "
                f"x{batch}  lr {opt.param_groups[0]['lr']:.2e}  {time.perf_counter() - t0:6.1f}s",
                flush=True,
            )
            running = []
        if ev is not None and args.eval_every and (step + 1) % args.eval_every == 0:
            install_table(model, table)
            print(f"  held-out accuracy {model_hits(model, ev).mean():.3f}", flush=True)
            model.train()
    install_table(model, table)
    model.eval()
    return logged


def install_table(model: transformers.BertForMaskedLM, table: KmerEmbedding) -> None:
    """Write the factorised table into the stock word embeddings (tied with the decoder)."""
    with torch.no_grad():
        model.bert.embeddings.word_embeddings.weight.copy_(table())
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight


# ----------------------------------------------------------------------------- evaluation


@dataclass
class EvalSet:
    """Deterministically span-masked held-out rows (each row masked ``repeats`` times)."""

    ids: list[np.ndarray]  # rows [CLS] k-mers [SEP]
    pos: list[np.ndarray]  # masked token positions per row
    offset: list[np.ndarray]  # place of each masked token inside its span (0..k-1)

    def n_masked(self) -> int:
        """Number of scored tokens."""
        return sum(len(p) for p in self.pos)


def eval_set(held: str, seed: int, rate: float = EVAL_MASK_RATE, repeats: int = 5) -> EvalSet:
    """Cut the held-out window into rows of 510 k-mers and span-mask them from the seed."""
    rng = np.random.default_rng([seed, 2])
    kmers = kmer_ids(held)
    n = MAX_TOKENS - 2
    rows = [kmers[i : i + n] for i in range(0, len(kmers), n)]
    ids, pos, off = [], [], []
    for _ in range(repeats):
        for r in (r for r in rows if len(r) > 4 * K):
            ids.append(np.concatenate([[CLS_ID], r, [SEP_ID]]))
            pos.append(mask_positions(rng, len(r), rate))
            off.append(np.tile(np.arange(K), len(pos[-1]) // K))
    return EvalSet(ids, pos, off)


def per_offset(hits: np.ndarray, offset: np.ndarray) -> str:
    """Accuracy by place in the span, as a short string."""
    return " ".join(f"{hits[offset == o].mean():.2f}" for o in range(K))


@torch.no_grad()
def model_hits(model: transformers.BertForMaskedLM, ev: EvalSet) -> np.ndarray:
    """Per masked token: does the stock model's top prediction equal the true token."""
    model.eval()
    hits = []
    for ids, pos in zip(ev.ids, ev.pos, strict=True):
        t = torch.from_numpy(ids)[None]
        p = torch.from_numpy(pos)
        pred = masked_logits(model, t, torch.zeros_like(p), p).argmax(-1)
        hits.append((pred == t[0, p]).numpy())
    return np.concatenate(hits)


def kmer_counts(parts: list[np.ndarray]) -> np.ndarray:
    """Counts of each 6-mer (index id - 5) in the training part, [UNK] excluded."""
    ids = np.concatenate(parts)
    return np.bincount(ids[ids >= N_SPECIAL] - N_SPECIAL, minlength=4**K)


def baseline_hits(counts: np.ndarray, ev: EvalSet) -> tuple[np.ndarray, np.ndarray]:
    """(a) most frequent 6-mer; (b) most frequent 6-mer given the left neighbour's visible bases.

    For the token at place o of a span, the unmasked left neighbour shows its first 5 - o
    bases; (b) predicts the most frequent training 6-mer with that prefix (place 0: a
    5th-order Markov chain; place 5: nothing visible, so the most frequent 6-mer).
    """
    top = int(counts.argmax())
    best = [  # best[p][prefix code] = most frequent 6-mer index with that p-base prefix
        counts.reshape(4**p, 4 ** (K - p)).argmax(axis=1) + np.arange(4**p) * 4 ** (K - p) for p in range(K)
    ]
    hits_a, hits_b = [], []
    for ids, pos, off in zip(ev.ids, ev.pos, ev.offset, strict=True):
        truth = ids[pos] - N_SPECIAL
        left = ids[pos - off - 1] - N_SPECIAL  # the unmasked neighbour left of the span
        pred = np.array(
            [
                best[K - 1 - o][lv % 4 ** (K - 1 - o)] if lv >= 0 else top
                for lv, o in zip(left, off, strict=True)
            ]
        )
        hits_a.append(truth == top)
        hits_b.append(truth == pred)
    return np.concatenate(hits_a), np.concatenate(hits_b)


# ----------------------------------------------------------------------------- save and verify


def state_dict_to_save(model: transformers.BertForMaskedLM) -> dict[str, torch.Tensor]:
    """All keys of BertForMaskedLM's state dict, each as its own contiguous fp32 tensor.

    Tied aliases are written as exact copies, like torch.save of the original checkpoints:
    cls.predictions.decoder.weight == bert.embeddings.word_embeddings.weight and
    cls.predictions.decoder.bias == cls.predictions.bias.
    """
    sd = {k: v.detach().float().clone().contiguous() for k, v in model.state_dict().items()}
    assert not any(k.startswith("bert.pooler") for k in sd)
    emb = sd["bert.embeddings.word_embeddings.weight"]
    assert torch.equal(sd["cls.predictions.decoder.weight"], emb)
    assert torch.equal(sd["cls.predictions.decoder.bias"], sd["cls.predictions.bias"])
    return dict(sorted(sd.items()))


def write_json(path: Path, obj: object) -> None:
    """Write pretty, key-sorted JSON with a trailing newline."""
    path.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def save(model: transformers.BertForMaskedLM, size: ModelSize, out: Path) -> None:
    """Write the checkpoint directory in the original DNABERT layout (README written later)."""
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "config.json", bert_config(size))
    (out / "vocab.txt").write_text("\n".join(vocab_tokens()) + "\n")
    save_file(state_dict_to_save(model), str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "model.safetensors").chmod(0o644)  # safetensors creates it owner-only
    write_json(
        out / "tokenizer_config.json",
        {
            "do_lower_case": False,
            "model_max_length": MAX_TOKENS,
            "tokenizer_class": "BertTokenizer",
        },
    )
    write_json(
        out / "special_tokens_map.json",
        {
            "cls_token": "[CLS]",
            "mask_token": "[MASK]",
            "pad_token": "[PAD]",
            "sep_token": "[SEP]",
            "unk_token": "[UNK]",
        },
    )


def verify(model: transformers.BertForMaskedLM, out: Path, test_seq: str) -> None:
    """Reload the directory with transformers and check keys, weights, outputs and tokenizer."""
    loaded, info = transformers.BertForMaskedLM.from_pretrained(out, output_loading_info=True)
    bad = {k: v for k, v in info.items() if v}
    assert not bad, f"loading problems: {bad}"
    loaded.eval()
    ids = encode(test_seq).tolist()
    for tokenizer in (
        transformers.BertTokenizer(str(out / "vocab.txt"), do_lower_case=False),
        transformers.AutoTokenizer.from_pretrained(out),
    ):
        ref = tokenizer(kmer_string(test_seq))["input_ids"]
        assert ref == ids, f"{type(tokenizer).__name__} disagrees with the script's tokenization"
    with torch.no_grad():
        t = torch.tensor([ids])
        a, b = model(input_ids=t).logits, loaded(input_ids=t).logits
    assert torch.equal(a, b), "reloaded model gives different logits"
    for k, v in model.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k]), k
    print(
        f"verified: clean reload (no missing/unexpected keys, same logits); {len(ids)} ids "
        "match BertTokenizer(vocab.txt) and AutoTokenizer.from_pretrained(out)"
    )


def write_readme(out: Path, facts: dict[str, object]) -> None:
    """Model card with the figures of this run."""
    size, args = facts["size"], facts["args"]
    assert isinstance(size, ModelSize) and isinstance(args, argparse.Namespace)
    text = f"""---
license: mit
tags: [dna, dnabert, demo]
---

# DNABERT (k=6) demo model — a demo, not for biology

A tiny `BertForMaskedLM` in the **original DNABERT (v1) layout**: overlapping 6-mers (stride 1)
wrapped in `[CLS] … [SEP]`; `vocab.txt` = `[PAD] [UNK] [CLS] [SEP] [MASK]`, then the 4,096
6-mers in `itertools.product("ATCG", repeat=6)` order. It exists so that dnallm-zoo's DNABERT
plugin, examples and tests run offline. It was trained for a few CPU minutes on one chloroplast
genome: its embeddings and predictions mean nothing biologically. Do not use it for research.

## Architecture

hidden {size.hidden}, {size.layers} layers, {size.heads} heads, intermediate {size.intermediate},
512 positions, type vocab 2, exact GELU, `layer_norm_eps` 1e-12, vocab 4,101; {facts["params"]}
parameters, fp32, `model.safetensors` {facts["mb"]} MB. No pooler (the original base
checkpoints carry no trained pooler). Dropout is 0.0 in `config.json` because it was trained
without dropout (the original configs say 0.1; it only matters for training).

`model.safetensors` holds every key of transformers' `BertForMaskedLM.state_dict()` under the
original names (`bert.embeddings.*`, `bert.encoder.layer.{{i}}.*`, `cls.predictions.*`). The tied
aliases are stored as exact copies, as `torch.save` stored them in the original checkpoints:
`cls.predictions.decoder.weight` equals `bert.embeddings.word_embeddings.weight`, and
`cls.predictions.decoder.bias` equals `cls.predictions.bias`.

## Training

- `{facts["command"]}` — seed {args.seed}, {args.threads} CPU threads,
  `torch.use_deterministic_algorithms(True)`, torch {torch.__version__}, transformers
  {transformers.__version__}; {facts["wall"]}. The same seed, thread count and torch build give
  the same `model.safetensors` bit for bit (another `--threads` changes the float summation
  order, hence the weights).
- Data: `examples/arabidopsis_chloroplast.fa` (NC_000932.1, *Arabidopsis thaliana* chloroplast,
  154,478 bp, public domain), forward strand, **without the held-out window, bases
  {facts["holdout"]}** (0-based, end excluded), which lies in the small single-copy region. (The
  genome's last 10 kb are in inverted repeat IRa, whose reverse complement IRb is in the rest of
  the genome, so they could not serve as held-out data.) {facts["leak"]} of the held-out 20-mers
  occur in the training part on either strand.
- Objective: masked LM. Contiguous spans of exactly 6 tokens are replaced by `[MASK]` (about
  {args.mask_rate:.0%} of the tokens); spans never touch each other or `[CLS]`/`[SEP]`, so each
  span hides exactly one base. The loss is on the span's tokens.
- {args.steps} AdamW steps of about {args.tokens_per_step} tokens (peak learning rate {args.lr:g},
  linear warm-up, cosine decay). Window-length curriculum: windows of 24–40 6-mers for the first
  15% of the steps, then the longest window grows to {args.max_tokens}, and the last 35% use
  random windows of {args.min_tokens}–{args.max_tokens} 6-mers.
- Two choices make this learnable in a few CPU minutes (the result is still a stock
  `BertForMaskedLM` with ordinary weights): during training the tied word-embedding matrix is
  factorised, a 6-mer's row being the sum of six learned (place, base) vectors, and the final
  table is written into the ordinary embedding matrix; the position embeddings are a fixed
  sinusoidal table (scaled by {POS_SCALE}), not trained, so attention patterns learned on
  short windows carry over to all 512 positions. In trial runs, plain training (windows of 128
  6-mers, no factorisation) and training without the length curriculum stayed at the 6-mer
  unigram entropy (loss about 8.0) for the whole budget, and trained position embeddings
  reached only about 0.11 held-out accuracy.
- Final training loss {facts["loss"]}.

## Held-out evaluation

Masked-token accuracy over {facts["n_masked"]} span-masked tokens of the held-out window (rows of
up to 510 6-mers, spans of exactly 6 tokens, {EVAL_MASK_RATE:.0%} of the tokens, five mask draws
fixed by the seed). The script's summary line:

```
{facts["summary"]}
```

| predictor | accuracy |
|---|---|
| this model | {facts["acc_model"]} |
| (a) always the most frequent training 6-mer | {facts["acc_a"]} |
| (b) most frequent training 6-mer agreeing with the left neighbour | {facts["acc_b"]} |

(b) predicts, for each masked token, the most frequent training 6-mer that agrees with the
bases its unmasked left neighbour shows (a 5th-order Markov chain from 6-mer counts for the
first token of a span, fewer visible bases for the later ones). Both baselines use only the
training part. By place in the span (1st … 6th token): model {facts["by_place"]}; (b)
{facts["by_place_b"]}.

## License

MIT, like dnallm-zoo. The training sequence is public-domain NCBI data.
"""
    (out / "README.md").write_text(text)


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--fasta", type=Path, default=DEFAULT_FASTA)
    p.add_argument("--holdout", type=int, nargs=2, default=list(HOLDOUT), metavar=("START", "END"))
    p.add_argument("--tokens-per-step", type=int, default=1024)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--mask-rate", type=float, default=0.3, help="training span-mask rate")
    p.add_argument("--min-tokens", type=int, default=200)
    p.add_argument("--max-tokens", type=int, default=MAX_TOKENS - 2)
    p.add_argument("--layers", type=int, default=ModelSize.layers)
    p.add_argument("--hidden", type=int, default=ModelSize.hidden)
    p.add_argument("--log-every", type=int, default=250)
    p.add_argument("--eval-every", type=int, default=0, help="0: evaluate only at the end")
    return p.parse_args(argv)


def setup(args: argparse.Namespace) -> None:
    """Seed everything and make torch deterministic on the requested threads."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run (non-default options only)."""
    defaults = vars(parse_args([]))
    extra = [
        f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
        for k, v in vars(args).items()
        if v != defaults[k] and k not in ("out", "log_every", "eval_every")
    ]
    return " ".join(["python scripts/train_demo_model.py", *extra])


def main(argv: list[str] | None = None) -> None:
    """Train, evaluate, save and verify the demo model."""
    t_start, c_start = time.perf_counter(), time.process_time()
    args = parse_args(argv)
    setup(args)
    size = ModelSize(hidden=args.hidden, layers=args.layers, heads=4, intermediate=4 * args.hidden)
    genome = read_genome(args.fasta)
    start, end = args.holdout
    train_seqs, held = split_genome(genome, start, end)
    parts = [kmer_ids(s) for s in train_seqs]
    print(
        f"genome {len(genome):,} bp; held-out window [{start:,}, {end:,}) = {len(held):,} bp; "
        f"training part {sum(map(len, train_seqs)):,} bp in {len(parts)} segments"
    )
    leak = leakage(train_seqs, held)
    print(f"held-out {LEAK_K}-mers present in the training part (either strand): {leak:.2%}")
    ev = eval_set(held, args.seed)
    model = build_model(size)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {size}, {n_params:,} parameters")
    losses = train(model, parts, args, ev)
    t_train = time.perf_counter() - t_start
    hits_m = model_hits(model, ev)
    hits_a, hits_b = baseline_hits(kmer_counts(parts), ev)
    offsets = np.concatenate(ev.offset)
    for name, h in (("model", hits_m), ("most-frequent", hits_a), ("left-context", hits_b)):
        print(f"accuracy by place in span ({name}): {per_offset(h, offsets)}")
    save(model, size, args.out)
    verify(model, args.out, held[:200] + "N" + held[200:400])
    mb = (args.out / "model.safetensors").stat().st_size / 1e6
    wall, cpu = time.perf_counter() - t_start, time.process_time() - c_start
    summary = (
        f"held-out masked-token accuracy: model {hits_m.mean():.3f} | baseline most-frequent "
        f"{hits_a.mean():.3f} | baseline left-context {hits_b.mean():.3f}"
    )
    facts = {
        "size": size,
        "params": f"{n_params:,}",
        "command": command_line(args),
        "args": args,
        "wall": f"{wall:.0f} s wall ({t_train:.0f} s to the end of training), {cpu:.0f} s CPU",
        "holdout": f"{start:,}–{end:,}",
        "leak": f"{leak:.2%}",
        "loss": f"{losses[-1]:.3f}",
        "acc_model": f"{hits_m.mean():.3f}",
        "acc_a": f"{hits_a.mean():.3f}",
        "acc_b": f"{hits_b.mean():.3f}",
        "by_place": per_offset(hits_m, offsets),
        "by_place_b": per_offset(hits_b, offsets),
        "n_masked": f"{ev.n_masked():,}",
        "summary": summary,
        "mb": f"{mb:.2f}",
    }
    write_readme(args.out, facts)
    print(f"saved {args.out} (model.safetensors {mb:.2f} MB, {n_params:,} parameters)")
    print(f"wall time {wall:.1f} s, CPU time {cpu:.1f} s")
    print(summary)


if __name__ == "__main__":
    main()
