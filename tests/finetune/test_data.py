"""Reading labelled data: every format, every label form, and each bad input named by file, row, column."""

from __future__ import annotations

import bz2
import gzip
import lzma
import shutil
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dnallm_zoo.errors import InputError
from dnallm_zoo.finetune.data import IGNORE_INDEX, detect_format, read_labeled


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def error_of(path: Path, task: str, **kw: object) -> str:
    with pytest.raises(InputError) as info:
        read_labeled(path, task, **kw)  # type: ignore[arg-type]
    return str(info.value)


# ----------------------------------------------------------------------------------------- formats
def test_csv_with_class_indices(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "sequence,label\nACGT,1\n aaca ,0\nGGGA,1\n")
    d = read_labeled(p, "binary")
    assert d.sequences == ["ACGT", "aaca", "GGGA"]
    assert d.labels.tolist() == [1, 0, 1]
    assert d.label_names == ["0", "1"]
    assert d.rows == ["line 2", "line 3", "line 4"]


def test_tsv_with_class_names_sorted(tmp_path: Path) -> None:
    p = write(tmp_path, "t.tsv", "seq\tkind\nACGT\tphage\nAACA\tplasmid\nGGGA\tchloroplast\n")
    d = read_labeled(p, "multiclass", sequence_column="seq", label_column="kind")
    assert d.label_names == ["chloroplast", "phage", "plasmid"]
    assert d.labels.tolist() == [1, 2, 0]


def test_given_label_names_accept_names_and_indices(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "sequence,label\nACGT,pos\nAACA,0\n")
    d = read_labeled(p, "binary", label_names=["neg", "pos"])
    assert d.labels.tolist() == [1, 0]


def test_leading_zeros_survive_csv(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "sequence,label\nACGTA,00110\nCCGTA,10000\n")
    d = read_labeled(p, "token")
    assert [a.tolist() for a in d.labels] == [[0, 0, 1, 1, 0], [1, 0, 0, 0, 0]]


def test_parquet_with_list_columns(tmp_path: Path) -> None:
    p = tmp_path / "t.parquet"
    pq.write_table(pa.table({"sequence": ["ACG", "TTA"], "label": [[0, 1, 2], [2, -100, 0]]}), p)
    d = read_labeled(p, "token")
    assert d.label_names == ["0", "1", "2"]
    assert d.labels[1].tolist() == [2, IGNORE_INDEX, 0]
    assert d.rows == ["row 1", "row 2"]


def test_parquet_integer_labels(tmp_path: Path) -> None:
    p = tmp_path / "t.parquet"
    pq.write_table(pa.table({"sequence": ["ACG", "TTA", "GGG"], "label": [0, 2, 1]}), p)
    d = read_labeled(p, "multiclass")
    assert d.labels.tolist() == [0, 2, 1]
    assert d.num_labels == 3


def test_fasta_label_is_the_last_bar_field(tmp_path: Path) -> None:
    p = write(tmp_path, "t.fa", ">s1 some text|x|promoter\nACGT\nAC\n>s2|other\nGGGG\n")
    d = read_labeled(p, "binary")
    assert d.sequences == ["ACGTAC", "GGGG"]
    assert d.label_names == ["other", "promoter"]
    assert d.labels.tolist() == [1, 0]
    assert d.rows == ["record 1", "record 2"]


def test_multilabel_names_separated_by_semicolons(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "sequence,label\nACGT,a;c\nAACA,\nGGGA,b\nTTTT,a;b;c\n")
    d = read_labeled(p, "multilabel")
    assert d.label_names == ["a", "b", "c"]
    assert d.labels.tolist() == [[1, 0, 1], [0, 0, 0], [0, 1, 0], [1, 1, 1]]
    assert d.labels.dtype == np.float32


def test_regression_several_columns_and_semicolons(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "sequence,y1,y2\nACGT,0.5,1e-3\nAACA,-2,3\n")
    d = read_labeled(p, "regression", label_column=["y1", "y2"])
    assert d.label_names == ["y1", "y2"]
    np.testing.assert_allclose(d.labels, [[0.5, 1e-3], [-2, 3]])
    q = write(tmp_path, "u.csv", "sequence,label\nACGT,0.5;1\nAACA,2;3\n")
    d = read_labeled(q, "regression")
    assert d.label_names == ["label_0", "label_1"]
    np.testing.assert_allclose(d.labels, [[0.5, 1], [2, 3]])


