"""Shard directories: atomic shards, the manifest, done ids, the final exactly-once check."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from dnallm_zoo import InputError, __version__
from dnallm_zoo._shards import (
    MANIFEST,
    ShardWriter,
    done_ids,
    finish,
    is_shard_dir,
    next_blocks,
    open_shards,
    read_manifest,
    shard_name,
    start,
    write_shard,
)
from dnallm_zoo._writers import RowLayout, open_writer

LAYOUT = RowLayout.sequences(3, source=True)
META = {"model": "toy-3", "pooling": "mean"}
INPUTS = ["a.fa", "b.fq.gz"]


def shard(d: Path, i: int, b: int, ids: list[str], source: str = "a.fa") -> None:
    vecs = np.arange(3 * len(ids), dtype=np.float32).reshape(len(ids), 3)
    write_shard(d, shard_name(i, b), layout=LAYOUT, metadata=META, ids=ids, vectors=vecs,
                values={"length": [len(r) for r in ids]}, sources=[source] * len(ids))


def begin(d: Path, **kw: object) -> None:
    start(d, model="toy-3", layout=LAYOUT, metadata=META, inputs=INPUTS, **kw)  # type: ignore[arg-type]


def test_shard_names_and_directory_outputs(tmp_path: Path) -> None:
    assert shard_name(3, 17) == "part-00003-000017.parquet"
    with pytest.raises(ValueError):
        shard_name(-1, 0)
    assert is_shard_dir("out/") and is_shard_dir(tmp_path) and not is_shard_dir(tmp_path / "o.parquet")


def test_a_run_writes_shards_and_a_manifest_readers_skip(tmp_path: Path) -> None:
    d = tmp_path / "run"
    begin(d)
    assert read_manifest(d)["complete"] is False
    shard(d, 0, 0, ["r1", "r2"])
    shard(d, 1, 0, ["q1"], source="b.fq.gz")
    assert done_ids(d) == {"r1", "r2", "q1"}
    assert next_blocks(d) == {0: 1, 1: 1}
    manifest = finish(d, expected_ids=["r1", "r2", "q1"])
    assert manifest == read_manifest(d)
    assert manifest["complete"] is True and manifest["rows"] == 3 and manifest["schema_version"] == 1
    assert manifest["model"] == "toy-3" and manifest["inputs"] == INPUTS
    assert manifest["metadata"] == {"dnallm_zoo_version": __version__, **META}
    assert manifest["layout"]["source"] is True
    assert manifest["shards"][0] == {"file": "part-00000-000000.parquet", "rows": 2,
                                     "ids": {"first": "r1", "last": "r2", "count": 2}}
    table = pq.read_table(d)  # the manifest's leading underscore: a plain Parquet dataset
    assert sorted(table["id"].to_pylist()) == ["q1", "r1", "r2"]
    assert table.schema.names == ["id", "source", "length", "embedding"]
    meta = pq.read_schema(d / "part-00001-000000.parquet").metadata
    assert meta[b"model"] == b"toy-3" and meta[b"dnallm_zoo_version"] == __version__.encode()


def test_rewriting_a_shard_replaces_it_and_partials_are_dropped(tmp_path: Path) -> None:
    d = tmp_path / "run"
    begin(d)
    shard(d, 0, 0, ["r1", "r2"])
    shard(d, 0, 0, ["r1", "r2"])  # a retried task writes its shard again
    partial = d / ".part-00000-000001.parquet.0a1b2c3d.tmp"
    partial.write_bytes(b"PAR1 half a shard")
    assert done_ids(d) == {"r1", "r2"}
    assert not partial.exists()
    assert finish(d)["rows"] == 2


def test_finish_names_duplicates_missing_and_unexpected_ids(tmp_path: Path) -> None:
    d = tmp_path / "run"
    begin(d)
    shard(d, 0, 0, ["r1", "r2"])
    shard(d, 0, 1, ["r2", "x"])
    with pytest.raises(InputError) as err:
        finish(d, expected_ids=["r1", "r2", "r3"])
    msg = str(err.value)
    assert "1 ids written twice: 'r2' (part-00000-000000.parquet and part-00000-000001.parquet)" in msg
    assert "1 ids missing: 'r3'" in msg and "1 ids not in the input: 'x'" in msg
    assert read_manifest(d)["complete"] is False


def test_start_refuses_a_used_directory_and_a_different_run(tmp_path: Path) -> None:
    d = tmp_path / "run"
    begin(d)
    with pytest.raises(InputError, match="holds a run already"):
        begin(d)
    begin(d, resume=True)  # the same run
    with pytest.raises(InputError, match=r"cannot resume.*pooling 'max' \(was 'mean'\)"):
        start(d, model="toy-3", layout=LAYOUT, metadata={**META, "pooling": "max"}, inputs=INPUTS,
              resume=True)
    with pytest.raises(InputError, match=r'model "toy-5" \(was "toy-3"\)'):
        start(d, model="toy-5", layout=LAYOUT, metadata=META, inputs=INPUTS, resume=True)
    with pytest.raises(InputError, match="inputs"):
        start(d, model="toy-3", layout=LAYOUT, metadata=META, inputs=["a.fa"], resume=True)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        begin(other)
    with pytest.raises(InputError, match=r"no _manifest\.json"):
        begin(tmp_path / "fresh", resume=True)


def test_shard_writer_cuts_shards_by_size_and_input(tmp_path: Path) -> None:
    d = tmp_path / "run"
    with open_shards(d, layout=LAYOUT, metadata=META, inputs=INPUTS, shard_size=2, model="toy-3") as w:
        for rid in ("a1", "a2", "a3"):
            w.write(rid, (1,), np.ones(3, np.float32), source="a.fa")
        w.write("b1", (1,), np.zeros(3, np.float32), source="b.fq.gz")
        w.expected_ids = ["a1", "a2", "a3", "b1"]
    assert sorted(os.listdir(d)) == [MANIFEST, "part-00000-000000.parquet", "part-00000-000001.parquet",
                                     "part-00001-000000.parquet"]
    assert json.loads((d / MANIFEST).read_text())["complete"] is True


def test_an_aborted_shard_writer_keeps_its_complete_shards(tmp_path: Path) -> None:
    d = tmp_path / "run"
    w = ShardWriter(d, LAYOUT, META, inputs=INPUTS, shard_size=2, model="toy-3")
    for rid in ("a1", "a2", "a3"):
        w.write(rid, (1,), np.ones(3, np.float32), source="a.fa")
    w.abort()
    assert done_ids(d) == {"a1", "a2"} and read_manifest(d)["complete"] is False
    w = ShardWriter(d, LAYOUT, META, inputs=INPUTS, shard_size=2, model="toy-3", resume=True)
    w.write("a3", (1,), np.ones(3, np.float32), source="a.fa")
    w.expected_ids = ["a1", "a2", "a3"]
    w.close()
    assert sorted(os.listdir(d))[-1] == "part-00000-000001.parquet"
    assert read_manifest(d)["rows"] == 3


def test_single_file_outputs_still_need_no_source(tmp_path: Path) -> None:
    with open_writer(tmp_path / "o.parquet", layout=RowLayout.sequences(3)) as w, \
            pytest.raises(ValueError, match="has no source"):
        w.write("a", (1,), np.ones(3, np.float32), source="x")


def test_blocks_past_a_million_take_more_digits_and_count_as_shards(tmp_path: Path) -> None:
    assert shard_name(2, 1_234_567) == "part-00002-1234567.parquet"
    with pytest.raises(ValueError):
        shard_name(0, 10**20)
    d = tmp_path / "run"
    begin(d)
    shard(d, 0, 5_000_000, ["r1"])
    shard(d, 0, 7, ["r2"])
    assert done_ids(d) == {"r1", "r2"} and next_blocks(d) == {0: 5_000_001}
    assert finish(d, expected_ids=["r1", "r2"])["rows"] == 2


def test_a_table_layout_is_done_and_finished_by_its_key(tmp_path: Path) -> None:
    layout = RowLayout.table({"id": "string", "llr": "float64", "n": "int64"}, key="n")
    d = tmp_path / "run"
    with open_shards(d, layout=layout, metadata=META, inputs=["v.vcf"], shard_size=2, model="toy-3") as w:
        for n, rid in enumerate([".", ".", "rs1"], 1):  # ids repeat: the key is n
            w.write(None, (None if rid == "." else rid, -0.5 * n, n), None, source="v.vcf")
    assert done_ids(d) == {1, 2, 3}
    manifest = read_manifest(d)
    assert manifest["complete"] and manifest["rows"] == 3
    assert [(s["ids"]["first"], s["ids"]["last"]) for s in manifest["shards"]] == [(1, 2), (3, 3)]
    with pytest.raises(InputError, match="1 ids missing: 4"):
        finish(d, expected_ids=[1, 2, 3, 4])
