"""Embeddings out (.parquet, .npy, .npz, .safetensors), atomically.

Every output is written to a hidden temporary sibling, fsynced and renamed over the target only when
complete, so a failed or killed run never leaves a truncated file. Row layouts per format:

| format        | rows                                                                          |
|---------------|-------------------------------------------------------------------------------|
| `.parquet`    | columns `id` string, [`source` string], the int64 columns, the vector as      |
|               | fixed_size_list<float32>                                                      |
| `.npy`        | the [N, width] float32 matrix alone (neither ids nor sources)                 |
| `.npz`        | `ids`, [`sources`], the int64 columns in plural (`lengths`, `starts`, `ends`),|
|               | the matrix (`embeddings` or `probabilities`), and `metadata` (a JSON string)  |
| `.safetensors`| the matrix as one tensor; ids, [sources] and the int64 columns as JSON in its |
|               | metadata                                                                      |

`source` (the input a row came from) is there when the layout asks for it (`RowLayout(..., source=True)`).
A layout of typed scalar columns without a vector (`RowLayout.table`, variant scores: strings, nullable
floats) is written to Parquet (a file or shards) only.
A layout of several layers (`RowLayout(..., layers=(0, 6, 12))`, `embed --layer 0,6,-1`) has one vector
column per layer in Parquet (`embedding_0`, `embedding_6`, `embedding_12`: hidden-state indices, 0 the
embeddings) and a [N, layers, width] array in the other formats (their `layers` metadata names them).

The metadata (model id, pooling, layer, dnallm_zoo version, ...) is the Parquet file's key-value
metadata, the `.npz`'s `metadata` entry and the safetensors header's `__metadata__`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import struct
import tempfile
import zipfile
from abc import ABC, abstractmethod
from array import array
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from .errors import InputError, one_line

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "COLUMN_TYPES",
    "SUPPORTED_SUFFIXES",
    "AtomicPath",
    "EmbeddingWriter",
    "Item",
    "OutRow",
    "RowLayout",
    "check_layout",
    "check_output",
    "open_writer",
    "parquet_schema",
    "stamped",
    "writer_class",
]


def stamped(metadata: Mapping[str, object]) -> dict[str, str]:
    """Run metadata as written: strings, with the dnallm_zoo version that wrote them (the one place the
    version is stamped; every writer and the shard manifest call it)."""
    from . import __version__

    return {"dnallm_zoo_version": __version__, **{k: str(v) for k, v in metadata.items()}}


# ----------------------------------------------------------------------------------------- rows
class Item(Protocol):
    """What a row is of: a record (`SeqRecord`) or a variant; its id, its input, its number there."""

    @property
    def id(self) -> str | None: ...
    @property
    def source(self) -> str | None: ...
    @property
    def n(self) -> int: ...
    @property
    def length(self) -> int: ...


class OutRow(Protocol):
    """A result row a writer takes: its item (id, source), one value per layout column, its vector
    (None in a layout without one).

    (`item`, not `record`: a `Segment`'s `record` is its id, as it was before rows held records.)
    """

    @property
    def item(self) -> Item: ...
    @property
    def values(self) -> tuple[Any, ...]: ...
    @property
    def vector(self) -> np.ndarray | None: ...


# ----------------------------------------------------------------------------------------- layouts
#: the Arrow types a layout's scalar columns may have
COLUMN_TYPES = ("int64", "float64", "string")


@dataclass(frozen=True)
class RowLayout:
    """One output row: [`id`], [`source`], some scalar columns (int64 unless `types` says), and one
    float32 vector of `width` values (none when `width` is 0). Without `id` (`table`), `source` comes
    after the scalar columns.

    `key` is the column that names a row once in a run (what a resumed run skips and the last check
    counts): the record's `id` for sequences, or a column of the row's own (an item attribute).
    """

    columns: tuple[str, ...]
    vector: str
    width: int
    source: bool = False  # a `source` string column: the input the row came from
    layers: tuple[int, ...] = ()  # several layers' vectors per row (hidden-state indices), or one vector
    types: tuple[str, ...] = ()  # one Arrow type per column (COLUMN_TYPES); () means every one int64
    ids: bool = True  # a leading `id` string column: the row's item's id
    key: str = "id"

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of one row's vector: (width,), or (layers, width)."""
        return (len(self.layers), self.width) if self.layers else (self.width,)

    @property
    def size(self) -> int:
        """Floats in one row's vector."""
        return self.width * max(1, len(self.layers))

    @property
    def vector_columns(self) -> tuple[str, ...]:
        """The Parquet vector columns: the vector's name, or one per layer (`embedding_6`); none without."""
        if not self.width:
            return ()
        return tuple(f"{self.vector}_{i}" for i in self.layers) if self.layers else (self.vector,)

    @property
    def column_types(self) -> tuple[str, ...]:
        return self.types or ("int64",) * len(self.columns)

    @property
    def matrix(self) -> bool:
        """Whether rows are int columns and a vector: what .npy, .npz and .safetensors hold."""
        return self.ids and self.width > 0 and set(self.column_types) <= {"int64"}

    @classmethod
    def sequences(cls, width: int, *, source: bool = False, layers: tuple[int, ...] = ()) -> RowLayout:
        """One embedding per input sequence: `id`, `length`, `embedding` (or one per layer)."""
        return cls(("length",), "embedding", width, source, layers)

    @classmethod
    def segments(cls, width: int, *, source: bool = False, layers: tuple[int, ...] = ()) -> RowLayout:
        """One embedding per window of a sequence: `id`, `start`, `end` (0-based, half-open), `embedding`."""
        return cls(("start", "end"), "embedding", width, source, layers)

    @classmethod
    def predictions(cls, width: int, *, vector: str = "probabilities", source: bool = False) -> RowLayout:
        """One row of label scores per input sequence: `id`, `length`, `probabilities`."""
        return cls(("length",), vector, width, source)

    @classmethod
    def table(cls, columns: Mapping[str, str], *, key: str, source: bool = True) -> RowLayout:
        """Rows of typed scalar columns (name -> Arrow type), no vector; `key` names a row once."""
        return cls(tuple(columns), "", 0, source, types=tuple(columns.values()), ids=False, key=key)

    def __post_init__(self) -> None:
        if self.width < 0 or (self.width == 0 and (self.ids or self.layers)):
            raise ValueError(f"row width must be positive, got {self.width}")
        if self.types and (len(self.types) != len(self.columns) or set(self.types) - set(COLUMN_TYPES)):
            raise ValueError(f"types {self.types} for columns {self.columns}: one of {COLUMN_TYPES} each")
        names = (["id"] if self.ids else []) + (["source"] if self.source else []) + list(self.columns)
        if self.key not in names:
            raise ValueError(f"key {self.key!r} is none of the columns {names}")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"columns": list(self.columns), "vector": self.vector, "width": self.width,
                               "source": self.source}
        if self.layers:
            out["layers"] = list(self.layers)
        if self.types:
            out.update(types=list(self.types), ids=self.ids, key=self.key)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RowLayout:
        return cls(tuple(data["columns"]), str(data["vector"]), int(data["width"]), bool(data["source"]),
                   tuple(int(i) for i in data.get("layers", ())), tuple(data.get("types", ())),
                   bool(data.get("ids", True)), str(data.get("key", "id")))


