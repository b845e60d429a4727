"""Task metrics from scikit-learn and scipy: one `compute_metrics` for training, `evaluate` and the probe.

Classification: accuracy, F1, MCC, AUROC, AUPRC (binary: of the positive class 1; multiclass: F1 macro,
AUROC/AUPRC one-vs-rest macro over the classes present). Multilabel: each per label (`f1_<name>`) and
their macro means, plus `exact_match`. Regression: MSE, MAE, R², Pearson, Spearman (means over targets,
per target as `r2_<name>` when there are several). Token: accuracy, F1, MCC over every labelled base.
A metric that the data leaves undefined (AUROC with one class present) is NaN, written as null in JSON.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .data import IGNORE_INDEX, Task

__all__ = [
    "DEFAULT_METRIC",
    "compute_metrics",
    "for_json",
    "greater_is_better",
    "metric_names",
    "prediction_scores",
    "trainer_metrics",
]

#: the metric that picks the best epoch when --metric is not given
DEFAULT_METRIC: dict[str, str] = {
    "binary": "mcc", "multiclass": "mcc", "multilabel": "f1", "regression": "r2", "token": "mcc",
}
_LOWER_IS_BETTER = ("mse", "mae", "loss")


def greater_is_better(metric: str) -> bool:
    """False for errors and losses (mse, mae, loss), True for the rest."""
    name = metric.removeprefix("eval_")
    return not any(name == m or name.startswith(m + "_") for m in _LOWER_IS_BETTER)


def metric_names(task: Task, label_names: Sequence[str]) -> set[str]:
    """The names `compute_metrics` gives for a task (and `loss`): what --metric may name."""
    if task == "token":
        return {"accuracy", "f1", "mcc", "loss"}
    if task in ("binary", "multiclass"):
        return {"accuracy", "f1", "mcc", "auroc", "auprc", "loss"}
    if task == "multilabel":
        base = ["accuracy", "f1", "mcc", "auroc", "auprc"]
        return {*base, *(f"{m}_{n}" for m in base for n in label_names), "exact_match", "loss"}
    base = ["mse", "mae", "r2", "pearson", "spearman"]
    per = [f"{m}_{n}" for m in base for n in label_names] if len(label_names) > 1 else []
    return {*base, *per, "loss"}


def compute_metrics(
    task: Task,
    labels: Any,
    scores: Any,
    *,
    label_names: Sequence[str] | None = None,
) -> dict[str, float]:
    """Metrics of `scores` against `labels` for a task.

    `scores`: for classification logits or probabilities [N, C] (rows of non-negative numbers summing
    to 1 are taken as probabilities), or hard class predictions [N] (then no AUROC/AUPRC); multilabel
    logits or probabilities [N, L]; regression predictions [N] or [N, T]; token: per-base scores
    [N, L, C] or predictions [N, L], or lists of per-base arrays, with labels [N, L] (or a list)
    where -100 marks a base not counted.
    """
    if task in ("binary", "multiclass"):
        return _classification(np.asarray(labels).reshape(-1), np.asarray(scores), binary=task == "binary")
    if task == "multilabel":
        return _multilabel(np.asarray(labels), np.asarray(scores, dtype=np.float64), label_names)
    if task == "regression":
        return _regression(np.asarray(labels, dtype=np.float64), np.asarray(scores, dtype=np.float64),
                           label_names)
    if task == "token":
        return _token(labels, scores)
    raise ValueError(f"unknown task {task!r}")


def trainer_metrics(task: Task, label_names: Sequence[str] | None = None
                    ) -> Callable[[Any], dict[str, float]]:
    """`compute_metrics` in the form `transformers.Trainer` calls it (an `EvalPrediction`)."""

    def fn(pred: Any) -> dict[str, float]:
        scores = pred.predictions[0] if isinstance(pred.predictions, tuple) else pred.predictions
        return compute_metrics(task, pred.label_ids, scores, label_names=label_names)

    return fn


def prediction_scores(task: Task, scores: Any) -> np.ndarray:
    """Scores as curves read them: class probabilities [N, C], label probabilities [N, L] (multilabel),
    predictions [N, T] (regression)."""
    s = np.asarray(scores, dtype=np.float64)
    if task in ("binary", "multiclass"):
        return _probabilities(s)
    if task == "multilabel":
        return _sigmoid(s)
    if task == "regression":
        return s.reshape(len(s), -1)
    raise ValueError(f"no per-row scores for the {task} task")


def for_json(metrics: dict[str, Any]) -> dict[str, Any]:
    """NaN and infinities become None (JSON has no NaN); numpy scalars become Python numbers."""
    out: dict[str, Any] = {}
    for k, v in metrics.items():
        if isinstance(v, dict):
            out[k] = for_json(v)
        elif isinstance(v, (float, np.floating)):
            out[k] = float(v) if math.isfinite(float(v)) else None
        elif isinstance(v, np.integer):
            out[k] = int(v)
        else:
            out[k] = v
    return out


# ----------------------------------------------------------------------------------------- helpers
def _probabilities(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, unless the rows already are probabilities."""
    s = scores.astype(np.float64)
    if s.min() >= 0 and np.allclose(s.sum(axis=-1), 1.0, atol=1e-4):
        return s
    s = s - s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    if x.min() >= 0 and x.max() <= 1:
        return x  # already probabilities
    return 1.0 / (1.0 + np.exp(-x))