def test_token_labels_separated(tmp_path: Path) -> None:
    p = write(tmp_path, "t.tsv", "sequence\tlabel\nACG\t0 1 -100\nTTA\t1,0,1\n")
    d = read_labeled(p, "token")
    assert [a.tolist() for a in d.labels] == [[0, 1, -100], [1, 0, 1]]


def test_select_keeps_rows_and_labels_together(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "sequence,label\nAAAA,0\nCCCC,1\nGGGG,0\n")
    d = read_labeled(p, "binary").select([2, 1])
    assert d.sequences == ["GGGG", "CCCC"]
    assert d.labels.tolist() == [0, 1]
    assert d.rows == ["line 4", "line 3"]


def test_format_from_the_name() -> None:
    assert detect_format("a.CSV") == "csv"
    assert detect_format("a.tsv.gz") == "tsv"
    assert detect_format("a.fasta") == "fasta"
    with pytest.raises(InputError, match="cannot tell the format"):
        detect_format("a.xlsx")


ROWS = [("ACGTAC", "promoter"), ("GGGG", "other"), ("TTAC", "promoter")]
ZSTD = shutil.which("zstd") is not None or find_spec("zstandard") is not None
COMPRESS: dict[str | None, Callable[[bytes], bytes]] = {
    None: lambda b: b, "gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress,
    "zst": lambda b: pa.compress(b, codec="zstd", asbytes=True),
}
TEXT = {
    ".csv": "sequence,label\n" + "".join(f"{s},{y}\n" for s, y in ROWS),
    ".tsv": "sequence\tlabel\n" + "".join(f"{s}\t{y}\n" for s, y in ROWS),
    ".fa": "".join(f">r{i} x|{y}\n{s}\n" for i, (s, y) in enumerate(ROWS)),
}


@pytest.mark.parametrize("compression", [
    pytest.param(c, marks=pytest.mark.skipif(c == "zst" and not ZSTD, reason="no zstd")) for c in COMPRESS])
@pytest.mark.parametrize("suffix", list(TEXT))
def test_every_form_in_every_compression(tmp_path: Path, suffix: str, compression: str | None) -> None:
    """finetune and evaluate read labelled data as embed reads its inputs (train.csv.bz2 included)."""
    p = tmp_path / ("train" + suffix + (f".{compression}" if compression else ""))
    p.write_bytes(COMPRESS[compression](TEXT[suffix].encode()))
    d = read_labeled(p, "binary")
    assert d.sequences == [s for s, _ in ROWS] and d.label_names == ["other", "promoter"]
    assert d.labels.tolist() == [1, 0, 1]
    assert d.rows == ([f"line {n}" for n in (2, 3, 4)] if suffix != ".fa" else
                      [f"record {n}" for n in (1, 2, 3)])


@pytest.mark.parametrize("codec", ["none", "snappy", "gzip", "zstd"])
def test_parquet_in_its_codecs(tmp_path: Path, codec: str) -> None:
    p = tmp_path / "train.parquet"
    pq.write_table(pa.table({"sequence": [s for s, _ in ROWS], "label": [y for _, y in ROWS]}), p,
                   compression=codec)
    d = read_labeled(p, "binary")
    assert d.labels.tolist() == [1, 0, 1] and d.rows == ["row 1", "row 2", "row 3"]


# ----------------------------------------------------------------------------------------- bad input
def test_labels_outside_num_labels_all_named(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "sequence,label\nACGT,1\nAACA,2\nGGGA,0\nTTTT,5\n")
    msg = error_of(p, "binary")
    assert str(p) in msg and "column 'label'" in msg
    assert "lines 3, 5" in msg and "outside the 2 labels" in msg
    msg = error_of(p, "multiclass", num_labels=3)
    assert "line 5" in msg and "line 3" not in msg


def test_label_not_among_the_model_labels(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "sequence,label\nACGT,pos\nAACA,maybe\n")
    msg = error_of(p, "binary", label_names=["neg", "pos"], training=False)
    assert "line 3, column 'label'" in msg and "'maybe'" in msg


