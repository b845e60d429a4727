"""`vep` and `mutagenesis --engine ray` on a local Ray (2 CPUs): the rows of the single-process run."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from scale_support import parquet_metadata

from dnallm_zoo._shards import read_manifest
from dnallm_zoo.cli import cli
from dnallm_zoo.testing import make_test_checkpoint

ray = pytest.importorskip("ray")
pytest.importorskip("pysam")
pytestmark = pytest.mark.slow

RAY = ("--engine", "ray", "--actors", "2", "--cpus-per-actor", "0.5")  # 2 CPUs: one for reading
F32 = ("--dtype", "float32")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def data(cluster: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A tiny DNABERT 3-mer checkpoint, a genome, and 40 variants (multi-allelic, indels, a shared ID)."""
    d = tmp_path_factory.mktemp("vep")
    model = make_test_checkpoint("dnabert-3", d / "model")
    rng = random.Random(5)
    seq = "".join(rng.choice("ACGT") for _ in range(500))
    (d / "g.fa").write_text(f">chr1\n{seq}\n")
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr1>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for i, pos in enumerate(sorted(rng.sample(range(5, 490), 40))):
        ref = seq[pos - 1]
        alts = [b for b in "ACGT" if b != ref]
        alt = ",".join(alts[:2]) if i % 7 == 0 else (ref + "A" if i % 11 == 0 else alts[i % 3])
        lines.append(f"chr1\t{pos}\t{'.' if i % 5 == 0 else 'rs' + str(i // 2)}\t{ref}\t{alt}\t.\t.\t.")
    (d / "v.vcf").write_text("\n".join(lines) + "\n")
    return model, d / "g.fa", d / "v.vcf"


def _rows(out: Path) -> list[dict[str, Any]]:
    return sorted(pq.read_table(out).to_pylist(), key=lambda r: r["n"])


def _same(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert [r["n"] for r in got] == [r["n"] for r in want]
    for a, b in zip(got, want, strict=True):
        for col, value in b.items():
            assert a[col] == (pytest.approx(value, abs=1e-5) if isinstance(value, float) else value), col


def test_vep_on_ray_equals_the_local_run(data: tuple[Path, Path, Path], tmp_path: Path) -> None:
    model, genome, vcf = data
    args = ("vep", vcf, "-r", genome, "-m", model, "--window", "48", *F32)
    local, remote = tmp_path / "local", tmp_path / "ray"
    result = run(*args, "-o", f"{local}/", "--shard-size", "8")
    assert result.exit_code == 0, result.output
    result = run(*args, "-o", f"{remote}/", "--shard-size", "8", *RAY)
    assert result.exit_code == 0, result.output
    assert "scored 46 variants" in result.output and "Ray actors" in result.output
    _same(_rows(remote), _rows(local))
    assert len(_rows(local)) == 46  # 40 lines, 6 of them with two alleles
    assert parquet_metadata(remote) == parquet_metadata(local)
    ours, theirs = read_manifest(remote), read_manifest(local)
    for key in ("model", "metadata", "layout", "inputs", "rows", "complete"):
        assert ours[key] == theirs[key], key
    # a file output holds the same rows as the shards, in input order
    whole = tmp_path / "whole.parquet"
    assert run(*args, "-o", whole).exit_code == 0
    assert [r["n"] for r in pq.read_table(whole).to_pylist()] == list(range(1, 47))
    _same(_rows(whole), _rows(local))


def test_vep_resumed_on_ray_after_a_local_start(data: tuple[Path, Path, Path], tmp_path: Path) -> None:
    model, genome, vcf = data
    args = ("vep", vcf, "-r", genome, "-m", model, "--window", "48", *F32, "--shard-size", "8",
            "--no-embedding")
    whole = tmp_path / "whole"
    assert run(*args, "-o", f"{whole}/").exit_code == 0
    part = tmp_path / "part"
    assert run(*args, "-o", f"{part}/").exit_code == 0
    shards = sorted(part.glob("part-*.parquet"))
    for f in shards[2:]:  # as if the run had been killed after two shards
        f.unlink()
    result = run(*args, "-o", f"{part}/", *RAY, "--resume")
    assert result.exit_code == 0, result.output
    assert "resumed: 16 variants were already written" in result.output
    _same(_rows(part), _rows(whole))


def test_mutagenesis_on_ray_equals_the_local_run(data: tuple[Path, Path, Path], tmp_path: Path) -> None:
    model, genome, _ = data
    args = ("mutagenesis", "--region", "chr1:201-230", "-r", genome, "-m", model, "--window", "48", *F32,
            "--shard-size", "20")
    for marginal in ("masked", "wildtype"):
        local, remote = tmp_path / f"local-{marginal}", tmp_path / f"ray-{marginal}"
        assert run(*args, "--marginal", marginal, "-o", f"{local}/").exit_code == 0
        result = run(*args, "--marginal", marginal, "-o", f"{remote}/", *RAY)
        assert result.exit_code == 0, result.output
        assert "scored 90 substitutions" in result.output
        _same(_rows(remote), _rows(local))


def test_variants_reach_the_actors_in_blocks_of_a_batch(cluster: Path) -> None:
    """One block would feed one actor only: the driver's table goes as blocks of --shard-size rows."""
    import pyarrow as pa

    from dnallm_zoo.scale._engine import _held_dataset

    ds = _held_dataset(pa.table({"n": list(range(1, 11))}), 4)
    assert ds.num_blocks() == 3
    assert sorted(r["n"] for r in ds.take_all()) == list(range(1, 11))
