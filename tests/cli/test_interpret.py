"""`dnallm-zoo attention`, `explain`, `plot-embeddings`, and `embed --layer` with several layers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import interpret_models
import numpy as np
import pyarrow.parquet as pq
import pytest
from cli_support import fasta, one_line_error, run

PNG = b"\x89PNG\r\n\x1a\n"
RECORDS = [("s1", "ACGTAGCTAGCTAGGATCGATTTACG"), ("s2", "GATTACAGATTACA"), ("s3", "TTGACCATGCAAGT")]


@pytest.fixture
def models(zoo_toy: Any, zoo_plugin: Callable[..., str], tmp_path: Path) -> dict[str, Path]:
    return interpret_models.models(tmp_path / "models", zoo_plugin)


def test_attention_npz_and_heatmap(models: dict[str, Path], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    seqs = fasta(tmp_path / "s.fa", RECORDS)
    r = run("attention", seqs, "--model", "toy-kmer3", "-o", tmp_path / "att.npz", "--layer", "-1",
            "--plot", tmp_path / "att.png")
    assert r.exit_code == 0, r.output
    assert "3 sequences, layers [1], 2 heads" in r.stderr
    import dnallm_zoo

    want = dnallm_zoo.load("toy-kmer3", device="cpu").attentions(RECORDS, layers=[-1])
    with np.load(tmp_path / "att.npz") as z:
        assert z["ids"].tolist() == ["s1", "s2", "s3"] and z["layers"].tolist() == [1]
        for i, m in enumerate(want):
            np.testing.assert_allclose(z[f"weights_{i}"], m.weights, atol=1e-6)
            assert z[f"tokens_{i}"].tolist() == list(m.tokens)
        assert json.loads(str(z["meta"]))["model"] == "toy-kmer3"
    assert (tmp_path / "att.png").read_bytes()[:8] == PNG


def test_explain_parquet_and_tracks(models: dict[str, Path], tmp_path: Path) -> None:
    pytest.importorskip("captum")
    pytest.importorskip("matplotlib")
    seqs = fasta(tmp_path / "s.fa", RECORDS)
    r = run("explain", seqs, "--model", models["clf"], "--target", "repeat", "-o", tmp_path / "a.parquet",
            "--steps", "16", "--plot", tmp_path / "a.png")
    assert r.exit_code == 0, r.output
    t = pq.read_table(tmp_path / "a.parquet")
    assert t["id"].to_pylist() == ["s1", "s2", "s3"] and set(t["target"].to_pylist()) == {"repeat"}
    for row in t.to_pylist():
        total = float(np.sum(row["token_attribution"], dtype=np.float64))
        assert abs(total - (row["output"] - row["baseline_output"])) <= abs(row["delta"]) + 1e-5
        assert len(row["attribution"]) == row["length"] == len(row["bases"])
    assert (tmp_path / "a.png").read_bytes()[:8] == PNG


@pytest.mark.parametrize(("args", "message"), [
    (["explain", "--target", "virus"], r"target 'virus': .* has no such label; its labels are \['coding'"),
    (["explain", "--model-is-mlm"], r"is a masked-lm model: attributions need a fine-tuned classifier"),
    (["attention", "--layer", "0,2"], r"layer 2 out of range: .* has 2 attention layers"),
    (["attention", "--layer", "first"], r"--layer 'first': give integers separated by commas"),
])
def test_bad_input_before_model_work(models: dict[str, Path], tmp_path: Path, args: list[str],
                                     message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import dnallm_zoo._loading

    monkeypatch.setattr(dnallm_zoo._loading, "load", lambda *a, **k: pytest.fail("the model was loaded"))
    seqs = fasta(tmp_path / "s.fa", RECORDS)
    command, *rest = args
    model = models["mlm"] if "--model-is-mlm" in rest else models["clf"]
    rest = [a for a in rest if a != "--model-is-mlm"]
    out = tmp_path / ("o.parquet" if command == "explain" else "o.npz")
    line = one_line_error(run(command, seqs, "--model", model, "-o", out, *rest))
    import re

    assert re.search(message, line), line
    assert not out.exists()


def test_bad_records_are_named_before_model_work(models: dict[str, Path], tmp_path: Path) -> None:
    seqs = fasta(tmp_path / "s.fa", [("ok", "ACGTACGT"), ("empty", ""), ("ok", "ACGT")])
    r = run("attention", seqs, "--model", "toy-kmer3", "-o", tmp_path / "o.npz")
    assert r.exit_code == 1 and "empty" in r.stderr and "'ok'" in r.stderr
    assert not (tmp_path / "o.npz").exists()


@pytest.mark.parametrize("suffix", [".parquet", ".npz", ".npy", ".safetensors"])
def test_embed_several_layers_equals_single_layer_runs(models: dict[str, Path], tmp_path: Path,
                                                       suffix: str) -> None:
    seqs = fasta(tmp_path / "s.fa", RECORDS)
    out = tmp_path / f"all{suffix}"
    r = run("embed", seqs, "--model", "toy-kmer3", "-o", out, "--layer", "all")
    assert r.exit_code == 0, r.output
    singles = []
    for i in range(3):
        one = tmp_path / f"l{i}.parquet"
        assert run("embed", seqs, "--model", "toy-kmer3", "-o", one, "--layer", str(i)).exit_code == 0
        t = pq.read_table(one)
        singles.append(np.array(t["embedding"].to_pylist(), np.float32))
    want = np.stack(singles, 1)  # [N, layers, H]
    if suffix == ".parquet":
        t = pq.read_table(out)
        assert t.column_names == ["id", "source", "length", "embedding_0", "embedding_1", "embedding_2"]
        assert t.schema.metadata[b"layers"] == b"0,1,2"
        got = np.stack([np.array(t[f"embedding_{i}"].to_pylist(), np.float32) for i in range(3)], 1)
    elif suffix == ".safetensors":
        from safetensors.numpy import load_file

        got = load_file(str(out))["embeddings"]
    elif suffix == ".npz":
        with np.load(out) as z:
            got = z["embeddings"]
    else:
        got = np.load(out)
    assert got.shape == (3, 3, 16)
    np.testing.assert_array_equal(got, want)


def test_embed_layers_into_shards(models: dict[str, Path], tmp_path: Path) -> None:
    seqs = fasta(tmp_path / "s.fa", RECORDS)
    r = run("embed", seqs, "--model", "toy-kmer3", "-o", f"{tmp_path / 'run'}/", "--layer", "0,-1",
            "--shard-size", "2")
    assert r.exit_code == 0, r.output
    t = pq.read_table(tmp_path / "run")
    assert {"embedding_0", "embedding_2"} <= set(t.column_names) and len(t) == 3
    manifest = json.loads((tmp_path / "run" / "_manifest.json").read_text())
    assert manifest["layout"]["layers"] == [0, 2]


def test_embed_layer_out_of_range(models: dict[str, Path], tmp_path: Path) -> None:
    seqs = fasta(tmp_path / "s.fa", RECORDS)
    line = one_line_error(run("embed", seqs, "--model", "toy-kmer3", "-o", tmp_path / "o.parquet",
                              "--layer", "0,3"))
    assert "layer 3 out of range: toy-kmer3 has 3 hidden states (the embeddings, then 2 layers)" in line


def test_plot_embeddings(models: dict[str, Path], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    records = [(f"r{i}", "ACGTTGCA"[i % 8:] + "GATTACA" * (1 + i % 3)) for i in range(12)]
    seqs = fasta(tmp_path / "s.fa", records)
    emb = tmp_path / "e.parquet"
    assert run("embed", seqs, "--model", "toy-kmer3", "-o", emb, "--layer", "0,-1").exit_code == 0
    notes = tmp_path / "notes.csv"
    notes.write_text("id,group\n" + "".join(f"r{i},{'ab'[i % 2]}\n" for i in range(12)))
    r = run("plot-embeddings", emb, "--color-by", "group", "--annotations", notes, "--column", "embedding_2",
            "-o", tmp_path / "map.png")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "map.png").read_bytes()[:8] == PNG
    r = run("plot-embeddings", emb, "--color-by", "length", "--column", "embedding_0",
            "-o", tmp_path / "l.png")
    assert r.exit_code == 0, r.output
    line = one_line_error(run("plot-embeddings", emb, "--color-by", "genome", "--column", "embedding_0",
                              "-o", tmp_path / "x.png"))
    assert "--color-by 'genome': no such column; there are ['id', 'length', 'source']" in line
    line = one_line_error(run("plot-embeddings", emb, "-o", tmp_path / "x.png"))
    assert "give a column to project (--column); its vector columns are ['embedding_0', 'embedding_2']" \
        in line
    assert not (tmp_path / "x.png").exists()
