"""Per-base attributions of a fine-tuned classifier or regressor: integrated gradients through Captum.

Integrated gradients (Sundararajan et al. 2017, Captum's `LayerIntegratedGradients`) are taken on the
output of the token-embedding layer (`DNAEncoder.input_embeddings`), for one output of the head: the
logit of the target label (the raw output of a regressor). The baseline is the same sequence with every
sequence token replaced by [PAD] (or [MASK]); the special tokens stay, so their attribution is exactly 0.
A token's score is its attribution summed over the embedding's dimensions; the scores sum to the output
minus the baseline's output, up to Captum's convergence delta (reported per sequence).

Tokens to bases: a token's score is spread evenly over the bases it spells (a 6-mer gives 1/6 of its
score to each of its 6 bases, a BPE piece of n bases 1/n to each), and a base's score is the sum over the
tokens that cover it. So a base covered by k overlapping k-mers collects k shares, and the per-base scores
sum to the token scores (nothing is lost or counted twice); a base no token covers scores 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

from ._chunking import Record
from ._plotting import atomic_output, pyplot, save_figure
from ._tokenized import Inspected, TokenizedRecord, tokenize_records
from .errors import InputError, ZooError

if TYPE_CHECKING:
    from ._spec import ModelSpec

__all__ = ["Attribution", "Baseline", "bases_from_token_scores", "explain", "plot_attributions",
           "resolve_target", "save_attributions"]

Baseline = Literal["pad", "mask"]


@dataclass(frozen=True)
class Attribution:
    """One sequence's integrated gradients for one output, per token and per base."""

    index: int  # position of the sequence in the input
    record: str | None
    bases: str  # the normalised sequence
    tokens: tuple[str, ...]
    spans: np.ndarray  # int64 [T, 2]: the bases each token covers; (0, 0) for special tokens
    target: str  # the label explained
    output: float  # the head's output for it (a logit; a regressor's value)
    baseline_output: float  # the same output on the baseline
    delta: float  # Captum's convergence delta: sum(token_scores) - (output - baseline_output)
    token_scores: np.ndarray  # float32 [T]
    base_scores: np.ndarray  # float32 [len(bases)]

    @property
    def name(self) -> str:
        return self.record if self.record is not None else f"sequence {self.index}"


def resolve_target(spec: ModelSpec, target: str | int | None, *, model: str | None = None) -> int | None:
    """The head output to explain: a label name (or its index); None: each sequence's predicted label.

    A model without a classifier or regressor head, or a label it does not have, is an `InputError`
    (the spec is enough: `spec_of(model)` checks a command line before the model loads).
    """
    name = model or spec.id
    if spec.task != "sequence-classification" or not spec.labels:
        raise InputError(f"{name} is a {spec.task} model: attributions need a fine-tuned classifier or "
                         "regressor (dnallm-zoo finetune ... -o DIR, then --model DIR)")
    labels = list(spec.labels)
    if target is None:
        return None
    if isinstance(target, str) and target in labels:
        return labels.index(target)
    if isinstance(target, int) and not isinstance(target, bool) and 0 <= target < len(labels):
        return target
    if isinstance(target, str) and target.isdigit() and int(target) < len(labels):
        return int(target)
    raise InputError(f"target {target!r}: {name} has no such label; its labels are {labels}")


def bases_from_token_scores(spans: np.ndarray, scores: np.ndarray, n_bases: int) -> np.ndarray:
    """float32 [n_bases]: each token's score spread evenly over its bases, summed per base."""
    spans = np.asarray(spans, dtype=np.int64)
    real = spans[:, 1] > spans[:, 0]
    start, end = spans[real, 0], np.minimum(spans[real, 1], n_bases)
    share = np.asarray(scores, dtype=np.float64)[real] / (spans[real, 1] - spans[real, 0])
    diff = np.zeros(n_bases + 1)
    np.add.at(diff, start, share)
    np.add.at(diff, end, -share)
    return np.cumsum(diff)[:n_bases].astype(np.float32)


