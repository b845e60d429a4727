"""embed/predict over many inputs: every bad record named, --skip-invalid, sources, shard directories,
a run killed with SIGKILL and resumed."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_support import RECORDS, fasta, kill_after_shards, one_line_error, run
from click.testing import CliRunner

from dnallm_zoo import load
from dnallm_zoo._shards import MANIFEST, read_manifest
from dnallm_zoo.cli import cli

HERE = Path(__file__).resolve().parent


def fastq_gz(path: Path, records: list[tuple[str, str]]) -> Path:
    text = "".join(f"@{rid} read\n{seq}\n+\n{'I' * len(seq)}\n" for rid, seq in records)
    path.write_bytes(gzip.compress(text.encode()))
    return path


def rows(path: Path) -> dict[str, tuple[str, int, np.ndarray]]:
    """id -> (source, length, vector) of a Parquet file or shard directory; each id once."""
    table = pq.read_table(path)
    ids = table["id"].to_pylist()
    assert len(ids) == len(set(ids)), "an id written twice"
    vec = table.schema.names[-1]
    width = table.schema.field(vec).type.list_size
    matrix = np.array(table[vec].to_pylist(), np.float32).reshape(len(ids), width)
    return {rid: (src, n, v) for rid, src, n, v in
            zip(ids, table["source"].to_pylist(), table["length"].to_pylist(), matrix, strict=True)}


def expect(records: list[tuple[str, str]], **kw: Any) -> dict[str, np.ndarray]:
    vecs = load("toy-3").embed([s for _, s in records], **kw)
    return {rid: v for (rid, _), v in zip(records, vecs, strict=True)}


# ----------------------------------------------------------------------------------------- bad records
BAD = [("ok1", "ACGTACGT"), ("hollow", ""), ("bad", "ACGXTTGA"), ("ok1", "TTTTGGGG"), ("ok2", "acgtac")]


def test_every_bad_record_is_named_in_one_run_and_nothing_is_written(toy: Any, tmp_path: Path) -> None:
    fa = fasta(tmp_path / "in.fa", BAD)
    for out in ("out.parquet", "shards/"):
        result = run("embed", fa, "-m", "toy-3", "-o", f"{tmp_path}/{out}")
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert lines[0] == ("Error: 3 bad records in the input; nothing was written (--skip-invalid embeds "
                            "the others):")
        assert lines[1:] == [
            f"  {fa} record 2 ('hollow'): empty sequence",
            f"  {fa} record 3 ('bad'): invalid character 'X' at position 4 (not a nucleotide letter)",
            f"  {fa} record 4 ('ok1'): duplicate id, first seen at record 1",
        ]
        assert sorted(os.listdir(tmp_path)) == ["in.fa"]  # no output, no temporary, no directory


def test_bad_records_are_found_before_the_model_loads(toy: Any, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import dnallm_zoo._loading

    def no_load(*a: Any, **k: Any) -> Any:
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(dnallm_zoo._loading, "load", no_load)
    line = one_line_error(run("embed", fasta(tmp_path / "in.fa", BAD[:2]), "-m", "toy-3",
                              "-o", tmp_path / "o.npz"))
    assert "record 2 ('hollow'): empty sequence" in line


def test_many_bad_records_are_capped_in_the_message(toy: Any, tmp_path: Path) -> None:
    records = [(f"r{i}", "ACGTZ") for i in range(60)]
    result = run("embed", fasta(tmp_path / "in.fa", records), "-m", "toy-3", "-o", tmp_path / "o.npy")
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("Error: 60 bad records in the input")
    assert len(lines) == 1 + 50 + 1 and lines[-1] == "  and 10 more"
    assert lines[50].startswith(f"  {tmp_path / 'in.fa'} record 50 ('r49'): invalid character 'Z'")


def test_skip_invalid_writes_the_good_records_and_lists_the_skipped(toy: Any, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    fa = fasta(tmp_path / "in.fa", BAD)
    result = run("embed", fa, "-m", "toy-3", "-o", out, "--skip-invalid")
    assert result.exit_code == 0, result.output
    skipped = tmp_path / "out.parquet.skipped.tsv"
    assert f"skipped 3 bad records (listed in {skipped})" in result.stderr
    got = rows(out)
    assert list(got) == ["ok1", "ok2"]
    want = expect([BAD[0], BAD[4]])
    for rid in got:
        np.testing.assert_allclose(got[rid][2], want[rid], rtol=1e-6)
        assert got[rid][0] == str(fa)
    lines = skipped.read_text().splitlines()
    assert lines[0] == "source\tunit\tn\tid\tkind\tproblem"
    assert [line.split("\t")[1:5] for line in lines[1:]] == [
        ["record", "2", "hollow", "empty"], ["record", "3", "bad", "invalid"],
        ["record", "4", "ok1", "duplicate"]]


def test_standard_input_is_checked_as_it_streams(toy: Any, tmp_path: Path) -> None:
    data = fasta(tmp_path / "in.fa", BAD).read_bytes()
    out = tmp_path / "o.npz"
    result = CliRunner().invoke(cli, ["embed", "-", "-m", "toy-3", "-o", str(out)], input=data)
    assert result.exit_code == 1
    assert "3 bad records in the input (standard input is checked as it streams)" in result.stderr
    assert "<stdin> record 4 ('ok1'): duplicate id" in result.stderr
    assert not out.exists()
    result = CliRunner().invoke(cli, ["embed", "-", "-m", "toy-3", "-o", str(out), "--skip-invalid"],
                                input=data)
    assert result.exit_code == 0, result.output
    with np.load(out) as z:
        assert z["ids"].tolist() == ["ok1", "ok2"] and z["sources"].tolist() == ["<stdin>"] * 2


def test_help_says_how_standard_input_is_checked() -> None:
    text = " ".join(run("embed", "--help").output.split())
    assert "Standard input cannot be read twice: it is checked as it streams" in text


# ----------------------------------------------------------------------------------------- many inputs
def test_fasta_fastq_gz_globs_and_tables_embed_with_their_source(toy: Any, tmp_path: Path) -> None:
    a = fasta(tmp_path / "a.fa", RECORDS[:2])
    fq = fastq_gz(tmp_path / "reads.fq.gz", [("read1", "ACGTTGCAAC"), ("read2", "GGGCCCAT")])
    parts = tmp_path / "parts"
    parts.mkdir()
    p1 = fasta(parts / "p1.fa", [("p1", "ATATATCG")])
    p2 = fasta(parts / "p2.fa.gz", [("p2", "CGCGTATA")])
    csv = tmp_path / "t.csv"
    csv.write_text("name,seq,score\nc1,ACGTAAAC,1\nc2,TTTGGGAA,2\n")
    parquet = tmp_path / "t.parquet"
    pq.write_table(pa.table({"name": ["q1"], "seq": ["CCCAAAGT"]}), parquet)
    out = tmp_path / "out.parquet"
    result = run("embed", a, fq, str(parts / "*.fa*"), csv, parquet, "-m", "toy-3", "-o", out,
                 "--id-column", "name", "--sequence-column", "seq")
    assert result.exit_code == 0, result.output
    got = rows(out)
    sources = {rid: src for rid, (src, _, _) in got.items()}
    assert sources == {"seq1": str(a), "seq2": str(a), "read1": str(fq), "read2": str(fq),
                       "p1": str(p1), "p2": str(p2), "c1": str(csv), "c2": str(csv), "q1": str(parquet)}
    records = [*RECORDS[:2], ("read1", "ACGTTGCAAC"), ("read2", "GGGCCCAT"), ("p1", "ATATATCG"),
               ("p2", "CGCGTATA"), ("c1", "ACGTAAAC"), ("c2", "TTTGGGAA"), ("q1", "CCCAAAGT")]
    assert list(got) == [rid for rid, _ in records]  # inputs in order, a glob's matches sorted
    want = expect(records)
    for rid, (_, n, vec) in got.items():
        np.testing.assert_allclose(vec, want[rid], rtol=1e-6)
        assert n == len(dict(records)[rid])


def test_duplicates_across_inputs_and_missing_columns_are_named(toy: Any, tmp_path: Path) -> None:
    a = fasta(tmp_path / "a.fa", RECORDS[:1])
    csv = tmp_path / "t.csv"
    csv.write_text("id,sequence\nseq1,ACGTAAAC\n,TTTGGGAA\n")
    result = run("embed", a, csv, "-m", "toy-3", "-o", tmp_path / "o.parquet")
    assert result.exit_code == 1
    assert f"{csv} row 1 ('seq1'): duplicate id, first seen at {a} record 1" in result.stderr
    assert f"{csv} row 2: no id (its id cell is empty)" in result.stderr
    line = one_line_error(run("embed", csv, "-m", "toy-3", "-o", tmp_path / "o.parquet",
                              "--sequence-column", "dna"))
    assert "no column 'dna' (its columns: 'id', 'sequence'); --id-column and --sequence-column" in line
    line = one_line_error(run("embed", str(tmp_path / "*.fastq"), "-m", "toy-3", "-o", tmp_path / "o.npy"))
    assert "no file matches this pattern" in line


def test_predict_streams_several_inputs(toy: Any, tmp_path: Path) -> None:
    a = fasta(tmp_path / "a.fa", RECORDS[:1])
    b = fastq_gz(tmp_path / "b.fq.gz", [("r", "TTGACCA")])
    out = tmp_path / "p.npz"
    result = run("predict", a, b, "-m", "toy-classifier", "-o", out)
    assert result.exit_code == 0, result.output
    with np.load(out) as z:
        assert z["ids"].tolist() == ["seq1", "r"] and z["sources"].tolist() == [str(a), str(b)]
        np.testing.assert_allclose(z["probabilities"],
                                   load("toy-classifier").predict(["ACGTACGTAC", "TTGACCA"]), rtol=1e-6)


# ----------------------------------------------------------------------------------------- shards
def many(n: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = np.random.default_rng(seed)
    return [(f"s{i:04d}", "".join(rng.choice(list("ACGT"), int(rng.integers(8, 60))))) for i in range(n)]


def test_a_directory_output_writes_shards_and_a_manifest(toy: Any, tmp_path: Path) -> None:
    records = many(23)
    a = fasta(tmp_path / "a.fa", records[:15])
    b = fasta(tmp_path / "b.fa", records[15:])
    out = tmp_path / "run"
    result = run("embed", a, b, "-m", "toy-3", "-o", f"{out}/", "--shard-size", "4")
    assert result.exit_code == 0, result.output
    names = sorted(os.listdir(out))
    assert names == [MANIFEST, *(f"part-00000-00000{i}.parquet" for i in range(4)),
                     "part-00001-000000.parquet", "part-00001-000001.parquet"]
    manifest = read_manifest(out)
    assert manifest["complete"] and manifest["rows"] == 23 and manifest["model"] == "toy-3"
    assert manifest["inputs"] == [str(a), str(b)]
    assert [s["rows"] for s in manifest["shards"]] == [4, 4, 4, 3, 4, 4]
    assert manifest["shards"][0]["ids"] == {"first": "s0000", "last": "s0003", "count": 4}
    assert manifest["metadata"]["pooling"] == "mean"
    got = rows(out)
    want = expect(records)
    assert sorted(got) == sorted(want)
    for rid, (_, _, vec) in got.items():
        np.testing.assert_allclose(vec, want[rid], rtol=1e-6)
    line = one_line_error(run("embed", a, "-m", "toy-3", "-o", f"{out}/"))
    assert "holds a run already (_manifest.json); pass --resume" in line
    line = one_line_error(run("embed", a, b, "-m", "toy-3", "-o", f"{out}/", "--resume", "--pooling", "max"))
    assert "cannot resume" in line and "pooling 'max' (was 'mean')" in line
    result = run("embed", a, b, "-m", "toy-3", "-o", out, "--resume")  # an existing directory
    assert result.exit_code == 0, result.output
    assert "resumed: 23 records were already written" in result.stderr
    assert "embedded 0 sequences" in result.stderr


def test_directory_only_options_are_usage_errors(toy: Any, tmp_path: Path) -> None:
    fa = fasta(tmp_path / "in.fa")
    assert run("embed", fa, "-m", "toy-3", "-o", tmp_path / "o.npy", "--resume").exit_code == 2
    assert run("embed", fa, "-m", "toy-3", "-o", tmp_path / "o.npy", "--shard-size", "3").exit_code == 2
    assert run("embed", fa, "-m", "toy-3", "-o", f"{tmp_path}/d/", "--segment-output").exit_code == 2


CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import toy_plugin
from dnallm_zoo._discovery import get_manager
from dnallm_zoo._registry import reset_plugins, reset_registry
from dnallm_zoo.cli import main

forward = toy_plugin.CliToyEncoder.forward
def slow(self, *a, **k):  # a model slow enough to be killed mid-run
    time.sleep(float(sys.argv[3]))
    return forward(self, *a, **k)
toy_plugin.CliToyEncoder.forward = slow
reset_plugins()
get_manager().register(toy_plugin.CliToyPlugin(Path(sys.argv[2])), name="toy")
reset_registry()
main(sys.argv[4:])
"""


