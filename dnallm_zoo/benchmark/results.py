"""A benchmark's tables: `results.parquet` (one row per model, dataset, method, seed, fold and metric) and
`results.md` (mean ± sd per model x dataset x method over folds and seeds, the best per dataset marked).
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from ..finetune.metrics import greater_is_better
from .plan import Plan

__all__ = ["COLUMNS", "summarise", "write_results"]

#: results.parquet's columns; a failed cell has one row with no metric, its status "error" and the error
COLUMNS = ("model", "dataset", "task", "method", "seed", "fold", "metric", "value", "status", "error",
           "n_train", "n_test", "train_seconds")


def _rows(plan: Plan, records: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for cell in plan.cells:
        rec = records.get(plan.cell_id(cell))
        if rec is None:
            continue
        base = {k: rec.get(k) for k in ("model", "dataset", "task", "method", "seed", "fold", "status",
                                        "error", "n_train", "n_test", "train_seconds")}
        if rec["status"] != "ok":
            rows.append({**base, "metric": None, "value": math.nan})
            continue
        for metric, value in rec["metrics"].items():
            rows.append({**base, "metric": metric, "value": math.nan if value is None else float(value)})
    return rows


def write_results(out: Path, plan: Plan, records: dict[str, dict[str, Any]]) -> None:
    """results.parquet and results.md from the cells recorded so far (each file replaced atomically)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = _rows(plan, records)
    types = {"model": pa.string(), "dataset": pa.string(), "task": pa.string(), "method": pa.string(),
             "seed": pa.int64(), "fold": pa.int64(), "metric": pa.string(), "value": pa.float64(),
             "status": pa.string(), "error": pa.string(), "n_train": pa.int64(), "n_test": pa.int64(),
             "train_seconds": pa.float64()}
    table = pa.table({c: pa.array([r[c] for r in rows], types[c]) for c in COLUMNS})
    tmp = out / ".results.parquet.tmp"
    pq.write_table(table, tmp)
    os.replace(tmp, out / "results.parquet")
    tmp = out / ".results.md.tmp"
    tmp.write_text(markdown(plan, records))
    os.replace(tmp, out / "results.md")


def summarise(plan: Plan, records: dict[str, dict[str, Any]]
              ) -> dict[str, dict[tuple[str, str], dict[str, tuple[float, float, int]]]]:
    """dataset -> (model, method) -> metric -> (mean, sd, n) over the finished folds and seeds.

    sd is the sample standard deviation (NaN with one value); an undefined figure (NaN) is left out.
    """
    values: dict[str, dict[tuple[str, str], dict[str, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list)))
    for rec in records.values():
        if rec["status"] != "ok":
            continue
        for metric, v in rec["metrics"].items():
            slot = values[rec["dataset"]][(rec["model"], rec["method"])][metric]
            if v is not None and not math.isnan(float(v)):
                slot.append(float(v))
    out: dict[str, dict[tuple[str, str], dict[str, tuple[float, float, int]]]] = {}
    for ds, cells in values.items():
        out[ds] = {}
        for key, metrics in cells.items():
            out[ds][key] = {m: _stats(v) for m, v in metrics.items()}
    return out


def _stats(v: list[float]) -> tuple[float, float, int]:
    if not v:
        return math.nan, math.nan, 0
    a = np.asarray(v)
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else math.nan, len(a)


def best_of(plan: Plan, dataset: str, cells: dict[tuple[str, str], dict[str, tuple[float, float, int]]]
            ) -> tuple[str, str] | None:
    """The (model, method) with the best mean of the dataset's primary metric."""
    metric = plan.primary_metric(dataset)
    scored = [(stats[metric][0], key) for key, stats in cells.items()
              if metric in stats and not math.isnan(stats[metric][0])]
    if not scored:
        return None
    sign = 1.0 if greater_is_better(metric) else -1.0
    return max(scored, key=lambda t: sign * t[0])[1]


def _cell(mean: float, sd: float) -> str:
    if math.isnan(mean):
        return "n/a"
    return f"{mean:.4f}" if math.isnan(sd) else f"{mean:.4f} ± {sd:.4f}"


def markdown(plan: Plan, records: dict[str, dict[str, Any]]) -> str:
    """results.md: per dataset, a table of model x method by metric; the best by its metric in bold."""
    s = plan.settings
    stats = summarise(plan, records)
    done = sum(1 for c in plan.cells if plan.cell_id(c) in records)
    lines = ["# Benchmark results", "",
             f"{done} of {len(plan.cells)} cells finished. Each figure: mean ± sd (sample standard "
             "deviation) "
             f"over folds and seeds (seeds {', '.join(map(str, s.seeds))}); n: the cells behind it. "
             "The best model of each dataset by its metric is in bold.", ""]
    for name, ds in plan.datasets.items():
        metric = plan.primary_metric(name)
        lines += [f"## {name}", "", f"{ds.describe(s.folds)}; best by {metric}.", ""]
        cells = stats.get(name, {})
        if not cells:
            lines += ["(no finished cell yet)", ""]
            continue
        metrics = list(next(iter(cells.values())))
        best = best_of(plan, name, cells)
        lines.append("| model | method | n | " + " | ".join(metrics) + " |")
        lines.append("|---|---|---|" + "---|" * len(metrics))
        for model in plan.models:
            for method in s.methods:
                row = cells.get((model, method))
                if row is None:
                    continue
                n = max(v[2] for v in row.values())
                shown = [_cell(*row[m][:2]) if m in row else "n/a" for m in metrics]
                label = f"{model} | {method}"
                if (model, method) == best:
                    label = f"**{model}** | **{method}**"
                    shown = [f"**{v}**" if m == metric else v for m, v in zip(metrics, shown, strict=True)]
                lines.append(f"| {label} | {n} | " + " | ".join(shown) + " |")
        lines.append("")
    failed = [r for r in records.values() if r["status"] != "ok"]
    if failed:
        lines += ["## Failed cells", ""]
        for r in failed:
            lines.append(f"- {r['model']} x {r['dataset']} x {r['method']}, seed {r['seed']}, "
                         f"fold {r['fold']}: {r['error']}")
        lines.append("")
    return "\n".join(lines)
