"""One run of a command over records, shared by every engine: inputs, screening, output, resume, final check.

A command (`Command`: embed, predict, vep, mutagenesis) says what its rows are (`plan`: the layout
and metadata of its output), how its inputs are read and checked (`screening`: sequence files, or
variants against a genome) and turns items into rows (`rows`). The `Run` does the rest, the same
way for the local and the Ray engine:

1. `Run(inputs, output)`: the output is checked (a file, or a directory `DIR/` of shards) and the
   inputs expanded (paths, globs, '-'), before any model work;
2. `prepare(spec, command, load)`: the command's `OutputPlan` (layout and metadata, built once), a
   resumed run checked to be this one, every input screened (the command's `Reader`);
3. an engine runs the forward passes: `LocalEngine` here, `scale.RayEngine` on a Ray cluster; the
   local one writes the rows through `write` (each row names its own record: no positional pairing);
4. `finish`: a directory output holds every good item exactly once (by the layout's key,
   `_shards.finish`).

`execute` does the four in order, loading the model only after the inputs were screened when the
model's spec is known without it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ._inputs import Source, expand_inputs
from ._shards import done_ids, is_shard_dir, open_shards, start
from ._validation import Problem, Screening, Validator, min_bases, skipped_path, write_skipped
from ._writers import RowLayout, check_layout, check_output, open_writer
from .errors import InputError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from ._encoder import DNAEncoder
    from ._options import InputOptions, LoadOptions, OutputOptions
    from ._spec import ModelSpec, NormalizationPolicy
    from ._writers import EmbeddingWriter, Item, OutRow

__all__ = ["DEFAULT_SHARD_SIZE", "Command", "Engine", "LocalEngine", "OutputPlan", "Reader", "Run",
           "RunResult", "execute", "sequence_screening"]

DEFAULT_SHARD_SIZE = 10_000
#: called with (records, bases) as records are done
Progress = Callable[[int, int], None]
#: opens a progress display for a phase ("checking", or the command's own)
ProgressFactory = Callable[[str], "AbstractContextManager[Progress]"]


@dataclass(frozen=True)
class OutputPlan:
    """What a command's output holds: the model, one row's layout, the run's metadata (the writers stamp
    the version, `_writers.stamped`)."""

    model: str
    layout: RowLayout
    metadata: Mapping[str, str]
    one_file: str | None = None  # why the output must be one file, when it must (else None)


class Reader(Protocol):
    """A run's items as a command reads them, checked before any model work (`_validation.Screening`
    for sequence files; the variants of a VCF against a genome for vep)."""

    problems: list[Problem]  # every bad item found

    def check_files(self, progress: Progress | None = None) -> None:
        """Read every input once; unless skipping bad items, `BadRecordsError` naming all of them."""
        ...

    def records(self, skip_ids: Collection[Any] = ()) -> Iterator[Any]:
        """The good items whose key (the layout's, `RowLayout.key`) is not in `skip_ids`, in input order."""
        ...

    @property
    def expected_ids(self) -> Iterable[Any]:
        """The keys of the good items: what a directory output must hold, each once."""
        ...


class Command(Protocol):
    """What turns items into rows: embed, predict, vep and mutagenesis.

    A command is a frozen, picklable object of typed options: the Ray engine ships it to its actors,
    which call `rows` on their batches. Every row holds its item (`OutRow.item`).
    """

    @property
    def verb(self) -> str:
        """The summary's verb ('embedded', 'scored')."""
        ...

    @property
    def unit(self) -> str:
        """What an item is, for the summary ('sequence', 'variant')."""
        ...

    @property
    def phase(self) -> str:
        """What the progress display says while it runs ('embedding')."""
        ...

    def plan(self, spec: ModelSpec, policy: NormalizationPolicy) -> OutputPlan:
        """The output's layout and metadata; refuses options the model cannot take (before it loads)."""
        ...

    def screening(self, run: Run, spec: ModelSpec, policy: NormalizationPolicy) -> Reader:
        """The run's inputs as this command reads them (checked by the `Run` before the model runs)."""
        ...

    def rows(self, encoder: DNAEncoder, records: Iterable[Any]) -> Iterator[OutRow]:
        """The rows of `records` (the reader's items), in any order; several rows per item are allowed."""
        ...


def sequence_screening(run: Run, spec: ModelSpec, policy: NormalizationPolicy) -> Screening:
    """The run's sequence files and standard input, checked as the model normalises them (embed, predict)."""
    return Screening(run.sources, Validator(policy, min_bases=min_bases(spec)),
                     skip_invalid=run.inputs.skip_invalid, id_column=run.inputs.id_column,
                     sequence_column=run.inputs.sequence_column)


@dataclass
class RunResult:
    """What a run did (the engine's own summary, if it has one, in `summary`)."""

    output: Path
    records: int = 0
    bases: int = 0
    rows: int = 0
    resumed: int = 0
    skipped: list[Problem] = field(default_factory=list)
    skipped_path: Path | None = None
    summary: object | None = None  # e.g. the Ray engine's ScaleSummary


class Run:
    """The inputs and output of one command's run, checked before any model work (see the module)."""

    def __init__(self, inputs: InputOptions, output: OutputOptions) -> None:
        self.inputs = inputs
        self.options = output
        self.output = Path(output.path)
        self.sharded = is_shard_dir(output.path)
        if self.sharded:
            _check_directory(self.output)
        else:
            if output.resume:
                raise InputError("resume continues a directory output (DIR/)")
            check_output(self.output)
        self.sources: list[Source] = expand_inputs(inputs.paths)
        self.screening: Reader | None = None
        self.resumed = 0

    @property
    def input_names(self) -> list[str]:
        return [s.name for s in self.sources]

    @property
    def shard_size(self) -> int:
        return self.options.shard_size or DEFAULT_SHARD_SIZE

    # ----------------------------------------------------------------------------- before the model
    def prepare(self, spec: ModelSpec, command: Command, load: LoadOptions,
                progress: ProgressFactory | None = None) -> OutputPlan:
        """The command's plan, the resumed run checked to be this one, and every input screened."""
        policy = load.policy(spec)
        plan = command.plan(spec, policy)
        if plan.one_file is not None and self.sharded:
            raise InputError(plan.one_file)
        if not self.sharded:
            check_layout(self.output, plan.layout)
        if self.sharded and self.options.resume:
            start(self.output, model=plan.model, layout=plan.layout, metadata=plan.metadata,
                  inputs=self.input_names, resume=True)
        self.screening = command.screening(self, spec, policy)
        with progress("checking") if progress else contextlib.nullcontext() as bar:
            self.screening.check_files(bar)
        return plan

    # ----------------------------------------------------------------------------- the records
    @property
    def checked(self) -> Reader:
        if self.screening is None:
            raise RuntimeError("prepare() first")
        return self.screening

    def records(self) -> Iterator[Any]:
        """The good items, minus those a resumed run wrote, in input order."""
        done = done_ids(self.output) if self.options.resume else set()
        self.resumed = len(done)
        yield from self.checked.records(skip_ids=done)

    def skip_keys(self) -> frozenset[tuple[int, int]]:
        """(input index, record number) of the bad records the screening found (for remote readers)."""
        index = {s.name: s.index for s in self.sources}
        return frozenset((index[p.source], p.n) for p in self.checked.problems)

    # ----------------------------------------------------------------------------- the output
    def start(self, plan: OutputPlan) -> None:
        """Begin (or resume) the shard directory (engines whose workers write their own shards)."""
        start(self.output, model=plan.model, layout=plan.layout, metadata=plan.metadata,
              inputs=self.input_names, resume=self.options.resume)

    def writer(self, plan: OutputPlan) -> AbstractContextManager[EmbeddingWriter]:
        """The output's writer: one atomic file, or shards whose last check is every good id once."""
        if not self.sharded:
            return open_writer(self.output, layout=plan.layout, metadata=plan.metadata)
        return open_shards(self.output, layout=plan.layout, metadata=plan.metadata, inputs=self.input_names,
                           model=plan.model, shard_size=self.shard_size, resume=self.options.resume,
                           expected_ids=lambda: self.checked.expected_ids)

    def write(self, plan: OutputPlan, rows: Iterable[OutRow], progress: Progress | None = None) -> RunResult:
        """Write rows, each by its own item's id and source; an item counts once, however many rows."""
        result = RunResult(self.output)
        last: Item | None = None
        with self.writer(plan) as writer:
            for row in rows:
                rec = row.item
                if rec is not last:
                    last = rec
                    result.records += 1
                    result.bases += rec.length
                    if progress is not None:
                        progress(1, rec.length)
                writer.write_row(row)
                result.rows += 1
        result.resumed = self.resumed
        return result

    def skipped(self, result: RunResult) -> RunResult:
        """With skip_invalid, the bad records listed beside the output."""
        result.skipped = list(self.checked.problems)
        if self.inputs.skip_invalid:
            result.skipped_path = skipped_path(self.options.path)
            write_skipped(result.skipped_path, result.skipped)
        return result


def _check_directory(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise InputError(f"{path}: is a file; a directory output needs a directory")
    parent = path.parent
    if not parent.is_dir():
        raise InputError(f"{path}: directory {parent} does not exist")


class Engine(Protocol):
    """Where the forward passes run (with `load`, how the model loads); everything else is the `Run`'s."""

    load: LoadOptions

    def spec(self) -> ModelSpec:
        """The model's spec, loading the model where only that tells it (a hub repository)."""
        ...

    def execute(self, run: Run, command: Command, plan: OutputPlan,
                progress: ProgressFactory | None) -> RunResult:
        """Run the command over the run's good records into its output."""
        ...


class LocalEngine:
    """The forward passes in this process: the model loads once, its rows are written as they come."""

    def __init__(self, load: LoadOptions) -> None:
        self.load = load
        self.encoder: DNAEncoder | None = None

    def spec(self) -> ModelSpec:
        return self.model().spec

    def model(self) -> DNAEncoder:
        if self.encoder is None:
            self.encoder = self.load.load()
        return self.encoder

    def execute(self, run: Run, command: Command, plan: OutputPlan,
                progress: ProgressFactory | None) -> RunResult:
        encoder = self.model()
        with progress(command.phase) if progress else contextlib.nullcontext() as bar:
            result = run.write(plan, command.rows(encoder, run.records()), bar)
        return result


def execute(run: Run, command: Command, engine: Engine, *,
            progress: ProgressFactory | None = None) -> RunResult:
    """A whole run: screened before the model loads where its spec is known without it, then run."""
    from ._loading import spec_of

    load = engine.load
    spec = spec_of(load.model)
    plan = run.prepare(spec, command, load, progress) if spec is not None else None
    if plan is None:
        plan = run.prepare(engine.spec(), command, load, progress)
    return run.skipped(engine.execute(run, command, plan, progress))
