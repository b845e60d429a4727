"""What a benchmark runs: its models and datasets checked before any model work, folds, and the cells.

A cell is one model x dataset x method x seed x fold. A dataset is a labelled file, cross-validated
in `folds` folds (stratified for classification; scikit-learn's `StratifiedKFold`/`KFold`, shuffled
by the seed), or given splits: a directory holding `train.*` and `test.*` and/or `eval.*` (or the
files named in a settings file). The test split is scored; without one, the eval split is. The eval
split (or, in a fold, `eval_fraction` of its training rows) picks the kept epoch of full and LoRA
training and drives `patience`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

from .._names import FinetuneMethod
from ..errors import InputError, UnknownModelError, ZooError, one_line
from ..finetune.config import BenchmarkSettings, DatasetEntry
from ..finetune.data import LabeledData, Task, detect_format, read_labeled
from ..finetune.metrics import DEFAULT_METRIC, metric_names

__all__ = ["Cell", "Dataset", "Plan", "infer_task", "prepare", "slug"]

_CLASSES = ("binary", "multiclass")
_SPLIT_NAMES = ("train", "eval", "test")


@dataclass(frozen=True)
class Cell:
    """One model x dataset x method x seed x fold."""

    model: str
    dataset: str
    method: FinetuneMethod
    seed: int
    fold: int

    def id(self, model_key: str) -> str:
        return f"{model_key}--{slug(self.dataset)}--{self.method}--seed{self.seed}--fold{self.fold}"

    def label(self) -> str:
        return f"{self.model} x {self.dataset} x {self.method}, seed {self.seed}, fold {self.fold}"


@dataclass
class Split:
    """A cell's data: what it trains on, what picks its epoch, what it is scored on (row numbers kept)."""

    train: LabeledData
    eval: LabeledData | None
    test: LabeledData
    rows: dict[str, list[int]] = field(default_factory=dict)  # split -> 0-based rows of the source file


@dataclass
class Dataset:
    """A benchmark dataset, read and checked: one file (cross-validated) or given splits."""

    name: str
    task: Task
    data: LabeledData  # the file, or the training split
    eval: LabeledData | None = None
    test: LabeledData | None = None
    inferred: bool = False

    @property
    def cross_validated(self) -> bool:
        return self.eval is None and self.test is None

    def n_folds(self, k: int) -> int:
        return k if self.cross_validated else 1

    def describe(self, k: int) -> str:
        how = f"{k}-fold cross-validation of {len(self.data)} rows" if self.cross_validated else (
            f"given splits: train {len(self.data)}"
            + (f", eval {len(self.eval)}" if self.eval is not None else "")
            + (f", test {len(self.test)}" if self.test is not None else ", scored on eval"))
        task = f"{self.task}{' (inferred)' if self.inferred else ''}, {self.data.num_labels} labels"
        return f"{self.name}: {task}; {how}"

    def split(self, seed: int, fold: int, k: int, eval_fraction: float) -> Split:
        """The cell's splits: fold `fold` of the seed's k folds, or the given splits."""
        if not self.cross_validated:
            test = self.test if self.test is not None else self.eval
            assert test is not None
            return Split(self.data, self.eval, test)
        train_idx, test_idx = fold_indices(self.data, k, seed)[fold]
        eval_idx: np.ndarray | None = None
        if eval_fraction > 0:
            train_idx, eval_idx = _hold_out(self.data, train_idx, eval_fraction, seed)
        rows = {"train": train_idx.tolist(), "test": test_idx.tolist()}
        if eval_idx is not None:
            rows["eval"] = eval_idx.tolist()
        return Split(self.data.select(train_idx.tolist()),
                     None if eval_idx is None else self.data.select(eval_idx.tolist()),
                     self.data.select(test_idx.tolist()), rows)


@dataclass
class Plan:
    """The checked settings: models (name -> key used in file names), datasets, the cells in run order."""

    settings: BenchmarkSettings
    models: dict[str, str]
    datasets: dict[str, Dataset]
    cells: list[Cell]

    def cell_id(self, cell: Cell) -> str:
        return cell.id(self.models[cell.model])

    def primary_metric(self, dataset: str) -> str:
        """The metric that marks the best model of a dataset (the settings' `metric` or the task's)."""
        m = self.settings.metric or DEFAULT_METRIC[self.datasets[dataset].task]
        return m.removeprefix("eval_")

    def resolved(self) -> BenchmarkSettings:
        """The settings with every dataset's name and task filled in (what DIR/benchmark.yaml records)."""
        data = [e.model_copy(update={"name": d.name, "task": d.task})
                for e, d in zip(self.settings.data, self.datasets.values(), strict=True)]
        return self.settings.model_copy(update={"data": data})


