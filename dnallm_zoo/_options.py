"""A run's options, typed once: from the CLI through the pipeline to the Ray actors (frozen, picklable).

`LoadOptions` say how to load the model, `InputOptions` what to read, `OutputOptions` where to write;
`EmbedOptions` and `PredictOptions` are what `embed` and `predict` do with each record. No untyped
dict crosses a process boundary: the Ray actors receive these objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ._batching import DEFAULT_TOKEN_BUDGET
from ._names import LongPolicy, Pooling

if TYPE_CHECKING:
    from ._encoder import DNAEncoder
    from ._spec import ModelSpec, NormalizationPolicy

__all__ = ["EmbedOptions", "InputOptions", "LoadOptions", "Normalization", "OutputOptions", "PredictOptions"]


@dataclass(frozen=True)
class Normalization:
    """Overrides of the model's normalisation policy (None: the model's own)."""

    iupac: Literal["unk", "error"] | None = None
    uppercase: bool | None = None
    u_to_t: bool | None = None

    def overrides(self) -> dict[str, Any]:
        """The fields set, as `NormalizationPolicy.model_copy(update=...)` takes them."""
        return {k: v for k, v in (("iupac", self.iupac), ("uppercase", self.uppercase),
                                  ("u_to_t", self.u_to_t)) if v is not None}

    def policy(self, spec: ModelSpec) -> NormalizationPolicy:
        """The model's policy with these overrides (what its tokenizer applies)."""
        return spec.tokenizer.normalization.model_copy(update=self.overrides())


@dataclass(frozen=True)
class LoadOptions:
    """How to load the model (`dnallm_zoo.load`'s arguments)."""

    model: str
    device: str = "auto"
    dtype: str = "auto"
    normalization: Normalization = Normalization()
    cache_dir: str | None = None

    def load(self, *, device: str | None = None) -> DNAEncoder:
        from ._loading import load

        return load(self.model, device=device or self.device, dtype=self.dtype.lower(),
                    normalization=self.normalization.overrides() or None, cache_dir=self.cache_dir)

    def policy(self, spec: ModelSpec) -> NormalizationPolicy:
        return self.normalization.policy(spec)


@dataclass(frozen=True)
class InputOptions:
    """What a run reads: paths, globs or '-', the columns of table inputs, and what to do with bad records."""

    paths: tuple[str, ...]
    id_column: str = "id"
    sequence_column: str = "sequence"
    skip_invalid: bool = False


@dataclass(frozen=True)
class OutputOptions:
    """Where a run writes: a file, or a directory of shards (`DIR/`), resumed or not."""

    path: str
    shard_size: int | None = None  # records per shard (None: the default)
    resume: bool = False


@dataclass(frozen=True)
class EmbedOptions:
    """What `embed` does with each record."""

    pooling: Pooling = "mean"
    layer: int = -1
    #: several hidden states, one vector each (indices, negative from the end, or "all"); None: `layer`
    layers: tuple[int, ...] | Literal["all"] | None = None
    long: LongPolicy = "chunk"
    overlap: int | None = None  # None: the model's (0 for segments)
    token_budget: int = DEFAULT_TOKEN_BUDGET
    segment_size: int | None = None  # with `segments`: bases per window (None: the most the model takes)
    segments: bool = False  # one row per window instead of one per sequence


@dataclass(frozen=True)
class PredictOptions:
    """What `predict` does with each record."""

    long: LongPolicy = "error"
    token_budget: int = DEFAULT_TOKEN_BUDGET
