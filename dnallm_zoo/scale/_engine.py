"""The driver of a scale-out run: a Ray Dataset of items (the records of sequence files, or the
variants a reader made on the driver) turned into rows by a pool of actors, written as shards.

The driver starts the run in the output directory (`_shards.start`), hands the dataset to
`Dataset.map_batches` with the `RowShards` class (each actor loads the model once), reads back
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
from typing import TYPE_CHECKING, Any, Protocol, cast

from .._batching import DEFAULT_TOKEN_BUDGET
from .._commands import Embedding
from .._inputs import Source
from .._names import LongPolicy, Pooling
from .._options import EmbedOptions, LoadOptions, Normalization
from .._run import RunResult
from .._shards import _SHARD, _drop_partial, done_ids, finish, next_blocks, start
from .._validation import BadRecordsError, Problem, Screening, skipped_path, write_skipped
from ..errors import InputError, ZooError
from ._actor import BatchColumns, Plan, RowShards, Status
from ._files import InputFile, expand
from ._ray import ClusterShape, actor_pool, connect, require_ray

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.fs as pafs
    from ray.data import Dataset

    from .._run import Command, OutputPlan, ProgressFactory, Run
    from .._spec import ModelSpec
    from .._writers import Item

__all__ = ["DEFAULT_BATCH_SIZE", "Engine", "RayEngine", "ScaleSummary", "embed_dataset", "embed_files",
           "embedding_metadata", "read_sequences"]

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
    verb: str = "embedded"  # the command's (`_run.Command`), for the summary line
    unit: str = "sequence"

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        """The one-line summary the CLI prints on stderr."""
        rate = self.bases / self.seconds if self.seconds > 0 else 0.0
        seqs = self.unit == "sequence"
        bases = f", {self.bases:,} bases" if seqs else ""
        per = f"records/s, {rate:,.0f} bases/s" if seqs else f"{self.unit}s/s"
        return (f"{self.verb} {self.records:,} {self.unit}{'s' * (self.records != 1)}{bases} in "
                f"{self.seconds:.1f} s ({self.records_per_second:,.1f} {per}) "
                f"with {self.actors} Ray actor{'s' * (self.actors != 1)}"
                f"{f', Ray start-up {self.startup:.1f} s' if self.startup else ''} -> {self.output}")


class RayEngine:
    """The `_run.Engine` whose forward passes run on a pool of Ray actors, each writing its own shards.

    The `Run` has checked the output and screened the inputs; the actors read the files again, leave
    out the bad records the screening named (by input and record number), run the command and write
    shards; the driver counts what they did and `finish`es the run (every good id exactly once).
    """

    def __init__(self, load: LoadOptions, engine: Engine | None = None, *,
                 address: str | None = None) -> None:
        self.load = load
        self.engine = engine or Engine()
        self.address = address

    def spec(self) -> ModelSpec:
        """A hub repository's spec: the model loads once here, on the CPU (the actors load their own)."""
        return self.load.load(device="cpu").spec

    def execute(self, run: Run, command: Command, plan: OutputPlan,
                progress: ProgressFactory | None) -> RunResult:
        if not run.sharded:
            raise InputError(f"the Ray engine writes a directory of shards: name it {run.output}/")
        startup = connect(self.address)
        reader = run.checked
        if isinstance(reader, Screening):  # sequence files, read again by the workers
            files = [InputFile(s, s.path.stat().st_size) for s in run.sources if s.path is not None]
            if len(files) != len(run.sources):
                raise InputError("'-' (standard input) cannot be read by Ray workers; name files")
            ds = _dataset(files, id_column=run.inputs.id_column, sequence_column=run.inputs.sequence_column)
            actor_plan = Plan(command=command, load=self.load, output=str(run.output), out=plan,
                              inputs=tuple(run.input_names), kinds=tuple(f.source.kind for f in files),
                              validate=False)
            skip = run.skip_keys()
        else:  # items the reader made on the driver (vep's variants): shipped as a table
            held = cast("HeldItems", reader)
            ds = _held_dataset(held.to_arrow(), self.engine.batch_size)
            actor_plan = Plan(command=command, load=self.load, output=str(run.output), out=plan,
                              inputs=tuple(run.input_names), kinds=tuple(s.kind for s in run.sources),
                              validate=False, decode=held.decode)
            skip = frozenset()
        summary = _run(ds, actor_plan, self.engine, resume=run.options.resume, skip=skip,
                       expected_ids=reader.expected_ids, skip_invalid=True)
        summary.startup = startup
        summary.verb, summary.unit = command.verb, command.unit
        return RunResult(run.output, records=summary.records, bases=summary.bases, rows=summary.records,
                         resumed=summary.resumed, summary=summary)


def _held_dataset(table: pa.Table, rows: int) -> Dataset:
    """A table as a Ray Dataset of blocks of `rows` rows: one block would feed one actor only."""
    ray = require_ray()
    blocks = [table.slice(i, rows) for i in range(0, table.num_rows, rows)] or [table]
    return ray.data.from_arrow(blocks)


