"""Attention maps: per layer and head, every token's softmax weights over the tokens, with the bases of each.

The weights are the family's `forward(..., output_attentions=True)`: the original's eager attention
(transformers' BertModel for stock BERT, the eager ALiBi path for DNABERT-2, relative_key_query scores for
ProkBERT). One sequence per forward pass, whole (no padding, no chunks): a map is one sequence's own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ._chunking import Record
from ._layers import LayerRequest, resolve_layers
from ._plotting import atomic_output, pyplot, save_figure
from ._tokenized import Inspected, tokenize_records
from .errors import InputError

__all__ = ["AttentionMap", "attention_maps", "plot_attention", "save_attention_npz"]


@dataclass(frozen=True)
class AttentionMap:
    """One sequence's attention: ``weights[l, h, i, j]`` is how much token i attends to token j in head h
    of layer ``layers[l]`` (0 = the first layer); row i sums to 1."""

    index: int  # position of the sequence in the input
    record: str | None  # its id, when the input named one
    bases: str  # the normalised sequence
    tokens: tuple[str, ...]  # the bases each token spells ([CLS], [SEP] for the special tokens)
    spans: np.ndarray  # int64 [T, 2]: [start, end) bases of each token; (0, 0) for special tokens
    layers: tuple[int, ...]
    weights: np.ndarray  # float32 [len(layers), heads, T, T]

    @property
    def name(self) -> str:
        return self.record if self.record is not None else f"sequence {self.index}"


def attention_maps(enc: Inspected, seqs: Iterable[Record] | str, *,
                   layers: LayerRequest = "all") -> list[AttentionMap]:
    """The attention of each sequence in `layers` (indices into the model's layers, -1 the last, or "all").

    A layer the model does not have, a bad sequence or one longer than one pass is an `InputError` naming
    it (every bad sequence at once), raised before any model work.
    """
    chosen = resolve_layers(layers, enc.num_layers, what="attention layers", model=enc.spec.id)
    records = tokenize_records(enc, [seqs] if isinstance(seqs, (str, bytes)) else seqs)
    out = []
    with torch.inference_mode():
        for r in records:
            ids = torch.from_numpy(r.ids)[None].to(enc.device)
            result = enc.forward(ids, torch.ones_like(ids), output_attentions=True)
            if result.attentions is None:
                raise InputError(f"{enc.spec.id}'s forward returned no attention weights")
            weights = torch.stack([result.attentions[i][0] for i in chosen]).float().cpu().numpy()
            out.append(AttentionMap(r.index, r.record, r.bases, r.tokens, r.spans, chosen, weights))
    return out


def save_attention_npz(maps: Sequence[AttentionMap], path: str | Path, *, model: str) -> Path:
    """Write the maps to one .npz, atomically: per sequence i, ``weights_i`` [layers, heads, T, T],
    ``spans_i`` [T, 2], ``tokens_i`` [T]; and ``ids``, ``layers``, ``meta`` (JSON: model, layer numbering)."""
    arrays: dict[str, np.ndarray] = {
        "ids": np.array([m.name for m in maps], dtype=np.str_),
        "layers": np.array(maps[0].layers if maps else (), dtype=np.int64),
        "meta": np.array(json.dumps({
            "model": model, "layers": "0 is the first layer's attention (transformers' attentions[0])",
            "weights": "weights_i[l, h, q, k]: token q's weight on token k, head h, layer layers[l]",
        })),
    }
    for i, m in enumerate(maps):
        arrays[f"weights_{i}"] = m.weights
        arrays[f"spans_{i}"] = m.spans
        arrays[f"tokens_{i}"] = np.array(m.tokens, dtype=np.str_)
    with atomic_output(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]  # the stub reads **kwds as allow_pickle
    return Path(path)


def plot_attention(m: AttentionMap, path: str | Path, *, layer: int = -1, head: int | None = None,
                   max_labels: int = 64) -> Path:
    """A heatmap of one layer's weights (one head, or the mean over heads), tokens labelled by their bases."""
    plt = pyplot()
    if not -len(m.layers) <= layer < len(m.layers):
        raise InputError(f"layer {layer}: the map holds layers {list(m.layers)} (index into that list)")
    heads = m.weights.shape[1]
    if head is not None and not -heads <= head < heads:
        raise InputError(f"head {head} out of range: the model has {heads} heads (0 to {heads - 1})")
    w = m.weights[layer]
    grid = w.mean(0) if head is None else w[head]
    n = len(m.tokens)
    side = min(10.0, 3.0 + 0.12 * min(n, max_labels))
    fig, ax = plt.subplots(figsize=(side + 1.5, side))
    image = ax.imshow(grid, cmap="viridis", vmin=0.0, interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="attention weight")
    if n <= max_labels:
        ax.set_xticks(range(n), m.tokens, rotation=90, fontsize=7, family="monospace")
        ax.set_yticks(range(n), m.tokens, fontsize=7, family="monospace")
    ax.set_xlabel("attended token (key)")
    ax.set_ylabel("attending token (query)")
    which = "mean over heads" if head is None else f"head {head % heads}"
    ax.set_title(f"{m.name}: attention layer {m.layers[layer]} (0-based), {which}")
    fig.tight_layout()
    return save_figure(fig, path)
