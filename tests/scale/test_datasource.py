"""The Ray datasource of sequence files: a streaming read task per file, small blocks, record numbers."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from dnallm_zoo.scale._files import expand

pytest.importorskip("ray")

from dnallm_zoo.scale._datasource import ROW_SCHEMA, SequenceDatasource, read_blocks


def test_a_file_streams_as_blocks_bounded_in_records_and_bases(tmp_path: Path) -> None:
    fa = tmp_path / "a.fa.gz"
    fa.write_bytes(gzip.compress("".join(f">r{i}\n{'ACGT' * (i + 1)}\n" for i in range(10)).encode()))
    (item,) = expand([fa])
    blocks = list(read_blocks(item, block_rows=4, block_bases=10**6))
    assert [b.num_rows for b in blocks] == [4, 4, 2] and all(b.schema == ROW_SCHEMA for b in blocks)
    first = blocks[0].to_pydict()
    assert first["source"] == [str(fa)] * 4 and first["n"] == [1, 2, 3, 4] and first["id"][0] == "r0"
    by_bases = list(read_blocks(item, block_rows=100, block_bases=30))  # 4 + 8 + 12 + 16 bases: cut at 40
    assert [b.num_rows for b in by_bases][:2] == [4, 2]
    assert sum(b.num_rows for b in by_bases) == 10


def test_one_read_task_per_file_local_reads_on_the_driver_node(tmp_path: Path) -> None:
    for name in ("a.fa", "b.fa", "c.fa"):
        (tmp_path / name).write_text(">r\nACGT\n")
    files = expand([tmp_path / "*.fa"])
    source = SequenceDatasource(files)
    tasks = source.get_read_tasks(parallelism=200)
    assert len(tasks) == 3 and [t.metadata.input_files for t in tasks] == [(str(f.name),) for f in files]
    assert source.estimate_inmemory_data_size() == sum(f.size or 0 for f in files)
    assert source.supports_distributed_reads is False
    assert [b.to_pydict()["id"] for b in tasks[1]()] == [["r"]]
    remote = SequenceDatasource(expand([f"file://{tmp_path}/*.fa"]))
    assert remote.supports_distributed_reads is True
