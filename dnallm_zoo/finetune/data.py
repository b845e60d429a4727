"""Labelled sequences from CSV, TSV, Parquet and FASTA files, every bad row named before training.

Label formats, by task (a table's label column; in FASTA the header's last `|` field):

- binary, multiclass: a class name or a 0-based class index (`1`, `promoter`);
- multilabel: the row's labels separated by `;` (`a;c`; an empty cell: no label), names or indices;
- regression: a number; several targets as several label columns or `;`-separated numbers (`0.5;1.2`);
- token: one label per base, either a string of digits (`0011100`, at most 10 classes) or integers
  separated by `;`, `,` or spaces (a Parquet list column also works); -100 marks a base to ignore.

Rows are named as the file shows them: `line N` in CSV/TSV (the header is line 1), `row N` (from 1)
in Parquet, `record N` in FASTA. Files are read by the reader of every command (`dnallm_zoo._inputs`:
any compression dnaio and pyarrow read, the label columns carried as the records' extra fields).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .._inputs import COMPRESSED, HEADER, Kind, RawRecord, Source, input_kind, read_rows
from .._names import FINETUNE_TASKS, FinetuneTask
from ..errors import InputError

__all__ = [
    "IGNORE_INDEX",
    "TASKS",
    "LabeledData",
    "Task",
    "detect_format",
    "read_labeled",
]

Task = FinetuneTask
TASKS: tuple[str, ...] = FINETUNE_TASKS
#: the label of a base (token task) that no loss or metric counts, as transformers' -100
IGNORE_INDEX = -100
FASTA_LABEL = "header's last '|' field"

#: the reader's kind of each format (`detect_format`'s names)
_KINDS: dict[str, Kind] = {"csv": "csv", "tsv": "tsv", "parquet": "parquet", "fasta": "reads"}
_SEPARATORS = re.compile(r"[;,\s]+")
_INT = re.compile(r"[+-]?\d+")


@dataclass
class LabeledData:
    """Sequences with their labels, as the model is trained on them.

    `labels`: int64 [N] (binary, multiclass); float32 [N, L] multi-hot (multilabel); float32 [N, T]
    (regression); a list of int64 arrays, one label per base (token).
    """

    path: str
    task: Task
    sequences: list[str]
    labels: Any
    label_names: list[str]
    rows: list[str] = field(default_factory=list)  # where each sequence is in the file ("line 3")
    sequence_column: str = "sequence"
    label_columns: list[str] = field(default_factory=lambda: ["label"])

    def __len__(self) -> int:
        return len(self.sequences)

    @property
    def num_labels(self) -> int:
        """Classes (binary, multiclass, token), labels (multilabel) or targets (regression)."""
        return len(self.label_names)

    def select(self, index: Sequence[int]) -> LabeledData:
        """The rows at `index`, in that order."""
        idx = list(index)
        labels = [self.labels[i] for i in idx] if isinstance(self.labels, list) else self.labels[idx]
        return replace(self, sequences=[self.sequences[i] for i in idx], labels=labels,
                       rows=[self.rows[i] for i in idx] if self.rows else [])


# ----------------------------------------------------------------------------------------- problems
class _Problems:
    """Every bad row of one file, grouped by column and kind, raised as one `InputError`."""

    def __init__(self, path: str, unit: str) -> None:
        self.path, self.unit = path, unit
        self.groups: dict[tuple[str | None, str], list[tuple[int, str]]] = {}
        self.general: list[str] = []
        self.bad: set[int] = set()

    def add(self, number: int, column: str | None, kind: str, value: Any = None) -> None:
        shown = "" if value is None else _show(value)
        self.groups.setdefault((column, kind), []).append((number, shown))
        self.bad.add(number)

    def fail(self, message: str) -> None:
        self.general.append(message)

    def __bool__(self) -> bool:
        return bool(self.groups or self.general)

    def raise_if_any(self) -> None:
        if not self:
            return
        parts = list(self.general)
        bad_rows = self.bad
        for (column, kind), items in sorted(self.groups.items(), key=lambda g: g[1][0][0]):
            nums = [n for n, _ in items]
            plural = self.unit + ("s" if len(nums) > 1 else "")
            values = [v for _, v in items if v]
            example = f" (e.g. {values[0]})" if values and len(nums) > 1 else (
                f" ({values[0]})" if values else "")
            col = "" if column is None else (
                f", the {column}" if column == FASTA_LABEL else f", column {column!r}")
            parts.append(f"{plural} {_ranges(nums)}{col}: {kind}{example}")
        head = f"{self.path}: " + (f"{len(bad_rows)} bad {self.unit}s; " if len(bad_rows) > 1 else "")
        raise InputError(head + "; ".join(parts) + "; nothing was trained")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _ranges(numbers: Iterable[int]) -> str:
    """`3, 5-7, 9`: every number, runs shortened."""
    nums = sorted(set(numbers))
    out: list[str] = []
    start = prev = nums[0]
    for n in [*nums[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)


# ----------------------------------------------------------------------------------------- reading
def detect_format(path: str | Path) -> str:
    """csv, tsv, parquet or fasta, from the file name (a compression suffix is looked through)."""
    p = Path(path)
    kind = input_kind(p)
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] in COMPRESSED:
        suffixes = suffixes[:-1]
    if kind is None and suffixes and suffixes[-1] == ".txt":
        kind = "tsv"  # a tab-separated .txt, as the DNALLM data sets ship
    if kind is None:
        raise InputError(
            f"{p}: cannot tell the format from the name; use .csv, .tsv, .parquet or .fa/.fasta "
            "(compressed or not)"
        )
    return "fasta" if kind == "reads" else kind


def read_labeled(
    path: str | Path,
    task: Task,
    *,
    sequence_column: str = "sequence",
    label_column: str | Sequence[str] = "label",
    label_names: Sequence[str] | None = None,
    num_labels: int | None = None,
    training: bool = True,
) -> LabeledData:
    """Read and check one file of labelled sequences.

    `label_names` (or just `num_labels`) fixes the label set, as a trained model or the training split
    does; otherwise it comes from the file. `training`: a split to train on must hold more than one
    class (or a target that varies). Every problem of the file is reported in one `InputError` naming
    the file, the rows and the column.
    """
    if task not in TASKS:
        raise InputError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a data file")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: the file is empty")
    columns = [label_column] if isinstance(label_column, str) else list(label_column)
    if not columns:
        raise InputError("no label column given")
    if len(columns) > 1 and task != "regression":
        raise InputError(f"several label columns ({', '.join(columns)}) are for regression targets only")
    fmt = detect_format(p)
    if fmt == "fasta":
        columns = [FASTA_LABEL]
        seq_col = "sequence"
    else:
        seq_col = sequence_column
    numbers, read, raw_cols, problems = _read(p, fmt, seq_col, columns)
    if not read and not problems:
        raise InputError(f"{p}: no data rows (a header only?)")
    for n, s in zip(numbers, read, strict=True):
        if s is None or not str(s).strip():
            problems.add(n, seq_col, "empty sequence")
    seqs = ["" if s is None else str(s).strip() for s in read]
    labels, names = _parse_labels(task, raw_cols, columns, numbers, seqs, problems,
                                  label_names=label_names, num_labels=num_labels)
    problems.raise_if_any()
    if training:
        _check_varied(task, labels, names, problems)
        problems.raise_if_any()
    unit = problems.unit
    rows = [f"{unit} {n}" for n in numbers]
    return LabeledData(str(p), task, seqs, labels, names, rows, seq_col, columns)


def _read(p: Path, fmt: str, sequence_column: str, columns: list[str]
          ) -> tuple[list[int], list[str | None], list[list[Any]], _Problems]:
    """Numbers (as the file shows them), sequences and label columns of every readable row; the ragged
    rows and FASTA headers without a label already among the problems."""
    source = Source(0, str(p), _KINDS[fmt])
    unit = {"csv": "line", "tsv": "line", "parquet": "row", "fasta": "record"}[fmt]
    problems = _Problems(str(p), unit)
    fasta = fmt == "fasta"
    records = read_rows(source, id_column=None, sequence_column=sequence_column,
                        extra_columns=(HEADER,) if fasta else tuple(columns),
                        fileformat="fasta" if fasta else None,
                        column_hint="name the columns with --sequence-column / --label-column")
    numbers: list[int] = []
    seqs: list[str | None] = []
    raw_cols: list[list[Any]] = [[] for _ in columns]
    for rec in records:
        number = _number_of(rec)
        if rec.problem is not None:  # a ragged row: "..., not the header's N fields (M fields)"
            kind, _, value = rec.problem.rpartition(" (")
            problems.add(number, None, kind, value.rstrip(")"))
            continue
        numbers.append(number)
        seqs.append(rec.sequence)
        if fasta:
            _, bar, last = str(rec.extra[HEADER]).rpartition("|")
            if not bar:
                problems.add(number, FASTA_LABEL, "header has no '|' before a label", rec.extra[HEADER])
            raw_cols[0].append(last.strip() if bar else None)
        else:
            for col, name in zip(raw_cols, columns, strict=True):
                col.append(rec.extra[name])
    return numbers, seqs, raw_cols, problems


def _number_of(rec: RawRecord) -> int:
    """A record's number as the file shows it: its line in CSV/TSV, else its number from 1."""
    return rec.line if rec.line is not None else rec.n


