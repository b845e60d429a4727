"""The benchmark command: every model x dataset x method, over folds and seeds (training libraries load
inside it)."""

from __future__ import annotations

from typing import Any

import click

from ._finetune import TASK_CHOICES
from ._training import command_line_values, require, training_options

__all__ = ["benchmark"]


@click.command()
@click.option("--models", default=None, metavar="A,B,...",
              help="Models to compare: zoo ids, aliases or checkpoint directories, comma-separated.")
@click.option("--data", default=None, metavar="TASK.csv[,DIR/,...]",
              help="Datasets, comma-separated: a labelled file (k-fold cross-validation) or a directory with "
                   "train.* and test.* and/or eval.* (given splits).")
@click.option("--method", "methods", default=None, metavar="probe|full|lora[,...]",
              help="Training methods, comma-separated. Default: probe.")
@click.option("--task", default=None, type=click.Choice(TASK_CHOICES),
              help="Every dataset's task. Default: inferred per dataset (class names or integers: binary or "
                   "multiclass; other numbers: regression); multilabel and token must be named.")
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True,
              help="k of the cross-validation of single-file datasets (stratified for classification).")
@click.option("--seeds", default="0", show_default=True, metavar="S1,S2,...",
              help="Seeds: each repeats every cell (folds drawn and models trained from it).")
@click.option("--eval-fraction", type=click.FloatRange(0, 1, max_open=True), default=0.0, show_default=True,
              help="Share of a fold's training rows held out to pick the epoch of full and LoRA training.")
@click.option("--output", "-o", default=None, metavar="DIR",
              help="Where results.parquet, results.md, plots/, cells/ and benchmark.yaml go. Required.")
@training_options
@click.option("--keep-models", is_flag=True, help="Keep each cell's trained model in DIR/models/.")
@click.option("--retry-failed", is_flag=True, help="When resuming, run the cells that failed again.")
@click.option("--overwrite", is_flag=True, help="Start afresh in a directory holding another benchmark.")
@click.pass_context
def benchmark(ctx: click.Context, config: str | None, quiet: bool, overwrite: bool, retry_failed: bool,
              **_: Any) -> None:
    """Compare models on labelled datasets: every model x dataset x method, over folds and seeds.

    Each cell is trained as `dnallm-zoo finetune` trains and scored as `dnallm-zoo evaluate` scores
    (the same code): DIR/results.parquet holds one row per model, dataset, method, seed, fold and
    metric; DIR/results.md the mean ± sd per model, dataset and method, the best marked; DIR/plots/
    the pictures (with matplotlib). Unknown models, unreadable datasets and impossible folds are
    named before any model work. Each finished cell is written at once: the same command (or
    --config DIR/benchmark.yaml) resumes a killed run. A cell that fails is recorded with its error.
    """
    require()
    from ..benchmark.runner import run_benchmark
    from ..finetune.config import BenchmarkSettings, read_settings

    given = command_line_values(ctx, skip=("config", "quiet", "overwrite", "retry_failed"))
    settings = read_settings(BenchmarkSettings, config, given)
    if "lora" in settings.methods:
        require("peft")
    summary = run_benchmark(settings, overwrite=overwrite, retry_failed=retry_failed, progress=not quiet,
                            echo=lambda line: click.echo(line, err=True))
    click.echo(settings.output.rstrip("/") + "/results.md")
    if summary["failed"]:
        click.echo(f"{summary['failed']} of {summary['cells']} cells failed (their errors: results.md)",
                   err=True)
