"""The commands that look inside a model: attention, explain, plot-embeddings.

Each checks what it can before loading the model (the output's suffix, the layers, the target label, every
input record), then runs one sequence per forward pass and writes its output atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from .._names import DTYPE_CHOICES
from ..errors import InputError

if TYPE_CHECKING:
    from .._inputs import SeqRecord

__all__ = ["attention", "explain", "plot_embeddings"]


def _inputs(fn: click.decorators.FC) -> click.decorators.FC:
    """INPUT..., --model, --device, --dtype, --id-column, --sequence-column."""
    for opt in reversed([
        click.argument("inputs", metavar="INPUT...", nargs=-1, required=True),
        click.option("--model", "-m", required=True, metavar="NAME|DIR",
                     help="A model id, alias, hub id, 'plugin:id' or a checkpoint directory."),
        click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps."),
        click.option("--dtype", default="float32", show_default=True,
                     type=click.Choice(DTYPE_CHOICES, case_sensitive=False)),
        click.option("--id-column", default="id", show_default=True, help="Id column of table inputs."),
        click.option("--sequence-column", default="sequence", show_default=True,
                     help="Sequence column of table inputs."),
    ]):
        fn = opt(fn)
    return fn


def _suffix(path: str, allowed: tuple[str, ...], flag: str) -> Path:
    p = Path(path)
    if p.suffix.lower() not in allowed:
        raise InputError(f"{flag} {path}: write {' or '.join(allowed)}")
    if not p.parent.is_dir():
        raise InputError(f"{flag} {path}: directory {p.parent} does not exist")
    return p


def _records(inputs: tuple[str, ...], id_column: str, sequence_column: str) -> list[SeqRecord]:
    """Every record, the files screened first (a bad record named before any model work)."""
    from ..io import read_records

    return list(read_records(list(inputs), id_column=id_column, sequence_column=sequence_column))


@click.command()
@_inputs
@click.option("--output", "-o", required=True, metavar="OUT.npz",
              help="Per sequence i: weights_i [layers, heads, T, T], spans_i [T, 2], tokens_i; ids, layers.")
@click.option("--layer", "layer_", default="all", show_default=True, metavar="I[,J...]|all",
              help="Attention layers to keep: 0 the first, -1 the last, a list, or all.")
@click.option("--plot", type=str, default=None, metavar="PNG",
              help="A heatmap of the first sequence's last kept layer, tokens labelled with their bases.")
@click.option("--plot-head", type=int, default=None, metavar="H",
              help="The head the heatmap shows (default: the mean over heads).")
def attention(inputs: tuple[str, ...], model: str, device: str, dtype: str, id_column: str,
              sequence_column: str, output: str, layer_: str, plot: str | None,
              plot_head: int | None) -> None:
    """Attention weights of every sequence of INPUT... (each whole, in one pass), per layer and head.

    The weights are the original's eager attention (transformers' `output_attentions=True` where the
    original has it): row q of a [T, T] map is how token q's attention splits over the tokens; special
    tokens ([CLS], [SEP]) cover no bases (span (0, 0)).
    """
    from .._attention import attention_maps, plot_attention, save_attention_npz
    from .._layers import parse_layers, resolve_layers
    from .._loading import load, spec_of

    out = _suffix(output, (".npz",), "-o")
    png = _suffix(plot, (".png",), "--plot") if plot else None
    layers = parse_layers(layer_)
    spec = spec_of(model)
    if spec is not None:
        resolve_layers(layers, spec.architecture.num_layers, what="attention layers", model=spec.id)
    records = _records(inputs, id_column, sequence_column)
    enc = load(model, device=device, dtype=dtype.lower())
    maps = attention_maps(enc, records, layers=layers)
    save_attention_npz(maps, out, model=enc.spec.id)
    click.echo(f"{len(maps)} sequences, layers {list(maps[0].layers)}, {enc.num_heads} heads -> {out}",
               err=True)
    if png is not None:
        plot_attention(maps[0], png, head=plot_head)
        click.echo(f"heatmap of {maps[0].name} -> {png}", err=True)


@click.command()
@_inputs
@click.option("--output", "-o", required=True, metavar="OUT.parquet",
              help="One row per sequence: id, target, output, baseline_output, delta, bases, attribution "
              "(per base), tokens, token_start, token_end, token_attribution.")
@click.option("--target", default=None, metavar="LABEL",
              help="The label to explain (a regressor: its one output). Default: each sequence's "
              "predicted label.")
@click.option("--steps", type=click.IntRange(min=2), default=50, show_default=True,
              help="Integrated-gradients steps from the baseline to the sequence.")
@click.option("--baseline", type=click.Choice(["pad", "mask"]), default="pad", show_default=True,
              help="The baseline: the sequence's tokens replaced by [PAD] or [MASK] (special tokens kept).")
@click.option("--plot", type=str, default=None, metavar="PNG",
              help="A track per sequence (the first 8): each base's attribution, the bases under short ones.")
def explain(inputs: tuple[str, ...], model: str, device: str, dtype: str, id_column: str,
            sequence_column: str, output: str, target: str | None, steps: int,
            baseline: Literal["pad", "mask"], plot: str | None) -> None:
    """Per-base attributions of a fine-tuned classifier or regressor (MODEL: its directory) on INPUT....

    Integrated gradients (Captum) on the token embeddings, for the target label's logit; a token's
    score is spread evenly over the bases it covers and a base sums its tokens' shares. Captum's
    convergence delta (sum of the attributions minus the output's change from the baseline) is in
    the `delta` column. Needs dnallm-zoo[interpret].
    """
    from .._attribution import explain as run_explain
    from .._attribution import plot_attributions, resolve_target, save_attributions
    from .._loading import load, spec_of

    out = _suffix(output, (".parquet",), "-o")
    png = _suffix(plot, (".png",), "--plot") if plot else None
    spec = spec_of(model)
    if spec is not None:
        resolve_target(spec, target, model=model)
    records = _records(inputs, id_column, sequence_column)
    enc = load(model, device=device, dtype=dtype.lower())
    rows = run_explain(enc, records, target=target, steps=steps, baseline=baseline)
    save_attributions(rows, out, model=enc.spec.id)
    worst = max(abs(a.delta) for a in rows)
    click.echo(f"{len(rows)} sequences explained ({steps} steps, largest |delta| {worst:.2g}) -> {out}",
               err=True)
    if png is not None:
        plot_attributions(rows, png)
        click.echo(f"tracks -> {png}", err=True)


@click.command("plot-embeddings")
@click.argument("table", metavar="EMBEDDINGS")
@click.option("--output", "-o", required=True, metavar="PNG")
@click.option("--color-by", default=None, metavar="COLUMN",
              help="A column of EMBEDDINGS (source, length, ...) or of --annotations to colour the "
              "points by.")
@click.option("--annotations", default=None, metavar="TABLE",
              help="A CSV/TSV/Parquet table with an `id` column whose other columns (a label) can colour "
              "the points; joined on id.")
@click.option("--column", default=None, metavar="NAME",
              help="The vector column (default: embedding; a layer's: embedding_6).")
@click.option("--method", type=click.Choice(["pca", "umap"]), default="pca", show_default=True,
              help="pca (scikit-learn) or umap (needs umap-learn).")
@click.option("--seed", type=int, default=0, show_default=True)
def plot_embeddings(table: str, output: str, color_by: str | None, annotations: str | None,
                    column: str | None, method: Literal["pca", "umap"], seed: int) -> None:
    """A 2-D map of the vectors in EMBEDDINGS (an `embed` output, .parquet or .npz), one point per row."""
    from .._projection import annotate, plot_projection, read_embedding_table

    png = _suffix(output, (".png",), "-o")
    data = read_embedding_table(table, column=column)
    if annotations is not None:
        data = annotate(data, annotations)
    if color_by is not None and color_by not in data.columns:
        hint = "" if annotations else " (other columns: --annotations TABLE, joined on id)"
        raise InputError(f"--color-by {color_by!r}: no such column; there are {sorted(data.columns)}{hint}")
    plot_projection(data, png, color_by=color_by, method=method, seed=seed)
    click.echo(f"{len(data.vectors)} rows of {data.column}, {method.upper()} -> {png}", err=True)
