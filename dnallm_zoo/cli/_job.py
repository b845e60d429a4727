"""One model run of the CLI: inputs found and checked, good records streamed, rows written, a summary."""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .._inputs import expand_inputs
from .._shards import done_ids, is_shard_dir, open_shards, start
from .._validation import Screening, Validator, min_bases, skipped_path, write_skipped
from .._writers import check_output, open_writer
from ..errors import InputError, UnknownModelError
from ._options import DEFAULT_SHARD_SIZE, ModelOptions
from ._progress import Progress

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from .._spec import ModelSpec
    from .._writers import EmbeddingWriter, RowLayout

__all__ = ["Job", "spec_of"]


def spec_of(model: str) -> ModelSpec | None:
    """The spec of a model without loading it; None for a hub repository no plugin registered."""
    p = Path(model)
    if p.is_dir():
        from .._loading import directory_spec

        return directory_spec(p)  # a fine-tuned head included
    from .._registry import get_registry

    try:
        return get_registry().resolve(model).spec
    except UnknownModelError:
        if model.count("/") == 1 and not model.startswith((".", "/")):
            return None  # `load` fetches it, then a plugin claims it
        raise


def _check_directory(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise InputError(f"{path}: is a file; a directory output needs a directory")
    parent = path.parent
    if not parent.is_dir():
        raise InputError(f"{path}: directory {parent} does not exist")


class Job:
    """The inputs and output of one `embed` / `predict` run, checked before any model work."""

    def __init__(self, opts: ModelOptions) -> None:
        self.opts = opts
        self.sharded = is_shard_dir(opts.output)
        self.output = Path(opts.output)
        if opts.resume and not self.sharded:
            raise click.UsageError("--resume continues a directory output (-o DIR/)")
        if opts.shard_size is not None and not self.sharded:
            raise click.UsageError("--shard-size applies to a directory output (-o DIR/)")
        if self.sharded:
            _check_directory(self.output)
        else:
            check_output(self.output)
        self.sources = expand_inputs(opts.inputs)
        self.screening: Screening | None = None
        self.pending: deque[tuple[str, int, str]] = deque()  # (id, bases, source) not yet written
        self.resumed = 0

    def screen(self, spec: ModelSpec) -> None:
        """Check every file input (standard input is checked as it streams)."""
        validator = Validator(self.opts.policy(spec), min_bases=min_bases(spec))
        self.screening = Screening(self.sources, validator, skip_invalid=self.opts.skip_invalid,
                                   id_column=self.opts.id_column, sequence_column=self.opts.sequence_column)
        with Progress("checking") as progress:
            self.screening.check_files(progress)

    def check_resume(self, model: str, layout: RowLayout, metadata: Mapping[str, str]) -> None:
        """With --resume, refuse before the model loads when the run in DIR is another one."""
        if self.opts.resume:
            start(self.output, model=model, layout=layout, metadata=self._metadata(metadata),
                  inputs=self.input_names, resume=True)

    @property
    def input_names(self) -> list[str]:
        return [s.name for s in self.sources]

    @staticmethod
    def _metadata(metadata: Mapping[str, str]) -> dict[str, str]:
        from .. import __version__

        return {"dnallm_zoo_version": __version__, **metadata}

    def open(self, model: str, layout: RowLayout, metadata: Mapping[str, str]
             ) -> AbstractContextManager[EmbeddingWriter]:
        if self.sharded:
            return open_shards(self.output, layout=layout, metadata=metadata, inputs=self.input_names,
                               model=model, shard_size=self.opts.shard_size or DEFAULT_SHARD_SIZE,
                               resume=self.opts.resume)
        return open_writer(self.output, layout=layout, metadata=metadata)

    def records(self) -> Iterator[tuple[str, str]]:
        """The good records (minus those a resumed run wrote), remembered until written."""
        assert self.screening is not None
        done = done_ids(self.output) if self.opts.resume else set()
        self.resumed = len(done)
        for source, rid, seq in self.screening.records(skip_ids=done):
            self.pending.append((rid, len(seq), source.name))
            yield rid, seq

    def write(self, writer: EmbeddingWriter, vector: object) -> None:
        """Write the next pending record's row."""
        rid, n, source = self.pending.popleft()
        writer.write(rid, (n,), vector, source=source)  # type: ignore[arg-type]

    def before_close(self, writer: EmbeddingWriter) -> None:
        """A directory output checks, at the end, that it holds every good record once."""
        assert self.screening is not None
        if self.sharded:
            writer.expected_ids = self.screening.expected_ids  # type: ignore[attr-defined]

    def report(self, progress: Progress, verb: str, extra: str = "") -> None:
        """The skipped list beside the output, and the summary lines on stderr."""
        assert self.screening is not None
        if self.opts.skip_invalid:
            path = skipped_path(self.opts.output)
            write_skipped(path, self.screening.problems)
            n = len(self.screening.problems)
            click.echo(f"skipped {n} bad record{'s' * (n != 1)} (listed in {path})", err=True)
        if self.resumed:
            click.echo(f"resumed: {self.resumed:,} records were already written in {self.output}",
                       err=True)
        click.echo(progress.summary(verb, self.output, extra), err=True)


@contextlib.contextmanager
def writing(job: Job, model: str, layout: RowLayout, metadata: Mapping[str, str]
            ) -> Iterator[EmbeddingWriter]:
    """The run's writer; the directory output's final check comes before it closes."""
    with job.open(model, layout, metadata) as writer:
        yield writer
        job.before_close(writer)