# ----------------------------------------------------------------------------------------- labels
def _parse_labels(
    task: Task,
    raw_cols: list[list[Any]],
    columns: list[str],
    numbers: list[int],
    seqs: list[str],
    problems: _Problems,
    *,
    label_names: Sequence[str] | None,
    num_labels: int | None,
) -> tuple[Any, list[str]]:
    names = list(label_names) if label_names is not None else None
    if names is None and num_labels is not None:
        names = [str(i) for i in range(num_labels)]
    if task == "binary" and names is not None and len(names) != 2:
        raise InputError(f"a binary task has 2 labels, not {len(names)} ({', '.join(names)})")
    if task == "regression":
        return _regression(raw_cols, columns, numbers, problems, names)
    col = columns[0]
    if task == "token":
        return _token(raw_cols[0], col, numbers, seqs, problems, names)
    if task == "multilabel":
        return _multilabel(raw_cols[0], col, numbers, problems, names)
    return _classes(task, raw_cols[0], col, numbers, problems, names)


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def _as_index(v: Any) -> int | None:
    """An integer class index written as an int, an integral float or a digit string."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and _INT.fullmatch(v.strip()):
        return int(v.strip())
    return None


def _index_of(v: Any, names: list[str]) -> int | None:
    """A value's class index against fixed names: the name itself, else an integer index."""
    text = str(v).strip()
    if text in names:
        return names.index(text)
    return _as_index(v)


