"""The CLI's side of a model run (`_run.Run`): the flags checked, progress on stderr, the summary lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .._run import Run, execute
from .._shards import is_shard_dir
from ._progress import Progress

if TYPE_CHECKING:
    from .._options import InputOptions, OutputOptions
    from .._run import Command, Engine, RunResult

__all__ = ["open_run", "run_command"]


def open_run(inputs: InputOptions, output: OutputOptions) -> Run:
    """The run's output checked and its inputs found, before any model work; misused flags refused."""
    sharded = is_shard_dir(output.path)
    if output.resume and not sharded:
        raise click.UsageError("--resume continues a directory output (-o DIR/)")
    if output.shard_size is not None and not sharded:
        raise click.UsageError("--shard-size applies to a directory output (-o DIR/)")
    return Run(inputs, output)


def run_command(run: Run, command: Command, engine: Engine) -> RunResult:
    """Execute the run, then say what it did on stderr: skipped records, resumed records, the summary."""
    bars: list[Progress] = []

    def progress(phase: str) -> Progress:
        bar = Progress(phase)
        bars.append(bar)
        return bar

    result = execute(run, command, engine, progress=progress)
    unit = "record" if command.unit == "sequence" else command.unit
    if result.skipped_path is not None:
        n = len(result.skipped)
        click.echo(f"skipped {n} bad {unit}{'s' * (n != 1)} (listed in {result.skipped_path})", err=True)
    if result.resumed:
        click.echo(f"resumed: {result.resumed:,} {unit}s were already written in {run.output}", err=True)
    line = getattr(result.summary, "line", None)
    if callable(line):  # the engine's own summary (Ray's names its actors)
        click.echo(line(), err=True)
    else:
        rows = getattr(command, "row_unit", None)  # rows that are not records (segments) are counted
        extra = f" ({result.rows:,} {rows})" if rows else ""
        click.echo(bars[-1].summary(command.verb, run.output, extra, unit=command.unit), err=True)
    return result
