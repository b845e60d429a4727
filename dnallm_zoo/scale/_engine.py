"""The driver of a scale-out run: a Ray Dataset of sequences embedded by a pool of actors into shards.

The driver starts the run in the output directory (`_shards.start`), hands the dataset to
`Dataset.map_batches` with the `EmbedShards` class (each actor loads the model once), reads back
one small result row per record, then removes any shard a failed attempt left that no successful
batch reported, and `finish`es the run: every expected id exactly once, else an error naming them.
The shards, their schema, metadata and manifest are those of `dnallm-zoo embed -o DIR/`, so either
engine resumes the other's run.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._batching import DEFAULT_TOKEN_BUDGET
from .._inputs import Source
from .._shards import _SHARD, _drop_partial, done_ids, finish, next_blocks, start
from .._validation import BadRecordsError, Problem, skipped_path, write_skipped
from .._writers import RowLayout
from ..errors import InputError, UnknownModelError, ZooError
from ._actor import EmbedShards, Plan, Status
from ._files import InputFile, expand
from ._ray import ClusterShape, actor_pool, require_ray

if TYPE_CHECKING:
    import pyarrow.fs as pafs
    from ray.data import Dataset

    from .._spec import ModelSpec

__all__ = ["DEFAULT_BATCH_SIZE", "Engine", "ScaleSummary", "embed_dataset", "embed_files",
           "embedding_metadata", "read_sequences", "run_files"]

DEFAULT_BATCH_SIZE = 10_000  # records per actor call, so about a shard's worth


@dataclass(frozen=True)
class Engine:
    """How the run uses the cluster: actors (None: as many as fit), their resources, retries."""

    actors: int | None = None
    cpus_per_actor: float = 1.0
    gpus_per_actor: float = 0.0
    batch_size: int = DEFAULT_BATCH_SIZE
    max_retries: int = 2  # attempts after the first of a batch that raised (a dead actor: Ray's own)
    setup: Callable[[], object] | None = None  # run first in each actor (e.g. register a plugin)

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise InputError(f"batch size must be at least 1, got {self.batch_size}")
        if self.max_retries < 0:
            raise InputError(f"retries must not be negative, got {self.max_retries}")


@dataclass
class ScaleSummary:
    """What a run did, and how fast."""

    output: Path
    actors: int
    records: int = 0  # embedded by this run
    bases: int = 0
    seconds: float = 0.0
    resumed: int = 0  # already in the output of the run resumed
    skipped: int = 0  # bad records left out
    shards: int = 0  # written by this run
    orphans: int = 0  # shards of failed attempts removed
    startup: float = 0.0  # seconds to start or join Ray, when the caller measured them
    problems: list[Problem] = field(default_factory=list)

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        """The one-line summary the CLI prints on stderr."""
        rate = self.bases / self.seconds if self.seconds > 0 else 0.0
        return (f"embedded {self.records:,} sequence{'s' * (self.records != 1)}, {self.bases:,} bases in "
                f"{self.seconds:.1f} s ({self.records_per_second:,.1f} records/s, {rate:,.0f} bases/s) "
                f"with {self.actors} Ray actor{'s' * (self.actors != 1)}"
                f"{f', Ray start-up {self.startup:.1f} s' if self.startup else ''} -> {self.output}")


def embedding_metadata(spec: ModelSpec, *, normalization: Mapping[str, Any] | None, pooling: str, layer: int,
                       long: str, overlap: int | None) -> dict[str, str]:
    """The run metadata of `dnallm-zoo embed` for these options (a test pins it to the CLI's)."""
    policy = spec.tokenizer.normalization.model_copy(update=dict(normalization or {}))
    return {"model": spec.id, "pooling": pooling, "layer": str(layer),
            "normalization": policy.model_dump_json(), "long": long,
            "overlap": "model" if overlap is None else str(overlap)}


def _spec(model: str, load: Mapping[str, Any]) -> ModelSpec:
    """The model's spec without loading it where the registry knows it (a hub repository: loaded once)."""
    from .._loading import load as load_model
    from .._loading import match_directory
    from .._registry import get_registry

    if Path(model).is_dir():
        return match_directory(model).spec
    try:
        return get_registry().resolve(model).spec
    except UnknownModelError:
        if model.count("/") != 1 or model.startswith((".", "/")):
            raise
    return load_model(model, device="cpu", cache_dir=load.get("cache_dir"),
                      normalization=load.get("normalization")).spec


def read_sequences(inputs: Sequence[str | Path] | str | Path, *, filesystem: pafs.FileSystem | None = None,
                   id_column: str = "id", sequence_column: str = "sequence") -> Dataset:
    """A Ray Dataset of the records of FASTA/FASTQ files (compressed or not): paths, globs,
    directories, or URIs of any pyarrow filesystem; local tables (CSV/TSV/Parquet) too.

    Columns: `source` (the input's name), `n` (the record's number in it, from 1), `id`, `sequence`.
    Each file is streamed by one read task (see `docs/scale-out.md` for why).
    """
    specs = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    files = expand(specs, filesystem=filesystem)
    return _dataset(files, id_column=id_column, sequence_column=sequence_column)


def _dataset(files: Sequence[InputFile], *, id_column: str, sequence_column: str) -> Dataset:
    ray = require_ray()
    from ._datasource import SequenceDatasource

    source = SequenceDatasource(files, id_column=id_column, sequence_column=sequence_column)
    return ray.data.read_datasource(source, override_num_blocks=len(files))


def embed_files(
    inputs: Sequence[str | Path] | str | Path, model: str, output: str | Path, *,
    filesystem: pafs.FileSystem | None = None, id_column: str = "id", sequence_column: str = "sequence",
    **options: Any,
) -> ScaleSummary:
    """Embed the records of sequence files (see `read_sequences`) into a shard directory on Ray.

    `options` are those of `embed_dataset` (the embedding, the loading, `engine`, `resume`, ...).
    """
    specs = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    files = expand(specs, filesystem=filesystem)
    ds = _dataset(files, id_column=id_column, sequence_column=sequence_column)
    return _embed(ds, model, output, inputs=[f.name for f in files], kinds=[f.source.kind for f in files],
                  columns={"id": "id", "sequence": "sequence", "source": "source", "key": "n"}, key_base=1,
                  **options)


def embed_dataset(
    dataset: Dataset, model: str, output: str | Path, *, id_column: str = "id",
    sequence_column: str = "sequence", source_column: str | None = None, key_column: str | None = None,
    inputs: Sequence[str] | None = None, **options: Any,
) -> ScaleSummary:
    """Embed a Ray Dataset of sequences (one row per sequence) into a shard directory `output`.

    Rows need a unique id (`id_column`) and a sequence (`sequence_column`). `source_column` names the
    input of each row, one of `inputs` (default: its distinct values, sorted; without it every row
    comes from one input, `inputs[0]` or "dataset"). Shards are named by a key unique per row of an
    input: `key_column` (ints), else a row id Ray assigns (`monotonically_increasing_id`).

    Options: `pooling` ('mean', 'cls', 'max'), `layer`, `long` ('chunk', 'error'), `overlap`,
    `token_budget`; `device`, `dtype`, `normalization`, `cache_dir` (as `dnallm_zoo.load` in each
    actor); `engine` (an `Engine`: actors, CPUs/GPUs per actor, batch size, retries); `resume`
    (continue the run in `output`, skipping the ids it holds); `skip_invalid` (leave bad records
    out, listed in `output/_skipped.tsv`, instead of failing the run at the end).
    """
    if inputs is None:
        inputs = sorted(str(v) for v in dataset.unique(source_column)) if source_column else ["dataset"]
    if key_column is None:
        from ray.data.expressions import monotonically_increasing_id

        key_column = "_dnallm_zoo_key"
        dataset = dataset.with_column(key_column, monotonically_increasing_id())
    columns = {"id": id_column, "sequence": sequence_column, "source": source_column or "", "key": key_column}
    return _embed(dataset, model, output, inputs=list(inputs), kinds=["reads"] * len(inputs), columns=columns,
                  key_base=0, **options)


def run_files(
    sources: Sequence[Source], *, model: str, spec: ModelSpec, output: str | Path, layout: RowLayout,
    metadata: Mapping[str, str], embed: Mapping[str, Any], load: Mapping[str, Any], engine: Engine,
    resume: bool, skip: Collection[tuple[int, int]], expected_ids: Iterable[str],
    id_column: str = "id", sequence_column: str = "sequence",
) -> ScaleSummary:
    """The CLI's run: local inputs already checked (`skip`: the (input index, record number) of the
    bad ones left out), the layout and metadata of the single-process run, the ids the output holds."""
    if any(s.path is None for s in sources):
        raise InputError("'-' (standard input) cannot be read by Ray workers; name files")
    files = [InputFile(s, s.path.stat().st_size) for s in sources if s.path is not None]
    ds = _dataset(files, id_column=id_column, sequence_column=sequence_column)
    return _run(ds, model=model, spec=spec, output=Path(output), layout=layout, metadata=metadata,
                inputs=[f.name for f in files], kinds=[f.source.kind for f in files],
                columns={"id": "id", "sequence": "sequence", "source": "source", "key": "n"}, key_base=1,
                embed=embed, load=load, engine=engine, resume=resume, validate=False, skip=skip,
                expected_ids=expected_ids, skip_invalid=True)


def _embed(
    ds: Dataset, model: str, output: str | Path, *, inputs: list[str], kinds: list[Any],
    columns: dict[str, str], key_base: int, pooling: str = "mean", layer: int = -1, long: str = "chunk",
    overlap: int | None = None, token_budget: int = DEFAULT_TOKEN_BUDGET, device: str = "auto",
    dtype: str = "auto", normalization: Mapping[str, Any] | None = None, cache_dir: str | Path | None = None,
    engine: Engine | None = None, resume: bool = False, skip_invalid: bool = False,
) -> ScaleSummary:
    if pooling not in ("mean", "cls", "max"):
        raise InputError(f"pooling {pooling!r}: a shard directory holds one vector per sequence "
                         "(mean, cls or max)")
    if long not in ("chunk", "error"):
        raise InputError(f"long {long!r}: use 'chunk' or 'error'")
    load = {"device": device, "dtype": dtype, "normalization": dict(normalization or {}) or None,
            "cache_dir": None if cache_dir is None else str(cache_dir)}
    spec = _spec(model, load)
    if pooling not in spec.capabilities.poolings:
        raise InputError(f"{spec.id} does not offer pooling {pooling!r}; it offers "
                         f"{list(spec.capabilities.poolings)}")
    meta = embedding_metadata(spec, normalization=normalization, pooling=pooling, layer=layer, long=long,
                              overlap=overlap)
    embed = {"pooling": pooling, "layer": layer, "long": long, "overlap": overlap,
             "token_budget": token_budget}
    return _run(ds, model=model, spec=spec, output=Path(output),
                layout=RowLayout.sequences(spec.architecture.hidden_size, source=True), metadata=meta,
                inputs=inputs, kinds=kinds, columns=columns, key_base=key_base, embed=embed, load=load,
                engine=engine or Engine(), resume=resume, validate=True, skip=(), expected_ids=None,
                skip_invalid=skip_invalid)


def _run(
    ds: Dataset, *, model: str, spec: ModelSpec, output: Path, layout: RowLayout, metadata: Mapping[str, str],
    inputs: list[str], kinds: list[Any], columns: dict[str, str], key_base: int, embed: Mapping[str, Any],
    load: Mapping[str, Any], engine: Engine, resume: bool, validate: bool, skip: Collection[tuple[int, int]],
    expected_ids: Iterable[str] | None, skip_invalid: bool,
) -> ScaleSummary:
    ray = require_ray()
    from .. import __version__

    actors = actor_pool(ClusterShape.current(), actors=engine.actors, cpus_per_actor=engine.cpus_per_actor,
                        gpus_per_actor=engine.gpus_per_actor)
    meta = {"dnallm_zoo_version": __version__, **metadata}
    start(output, model=spec.id, layout=layout, metadata=meta, inputs=inputs, resume=resume)
    offsets = next_blocks(output) if resume else {}
    before = _shard_names(output)
    done = done_ids(output) if resume else set()
    threads = max(1, int(engine.cpus_per_actor)) if engine.gpus_per_actor == 0 else None
    plan = Plan(model=model, output=str(output), layout=layout, metadata=meta, inputs=inputs, kinds=kinds,
                load=load, embed=embed, offsets=offsets, columns=columns, key_base=key_base,
                validate=validate, threads=threads)
    kwargs = {"plan": plan, "setup": engine.setup,
              "done": ray.put(frozenset(done)) if done else None,
              "skip": ray.put(frozenset(skip)) if skip else None}
    results = ds.map_batches(
        EmbedShards, fn_constructor_kwargs=kwargs, batch_size=engine.batch_size, batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=engine.cpus_per_actor,
        num_gpus=engine.gpus_per_actor or None,
    )
    summary = ScaleSummary(output=output, actors=actors)
    seen: list[str] = []
    written: set[str] = set()
    t0 = time.perf_counter()
    units = {name: Source(0, name, kind).unit for name, kind in zip(inputs, kinds, strict=True)}
    with _retrying(results.context, engine.max_retries), _unwrapped():
        for batch in results.iter_batches(batch_format="pyarrow", batch_size=None):
            _tally(batch.to_pydict(), summary, seen, written, units)
    summary.seconds = time.perf_counter() - t0
    summary.shards = len(written)
    for name in _shard_names(output) - before - written:  # a failed attempt's shard no batch reported
        (output / name).unlink(missing_ok=True)
        summary.orphans += 1
    _drop_partial(output)  # a temporary file of an actor killed while writing
    if summary.problems and not skip_invalid:
        raise BadRecordsError(summary.problems, hint="; the good ones are written, the run is not complete "
                              "(fix the input and resume, or skip_invalid)")
    if summary.problems:
        write_skipped(skipped_path(output), summary.problems)
    finish(output, expected_ids=seen if expected_ids is None else expected_ids)
    return summary


def _tally(cols: dict[str, list[Any]], summary: ScaleSummary, seen: list[str], written: set[str],
           units: Mapping[str, str]) -> None:
    """Count one batch's results; an error ends the run, bad records are kept to be named together."""
    for rid, source, n, bases, status, shard, kind, what in zip(
        cols["id"], cols["source"], cols["n"], cols["bases"], cols["status"], cols["shard"], cols["kind"],
        cols["what"], strict=True,
    ):
        if status == Status.ERROR:
            raise InputError(what)
        if status == Status.WRITTEN:
            summary.records += 1
            summary.bases += bases
            written.add(shard)
            seen.append(rid)
        elif status == Status.DONE:
            summary.resumed += 1
            seen.append(rid)
        elif status == Status.SKIPPED:
            summary.skipped += 1
        else:
            summary.problems.append(Problem(source, units.get(source, "record"), n, rid, kind, what))
            summary.skipped += 1


def _shard_names(output: Path) -> set[str]:
    return {f.name for f in output.iterdir() if _SHARD.fullmatch(f.name)}


@contextlib.contextmanager
def _retrying(ctx: Any, retries: int) -> Iterator[None]:
    """Retry a batch that raised up to `retries` times, and raise the original exception after."""
    names = ("retried_map_errors", "max_map_retries", "raise_original_map_exception")
    old = {n: getattr(ctx, n) for n in names}
    ctx.retried_map_errors = retries > 0
    ctx.max_map_retries = retries
    ctx.raise_original_map_exception = True
    try:
        yield
    finally:
        for n, v in old.items():
            setattr(ctx, n, v)


@contextlib.contextmanager
def _unwrapped() -> Iterator[None]:
    """A `ZooError` raised in an actor (say, a model that cannot load) is raised here as itself,
    not as Ray's wrapper of it."""
    try:
        yield
    except Exception as exc:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, ZooError) and type(cause).__module__.startswith("dnallm_zoo"):
                if cause is exc:
                    raise
                raise cause from None
            cause = getattr(cause, "cause", None) or cause.__cause__
        raise
