"""Scored rows to one Parquet file, written atomically (complete or absent)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .._writers import AtomicPath
from ..errors import InputError, one_line

__all__ = ["ROW_GROUP", "schema", "table", "write_parquet"]

ROW_GROUP = 4096
_TYPES = {"pos": "int64", "window_start": "int64", "window_end": "int64",
          "llr": "float64", "llr_forward": "float64", "llr_reverse": "float64",
          "embed_l2": "float64", "embed_cosine": "float64"}


def schema(columns: Sequence[str], metadata: Mapping[str, str]) -> Any:
    """The Arrow schema of rows with these columns (strings unless numeric), metadata attached."""
    import pyarrow as pa

    fields = [pa.field(c, getattr(pa, _TYPES.get(c, "string"))()) for c in columns]
    return pa.schema(fields, metadata={k.encode(): v.encode() for k, v in metadata.items()})


def table(rows: Sequence[Mapping[str, Any]], sch: Any) -> Any:
    """An Arrow table of `rows` in the schema's columns."""
    import pyarrow as pa

    return pa.table({f.name: pa.array([r[f.name] for r in rows], type=f.type) for f in sch}, schema=sch)


def write_parquet(path: str | Path, rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
                  metadata: Mapping[str, str]) -> int:
    """Stream `rows` into a Parquet file, a row group at a time; the file appears only when all is
    written. Returns the row count."""
    import pyarrow.parquet as pq

    p = Path(path)
    if p.parent and not p.parent.is_dir():
        raise InputError(f"{path}: its directory does not exist")
    sch = schema(columns, metadata)
    out = AtomicPath(p)
    n = 0
    try:
        with pq.ParquetWriter(str(out.tmp), sch) as writer:
            buf: list[Mapping[str, Any]] = []
            for row in rows:
                buf.append(row)
                if len(buf) >= ROW_GROUP:
                    writer.write_table(table(buf, sch))
                    n += len(buf)
                    buf = []
            if buf or not n:
                writer.write_table(table(buf, sch))
                n += len(buf)
        out.commit()
    except OSError as exc:
        out.discard()
        raise InputError(f"{path}: cannot write: {one_line(exc)}") from exc
    except BaseException:
        out.discard()
        raise
    return n
