"""The commands that run a model: embed and predict (a `Run` of the `Embedding` / `Prediction` command)."""

from __future__ import annotations

from typing import get_args

import click

from .._names import LongPolicy, RowPooling
from ._job import open_run, run_command
from ._options import EngineOptions, ModelOptions, engine_options, model_options

__all__ = ["embed", "predict"]

_LONG = [p for p in get_args(LongPolicy) if p != "whole"]


@click.command()
@model_options
@click.option("--pooling", type=click.Choice(get_args(RowPooling)), default="mean", show_default=True)
@click.option("--layer", "layer_", default="-1", show_default=True, metavar="I[,J...]|all",
              help="Hidden state to pool: -1 the last layer, 0 the embeddings, i layer i. A list "
              "(0,6,-1) or 'all': one vector per layer (Parquet: a column per layer, embedding_I).")
@click.option("--long", "long_", type=click.Choice(_LONG), default="chunk",
              show_default=True, help="Sequences longer than the model takes: embed in chunks, or refuse.")
@click.option("--overlap", type=click.IntRange(min=0), default=None,
              help="Bases shared by neighbouring chunks/segments. Default: the model's (0 for segments).")
@click.option("--segment-output", is_flag=True,
              help="One row per window (id, start, end, embedding) instead of one per sequence.")
@click.option("--segment-size", type=click.IntRange(min=1), default=None,
              help="Bases per window with --segment-output. Default: the most the model takes.")
@engine_options
def embed(
    opts: ModelOptions, pooling: RowPooling, layer_: str, long_: LongPolicy, overlap: int | None,
    segment_output: bool, segment_size: int | None, engine: EngineOptions,
) -> None:
    """Embed every sequence of INPUT... into OUTPUT.

    Rows are `id` (the header's first word, or the id column), `source` (the input), `length` and
    `embedding`; with --segment-output `id`, `source`, `start`, `end` (0-based, half-open) and
    `embedding`.
    """
    from .._commands import Embedding
    from .._layers import parse_layers
    from .._options import EmbedOptions

    asked = parse_layers(layer_)
    layer, layers = (asked, None) if isinstance(asked, int) else (-1, asked)

    if segment_size is not None and not segment_output:
        raise click.UsageError("--segment-size needs --segment-output")
    engine.check(opts.output.path)
    run = open_run(opts.inputs, opts.output)
    if segment_output and run.sharded:
        raise click.UsageError("--segment-output writes one file; a directory output holds one row per "
                               "sequence")
    if engine.engine == "ray" and any(s.path is None for s in run.sources):
        raise click.UsageError("--engine ray reads files on its workers; '-' (standard input) needs "
                               "--engine local")
    command = Embedding(EmbedOptions(pooling=pooling, layer=layer, layers=layers, long=long_, overlap=overlap,
                                     token_budget=opts.token_budget, segment_size=segment_size,
                                     segments=segment_output))
    run_command(run, command, engine.runner(opts.load, run.shard_size))


@click.command()
@model_options
@click.option("--long", "long_", type=click.Choice(_LONG), default="error",
              show_default=True, help="Sequences longer than the model takes: average the chunks' "
              "logits, or refuse.")
def predict(opts: ModelOptions, long_: LongPolicy) -> None:
    """Label probabilities of every sequence of INPUT... by a classifier, into OUTPUT.

    Rows are `id`, `source`, `length` and `probabilities` (one float32 per label, in the order of
    the `labels` metadata entry, a JSON list; `values` instead of `probabilities` for regression).
    Parquet stores them as a fixed-size list column, .npz as a matrix, .npy as the matrix alone.
    Streamed: memory follows the batch, not the input.
    """
    from .._commands import Prediction
    from .._options import PredictOptions
    from .._run import LocalEngine

    run = open_run(opts.inputs, opts.output)
    command = Prediction(PredictOptions(long=long_, token_budget=opts.token_budget))
    run_command(run, command, LocalEngine(opts.load))
