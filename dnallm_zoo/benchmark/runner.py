"""Running a benchmark: each cell trained and scored by `finetune` and `evaluate`'s code, written atomically.

DIR holds `benchmark.yaml` (the settings, every dataset's name and task filled in), `folds.parquet`
(which rows each cross-validation fold trained, picked the epoch and was scored on), `cells/` (one
`<cell>.json` per finished cell, its test predictions in `<cell>.parquet`), `results.parquet`,
`results.md` and `plots/`. A cell's files are written to a temporary name and renamed, the JSON
last: a killed benchmark, run again with the same settings, skips the cells that `cells/` holds and
runs the rest. A cell that fails (out of memory, say) is recorded with its error; the others go on.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .._names import FinetuneTask as Task
from ..errors import InputError, NewWeightsWarning, one_line
from ..finetune.config import BenchmarkSettings, write_settings
from ..finetune.metrics import for_json, prediction_scores
from .plan import Cell, Plan, prepare

__all__ = ["CELLS", "SETTINGS_FILE", "read_cells", "run_benchmark", "run_cell"]

Echo = Callable[[str], None]
CELLS = "cells"
SETTINGS_FILE = "benchmark.yaml"
_WORK = ".work"
_MODELS = "models"
#: settings that do not change a cell's figures: a rerun with other values resumes
_NOT_RESULTS = ("output", "keep_models")


def run_benchmark(
    settings: BenchmarkSettings,
    *,
    overwrite: bool = False,
    retry_failed: bool = False,
    progress: bool = True,
    echo: Echo | None = None,
) -> dict[str, Any]:
    """Run (or resume) every cell of `settings`; write DIR's results, tables and plots; return a summary."""
    say = echo or (lambda line: print(line, file=sys.stderr))
    plan = prepare(settings)  # every model, dataset and setting checked before any model work
    out = Path(settings.output)
    _claim(out, plan, overwrite)
    for ds in plan.datasets.values():
        say(ds.describe(settings.folds))
    _write_folds(out, plan)
    shutil.rmtree(out / _WORK, ignore_errors=True)  # a killed run's half-trained cell
    records = read_cells(out, plan)
    todo = [c for c in plan.cells if not _finished(records.get(plan.cell_id(c)), retry_failed)]
    total = len(plan.cells)
    say(f"{len(plan.models)} model(s) x {len(plan.datasets)} dataset(s) x {len(settings.methods)} "
        f"method(s) x {len(settings.seeds)} seed(s), folds: {total} cells"
        + (f"; resuming: {total - len(todo)} already in {out}" if len(todo) < total else ""))
    from tqdm import tqdm

    bar = tqdm(total=total, initial=total - len(todo), unit=" cell", file=sys.stderr, dynamic_ncols=True,
               disable=not (progress and sys.stderr.isatty()))
    from .results import write_results

    try:
        for cell in todo:
            bar.set_description(f"{cell.model} x {cell.dataset} x {cell.method}")
            rec = run_cell(plan, cell, out)
            records[plan.cell_id(cell)] = rec
            write_results(out, plan, records)
            bar.clear()
            say(_line(rec, len(records), total))
            bar.update(1)
    finally:
        bar.close()
    write_results(out, plan, records)
    from .plots import write_plots

    made = write_plots(out, plan, records, say)
    failed = [r for r in records.values() if r["status"] != "ok"]
    say(f"{total - len(failed)} of {total} cells done, {len(failed)} failed -> {out / 'results.md'}"
        + (f", {len(made)} plot(s) in {out / 'plots'}" if made else ""))
    return {"cells": total, "failed": len(failed), "output": str(out), "plots": [str(p) for p in made]}


def _line(rec: dict[str, Any], done: int, total: int) -> str:
    head = (f"[{done}/{total}] {rec['model']} x {rec['dataset']} x {rec['method']}, seed {rec['seed']}, "
            f"fold {rec['fold']}")
    if rec["status"] != "ok":
        return f"{head}: FAILED ({rec['error']})"
    m = rec["primary_metric"]
    value = rec["metrics"].get(m)
    shown = "n/a" if value is None else f"{value:.4f}"
    return f"{head}: {m} {shown} ({rec['seconds']:.1f} s)"


def _finished(rec: dict[str, Any] | None, retry_failed: bool) -> bool:
    return rec is not None and (rec["status"] == "ok" or not retry_failed)