def _classes(task: Task, raw: list[Any], col: str, numbers: list[int], problems: _Problems,
             names: list[str] | None) -> tuple[np.ndarray, list[str]]:
    out = np.zeros(len(raw), dtype=np.int64)
    present = [(i, v) for i, v in enumerate(raw) if not _is_missing(v)]
    for i, v in enumerate(raw):
        if _is_missing(v) and numbers[i] not in problems.bad:
            problems.add(numbers[i], col, "no label")
    if names is None:
        indices = [k for _, v in present if (k := _as_index(v)) is not None]
        if indices:  # integers are class indices; any other value in the column is then an error
            top = max(indices)
            names = [str(i) for i in range(2 if task == "binary" else max(top + 1, 2))]
        else:
            names = sorted({str(v).strip() for _, v in present})
            if task == "binary" and len(names) > 2:
                counts = Counter(str(v).strip() for _, v in present)
                shown = ", ".join(f"{k!r} ({counts[k]} rows)" for k in names)
                raise InputError(f"{problems.path}: column {col!r}: a binary task has 2 labels, the file has "
                                 f"{len(names)}: {shown}; use --task multiclass")
    for i, v in present:
        k = _index_of(v, names)
        if k is None:
            problems.add(numbers[i], col, f"not a label (one of {names} or 0..{len(names) - 1})", v)
        elif not 0 <= k < len(names):
            problems.add(numbers[i], col, f"label outside the {len(names)} labels (0..{len(names) - 1})", v)
        else:
            out[i] = k
    return out, names


