"""`dnallm-zoo vep` and `dnallm-zoo mutagenesis` end to end on a tiny DNABERT checkpoint."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from cli_support import kill_after_shards
from click.testing import CliRunner

from dnallm_zoo.cli import cli
from dnallm_zoo.testing import make_test_checkpoint

pytest.importorskip("pysam")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_test_checkpoint("dnabert-3", tmp_path_factory.mktemp("dnabert3"))


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    d = tmp_path_factory.mktemp("vepdata")
    rng = random.Random(3)
    seq = "".join(rng.choice("ACGT") for _ in range(400))
    (d / "g.fa").write_text(f">chr1\n{seq}\n")
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr1>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for i, pos in enumerate(range(20, 380, 30)):
        ref = seq[pos - 1]
        lines.append(f"chr1\t{pos}\tv{i}\t{ref}\t{'ACGT'[('ACGT'.index(ref) + 1) % 4]}\t.\t.\t.")
    (d / "v.vcf").write_text("\n".join(lines) + "\n")
    return d / "v.vcf", d / "g.fa", seq


def test_the_command_module_imports_no_torch() -> None:
    code = ("import sys; import dnallm_zoo.cli._variants; "
            "print('torch' in sys.modules, 'pysam' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_vep_writes_one_row_per_variant(tmp_path, model_dir, data) -> None:
    vcf, genome, _ = data
    out = tmp_path / "scores.parquet"
    code, _, err = run("vep", str(vcf), "--reference", str(genome), "-m", str(model_dir), "-o", str(out),
                       "--window", "64")
    assert code == 0, err
    assert "scored 12 variants" in err
    t = pq.read_table(out)
    assert t.column_names[:5] == ["chrom", "pos", "id", "ref", "alt"]
    assert t["id"].to_pylist() == [f"v{i}" for i in range(12)]
    assert set(t["status"].to_pylist()) == {"ok"}
    md = t.schema.metadata
    assert md[b"rule"] == b"overlapping_kmer" and md[b"window"] == b"64"


def test_vep_names_bad_variants_and_skips_them(tmp_path, model_dir, data) -> None:
    vcf, genome, seq = data
    bad = tmp_path / "bad.vcf"
    wrong = "A" if seq[9] != "A" else "C"
    bad.write_text(vcf.read_text() + f"chr1\t10\tbadref\t{wrong}\tG\t.\t.\t.\n"
                   "chr9\t1\tnocontig\tA\tG\t.\t.\t.\n")
    out = tmp_path / "o.parquet"
    code, _, err = run("vep", str(bad), "-r", str(genome), "-m", str(model_dir), "-o", str(out))
    assert code == 1 and "2 bad records" in err and "badref" in err and "nocontig" in err
    assert not out.exists()
    code, _, err = run("vep", str(bad), "-r", str(genome), "-m", str(model_dir), "-o", str(out),
                       "--skip-invalid", "--window", "40", "--no-embedding")
    assert code == 0, err
    assert pq.read_table(out).num_rows == 12
    skipped = (tmp_path / "o.parquet.skipped.tsv").read_text().splitlines()
    assert len(skipped) == 3 and "ref-mismatch" in skipped[1] and "unknown-contig" in skipped[2]


def test_mutagenesis_region_and_plot(tmp_path, model_dir, data) -> None:
    pytest.importorskip("matplotlib")
    _, genome, seq = data
    out, png = tmp_path / "ism.parquet", tmp_path / "ism.png"
    code, _, err = run("mutagenesis", "--region", "chr1:101-120", "-r", str(genome), "-m", str(model_dir),
                       "-o", str(out), "--plot", str(png), "--window", "48")
    assert code == 0, err
    t = pq.read_table(out)
    assert t.num_rows == 60 and t["ref"].to_pylist()[::3] == list(seq[100:120])
    assert "40 forward passes" in err  # 20 positions, two strands, one pass each for three bases
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_mutagenesis_usage(tmp_path, model_dir, data) -> None:
    _, genome, _ = data
    code, _, err = run("mutagenesis", "-m", str(model_dir), "-o", str(tmp_path / "x.parquet"))
    assert code == 2 and "SEQS.fa" in err
    code, _, err = run("mutagenesis", "--region", "chr1:5-1000", "-r", str(genome), "-m", str(model_dir),
                       "-o", str(tmp_path / "x.parquet"))
    assert code == 1 and "<= 400" in err


def test_vep_output_and_engine_flags_are_checked_before_the_model_loads(tmp_path, data) -> None:
    vcf, genome, _ = data
    base = ["vep", str(vcf), "-r", str(genome), "-m", "dnabert-3"]  # registered; its weights are not here
    code, _, err = run(*base, "-o", str(tmp_path / "x.npz"))
    assert code == 1 and "written to Parquet" in err, err
    code, _, err = run(*base, "-o", str(tmp_path / "x.parquet"), "--engine", "ray")
    assert code == 2 and f"-o {tmp_path / 'x.parquet'}/" in " ".join(err.split())
    code, _, err = run(*base, "-o", f"{tmp_path}/d/", "--actors", "2")
    assert code == 2 and "--actors applies to --engine ray" in err
    code, _, err = run(*base, "-o", str(tmp_path / "x.parquet"), "--resume")
    assert code == 2 and "--resume continues a directory output" in err
    assert not list(tmp_path.iterdir())


def _many_snvs(tmp_path: Path, seq: str, n: int) -> Path:
    rng = random.Random(11)
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr1>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for i, pos in enumerate(sorted(rng.sample(range(1, len(seq) + 1), n))):
        ref = seq[pos - 1]
        lines.append(f"chr1\t{pos}\ts{i}\t{ref}\t{rng.choice([b for b in 'ACGT' if b != ref])}\t.\t.\t.")
    path = tmp_path / "many.vcf"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_vep_into_shards_and_resume_checks(tmp_path, model_dir, data) -> None:
    _, genome, seq = data
    vcf = _many_snvs(tmp_path, seq, 30)
    out = tmp_path / "run"
    args = ["vep", str(vcf), "-r", str(genome), "-m", str(model_dir), "-o", f"{out}/", "--shard-size", "7",
            "--window", "40"]
    code, _, err = run(*args)
    assert code == 0, err
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["complete"] and manifest["rows"] == 30 and len(manifest["shards"]) == 5
    whole = tmp_path / "whole.parquet"
    assert run(*args[:7], str(whole), *args[10:])[0] == 0
    assert pq.read_table(out).to_pylist() == pq.read_table(whole).to_pylist()
    code, _, err = run(*args)
    assert code == 1 and "holds a run already" in err
    code, _, err = run(*args[:-1], "41", "--resume")
    assert code == 1 and "cannot resume" in err and "window" in err


CHILD = """
import sys, time
from dnallm_zoo.kit import StockBertEncoder
forward = StockBertEncoder.forward
def slow(self, *a, **k):  # a model slow enough to be killed mid-run
    time.sleep(float(sys.argv[1]))
    return forward(self, *a, **k)