# ----------------------------------------------------------------------------------------- the directory
def _claim(out: Path, plan: Plan, overwrite: bool) -> None:
    """Start DIR, or check that it holds this benchmark (then it resumes); --overwrite starts afresh."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a directory")
    resolved = plan.resolved()
    mine = out / SETTINGS_FILE
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        if not mine.is_file():
            raise InputError(f"{out}: the directory is not empty and holds no benchmark; pick another or "
                             "pass --overwrite")
        import yaml

        theirs = yaml.safe_load(mine.read_text()) or {}
        ours = resolved.model_dump(mode="json")
        diff = sorted(k for k in set(ours) | set(theirs)
                      if k not in _NOT_RESULTS and ours.get(k) != theirs.get(k))
        if diff:
            raise InputError(f"{out}: holds a benchmark with other settings ({', '.join(diff)} differ); "
                             "rerun it with its own settings (--config "
                             f"{mine}) to resume, pick another directory, or pass --overwrite")
    elif overwrite and out.is_dir():
        for name in (CELLS, _WORK, _MODELS, "plots"):
            shutil.rmtree(out / name, ignore_errors=True)
        for name in (SETTINGS_FILE, "folds.parquet", "results.parquet", "results.md"):
            (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / CELLS).mkdir(exist_ok=True)
    write_settings(resolved, mine, header="dnallm-zoo benchmark settings; rerun: dnallm-zoo benchmark "
                   f"--config {mine.name} (resumes)")


def _write_folds(out: Path, plan: Plan) -> None:
    """folds.parquet: dataset, seed, fold, split (train/eval/test) and the 0-based row of the file."""
    import pyarrow as pa

    s = plan.settings
    cols: dict[str, list[Any]] = {"dataset": [], "seed": [], "fold": [], "split": [], "row": []}
    for name, ds in plan.datasets.items():
        if not ds.cross_validated:
            continue
        for seed in s.seeds:
            for fold in range(s.folds):
                rows = ds.split(seed, fold, s.folds, s.eval_fraction).rows
                for split, idx in rows.items():
                    cols["dataset"] += [name] * len(idx)
                    cols["seed"] += [seed] * len(idx)
                    cols["fold"] += [fold] * len(idx)
                    cols["split"] += [split] * len(idx)
                    cols["row"] += idx
    if cols["row"]:
        _write_parquet(pa.table(cols), out / "folds.parquet")


def read_cells(out: Path, plan: Plan) -> dict[str, dict[str, Any]]:
    """The finished cells' records in DIR/cells (those of this plan)."""
    ids = {plan.cell_id(c) for c in plan.cells}
    records = {}
    for p in sorted((out / CELLS).glob("*.json")):
        if p.stem in ids:
            records[p.stem] = json.loads(p.read_text())
    return records


def _write_parquet(table: Any, path: Path) -> None:
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _write_json(record: dict[str, Any], path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(for_json(record), indent=2) + "\n")
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------------- a cell
def run_cell(plan: Plan, cell: Cell, out: Path) -> dict[str, Any]:
    """Train and score one cell (through `finetune` and `evaluate`'s `score`); record it, or its error."""
    from ..finetune.evaluation import load_trained, score
    from ..finetune.train import finetune

    s = plan.settings
    ds = plan.datasets[cell.dataset]
    cid = plan.cell_id(cell)
    work = out / _WORK / cid
    rec: dict[str, Any] = {"cell": cid, "model": cell.model, "dataset": cell.dataset, "task": ds.task,
                           "method": cell.method, "seed": cell.seed, "fold": cell.fold,
                           "primary_metric": plan.primary_metric(cell.dataset)}
    start = time.perf_counter()
    try:
        split = ds.split(cell.seed, cell.fold, s.folds, s.eval_fraction)
        rec.update(n_train=len(split.train), n_eval=None if split.eval is None else len(split.eval),
                   n_test=len(split.test))
        cfg = s.train_config(cell.method, cell.seed, progress=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NewWeightsWarning)  # every cell builds a new head
            warnings.filterwarnings("ignore", message="Could not find a config file")  # peft, LoRA saves
            run = finetune(cell.model, split.train, None if cell.method == "probe" else split.eval, work, cfg,
                           overwrite=True, echo=lambda _: None)
            trained = load_trained(work, device=s.device)
            metrics, scores = score(trained, split.test)
        if ds.task != "token":
            _write_predictions(out / CELLS / f"{cid}.parquet", split, ds.task, scores)
        rec.update(status="ok", error=None, metrics=metrics, train_seconds=run.get("train_seconds"),
                   best_epoch=run.get("best_epoch"), epochs_trained=run.get("epochs_trained"))
        if s.keep_models:
            kept = out / _MODELS / cid
            shutil.rmtree(kept, ignore_errors=True)
            kept.parent.mkdir(exist_ok=True)
            shutil.move(str(work), str(kept))
    except Exception as exc:  # a cell's failure (out of memory, bad sequence, ...) is its result
        rec.update(status="error", error=f"{type(exc).__name__}: {one_line(exc)}", metrics={})
        _free_memory()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rec["seconds"] = time.perf_counter() - start
    _write_json(rec, out / CELLS / f"{cid}.json")
    return rec


def _write_predictions(path: Path, split: Any, task: Task, scores: Any) -> None:
    """The test rows' labels and scores (probabilities, or predictions for regression), for the curves."""
    import pyarrow as pa

    y = np.asarray(split.test.labels, dtype=np.float64).reshape(len(split.test), -1)
    p = prediction_scores(task, scores)
    rows = split.rows.get("test", list(range(len(split.test))))
    table = pa.table({"row": pa.array(rows, pa.int64()),
                      "label": pa.array(y.tolist(), pa.list_(pa.float64())),
                      "score": pa.array(p.tolist(), pa.list_(pa.float64()))})
    _write_parquet(table, path)


def _free_memory() -> None:
    import gc

    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:
        pass

