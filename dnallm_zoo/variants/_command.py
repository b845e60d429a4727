"""vep and mutagenesis as commands of the shared `Run`: what they read, the rows they make, their layout.

Their items are `Variant`s, each named once in a run by `n` (its number among the input's alleles,
or the substitution's number in mutagenesis): the layout's key, what a resumed run skips and the
last check of a directory output counts. Rows are typed columns without a vector
(`RowLayout.table`), so the output is Parquet: a file, or shards written and resumed as `embed`'s,
by either engine. The readers hold their items (or make them) on the driver; the Ray engine ships
them to its actors as an Arrow table (`to_arrow`, `decode`).
"""

from __future__ import annotations

import functools
import itertools
import json
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .._batching import DEFAULT_TOKEN_BUDGET
from .._run import OutputPlan
from .._validation import BadRecordsError, Problem
from .._writers import RowLayout
from ..errors import InputError
from ._ism import Region, count_substitutions, parse_region, substitutions
from ._records import Variant
from ._reference import Reference
from ._rules import rule_of
from ._scoring import ScoreStats, score_iter, scoring_window

if TYPE_CHECKING:
    import pyarrow as pa

    from .._encoder import DNAEncoder
    from .._run import Progress, Run
    from .._spec import ModelSpec, NormalizationPolicy

__all__ = ["ISM_TYPES", "VEP_TYPES", "Mutagenesis", "ScoreOptions", "ScoredRow", "VariantScoring"]

Strand = Literal["both", "forward"]
Marginal = Literal["masked", "wildtype"]

_SCORES = {"llr": "float64", "llr_forward": "float64", "llr_reverse": "float64"}
_WINDOW = {"window_start": "int64", "window_end": "int64", "status": "string"}
#: vep's columns (name -> Arrow type), then `source`
VEP_TYPES: Mapping[str, str] = {
    "chrom": "string", "pos": "int64", "id": "string", "ref": "string", "alt": "string",
    **_SCORES, "embed_l2": "float64", "embed_cosine": "float64", **_WINDOW, "n": "int64",
}
#: mutagenesis's columns, then `source`
ISM_TYPES: Mapping[str, str] = {
    "chrom": "string", "pos": "int64", "ref": "string", "alt": "string", **_SCORES, **_WINDOW, "n": "int64",
}
_ITEM_FIELDS = ("source", "n", "line", "unit", "id", "chrom", "pos", "ref", "alt", "tile")


@dataclass(frozen=True)
class ScoreOptions:
    """How variants are scored (docs/variant-effects.md): window (None: the most the model takes in
    one pass), strands, marginal, and the forward passes' token budget."""

    window: int | None = None
    strand: Strand = "both"
    marginal: Marginal = "masked"
    token_budget: int = DEFAULT_TOKEN_BUDGET


@dataclass(frozen=True)
class ScoredRow:
    """One output row: its variant, one value per layout column, no vector."""

    item: Variant
    values: tuple[Any, ...]
    vector: None = None


@functools.lru_cache(maxsize=4)
def _reference(path: str) -> Reference:
    """The genome, opened once per process (each Ray actor opens its own)."""
    return Reference(path)


@dataclass(frozen=True)
class _Scoring:
    """What vep and mutagenesis share: the genome, the options, the checks and the rows."""

    reference: str
    options: ScoreOptions = field(default_factory=ScoreOptions)
    #: the forward passes this process ran (a Ray actor counts its own, not reported)
    stats: ScoreStats = field(default_factory=ScoreStats, compare=False)
    verb = "scored"

    def _metadata(self, spec: ModelSpec, policy: NormalizationPolicy, **more: object) -> dict[str, str]:
        o = self.options
        window = scoring_window(spec, self.options.window)  # a model that cannot score is refused here
        return {"model": spec.id, "rule": rule_of(spec), "window": str(window),
                "strand": o.strand, "marginal": o.marginal,
                "reference": self.reference, "normalization": policy.model_dump_json(),
                **{k: v if isinstance(v, str) else json.dumps(v) for k, v in more.items()}}

    def _rows(self, encoder: DNAEncoder, records: Iterable[Variant], columns: Iterable[str], *,
              embedding: bool) -> Iterator[ScoredRow]:
        names = tuple(columns)
        o = self.options
        mine, theirs = itertools.tee(records)
        scored = score_iter(encoder, theirs, _reference(self.reference), window=o.window, strand=o.strand,
                            marginal=o.marginal, embedding=embedding, token_budget=o.token_budget,
                            stats=self.stats)
        for v, row in zip(mine, scored, strict=True):
            row["n"] = v.n
            yield ScoredRow(v, tuple(row[c] for c in names))


@dataclass(frozen=True)
class VariantScoring(_Scoring):
    """`vep`: one row per alternative allele of VARIANTS (`VEP_TYPES`), in input order."""

    embedding: bool = True
    unit = "variant"
    phase = "scoring"

    def plan(self, spec: ModelSpec, policy: NormalizationPolicy) -> OutputPlan:
        meta = self._metadata(spec, policy, embedding=self.embedding)  # VARIANTS: the `source` column
        return OutputPlan(spec.id, RowLayout.table(VEP_TYPES, key="n"), meta)

    def screening(self, run: Run, spec: ModelSpec, policy: NormalizationPolicy) -> VariantReader:
        return VariantReader(run.sources[0].name, self.reference, skip_invalid=run.inputs.skip_invalid)

    def rows(self, encoder: DNAEncoder, records: Iterable[Variant]) -> Iterator[ScoredRow]:
        return self._rows(encoder, records, VEP_TYPES, embedding=self.embedding)


