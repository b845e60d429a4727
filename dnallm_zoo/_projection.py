"""Embeddings in two dimensions: PCA (scikit-learn) or UMAP (umap-learn, where installed), coloured.

Reads an `embed` output (.parquet, or .npz), takes one vector column (`embedding`, or a layer's
`embedding_6`), projects it and draws one point per row. A column to colour by that is text (or has
few distinct values) gets one colour per value and a legend; a numeric one a colour scale.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ._plotting import pyplot, save_figure
from .errors import InputError, ZooError

__all__ = ["EmbeddingTable", "Method", "annotate", "plot_projection", "project", "read_embedding_table"]

Method = Literal["pca", "umap"]
_MAX_CATEGORIES = 20  # a numeric column with at most this many values is drawn as categories


@dataclass(frozen=True)
class EmbeddingTable:
    """The vectors of one column and the other columns of the same rows."""

    path: Path
    column: str
    vectors: np.ndarray  # float32 [rows, width]
    columns: dict[str, np.ndarray]  # every other column (1-d), by name


def read_embedding_table(path: str | Path, *, column: str | None = None,
                         needs: tuple[str, ...] = ()) -> EmbeddingTable:
    """`column` (default: `embedding`, else the one vector column) of a Parquet or .npz output, and the other
    columns; a missing column (the vector or one of `needs`) is an `InputError` listing those there are."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    if p.suffix.lower() == ".parquet":
        vectors, others = _parquet_columns(p)
    elif p.suffix.lower() == ".npz":
        vectors, others = _npz_columns(p)
    else:
        raise InputError(f"{p}: read .parquet or .npz outputs of `dnallm-zoo embed`")
    if not vectors:
        raise InputError(f"{p}: no vector column (columns: {sorted(others)})")
    name = column or ("embedding" if "embedding" in vectors else next(iter(vectors)) if len(vectors) == 1
                      else None)
    if name is None or name not in vectors:
        what = f"column {column!r}" if column else "a column to project (--column)"
        raise InputError(f"{p}: give {what}; its vector columns are {sorted(vectors)}")
    missing = [c for c in needs if c not in others]
    if missing:
        raise InputError(f"{p}: no column {', '.join(map(repr, missing))}; its columns are {sorted(others)}")
    return EmbeddingTable(p, name, vectors[name], others)


def annotate(table: EmbeddingTable, path: str | Path) -> EmbeddingTable:
    """`table` with the columns of another table (CSV, TSV or Parquet with an `id` column), joined on id.

    A row of `table` whose id the annotations lack gets None; an annotation table without `id`, or one
    that names an id twice, is an `InputError`.
    """
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    p = Path(path)
    if not p.is_file():
        raise InputError(f"--annotations {p}: no such file")
    suffix = "".join(p.suffixes[-2:]).lower() if p.suffix.lower() in (".gz", ".bz2") else p.suffix.lower()
    if suffix.startswith(".parquet"):
        data = pq.read_table(p)
    elif suffix.startswith((".csv", ".tsv")):
        delimiter = "\t" if suffix.startswith(".tsv") else ","
        data = pcsv.read_csv(p, parse_options=pcsv.ParseOptions(delimiter=delimiter))
    else:
        raise InputError(f"--annotations {p}: read .csv, .tsv or .parquet")
    if "id" not in data.column_names:
        raise InputError(f"--annotations {p}: no `id` column (columns: {data.column_names})")
    ids = [str(v) for v in data.column("id").to_pylist()]
    twice = sorted(i for i, n in Counter(ids).items() if n > 1)
    if twice:
        raise InputError(f"--annotations {p}: ids named twice: {twice[:5]}")
    if "id" not in table.columns:
        raise InputError(f"{table.path}: no id column to join --annotations on")
    where = {i: n for n, i in enumerate(ids)}
    rows = [where.get(str(i)) for i in table.columns["id"].tolist()]
    extra = {}
    for name in data.column_names:
        if name == "id" or name in table.columns:
            continue
        values = data.column(name).to_pylist()
        extra[name] = np.asarray([None if r is None else values[r] for r in rows], dtype=object)
    return EmbeddingTable(table.path, table.column, table.vectors, {**table.columns, **extra})


