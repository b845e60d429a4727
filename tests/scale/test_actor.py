"""`RowShards` called in this process (no Ray): one shard per input of a batch, named by record, so
a retried batch replaces its own shard; rows already written, left out or bad are reported, not embedded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dnallm_zoo import load
from dnallm_zoo._commands import Embedding
from dnallm_zoo._options import EmbedOptions, LoadOptions
from dnallm_zoo._registry import reset_plugins
from dnallm_zoo._shards import done_ids, start
from dnallm_zoo.scale._actor import Plan, RowShards, Status
from dnallm_zoo.scale._engine import embedding_metadata
from dnallm_zoo.testing import ToyPlugin, registered

MODEL = "toy-kmer3"
INPUTS = ["a.fa", "b.fa"]


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    reset_plugins()
    registered(ToyPlugin(tmp_path_factory.mktemp("toy")), name="toy")
    yield
    reset_plugins()


@pytest.fixture(scope="module")
def plan(toy: None) -> Plan:
    spec = load(MODEL).spec
    load_options = LoadOptions(MODEL, dtype="float32")
    command = Embedding(EmbedOptions(pooling="mean", token_budget=64))
    out = command.plan(spec, load_options.policy(spec))
    assert out.metadata == embedding_metadata(spec, normalization=None, pooling="mean", layer=-1,
                                              long="chunk", overlap=None)
    return Plan(command=command, load=load_options, output="", out=out, inputs=tuple(INPUTS),
                kinds=("reads", "reads"), offsets={1: 7})


def batch(rows: list[tuple[str, int, str, str]]) -> pa.Table:
    src, n, ids, seqs = zip(*rows, strict=True)
    return pa.table({"source": list(src), "n": list(n), "id": list(ids), "sequence": list(seqs)})


ROWS = [("b.fa", 3, "b3", "ACGTACGTTT"), ("a.fa", 5, "a5", "ACGT" * 20), ("a.fa", 2, "a2", "TTGACCA"),
        ("b.fa", 4, "b4", "GGGCCCAAAT")]


def started(plan: Plan, d: Path) -> Plan:
    start(d, model=MODEL, layout=plan.out.layout, metadata=plan.out.metadata, inputs=INPUTS)
    return Plan(**{**plan.__dict__, "output": str(d)})


def test_a_batch_becomes_one_shard_per_input_named_by_its_first_record(plan: Plan, tmp_path: Path) -> None:
    p = started(plan, tmp_path / "out")
    out = RowShards(p)(batch(ROWS)).to_pydict()
    assert out["status"] == [Status.WRITTEN] * 4
    # input 0 from record 2 (block 1), input 1 from its offset 7 plus record 3 (block 9)
    assert dict(zip(out["id"], out["shard"], strict=True)) == {
        "a2": "part-00000-000001.parquet", "a5": "part-00000-000001.parquet",
        "b3": "part-00001-000009.parquet", "b4": "part-00001-000009.parquet"}
    table = pq.read_table(tmp_path / "out" / "part-00000-000001.parquet")
    assert table["id"].to_pylist() == ["a2", "a5"] and table["source"].to_pylist() == ["a.fa"] * 2
    assert table["length"].to_pylist() == [7, 80]
    want = load(MODEL, dtype="float32").embed(["TTGACCA", "ACGT" * 20], token_budget=64)
    np.testing.assert_allclose(np.array(table["embedding"].to_pylist()), want, rtol=1e-6, atol=1e-6)


def test_the_same_batch_again_replaces_its_own_shards(plan: Plan, tmp_path: Path) -> None:
    p = started(plan, tmp_path / "out")
    actor = RowShards(p)
    first = actor(batch(ROWS)).to_pydict()
    files = sorted(f.name for f in (tmp_path / "out").iterdir())
    again = RowShards(p)(batch(list(reversed(ROWS)))).to_pydict()  # a retry, rows in another order
    assert sorted(zip(again["id"], again["shard"], strict=True)) == sorted(
        zip(first["id"], first["shard"], strict=True))
    assert sorted(f.name for f in (tmp_path / "out").iterdir()) == files
    assert done_ids(tmp_path / "out") == {"a2", "a5", "b3", "b4"}


def test_written_skipped_and_bad_rows_are_reported_and_only_good_ones_embedded(plan: Plan, tmp_path: Path
                                                                              ) -> None:
    p = started(plan, tmp_path / "out")
    rows = [*ROWS, ("a.fa", 9, "a9", "ACGNNXACGT"), ("a.fa", 10, "a10", "")]
    out = RowShards(p, done={"a2"}, skip={(1, 4)})(batch(rows)).to_pydict()
    status = dict(zip(out["id"], out["status"], strict=True))
    assert status == {"a2": Status.DONE, "a5": Status.WRITTEN, "a9": Status.BAD, "a10": Status.BAD,
                      "b3": Status.WRITTEN, "b4": Status.SKIPPED}
    kinds = dict(zip(out["id"], out["kind"], strict=True))
    assert kinds["a9"] == "invalid" and kinds["a10"] == "empty"
    # the shard of input 0 starts at its first written record, 5
    assert set(out["shard"]) == {None, "part-00000-000004.parquet", "part-00001-000009.parquet"}


def test_an_input_error_of_the_model_is_returned_not_raised(plan: Plan, tmp_path: Path) -> None:
    p = started(plan, tmp_path / "out")
    p = Plan(**{**p.__dict__, "command": Embedding(EmbedOptions(long="error"))})
    out = RowShards(p)(batch(ROWS)).to_pydict()
    assert out["status"] == [Status.ERROR]
    assert out["what"][0].startswith("a.fa: record 'a5': 80 bases give 80 tokens; toy-kmer3 takes at most 34")
    assert not list((tmp_path / "out").glob("part-*"))
