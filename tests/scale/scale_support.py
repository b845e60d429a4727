"""Helpers of the scale-out tests: FASTA inputs, and shard directories read back and compared."""

from __future__ import annotations

import gzip
import random
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq


def write_fasta(path: Path, records: list[tuple[str, str]], *, wrap: int = 60) -> Path:
    text = "".join(f">{rid} a description\n"
                   + "".join(seq[i:i + wrap] + "\n" for i in range(0, len(seq), wrap))
                   for rid, seq in records)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def random_records(prefix: str, n: int, *, seed: int, lo: int = 5, hi: int = 80) -> list[tuple[str, str]]:
    """`n` records of `lo`..`hi` bases (the toy model takes 34 a pass: the longer ones are chunked)."""
    rng = random.Random(seed)
    return [(f"{prefix}{j}", "".join(rng.choice("ACGT") for _ in range(rng.randint(lo, hi))))
            for j in range(n)]


def read_rows(directory: Path) -> dict[str, tuple[str, int, np.ndarray]]:
    """id -> (source, length, embedding) of a shard directory; an id twice is an assertion error."""
    table = pq.read_table(directory)
    ids = table["id"].to_pylist()
    assert len(ids) == len(set(ids)), "an id is in two rows"
    vecs = np.array(table["embedding"].to_pylist(), dtype=np.float32)
    return {rid: (src, n, v) for rid, src, n, v in zip(
        ids, table["source"].to_pylist(), table["length"].to_pylist(), vecs, strict=True)}


def assert_same_rows(got: Path, want: Path) -> None:
    """Two shard directories hold the same rows (each id once, vectors equal to 1e-5)."""
    a, b = read_rows(got), read_rows(want)
    assert sorted(a) == sorted(b)
    for rid, (src, n, v) in b.items():
        assert a[rid][:2] == (src, n), rid
        np.testing.assert_allclose(a[rid][2], v, rtol=1e-5, atol=1e-5, err_msg=rid)


def parquet_metadata(directory: Path) -> dict[str, Any]:
    files = sorted(directory.glob("part-*.parquet"))
    schema = pq.read_schema(files[0])
    return {"names": schema.names, "types": [str(t) for t in schema.types],
            "metadata": {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()}}