StockBertEncoder.forward = slow
from dnallm_zoo.cli import main
main(sys.argv[2:])
"""


@pytest.mark.slow
def test_vep_killed_with_sigkill_and_resumed_equals_an_uninterrupted_run(tmp_path, model_dir, data) -> None:
    _, genome, seq = data
    vcf = _many_snvs(tmp_path, seq, 60)
    out = tmp_path / "run"
    args = ["vep", str(vcf), "-r", str(genome), "-m", str(model_dir), "-o", f"{out}/", "--shard-size", "5",
            "--window", "40", "--token-budget", "64"]
    proc = subprocess.Popen([sys.executable, "-c", CHILD, "0.05", *args], stderr=subprocess.PIPE, text=True)
    done = kill_after_shards(proc, out)
    manifest = json.loads((out / "_manifest.json").read_text())
    assert not manifest["complete"] and 2 <= len(done) < 12
    (out / ".part-00000-000099.parquet.deadbeef.tmp").write_bytes(b"PAR1 cut short")
    code, _, err = run(*args, "--resume")
    assert code == 0, err
    assert "resumed: " in err and not [f for f in os.listdir(out) if f.endswith(".tmp")]
    assert json.loads((out / "_manifest.json").read_text())["complete"]
    whole = tmp_path / "whole.parquet"
    assert run(*args[:7], str(whole), *args[10:])[0] == 0
    resumed, uninterrupted = pq.read_table(out).to_pylist(), pq.read_table(whole).to_pylist()
    assert [r["id"] for r in resumed] == [r["id"] for r in uninterrupted] == [f"s{i}" for i in range(60)]
    for a, b in zip(resumed, uninterrupted, strict=True):
        for col, value in b.items():
            assert a[col] == (pytest.approx(value, abs=1e-5) if isinstance(value, float) else value), col
