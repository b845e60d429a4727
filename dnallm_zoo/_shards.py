"""A run's output as a directory of Parquet shards, each written atomically, and its manifest.

Layout of `DIR/`:

- `part-{input:05d}-{block:06d}.parquet`: one shard, named by the caller (`shard_name`; a block
  past 999,999 takes more digits, up to 20: the scale-out engine numbers blocks by record), rows of one
  `RowLayout` (the schema of `_writers.parquet_schema`, the run's metadata in each file). A shard is
  written to a hidden temporary sibling, fsynced and renamed, so a shard that exists is complete;
  writing the same name again (a retried task) replaces it whole.
- `_manifest.json`: schema version, model, the run's metadata, layout and inputs, each shard's file,
  row count and id range, and `complete`. Its leading `_` (like the temporaries' `.`) makes Parquet
  dataset readers skip it: `pyarrow.parquet.read_table(DIR)` reads the shards.

An "id" here is the layout's key (`RowLayout.key`): the record's id for sequences, a variant's number
`n` for variant scores. A run: `start` (writes the manifest, `complete: false`; with `resume=True`
checks that the run in DIR is this one and drops partial shards), `write_shard` from any process,
`done_ids` to skip what is already written, `finish` (every expected id exactly once, then
`complete: true`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._writers import AtomicPath, EmbeddingWriter, RowLayout, parquet_schema, parquet_table, stamped
from .errors import InputError, one_line

__all__ = [
    "MANIFEST",
    "SCHEMA_VERSION",
    "ShardInfo",
    "ShardWriter",
    "done_ids",
    "finish",
    "is_shard_dir",
    "next_blocks",
    "open_shards",
    "read_manifest",
    "shard_name",
    "start",
    "write_shard",
]

SCHEMA_VERSION = 1
MANIFEST = "_manifest.json"
_SHARD = re.compile(r"part-\d{5}-\d{6,20}\.parquet")
_PARTIAL = re.compile(r"\.part-\d{5}-\d{6,20}\.parquet\.[0-9a-f]+\.tmp")
#: metadata entries that may differ between a run and its resumption
_FREE = frozenset({"dnallm_zoo_version"})


def shard_name(input_index: int, block: int) -> str:
    """The file name of block `block` of input `input_index` (both 0-based)."""
    if not (0 <= input_index < 100_000 and 0 <= block < 10**20):
        raise ValueError(f"shard numbers out of range: input {input_index}, block {block}")
    return f"part-{input_index:05d}-{block:06d}.parquet"


def is_shard_dir(path: str | Path) -> bool:
    """Whether an output path names a shard directory: a trailing slash or an existing directory."""
    return str(path).endswith(("/", os.sep)) or Path(path).is_dir()


@dataclass(frozen=True)
class ShardInfo:
    """What the manifest records of one shard."""

    file: str
    rows: int
    first_id: Any  # the layout's key of the first and last rows
    last_id: Any

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "rows": self.rows,
                "ids": {"first": self.first_id, "last": self.last_id, "count": self.rows}}


def _atomic_bytes(path: Path, data: bytes) -> None:
    out = AtomicPath(path)
    try:
        with open(out.tmp, "wb") as fh:
            fh.write(data)
        out.commit()
    except BaseException:
        out.discard()
        raise


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The manifest of a shard directory."""
    path = Path(directory) / MANIFEST
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{directory}: no {MANIFEST}; not a dnallm-zoo shard directory") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read: {one_line(exc)}") from None
    if data.get("schema_version") != SCHEMA_VERSION:
        raise InputError(f"{path}: schema_version {data.get('schema_version')!r}; this dnallm-zoo "
                         f"reads {SCHEMA_VERSION}")
    return data


