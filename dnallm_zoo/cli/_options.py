"""The options every command that runs a model shares, parsed into the run's typed options (`_options`)."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from .._batching import DEFAULT_TOKEN_BUDGET
from .._names import DTYPE_CHOICES
from .._options import InputOptions, LoadOptions, Normalization, OutputOptions

if TYPE_CHECKING:
    from .._run import Engine

__all__ = ["DEFAULT_SHARD_SIZE", "EngineOptions", "ModelOptions", "engine_options", "load_flags",
           "model_options"]

DEFAULT_SHARD_SIZE = 10_000  # the `_run.DEFAULT_SHARD_SIZE` (not imported: listing stays light)
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")

INPUTS_HELP = """
INPUT is one or more FASTA or FASTQ files (compressed or not: .gz, .bz2, .xz, .zst), globs
('genomes/*.fa.gz'), tables with an id and a sequence column (.csv, .tsv, possibly compressed, or
.parquet; --id-column, --sequence-column), or '-' for FASTA/FASTQ on standard input. Every bad
record of the file inputs (no id, a repeated id, no bases, a character the model's normalisation
refuses, too short for one token) is named before any model work, and nothing is written;
--skip-invalid leaves them out and lists them in OUTPUT.skipped.tsv (DIR/_skipped.tsv). Standard
input cannot be read twice: it is checked as it streams, so its bad records end the run after
the records before them were computed (nothing is written to a file output).

OUTPUT is one file (.parquet, .npz, .safetensors, .npy; written atomically: complete or absent) or
a directory, named with a trailing '/' or existing: Parquet shards of --shard-size records written
as the run goes, each atomic, and DIR/_manifest.json; --resume continues a killed run there.
Each row says which input it came from: a `source` column (Parquet and shards), a `sources` array
(.npz), a `sources` metadata entry (.safetensors); .npy holds the matrix alone.
"""


def _check_device(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not _DEVICE.fullmatch(value):
        raise click.BadParameter(f"{value!r}: use auto, cpu, cuda, cuda:N or mps")
    return value


def load_flags() -> list[Callable[[Any], Any]]:
    """--device, --dtype, --cache-dir and --token-budget: how every command that runs a model runs it."""
    return [
        click.option("--device", default="auto", show_default=True, callback=_check_device,
                     help="auto, cpu, cuda, cuda:N or mps."),
        click.option("--dtype", default="auto", show_default=True,
                     type=click.Choice(DTYPE_CHOICES, case_sensitive=False)),
        click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                     help="Hub cache to read and fill (default: HF_HUB_CACHE, else HF_HOME/hub)."),
        click.option("--token-budget", type=click.IntRange(min=1), default=DEFAULT_TOKEN_BUDGET,
                     show_default=True, help="Most tokens (padding included) in one forward pass."),
    ]


def model_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Inputs, output and model options, passed to the command as one `opts: ModelOptions`."""
    opts = [
        click.argument("inputs", metavar="INPUT...", nargs=-1, required=True),
        click.option("--model", "-m", required=True, metavar="NAME|DIR",
                     help="A model id, alias, hub id, 'plugin:id' or a checkpoint directory."),
        click.option("--output", "-o", required=True, metavar="OUTPUT",
                     help="A file (.parquet, .npy, .npz, .safetensors) or a directory (DIR/) of shards."),
        click.option("--id-column", default="id", show_default=True, help="Id column of table inputs."),
        click.option("--sequence-column", default="sequence", show_default=True,
                     help="Sequence column of table inputs."),
        click.option("--skip-invalid", is_flag=True,
                     help="Leave bad records out (listed beside the output) instead of failing."),
        click.option("--shard-size", type=click.IntRange(min=1), default=None,
                     help=f"Records per shard of a directory output. [default: {DEFAULT_SHARD_SIZE}]"),
        click.option("--resume", is_flag=True,
                     help="Continue the killed run in the output directory, skipping what it wrote."),
        *load_flags(),
        click.option("--iupac", type=click.Choice(["unk", "error"]), default=None,
                     help="Ambiguity codes (R, Y, ...): read as N, or refuse. Default: the model's."),
        click.option("--no-uppercase", is_flag=True,
                     help="Do not upper-case input (as the originals; lower case becomes unknown)."),
        click.option("--no-u-to-t", is_flag=True,
                     help="Do not read U as T (with --no-uppercase: exactly the originals' input)."),
    ]
    names = ("inputs", "model", "output", "id_column", "sequence_column", "skip_invalid", "shard_size",
             "resume", "device", "dtype", "cache_dir", "token_budget", "iupac", "no_uppercase", "no_u_to_t")

    def wrapper(**kwargs: Any) -> Any:
        shared = ModelOptions.parsed(**{k: kwargs.pop(k) for k in names})
        return fn(opts=shared, **kwargs)

    functools.update_wrapper(wrapper, fn)  # the command's own options (__click_params__) come along
    wrapper.__doc__ = inspect.cleandoc(fn.__doc__ or "") + "\n" + INPUTS_HELP
    out: Callable[..., Any] = wrapper
    for opt in reversed(opts):
        out = opt(out)
    return out


