"""The commands that score variants: vep and mutagenesis (torch loads only when a model runs)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .._batching import DEFAULT_TOKEN_BUDGET
from .._names import DTYPE_CHOICES
from ..errors import InputError
from ._options import _check_device
from ._progress import Progress

if TYPE_CHECKING:
    from .._encoder import DNAEncoder

__all__ = ["mutagenesis", "vep"]

DEFAULT_SHARD_ROWS = 10_000


def _run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Model, output and scoring options shared by vep and mutagenesis."""
    opts = [
        click.option("--model", "-m", required=True, metavar="NAME|DIR",
                     help="A masked-LM model: id, alias, hub id, 'plugin:id' or a checkpoint directory."),
        click.option("--output", "-o", required=True, metavar="OUT.parquet|DIR/",
                     help="A Parquet file, written atomically (complete or absent), or a directory "
                     "(trailing '/') of Parquet shards and _manifest.json, resumable."),
        click.option("--shard-size", type=click.IntRange(min=1), default=None,
                     help=f"Rows per shard of a directory output. [default: {DEFAULT_SHARD_ROWS}]"),
        click.option("--resume", is_flag=True,
                     help="Continue the killed run in the output directory after the rows it wrote."),
        click.option("--window", type=click.IntRange(min=1), default=None,
                     help="Bases around each variant. Default: the most the model takes in one pass."),
        click.option("--strand", type=click.Choice(["both", "forward"]), default="both", show_default=True,
                     help="both: llr is the mean of the forward and reverse-complement scores."),
        click.option("--marginal", type=click.Choice(["masked", "wildtype"]), default="masked",
                     show_default=True, help="masked: the variant's tokens masked; wildtype: read from one "
                     "unmasked pass of the window."),
        click.option("--device", default="auto", show_default=True, callback=_check_device,
                     help="auto, cpu, cuda, cuda:N or mps."),
        click.option("--dtype", default="auto", show_default=True,
                     type=click.Choice(DTYPE_CHOICES, case_sensitive=False)),
        click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                     help="Hub cache to read and fill."),
        click.option("--token-budget", type=click.IntRange(min=1), default=DEFAULT_TOKEN_BUDGET,
                     show_default=True, help="Most tokens (padding included) in one forward pass."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def _load(model: str, device: str, dtype: str, cache_dir: Path | None) -> DNAEncoder:
    from .._loading import load

    return load(model, device=device, dtype=dtype.lower(), cache_dir=cache_dir)


def _check_output(output: str, shard_size: int | None, resume: bool) -> tuple[Path, bool]:
    """The output path, and whether it is a directory of shards."""
    from .._shards import is_shard_dir

    p = Path(output)
    if is_shard_dir(output):
        return p, True
    if resume:
        raise click.UsageError("--resume continues a directory output (-o DIR/)")
    if shard_size is not None:
        raise click.UsageError("--shard-size applies to a directory output (-o DIR/)")
    if p.suffix.lower() not in (".parquet", ".pq"):
        raise click.UsageError(f"{output}: the output is Parquet (.parquet), or a directory DIR/")
    if not p.parent.is_dir():
        raise InputError(f"{output}: its directory {p.parent} does not exist")
    return p, False


def _write(out: Path, sharded: bool, rows_after: Callable[[int], Iterator[dict[str, Any]]],
           columns: Sequence[str], meta: dict[str, str], *, expected: int, key_at: Callable[[int], str],
           shard_size: int | None, resume: bool) -> tuple[int, int]:
    """The one place rows are written: a Parquet file, or shards resumed after the rows written.
    Returns (rows written now, rows a resumed run had written)."""
    from ..variants._output import RowShards, row_key, write_parquet

    if not sharded:
        return write_parquet(out, rows_after(0), columns, meta), 0
    shards = RowShards(out, columns, meta, shard_size=shard_size or DEFAULT_SHARD_ROWS, expected=expected)
    done = shards.start(resume=resume, key_at=key_at)
    return shards.write(rows_after(done), row_key) - done, done


def _metadata(encoder: DNAEncoder, **options: Any) -> dict[str, str]:
    from .. import __version__
    from ..variants import resolve_rule

    return {"dnallm_zoo_version": __version__, "model": encoder.spec.id, "rule": resolve_rule(encoder),
            "window": str(options.pop("window") or encoder.max_bases),
            **{k: v if isinstance(v, str) else json.dumps(v) for k, v in options.items()}}


def _counted(rows: Iterator[dict[str, Any]], progress: Progress) -> Iterator[dict[str, Any]]:
    for row in rows:
        progress(1, 1)
        yield row


def _summary(progress: Progress, n: int, what: str, output: Path) -> str:
    secs = progress.seconds
    rate = n / secs if secs > 0 else 0.0
    return f"scored {n:,} {what} in {secs:.1f} s ({rate:,.1f}/s) -> {output}"


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
        token_budget: int, no_embedding: bool, skip_invalid: bool) -> None:
    """Zero-shot scores of every variant of VARIANTS against the reference genome, into OUTPUT.

    VARIANTS is a VCF (plain or bgzipped) or a table (.csv, .tsv, .parquet) with columns chrom, pos
    (1-based), ref, alt and optionally id. One row per alternative allele, in input order: chrom, pos,
    id, ref, alt, llr (masked-marginal log-likelihood ratio, mean of the strands), llr_forward,
    llr_reverse, embed_l2, embed_cosine, window_start (0-based), window_end, status ('ok' or why a
    score is null). Every bad variant (REF not the genome's, unknown contig, position past the end,
    alleles other than ACGTN, malformed VCF line, missing column) is named before any model work;
    definitions: docs/variant-effects.md.
    """
    from .._validation import BadRecordsError, skipped_path, write_skipped
    from ..variants import COLUMNS, ScoreStats, open_reference, screen_variants
    from ..variants._output import row_key
    from ..variants._scoring import score_iter

    out, sharded = _check_output(output, shard_size, resume)
    ref = open_reference(reference)
    good, problems = screen_variants(variants, ref)
    if problems and not skip_invalid:
        raise BadRecordsError(problems, hint="; nothing was written (--skip-invalid scores the others)")
    encoder = _load(model, device, dtype, cache_dir)
    meta = _metadata(encoder, window=window, strand=strand, marginal=marginal, embedding=not no_embedding,
                     variants=variants, reference=reference)
    stats = ScoreStats()
    with Progress("scoring") as progress:
        def rows_after(done: int) -> Iterator[dict[str, Any]]:
            return _counted(score_iter(encoder, good[done:], ref, window=window, strand=strand,
                                       marginal=marginal, embedding=not no_embedding,
                                       token_budget=token_budget, stats=stats), progress)

        n, resumed = _write(out, sharded, rows_after, COLUMNS, meta, expected=len(good),
                            key_at=lambda i: row_key(good[i].__dict__), shard_size=shard_size, resume=resume)
    if skip_invalid:
        path = skipped_path(output)
        write_skipped(path, problems)
        click.echo(f"skipped {len(problems)} bad variant{'s' * (len(problems) != 1)} (listed in {path})",
                   err=True)
    if resumed:
        click.echo(f"resumed: {resumed:,} rows were already written in {out}", err=True)
    click.echo(_summary(progress, n, "variants", out), err=True)


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
                plot: Path | None) -> None:
    """In-silico saturation mutagenesis: the llr of each of the three other bases at every position.

    Every sequence of SEQS.fa whole, or each --region of --reference. The masked marginal takes one
    forward pass per position (and strand): every alternative is read from its logits; --marginal
    wildtype one pass per window, read at every position it holds. Rows: chrom, pos, ref, alt, llr,
    llr_forward, llr_reverse, window_start, window_end, status.
    """
    from ..variants import (
        ISM_COLUMNS,
        ScoreStats,
        mutagenesis_iter,
        open_reference,
        parse_region,
        regions_of,
        substitutions,
    )
    from ..variants._output import row_key

    if (sequences is None) == (reference is None):
        raise click.UsageError("give SEQS.fa, or --region with --reference")
    if regions and reference is None:
        raise click.UsageError("--region needs --reference")
    if reference is not None and not regions:
        raise click.UsageError("--reference needs --region (or give SEQS.fa to mutate every sequence)")
    out, sharded = _check_output(output, shard_size, resume)
    if plot is not None:
        _check_plot(plot)
    source = sequences if sequences is not None else reference
    assert source is not None  # checked above: one of the two is given
    ref = open_reference(source)
    chosen = regions_of(ref, [parse_region(r, ref) for r in regions] if regions else None)
    subs = [row_key(v.__dict__) for region in chosen for v in substitutions(region, ref)]
    encoder = _load(model, device, dtype, cache_dir)
    meta = _metadata(encoder, window=window, strand=strand, marginal=marginal,
                     input=sequences or reference, regions=list(regions))
    stats = ScoreStats()
    kept: list[dict[str, Any]] = []
    with Progress("mutating") as progress:
        def rows_after(done: int) -> Iterator[dict[str, Any]]:
            for row in _counted(mutagenesis_iter(encoder, ref, chosen, window=window, strand=strand,
                                                 marginal=marginal, token_budget=token_budget, stats=stats,
                                                 skip=done), progress):
                if plot is not None:
                    kept.append(row)
                yield row

        n, resumed = _write(out, sharded, rows_after, ISM_COLUMNS, meta, expected=len(subs),
                            key_at=subs.__getitem__, shard_size=shard_size, resume=resume)
    if plot is not None:
        from ..variants._plot import heatmap

        if resumed:
            kept = _read_rows(out)
        heatmap(kept, plot, title=f"{encoder.spec.id}: in-silico mutagenesis ({marginal} marginal)")
        click.echo(f"heatmap -> {plot}", err=True)
    if resumed:
        click.echo(f"resumed: {resumed:,} rows were already written in {out}", err=True)
    click.echo(f"{stats.llr_passes:,} forward passes ({stats.llr_tokens:,} tokens)", err=True)
    click.echo(_summary(progress, n, "substitutions", out), err=True)


def _read_rows(out: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = pq.read_table(str(out)).to_pylist()
    return rows


def _check_plot(plot: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise InputError("--plot needs matplotlib: pip install 'dnallm-zoo[plot]'")
    if not re.search(r"\.(png|pdf|svg)$", plot.name, re.I):
        raise click.UsageError(f"--plot {plot}: name a .png (or .pdf, .svg) file")
