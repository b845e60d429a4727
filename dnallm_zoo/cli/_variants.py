"""The commands that score variants: vep and mutagenesis (torch loads only when a model runs).

Both are commands of the shared `Run` (`variants._command`): the same output checks, shards, resume,
engines and summary as `embed`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from .._options import InputOptions, LoadOptions, OutputOptions
from ..errors import InputError
from ._job import open_run, run_command
from ._options import DEFAULT_SHARD_SIZE, EngineOptions, engine_options, load_flags

if TYPE_CHECKING:
    from ..variants._command import Marginal, ScoreOptions, Strand

__all__ = ["mutagenesis", "vep"]


def _run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Model, output and scoring options shared by vep and mutagenesis."""
    opts = [
        click.option("--model", "-m", required=True, metavar="NAME|DIR",
                     help="A masked-LM model: id, alias, hub id, 'plugin:id' or a checkpoint directory."),
        click.option("--output", "-o", required=True, metavar="OUT.parquet|DIR/",
                     help="A Parquet file, written atomically (complete or absent), or a directory "
                     "(trailing '/') of Parquet shards and _manifest.json, resumable."),
        click.option("--shard-size", type=click.IntRange(min=1), default=None,
                     help=f"Rows per shard of a directory output. [default: {DEFAULT_SHARD_SIZE}]"),
        click.option("--resume", is_flag=True,
                     help="Continue the killed run in the output directory, skipping the rows it wrote."),
        click.option("--window", type=click.IntRange(min=1), default=None,
                     help="Bases around each variant. Default: the most the model takes in one pass."),
        click.option("--strand", type=click.Choice(["both", "forward"]), default="both", show_default=True,
                     help="both: llr is the mean of the forward and reverse-complement scores."),
        click.option("--marginal", type=click.Choice(["masked", "wildtype"]), default="masked",
                     show_default=True, help="masked: the variant's tokens masked; wildtype: read from one "
                     "unmasked pass of the window."),
        *load_flags(),
    ]
    fn = engine_options(fn)  # listed after the others in --help
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def _score_options(window: int | None, strand: str, marginal: str, token_budget: int) -> ScoreOptions:
    from ..variants._command import ScoreOptions

    return ScoreOptions(window=window, strand=cast("Strand", strand), marginal=cast("Marginal", marginal),
                        token_budget=token_budget)


def _load(model: str, device: str, dtype: str, cache_dir: Path | None) -> LoadOptions:
    return LoadOptions(model, device=device, dtype=dtype.lower(),
                       cache_dir=None if cache_dir is None else str(cache_dir))


@click.command()
@click.argument("variants", metavar="VARIANTS")
@click.option("--reference", "-r", required=True, metavar="GENOME.fa",
              help="FASTA, plain, gzip or bgzip (faidx-indexed by pysam; plain gzip is read into memory).")
@_run_options
@click.option("--no-embedding", is_flag=True, help="Leave out embed_l2 and embed_cosine (two passes fewer).")
@click.option("--skip-invalid", is_flag=True,
              help="Score the good variants; the bad ones are listed in OUT.parquet.skipped.tsv.")
def vep(variants: str, reference: str, model: str, output: str, shard_size: int | None, resume: bool,
        window: int | None, strand: str, marginal: str, device: str, dtype: str, cache_dir: Path | None,
        token_budget: int, engine: EngineOptions, no_embedding: bool, skip_invalid: bool) -> None:
    """Zero-shot scores of every variant of VARIANTS against the reference genome, into OUTPUT.

    VARIANTS is a VCF (plain or bgzipped) or a table (.csv, .tsv, .parquet) with columns chrom, pos
    (1-based), ref, alt and optionally id. One row per alternative allele, in input order: chrom,
    pos, id, ref, alt, llr (masked-marginal log-likelihood ratio, mean of the strands), llr_forward,
    llr_reverse, embed_l2, embed_cosine, window_start (0-based), window_end, status ('ok' or why a
    score is null), n (the allele's number in VARIANTS) and source. Every bad variant (REF
    not the genome's, unknown contig, position past the end, alleles other than ACGTN, malformed VCF
    line, missing column) is named before any model work; definitions: docs/variant-effects.md.
    """
    from ..variants._command import VariantScoring

    engine.check(output)
    run = open_run(InputOptions((variants,), skip_invalid=skip_invalid),
                   OutputOptions(output, shard_size=shard_size, resume=resume))
    command = VariantScoring(reference, _score_options(window, strand, marginal, token_budget),
                             embedding=not no_embedding)
    run_command(run, command, engine.runner(_load(model, device, dtype, cache_dir), run.shard_size))


