"""The training commands: finetune and evaluate (torch, transformers and scikit-learn load inside them)."""

from __future__ import annotations

import json
from importlib.util import find_spec
from typing import Any

import click

from .._names import FINETUNE_METHODS, FINETUNE_TASKS, FinetuneMethod, FinetuneTask
from ..errors import ZooError

__all__ = ["evaluate", "finetune"]

TASK_CHOICES = FINETUNE_TASKS  # the tasks of dnallm_zoo.finetune.data
_EXTRA = ("accelerate", "sklearn", "scipy")


def _require(*modules: str) -> None:
    missing = [m for m in modules if find_spec(m) is None]
    if missing:
        names = ", ".join("scikit-learn" if m == "sklearn" else m for m in missing)
        raise ZooError(f"fine-tuning needs {names}: pip install 'dnallm-zoo[finetune]'")


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
@click.option("--model", "-m", required=True, metavar="NAME|DIR",
              help="The base model: a zoo id, alias, 'plugin:id' or a checkpoint directory.")
@click.option("--train", "train_path", required=True, metavar="FILE",
              help="Training data: .csv, .tsv, .parquet, or FASTA (the label: the header's last '|' field).")
@click.option("--eval", "eval_path", default=None, metavar="FILE",
              help="Evaluation data (same format): scored each epoch; the best epoch is kept.")
@click.option("--task", required=True, type=click.Choice(TASK_CHOICES))
@click.option("--output", "-o", required=True, metavar="DIR", help="Where the model and metrics.json go.")
@click.option("--method", type=click.Choice(FINETUNE_METHODS), default="full", show_default=True,
              help="full: every weight; lora: adapters (peft), merged on save; probe: a linear head on "
                   "frozen embeddings.")
@click.option("--epochs", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--learning-rate", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Default: 5e-5 (full), 1e-4 (lora).")
@click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--metric", default=None,
              help="The evaluation metric that picks the kept epoch. Default: mcc (binary, multiclass, "
                   "token), f1 (multilabel), r2 (regression).")
@click.option("--sequence-column", default="sequence", show_default=True)
@click.option("--label-column", multiple=True, default=("label",), show_default=True,
              help="Repeat for several regression targets.")
@click.option("--num-labels", type=click.IntRange(min=1), default=None,
              help="Classes (or labels) when the file uses indices and not every class occurs.")
@click.option("--rc-augment", is_flag=True, help="Add the reverse complement of every training sequence.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@click.option("--overwrite", is_flag=True, help="Write into a non-empty output directory.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def finetune(
    model: str, train_path: str, eval_path: str | None, task: FinetuneTask, output: str,
    method: FinetuneMethod, epochs: int, learning_rate: float | None, batch_size: int, seed: int,
    metric: str | None, sequence_column: str, label_column: tuple[str, ...], num_labels: int | None,
    rc_augment: bool, device: str, overwrite: bool, quiet: bool,
) -> None:
    """Train MODEL on a labelled file: a new task head (full or LoRA fine-tuning), or a linear probe.

    Every bad row of the data (a label outside the classes, one class only, a missing column, an
    empty or ragged file, a target that is no number, per-base labels of the wrong length, a
    sequence the model cannot read) is named before training starts. Writes DIR/metrics.json and,
    with matplotlib, DIR/learning_curves.png; prints the evaluation's metrics.
    """
    _require(*_EXTRA, *(("peft",) if method == "lora" else ()))
    from ..finetune.data import read_labeled
    from ..finetune.train import TrainConfig
    from ..finetune.train import finetune as run

    columns = list(label_column)
    train = read_labeled(train_path, task, sequence_column=sequence_column,
                         label_column=columns, num_labels=num_labels)
    evald = None
    if eval_path is not None:
        evald = read_labeled(eval_path, task, sequence_column=sequence_column,
                             label_column=columns, label_names=train.label_names, training=False)
    cfg = TrainConfig(method=method, epochs=epochs, learning_rate=learning_rate,
                      batch_size=batch_size, seed=seed, metric=metric, rc_augment=rc_augment, device=device,
                      progress=not quiet)
    record = run(model, train, evald, output, cfg, overwrite=overwrite, echo=_echo_err)
    shown = record.get("eval_metrics") or record.get("train_metrics")
    if shown:
        where = "evaluation" if record.get("eval_metrics") else "training"
        click.echo(f"# {where} metrics ({method}, {output})")
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
    _require(*_EXTRA)
    from ..finetune.evaluation import evaluate as run
    from ..finetune.metrics import for_json

    metrics = run(model_dir, data, sequence_column=sequence_column, label_column=list(label_column) or None,
                  device=device, progress=not quiet)
    if as_json:
        click.echo(json.dumps(for_json(metrics)))
    else:
        click.echo(_table(metrics))