def parquet_schema(layout: RowLayout, metadata: Mapping[str, str]) -> pa.Schema:
    """The Parquet schema of a layout, with `metadata` as the file's key-value metadata."""
    import pyarrow as pa

    source = [("source", pa.string())] if layout.source else []
    scalars = [(c, pa.type_for_alias(t)) for c, t in zip(layout.columns, layout.column_types, strict=True)]
    return pa.schema(
        [*([("id", pa.string()), *source, *scalars] if layout.ids else [*scalars, *source]),
         *((v, pa.list_(pa.float32(), layout.width)) for v in layout.vector_columns)],
        metadata={k.encode(): v.encode() for k, v in metadata.items()},
    )


def parquet_table(
    layout: RowLayout, schema: pa.Schema, ids: Sequence[str | None], sources: Sequence[str | None],
    columns: Sequence[Sequence[Any]], vectors: np.ndarray | None,
) -> pa.Table:
    """Rows as a table of `parquet_schema(layout)`: ids and sources (where the layout has them), the
    scalar columns in layout order, and `vectors` ([rows, size] float32) as fixed-size lists (one per
    layer; None for a layout without a vector)."""
    import pyarrow as pa

    source = [pa.array(list(sources), type=pa.string())] if layout.source else []
    scalars = [pa.array(c, type=pa.type_for_alias(t))
               for c, t in zip(columns, layout.column_types, strict=True)]
    arrays = [pa.array(list(ids), type=pa.string()), *source, *scalars] if layout.ids else [*scalars, *source]
    if layout.width:
        assert vectors is not None
        mat = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(vectors), -1, layout.width)
        arrays += [pa.FixedSizeListArray.from_arrays(
            pa.array(np.ascontiguousarray(mat[:, i]).reshape(-1), type=pa.float32()), layout.width)
            for i in range(len(layout.vector_columns))]
    return pa.Table.from_arrays(arrays, schema=schema)


