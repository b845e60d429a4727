"""A Ray Data source of sequence files: one read task per file, streaming its records as small blocks.

Why streaming and not byte ranges: a read task per file is a generator (dnaio parses as it reads,
so a task holds one block, never the file), compressed files cannot be split anyway, and parsing is
not the bottleneck (dnaio reads far more records per second than a GPU embeds), so the files give
all the read parallelism a run needs. Rows: `source` (the input's name), `n` (the record's 1-based
number in its file, as `_inputs.read_rows` counts), `id` (null when the header is empty), `sequence`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import pyarrow as pa
from ray.data import Datasource, ReadTask
from ray.data.block import BlockMetadata

from ._files import InputFile

if TYPE_CHECKING:
    from ray.data.context import DataContext

__all__ = ["BLOCK_BASES", "BLOCK_ROWS", "ROW_SCHEMA", "SequenceDatasource"]

BLOCK_ROWS = 4096  # records per block at most
BLOCK_BASES = 8 << 20  # bases per block at most (a block of long genomes stays small)
ROW_SCHEMA = pa.schema([("source", pa.string()), ("n", pa.int64()), ("id", pa.string()),
                        ("sequence", pa.string())])


def _block(name: str, ns: list[int], ids: list[str | None], seqs: list[str | None]) -> pa.Table:
    return pa.Table.from_arrays(
        [pa.array([name] * len(ns), pa.string()), pa.array(ns, pa.int64()), pa.array(ids, pa.string()),
         pa.array(seqs, pa.string())], schema=ROW_SCHEMA)


def read_blocks(item: InputFile, *, id_column: str = "id", sequence_column: str = "sequence",
                block_rows: int = BLOCK_ROWS, block_bases: int = BLOCK_BASES) -> Iterator[pa.Table]:
    """The records of one file as blocks of at most `block_rows` records / `block_bases` bases."""
    ns: list[int] = []
    ids: list[str | None] = []
    seqs: list[str | None] = []
    bases = 0
    for raw in item.rows(id_column=id_column, sequence_column=sequence_column):
        ns.append(raw.n)
        ids.append(raw.id)
        seqs.append(raw.sequence)
        bases += len(raw.sequence or "")
        if len(ns) >= block_rows or bases >= block_bases:
            yield _block(item.name, ns, ids, seqs)
            ns, ids, seqs, bases = [], [], [], 0
    if ns:
        yield _block(item.name, ns, ids, seqs)


class SequenceDatasource(Datasource):
    """The records of FASTA/FASTQ files (or local tables), one streaming read task per file."""

    def __init__(self, files: Sequence[InputFile], *, id_column: str = "id",
                 sequence_column: str = "sequence") -> None:
        super().__init__()
        self.files = list(files)
        self.id_column = id_column
        self.sequence_column = sequence_column

    def get_name(self) -> str:
        return "SequenceFiles"

    @property
    def supports_distributed_reads(self) -> bool:
        """Local paths are read on the driver's node; URIs anywhere."""
        return all(f.filesystem is not None for f in self.files)

    def estimate_inmemory_data_size(self) -> int | None:
        sizes = [f.size for f in self.files]
        return None if any(s is None for s in sizes) else sum(s or 0 for s in sizes)

    def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None,
                       data_context: DataContext | None = None) -> list[ReadTask]:
        """One task per file, whatever `parallelism` asks (a file is read as one stream)."""
        return [self._task(f, per_task_row_limit) for f in self.files]

    def _task(self, item: InputFile, row_limit: int | None) -> ReadTask:
        id_column, sequence_column = self.id_column, self.sequence_column

        def read() -> Iterator[pa.Table]:
            return read_blocks(item, id_column=id_column, sequence_column=sequence_column)

        meta = BlockMetadata(num_rows=None, size_bytes=item.size, exec_stats=None, input_files=(item.name,))
        return ReadTask(read, meta, schema=ROW_SCHEMA, per_task_row_limit=row_limit)
