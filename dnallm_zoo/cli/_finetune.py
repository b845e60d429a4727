"""The training commands: finetune and evaluate (torch, transformers and scikit-learn load inside them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .._names import FINETUNE_METHODS, FINETUNE_TASKS
from ._training import command_line_values, require, training_options

__all__ = ["evaluate", "finetune"]

TASK_CHOICES = FINETUNE_TASKS  # the tasks of dnallm_zoo.finetune.data


def _table(metrics: dict[str, Any]) -> str:
    width = max((len(k) for k in metrics), default=0)
    lines = []
    for k, v in metrics.items():
        shown = "n/a" if v is None or (isinstance(v, float) and v != v) else f"{v:.4f}"
        lines.append(f"{k:<{width}}  {shown}")
    return "\n".join(lines)


def _echo_err(line: str) -> None:
    click.echo(line, err=True)


@click.command()
@click.option("--model", "-m", default=None, metavar="NAME|DIR",
              help="The base model: a zoo id, alias, 'plugin:id' or a checkpoint directory.")
@click.option("--train", "train", default=None, metavar="FILE",
              help="Training data: .csv, .tsv, .parquet, or FASTA (the label: the header's last '|' field).")
@click.option("--eval", "eval", default=None, metavar="FILE",
              help="Evaluation data (same format): scored each epoch; the best epoch is kept.")
@click.option("--task", default=None, type=click.Choice(TASK_CHOICES), help="Required (here or in --config).")
@click.option("--output", "-o", default=None, metavar="DIR",
              help="Where the model, metrics.json and config.yaml go. Required (here or in --config).")
@click.option("--method", type=click.Choice(FINETUNE_METHODS), default="full", show_default=True,
              help="full: every weight; lora: adapters (peft), merged on save; probe: a linear head on "
                   "frozen embeddings.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--num-labels", type=click.IntRange(min=1), default=None,
              help="Classes (or labels) when the file uses indices and not every class occurs.")
@training_options
@click.option("--overwrite", is_flag=True, help="Write into a non-empty output directory.")
@click.pass_context
def finetune(ctx: click.Context, config: str | None, quiet: bool, overwrite: bool, **_: Any) -> None:
    """Train MODEL on a labelled file: a new task head (full or LoRA fine-tuning), or a linear probe.

    Every bad row of the data (a label outside the classes, one class only, a missing column, an
    empty or ragged file, a target that is no number, per-base labels of the wrong length, a
    sequence the model cannot read) is named before training starts. Writes DIR/metrics.json,
    DIR/config.yaml (the settings: `--config DIR/config.yaml` reruns it) and, with matplotlib,
    DIR/learning_curves.png; prints the evaluation's metrics.
    """
    require()
    from ..finetune.config import FinetuneSettings, read_settings, write_settings
    from ..finetune.data import read_labeled
    from ..finetune.train import finetune as run

    s = read_settings(FinetuneSettings, config, command_line_values(ctx))
    if s.method == "lora":
        require("peft")
    train = read_labeled(s.train, s.task, sequence_column=s.sequence_column, label_column=s.label_column,
                         num_labels=s.num_labels)
    evald = None
    if s.eval is not None:
        evald = read_labeled(s.eval, s.task, sequence_column=s.sequence_column, label_column=s.label_column,
                             label_names=train.label_names, training=False)
    cfg = s.train_config(s.method, s.seed, progress=not quiet)
    record = run(s.model, train, evald, s.output, cfg, overwrite=overwrite, echo=_echo_err)
    write_settings(s, Path(s.output) / "config.yaml", header="dnallm-zoo finetune settings; rerun: "
                   "dnallm-zoo finetune --config config.yaml")
    shown = record.get("eval_metrics") or record.get("train_metrics")
    if shown:
        where = "evaluation" if record.get("eval_metrics") else "training"
        click.echo(f"# {where} metrics ({s.method}, {s.output})")
        click.echo(_table(shown))


@click.command()
@click.option("--model", "-m", "model_dir", required=True, metavar="DIR",
              help="A directory `dnallm-zoo finetune` wrote (or another fine-tuned checkpoint).")
@click.option("--data", required=True, metavar="FILE", help="Labelled data, as for finetune.")
@click.option("--sequence-column", default=None, help="Default: the column the model was trained with.")
@click.option("--label-column", multiple=True, help="Default: the column(s) the model was trained with.")
@click.option("--device", default="auto", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def evaluate(model_dir: str, data: str, sequence_column: str | None, label_column: tuple[str, ...],
             device: str, as_json: bool, quiet: bool) -> None:
    """Score a fine-tuned model or a linear probe on labelled data: the metrics finetune prints."""
    require()
    from ..finetune.evaluation import evaluate as run
    from ..finetune.metrics import for_json

    metrics = run(model_dir, data, sequence_column=sequence_column, label_column=list(label_column) or None,
                  device=device, progress=not quiet)
    if as_json:
        click.echo(json.dumps(for_json(metrics)))
    else:
        click.echo(_table(metrics))