class HeldItems(Protocol):
    """A reader whose items are made on the driver (`variants._command`): they travel as a table."""

    def to_arrow(self) -> pa.Table: ...
    def decode(self, row: Mapping[str, Any]) -> Item: ...


def _options(pooling: Pooling, layer: int, long: LongPolicy, overlap: int | None, token_budget: int,
             ) -> EmbedOptions:
    return EmbedOptions(pooling=pooling, layer=layer, long=long, overlap=overlap, token_budget=token_budget)


def embedding_metadata(spec: ModelSpec, *, normalization: Mapping[str, Any] | None, pooling: Pooling,
                       layer: int, long: LongPolicy, overlap: int | None) -> dict[str, str]:
    """The run metadata of `dnallm-zoo embed` for these options (`_commands.Embedding.plan`'s)."""
    policy = Normalization(**dict(normalization or {})).policy(spec)
    command = Embedding(_options(pooling, layer, long, overlap, DEFAULT_TOKEN_BUDGET))
    return dict(command.plan(spec, policy).metadata)


def _spec(load: LoadOptions) -> ModelSpec:
    """The model's spec without loading it where the registry knows it (a hub repository: loaded once)."""
    from .._loading import spec_of

    return spec_of(load.model) or load.load(device="cpu").spec


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
                  columns=BatchColumns(), key_base=1, **options)


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
    columns = BatchColumns(id=id_column, sequence=sequence_column, source=source_column, key=key_column)
    return _embed(dataset, model, output, inputs=list(inputs), kinds=["reads"] * len(inputs), columns=columns,
                  key_base=0, **options)


@dataclass(frozen=True)
class _Keywords:
    """The keyword options of `embed_files` / `embed_dataset` (an unknown one is a TypeError, as ever)."""

    pooling: Pooling = "mean"
    layer: int = -1
    long: LongPolicy = "chunk"
    overlap: int | None = None
    token_budget: int = DEFAULT_TOKEN_BUDGET
    device: str = "auto"
    dtype: str = "auto"
    normalization: Mapping[str, Any] | None = None
    cache_dir: str | Path | None = None
    engine: Engine | None = None
    resume: bool = False
    skip_invalid: bool = False

    def load(self, model: str) -> LoadOptions:
        return LoadOptions(model, device=self.device, dtype=self.dtype,
                           normalization=Normalization(**dict(self.normalization or {})),
                           cache_dir=None if self.cache_dir is None else str(self.cache_dir))

    def command(self) -> Embedding:
        return Embedding(_options(self.pooling, self.layer, self.long, self.overlap, self.token_budget))


def _embed(ds: Dataset, model: str, output: str | Path, *, inputs: list[str], kinds: list[Any],
           columns: BatchColumns, key_base: int, **options: Any) -> ScaleSummary:
    """The public API's keywords to the typed options, then the run."""
    given = _Keywords(**options)
    load, command = given.load(model), given.command()
    spec = _spec(load)
    plan = Plan(command=command, load=load, output=str(output), out=command.plan(spec, load.policy(spec)),
                inputs=tuple(inputs), kinds=tuple(kinds), columns=columns, key_base=key_base, validate=True)
    return _run(ds, plan, given.engine or Engine(), resume=given.resume, skip=(), expected_ids=None,
                skip_invalid=given.skip_invalid)


def _run(ds: Dataset, plan: Plan, engine: Engine, *, resume: bool, skip: Collection[tuple[int, int]],
         expected_ids: Iterable[str] | None, skip_invalid: bool) -> ScaleSummary:
    """Start (or resume) the shard directory, run the actors over the dataset, count, check, finish."""
    ray = require_ray()
    actors = actor_pool(ClusterShape.current(), actors=engine.actors, cpus_per_actor=engine.cpus_per_actor,
                        gpus_per_actor=engine.gpus_per_actor)
    output = Path(plan.output)
    start(output, model=plan.out.model, layout=plan.out.layout, metadata=plan.out.metadata,
          inputs=plan.inputs, resume=resume)
    threads = max(1, int(engine.cpus_per_actor)) if engine.gpus_per_actor == 0 else None
    plan = Plan(**{**plan.__dict__, "offsets": next_blocks(output) if resume else {}, "threads": threads})
    before = _shard_names(output)
    done = done_ids(output) if resume else set()
    kwargs = {"plan": plan, "setup": engine.setup,
              "done": ray.put(frozenset(done)) if done else None,
              "skip": ray.put(frozenset(skip)) if skip else None}
    results = ds.map_batches(
        RowShards, fn_constructor_kwargs=kwargs, batch_size=engine.batch_size, batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=engine.cpus_per_actor,
        num_gpus=engine.gpus_per_actor or None,
    )
    summary = ScaleSummary(output=output, actors=actors)
    seen: list[str] = []
    written: set[str] = set()
    t0 = time.perf_counter()
    units = {name: Source(0, name, kind).unit for name, kind in zip(plan.inputs, plan.kinds, strict=True)}
    with _retrying(results.context, engine.max_retries), _unwrapped():
        for batch in results.iter_batches(batch_format="pyarrow", batch_size=None):
            _tally(cast("pa.Table", batch).to_pydict(), summary, seen, written, units)
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