@click.command()
@click.argument("sequences", metavar="[SEQS.fa]", required=False)
@click.option("--region", "regions", multiple=True, metavar="CHROM:START-END",
              help="A region of --reference (1-based, inclusive), or a contig name; repeatable.")
@click.option("--reference", "-r", default=None, metavar="GENOME.fa",
              help="The genome --region is read from.")
@_run_options
@click.option("--plot", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="ISM.png",
              help="A heatmap (positions x bases, reference bases marked); needs matplotlib "
              "(dnallm-zoo[plot]).")
def mutagenesis(sequences: str | None, regions: tuple[str, ...], reference: str | None, model: str,
                output: str, shard_size: int | None, resume: bool, window: int | None, strand: str,
                marginal: str, device: str, dtype: str, cache_dir: Path | None, token_budget: int,
                engine: EngineOptions, plot: Path | None) -> None:
    """In-silico saturation mutagenesis: the llr of each of the three other bases at every position.

    Every sequence of SEQS.fa whole, or each --region of --reference. The masked marginal takes one
    forward pass per position (and strand): every alternative is read from its logits; --marginal
    wildtype one pass per window, read at every position it holds. Rows: chrom, pos, ref, alt, llr,
    llr_forward, llr_reverse, window_start, window_end, status, n (the substitution's number) and
    source.
    """
    from ..variants._command import Mutagenesis

    if (sequences is None) == (reference is None):
        raise click.UsageError("give SEQS.fa, or --region with --reference")
    if regions and reference is None:
        raise click.UsageError("--region needs --reference")
    if reference is not None and not regions:
        raise click.UsageError("--reference needs --region (or give SEQS.fa to mutate every sequence)")
    if plot is not None:
        _check_plot(plot)
    engine.check(output)
    source = sequences if sequences is not None else reference
    assert source is not None  # checked above: one of the two is given
    run = open_run(InputOptions((source,)), OutputOptions(output, shard_size=shard_size, resume=resume))
    command = Mutagenesis(source, _score_options(window, strand, marginal, token_budget), regions=regions)
    result = run_command(run, command, engine.runner(_load(model, device, dtype, cache_dir), run.shard_size))
    if engine.engine == "local":
        stats = command.stats
        click.echo(f"{stats.llr_passes:,} forward passes ({stats.llr_tokens:,} tokens)", err=True)
    if plot is not None:
        from ..variants._plot import heatmap

        rows, model_id = _read_rows(result.output)
        heatmap(rows, plot, title=f"{model_id}: in-silico mutagenesis ({marginal} marginal)")
        click.echo(f"heatmap -> {plot}", err=True)


def _read_rows(out: Path) -> tuple[list[dict[str, Any]], str]:
    """The rows of a file or shard directory, and the model that wrote them."""
    import pyarrow.parquet as pq

    table = pq.read_table(str(out))
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows, (table.schema.metadata or {}).get(b"model", b"?").decode()


def _check_plot(plot: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise InputError("--plot needs matplotlib: pip install 'dnallm-zoo[plot]'")
    if not re.search(r"\.(png|pdf|svg)$", plot.name, re.I):
        raise click.UsageError(f"--plot {plot}: name a .png (or .pdf, .svg) file")