@dataclass(frozen=True)
class Mutagenesis(_Scoring):
    """`mutagenesis`: the three substitutions of every A/C/G/T position of each region (`ISM_TYPES`)."""

    regions: tuple[str, ...] = ()  # 'chrom:start-end' or contig names; (): every contig whole
    unit = "substitution"
    phase = "mutating"

    def plan(self, spec: ModelSpec, policy: NormalizationPolicy) -> OutputPlan:
        meta = self._metadata(spec, policy, regions=list(self.regions))
        return OutputPlan(spec.id, RowLayout.table(ISM_TYPES, key="n"), meta)

    def screening(self, run: Run, spec: ModelSpec, policy: NormalizationPolicy) -> SubstitutionReader:
        return SubstitutionReader(run.sources[0].name, _reference(self.reference), self.regions)

    def rows(self, encoder: DNAEncoder, records: Iterable[Variant]) -> Iterator[ScoredRow]:
        return self._rows(encoder, records, ISM_TYPES, embedding=False)


class _Held(ABC):
    """A reader whose items are made on the driver: the Ray engine ships them as an Arrow table."""

    @abstractmethod
    def all(self) -> Iterator[Variant]:
        """Every good item, in input order."""

    def to_arrow(self) -> pa.Table:
        """The good items as an Arrow table (one row each; `decode` turns a row back)."""
        import pyarrow as pa

        return pa.Table.from_pylist([{f: getattr(v, f) for f in _ITEM_FIELDS} for v in self.all()])

    @staticmethod
    def decode(row: Mapping[str, Any]) -> Variant:
        """A row of `to_arrow` as the `Variant` it was."""
        return Variant(**{f: row[f] for f in _ITEM_FIELDS})


class VariantReader(_Held):
    """The variants of a VCF or table, every one checked against the genome before any model work."""

    def __init__(self, variants: str, reference: str, *, skip_invalid: bool = False) -> None:
        self.variants = variants
        self.reference = reference
        self.skip_invalid = skip_invalid
        self.problems: list[Problem] = []
        self.good: list[Variant] = []

    def check_files(self, progress: Progress | None = None) -> None:
        from . import screen_variants

        self.good, self.problems = screen_variants(self.variants, _reference(self.reference))
        if progress is not None:
            progress(len(self.good) + len(self.problems), 0)
        if self.problems and not self.skip_invalid:
            raise BadRecordsError(self.problems,
                                  hint="; nothing was written (--skip-invalid scores the others)")

    def all(self) -> Iterator[Variant]:
        return iter(self.good)

    def records(self, skip_ids: Collection[Any] = ()) -> Iterator[Variant]:
        return (v for v in self.good if v.n not in skip_ids)

    @property
    def expected_ids(self) -> list[int]:
        return [v.n for v in self.good]


class SubstitutionReader(_Held):
    """Every substitution of the regions, numbered in order; made as they are read (not held)."""

    def __init__(self, source: str, reference: Reference, regions: tuple[str, ...]) -> None:
        self.source = source
        self.reference = reference
        self.regions = [parse_region(r, reference) for r in regions] if regions else [
            Region(c, 0, n) for c, n in reference.lengths.items()]
        self.problems: list[Problem] = []
        self.count = 0

    def check_files(self, progress: Progress | None = None) -> None:
        self.count = sum(count_substitutions(r, self.reference) for r in self.regions)
        if not self.count:
            raise InputError(f"{self.source}: the regions hold no A, C, G or T to mutate")

    def all(self) -> Iterator[Variant]:
        first = 1
        for region in self.regions:
            yield from substitutions(region, self.reference, source=self.source, first=first)
            first += count_substitutions(region, self.reference)

    def records(self, skip_ids: Collection[Any] = ()) -> Iterator[Variant]:
        return (v for v in self.all() if v.n not in skip_ids)

    @property
    def expected_ids(self) -> range:
        return range(1, self.count + 1)

    def to_arrow(self) -> pa.Table:
        """The substitutions as `all` gives them, built a region at a time in columns (a 1-Mb region
        is three million rows: no Python object per row)."""
        import numpy as np
        import pyarrow as pa

        parts = []
        first = 1
        for region in self.regions:
            text = self.reference.fetch(region.chrom, region.start, region.end)
            seq = np.frombuffer(text.encode(), np.uint8)
            at = np.flatnonzero(np.isin(seq, np.frombuffer(b"ACGT", np.uint8)))
            refs = seq[at]
            # the three other bases of each position, in A, C, G, T order
            alts = np.frombuffer(b"ACGT", np.uint8)[None, :].repeat(len(at), axis=0)
            alts = alts[alts != refs[:, None]].reshape(len(at), 3)
            pos = np.repeat(at + region.start + 1, 3).astype(np.int64)
            count = 3 * len(at)
            parts.append(pa.table({
                "source": pa.array([self.source] * count, pa.string()),
                "n": pa.array(np.arange(first, first + count, dtype=np.int64)),
                "line": pa.array(pos), "unit": pa.array(["position"] * count, pa.string()),
                "id": pa.nulls(count, pa.string()), "chrom": pa.array([region.chrom] * count, pa.string()),
                "pos": pa.array(pos),
                "ref": pa.array(np.repeat(refs, 3).view("S1")).cast(pa.string()),
                "alt": pa.array(alts.reshape(-1).view("S1")).cast(pa.string()),
                "tile": pa.array(np.full(count, region.start, dtype=np.int64)),
            }))
            first += count
        return pa.concat_tables(parts)