@dataclass(frozen=True)
class ModelOptions:
    """What `model_options` parsed: the run's inputs, output and model, and the token budget."""

    inputs: InputOptions
    output: OutputOptions
    load: LoadOptions
    token_budget: int

    @classmethod
    def parsed(cls, *, inputs: tuple[str, ...], model: str, output: str, id_column: str, sequence_column: str,
               skip_invalid: bool, shard_size: int | None, resume: bool, device: str, dtype: str,
               cache_dir: Path | None, token_budget: int, iupac: Literal["unk", "error"] | None,
               no_uppercase: bool, no_u_to_t: bool) -> ModelOptions:
        """From the command line's flags (one per option: the click callback's keywords)."""
        norm = Normalization(iupac=iupac,
                             uppercase=False if no_uppercase else None, u_to_t=False if no_u_to_t else None)
        return cls(
            InputOptions(inputs, id_column=id_column, sequence_column=sequence_column,
                         skip_invalid=skip_invalid),
            OutputOptions(output, shard_size=shard_size, resume=resume),
            LoadOptions(model, device=device, dtype=dtype.lower(), normalization=norm,
                        cache_dir=None if cache_dir is None else str(cache_dir)),
            token_budget,
        )


def engine_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Where the forward passes run (--engine and Ray's flags), passed as one `engine: EngineOptions`."""
    opts = [
        click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                     help="local: this process; ray: a pool of actors on a Ray cluster, into -o DIR/ "
                     "(needs dnallm-zoo[ray]; see docs/scale-out.md)."),
        click.option("--address", default=None, metavar="ADDR",
                     help="Ray cluster to join ('auto': the one `ray start` runs here). Default: "
                     "RAY_ADDRESS, else a new local Ray."),
        click.option("--actors", type=click.IntRange(min=1), default=None,
                     help="Ray actors, each loading the model once. Default: as many as the GPUs (else "
                     "the CPUs, one kept for reading) allow."),
        click.option("--gpus-per-actor", type=click.FloatRange(min=0), default=0.0, show_default=True),
        click.option("--cpus-per-actor", type=click.FloatRange(min=0), default=1.0, show_default=True),
    ]
    names = ("engine", "address", "actors", "gpus_per_actor", "cpus_per_actor")

    def wrapper(**kwargs: Any) -> Any:
        return fn(engine=EngineOptions(**{k: kwargs.pop(k) for k in names}), **kwargs)

    functools.update_wrapper(wrapper, fn)
    out: Callable[..., Any] = wrapper
    for opt in reversed(opts):
        out = opt(out)
    return out


@dataclass(frozen=True)
class EngineOptions:
    """What `engine_options` parsed."""

    engine: str = "local"
    address: str | None = None
    actors: int | None = None
    gpus_per_actor: float = 0.0
    cpus_per_actor: float = 1.0

    def check(self, output: str) -> None:
        """Ray's flags only with --engine ray; the Ray engine writes a directory of shards (`-o out/`)."""
        if self.engine == "local":
            given = [flag for flag, v, default in (
                ("--address", self.address, None), ("--actors", self.actors, None),
                ("--gpus-per-actor", self.gpus_per_actor, 0.0),
                ("--cpus-per-actor", self.cpus_per_actor, 1.0),
            ) if v != default]
            if given:
                raise click.UsageError(f"{given[0]} applies to --engine ray")
            return
        from .._shards import is_shard_dir

        if not is_shard_dir(output):
            raise click.UsageError(f"--engine ray writes a directory of shards: name it with a trailing "
                                   f"slash, -o {output.rstrip('/')}/")

    def runner(self, load: LoadOptions, batch_size: int) -> Engine:
        """The run's engine: this process, or a pool of Ray actors taking `batch_size` items a call."""
        from .._run import LocalEngine

        if self.engine == "local":
            return LocalEngine(load)
        from ..scale import Engine as Pool
        from ..scale import RayEngine

        return RayEngine(load, Pool(actors=self.actors, cpus_per_actor=self.cpus_per_actor,
                                    gpus_per_actor=self.gpus_per_actor, batch_size=batch_size),
                         address=self.address)