def _parquet_columns(p: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(p)
    vectors, others = {}, {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        kind = col.type
        if pa.types.is_fixed_size_list(kind) and pa.types.is_floating(kind.value_type):
            flat = col.combine_chunks().flatten().to_numpy(zero_copy_only=False)
            vectors[name] = flat.astype(np.float32).reshape(len(col), kind.list_size)
        elif not pa.types.is_nested(kind):
            others[name] = np.asarray(col.to_pylist(), dtype=object)
    return vectors, others


def _npz_columns(p: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    with np.load(p, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files if k != "metadata"}
    vectors: dict[str, np.ndarray] = {}
    for name in ("embeddings", "probabilities", "values"):
        if name in data:
            mat = data.pop(name)
            if mat.ndim == 3:  # one vector per layer
                vectors.update({f"embedding_{i}": mat[:, i] for i in range(mat.shape[1])})
            else:
                vectors["embedding" if name == "embeddings" else name] = mat
    singular = {"ids": "id", "sources": "source", "lengths": "length", "starts": "start", "ends": "end"}
    return vectors, {singular.get(k, k): np.asarray(v, dtype=object) for k, v in data.items() if v.ndim == 1}


def project(vectors: np.ndarray, method: Method = "pca", *, seed: int = 0) -> np.ndarray:
    """[rows, 2]: the first two principal components, or a UMAP embedding (needs umap-learn)."""
    x = np.asarray(vectors, dtype=np.float64)
    if len(x) < 3:
        raise InputError(f"{len(x)} rows: a projection needs at least 3")
    if method == "pca":
        try:
            from sklearn.decomposition import PCA
        except ImportError:
            raise ZooError("the projection needs scikit-learn: pip install 'dnallm-zoo[interpret]'") from None
        return np.asarray(PCA(n_components=2, random_state=seed).fit_transform(x))
    if method == "umap":
        try:
            import umap
        except ImportError:
            raise ZooError("--method umap needs umap-learn: pip install umap-learn (or use --method pca)") \
                from None
        reducer: Any = umap.UMAP(n_components=2, random_state=seed, n_neighbors=min(15, len(x) - 1))
        return np.asarray(reducer.fit_transform(x))
    raise InputError(f"method {method!r}: use 'pca' or 'umap'")


def plot_projection(table: EmbeddingTable, path: str | Path, *, color_by: str | None = None,
                    method: Method = "pca", seed: int = 0, title: str | None = None) -> Path:
    """Project `table`'s vectors and draw one point per row, coloured by the column `color_by`."""
    plt = pyplot()
    xy = project(table.vectors, method, seed=seed)
    fig, ax = plt.subplots(figsize=(7.5, 6))
    values = table.columns[color_by] if color_by is not None else None
    if values is None:
        ax.scatter(xy[:, 0], xy[:, 1], s=12, alpha=0.8)
    elif _is_numeric(values) and len(set(values.tolist())) > _MAX_CATEGORIES:
        points = ax.scatter(xy[:, 0], xy[:, 1], c=values.astype(np.float64), s=12, cmap="viridis", alpha=0.8)
        fig.colorbar(points, ax=ax, label=color_by)
    else:
        names = [str(v) for v in values.tolist()]
        levels = sorted(set(names))
        palette = plt.cm.tab10 if len(levels) <= 10 else plt.cm.tab20
        for i, level in enumerate(levels):
            keep = np.array([n == level for n in names])
            ax.scatter(xy[keep, 0], xy[keep, 1], s=12, alpha=0.8, label=level, color=palette(i % palette.N))
        ax.legend(title=color_by, fontsize=8, markerscale=1.5, loc="best")
    axis = "PC" if method == "pca" else "UMAP "
    ax.set_xlabel(f"{axis}1")
    ax.set_ylabel(f"{axis}2")
    ax.set_title(title or f"{table.path.name}: {table.column}, {method.upper()} of {len(xy)} rows")
    fig.tight_layout()
    return save_figure(fig, path)


def _is_numeric(values: np.ndarray) -> bool:
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
               for v in values.tolist())
