"""The embedding pipeline over any `DNAEncoder`: records to batches to pooled vectors, in input order.

normalise -> tokenize -> chunk long inputs in bases (`_chunking`) -> length-bucketed batches under a
token budget (`_batching`) -> forward -> pool -> fold chunks back into one vector per sequence.
Memory follows the token budget, not the input: units are run a window (a few budgets) at a time.
The streaming forms yield rows that hold their record (`Row`, `Segment`): whoever writes them takes
the id and the input from the row, never from its position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import torch

from ._batching import DEFAULT_TOKEN_BUDGET, plan_batches, pool
from ._chunking import Record, Unit, iter_units
from ._inputs import SeqRecord
from ._layers import LayerRequest, resolve_layers
from ._names import LongPolicy, Pooling
from .errors import InputError

if TYPE_CHECKING:
    from ._spec import ModelSpec
    from .tokenize.base import DNATokenizer

__all__ = [
    "PipelineModel", "Progress", "Row", "Segment", "embed", "embed_iter", "embed_segments", "predict",
    "predict_iter",
]

#: called with (sequences done, bases done) after each sequence
Progress = Callable[[int, int], None]


class PipelineModel(Protocol):
    """What the pipeline needs of an encoder."""

    spec: ModelSpec
    tokenizer: DNATokenizer

    @property
    def device(self) -> torch.device: ...
    @property
    def max_length(self) -> int: ...
    @property
    def max_bases(self) -> int: ...
    @property
    def hidden_size(self) -> int: ...
    @property
    def num_layers(self) -> int: ...

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, *,
                output_hidden_states: bool = False, with_logits: bool = False,
                output_attentions: bool = False) -> Any: ...


@dataclass(frozen=True, eq=False)
class Row:
    """One sequence's result: its record (id, source, extra fields), its position, its vector.

    `vector` is the pooled embedding ([hidden]), every token's ([T, hidden], pooling 'none') or the
    label probabilities of `predict_iter`. `numpy.asarray(row)` is the vector.
    """

    record: SeqRecord
    index: int  # position of the sequence in the input
    vector: np.ndarray

    @property
    def id(self) -> str | None:
        return self.record.id

    @property
    def item(self) -> SeqRecord:
        """The record (`OutRow.item`)."""
        return self.record

    @property
    def values(self) -> tuple[int, ...]:
        """The row's int columns: its length in bases."""
        return (self.record.length,)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return np.asarray(self.vector, dtype=dtype)


@dataclass(frozen=True)
class Segment:
    """One window of one input sequence and its pooled embedding."""

    index: int  # position of the sequence in the input
    record: str | None  # its id, when the input named one
    start: int  # 0-based, half-open, in bases of the normalised sequence
    end: int
    n_tokens: int
    vector: np.ndarray
    item: SeqRecord = field(default=SeqRecord(None, ""), repr=False, compare=False)  # the whole record

    @property
    def values(self) -> tuple[int, ...]:
        """The row's int columns: start and end."""
        return (self.start, self.end)


def _check_pooling(model: PipelineModel, pooling: Pooling) -> None:
    if pooling not in model.spec.capabilities.poolings:
        raise InputError(
            f"{model.spec.id} does not offer pooling {pooling!r}; "
            f"it offers {list(model.spec.capabilities.poolings)}"
        )


def _units(model: PipelineModel, seqs: Iterable[Record], *, long: LongPolicy, overlap: int | None,
           segment: int | None = None) -> Iterator[Unit]:
    caps = model.spec.capabilities
    return iter_units(
        model.tokenizer, seqs, model_id=model.spec.id, max_length=model.max_length,
        max_bases=model.max_bases, overlap=caps.chunk_overlap if overlap is None else overlap,
        long=long, any_length=caps.any_length, segment=segment,
    )


#: one hidden state (an index; -1: the last hidden state itself), or several (their indices, non-negative)
Layers = int | tuple[int, ...]


def _layers(model: PipelineModel, layer: int, layers: LayerRequest | None) -> Layers:
    """`layer` alone, or the indices `layers` names; checked against the model before any work."""
    count = model.num_layers + 1  # embeddings, then each layer
    what = f"hidden states (the embeddings, then {model.num_layers} layers)"
    if layers is None:
        if layer != -1:
            resolve_layers(layer, count, what=what, model=model.spec.id)
        return layer
    if layer != -1:
        raise InputError(f"layer={layer} and layers={layers!r}: give one of them")
    return resolve_layers(layers, count, what=what, model=model.spec.id)