def child(toy_root: Path, delay: float, *args: str | Path) -> list[str]:
    return [sys.executable, "-c", CHILD, str(HERE.parent), str(toy_root), str(delay), *map(str, args)]


@pytest.mark.slow
def test_a_run_killed_with_sigkill_and_resumed_equals_an_uninterrupted_one(
    toy: Any, toy_root: Path, tmp_path: Path
) -> None:
    records = many(120, seed=1)
    a = fasta(tmp_path / "a.fa", records[:70])
    b = fastq_gz(tmp_path / "b.fq.gz", records[70:])
    out = tmp_path / "run"
    args = ["embed", a, b, "-m", "toy-3", "-o", f"{out}/", "--shard-size", "8", "--token-budget", "64"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNALLM_ZOO_")}
    env["DNALLM_ZOO_PLUGINS"] = ""
    proc = subprocess.Popen(child(toy_root, 0.05, *args), env=env, stderr=subprocess.PIPE, text=True)
    done = kill_after_shards(proc, out)
    manifest = read_manifest(out)
    assert not manifest["complete"] and 2 <= len(done) < 15
    (out / ".part-00000-000099.parquet.deadbeef.tmp").write_bytes(b"PAR1 a shard cut short")
    # resumed with the same options, in this process and without the delay
    result = run(*args, "--resume")
    assert result.exit_code == 0, result.output
    assert "resumed: " in result.stderr
    assert not [f for f in os.listdir(out) if f.endswith(".tmp")]
    assert read_manifest(out)["complete"] and read_manifest(out)["rows"] == 120
    resumed = rows(out)
    whole = tmp_path / "whole"
    assert run(*args[:6], f"{whole}/", *args[7:]).exit_code == 0
    uninterrupted = rows(whole)
    assert sorted(resumed) == sorted(uninterrupted) == sorted(rid for rid, _ in records)
    for rid, (src, n, vec) in uninterrupted.items():
        assert resumed[rid][:2] == (src, n)
        np.testing.assert_allclose(resumed[rid][2], vec, rtol=1e-5, atol=1e-6)
    assert json.loads((out / MANIFEST).read_text())["inputs"] == [str(a), str(b)]


def test_predict_writes_shards_too(toy: Any, tmp_path: Path) -> None:
    records = many(9, seed=2)
    out = tmp_path / "p"
    fa = fasta(tmp_path / "a.fa", records)
    result = run("predict", fa, "-m", "toy-classifier", "-o", f"{out}/", "--shard-size", "4",
                 "--long", "chunk")
    assert result.exit_code == 0, result.output
    manifest = read_manifest(out)
    assert [s["rows"] for s in manifest["shards"]] == [4, 4, 1]
    assert manifest["layout"]["vector"] == "probabilities"
    assert manifest["metadata"]["labels"] == '["neg", "pos"]'
    table = pq.read_table(out)
    assert table["id"].to_pylist() == [rid for rid, _ in records]
    probs = np.array(table["probabilities"].to_pylist(), np.float32)
    want = load("toy-classifier").predict([s for _, s in records], long="chunk")
    np.testing.assert_allclose(probs, want, rtol=1e-6)
    line = one_line_error(run("predict", fa, "-m", "toy-classifier", "-o", f"{out}/", "--resume"))
    assert "cannot resume" in line and "long 'error' (was 'chunk')" in line