def _plural(name: str) -> str:
    return name if name.endswith("s") else name + "s"


# ----------------------------------------------------------------------------------------- atomic files
class AtomicPath:
    """A hidden temporary sibling of `path` that replaces `path` on `commit` (fsync, then rename)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        while True:
            tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
            try:  # O_EXCL and mode 0o666 under the umask: the output gets normal permissions
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            os.close(fd)
            self.tmp = tmp
            return

    def commit(self) -> None:
        fd = os.open(self.tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(self.tmp, self.path)
        try:  # make the rename itself durable
            dfd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dfd)
        except OSError:
            pass
        finally:
            os.close(dfd)

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


# ----------------------------------------------------------------------------------------- writers
class EmbeddingWriter(ABC):
    """Writes rows of one `RowLayout`; nothing appears at `path` until `close` succeeds."""

    suffix: ClassVar[str]

    def __init__(self, path: Path, layout: RowLayout, metadata: Mapping[str, str]) -> None:
        self.path = path
        self.layout = layout
        self.metadata = stamped(metadata)
        self.rows = 0
        self._done = False

    def write_row(self, row: OutRow) -> None:
        """Add one result row, by its own item's id and input (never by its position)."""
        rec = row.item
        if rec.id is None and self.layout.ids:
            raise ValueError(f"a row of input {rec.source!r} record {rec.n} has no id")
        self.write(rec.id, row.values, row.vector, source=rec.source if self.layout.source else None)

    def write(self, record_id: str | None, values: Sequence[Any], vector: np.ndarray | None, *,
              source: str | None = None) -> None:
        """Add one row: its id, one value per layout column, its vector, and its input if the layout
        has one."""
        if (source is None) == self.layout.source:
            raise ValueError(f"row {record_id!r}: the layout {'needs' if self.layout.source else 'has no'} "
                             "source")
        vec = None
        if self.layout.width:
            vec = np.asarray(vector, dtype=np.float32)
            if vec.shape != self.layout.shape:
                raise ValueError(f"row {record_id!r}: vector of shape {vec.shape}, "
                                 f"expected {self.layout.shape}")
            vec = vec.reshape(self.layout.size)
        if len(values) != len(self.layout.columns):
            raise ValueError(f"row {record_id!r}: {len(values)} values for columns {self.layout.columns}")
        if not self.layout.types:
            values = [int(v) for v in values]
        try:
            self._write(record_id, list(values), vec, source)
        except OSError as exc:
            raise InputError(f"{self.path}: cannot write: {one_line(exc)}") from exc
        self.rows += 1

    def close(self) -> None:
        """Finish the file and move it into place; on failure nothing is left behind."""
        if self._done:
            return
        try:
            self._finish()
        except BaseException as exc:
            self.abort()
            if isinstance(exc, OSError):
                raise InputError(f"{self.path}: cannot write: {one_line(exc)}") from exc
            raise
        self._done = True

    def abort(self) -> None:
        """Drop everything written so far, temporary files included."""
        if self._done:
            return
        self._done = True
        self._discard()

    @abstractmethod
    def _write(self, record_id: str | None, values: list[Any], vector: np.ndarray | None,
               source: str | None) -> None: ...

    @abstractmethod
    def _finish(self) -> None: ...

    @abstractmethod
    def _discard(self) -> None: ...


