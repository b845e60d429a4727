"""Scored rows to one Parquet file, written atomically (complete or absent), or to a directory of
Parquet shards with a manifest, resumable after a kill."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .._writers import AtomicPath
from ..errors import InputError, one_line

__all__ = ["MANIFEST", "ROW_GROUP", "RowShards", "row_key", "schema", "table", "write_parquet"]

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


# ----------------------------------------------------------------------------------------- shards
MANIFEST = "_manifest.json"
SCHEMA_VERSION = 1
_FREE = frozenset({"dnallm_zoo_version"})  # metadata a resumed run may change


class RowShards:
    """Rows, in input order, into `DIR/part-{block:06d}.parquet` (each written atomically) and
    `DIR/_manifest.json` (the run's metadata, columns, expected rows, each shard's rows and first and
    last key, `complete`). A killed run resumes after the rows its listed shards hold; a shard written
    but not yet listed is written again whole."""

    def __init__(self, directory: str | Path, columns: Sequence[str], metadata: Mapping[str, str], *,
                 shard_size: int, expected: int) -> None:
        self.dir = Path(directory)
        self.columns = list(columns)
        self.metadata = dict(metadata)
        self.shard_size = shard_size
        self.expected = expected
        self.manifest: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION, "kind": "variant-rows", "metadata": self.metadata,
            "columns": self.columns, "expected_rows": expected, "shards": [], "rows": 0, "complete": False,
        }

    def start(self, *, resume: bool, key_at: Callable[[int], str]) -> int:
        """Begin, or continue the same run (checked: options, columns, rows, the last key written);
        returns the rows already written."""
        d = self.dir
        if resume:
            old = _read_manifest(d)
            diffs = [f"{k}: {old.get(k)!r} there, {self.manifest[k]!r} now"
                     for k in ("kind", "columns", "expected_rows") if old.get(k) != self.manifest[k]]
            meta = old.get("metadata", {})
            diffs += [f"{k}: {meta.get(k)!r} there, {self.metadata.get(k)!r} now"
                      for k in sorted(set(meta) | set(self.metadata) - _FREE)
                      if k not in _FREE and meta.get(k) != self.metadata.get(k)]
            if diffs:
                raise InputError(f"{d}: cannot resume: this run differs from the one there: "
                                 f"{'; '.join(diffs)}")
            for f in d.iterdir():
                if f.name.startswith(".") and f.name.endswith(".tmp"):
                    f.unlink(missing_ok=True)
            self.manifest["shards"] = [s for s in old["shards"] if (d / s["file"]).is_file()]
            done = sum(int(s["rows"]) for s in self.manifest["shards"])
            if done and key_at(done - 1) != self.manifest["shards"][-1]["last"]:
                raise InputError(f"{d}: cannot resume: row {done} there is "
                                 f"{self.manifest['shards'][-1]['last']}, here {key_at(done - 1)}")
            self.manifest["rows"] = done
            return done
        if (d / MANIFEST).exists():
            raise InputError(f"{d}: holds a run already ({MANIFEST}); pass --resume to continue it, or name "
                             "another directory")
        if d.exists() and (not d.is_dir() or any(d.iterdir())):
            raise InputError(f"{d}: not an empty directory; name a new or empty directory for the shards")
        if not d.parent.is_dir():
            raise InputError(f"{d}: directory {d.parent} does not exist")
        d.mkdir(exist_ok=True)
        self._save()
        return 0

    def write(self, rows: Iterable[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], str]) -> int:
        """Write the remaining rows shard by shard; the manifest says `complete` when all are there."""
        sch = schema(self.columns, self.metadata)
        buf: list[Mapping[str, Any]] = []
        for row in rows:
            buf.append(row)
            if len(buf) >= self.shard_size:
                self._shard(buf, sch, key)
                buf = []
        if buf:
            self._shard(buf, sch, key)
        if self.manifest["rows"] != self.expected:
            raise InputError(f"{self.dir}: {self.manifest['rows']:,} rows written, "
                             f"{self.expected:,} expected")
        self.manifest["complete"] = True
        self._save()
        return int(self.manifest["rows"])

    def _shard(self, rows: list[Mapping[str, Any]], sch: Any,
               key: Callable[[Mapping[str, Any]], str]) -> None:
        import pyarrow.parquet as pq

        name = f"part-{len(self.manifest['shards']):06d}.parquet"
        out = AtomicPath(self.dir / name)
        try:
            pq.write_table(table(rows, sch), str(out.tmp))
            out.commit()
        except BaseException:
            out.discard()
            raise
        self.manifest["shards"].append({"file": name, "rows": len(rows), "first": key(rows[0]),
                                        "last": key(rows[-1])})
        self.manifest["rows"] += len(rows)
        self._save()

    def _save(self) -> None:
        out = AtomicPath(self.dir / MANIFEST)
        try:
            out.tmp.write_text(json.dumps(self.manifest, indent=1) + "\n")
            out.commit()
        except BaseException:
            out.discard()
            raise


def _read_manifest(d: Path) -> dict[str, Any]:
    try:
        data = json.loads((d / MANIFEST).read_text())
    except FileNotFoundError:
        raise InputError(f"{d}: no {MANIFEST}: nothing to resume") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{d / MANIFEST}: unreadable: {one_line(exc)}") from None
    if not isinstance(data, dict) or data.get("kind") != "variant-rows":
        raise InputError(f"{d / MANIFEST}: not the manifest of a variant scoring run")
    return data


def row_key(row: Mapping[str, Any]) -> str:
    """A row's variant as chrom:pos:ref>alt (what a resumed run checks its position by)."""
    return f"{row['chrom']}:{row['pos']}:{row['ref']}>{row['alt']}"
