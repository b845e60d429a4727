"""A run's inputs: paths, globs and '-' to sources; FASTA/FASTQ (any compression) and tables as rows."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dnallm_zoo._inputs import STDIN, RawRecord, Source, expand_inputs, read_rows, table_kind
from dnallm_zoo.errors import InputError

FASTA = ">chr1 first\nACGT\nAC\n>\nGG\n>empty\n"
FASTQ = "@r1 x\nACGT\n+\nIIII\n@r2\nTT\n+\nII\n"


def source(path: Path) -> Source:
    return expand_inputs([path])[0]



def trio(records: Iterable[RawRecord]) -> list[tuple[int, str | None, str | None]]:
    return [(r.n, r.id, r.sequence) for r in records]

@pytest.mark.parametrize("compress", [None, gzip.compress, bz2.compress, lzma.compress])
@pytest.mark.parametrize(("text", "name", "rows"), [
    (FASTA, "in.fa", [(1, "chr1", "ACGTAC"), (2, None, "GG"), (3, "empty", "")]),
    (FASTQ, "in.fq", [(1, "r1", "ACGT"), (2, "r2", "TT")]),
])
def test_fasta_and_fastq_in_any_compression(tmp_path: Path, compress: object, text: str, name: str,
                                            rows: list[object]) -> None:
    suffix = {None: "", gzip.compress: ".gz", bz2.compress: ".bz2", lzma.compress: ".xz"}[compress]  # type: ignore[index]
    path = tmp_path / (name + suffix)
    path.write_bytes(compress(text.encode()) if compress else text.encode())  # type: ignore[operator]
    src = source(path)
    assert src.kind == "reads" and src.unit == "record"
    assert trio(read_rows(src)) == rows


@pytest.mark.parametrize("compress", [False, True])
def test_standard_input_fasta_or_fastq(monkeypatch: pytest.MonkeyPatch, compress: bool) -> None:
    data = gzip.compress(FASTQ.encode()) if compress else FASTQ.encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    [src] = expand_inputs(["-"])
    assert src.name == STDIN and src.path is None
    assert [r.id for r in read_rows(src)] == ["r1", "r2"]


def test_tables_csv_tsv_compressed_and_parquet(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text('id,sequence,x\na,ACGT,1\n"b,2",TT,2\n,GG,3\nd,,4\n')
    (tmp_path / "t.tsv.gz").write_bytes(gzip.compress(b"name\tdna\nq\tACG\n"))
    pq.write_table(pa.table({"id": [7, 8], "sequence": ["AC", None]}), tmp_path / "t.parquet")
    csv = source(tmp_path / "t.csv")
    assert csv.kind == "csv" and csv.unit == "row"
    assert trio(read_rows(csv)) == [(1, "a", "ACGT"), (2, "b,2", "TT"), (3, None, "GG"), (4, "d", "")]
    tsv = source(tmp_path / "t.tsv.gz")
    assert trio(read_rows(tsv, id_column="name", sequence_column="dna")) == [(1, "q", "ACG")]
    assert trio(read_rows(source(tmp_path / "t.parquet"))) == [(1, "7", "AC"), (2, "8", None)]
    with pytest.raises(InputError, match=r"gz: no column 'id', 'sequence' \(its columns: 'name', 'dna'\)"):
        list(read_rows(tsv))
    with pytest.raises(InputError, match=r"t\.parquet: no column 'seq'"):
        list(read_rows(source(tmp_path / "t.parquet"), sequence_column="seq"))


def test_table_kind_by_suffix() -> None:
    assert [table_kind(p) for p in ("a.csv", "a.CSV.gz", "a.tsv.zst", "a.parquet", "a.pq", "a.fa.gz",
                                    "a.parquet.gz", "a")] == ["csv", "csv", "tsv", "parquet", "parquet",
                                                              None, None, None]


def test_globs_expand_sorted_in_the_order_given(tmp_path: Path) -> None:
    for name in ("b.fa", "a.fa", "c.fq", "x.csv"):
        (tmp_path / name).write_text(">r\nA\n")
    got = expand_inputs([tmp_path / "x.csv", str(tmp_path / "*.fa"), "-"])
    assert [(s.index, Path(s.name).name if s.path else s.name, s.kind) for s in got] == [
        (0, "x.csv", "csv"), (1, "a.fa", "reads"), (2, "b.fa", "reads"), (3, STDIN, "reads")]


@pytest.mark.parametrize(("args", "match"), [
    (["absent.fa"], "absent.fa: no such file"),
    (["*.nothing"], "no file matches this pattern"),
    (["."], "is a directory"),
    (["a.fa", "./a.fa"], "given twice"),
    (["-", "-"], "given twice"),
])
def test_bad_inputs_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
                              match: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.fa").write_text(">r\nA\n")
    with pytest.raises(InputError, match=match):
        expand_inputs(args)


@pytest.mark.parametrize(("name", "data", "match"), [
    ("bad.fa", b"just text\n", r"bad\.fa: not a valid FASTA or FASTQ file: .*line 1"),
    ("bad.txt", b"just text\n", r"bad\.txt: not a FASTA or FASTQ file \(its first character"),
    ("cut.fa.gz", gzip.compress(FASTA.encode() * 50)[:40], r"cut\.fa\.gz: cannot read"),
    ("bad.fq", b"@r\nACGT\n+\nII\n", r"bad\.fq: not a valid FASTA or FASTQ file"),
    ("bad.parquet", b"PAR1 not really", r"bad\.parquet: cannot read as Parquet"),
])
def test_unreadable_files_are_input_errors(tmp_path: Path, name: str, data: bytes, match: str) -> None:
    (tmp_path / name).write_bytes(data)
    with pytest.raises(InputError, match=match):
        list(read_rows(source(tmp_path / name)))