def _quiet(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    """A scikit-learn/scipy metric as a float; undefined (one class, constant input) -> NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = fn(*args, **kwargs)
        except ValueError:
            return math.nan
    value = getattr(value, "statistic", value)  # scipy's result objects
    if isinstance(value, tuple):
        value = value[0]
    return float(value)


def _binary_ranking(y: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """AUROC and AUPRC of one positive class; NaN where `y` holds one class only."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    if y.min() == y.max():
        return math.nan, math.nan
    return _quiet(roc_auc_score, y, score), _quiet(average_precision_score, y, score)


def _classification(y: np.ndarray, scores: np.ndarray, *, binary: bool) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

    y = y.astype(np.int64)
    probs: np.ndarray | None = None
    if scores.ndim == 2:
        probs = _probabilities(scores)
        pred = probs.argmax(axis=1)
    elif scores.ndim == 1 and np.issubdtype(scores.dtype, np.integer):
        pred = scores.astype(np.int64)
    else:
        raise ValueError(f"classification scores must be [N, C] or class predictions [N], not {scores.shape}")
    if len(pred) != len(y):
        raise ValueError(f"{len(y)} labels but {len(pred)} predictions")
    out = {
        "accuracy": float(accuracy_score(y, pred)),
        "f1": _quiet(f1_score, y, pred, average="binary" if binary else "macro", zero_division=0),
        "mcc": _quiet(matthews_corrcoef, y, pred),
    }
    if probs is not None:
        if binary:
            out["auroc"], out["auprc"] = _binary_ranking(y, probs[:, 1])
        else:
            pairs = [_binary_ranking((y == c).astype(np.int64), probs[:, c]) for c in range(probs.shape[1])]
            roc = [a for a, _ in pairs if not math.isnan(a)]
            prc = [b for _, b in pairs if not math.isnan(b)]
            out["auroc"] = float(np.mean(roc)) if roc else math.nan
            out["auprc"] = float(np.mean(prc)) if prc else math.nan
    return out


def _multilabel(y: np.ndarray, scores: np.ndarray, names: Sequence[str] | None) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

    if y.shape != scores.shape or y.ndim != 2:
        raise ValueError(f"multilabel labels {y.shape} and scores {scores.shape} must both be [N, L]")
    y = (y > 0.5).astype(np.int64)
    probs = _sigmoid(scores)
    pred = (probs > 0.5).astype(np.int64)
    names = list(names) if names is not None else [str(j) for j in range(y.shape[1])]
    per: dict[str, list[float]] = {"accuracy": [], "f1": [], "mcc": [], "auroc": [], "auprc": []}
    out: dict[str, float] = {"exact_match": float((pred == y).all(axis=1).mean())}
    for j, name in enumerate(names):
        col = {
            "accuracy": float(accuracy_score(y[:, j], pred[:, j])),
            "f1": _quiet(f1_score, y[:, j], pred[:, j], zero_division=0),
            "mcc": _quiet(matthews_corrcoef, y[:, j], pred[:, j]),
        }
        col["auroc"], col["auprc"] = _binary_ranking(y[:, j], probs[:, j])
        for k, v in col.items():
            per[k].append(v)
            out[f"{k}_{name}"] = v
    for k, values in per.items():
        finite = [v for v in values if not math.isnan(v)]
        out[k] = float(np.mean(finite)) if finite else math.nan
    return out


def _regression(y: np.ndarray, pred: np.ndarray, names: Sequence[str] | None) -> dict[str, float]:
    from scipy.stats import pearsonr, spearmanr
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    y2 = y.reshape(len(y), -1)
    p2 = pred.reshape(len(pred), -1)
    if y2.shape != p2.shape:
        raise ValueError(f"regression labels {y.shape} and predictions {pred.shape} differ")
    names = list(names) if names is not None else [str(j) for j in range(y2.shape[1])]
    per: dict[str, list[float]] = {"mse": [], "mae": [], "r2": [], "pearson": [], "spearman": []}
    for j in range(y2.shape[1]):
        a, b = y2[:, j], p2[:, j]
        const = len(a) < 2 or a.min() == a.max() or b.min() == b.max()
        col = {
            "mse": float(mean_squared_error(a, b)),
            "mae": float(mean_absolute_error(a, b)),
            "r2": math.nan if len(a) < 2 or a.min() == a.max() else float(r2_score(a, b)),
            "pearson": math.nan if const else _quiet(pearsonr, a, b),
            "spearman": math.nan if const else _quiet(spearmanr, a, b),
        }
        for k, v in col.items():
            per[k].append(v)
    out: dict[str, float] = {}
    for k, values in per.items():
        finite = [v for v in values if not math.isnan(v)]
        out[k] = float(np.mean(finite)) if finite else math.nan
    if len(names) > 1:
        for k, values in per.items():
            for name, v in zip(names, values, strict=True):
                out[f"{k}_{name}"] = v
    return out


def _token(labels: Any, scores: Any) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

    rows_y = list(labels) if isinstance(labels, list) else list(np.asarray(labels))
    rows_s = list(scores) if isinstance(scores, list) else list(np.asarray(scores))
    if len(rows_y) != len(rows_s):
        raise ValueError(f"{len(rows_y)} label rows but {len(rows_s)} score rows")
    ys, ps, n_classes = [], [], 2
    for y_row, s_row in zip(rows_y, rows_s, strict=True):
        y = np.asarray(y_row).astype(np.int64).reshape(-1)
        s = np.asarray(s_row)
        n = min(len(y), len(s))  # padded batches: the label row decides which positions count
        y, s = y[:n], s[:n]
        keep = y != IGNORE_INDEX
        if s.ndim == 2:
            n_classes = max(n_classes, s.shape[1])
            valid = keep & np.isfinite(s).all(axis=1)
            pred = np.where(valid, np.nan_to_num(s).argmax(axis=1), -1)
        else:
            valid = keep
            pred = s.astype(np.int64)
        ys.append(y[valid])
        ps.append(pred[valid])
    y_all = np.concatenate(ys) if ys else np.zeros(0, dtype=np.int64)
    p_all = np.concatenate(ps) if ps else np.zeros(0, dtype=np.int64)
    if not len(y_all):
        return {"accuracy": math.nan, "f1": math.nan, "mcc": math.nan}
    binary = n_classes == 2 and set(np.unique(y_all).tolist()) <= {0, 1}
    return {
        "accuracy": float(accuracy_score(y_all, p_all)),
        "f1": _quiet(f1_score, y_all, p_all, average="binary" if binary else "macro", zero_division=0),
        "mcc": _quiet(matthews_corrcoef, y_all, p_all),
    }
