"""The atomic embedding writers (.parquet, .npy, .npz, .safetensors)."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file

from dnallm_zoo import InputError, __version__
from dnallm_zoo import _writers as zio
from dnallm_zoo._writers import RowLayout, check_output, open_writer, writer_class

FASTA = ">chr1 first record\nACGTAC\nGTT\n>chr2\nacgu\n>plasmid x y\nNNACGT\n"
EXPECTED = [("chr1", "ACGTACGTT"), ("chr2", "acgu"), ("plasmid", "NNACGT")]


def write_fasta(path: Path, text: str) -> Path:
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


# ----------------------------------------------------------------------------------------- writers
ROWS = [("chr1", 9, np.array([0.5, -1.0, 2.0, 3.25], np.float32)),
        ("chr2", 4, np.array([1.0, 2.0, 3.0, 4.0], np.float32)),
        ("plasmid", 6, np.array([-0.125, 0.0, 7.0, 1e-8], np.float32))]
META = {"model": "toy-3", "pooling": "mean", "layer": "-1"}
SUFFIXES = [".parquet", ".npy", ".npz", ".safetensors"]


def write_rows(path: Path, rows: list[tuple[str, int, np.ndarray]] = ROWS) -> None:
    with open_writer(path, layout=RowLayout.sequences(4), metadata=META) as w:
        for rid, n, vec in rows:
            w.write(rid, (n,), vec)


def read_back(path: Path) -> dict[str, object]:
    """ids, ints (per column), the matrix and the metadata, from any supported format."""
    matrix_name = "embeddings"
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
        vec_col = table.schema.names[-1]
        width = table.schema.field(vec_col).type.list_size
        return {"ids": table["id"].to_pylist(), "columns": table.schema.names,
                "ints": {c: table[c].to_pylist() for c in table.schema.names[1:-1]},
                "matrix": np.array(table[vec_col].to_pylist(), np.float32).reshape(len(table), width),
                "meta": meta}
    if path.suffix == ".npy":
        return {"matrix": np.load(path, allow_pickle=False)}
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        return {"ids": data.pop("ids").tolist(), "meta": json.loads(str(data.pop("metadata"))),
                "matrix": data.pop(matrix_name), "ints": {k: v.tolist() for k, v in data.items()}}
    tensors = load_file(str(path))
    with safe_open(str(path), "np") as f:
        meta = dict(f.metadata())
    ids = json.loads(meta.pop("ids"))
    ints = {k: json.loads(meta.pop(k)) for k in ("lengths", "starts", "ends") if k in meta}
    return {"ids": ids, "ints": ints, "matrix": tensors[matrix_name], "meta": meta}


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_each_writer_round_trips(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"emb{suffix}"
    write_rows(out)
    got = read_back(out)
    expected = np.stack([v for _, _, v in ROWS])
    assert got["matrix"].dtype == np.float32  # type: ignore[union-attr]
    np.testing.assert_array_equal(got["matrix"], expected)
    if suffix == ".npy":
        return
    assert got["ids"] == ["chr1", "chr2", "plasmid"]
    length_key = "length" if suffix == ".parquet" else "lengths"
    assert got["ints"] == {length_key: [9, 4, 6]}
    assert got["meta"] == {**META, "dnallm_zoo_version": __version__}


def test_parquet_schema_is_id_length_fixed_size_list(tmp_path: Path) -> None:
    out = tmp_path / "emb.parquet"
    write_rows(out)
    schema = pq.read_schema(out)
    assert schema.names == ["id", "length", "embedding"]
    assert str(schema.field("id").type) == "string"
    assert str(schema.field("length").type) == "int64"
    assert str(schema.field("embedding").type) == "fixed_size_list<element: float>[4]"


def test_parquet_writes_row_groups_as_they_fill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zio.ParquetWriter, "group_bytes", 64 * 4 * 4)  # 64 rows of width 4 a group
    rng = np.random.default_rng(0)
    rows = [(f"r{i}", i, rng.standard_normal(4).astype(np.float32)) for i in range(200)]
    out = tmp_path / "many.parquet"
    write_rows(out, rows)
    assert pq.ParquetFile(out).num_row_groups == 4
    got = read_back(out)
    assert got["ids"] == [r for r, _, _ in rows]
    np.testing.assert_array_equal(got["matrix"], np.stack([v for _, _, v in rows]))


@pytest.mark.parametrize("suffix", [".parquet", ".npz", ".safetensors"])
def test_segment_rows_round_trip(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"seg{suffix}"
    with open_writer(out, layout=RowLayout.segments(2), metadata=META) as w:
        w.write("chr1", (0, 10), np.array([1, 2], np.float32))
        w.write("chr1", (8, 15), np.array([3, 4], np.float32))
    got = read_back(out)
    assert got["ids"] == ["chr1", "chr1"]
    if suffix == ".parquet":
        assert got["columns"] == ["id", "start", "end", "embedding"]
        assert got["ints"] == {"start": [0, 8], "end": [10, 15]}
    else:
        assert got["ints"] == {"starts": [0, 8], "ends": [10, 15]}
    np.testing.assert_array_equal(got["matrix"], [[1, 2], [3, 4]])


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_no_rows_gives_an_empty_but_valid_file(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"none{suffix}"
    write_rows(out, [])
    assert read_back(out)["matrix"].shape == (0, 4)  # type: ignore[union-attr]


def test_write_checks_the_row_shape(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"expected \(4,\)"), \
            open_writer(tmp_path / "x.npy", layout=RowLayout.sequences(4)) as w:
        w.write("a", (1,), np.zeros(3, np.float32))
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------------------------------------------- atomicity
class Boom(RuntimeError):
    pass


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_failing_run_leaves_no_output_and_no_temp_file(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"emb{suffix}"
    with pytest.raises(Boom), open_writer(out, layout=RowLayout.sequences(4)) as w:
        w.write("chr1", (9,), ROWS[0][2])
        raise Boom
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_failing_run_keeps_the_previous_output_intact(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"emb{suffix}"
    write_rows(out)
    before = out.read_bytes()
    with pytest.raises(Boom), open_writer(out, layout=RowLayout.sequences(4)) as w:
        w.write("new", (1,), np.ones(4, np.float32))
        raise Boom
    assert out.read_bytes() == before
    assert os.listdir(tmp_path) == [out.name]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_failing_commit_leaves_no_temp_file(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zio.os, "replace", no_space)
    out = tmp_path / f"emb{suffix}"
    with pytest.raises(InputError, match="No space left on device"):
        write_rows(out)
    assert os.listdir(tmp_path) == []


def test_output_gets_ordinary_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_rows(tmp_path / "p.npz")
    finally:
        os.umask(old)
    assert (tmp_path / "p.npz").stat().st_mode & 0o777 == 0o644


# ----------------------------------------------------------------------------------------- choosing
def test_writer_is_chosen_by_suffix_case_insensitively() -> None:
    assert writer_class("a.PARQUET") is zio.ParquetWriter
    assert writer_class(Path("x/y.safetensors")) is zio.SafetensorsWriter
    assert set(zio.SUPPORTED_SUFFIXES) == set(SUFFIXES)


@pytest.mark.parametrize("name", ["out.csv", "out"])
def test_unknown_suffix_lists_the_supported_ones(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match=r"unknown output format .*supported: \.parquet, \.npy, "
                                         r"\.npz, \.safetensors"):
        check_output(tmp_path / name)


def test_check_output_refuses_missing_directory_and_directories(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        check_output(tmp_path / "nowhere" / "out.npy")
    (tmp_path / "d.npy").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        check_output(tmp_path / "d.npy")
    check_output(tmp_path / "fine.npy")
    assert not (tmp_path / "fine.npy").exists()


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_layout_with_a_source_keeps_each_rows_input(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"emb{suffix}"
    layout = RowLayout.sequences(4, source=True)
    with open_writer(out, layout=layout, metadata=META) as w:
        for (rid, n, vec), src in zip(ROWS, ["a.fa", "a.fa", "b.fq.gz"], strict=True):
            w.write(rid, (n,), vec, source=src)
        with pytest.raises(ValueError, match="needs source"):
            w.write("x", (1,), ROWS[0][2])
    sources = ["a.fa", "a.fa", "b.fq.gz"]
    if suffix == ".parquet":
        table = pq.read_table(out)
        assert table.schema.names == ["id", "source", "length", "embedding"]
        assert table["source"].to_pylist() == sources
    elif suffix == ".npz":
        with np.load(out, allow_pickle=False) as z:
            assert z["sources"].tolist() == sources and z["ids"].tolist() == [r for r, _, _ in ROWS]
    elif suffix == ".safetensors":
        with safe_open(str(out), "np") as f:
            assert json.loads(f.metadata()["sources"]) == sources
    np.testing.assert_array_equal(read_back(out)["matrix"], np.stack([v for _, _, v in ROWS]))


# ----------------------------------------------------------------------------------------- table layouts
TABLE = RowLayout.table({"chrom": "string", "pos": "int64", "llr": "float64", "n": "int64"}, key="n")


def test_a_table_layout_writes_typed_nullable_columns_then_source(tmp_path: Path) -> None:
    out = tmp_path / "t.parquet"
    with open_writer(out, layout=TABLE, metadata=META) as w:
        w.write(None, ("chr1", 10, -1.5, 1), None, source="v.vcf")
        w.write(None, ("chr1", 12, None, 2), None, source="v.vcf")
    t = pq.read_table(out)
    assert t.column_names == ["chrom", "pos", "llr", "n", "source"]
    assert [str(f.type) for f in t.schema] == ["string", "int64", "double", "int64", "string"]
    assert t.to_pylist()[1] == {"chrom": "chr1", "pos": 12, "llr": None, "n": 2, "source": "v.vcf"}
    assert RowLayout.from_json(json.loads(json.dumps(TABLE.to_json()))) == TABLE
    assert RowLayout.from_json(RowLayout.sequences(4).to_json()) == RowLayout.sequences(4)  # as before


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".safetensors"])
def test_a_table_layout_is_refused_by_the_matrix_formats(tmp_path: Path, suffix: str) -> None:
    with pytest.raises(InputError, match="written to Parquet"):
        zio.check_layout(tmp_path / f"t{suffix}", TABLE)
    zio.check_layout(tmp_path / "t.parquet", TABLE)
    zio.check_layout(tmp_path / f"t{suffix}", RowLayout.sequences(4))


def test_a_layout_names_a_key_among_its_columns() -> None:
    with pytest.raises(ValueError, match="key 'x'"):
        RowLayout.table({"n": "int64"}, key="x")
    with pytest.raises(ValueError, match="types"):
        RowLayout(("a",), "", 0, ids=False, types=("decimal",), key="a")
