"""Fine-tuning zoo models: labelled data, metrics, a linear probe, and training with transformers' Trainer.

Modules: `data` (CSV/TSV/Parquet/FASTA with labels, bad rows named), `augment` (reverse complements),
`metrics` (scikit-learn/scipy), `probe` (a linear head on frozen embeddings), `train` (full or LoRA
fine-tuning under `transformers.Trainer`), `sampler` (batches grouped by length over the whole set),
`evaluation` (scoring a trained directory), `config` (the settings files of finetune and benchmark).
Needs the extra `dnallm-zoo[finetune]`; the training names are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr
from .augment import reverse_complement, with_reverse_complements
from .data import IGNORE_INDEX, TASKS, LabeledData, Task, read_labeled
from .metrics import DEFAULT_METRIC, compute_metrics, trainer_metrics
from .probe import LinearProbe, fit_probe

if TYPE_CHECKING:
    from .evaluation import evaluate
    from .train import TrainConfig, finetune

__getattr__ = lazy_getattr(__name__, {
    "TrainConfig": ".train", "finetune": ".train", "evaluate": ".evaluation",
})

__all__ = [
    "DEFAULT_METRIC",
    "IGNORE_INDEX",
    "TASKS",
    "LabeledData",
    "LinearProbe",
    "Task",
    "TrainConfig",
    "compute_metrics",
    "evaluate",
    "finetune",
    "fit_probe",
    "read_labeled",
    "reverse_complement",
    "trainer_metrics",
    "with_reverse_complements",
]
