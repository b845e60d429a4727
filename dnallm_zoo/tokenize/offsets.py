"""Which bases each token covers: per-base labels to token labels, token scores back to bases.

`token_spans(tokenizer, seq)` gives, per token of ``tokenizer.encode(seq)``, the ``[start, end)``
bases of the (normalised, same-length) sequence it spells; special tokens cover none and read
``(0, 0)``, as transformers' ``offset_mapping`` has them. The mapping is the tokenizer's own:

- k-mers every `stride` bases (DNABERT's overlapping k-mers, ProkBERT's LCA windows): token i covers
  ``[i * stride, i * stride + k)``; bases past the last full window are covered by no token;
- BPE (DNABERT-2, Plant DNABERT BPE, GENA-LM): the `tokenizers` library's offsets of each piece, each
  piece starting where the one before it ends (a run GENA's normalizer replaces by '-' is that token's);
- any other tokenizer (Plant DNABERT's 6-mers with single-base fallback, one base per token): the
  length of each token's text, an unknown token one base; a tokenizer may instead define
  ``body_spans(seq: bytes, ids: np.ndarray) -> np.ndarray`` itself.

Labels per base become token labels by one rule (`base_labels_to_tokens`): by default a token takes
the label of its centre base, ``start + (end - start - 1) // 2`` (the left one of two); "first" takes
its first base's; "majority" the most common label among its bases (ties: the centre base's label if
tied, else the smallest). Special tokens, and tokens whose chosen label is -100, get -100 (ignored
by the loss). Token scores become per-base scores (`bases_from_tokens`) as the mean over the tokens
covering each base; a base no token covers gets NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from ..errors import InputError, SequenceTooLongError
from .base import DNATokenizer
from .bpe import BPETokenizer
from .kmer_tokenizer import KmerTokenizer

__all__ = [
    "IGNORE",
    "LabelRule",
    "base_labels_to_tokens",
    "bases_from_tokens",
    "body_spans",
    "encode_per_base",
    "token_spans",
]

IGNORE = -100  # transformers' ignore_index
LabelRule = Literal["centre", "first", "majority"]


def body_spans(tokenizer: DNATokenizer, seq: bytes, ids: np.ndarray) -> np.ndarray:
    """[start, end) of each body token `ids` of the normalised `seq` (no special tokens)."""
    own = getattr(tokenizer, "body_spans", None)
    if callable(own):
        spans = np.asarray(own(seq, ids), dtype=np.int64).reshape(-1, 2)
    elif isinstance(tokenizer, KmerTokenizer):
        starts = np.arange(len(ids), dtype=np.int64) * tokenizer.stride
        spans = np.stack((starts, starts + tokenizer.k), axis=1)
    elif isinstance(tokenizer, BPETokenizer):
        enc = tokenizer.backend.encode(seq.decode("ascii"), add_special_tokens=False)
        spans = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
        if len(spans):  # a normalizer that replaces a run (GENA-LM: 10+ N -> '-') aligns the piece to the
            spans[1:, 0] = spans[:-1, 1]  # run's last base; the token covers every base it consumed
            spans[0, 0] = 0
    else:
        spans = _spans_from_text(tokenizer, seq, ids)
    if len(spans) != len(ids):
        raise InputError(
            f"{type(tokenizer).__name__}: {len(spans)} token spans for {len(ids)} tokens; "
            "the tokenizer's base mapping does not match its tokens"
        )
    return spans


def _spans_from_text(tokenizer: DNATokenizer, seq: bytes, ids: np.ndarray) -> np.ndarray:
    unk = tokenizer.unk_token_id
    texts = tokenizer.convert_ids_to_tokens(ids)
    lengths = np.array([1 if i == unk else len(t) for i, t in zip(ids.tolist(), texts, strict=True)],
                       dtype=np.int64)
    ends = np.cumsum(lengths)
    spelled = int(ends[-1]) if len(ends) else 0
    if spelled != len(seq):
        raise InputError(
            f"{type(tokenizer).__name__}: its tokens spell {spelled} bases of a "
            f"{len(seq)}-base sequence; give it a body_spans(seq, ids) method to map tokens to bases"
        )
    return np.stack((ends - lengths, ends), axis=1)


def token_spans(
    tokenizer: DNATokenizer,
    seq: str | bytes,
    *,
    add_special_tokens: bool = True,
    record: str | None = None,
) -> np.ndarray:
    """int64 [n_tokens, 2]: the bases each token of ``tokenizer.encode(seq)`` covers; specials (0, 0)."""
    norm = tokenizer.normalize(seq, record=record)
    ids = tokenizer.encode_normalized(norm, add_special_tokens=False)
    body = body_spans(tokenizer, norm, ids)
    if not add_special_tokens:
        return body
    pre = np.zeros((len(tokenizer.prefix_ids), 2), dtype=np.int64)
    post = np.zeros((len(tokenizer.suffix_ids), 2), dtype=np.int64)
    return np.concatenate((pre, body, post))


def base_labels_to_tokens(
    spans: np.ndarray, base_labels: Sequence[int] | np.ndarray, *, rule: LabelRule = "centre"
) -> np.ndarray:
    """int64 [n_tokens]: each token's label from the labels of its bases (see the module docstring)."""
    labels = np.asarray(base_labels, dtype=np.int64)
    spans = np.asarray(spans, dtype=np.int64)
    out = np.full(len(spans), IGNORE, dtype=np.int64)
    real = spans[:, 1] > spans[:, 0]
    start, end = spans[real, 0], spans[real, 1]
    if len(start) and int(end.max()) > len(labels):
        raise InputError(f"tokens cover bases up to {int(end.max())}, but {len(labels)} labels are given")
    centre = start + (end - start - 1) // 2
    if rule == "centre":
        out[real] = labels[centre]
    elif rule == "first":
        out[real] = labels[start]
    elif rule == "majority":
        chosen = []
        for s, e, c in zip(start.tolist(), end.tolist(), centre.tolist(), strict=True):
            window = labels[s:e]
            window = window[window != IGNORE]
            if not len(window):
                chosen.append(IGNORE)
                continue
            values, counts = np.unique(window, return_counts=True)
            best = values[counts == counts.max()]
            chosen.append(int(labels[c]) if labels[c] in best else int(best.min()))
        out[real] = np.asarray(chosen, dtype=np.int64)
    else:
        raise InputError(f"rule={rule!r}: use 'centre', 'first' or 'majority'")
    return out