def fold_indices(data: LabeledData, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, test rows) of each of k folds: stratified by class for classification."""
    from sklearn.model_selection import KFold, StratifiedKFold

    n = len(data)
    if data.task in _CLASSES:
        splitter: Any = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        return [(a, b) for a, b in splitter.split(np.zeros(n), np.asarray(data.labels))]
    splitter = KFold(n_splits=k, shuffle=True, random_state=seed)
    return [(a, b) for a, b in splitter.split(np.zeros(n))]


def _hold_out(data: LabeledData, rows: np.ndarray, fraction: float, seed: int
              ) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    strat = np.asarray(data.labels)[rows] if data.task in _CLASSES else None
    a, b = train_test_split(rows, test_size=fraction, random_state=seed, stratify=strat)
    return np.sort(a), np.sort(b)


# ----------------------------------------------------------------------------------------- checks
def prepare(settings: BenchmarkSettings) -> Plan:
    """Check every model, dataset and setting before any model is loaded; all problems in one error."""
    problems: list[str] = []
    models = _check_models(settings, problems)
    datasets = _read_datasets(settings, problems)
    for ds in datasets.values():
        _check_dataset(ds, settings, problems)
    if problems:
        raise InputError(f"the benchmark cannot start: {len(problems)} problem(s): " + "; ".join(problems))
    cells = [Cell(m, d, method, seed, fold)
             for d, ds in datasets.items()
             for m in models
             for method in settings.methods
             for seed in settings.seeds
             for fold in range(ds.n_folds(settings.folds))]
    return Plan(settings, models, datasets, cells)


def _check_models(settings: BenchmarkSettings, problems: list[str]) -> dict[str, str]:
    from .._loading import match_directory
    from .._registry import get_registry

    keys: dict[str, str] = {}
    for name in settings.models:
        p = Path(name)
        try:
            if p.is_dir():
                match_directory(p)
                digest = hashlib.sha1(str(p.resolve()).encode()).hexdigest()[:8]
                keys[name] = f"{slug(p.resolve().name)}-{digest}"
            else:
                keys[name] = slug(get_registry().resolve(name).spec.id)
        except UnknownModelError as exc:
            problems.append(one_line(exc))  # "unknown model 'x'; did you mean ...?"
        except ZooError as exc:
            problems.append(f"model directory {name!r}: {one_line(exc)}")
    if "lora" in settings.methods and find_spec("peft") is None:
        problems.append("method lora needs peft: pip install 'dnallm-zoo[finetune]'")
    return keys


def _read_datasets(settings: BenchmarkSettings, problems: list[str]) -> dict[str, Dataset]:
    out: dict[str, Dataset] = {}
    for entry in settings.data:
        try:
            ds = _read_dataset(entry, settings)
        except InputError as exc:
            problems.append(f"dataset {_entry_label(entry)}: {one_line(exc)}")
            continue
        if ds.name in out:
            problems.append(f"two datasets are named {ds.name!r}; give each a name")
            continue
        out[ds.name] = ds
    return out


def _entry_label(entry: DatasetEntry) -> str:
    return repr(entry.name or entry.path or entry.train)


def _split_files(directory: Path) -> dict[str, Path]:
    """train/eval/test files of a directory (any readable format; one file per split)."""
    found: dict[str, list[Path]] = {}
    for p in sorted(directory.iterdir()):
        stem = p.name.split(".")[0]
        if stem in _SPLIT_NAMES and p.is_file():
            found.setdefault(stem, []).append(p)
    twice = [f"{k}: {', '.join(x.name for x in v)}" for k, v in found.items() if len(v) > 1]
    if twice:
        raise InputError(f"{directory}: more than one file for a split ({'; '.join(twice)})")
    files = {k: v[0] for k, v in found.items()}
    if "train" not in files or not ({"eval", "test"} & set(files)):
        raise InputError(f"{directory}: a dataset directory holds train.* and test.* and/or eval.* "
                         f"(it has {', '.join(sorted(x.name for x in directory.iterdir())) or 'nothing'})")
    return files


def _read_dataset(entry: DatasetEntry, settings: BenchmarkSettings) -> Dataset:
    if entry.path is not None:
        p = Path(entry.path)
        if not p.exists():
            raise InputError(f"{p}: no such file or directory")
        files = _split_files(p) if p.is_dir() else {"data": p}
        default_name = p.name if p.is_dir() else p.name.split(".")[0]
    else:
        files = {k: Path(v) for k, v in (("train", entry.train), ("eval", entry.eval),
                                          ("test", entry.test)) if v is not None}
        default_name = Path(str(entry.train)).parent.name or Path(str(entry.train)).stem
    first = files.get("data", files.get("train"))
    assert first is not None
    seq_col, label_col = settings.sequence_column, settings.label_column
    task = entry.task or settings.task
    inferred = task is None
    if task is None:
        task = infer_task(first, sequence_column=seq_col, label_column=label_col)
    data = read_labeled(first, task, sequence_column=seq_col, label_column=label_col)
    others = {k: read_labeled(files[k], task, sequence_column=seq_col, label_column=label_col,
                              label_names=data.label_names, training=False)
              for k in ("eval", "test") if k in files}
    return Dataset(entry.name or default_name, task, data, others.get("eval"), others.get("test"), inferred)


def infer_task(path: Path, *, sequence_column: str, label_column: list[str]) -> Task:
    """binary or multiclass (class names, or class indices 0..19; by their count), or regression
    (numbers that are not all integers).

    Multilabel, several targets, per-base labels and many integers are never guessed: they are an
    error asking for the task.
    """
    if len(label_column) > 1:
        return "regression"
    detect_format(path)
    ask = "name the task (--task, or the dataset's task in a settings file)"
    try:
        numbers = read_labeled(path, "regression", sequence_column=sequence_column, label_column=label_column,
                               training=False).labels
    except InputError:
        numbers = None
    if numbers is not None:
        if numbers.shape[1] > 1:
            raise InputError(f"{path}: labels with several numbers (';') are several targets or multilabel; "
                             + ask)
        values = numbers[:, 0]
        if not np.all(values == np.round(values)):
            return "regression"
        distinct = np.unique(values)
        if distinct.min() < 0 or distinct.max() >= 20:  # class indices are 0..k-1
            raise InputError(f"{path}: {len(distinct)} distinct integer labels ({distinct.min():g} to "
                             f"{distinct.max():g}): classes, a regression target or per-base labels? " + ask)
        return "binary" if distinct.max() <= 1 else "multiclass"
    names = read_labeled(path, "multiclass", sequence_column=sequence_column, label_column=label_column,
                         training=False).label_names
    if any(";" in n for n in names):
        raise InputError(f"{path}: labels with ';' ({names[0]!r}, ...) are multilabel; " + ask)
    return "binary" if len(names) == 2 else "multiclass"


def _check_dataset(ds: Dataset, settings: BenchmarkSettings, problems: list[str]) -> None:
    where = f"dataset {ds.name!r} ({ds.data.path})"
    k = settings.folds
    if ds.cross_validated:
        if ds.task in _CLASSES:
            counts = np.bincount(np.asarray(ds.data.labels), minlength=ds.data.num_labels)
            small = [f"{ds.data.label_names[c]!r} has {int(n)}" for c, n in enumerate(counts) if 0 < n < k]
            if small:
                most = int(counts[counts > 0].min())
                problems.append(f"{where}: --folds {k} is more than a class's rows (class "
                                f"{', class '.join(small)}); use at most {most} folds")
        elif len(ds.data) < k:
            problems.append(f"{where}: --folds {k} is more than its {len(ds.data)} rows")
    if settings.metric is not None:
        known = metric_names(ds.task, ds.data.label_names)
        if settings.metric.removeprefix("eval_") not in known:
            problems.append(f"{where}: --metric {settings.metric!r} is not a {ds.task} metric; "
                            f"use one of {', '.join(sorted(known))}")
    trains = {"full", "lora"} & set(settings.methods)
    has_eval = ds.eval is not None or (ds.cross_validated and settings.eval_fraction > 0)
    if settings.patience is not None and trains and not has_eval:
        how = "--eval-fraction" if ds.cross_validated else "an eval split (eval.*)"
        problems.append(f"{where}: --patience stops on the evaluation metric, and this dataset has no "
                        f"evaluation split; give it {how}")


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("_") or "x"