def _items(v: Any) -> list[Any]:
    """The parts of a list cell: a list value, or text split at `;`, `,` or whitespace."""
    if isinstance(v, (list, tuple, np.ndarray)):
        return list(v)
    text = str(v).strip()
    return [t for t in _SEPARATORS.split(text) if t] if text else []


def _multilabel(raw: list[Any], col: str, numbers: list[int], problems: _Problems,
                names: list[str] | None) -> tuple[np.ndarray, list[str]]:
    parsed = [_label_list(v) for v in raw]
    if names is None:
        flat = [t for row in parsed for t in row]
        if flat and all(_as_index(t) is not None for t in flat):
            names = [str(i) for i in range(max(int(t) for t in flat) + 1)]
        else:
            names = sorted(set(flat))
    if len(names) < 2 and not problems:
        raise InputError(f"{problems.path}: column {col!r}: a multilabel task needs at least 2 labels, "
                         f"the file names {names or 'none'}")
    out = np.zeros((len(raw), len(names)), dtype=np.float32)
    for i, row in enumerate(parsed):
        for t in row:
            k = _index_of(t, names)
            if k is None or not 0 <= k < len(names):
                problems.add(numbers[i], col, f"not one of the {len(names)} labels {names}", t)
            else:
                out[i, k] = 1.0
    return out, names


def _label_list(v: Any) -> list[str]:
    """A multilabel cell's labels: a list value, or text split at `;`."""
    if _is_missing(v):
        return []
    parts = list(v) if isinstance(v, (list, tuple, np.ndarray)) else str(v).split(";")
    return [str(t).strip() for t in parts if str(t).strip()]


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        x = float(v)
    else:
        try:
            x = float(str(v).strip())
        except ValueError:
            return None
    return x if math.isfinite(x) else None


def _regression(raw_cols: list[list[Any]], columns: list[str], numbers: list[int], problems: _Problems,
                names: list[str] | None) -> tuple[np.ndarray, list[str]]:
    if len(columns) > 1:
        cells = [[[c] for c in col] for col in raw_cols]  # each column one target
    else:
        cells = [[_split_targets(v) for v in raw_cols[0]]]
    widths = [sum(len(col[i]) for col in cells) for i in range(len(numbers))]
    if len(columns) > 1:
        width = len(columns)
        default_names = columns
    else:
        width = Counter(w for w in widths if w).most_common(1)[0][0] if any(widths) else 1
        default_names = columns if width == 1 else [f"{columns[0]}_{j}" for j in range(width)]
    if names is not None and len(names) != width and any(widths):
        raise InputError(f"{problems.path}: {width} regression target(s) per row, the model has "
                         f"{len(names)} ({', '.join(names)})")
    names = list(names) if names is not None else list(default_names)
    out = np.zeros((len(numbers), width), dtype=np.float32)
    for i in range(len(numbers)):
        values: list[Any] = [v for col in cells for v in col[i]]
        if len(columns) == 1 and widths[i] != width:
            if widths[i] == 0:
                problems.add(numbers[i], columns[0], "no target")
            else:
                problems.add(numbers[i], columns[0], f"{widths[i]} target(s) where most rows have {width}",
                             raw_cols[0][i])
            continue
        for j, v in enumerate(values):
            col = columns[j] if len(columns) > 1 else columns[0]
            if _is_missing(v):
                problems.add(numbers[i], col, "no target")
                continue
            x = _number(v)
            if x is None:
                problems.add(numbers[i], col, "regression target is not a finite number", v)
            else:
                out[i, j] = x
    return out, names