def _as_list(seqs: Iterable[Record] | str | bytes) -> Iterable[Record]:
    return [seqs] if isinstance(seqs, (str, bytes)) else seqs


def embed(
    model: PipelineModel,
    seqs: Iterable[Record] | str,
    *,
    pooling: Pooling = "mean",
    layer: int = -1,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    long: LongPolicy = "chunk",
    overlap: int | None = None,
    layers: LayerRequest | None = None,
) -> np.ndarray | list[np.ndarray]:
    """One float32 vector per sequence ([N, hidden]); with pooling='none' a list of [T, H].

    `layers` (hidden-state indices: 0 the embeddings, -1 the last layer; a list; "all"): one vector per
    layer, [N, layers, hidden] (pooling='none': a list of [layers, T, H]).
    """
    chosen = _layers(model, layer, layers)
    out = [row.vector for row in embed_iter(model, _as_list(seqs), pooling=pooling, layer=layer,
                                            token_budget=token_budget, long=long, overlap=overlap,
                                            layers=layers)]
    if pooling == "none":
        return out
    if not out:
        shape = (0, model.hidden_size) if isinstance(chosen, int) else (0, len(chosen), model.hidden_size)
        return np.zeros(shape, dtype=np.float32)
    return np.stack(out)


def embed_iter(
    model: PipelineModel,
    seqs: Iterable[Record],
    *,
    pooling: Pooling = "mean",
    layer: int = -1,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    long: LongPolicy = "chunk",
    overlap: int | None = None,
    progress: Progress | None = None,
    layers: LayerRequest | None = None,
) -> Iterator[Row]:
    """Stream one `Row` per sequence (its record and embedding) in input order; memory is bounded by the
    token budget, not the input. With `layers`, a row's vector is [layers, hidden] ([layers, T, H])."""
    _check_pooling(model, pooling)
    chosen = _layers(model, layer, layers)
    if pooling == "none" and long == "chunk":
        long = "error"  # per-token output of a chunked sequence would be ambiguous
    units = _units(model, seqs, long=long, overlap=overlap)
    scored = _run_units(model, units, pooling=pooling, layer=chosen, token_budget=token_budget)
    yield from _aggregate(scored, pooling, progress)


def embed_segments(
    model: PipelineModel,
    seqs: Iterable[Record],
    *,
    segment_bases: int | None = None,
    overlap: int = 0,
    pooling: Pooling = "mean",
    layer: int = -1,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    layers: LayerRequest | None = None,
) -> Iterator[Segment]:
    """Cut each sequence into contiguous windows and yield one embedding per window ([layers, hidden]
    with `layers`)."""
    _check_pooling(model, pooling)
    chosen = _layers(model, layer, layers)
    if pooling == "none":
        raise InputError("per-segment output needs a pooling other than 'none'")
    size = segment_bases or model.max_bases
    if size > model.max_bases:
        raise InputError(f"segments of {size} bases exceed {model.spec.id}'s {model.max_bases}")
    units = _units(model, seqs, long="chunk", overlap=overlap, segment=size)
    for unit, vec in _run_units(model, units, pooling=pooling, layer=chosen, token_budget=token_budget):
        yield Segment(unit.index, unit.record, unit.start, unit.end, len(unit.ids), vec, unit.item)


def predict_iter(
    model: PipelineModel,
    seqs: Iterable[Record],
    *,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    long: LongPolicy = "error",
    progress: Progress | None = None,
) -> Iterator[Row]:
    """Stream one `Row` per sequence: its record and label probabilities, in input order (softmax;
    sigmoid if multi-label; raw values if regression); a chunked sequence's logits are averaged over
    its chunks by token count."""
    spec = model.spec
    if spec.task != "sequence-classification":
        raise InputError(f"{spec.id} is a {spec.task} model; predict needs a classifier")
    units = _units(model, seqs, long=long, overlap=None)
    scored = _run_units(model, units, pooling=None, layer=-1, token_budget=token_budget)
    for row in _aggregate(scored, "mean", progress):
        yield Row(row.record, row.index, _probabilities(row.vector, spec.problem_type))


def predict(
    model: PipelineModel,
    seqs: Iterable[Record] | str,
    *,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    long: LongPolicy = "error",
) -> np.ndarray:
    """Per-sequence label probabilities, [N, labels] (see `predict_iter`)."""
    rows = [row.vector for row in predict_iter(model, _as_list(seqs), token_budget=token_budget, long=long)]
    if not rows:
        return np.zeros((0, len(model.spec.labels or ())), dtype=np.float32)
    return np.stack(rows)


