"""`--engine ray` on a local Ray (2 CPUs): the single-process output, through faults and resumes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from scale_support import assert_same_rows, parquet_metadata, random_records, read_rows, write_fasta

from dnallm_zoo import load
from dnallm_zoo._shards import MANIFEST, read_manifest
from dnallm_zoo.cli import cli
from dnallm_zoo.errors import InputError

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow

MODEL = "toy-kmer3"
F32 = ("--dtype", "float32")  # bf16 (the CPU default here) rounds differently as batches differ
RAY = ("--engine", "ray", "--actors", "1")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def inputs(cluster: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three inputs (one gzipped), mixed lengths, chunked where longer than the model's 34 bases."""
    d = tmp_path_factory.mktemp("inputs")
    return [write_fasta(d / "a.fa", random_records("a", 40, seed=1)),
            write_fasta(d / "b.fa.gz", random_records("b", 25, seed=2)),
            write_fasta(d / "c.fasta", random_records("c", 30, seed=3, lo=30, hi=200))]


@pytest.fixture(scope="module")
def local(inputs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The single-process output (this also writes the toy weights before any actor reads them)."""
    out = tmp_path_factory.mktemp("local") / "out"
    result = run("embed", *inputs, "-m", MODEL, "-o", f"{out}/", *F32, "--shard-size", "16")
    assert result.exit_code == 0, result.output
    return out


def test_the_ray_output_equals_the_single_process_output(inputs: list[Path], local: Path, tmp_path: Path
                                                         ) -> None:
    out = tmp_path / "ray"
    result = run("embed", *inputs, "-m", MODEL, "-o", f"{out}/", *F32, *RAY, "--shard-size", "32")
    assert result.exit_code == 0, result.output
    assert_same_rows(out, local)
    assert parquet_metadata(out) == parquet_metadata(local)  # same schema and run metadata
    ours, theirs = read_manifest(out), read_manifest(local)
    for key in ("schema_version", "model", "metadata", "layout", "inputs", "rows", "complete"):
        assert ours[key] == theirs[key], key
    assert ours["complete"] and ours["rows"] == 95
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("embedded 95 sequences, ") and "records/s" in summary
    assert summary.endswith(f"with 1 Ray actor -> {out}")
    # every shard holds the rows of one input; shards are named by the record that starts them
    for shard in ours["shards"]:
        i = int(shard["file"].split("-")[1])
        assert {read_rows(out)[r][0] for r in _shard_ids(out / shard["file"])} == {str(inputs[i])}


def _shard_ids(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=["id"])["id"].to_pylist()


def test_a_batch_that_raises_once_and_a_killed_worker_are_retried(
    cluster: Path, inputs: list[Path], local: Path, tmp_path: Path
) -> None:
    from dnallm_zoo.scale import Engine, embed_files

    out = tmp_path / "ray"
    (cluster / "raise.armed").write_text("")  # the first batch raises once
    (cluster / "kill.armed").write_text(str(out))  # a worker dies once, after a shard is written
    summary = embed_files(inputs, MODEL, out, dtype="float32", engine=Engine(actors=1, batch_size=16))
    assert len(list(cluster.glob("raise.fired.*"))) == 1 and not (cluster / "raise.armed").exists()
    assert len(list(cluster.glob("kill.fired.*"))) == 1 and not (cluster / "kill.armed").exists()
    assert_same_rows(out, local)
    assert summary.records == 95 and read_manifest(out)["complete"]
    assert summary.orphans == 0  # each retry wrote the names of its first attempt: nothing left over


def test_resume_works_across_engines(inputs: list[Path], local: Path, tmp_path: Path) -> None:
    # a local run that lost some shards (as if killed), resumed with ray ...
    out = tmp_path / "out"
    shutil.copytree(local, out)
    lost = sorted(out.glob("part-*.parquet"))[1::2]
    for f in lost:
        f.unlink()
    result = run("embed", *inputs, "-m", MODEL, "-o", f"{out}/", *F32, "--resume", *RAY, "--shard-size", "32")
    assert result.exit_code == 0, result.output
    assert "resumed: " in result.stderr
    assert_same_rows(out, local)
    # ... and a ray run that lost some, resumed in one process
    for f in sorted(out.glob("part-*.parquet"))[::3]:
        f.unlink()
    result = run("embed", *inputs, "-m", MODEL, "-o", f"{out}/", *F32, "--resume", "--shard-size", "16")
    assert result.exit_code == 0, result.output
    assert_same_rows(out, local)
    assert read_manifest(out)["complete"]


def test_embed_dataset_takes_any_dataset_with_named_columns(cluster: Path, tmp_path: Path) -> None:
    from dnallm_zoo.scale import Engine, embed_dataset

    records = random_records("r", 30, seed=4)
    items = [{"name": rid, "dna": seq, "origin": "left" if k % 3 else "right"}
             for k, (rid, seq) in enumerate(records)]
    items.append({"name": "bad", "dna": "ACGTXXACGT", "origin": "left"})
    ds = ray.data.from_items(items, override_num_blocks=3)
    out = tmp_path / "out"
    options: dict[str, Any] = {"id_column": "name", "sequence_column": "dna", "source_column": "origin",
                               "pooling": "max", "dtype": "float32", "engine": Engine(actors=1, batch_size=8)}
    with pytest.raises(InputError, match=r"(?s)1 bad record in the input.*left record \d+ \('bad'\): "
                       r"invalid character 'X'"):
        embed_dataset(ds, MODEL, out, **options)  # the inputs: the distinct sources, sorted
    assert not read_manifest(out)["complete"]  # the good ones are there, the run is not complete
    summary = embed_dataset(ds, MODEL, out, inputs=["left", "right"], resume=True, skip_invalid=True,
                            **options)
    assert summary.skipped == 1 and summary.records == 0 and summary.resumed == 30
    assert "bad" in (out / "_skipped.tsv").read_text()
    rows = read_rows(out)
    expected = load(MODEL, dtype="float32").embed([s for _, s in records], pooling="max")
    assert sorted(rows) == sorted(r for r, _ in records)
    for (rid, _), vec in zip(records, expected, strict=True):
        assert rows[rid][0] == ("left" if int(rid[1:]) % 3 else "right")
        np.testing.assert_allclose(rows[rid][2], vec, rtol=1e-5, atol=1e-5)
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["inputs"] == ["left", "right"] and manifest["metadata"]["pooling"] == "max"