def explain(
    enc: Inspected,
    seqs: Iterable[Record] | str,
    *,
    target: str | int | None = None,
    steps: int = 50,
    baseline: Baseline = "pad",
    internal_batch_size: int | None = None,
) -> list[Attribution]:
    """Integrated-gradients attributions of `target` (see the module docstring) for each sequence, whole.

    Bad input (no classifier head, an unknown label, a bad or too long sequence, a baseline token the
    tokenizer lacks) is an `InputError` raised before any model work.
    """
    try:
        from captum.attr import LayerIntegratedGradients
    except ImportError:
        raise ZooError("attributions need Captum: pip install 'dnallm-zoo[interpret]'") from None
    index = resolve_target(enc.spec, target)
    if steps < 2:
        raise InputError(f"steps={steps}: integrated gradients need at least 2 steps")
    fill = {"pad": enc.tokenizer.pad_token_id, "mask": enc.tokenizer.mask_token_id}.get(baseline)
    if baseline not in ("pad", "mask") or fill is None:
        raise InputError(f"baseline {baseline!r}: use 'pad' or 'mask' (a token {enc.spec.id}'s tokenizer "
                         "has)")
    records = tokenize_records(enc, [seqs] if isinstance(seqs, (str, bytes)) else seqs)
    labels = list(enc.spec.labels or ())

    def head(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        logits = enc.forward(input_ids, attention_mask, with_logits=True).logits
        assert logits is not None
        return logits

    ig = LayerIntegratedGradients(head, enc.input_embeddings())
    out = []
    for r in records:
        ids = torch.from_numpy(r.ids)[None].to(enc.device)
        mask = torch.ones_like(ids)
        base = _baseline_ids(r, fill).to(enc.device)
        with torch.no_grad():
            both = head(torch.cat((ids, base)), torch.cat((mask, mask))).float()
        chosen = int(both[0].argmax()) if index is None else index
        attr, delta = ig.attribute(
            inputs=ids, baselines=base, additional_forward_args=(mask,), target=chosen, n_steps=steps,
            internal_batch_size=internal_batch_size, return_convergence_delta=True,
        )
        scores = attr.sum(-1)[0].detach().float().cpu().numpy()
        out.append(Attribution(
            r.index, r.record, r.bases, r.tokens, r.spans, labels[chosen], float(both[0, chosen]),
            float(both[1, chosen]), float(delta.reshape(-1)[0]), scores,
            bases_from_token_scores(r.spans, scores, len(r.bases)),
        ))
    return out


def _baseline_ids(r: TokenizedRecord, fill: int) -> torch.Tensor:
    """The sequence's ids with every token that covers bases replaced by `fill`."""
    ids = r.ids.copy()
    ids[r.spans[:, 1] > r.spans[:, 0]] = fill
    return torch.from_numpy(ids)[None]


def save_attributions(rows: Sequence[Attribution], path: str | Path, *, model: str) -> Path:
    """One Parquet row per sequence, atomically: id, target, output, baseline_output, delta, length, bases,
    attribution (per base), and per token: tokens, token_start, token_end, token_attribution."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def floats(values: list[np.ndarray]) -> pa.Array:
        return pa.array([v.astype(np.float32) for v in values], type=pa.list_(pa.float32()))

    table = pa.table({
        "id": pa.array([a.name for a in rows], type=pa.string()),
        "target": pa.array([a.target for a in rows], type=pa.string()),
        "output": pa.array([a.output for a in rows], type=pa.float64()),
        "baseline_output": pa.array([a.baseline_output for a in rows], type=pa.float64()),
        "delta": pa.array([a.delta for a in rows], type=pa.float64()),
        "length": pa.array([len(a.bases) for a in rows], type=pa.int64()),
        "bases": pa.array([a.bases for a in rows], type=pa.string()),
        "attribution": floats([a.base_scores for a in rows]),
        "tokens": pa.array([list(a.tokens) for a in rows], type=pa.list_(pa.string())),
        "token_start": pa.array([a.spans[:, 0] for a in rows], type=pa.list_(pa.int64())),
        "token_end": pa.array([a.spans[:, 1] for a in rows], type=pa.list_(pa.int64())),
        "token_attribution": floats([a.token_scores for a in rows]),
    })
    method = "integrated gradients on the token embeddings (Captum LayerIntegratedGradients)"
    table = table.replace_schema_metadata({"dnallm_zoo.model": model, "dnallm_zoo.method": method})
    with atomic_output(path) as tmp:
        pq.write_table(table, tmp)
    return Path(path)


def plot_attributions(rows: Sequence[Attribution], path: str | Path, *, max_rows: int = 8,
                      label_bases: int = 120) -> Path:
    """A track per sequence (the first `max_rows`): each base's score, the bases written under short ones."""
    plt = pyplot()
    shown = list(rows[:max_rows])
    if not shown:
        raise InputError("no attributions to plot")
    width = min(16.0, 4.0 + 0.09 * max(len(a.bases) for a in shown))
    fig, axes = plt.subplots(len(shown), 1, figsize=(width, 2.2 * len(shown)), squeeze=False)
    for ax, a in zip(axes[:, 0], shown, strict=True):
        x = np.arange(len(a.bases))
        colours: Any = np.where(a.base_scores >= 0, "tab:red", "tab:blue")
        ax.bar(x, a.base_scores, width=1.0, color=colours)
        ax.axhline(0.0, color="black", linewidth=0.5)
        ax.set_xlim(-0.5, len(a.bases) - 0.5)
        if len(a.bases) <= label_bases:
            ax.set_xticks(x, list(a.bases), fontsize=7, family="monospace")
        else:
            ax.set_xlabel("position (bases)")
        ax.set_ylabel("attribution")
        ax.set_title(f"{a.name}: {a.target} (output {a.output:.3g}, baseline {a.baseline_output:.3g}, "
                     f"delta {a.delta:.2g})", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)
