"""The commands that run a model: embed and predict."""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .._batching import DEFAULT_TOKEN_BUDGET
from ..errors import InputError
from ._progress import Progress

if TYPE_CHECKING:
    from .._encoder import DNAEncoder
    from .._writers import EmbeddingWriter

__all__ = ["embed", "predict"]


_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")
_DTYPES = ("auto", "float32", "float16", "bfloat16", "fp32", "fp16", "bf16")


def _check_device(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not _DEVICE.fullmatch(value):
        raise click.BadParameter(f"{value!r}: use auto, cpu, cuda, cuda:N or mps")
    return value


def _model_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The options every command that runs a model shares."""
    opts = [
        click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path)),
        click.option("--model", "-m", required=True, metavar="NAME|DIR",
                     help="A model id, alias, hub id, 'plugin:id' or a checkpoint directory."),
        click.option("--output", "-o", required=True, type=click.Path(path_type=Path),
                     help="Output file: .parquet, .npy, .npz or .safetensors."),
        click.option("--device", default="auto", show_default=True, callback=_check_device,
                     help="auto, cpu, cuda, cuda:N or mps."),
        click.option("--dtype", default="auto", show_default=True,
                     type=click.Choice(_DTYPES, case_sensitive=False)),
        click.option("--token-budget", type=click.IntRange(min=1), default=DEFAULT_TOKEN_BUDGET,
                     show_default=True, help="Most tokens (padding included) in one forward pass."),
        click.option("--iupac", type=click.Choice(["unk", "error"]), default=None,
                     help="Ambiguity codes (R, Y, ...): read as N, or refuse. Default: the model's."),
        click.option("--no-uppercase", is_flag=True,
                     help="Do not upper-case input (as the originals; lower case becomes unknown)."),
        click.option("--no-u-to-t", is_flag=True,
                     help="Do not read U as T (with --no-uppercase: exactly the originals' input)."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def _load(
    model: str, device: str, dtype: str, iupac: str | None, no_uppercase: bool, no_u_to_t: bool
) -> DNAEncoder:
    from .._loading import load

    norm: dict[str, Any] = {}
    if iupac is not None:
        norm["iupac"] = iupac
    if no_uppercase:
        norm["uppercase"] = False
    if no_u_to_t:
        norm["u_to_t"] = False
    return load(model, device=device, dtype=dtype.lower(), normalization=norm or None)


def _tracked(records: Iterable[tuple[str, str]], pending: deque[tuple[str, int]]
             ) -> Iterator[tuple[str, str]]:
    """Pass records on, remembering (id, length) of those not yet written."""
    for rid, seq in records:
        pending.append((rid, len(seq)))
        yield rid, seq


@click.command()
@_model_options
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
def embed(
    input_path: Path, model: str, output: Path, device: str, dtype: str, token_budget: int,
    iupac: str | None, no_uppercase: bool, no_u_to_t: bool, pooling: str, layer: int, long_: str,
    overlap: int | None, segment_output: bool, segment_size: int | None,
) -> None:
    """Embed every sequence of a FASTA(.gz) file INPUT ('-': stdin) into OUTPUT (format by suffix).

    Rows are `id` (the header's first word), `length` and `embedding`; with --segment-output
    `id`, `start`, `end` (0-based, half-open) and `embedding`. See `dnallm_zoo._writers` for the formats.
    """
    from .. import _writers as io
    from .._fasta import read_fasta

    if segment_size is not None and not segment_output:
        raise click.UsageError("--segment-size needs --segment-output")
    io.check_output(output)
    records = read_fasta(input_path)
    encoder = _load(model, device, dtype, iupac, no_uppercase, no_u_to_t)
    window = segment_size or encoder.max_bases
    if overlap is not None and overlap >= window:
        raise InputError(f"--overlap {overlap} must be smaller than the window of {window} bases")
    meta = {"model": encoder.spec.id, "pooling": pooling, "layer": str(layer)}
    pending: deque[tuple[str, int]] = deque()
    with Progress("embedding") as progress:
        if segment_output:
            meta.update(segment_size=str(window), overlap=str(overlap or 0))
            layout = io.RowLayout.segments(encoder.hidden_size)
            with io.open_writer(output, layout=layout, metadata=meta) as writer:
                segments = _write_segments(writer, encoder, _tracked(records, pending), pending,
                                           progress, window=window, overlap=overlap or 0,
                                           pooling=pooling, layer=layer, token_budget=token_budget)
            extra = f" ({segments:,} segments)"
        else:
            layout = io.RowLayout.sequences(encoder.hidden_size)
            with io.open_writer(output, layout=layout, metadata=meta) as writer:
                for vec in encoder.embed_iter(
                    _tracked(records, pending), pooling=pooling, layer=layer,
                    token_budget=token_budget, long=long_,  # type: ignore[arg-type]
                    overlap=overlap, progress=progress,
                ):
                    rid, n = pending.popleft()
                    writer.write(rid, (n,), vec)
            extra = ""
    click.echo(progress.summary("embedded", output, extra), err=True)


def _write_segments(
    writer: EmbeddingWriter, encoder: DNAEncoder, records: Iterable[tuple[str, str]],
    pending: deque[tuple[str, int]], progress: Progress, *, window: int, overlap: int,
    pooling: str, layer: int, token_budget: int,
) -> int:
    """Write one row per segment; a sequence counts as done once a later one's segments arrive."""
    done = 0
    rows = 0
    for seg in encoder.embed_segments(records, segment_bases=window, overlap=overlap,
                                      pooling=pooling, layer=layer, token_budget=token_budget):
        while done < seg.index:
            progress(1, pending.popleft()[1])
            done += 1
        writer.write(seg.record if seg.record is not None else str(seg.index),
                     (seg.start, seg.end), seg.vector)
        rows += 1
    while pending:
        progress(1, pending.popleft()[1])
    return rows


def _batches(records: Iterable[tuple[str, str]], *, max_seqs: int = 1024, max_bases: int = 4_000_000
             ) -> Iterator[list[tuple[str, str]]]:
    """Groups of records, bounded in count and bases."""
    batch: list[tuple[str, str]] = []
    bases = 0
    for rec in records:
        batch.append(rec)
        bases += len(rec[1])
        if len(batch) >= max_seqs or bases >= max_bases:
            yield batch
            batch, bases = [], 0
    if batch:
        yield batch


@click.command()
@_model_options
@click.option("--long", "long_", type=click.Choice(["chunk", "error"]), default="error",
              show_default=True, help="Sequences longer than the model takes: average the chunks' "
              "logits, or refuse.")
def predict(
    input_path: Path, model: str, output: Path, device: str, dtype: str, token_budget: int,
    iupac: str | None, no_uppercase: bool, no_u_to_t: bool, long_: str,
) -> None:
    """Label probabilities of every sequence of INPUT ('-': stdin) by a classifier, into OUTPUT.

    Rows are `id`, `length` and `probabilities` (one float32 per label, in the order of the
    `labels` metadata entry, a JSON list; `values` instead of `probabilities` for regression).
    Parquet stores them as a fixed-size list column, .npz as a matrix, .npy as the matrix alone.
    """
    from .. import _writers as io
    from .._fasta import read_fasta

    io.check_output(output)
    records = read_fasta(input_path)
    encoder = _load(model, device, dtype, iupac, no_uppercase, no_u_to_t)
    spec = encoder.spec
    if spec.task != "sequence-classification" or not spec.labels:
        raise InputError(
            f"{spec.id} is a {spec.task} model; predict needs a sequence-classification model "
            "(`dnallm-zoo list --task sequence-classification`)"
        )
    vector = "values" if spec.problem_type == "regression" else "probabilities"
    layout = io.RowLayout.predictions(len(spec.labels), vector=vector)
    meta = {"model": spec.id, "labels": json.dumps(list(spec.labels)),
            "problem_type": str(spec.problem_type)}
    with Progress("predicting") as progress, \
            io.open_writer(output, layout=layout, metadata=meta) as writer:
        for batch in _batches(records):
            scores = encoder.predict(batch, token_budget=token_budget, long=long_)  # type: ignore[arg-type]
            for (rid, seq), row in zip(batch, scores, strict=True):
                writer.write(rid, (len(seq),), row)
            progress(len(batch), sum(len(s) for _, s in batch))
    click.echo(progress.summary("scored", output), err=True)
