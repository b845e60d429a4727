"""The commands that run a model: embed and predict."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from .._writers import RowLayout
from ..errors import InputError
from ._job import Job, spec_of, writing
from ._options import ModelOptions, model_options
from ._progress import Progress

if TYPE_CHECKING:
    from .._encoder import DNAEncoder
    from .._spec import ModelSpec
    from .._writers import EmbeddingWriter

__all__ = ["embed", "predict"]


def _embed_plan(spec: ModelSpec, opts: ModelOptions, *, pooling: str, layer: int, long_: str,
                overlap: int | None, segments: int | None) -> tuple[RowLayout, dict[str, str]]:
    """The rows and metadata of an embedding run (`segments`: the window of --segment-output)."""
    meta = {"model": spec.id, "pooling": pooling, "layer": str(layer),
            "normalization": opts.policy(spec).model_dump_json()}
    width = spec.architecture.hidden_size
    if segments is not None:
        meta.update(segment_size=str(segments), overlap=str(overlap or 0))
        return RowLayout.segments(width, source=True), meta
    meta.update(long=long_, overlap="model" if overlap is None else str(overlap))
    return RowLayout.sequences(width, source=True), meta


@click.command()
@model_options
@click.option("--pooling", type=click.Choice(["mean", "cls", "max"]), default="mean", show_default=True)
@click.option("--layer", type=int, default=-1, show_default=True,
              help="Hidden state to pool: -1 the last layer, 0 the embeddings, i layer i.")
@click.option("--long", "long_", type=click.Choice(["chunk", "error"]), default="chunk",
              show_default=True, help="Sequences longer than the model takes: embed in chunks, or refuse.")
@click.option("--overlap", type=click.IntRange(min=0), default=None,
              help="Bases shared by neighbouring chunks/segments. Default: the model's (0 for segments).")
@click.option("--segment-output", is_flag=True,
              help="One row per window (id, start, end, embedding) instead of one per sequence.")
@click.option("--segment-size", type=click.IntRange(min=1), default=None,
              help="Bases per window with --segment-output. Default: the most the model takes.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: this process; ray: a pool of actors on a Ray cluster, into -o DIR/ "
              "(needs dnallm-zoo[ray]; see docs/scale-out.md).")
@click.option("--address", default=None, metavar="ADDR",
              help="Ray cluster to join ('auto': the one `ray start` runs here). Default: RAY_ADDRESS, "
              "else a new local Ray.")
@click.option("--actors", type=click.IntRange(min=1), default=None,
              help="Ray actors, each loading the model once. Default: as many as the GPUs (else the "
              "CPUs, one kept for reading) allow.")
@click.option("--gpus-per-actor", type=click.FloatRange(min=0), default=0.0, show_default=True)
@click.option("--cpus-per-actor", type=click.FloatRange(min=0), default=1.0, show_default=True)
def embed(
    opts: ModelOptions, pooling: str, layer: int, long_: str, overlap: int | None, segment_output: bool,
    segment_size: int | None, engine: str, address: str | None, actors: int | None, gpus_per_actor: float,
    cpus_per_actor: float,
) -> None:
    """Embed every sequence of INPUT... into OUTPUT.

    Rows are `id` (the header's first word, or the id column), `source` (the input), `length` and
    `embedding`; with --segment-output `id`, `source`, `start`, `end` (0-based, half-open) and
    `embedding`.
    """
    if segment_size is not None and not segment_output:
        raise click.UsageError("--segment-size needs --segment-output")
    job = Job(opts)
    if segment_output and job.sharded:
        raise click.UsageError("--segment-output writes one file; a directory output holds one row per "
                               "sequence")
    ray_opts = {"address": address, "actors": actors, "gpus_per_actor": gpus_per_actor,
                "cpus_per_actor": cpus_per_actor}
    _check_engine(job, engine, ray_opts)
    spec = spec_of(opts.model)
    if spec is not None:
        _embed_checks(job, spec, opts, pooling, layer, long_, overlap, segment_output, segment_size)
    if engine == "ray":  # the model loads in each actor, not here (a hub repository: here for its spec)
        if spec is None:
            spec = opts.load().spec
            _embed_checks(job, spec, opts, pooling, layer, long_, overlap, segment_output, segment_size)
        _embed_on_ray(job, spec, opts, ray_opts, pooling=pooling, layer=layer, long_=long_, overlap=overlap)
        return
    encoder = opts.load()
    if spec is None:  # a hub repository: its spec is known once fetched
        spec = encoder.spec
        _embed_checks(job, spec, opts, pooling, layer, long_, overlap, segment_output, segment_size)
    window = segment_size or encoder.max_bases
    if overlap is not None and overlap >= window:
        raise InputError(f"--overlap {overlap} must be smaller than the window of {window} bases")
    layout, meta = _embed_plan(spec, opts, pooling=pooling, layer=layer, long_=long_, overlap=overlap,
                               segments=window if segment_output else None)
    with Progress("embedding") as progress:
        with writing(job, spec.id, layout, meta) as writer:
            if segment_output:
                segments = _write_segments(writer, encoder, job, progress, window=window,
                                           overlap=overlap or 0, pooling=pooling, layer=layer)
            else:
                for vec in encoder.embed_iter(
                    job.records(), pooling=pooling, layer=layer, token_budget=opts.token_budget,
                    long=long_, overlap=overlap, progress=progress,  # type: ignore[arg-type]
                ):
                    job.write(writer, vec)
        extra = f" ({segments:,} segments)" if segment_output else ""
    job.report(progress, "embedded", extra)


def _check_engine(job: Job, engine: str, ray_opts: dict[str, Any]) -> None:
    """Ray's options need --engine ray, and it writes one row per sequence into a directory of files."""
    if engine == "local":
        defaults = {"address": None, "actors": None, "gpus_per_actor": 0.0, "cpus_per_actor": 1.0}
        given = [k for k, v in ray_opts.items() if v != defaults[k]]
        if given:
            flag = "--" + given[0].replace("_", "-")
            raise click.UsageError(f"{flag} applies to --engine ray")
        return
    if not job.sharded:
        raise click.UsageError("--engine ray writes a shard directory: name the output DIR/")
    if any(s.path is None for s in job.sources):
        raise click.UsageError("--engine ray reads files on its workers; '-' (standard input) needs "
                               "--engine local")


def _embed_on_ray(job: Job, spec: ModelSpec, opts: ModelOptions, ray_opts: dict[str, Any], *, pooling: str,
                  layer: int, long_: str, overlap: int | None) -> None:
    """Dispatch a checked run to the Ray engine (`dnallm_zoo.scale`), then say what it did."""
    from .._validation import skipped_path, write_skipped
    from ..scale import Engine, connect
    from ..scale._engine import run_files
    from ._options import DEFAULT_SHARD_SIZE

    assert job.screening is not None
    startup = connect(ray_opts["address"])
    layout, meta = _embed_plan(spec, opts, pooling=pooling, layer=layer, long_=long_, overlap=overlap,
                               segments=None)
    index = {s.name: s.index for s in job.sources}
    summary = run_files(
        job.sources, model=opts.model, spec=spec, output=job.output, layout=layout, metadata=meta,
        embed={"pooling": pooling, "layer": layer, "long": long_, "overlap": overlap,
               "token_budget": opts.token_budget},
        load={"device": opts.device, "dtype": opts.dtype.lower(), "normalization": opts.normalization or None,
              "cache_dir": None if opts.cache_dir is None else str(opts.cache_dir)},
        engine=Engine(actors=ray_opts["actors"], cpus_per_actor=ray_opts["cpus_per_actor"],
                      gpus_per_actor=ray_opts["gpus_per_actor"],
                      batch_size=opts.shard_size or DEFAULT_SHARD_SIZE),
        resume=opts.resume, skip={(index[p.source], p.n) for p in job.screening.problems},
        expected_ids=job.screening.expected_ids, id_column=opts.id_column,
        sequence_column=opts.sequence_column,
    )
    summary.startup = startup
    if opts.skip_invalid:
        path = skipped_path(opts.output)
        write_skipped(path, job.screening.problems)
        n = len(job.screening.problems)
        click.echo(f"skipped {n} bad record{'s' * (n != 1)} (listed in {path})", err=True)
    if summary.resumed:
        click.echo(f"resumed: {summary.resumed:,} records were already written in {job.output}", err=True)
    click.echo(summary.line(), err=True)


def _embed_checks(job: Job, spec: ModelSpec, opts: ModelOptions, pooling: str, layer: int, long_: str,
                  overlap: int | None, segment_output: bool, segment_size: int | None) -> None:
    """Before the model loads: the resumed run is this one, and every file input is good."""
    if job.sharded:
        layout, meta = _embed_plan(spec, opts, pooling=pooling, layer=layer, long_=long_, overlap=overlap,
                                   segments=None)
        job.check_resume(spec.id, layout, meta)
    job.screen(spec)


def _write_segments(
    writer: EmbeddingWriter, encoder: DNAEncoder, job: Job, progress: Progress, *, window: int,
    overlap: int, pooling: str, layer: int,
) -> int:
    """Write one row per segment; a sequence counts as done once a later one's segments arrive."""
    done = 0
    rows = 0
    for seg in encoder.embed_segments(job.records(), segment_bases=window, overlap=overlap,
                                      pooling=pooling, layer=layer, token_budget=job.opts.token_budget):
        while done < seg.index:
            progress(1, job.pending.popleft()[1])
            done += 1
        rid, _, source = job.pending[0]
        writer.write(rid, (seg.start, seg.end), seg.vector, source=source)
        rows += 1
    while job.pending:
        progress(1, job.pending.popleft()[1])
    return rows


def _predict_plan(spec: ModelSpec, opts: ModelOptions, long_: str) -> tuple[RowLayout, dict[str, str]]:
    if spec.task != "sequence-classification" or not spec.labels:
        raise InputError(
            f"{spec.id} is a {spec.task} model; predict needs a sequence-classification model "
            "(`dnallm-zoo list --task sequence-classification`)"
        )
    vector = "values" if spec.problem_type == "regression" else "probabilities"
    layout = RowLayout.predictions(len(spec.labels), vector=vector, source=True)
    meta = {"model": spec.id, "labels": json.dumps(list(spec.labels)),
            "problem_type": str(spec.problem_type), "long": long_,
            "normalization": opts.policy(spec).model_dump_json()}
    return layout, meta


def _predict_checks(job: Job, spec: ModelSpec, opts: ModelOptions, long_: str) -> None:
    layout, meta = _predict_plan(spec, opts, long_)
    job.check_resume(spec.id, layout, meta)
    job.screen(spec)


@click.command()
@model_options
@click.option("--long", "long_", type=click.Choice(["chunk", "error"]), default="error",
              show_default=True, help="Sequences longer than the model takes: average the chunks' "
              "logits, or refuse.")
def predict(opts: ModelOptions, long_: str) -> None:
    """Label probabilities of every sequence of INPUT... by a classifier, into OUTPUT.

    Rows are `id`, `source`, `length` and `probabilities` (one float32 per label, in the order of
    the `labels` metadata entry, a JSON list; `values` instead of `probabilities` for regression).
    Parquet stores them as a fixed-size list column, .npz as a matrix, .npy as the matrix alone.
    Streamed: memory follows the batch, not the input.
    """
    job = Job(opts)
    spec = spec_of(opts.model)
    if spec is not None:
        _predict_checks(job, spec, opts, long_)
    encoder = opts.load()
    if spec is None:
        spec = encoder.spec
        _predict_checks(job, spec, opts, long_)
    layout, meta = _predict_plan(spec, opts, long_)
    with Progress("predicting") as progress, writing(job, spec.id, layout, meta) as writer:
        for row in encoder.predict_iter(job.records(), token_budget=opts.token_budget,
                                        long=long_, progress=progress):  # type: ignore[arg-type]
            job.write(writer, row)
    job.report(progress, "scored")