def _write_manifest(directory: Path, manifest: Mapping[str, Any]) -> None:
    _atomic_bytes(directory / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    diffs = []
    for key in ("model", "layout", "inputs"):
        if old.get(key) != new.get(key):
            diffs.append(f"{key} {json.dumps(new.get(key))} (was {json.dumps(old.get(key))})")
    om, nm = old.get("metadata", {}), new.get("metadata", {})
    for key in sorted((set(om) | set(nm)) - _FREE):
        if om.get(key) != nm.get(key):
            diffs.append(f"{key} {nm.get(key)!r} (was {om.get(key)!r})")
    return diffs


def start(
    directory: str | Path, *, model: str, layout: RowLayout, metadata: Mapping[str, str],
    inputs: Sequence[str], resume: bool = False,
) -> None:
    """Begin (or, with `resume`, continue) a run in `directory`; call once, before any shard is written.

    A new run needs an empty or absent directory. Resuming needs the manifest of the same run (model,
    layout, inputs and metadata equal; the difference is named otherwise) and drops partial shards.
    """
    d = Path(directory)
    manifest = {
        "schema_version": SCHEMA_VERSION, "model": model, "metadata": stamped(metadata),
        "layout": layout.to_json(), "inputs": list(inputs), "shards": [], "rows": 0, "complete": False,
    }
    if resume:
        old = read_manifest(d)
        diffs = _differences(old, manifest)
        if diffs:
            raise InputError(f"{d}: cannot resume: this run differs from the one there: {'; '.join(diffs)}")
        _drop_partial(d)
        return
    if (d / MANIFEST).exists():
        raise InputError(f"{d}: holds a run already ({MANIFEST}); pass --resume to continue it, or "
                         "name another directory")
    if d.exists() and not d.is_dir():
        raise InputError(f"{d}: is a file, not a directory")
    if d.is_dir() and any(d.iterdir()):
        raise InputError(f"{d}: directory is not empty; name a new or empty directory for the shards")
    try:
        d.mkdir(parents=False, exist_ok=True)
    except FileNotFoundError:
        raise InputError(f"{d}: directory {d.parent} does not exist") from None
    except OSError as exc:
        raise InputError(f"{d}: cannot create: {one_line(exc)}") from None
    _write_manifest(d, manifest)


def _drop_partial(directory: Path) -> None:
    for f in directory.iterdir():
        if _PARTIAL.fullmatch(f.name):
            f.unlink(missing_ok=True)


def write_shard(
    directory: str | Path, name: str, *, layout: RowLayout, metadata: Mapping[str, str],
    ids: Sequence[str | None] | None, vectors: np.ndarray | None, values: Mapping[str, Sequence[Any]],
    sources: Sequence[str] | None = None,
) -> ShardInfo:
    """Write one shard atomically (replacing a shard of that name); safe from any worker process.

    `ids` one per row when the layout has an id column; `vectors` is [rows, layout.size] (or [rows,
    *layout.shape]; None for a layout without a vector); `values` holds one sequence per layout
    column; `sources` one input name per row when the layout has a source column.
    """
    import pyarrow.parquet as pq

    if not _SHARD.fullmatch(name):
        raise ValueError(f"{name!r} is no shard name (see shard_name)")
    if set(values) != set(layout.columns):
        raise ValueError(f"shard {name}: values for columns {sorted(values)}, expected {layout.columns}")
    n = len(next(iter(values.values()))) if values else len(ids or ())
    if any(len(values[c]) != n for c in layout.columns) or (layout.ids and (ids is None or len(ids) != n)):
        raise ValueError(f"shard {name}: columns of unequal length ({n} rows expected)")
    if layout.source and (sources is None or len(sources) != n):
        raise ValueError(f"shard {name}: the layout needs one source per row")
    mat = None
    if layout.width:
        mat = np.ascontiguousarray(vectors, dtype=np.float32).reshape(n, layout.size)
    schema = parquet_schema(layout, stamped(metadata))
    table = parquet_table(layout, schema, ids or (), sources or (), [values[c] for c in layout.columns], mat)
    out = AtomicPath(Path(directory) / name)
    try:
        pq.write_table(table, str(out.tmp))
        out.commit()
    except BaseException as exc:
        out.discard()
        if isinstance(exc, OSError):
            raise InputError(f"{out.path}: cannot write: {one_line(exc)}") from exc
        raise
    keys = table[layout.key].to_pylist()
    return ShardInfo(name, n, keys[0] if n else None, keys[-1] if n else None)


def _listed(items: Sequence[str], limit: int = 10) -> str:
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _shards(directory: Path) -> list[Path]:
    return sorted(f for f in directory.iterdir() if _SHARD.fullmatch(f.name))


def _keys(shard: Path, key: str) -> list[Any]:
    """The `key` column of a shard: the value that names each row once in a run."""
    import pyarrow.parquet as pq

    try:
        return pq.read_table(shard, columns=[key])[key].to_pylist()
    except Exception as exc:  # pyarrow's errors have no common base
        raise InputError(f"{shard}: cannot read this shard: {one_line(exc)}") from None


def done_ids(directory: str | Path) -> set[Any]:
    """The keys (ids, for sequences) in the complete shards of `directory` (partial shards are dropped
    first)."""
    d = Path(directory)
    _drop_partial(d)
    key = RowLayout.from_json(read_manifest(d)["layout"]).key
    done: set[Any] = set()
    for shard in _shards(d):
        done.update(_keys(shard, key))
    return done


def next_blocks(directory: str | Path) -> dict[int, int]:
    """Per input index, the first block number no shard of `directory` uses."""
    nxt: dict[int, int] = {}
    for shard in _shards(Path(directory)):
        _, i, b = shard.stem.split("-")
        nxt[int(i)] = max(nxt.get(int(i), 0), int(b) + 1)
    return nxt


def finish(directory: str | Path, *, expected_ids: Iterable[Any] | None = None) -> dict[str, Any]:
    """Check the shards and mark the run complete; returns the manifest written.

    Every id (the layout's key) must be in exactly one row of one shard; with `expected_ids`, the ids
    must be those. A failed check names the ids (and shards) at fault and leaves the run incomplete.
    """
    d = Path(directory)
    manifest = read_manifest(d)
    layout = RowLayout.from_json(manifest["layout"])
    want_names = parquet_schema(layout, {}).names
    where: dict[Any, str] = {}
    dupes: list[str] = []
    infos: list[ShardInfo] = []
    import pyarrow.parquet as pq

    for shard in _shards(d):
        names = pq.read_schema(shard).names
        if names != want_names:
            raise InputError(f"{shard}: columns {names}, expected {want_names}")
        ids = _keys(shard, layout.key)
        for rid in ids:
            if rid in where:
                dupes.append(f"{rid!r} ({where[rid]} and {shard.name})")
            else:
                where[rid] = shard.name
        infos.append(ShardInfo(shard.name, len(ids), ids[0] if ids else None, ids[-1] if ids else None))
    problems = []
    if dupes:
        problems.append(f"{len(dupes)} ids written twice: {_listed(dupes)}")
    if expected_ids is not None:
        expected = set()
        missing = []
        for rid in expected_ids:
            expected.add(rid)
            if rid not in where:
                missing.append(repr(rid))
        if missing:
            problems.append(f"{len(missing)} ids missing: {_listed(missing)}")
        extra = [repr(r) for r in where if r not in expected]
        if extra:
            problems.append(f"{len(extra)} ids not in the input: {_listed(extra)}")
    if problems:
        raise InputError(f"{d}: the shards are not the run's output: {'; '.join(problems)}")
    manifest.update(shards=[i.to_json() for i in infos], rows=sum(i.rows for i in infos), complete=True)
    _write_manifest(d, manifest)
    return manifest


class ShardWriter(EmbeddingWriter):
    """An `EmbeddingWriter` over a shard directory: a shard every `shard_size` rows or new input.

    `open_shards` starts (or resumes) the run; `close` writes the last shard and `finish`es the run
    (with `expected_ids` when set); `abort` drops only the rows not yet in a shard.
    """

    suffix = "/"

    def __init__(self, path: Path, layout: RowLayout, metadata: Mapping[str, str], *,
                 inputs: Sequence[str], shard_size: int, model: str, resume: bool = False) -> None:
        super().__init__(path, layout, metadata)
        if not layout.source:
            raise ValueError("a shard directory's layout has a source column")
        start(path, model=model, layout=layout, metadata=self.metadata, inputs=inputs, resume=resume)
        self.inputs = {name: i for i, name in enumerate(inputs)}
        self.shard_size = shard_size
        self.expected_ids: Iterable[Any] | None = None
        self._next = next_blocks(path) if resume else {}
        self._reset(None)

    def _reset(self, source: str | None) -> None:
        self._source = source
        self._ids: list[str | None] = []
        self._cols: list[list[Any]] = [[] for _ in self.layout.columns]
        self._vecs: list[np.ndarray] = []

    def _write(self, record_id: str | None, values: list[Any], vector: np.ndarray | None,
               source: str | None) -> None:
        if source != self._source:
            self._flush()
            if source not in self.inputs:
                raise ValueError(f"row {record_id!r}: source {source!r} is none of the run's inputs")
            self._source = source
        self._ids.append(record_id)
        for col, v in zip(self._cols, values, strict=True):
            col.append(v)
        if vector is not None:
            self._vecs.append(vector)
        if len(self._ids) >= self.shard_size:
            self._flush()

    def _flush(self) -> None:
        if not self._ids:
            return
        assert self._source is not None
        index = self.inputs[self._source]
        block = self._next.get(index, 0)
        write_shard(self.path, shard_name(index, block), layout=self.layout, metadata=self.metadata,
                    ids=self._ids, vectors=np.stack(self._vecs) if self._vecs else None,
                    values=dict(zip(self.layout.columns, self._cols, strict=True)),
                    sources=[self._source] * len(self._ids))
        self._next[index] = block + 1
        self._reset(self._source)

    def _finish(self) -> None:
        self._flush()
        finish(self.path, expected_ids=self.expected_ids)

    def _discard(self) -> None:
        self._reset(None)


@contextmanager
def open_shards(
    directory: str | Path, *, layout: RowLayout, metadata: Mapping[str, str], inputs: Sequence[str],
    model: str, shard_size: int, resume: bool = False,
    expected_ids: Callable[[], Iterable[Any]] | None = None,
) -> Iterator[ShardWriter]:
    """A `ShardWriter` that finishes the run on success and keeps its complete shards on error.

    `expected_ids()`, asked at the end, gives the ids the directory must hold, each once.
    """
    writer = ShardWriter(Path(directory), layout, metadata, inputs=inputs, shard_size=shard_size,
                         model=model, resume=resume)
    try:
        yield writer
    except BaseException:
        writer.abort()
        raise
    if expected_ids is not None:
        writer.expected_ids = expected_ids()
    writer.close()
