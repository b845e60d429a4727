"""Embeddings in two dimensions: reading an embed output, joining annotations, PCA, the PNG."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from dnallm_zoo import InputError, ZooError
from dnallm_zoo._projection import annotate, plot_projection, project, read_embedding_table

PNG = b"\x89PNG\r\n\x1a\n"


def _npz(path: Path, n: int = 9) -> Path:
    rng = np.random.default_rng(0)
    np.savez(path, ids=np.array([f"r{i}" for i in range(n)]), lengths=np.arange(n) + 100,
             embeddings=rng.normal(size=(n, 2, 5)).astype(np.float32), metadata=np.array("{}"))
    return path


def test_npz_with_layers_and_annotations(tmp_path: Path) -> None:
    path = _npz(tmp_path / "e.npz")
    with pytest.raises(InputError, match=r"give a column to project \(--column\); its vector columns are "
                                         r"\['embedding_0', 'embedding_1'\]"):
        read_embedding_table(path)
    table = read_embedding_table(path, column="embedding_1")
    assert table.vectors.shape == (9, 5) and table.columns["id"].tolist()[:2] == ["r0", "r1"]
    notes = tmp_path / "n.tsv"
    notes.write_text("id\tclade\n" + "".join(f"r{i}\t{'xy'[i % 2]}\n" for i in range(8)))  # r8 unannotated
    joined = annotate(table, notes)
    assert joined.columns["clade"].tolist() == ["x", "y", "x", "y", "x", "y", "x", "y", None]
    assert joined.columns["length"].tolist() == list(range(100, 109))
    xy = project(joined.vectors)
    assert xy.shape == (9, 2)
    centred = joined.vectors - joined.vectors.mean(0)
    top = np.linalg.svd(centred, full_matrices=False)[2][0]
    np.testing.assert_allclose(np.abs(xy[:, 0]), np.abs(centred @ top), atol=1e-5)  # the first component
    pytest.importorskip("matplotlib")
    for by in ("clade", "length", None):
        assert plot_projection(joined, tmp_path / f"{by}.png", color_by=by).read_bytes()[:8] == PNG


def test_bad_annotations_and_inputs(tmp_path: Path) -> None:
    table = read_embedding_table(_npz(tmp_path / "e.npz"), column="embedding_0")
    (tmp_path / "noid.csv").write_text("name,clade\nr0,x\n")
    with pytest.raises(InputError, match="no `id` column"):
        annotate(table, tmp_path / "noid.csv")
    (tmp_path / "twice.csv").write_text("id,clade\nr0,x\nr0,y\n")
    with pytest.raises(InputError, match=r"ids named twice: \['r0'\]"):
        annotate(table, tmp_path / "twice.csv")
    with pytest.raises(InputError, match="at least 3"):
        project(table.vectors[:2])
    with pytest.raises(InputError, match=r"read \.parquet or \.npz"):
        read_embedding_table(tmp_path / "noid.csv")
    if importlib.util.find_spec("umap") is None:
        with pytest.raises(ZooError, match="needs umap-learn"):
            project(table.vectors, "umap")
