"""Scoring a trained directory (a fine-tuned model or a linear probe) on labelled data: `evaluate`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CheckpointError
from .data import LabeledData, Task, read_labeled
from .metrics import compute_metrics
from .probe import LinearProbe, embed_features, is_probe_dir
from .progress import sequence_bar

__all__ = ["Trained", "evaluate", "load_trained"]


@dataclass
class Trained:
    """A directory `finetune` wrote (or any fine-tuned checkpoint), ready to score sequences."""

    path: Path
    task: Task
    label_names: list[str]
    sequence_column: str
    label_columns: list[str]
    encoder: Any  # the DNAEncoder: the base model of a probe, the fine-tuned model otherwise
    probe: LinearProbe | None = None
    model: Any = None  # the ZooModel of a fine-tuned directory

    def scores(self, sequences: list[str], *, progress: Any = None) -> Any:
        """Probabilities [N, C] (multilabel [N, L], regression predictions [N, T]); token: per-base rows."""
        if self.probe is not None:
            feats = embed_features(self.encoder, sequences, token=self.task == "token", progress=progress)
            if self.task == "token":
                return [self.probe.scores(f) for f in feats]
            return self.probe.scores(feats)
        if self.task == "token":
            return self.model.predict_bases(sequences)
        rows = [r.vector for r in self.encoder.predict_iter(sequences, long="error", progress=progress)]
        return np.stack(rows) if rows else np.zeros((0, len(self.label_names)))


def load_trained(path: str | Path, *, device: str = "auto", encoder: Any = None) -> Trained:
    """Load a probe directory (its base model too, unless `encoder` is given) or a fine-tuned model."""
    p = Path(path)
    run = _run_record(p)
    if is_probe_dir(p):
        probe = LinearProbe.load(p)
        if encoder is None:
            import dnallm_zoo

            encoder = dnallm_zoo.load(probe.model, device=device)
        return Trained(p, probe.task, probe.label_names, run.get("sequence_column", "sequence"),
                       run.get("label_columns", ["label"]), encoder, probe=probe)
    from ..compat import ZooModel

    model = ZooModel.from_pretrained(p, device=device)
    model.eval()
    spec = model.encoder.spec
    task = run.get("task") or _task_of(spec, p)
    names = list(spec.labels or run.get("label_names") or [])
    return Trained(p, task, names, run.get("sequence_column", "sequence"),
                   run.get("label_columns", ["label"]), model.encoder, model=model)


def _run_record(p: Path) -> dict[str, Any]:
    """metrics.json of a `finetune` run, if the directory has one."""
    f = p / "metrics.json"
    if not f.is_file():
        return {}
    try:
        return dict(json.loads(f.read_text()))
    except (OSError, ValueError):
        return {}


def _task_of(spec: Any, p: Path) -> Task:
    """The task of a fine-tuned checkpoint from its head (config's architectures and problem_type)."""
    head = getattr(spec, "task", None)
    problem = getattr(spec, "problem_type", None)
    labels = getattr(spec, "labels", None) or ()
    if head == "token-classification":
        return "token"
    if head != "sequence-classification":
        raise CheckpointError(f"{p}: {spec.id} has no task head to evaluate (its head: {head or 'none'}); "
                              "fine-tune it first (`dnallm-zoo finetune`)")
    if problem == "multi-label":
        return "multilabel"
    if problem == "regression":
        return "regression"
    return "binary" if len(labels) == 2 else "multiclass"


def evaluate(
    model_dir: str | Path | Trained,
    data: LabeledData | str | Path,
    *,
    sequence_column: str | None = None,
    label_column: str | list[str] | None = None,
    device: str = "auto",
    encoder: Any = None,
    progress: bool = False,
) -> dict[str, float]:
    """The metrics of a trained directory on a labelled file (or already read data).

    The file is read with the model's labels; columns default to those the training run used.
    """
    trained = model_dir if isinstance(model_dir, Trained) else load_trained(model_dir, device=device,
                                                                             encoder=encoder)
    if not isinstance(data, LabeledData):
        data = read_labeled(data, trained.task,
                            sequence_column=sequence_column or trained.sequence_column,
                            label_column=label_column or trained.label_columns,
                            label_names=trained.label_names or None, training=False)
    scores = trained.scores(data.sequences, progress=sequence_bar(len(data), "scoring", progress))
    return compute_metrics(trained.task, data.labels, scores, label_names=data.label_names)