def _probabilities(logits: np.ndarray, problem_type: str | None) -> np.ndarray:
    if problem_type == "regression":
        return logits
    if problem_type == "multi-label":
        return 1.0 / (1.0 + np.exp(-logits))
    e = np.exp(logits - logits.max())
    return e / e.sum()


@torch.inference_mode()
def _run_units(
    model: PipelineModel, units: Iterable[Unit], *, pooling: Pooling | None, layer: Layers, token_budget: int
) -> Iterator[tuple[Unit, np.ndarray]]:
    """Run units window by window (a window is a few token budgets), in input order.

    `pooling=None` asks for the checkpoint's head output (classifier logits) instead of hidden states.
    """
    window: list[Unit] = []
    tokens = 0
    for unit in units:
        window.append(unit)
        tokens += len(unit.ids)
        if tokens >= 4 * token_budget:
            yield from _run_window(model, window, pooling, layer, token_budget)
            window, tokens = [], 0
    if window:
        yield from _run_window(model, window, pooling, layer, token_budget)


def _run_window(model: PipelineModel, window: list[Unit], pooling: Pooling | None, layer: Layers,
                token_budget: int) -> Iterator[tuple[Unit, np.ndarray]]:
    results: list[np.ndarray | None] = [None] * len(window)
    for batch in plan_batches([len(u.ids) for u in window], token_budget):
        ids, mask = model.tokenizer.pad([window[i].ids for i in batch])
        input_ids = torch.from_numpy(ids).to(model.device, non_blocking=True)
        attn = torch.from_numpy(mask).to(model.device, non_blocking=True)
        out = model.forward(input_ids, attn, output_hidden_states=layer != -1, with_logits=pooling is None)
        if pooling is None:
            assert out.logits is not None
            rows = out.logits.float().cpu().numpy()
        elif isinstance(layer, tuple):  # several layers: [B, layers, H] ([layers, T, H] per row)
            assert out.hidden_states is not None
            states = [out.hidden_states[i] for i in layer]
            if pooling == "none":
                h = torch.stack(states, 1).float().cpu().numpy()
                for row, i in enumerate(batch):
                    results[i] = h[row, :, : len(window[i].ids)]
                continue
            rows = torch.stack([pool(x, attn, pooling) for x in states], 1).float().cpu().numpy()
        else:
            hidden = _hidden(model, out, layer)
            if pooling == "none":
                h = hidden.float().cpu().numpy()
                for row, i in enumerate(batch):
                    results[i] = h[row, : len(window[i].ids)]
                continue
            rows = pool(hidden, attn, pooling).float().cpu().numpy()
        for row, i in enumerate(batch):
            results[i] = rows[row]
    for unit, vec in zip(window, results, strict=True):
        assert vec is not None
        yield unit, vec


def _hidden(model: PipelineModel, out: Any, layer: int) -> torch.Tensor:
    if layer == -1:
        return out.last_hidden_state
    assert out.hidden_states is not None
    try:
        return out.hidden_states[layer]
    except IndexError:
        raise InputError(
            f"layer {layer} out of range: {model.spec.id} has "
            f"{len(out.hidden_states)} hidden states (embeddings + layers)"
        ) from None


def _aggregate(
    scored: Iterable[tuple[Unit, np.ndarray]],
    pooling: Pooling,
    progress: Progress | None,
) -> Iterator[Row]:
    """Fold consecutive units of one sequence into its row (token-weighted; max for 'max')."""
    current: Unit | None = None
    acc: np.ndarray | None = None
    weight = 0
    bases = 0
    for unit, vec in scored:
        if current is None or unit.index != current.index:
            if acc is not None and current is not None:
                yield Row(current.item, current.index, acc if pooling in ("max", "none") else acc / weight)
                if progress:
                    progress(1, bases)
            current, acc, weight, bases = unit, None, 0, 0
        n = len(unit.ids)
        bases = max(bases, unit.end)
        if pooling == "none":
            acc = vec
        elif pooling == "max":
            acc = vec.copy() if acc is None else np.maximum(acc, vec)
        else:
            acc = vec * n if acc is None else acc + vec * n
        weight += n
    if acc is not None and current is not None:
        yield Row(current.item, current.index, acc if pooling in ("max", "none") else acc / weight)
        if progress:
            progress(1, bases)


