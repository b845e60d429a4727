"""embed and predict on one input: what the encoder computes, in every output format."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
import toy_plugin
from cli_support import LONG, RECORDS, fasta, one_line_error, read_matrix, read_table, run
from click.testing import CliRunner

import dnallm_zoo
from dnallm_zoo import hookimpl, load
from dnallm_zoo._discovery import get_manager
from dnallm_zoo._registry import reset_registry
from dnallm_zoo.cli import cli


# ----------------------------------------------------------------------------------------- embed
@pytest.mark.parametrize(("fa", "out"), [("in.fa", "e.parquet"), ("in.fa.gz", "e.npy"),
                                         ("in.fa", "e.npz"), ("in.fa.gz", "e.safetensors")])
def test_embed_writes_what_the_encoder_computes(toy: Any, tmp_path: Path, fa: str, out: str) -> None:
    result = run("embed", fasta(tmp_path / fa), "--model", "toy-3", "-o", tmp_path / out)
    assert result.exit_code == 0, result.output
    expected = load("toy-3").embed([s for _, s in RECORDS])
    np.testing.assert_allclose(read_matrix(tmp_path / out), expected, rtol=1e-6, atol=1e-7)
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("embedded 3 sequences, 57 bases in ")
    assert summary.endswith(f"-> {tmp_path / out}")
    assert sorted(os.listdir(tmp_path)) == sorted({fa, out})  # no temp file left


def test_embed_reads_standard_input(toy: Any, tmp_path: Path) -> None:
    data = gzip.compress(fasta(tmp_path / "in.fa").read_bytes())
    result = CliRunner().invoke(cli, ["embed", "-", "-m", "toy-3", "-o", str(tmp_path / "e.npz")],
                                input=data)
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(read_matrix(tmp_path / "e.npz"),
                               load("toy-3").embed([s for _, s in RECORDS]), rtol=1e-6)


def test_embed_parquet_rows_and_metadata(toy: Any, tmp_path: Path) -> None:
    out = tmp_path / "e.parquet"
    result = run("embed", fasta(tmp_path / "in.fa"), "-m", "toy-3", "-o", out,
                 "--pooling", "max", "--layer", "0", "--token-budget", "20")
    assert result.exit_code == 0, result.output
    ids, ints, matrix, meta = read_table(out)
    assert ids == ["seq1", "seq2", "long"] and ints == {"length": [10, 7, 40]}
    assert meta["model"] == "toy-3" and meta["pooling"] == "max" and meta["layer"] == "0"
    assert meta["dnallm_zoo_version"] == dnallm_zoo.__version__
    expected = load("toy-3").embed([s for _, s in RECORDS], pooling="max", layer=0)
    np.testing.assert_allclose(matrix, expected, rtol=1e-6)


def test_embed_with_a_checkpoint_directory_and_normalisation_options(
    toy: Any, tmp_path: Path, toy_root: Path
) -> None:
    records = [("low", "acgtacgtac"), ("amb", "ACGTRYACGT")]
    out = tmp_path / "e.npz"
    result = run("embed", fasta(tmp_path / "in.fa", records), "-m", toy_root / "toy-3", "-o", out,
                 "--no-uppercase")
    assert result.exit_code == 0, result.output
    with np.load(out) as z:
        assert json.loads(str(z["metadata"]))["model"] == "toy-3"
        got = z["embeddings"]
    enc = load(toy_root / "toy-3", normalization={"uppercase": False})
    np.testing.assert_allclose(got, enc.embed([s for _, s in records]), rtol=1e-6)
    assert not np.allclose(got[0], load("toy-3").embed(["ACGTACGTAC"])[0])  # lower case stayed UNK
    line = one_line_error(run("embed", tmp_path / "in.fa", "-m", "toy-3", "-o", tmp_path / "x.npy",
                              "--iupac", "error"))
    assert "record 2 ('amb'): invalid character 'R' at position 5 (an IUPAC ambiguity code" in line


def test_embed_no_u_to_t_keeps_u_unknown(toy: Any, tmp_path: Path) -> None:
    records = [("rna", "ACGUACGUACGU")]
    outs = {}
    for flag in ((), ("--no-u-to-t",)):
        out = tmp_path / f"e{len(flag)}.npy"
        result = run("embed", fasta(tmp_path / "in.fa", records), "-m", "toy-3", "-o", out, *flag)
        assert result.exit_code == 0, result.output
        outs[flag] = np.load(out)
    np.testing.assert_allclose(outs[()], load("toy-3").embed(["ACGTACGTACGT"]), rtol=1e-6)
    kept = load("toy-3", normalization={"u_to_t": False}).embed(["ACGUACGUACGU"])
    np.testing.assert_allclose(outs[("--no-u-to-t",)], kept, rtol=1e-6)
    assert not np.allclose(outs[()], outs[("--no-u-to-t",)])


def test_embed_segments(toy: Any, tmp_path: Path) -> None:
    out = tmp_path / "s.parquet"
    result = run("embed", fasta(tmp_path / "in.fa"), "-m", "toy-3", "-o", out, "--segment-output",
                 "--segment-size", "12", "--overlap", "2")
    assert result.exit_code == 0, result.output
    ids, ints, matrix, meta = read_table(out)
    segs = list(load("toy-3").embed_segments(RECORDS, segment_bases=12, overlap=2))
    assert ids == [s.record for s in segs]
    assert ints == {"start": [s.start for s in segs], "end": [s.end for s in segs]}
    assert ints["start"][:2] == [0, 0] and ids.count("long") == 4
    np.testing.assert_allclose(matrix, np.stack([s.vector for s in segs]), rtol=1e-6)
    assert meta["segment_size"] == "12" and meta["overlap"] == "2"
    assert f"({len(segs)} segments)" in result.stderr


@pytest.mark.parametrize(
    ("records", "extra", "message"),
    [
        ([("a", "ACGT"), ("b", "ACGTAC"), ("a", "ACG")], [],
         "record 3 ('a'): duplicate id, first seen at record 1"),
        ([("a", "ACGT"), ("hollow", "")], [], "record 2 ('hollow'): empty sequence"),
        ([("a", "ACGT"), ("bad", "ACGXT")], [],
         "record 2 ('bad'): invalid character 'X' at position 4 (not a nucleotide letter)"),
        ([("a", "ACGT"), ("long", LONG)], ["--long", "error"], "record 'long': 40 bases"),
        ([("a", "AC")], [], "record 1 ('a'): 2 bases give no tokens (a token takes 3)"),
    ],
)
def test_bad_records_are_one_line_errors_naming_the_record(
    toy: Any, tmp_path: Path, records: list[tuple[str, str]], extra: list[str], message: str
) -> None:
    line = one_line_error(run("embed", fasta(tmp_path / "in.fa", records), "-m", "toy-3",
                              "-o", tmp_path / "out.parquet", *extra))
    assert message in line
    assert sorted(os.listdir(tmp_path)) == ["in.fa"]  # no output, no temp file


def test_a_failed_run_keeps_the_previous_output(toy: Any, tmp_path: Path) -> None:
    out = tmp_path / "out.npz"
    assert run("embed", fasta(tmp_path / "ok.fa"), "-m", "toy-3", "-o", out).exit_code == 0
    before = out.read_bytes()
    bad = fasta(tmp_path / "bad.fa", [*RECORDS, ("z", "ACGT!")])
    one_line_error(run("embed", bad, "-m", "toy-3", "-o", out))
    assert out.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["bad.fa", "ok.fa", "out.npz"]


def test_output_and_input_are_checked_before_the_model(toy: Any, tmp_path: Path) -> None:
    fa = fasta(tmp_path / "in.fa")
    line = one_line_error(run("embed", fa, "-m", "no-such-model", "-o", tmp_path / "out.csv"))
    assert "unknown output format .csv; supported: .parquet, .npy, .npz, .safetensors" in line
    line = one_line_error(run("embed", tmp_path / "absent.fa", "-m", "no-such-model",
                              "-o", tmp_path / "o.npy"))
    assert "absent.fa: no such file" in line
    line = one_line_error(run("embed", fa, "-m", "no-such-model", "-o", tmp_path / "no" / "o.npy"))
    assert "does not exist" in line


def test_embed_option_errors(toy: Any, tmp_path: Path) -> None:
    fa = fasta(tmp_path / "in.fa")
    result = run("embed", fa, "-m", "toy-3", "-o", tmp_path / "o.npy", "--segment-size", "8")
    assert result.exit_code == 2 and "--segment-size needs --segment-output" in result.output
    line = one_line_error(run("embed", fa, "-m", "toy-3", "-o", tmp_path / "o.npy", "--overlap", "16"))
    assert "--overlap 16 must be smaller than the window of 16 bases" in line
    line = one_line_error(run("embed", fa, "-m", "toy-3", "-o", tmp_path / "o.npy", "--layer", "5"))
    assert "layer 5 out of range" in line
    line = one_line_error(run("embed", fa, "-m", "toy-3", "-o", tmp_path / "o.npy", "--device", "cuda"))
    assert "toy-3" in line and "cuda" in line
    assert run("embed", fa, "-m", "toy-3", "-o", tmp_path / "o.npy", "--device", "gpu").exit_code == 2


# ----------------------------------------------------------------------------------------- predict
def test_predict_writes_label_probabilities(toy: Any, tmp_path: Path) -> None:
    out = tmp_path / "p.parquet"
    short = RECORDS[:2]
    result = run("predict", fasta(tmp_path / "in.fa", short), "-m", "toy-classifier", "-o", out)
    assert result.exit_code == 0, result.output
    ids, ints, probs, meta = read_table(out)
    assert pq.read_schema(out).names == ["id", "source", "length", "probabilities"]
    assert ids == ["seq1", "seq2"] and ints == {"length": [10, 7]}
    assert json.loads(meta["labels"]) == ["neg", "pos"] and meta["problem_type"] == "single-label"
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(probs, load("toy-classifier").predict([s for _, s in short]), rtol=1e-6)
    assert result.stderr.strip().splitlines()[-1].startswith("scored 2 sequences, 17 bases in ")


def test_predict_long_sequences_follow_the_long_option(toy: Any, tmp_path: Path) -> None:
    fa = fasta(tmp_path / "in.fa")
    line = one_line_error(run("predict", fa, "-m", "toy-classifier", "-o", tmp_path / "p.npy"))
    assert "record 'long'" in line
    result = run("predict", fa, "-m", "toy-classifier", "-o", tmp_path / "p.npy", "--long", "chunk")
    assert result.exit_code == 0, result.output
    assert np.load(tmp_path / "p.npy").shape == (3, 2)


def test_predict_needs_a_classifier(toy: Any, tmp_path: Path) -> None:
    line = one_line_error(run("predict", fasta(tmp_path / "in.fa"), "-m", "toy-3", "-o", tmp_path / "p.npz"))
    assert "toy-3 is a embedding model; predict needs a sequence-classification model" in line
    assert not (tmp_path / "p.npz").exists()


# ----------------------------------------------------------------------------------------- offline
class HubToy:
    """A toy classifier whose weights live on the hub (never reached: snapshot_download is faked)."""

    @hookimpl
    def register_models(self, register: Any) -> None:
        spec = toy_plugin.toy_spec("toy-hub", Path("unused"), classifier=True)
        spec["weights"] = {"repo_id": "zoo-tests/toy-hub", "revision": "5e45af8"}
        register(spec, toy_plugin.CliToyEncoder)


def test_predict_offline_and_not_cached_says_what_to_do(
    toy: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    def unreachable(**kwargs: Any) -> str:
        raise LocalEntryNotFoundError("cannot find the requested files in the local cache. Got: ConnectError")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", unreachable)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    get_manager().register(HubToy(), name="hubtoy")
    reset_registry()
    line = one_line_error(run("predict", fasta(tmp_path / "in.fa", RECORDS[:1]), "-m", "toy-hub",
                              "-o", tmp_path / "p.npz", "--cache-dir", tmp_path / "hub"))
    assert "cannot get zoo-tests/toy-hub@5e45af8: it is not in the hub cache and the hub cannot be " in line
    assert "`hf download zoo-tests/toy-hub --revision 5e45af8 --cache-dir hub-cache`" in line
    assert f"copy hub-cache/ into {tmp_path / 'hub'}" in line and "--model DIR" in line
    assert not (tmp_path / "p.npz").exists()
