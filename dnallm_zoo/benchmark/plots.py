"""A benchmark's pictures (PNG, matplotlib: the `plot` extra), in DIR/plots/, per dataset:

- `<dataset>_metric.png`: its metric per model and method (mean and sd as a bar, each cell a dot);
- classification: `<dataset>_roc.png` and `<dataset>_pr.png`, one curve per model and method from the
  test predictions of every fold and seed pooled (binary: class 1; multiclass and multilabel:
  micro-averaged over the classes, one-vs-rest), with the pooled area in the legend;
- regression: `<dataset>_pred_vs_true.png`, one panel per model and method.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .plan import Plan, slug
from .results import summarise

__all__ = ["write_plots"]


def write_plots(out: Path, plan: Plan, records: dict[str, dict[str, Any]], say: Callable[[str], None]
                ) -> list[Path]:
    """Every picture the finished cells allow; none (and a line saying why) without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        say("no plots: matplotlib is not installed (pip install 'dnallm-zoo[plot]')")
        return []
    folder = out / "plots"
    folder.mkdir(exist_ok=True)
    stats = summarise(plan, records)
    made: list[Path] = []
    for name, ds in plan.datasets.items():
        if not stats.get(name):
            continue
        base = folder / slug(name)
        made.append(_save(plt, _metric_figure(plt, plan, records, name), Path(f"{base}_metric.png")))
        preds = _predictions(out, plan, records, name)
        if not preds:
            continue
        if ds.task in ("binary", "multiclass", "multilabel"):
            roc, pr = _curves(plt, preds, ds.task, name)
            made += [_save(plt, roc, Path(f"{base}_roc.png")), _save(plt, pr, Path(f"{base}_pr.png"))]
        elif ds.task == "regression":
            made.append(_save(plt, _scatter(plt, preds, name), Path(f"{base}_pred_vs_true.png")))
    return made


def _save(plt: Any, fig: Any, path: Path) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    fig.tight_layout()
    fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
    os.replace(tmp, path)
    return path


def _keys(plan: Plan) -> list[tuple[str, str]]:
    return [(m, method) for m in plan.models for method in plan.settings.methods]


def _metric_figure(plt: Any, plan: Plan, records: dict[str, dict[str, Any]], name: str) -> Any:
    metric = plan.primary_metric(name)
    models = list(plan.models)
    methods = plan.settings.methods
    width = 0.8 / len(methods)
    fig, ax = plt.subplots(figsize=(max(4.0, 1.3 * len(models) * max(1, len(methods)) ** 0.5 + 1.5), 3.6))
    cells = summarise(plan, records).get(name, {})
    for j, method in enumerate(methods):
        xs = np.arange(len(models)) + (j - (len(methods) - 1) / 2) * width
        means = [cells.get((m, method), {}).get(metric, (np.nan, np.nan, 0)) for m in models]
        ax.bar(xs, [t[0] for t in means], width * 0.9, yerr=[0 if np.isnan(t[1]) else t[1] for t in means],
               capsize=3, label=method, color=f"C{j}", alpha=0.75)
        for x, m in zip(xs, models, strict=True):
            dots = [r["metrics"].get(metric) for r in records.values() if r["status"] == "ok"
                    and (r["dataset"], r["model"], r["method"]) == (name, m, method)]
            dots = [d for d in dots if d is not None]
            ax.scatter([x] * len(dots), dots, color="black", s=10, zorder=3)
    ax.set_xticks(np.arange(len(models)), [Path(m).name if Path(m).is_dir() else m for m in models],
                  rotation=20, ha="right")
    ax.set(ylabel=metric, title=f"{name}: {metric} (mean ± sd; dots: cells)")
    ax.legend(title="method", fontsize="small")
    return fig


def _predictions(out: Path, plan: Plan, records: dict[str, dict[str, Any]], name: str
                 ) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """(model, method) -> (labels, scores) of every finished cell's test rows, pooled."""
    import pyarrow.parquet as pq

    pooled: dict[tuple[str, str], tuple[list[Any], list[Any]]] = {}
    for cell in plan.cells:
        cid = plan.cell_id(cell)
        rec = records.get(cid)
        path = out / "cells" / f"{cid}.parquet"
        if cell.dataset != name or rec is None or rec["status"] != "ok" or not path.is_file():
            continue
        t = pq.read_table(path)
        ys, ps = pooled.setdefault((cell.model, cell.method), ([], []))
        ys += t["label"].to_pylist()
        ps += t["score"].to_pylist()
    return {k: (np.asarray(y, dtype=np.float64), np.asarray(p, dtype=np.float64))
            for k, (y, p) in pooled.items() if y}


def _binary_view(y: np.ndarray, p: np.ndarray, task: str) -> tuple[np.ndarray, np.ndarray]:
    if task == "binary":
        return (y[:, 0] == 1).astype(int), p[:, 1]
    if task == "multiclass":
        onehot = np.zeros_like(p)
        onehot[np.arange(len(y)), y[:, 0].astype(int)] = 1
        return onehot.ravel().astype(int), p.ravel()
    return (y.ravel() > 0.5).astype(int), p.ravel()  # multilabel


def _curves(plt: Any, preds: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]], task: str, name: str
            ) -> tuple[Any, Any]:
    from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve

    roc, ax1 = plt.subplots(figsize=(4.6, 4.2))
    pr, ax2 = plt.subplots(figsize=(4.6, 4.2))
    ax1.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    for i, ((model, method), (y, p)) in enumerate(preds.items()):
        yb, s = _binary_view(y, p, task)
        if yb.min() == yb.max():
            continue  # one class only: no curve
        label = f"{Path(model).name if Path(model).is_dir() else model} {method}"
        fpr, tpr, _ = roc_curve(yb, s)
        ax1.plot(fpr, tpr, color=f"C{i}", label=f"{label} (AUC {auc(fpr, tpr):.3f})")
        prec, rec, _ = precision_recall_curve(yb, s)
        ax2.plot(rec, prec, color=f"C{i}", label=f"{label} (AP {average_precision_score(yb, s):.3f})")
    how = "" if task == "binary" else ", micro-averaged"
    ax1.set(xlabel="false positive rate", ylabel="true positive rate", title=f"{name}: ROC{how}")
    ax2.set(xlabel="recall", ylabel="precision", title=f"{name}: precision-recall{how}")
    for ax in (ax1, ax2):
        ax.set(xlim=(0, 1), ylim=(0, 1.02))
        ax.legend(fontsize="x-small", loc="lower right" if ax is ax1 else "lower left")
    return roc, pr


def _scatter(plt: Any, preds: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]], name: str) -> Any:
    n = len(preds)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 3.2 * rows), squeeze=False)
    for ax, ((model, method), (y, p)) in zip(axes.ravel(), preds.items(), strict=False):
        ax.scatter(y.ravel(), p.ravel(), s=8, alpha=0.6)
        lo, hi = float(min(y.min(), p.min())), float(max(y.max(), p.max()))
        ax.plot([lo, hi], [lo, hi], color="grey", linestyle=":", linewidth=1)
        ax.set(xlabel="true", ylabel="predicted",
               title=f"{Path(model).name if Path(model).is_dir() else model} {method}")
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    fig.suptitle(f"{name}: predicted vs true")
    return fig
