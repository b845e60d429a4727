"""What each Ray actor runs: load the model once, then turn batches of items into rows, in shards.

`RowShards` is the callable class given to `Dataset.map_batches` (the class, not an instance: each
actor builds one and loads the model once). A batch may hold rows of several inputs; the rows of
each input become one shard, named by the input's index and, for its block number, the run's
offset for that input plus the smallest key (record number) among the rows written. The same batch
retried (a task re-run after an exception, or on a restarted actor) therefore writes the same shard
name with the same rows, and replaces its own earlier attempt; no two batches share a name.

A batch's rows are records of sequence files (`SeqRecord`s, checked here when the run asks), or
items a reader made on the driver and `Plan.decode` turns back (vep's variants). The rows are the
command's (`_run.Command.rows`: `embed_iter` for embed, the single-process pipeline's bucketing,
chunking and pooling; `score_iter` for vep), each holding its item, and writing is
`_shards.write_shard`. Each call returns one row per input row saying what became of it (written,
already written by the run resumed, left out as bad, or an error), which the driver counts and
checks. The plan is typed (`_options`, the command): no untyped dict crosses to the actors. Nothing
here imports ray unless a reference is passed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pyarrow as pa

from .._inputs import Kind, SeqRecord, Source
from .._shards import shard_name, write_shard
from .._validation import Problem, Validator, min_bases
from ..errors import ZooError, one_line

if TYPE_CHECKING:
    from .._encoder import DNAEncoder
    from .._options import LoadOptions
    from .._run import Command, OutputPlan
    from .._writers import Item, OutRow

__all__ = ["RESULT_SCHEMA", "BatchColumns", "Plan", "RowShards", "Status"]


class Status:
    """What became of one input row (the `status` column of a result)."""

    WRITTEN = "written"  # embedded into the shard named in `shard`
    DONE = "done"  # already in the output of the run resumed
    SKIPPED = "skipped"  # a bad record the driver found and left out (--skip-invalid)
    BAD = "bad"  # a bad record found here (`kind`, `what`)
    ERROR = "error"  # the batch failed on an input error (`what`); the run stops


RESULT_SCHEMA = pa.schema([
    ("id", pa.string()), ("source", pa.string()), ("n", pa.int64()), ("bases", pa.int64()),
    ("status", pa.string()), ("shard", pa.string()), ("kind", pa.string()), ("what", pa.string()),
])


@dataclass(frozen=True)
class BatchColumns:
    """The columns of a batch: the record's id and sequence, its input's name (None: every row is of the
    run's first input) and a key unique per row of an input (the record number of files)."""

    id: str = "id"
    sequence: str = "sequence"
    source: str | None = "source"
    key: str = "n"


@dataclass(frozen=True)
class Plan:
    """Everything an actor needs, typed and picklable: the command, the model, the output, the columns."""

    command: Command  # what turns records into rows (embed: `_commands.Embedding`)
    load: LoadOptions
    output: str  # the shard directory
    out: OutputPlan  # the rows' layout and the run's metadata, as every shard stores them
    inputs: tuple[str, ...]  # the run's input names, in manifest order
    kinds: tuple[Kind, ...]  # each input's kind (for the messages about bad records)
    offsets: Mapping[int, int] = field(default_factory=dict)  # per input index, the first free block
    columns: BatchColumns = BatchColumns()
    key_base: int = 1  # the smallest key: 1 for record numbers (block = offset + key - key_base)
    validate: bool = True  # check each record as the single-process run does (files were checked)
    threads: int | None = None  # torch threads on a CPU
    decode: Callable[[Mapping[str, Any]], Item] | None = None  # a batch row -> its item (None: a SeqRecord)


def _resolve(value: Any) -> Any:
    """A value, or what a Ray object reference holds."""
    if type(value).__name__ == "ObjectRef":
        import ray

        return ray.get(value)
    return value


class RowShards:
    """Load the model once per actor; turn each batch (a `pyarrow.Table`) into rows, in shards of its own."""

    def __init__(self, plan: Plan, *, done: Any = None, skip: Any = None,
                 setup: Callable[[], object] | None = None) -> None:
        if setup is not None:
            setup()  # e.g. register a plugin that is not installed as a distribution
        self.plan = plan
        self.done: frozenset[str] = frozenset(_resolve(done) or ())
        self.skip: frozenset[tuple[int, int]] = frozenset(_resolve(skip) or ())
        self.index = {name: i for i, name in enumerate(plan.inputs)}
        self.sources = [Source(i, name, kind) for i, (name, kind) in enumerate(
            zip(plan.inputs, plan.kinds, strict=True))]
        self.encoder: DNAEncoder = plan.load.load()
        if plan.threads is not None and self.encoder.device.type == "cpu":
            import torch

            torch.set_num_threads(plan.threads)
        spec = self.encoder.spec
        self.policy = plan.load.policy(spec)
        self.min_bases = min_bases(spec)

    def __call__(self, batch: pa.Table) -> pa.Table:
        c = self.plan.columns
        cols = batch.to_pydict()
        keys = cols[c.key]
        names = cols[c.source] if c.source else [self.plan.inputs[0]] * len(keys)
        out = _Results()
        by_input: dict[int, list[int]] = {}
        for row, name in enumerate(names):
            i = self.index.get(name)
            if i is None:
                shown = ", ".join(self.plan.inputs[:5]) + (", ..." if len(self.plan.inputs) > 5 else "")
                return out.error(f"row {keys[row]!r}: source {name!r} is none of the run's inputs ({shown})")
            by_input.setdefault(i, []).append(row)
        for i in sorted(by_input):
            rows = sorted(by_input[i], key=lambda r: keys[r])
            error = self._run_input(i, [self._item(cols, r, self.sources[i]) for r in rows], out)
            if error is not None:
                return out.error(error)
        return out.table()

    def _item(self, cols: Mapping[str, list[Any]], r: int, source: Source) -> Item:
        """Row `r` of a batch as the command's item."""
        if self.plan.decode is not None:
            return self.plan.decode({name: values[r] for name, values in cols.items()})
        c = self.plan.columns
        return SeqRecord(cols[c.id][r], cols[c.sequence][r], source.name, int(cols[c.key][r]))

    def _run_input(self, i: int, items: list[Item], out: _Results) -> str | None:
        """Turn the good items of input `i` in this batch into the command's rows, written as one shard.

        An input error of the model (the same on every attempt) is returned, not raised, so that
        Ray does not retry it; a failure to write is raised (Ray retries it).
        """
        source = self.sources[i]
        layout = self.plan.out.layout
        validator = Validator(self.policy, min_bases=self.min_bases) if self.plan.validate else None
        good: list[Item] = []
        for item in items:
            if (i, item.n) in self.skip:
                out.add(item, source.name, Status.SKIPPED)
            elif getattr(item, layout.key) in self.done:
                out.add(item, source.name, Status.DONE)
            else:
                problem = None
                if validator is not None:
                    assert isinstance(item, SeqRecord)  # validated: records of sequence files
                    seq = cast("str | None", item.sequence)  # as the batch holds it: text, or null
                    problem = validator.check(source, item.n, item.id, seq)
                if problem is not None:
                    out.add(item, source.name, Status.BAD, problem=problem)
                else:
                    good.append(item)
        if not good:
            return None
        try:
            made: list[OutRow] = list(self.plan.command.rows(self.encoder, good))
        except ZooError as exc:
            return f"{source.name}: {one_line(exc)}"
        block = self.plan.offsets.get(i, 0) + good[0].n - self.plan.key_base
        name = shard_name(i, block)
        vectors = np.stack([cast("np.ndarray", row.vector) for row in made]) if layout.width else None
        write_shard(Path(self.plan.output), name, layout=layout, metadata=self.plan.out.metadata,
                    ids=[row.item.id for row in made] if layout.ids else None, vectors=vectors,
                    values={c: [row.values[j] for row in made] for j, c in enumerate(layout.columns)},
                    sources=[row.item.source or source.name for row in made])
        last: Item | None = None
        for row in made:  # each item once, as its rows name it
            if row.item is not last:
                last = row.item
                out.add(last, source.name, Status.WRITTEN, shard=name)
        return None


class _Results:
    """The result rows of one batch."""

    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {f.name: [] for f in RESULT_SCHEMA}

    def add(self, item: Item, source: str, status: str, *, shard: str | None = None,
            problem: Problem | None = None) -> None:
        bases = 0 if problem is not None else item.length  # a bad record may have no sequence
        for name, value in (("id", item.id), ("source", source), ("n", item.n), ("bases", bases),
                            ("status", status), ("shard", shard),
                            ("kind", problem.kind if problem else None),
                            ("what", problem.what if problem else None)):
            self.cols[name].append(value)

    def error(self, message: str) -> pa.Table:
        return pa.Table.from_pylist([{"status": Status.ERROR, "what": message, "n": 0, "bases": 0}],
                                    schema=RESULT_SCHEMA)

    def table(self) -> pa.Table:
        return pa.Table.from_pydict(self.cols, schema=RESULT_SCHEMA)
