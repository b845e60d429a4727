"""The commands a `Run` drives: what turns records into rows, and what their output holds.

Each is a frozen dataclass of typed options (picklable: the Ray engine ships it to its actors) with
`plan` (the layout and the metadata of the output, built here and nowhere else) and `rows` (the
pipeline's streaming form, whose rows hold their records). `Embedding`: one vector per sequence,
or per window with `segments`; `Prediction`: a classifier's label probabilities.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._layers import resolve_layers
from ._names import ROW_POOLINGS
from ._options import EmbedOptions, PredictOptions
from ._run import OutputPlan, sequence_screening
from ._writers import RowLayout
from .errors import InputError

if TYPE_CHECKING:
    from ._encoder import DNAEncoder
    from ._inputs import SeqRecord
    from ._run import Run
    from ._spec import ModelSpec, NormalizationPolicy
    from ._validation import Screening
    from ._writers import OutRow

__all__ = ["Embedding", "Prediction"]


@dataclass(frozen=True)
class Embedding:
    """`embed`: one row per sequence (`id`, `source`, `length`, `embedding`), or per window with segments."""

    options: EmbedOptions = field(default_factory=EmbedOptions)
    verb = "embedded"
    unit = "sequence"
    phase = "embedding"

    def screening(self, run: Run, spec: ModelSpec, policy: NormalizationPolicy) -> Screening:
        return sequence_screening(run, spec, policy)

    def plan(self, spec: ModelSpec, policy: NormalizationPolicy) -> OutputPlan:
        o = self.options
        if o.pooling not in ROW_POOLINGS:
            raise InputError(f"pooling {o.pooling!r}: an output holds one vector per row (mean, cls or max)")
        if o.pooling not in spec.capabilities.poolings:
            raise InputError(f"{spec.id} does not offer pooling {o.pooling!r}; it offers "
                             f"{list(spec.capabilities.poolings)}")
        if o.long not in ("chunk", "error"):
            raise InputError(f"long {o.long!r}: use 'chunk' or 'error'")
        layers = self.layers(spec)
        meta = {"model": spec.id, "pooling": o.pooling, "normalization": policy.model_dump_json()}
        if layers:
            meta["layers"] = ",".join(map(str, layers))
        else:
            meta["layer"] = str(o.layer)
        width = spec.architecture.hidden_size
        window = self.window(spec)  # of a segment, or of a chunk
        if o.overlap is not None and o.overlap >= window:
            raise InputError(f"--overlap {o.overlap} must be smaller than the window of {window} bases")
        if o.segments:
            meta.update(segment_size=str(window), overlap=str(o.overlap or 0))
            return OutputPlan(spec.id, RowLayout.segments(width, source=True, layers=layers), meta, one_file=(
                "--segment-output writes one file; a directory output holds one row per sequence"))
        meta.update(long=o.long, overlap="model" if o.overlap is None else str(o.overlap))
        return OutputPlan(spec.id, RowLayout.sequences(width, source=True, layers=layers), meta)

    def layers(self, spec: ModelSpec) -> tuple[int, ...]:
        """The hidden states asked for as non-negative indices (() for the one `layer`), checked against
        the model before any work: a layer it does not have is an `InputError` naming it."""
        o = self.options
        count = spec.architecture.num_layers + 1
        what = f"hidden states (the embeddings, then {spec.architecture.num_layers} layers)"
        if o.layers is None:
            resolve_layers(o.layer, count, what=what, model=spec.id)
            return ()
        return resolve_layers(o.layers, count, what=what, model=spec.id)

    @property
    def row_unit(self) -> str | None:
        """What a row is when it is not a record (the summary counts them)."""
        return "segments" if self.options.segments else None

    def window(self, spec: ModelSpec) -> int:
        """Bases per segment: the option's, else the most the model takes."""
        return self.options.segment_size or spec.capabilities.max_bases

    def rows(self, encoder: DNAEncoder, records: Iterable[SeqRecord]) -> Iterator[OutRow]:
        o = self.options
        layers = self.layers(encoder.spec) or None
        layer = o.layer if layers is None else -1
        if o.segments:
            return encoder.embed_segments(records, segment_bases=self.window(encoder.spec),
                                          overlap=o.overlap or 0, pooling=o.pooling, layer=layer,
                                          token_budget=o.token_budget, layers=layers)
        return encoder.embed_iter(records, pooling=o.pooling, layer=layer, token_budget=o.token_budget,
                                  long=o.long, overlap=o.overlap, layers=layers)


@dataclass(frozen=True)
class Prediction:
    """`predict`: one row per sequence (`id`, `source`, `length`, `probabilities` or `values`)."""

    options: PredictOptions = field(default_factory=PredictOptions)
    verb = "scored"
    unit = "sequence"
    phase = "predicting"

    def screening(self, run: Run, spec: ModelSpec, policy: NormalizationPolicy) -> Screening:
        return sequence_screening(run, spec, policy)

    def plan(self, spec: ModelSpec, policy: NormalizationPolicy) -> OutputPlan:
        if spec.task != "sequence-classification" or not spec.labels:
            raise InputError(
                f"{spec.id} is a {spec.task} model; predict needs a sequence-classification model "
                "(`dnallm-zoo list --task sequence-classification`)"
            )
        vector = "values" if spec.problem_type == "regression" else "probabilities"
        layout = RowLayout.predictions(len(spec.labels), vector=vector, source=True)
        meta = {"model": spec.id, "labels": json.dumps(list(spec.labels)),
                "problem_type": str(spec.problem_type), "long": self.options.long,
                "normalization": policy.model_dump_json()}
        return OutputPlan(spec.id, layout, meta)

    def rows(self, encoder: DNAEncoder, records: Iterable[SeqRecord]) -> Iterator[OutRow]:
        return encoder.predict_iter(records, token_budget=self.options.token_budget, long=self.options.long)