def encode_per_base(
    tokenizer: DNATokenizer,
    seq: str | bytes,
    base_labels: Sequence[int] | np.ndarray,
    *,
    rule: LabelRule = "centre",
    record: str | None = None,
) -> dict[str, Any]:
    """`input_ids`, `attention_mask` and token `labels` (lists) of one sequence labelled per base.

    A label list whose length differs from the sequence, or a sequence with more tokens than the model
    takes, is an `InputError` naming the record.
    """
    where = f"record {record!r}: " if record is not None else ""
    norm = tokenizer.normalize(seq, record=record)
    labels = np.asarray(base_labels)
    if labels.ndim != 1 or len(labels) != len(norm):
        raise InputError(f"{where}{len(norm)} bases but {labels.size} per-base labels")
    ids = tokenizer.encode_normalized(norm)
    if len(ids) > tokenizer.max_length:
        raise SequenceTooLongError(
            f"{where}{len(ids)} tokens, the model takes at most {tokenizer.max_length}; cut the sequence "
            "(and its labels) into windows first"
        )
    spans = token_spans(tokenizer, norm, record=record)
    return {
        "input_ids": ids.tolist(),
        "attention_mask": [1] * len(ids),
        "labels": base_labels_to_tokens(spans, labels.astype(np.int64), rule=rule).tolist(),
    }


def bases_from_tokens(spans: np.ndarray, token_scores: np.ndarray, n_bases: int) -> np.ndarray:
    """float [n_bases, ...]: per base, the mean score of the tokens covering it (NaN where none does).

    `token_scores` has one row per span ([n_tokens] or [n_tokens, C]); rows of special tokens are
    ignored (they cover no base).
    """
    spans = np.asarray(spans, dtype=np.int64)
    scores = np.asarray(token_scores, dtype=np.float64)
    if len(scores) != len(spans):
        raise InputError(f"{len(scores)} token score rows for {len(spans)} token spans")
    tail = scores.shape[1:]
    flat = scores.reshape(len(scores), -1)
    real = spans[:, 1] > spans[:, 0]
    start, end, flat = spans[real, 0], np.minimum(spans[real, 1], n_bases), flat[real]
    total = np.zeros((n_bases + 1, flat.shape[1]))
    count = np.zeros(n_bases + 1)
    np.add.at(total, start, flat)
    np.add.at(total, end, -flat)
    np.add.at(count, start, 1)
    np.add.at(count, end, -1)
    total, count = np.cumsum(total, axis=0)[:n_bases], np.cumsum(count)[:n_bases]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count[:, None]
    mean[count == 0] = np.nan
    return mean.reshape((n_bases, *tail)).astype(np.float32)