class ParquetWriter(EmbeddingWriter):
    """Row groups of about 16 MiB written as they fill (pyarrow's ParquetWriter): bounded memory."""

    suffix = ".parquet"
    group_bytes = 16 << 20

    def __init__(self, path: Path, layout: RowLayout, metadata: Mapping[str, str]) -> None:
        super().__init__(path, layout, metadata)
        import pyarrow.parquet as pq

        self.schema = parquet_schema(layout, self.metadata)
        self._group_rows = max(64, self.group_bytes // (4 * layout.size)) if layout.width else 4096
        self._ids: list[str | None] = []
        self._sources: list[str | None] = []
        self._cols: list[list[Any]] = [[] for _ in layout.columns]
        self._vecs: list[np.ndarray] = []
        try:
            self._out = AtomicPath(path)
        except OSError as exc:
            raise InputError(f"{path}: cannot write: {one_line(exc)}") from exc
        try:
            self._pq = pq.ParquetWriter(str(self._out.tmp), self.schema)
        except BaseException:
            self._out.discard()
            raise

    def _write(self, record_id: str | None, values: list[Any], vector: np.ndarray | None,
               source: str | None) -> None:
        self._ids.append(record_id)
        self._sources.append(source)
        for col, v in zip(self._cols, values, strict=True):
            col.append(v)
        if vector is not None:
            self._vecs.append(vector)
        if len(self._ids) >= self._group_rows:
            self._flush()

    def _flush(self) -> None:
        if not self._ids:
            return
        self._pq.write_table(parquet_table(self.layout, self.schema, self._ids, self._sources, self._cols,
                                           np.stack(self._vecs) if self._vecs else None))
        self._ids, self._vecs, self._sources = [], [], []
        self._cols = [[] for _ in self.layout.columns]

    def _finish(self) -> None:
        self._flush()
        self._pq.close()
        self._out.commit()

    def _discard(self) -> None:
        with contextlib.suppress(Exception):  # the file is being thrown away
            self._pq.close()
        self._out.discard()


class _SpooledWriter(EmbeddingWriter):
    """Vectors spooled to an anonymous temporary file beside the output, ids and ints kept in memory.

    The formats below need the row count in their header, so the file is assembled at `close`.
    """

    def __init__(self, path: Path, layout: RowLayout, metadata: Mapping[str, str]) -> None:
        check_layout(path, layout)
        super().__init__(path, layout, metadata)
        self._ids: list[str] = []
        self._sources: list[str] = []
        self._cols = [array("q") for _ in layout.columns]
        try:  # beside the output: same filesystem, and unlinked at once (nothing left if killed)
            self._spool: IO[bytes] = tempfile.TemporaryFile(dir=path.parent)  # noqa: SIM115
        except OSError as exc:
            raise InputError(f"{path}: cannot write: {one_line(exc)}") from exc

    def _write(self, record_id: str | None, values: list[Any], vector: np.ndarray | None,
               source: str | None) -> None:
        assert record_id is not None and vector is not None  # a matrix layout (checked when opened)
        self._ids.append(record_id)
        if source is not None:
            self._sources.append(source)
        for col, v in zip(self._cols, values, strict=True):
            col.append(v)
        self._spool.write(vector.astype("<f4", copy=False).tobytes())

    @property
    def _shape(self) -> tuple[int, ...]:
        return (len(self._ids), *self.layout.shape)

    def _copy_matrix(self, fh: IO[bytes]) -> None:
        self._spool.flush()
        self._spool.seek(0)
        shutil.copyfileobj(self._spool, fh, 1 << 20)

    def _npy_matrix(self, fh: IO[bytes]) -> None:
        np.lib.format.write_array_header_1_0(
            fh, {"descr": "<f4", "fortran_order": False, "shape": self._shape}
        )
        self._copy_matrix(fh)

    def _finish(self) -> None:
        out = AtomicPath(self.path)
        try:
            with open(out.tmp, "wb") as fh:
                self._assemble(fh)
            out.commit()
        except BaseException:
            out.discard()
            raise
        finally:
            self._spool.close()

    def _discard(self) -> None:
        self._spool.close()

    @abstractmethod
    def _assemble(self, fh: IO[bytes]) -> None: ...


class NpyWriter(_SpooledWriter):
    """The [N, width] float32 matrix alone (ids are not kept: use .npz or .parquet for those)."""

    suffix = ".npy"

    def _assemble(self, fh: IO[bytes]) -> None:
        self._npy_matrix(fh)


class NpzWriter(_SpooledWriter):
    """`ids`, the int columns in plural, the matrix, `metadata` (JSON); uncompressed, no pickles."""

    suffix = ".npz"

    def _assemble(self, fh: IO[bytes]) -> None:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            small: dict[str, np.ndarray] = {"ids": np.array(self._ids, dtype=str)}
            if self.layout.source:
                small["sources"] = np.array(self._sources, dtype=str)
            for name, col in zip(self.layout.columns, self._cols, strict=True):
                small[_plural(name)] = np.frombuffer(col, dtype=np.int64) if col else np.zeros(0, np.int64)
            small["metadata"] = np.array(json.dumps(self.metadata))
            for name, arr in small.items():
                with zf.open(name + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, arr, allow_pickle=False)
            with zf.open(_plural(self.layout.vector) + ".npy", "w", force_zip64=True) as member:
                self._npy_matrix(member)


class SafetensorsWriter(_SpooledWriter):
    """One tensor (`embeddings` / `probabilities`); ids, int columns and metadata in its header."""

    suffix = ".safetensors"

    def _assemble(self, fh: IO[bytes]) -> None:
        shape = list(self._shape)
        meta = dict(self.metadata)
        meta["ids"] = json.dumps(self._ids)
        if self.layout.source:
            meta["sources"] = json.dumps(self._sources)
        for name, col in zip(self.layout.columns, self._cols, strict=True):
            meta[_plural(name)] = json.dumps(col.tolist())
        header: dict[str, Any] = {
            "__metadata__": meta,
            _plural(self.layout.vector): {
                "dtype": "F32", "shape": shape, "data_offsets": [0, shape[0] * self.layout.size * 4],
            },
        }
        blob = json.dumps(header, separators=(",", ":")).encode("utf-8")
        blob += b" " * (-len(blob) % 8)  # the format pads the header to 8 bytes with spaces
        fh.write(struct.pack("<Q", len(blob)))
        fh.write(blob)
        self._copy_matrix(fh)


WRITERS: dict[str, type[EmbeddingWriter]] = {
    w.suffix: w for w in (ParquetWriter, NpyWriter, NpzWriter, SafetensorsWriter)
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(WRITERS)


def writer_class(path: str | Path) -> type[EmbeddingWriter]:
    """The writer for an output path, chosen by its suffix."""
    suffix = Path(path).suffix.lower()
    cls = WRITERS.get(suffix)
    if cls is None:
        raise InputError(
            f"{path}: unknown output format {suffix or '(no suffix)'}; "
            f"supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    return cls


def check_output(path: str | Path) -> None:
    """Refuse an output path that cannot be written, before any model work."""
    writer_class(path)
    p = Path(path)
    parent = p.parent
    if p.is_dir():
        raise InputError(f"{p}: is a directory; name an output file")
    if not parent.is_dir():
        raise InputError(f"{p}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{p}: directory {parent} is not writable")


def check_layout(path: str | Path, layout: RowLayout) -> None:
    """Refuse a format that cannot hold these rows (typed columns without a vector: Parquet only)."""
    if not layout.matrix and writer_class(path) is not ParquetWriter:
        raise InputError(f"{path}: these rows ({', '.join(layout.columns)}) are written to Parquet: "
                         "name a .parquet file or a directory DIR/")


@contextmanager
def open_writer(
    path: str | Path, *, layout: RowLayout, metadata: Mapping[str, str] | None = None
) -> Iterator[EmbeddingWriter]:
    """A writer for `path` (format by suffix) that commits on success and leaves nothing on error.

    Example::

        with open_writer("out.parquet", layout=RowLayout.sequences(768), metadata={"model": m}) as w:
            w.write("chr1", (len(seq),), vector)
    """
    writer = writer_class(path)(Path(path), layout, metadata or {})
    try:
        yield writer
    except BaseException:
        writer.abort()
        raise
    writer.close()
