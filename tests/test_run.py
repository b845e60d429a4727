"""The Run every command shares: rows carry their records, so ids reach the output whatever order the
rows come in; a file and a shard directory hold the same rows; a record counts once however many rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from dnallm_zoo import load
from dnallm_zoo._commands import Embedding
from dnallm_zoo._encoder import DNAEncoder
from dnallm_zoo._inputs import SeqRecord
from dnallm_zoo._options import EmbedOptions, InputOptions, LoadOptions, OutputOptions
from dnallm_zoo._registry import reset_plugins
from dnallm_zoo._run import LocalEngine, Run, execute
from dnallm_zoo._writers import OutRow
from dnallm_zoo.errors import InputError
from dnallm_zoo.testing import ToyPlugin, registered

MODEL = "toy-kmer3"
RECORDS = [(f"r{i}", "ACGT" * (i + 2) + "GATTACA"[: i % 7]) for i in range(12)]


@pytest.fixture(scope="module", autouse=True)
def toy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    reset_plugins()
    registered(ToyPlugin(tmp_path_factory.mktemp("toy")), name="toy")
    yield
    reset_plugins()


@dataclass(frozen=True)
class Shuffled(Embedding):
    """The embedding command, handed its records in an order of its own (a pipeline free to reorder)."""

    def rows(self, encoder: DNAEncoder, records: Iterable[SeqRecord]) -> Iterator[OutRow]:
        mine = list(records)
        order = np.random.default_rng(7).permutation(len(mine))
        return super().rows(encoder, [mine[i] for i in order])


def fasta(path: Path) -> Path:
    path.write_text("".join(f">{rid}\n{seq}\n" for rid, seq in RECORDS))
    return path


def written(path: Path) -> dict[str, np.ndarray]:
    table = pq.read_table(path)
    return dict(zip(table["id"].to_pylist(), np.array(table["embedding"].to_pylist()), strict=True))


@pytest.mark.parametrize("output", ["out.parquet", "shards/"])
def test_ids_reach_the_output_whatever_order_the_rows_come_in(tmp_path: Path, output: str) -> None:
    src = fasta(tmp_path / "in.fa")
    load_options = LoadOptions(MODEL, dtype="float32")
    run = Run(InputOptions((str(src),)), OutputOptions(f"{tmp_path}/{output}", shard_size=5))
    result = execute(run, Shuffled(EmbedOptions(token_budget=64)), LocalEngine(load_options))
    assert result.records == result.rows == len(RECORDS)
    got = written(tmp_path / output)
    assert sorted(got) == sorted(rid for rid, _ in RECORDS)
    encoder = load(MODEL, dtype="float32")
    for rid, seq in RECORDS:  # each id holds its own sequence's vector, not its neighbour's
        np.testing.assert_allclose(got[rid], encoder.embed([seq])[0], rtol=1e-5, atol=1e-6)


def test_rows_hold_their_records_extra_fields_included() -> None:
    encoder = load(MODEL, dtype="float32")
    records = [SeqRecord(rid, seq, "t.csv", n, {"label": n % 2}) for n, (rid, seq) in enumerate(RECORDS, 1)]
    rows = list(encoder.embed_iter(reversed(records), token_budget=64))
    assert [r.record for r in rows] == list(reversed(records))
    assert [r.record.extra["label"] for r in rows][:2] == [0, 1]
    assert [r.values for r in rows] == [(len(r.record.sequence),) for r in rows]
    np.testing.assert_array_equal(np.stack(rows), np.stack([r.vector for r in rows]))  # a row is its vector


def test_segments_count_each_record_once(tmp_path: Path) -> None:
    src = fasta(tmp_path / "in.fa")
    run = Run(InputOptions((str(src),)), OutputOptions(str(tmp_path / "seg.parquet")))
    command = Embedding(EmbedOptions(segments=True, segment_size=8, token_budget=64))
    result = execute(run, command, LocalEngine(LoadOptions(MODEL, dtype="float32")))
    table = pq.read_table(tmp_path / "seg.parquet")
    assert result.records == len(RECORDS) and result.rows == table.num_rows > len(RECORDS)
    assert table.column_names == ["id", "source", "start", "end", "embedding"]
    assert set(table["id"].to_pylist()) == {rid for rid, _ in RECORDS}


def test_segments_refuse_a_directory_and_resume_needs_one(tmp_path: Path) -> None:
    src = fasta(tmp_path / "in.fa")
    run = Run(InputOptions((str(src),)), OutputOptions(f"{tmp_path}/d/"))
    with pytest.raises(InputError, match="--segment-output writes one file"):
        execute(run, Embedding(EmbedOptions(segments=True)), LocalEngine(LoadOptions(MODEL)))
    with pytest.raises(InputError, match="resume continues a directory output"):
        Run(InputOptions((str(src),)), OutputOptions(str(tmp_path / "o.parquet"), resume=True))