def test_binary_with_three_names(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "sequence,label\nACGT,a\nAACA,b\nGGGA,c\n")
    msg = error_of(p, "binary")
    assert str(p) in msg and "column 'label'" in msg and "3" in msg and "multiclass" in msg


def test_one_class_only(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "sequence,label\nACGT,1\nAACA,1\n")
    msg = error_of(p, "binary")
    assert str(p) in msg and "one class only" in msg
    assert read_labeled(p, "binary", training=False).labels.tolist() == [1, 1]  # fine to evaluate on
    q = write(tmp_path, "m.csv", "sequence,label\nACGT,a;b\nAACA,a\n")
    assert "label 'a' is on every row" in error_of(q, "multilabel")
    r = write(tmp_path, "k.csv", "sequence,label\nACGT,0000\n")
    assert "one class only" in error_of(r, "token", num_labels=2)


def test_missing_column_names_the_columns_found(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "seq,label\nACGT,1\n")
    msg = error_of(p, "binary")
    assert str(p) in msg and "no column 'sequence'" in msg and "'seq'" in msg
    q = tmp_path / "t.parquet"
    pq.write_table(pa.table({"sequence": ["ACG"], "y": [1]}), q)
    assert "no column 'label'" in error_of(q, "binary")


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "")
    assert error_of(p, "binary") == f"{p}: the file is empty"
    q = write(tmp_path, "h.csv", "sequence,label\n")
    assert "no data rows" in error_of(q, "binary")
    r = write(tmp_path, "e.fa", "\n")
    assert str(r) in error_of(r, "binary")


def test_ragged_rows_and_other_bad_rows_in_one_error(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "sequence,label\nACGT,1\nAACA,0,7\nGG\nGGGA,3\n,1\nTTTT,0\n")
    msg = error_of(p, "binary")
    assert "4 bad lines" in msg
    assert "lines 3-4: ragged row, not the header's 2 fields (e.g. '3 fields')" in msg
    assert "line 5, column 'label'" in msg  # row numbers after the ragged ones stay right
    assert "line 6, column 'sequence': empty sequence" in msg


def test_regression_targets_that_are_not_numbers(tmp_path: Path) -> None:
    p = write(tmp_path, "t.tsv", "sequence\tlabel\nACGT\t0.5\nAACA\tx\nGGGA\tnan\nTTTT\t\n")
    msg = error_of(p, "regression")
    assert str(p) in msg
    assert "lines 3-4, column 'label': regression target is not a finite number" in msg
    assert "line 5, column 'label': no target" in msg


def test_regression_ragged_target_counts(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "sequence,label\nACGT,1;2\nAACA,3;4\nGGGA,5\n")
    assert "line 4, column 'label': 1 target(s) where most rows have 2" in error_of(p, "regression")


def test_per_base_labels_of_the_wrong_length(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "sequence,label\nACGT,0101\nAACA,011\nGG,0110\nTT,ab\n")
    msg = error_of(p, "token")
    assert "lines 3-4, column 'label': per-base labels and the sequence differ in length" in msg
    assert "'3 labels, 4 bases'" in msg
    assert "line 5, column 'label': per-base labels must be digits or integers" in msg


def test_fasta_bad_records_named(tmp_path: Path) -> None:
    p = write(tmp_path, "t.fa", ">a|1\nACGT\n>b\nAAAA\n>c|7\nGG\n>d|0\nTTT\n")
    msg = error_of(p, "binary")
    assert "record 2, the header's last '|' field: header has no '|'" in msg
    assert "record 3, the header's last '|' field: label outside the 2 labels" in msg


def test_not_a_file(tmp_path: Path) -> None:
    assert "no such file" in error_of(tmp_path / "nope.csv", "binary")
    assert "is a directory" in error_of(tmp_path, "binary")
    with pytest.raises(InputError, match="unknown task"):
        read_labeled(tmp_path / "x.csv", "ranking")  # type: ignore[arg-type]


def test_several_label_columns_only_for_regression(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "sequence,a,b\nACGT,1,0\n")
    with pytest.raises(InputError, match="regression targets only"):
        read_labeled(p, "binary", label_column=["a", "b"])