def _split_targets(v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, (list, tuple, np.ndarray)):
        return list(v)
    if isinstance(v, str):
        return [t for t in v.split(";") if t.strip()] if v.strip() else []
    return [v]


def _token(raw: list[Any], col: str, numbers: list[int], seqs: list[str], problems: _Problems,
           names: list[str] | None) -> tuple[list[np.ndarray], list[str]]:
    out: list[np.ndarray] = []
    bad: set[int] = set()
    for i, v in enumerate(raw):
        labels = _per_base(v)
        if labels is None:
            problems.add(numbers[i], col, "per-base labels must be digits or integers", v)
            bad.add(i)
            labels = np.zeros(0, dtype=np.int64)
        elif len(labels) == 0 and numbers[i] not in problems.bad:
            problems.add(numbers[i], col, "no per-base labels")
            bad.add(i)
        elif seqs[i] and len(labels) != len(seqs[i]):
            problems.add(numbers[i], col, "per-base labels and the sequence differ in length",
                         f"{len(labels)} labels, {len(seqs[i])} bases")
            bad.add(i)
        out.append(labels)
    if names is None:
        top = max((int(a[a != IGNORE_INDEX].max(initial=0)) for a in out), default=1)
        names = [str(k) for k in range(max(top + 1, 2))]
    for i, a in enumerate(out):
        if i in bad:
            continue
        outside = a[(a != IGNORE_INDEX) & ((a < 0) | (a >= len(names)))]
        if len(outside):
            problems.add(numbers[i], col, f"label outside the {len(names)} labels (0..{len(names) - 1})",
                         int(outside[0]))
    return out, names


def _per_base(v: Any) -> np.ndarray | None:
    if v is None:
        return np.zeros(0, dtype=np.int64)
    if isinstance(v, (list, tuple, np.ndarray)):
        parts = list(v)
    else:
        text = str(v).strip()
        if text.isdigit():
            return np.frombuffer(text.encode(), dtype=np.uint8).astype(np.int64) - ord("0")
        parts = _items(text)
    idx = [_as_index(t) for t in parts]
    if any(k is None for k in idx):
        return None
    return np.asarray(idx, dtype=np.int64)


def _check_varied(task: Task, labels: Any, names: list[str], problems: _Problems) -> None:
    """A training split needs more than one class, per label for multilabel (or a varying target)."""
    if task in ("binary", "multiclass"):
        seen = sorted(set(labels.tolist()))
        if len(seen) < 2:
            problems.fail(f"one class only: every row is labelled {names[seen[0]]!r}; training needs "
                          "at least two classes")
    elif task == "token":
        flat = np.concatenate(labels) if labels else np.zeros(0, dtype=np.int64)
        seen = sorted(set(flat[flat != IGNORE_INDEX].tolist()))
        if len(seen) < 2:
            only = repr(names[seen[0]]) if seen else "none"
            problems.fail(f"one class only: every base is labelled {only}; training needs at least two")
    elif task == "multilabel":
        for j, name in enumerate(names):
            col = labels[:, j]
            if col.min() == col.max():
                state = "on every row" if col[0] else "on no row"
                problems.fail(f"one class only: label {name!r} is {state}")
    else:
        for j, name in enumerate(names):
            if len(labels) and labels[:, j].min() == labels[:, j].max():
                problems.fail(f"target {name!r} is the same on every row ({labels[0, j]:g}); "
                              "nothing to learn")
