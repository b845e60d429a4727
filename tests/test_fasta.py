"""FASTA reading through dnaio: records streamed, bad files and records named."""

from __future__ import annotations

import gzip
import io
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from dnallm_zoo._fasta import read_fasta
from dnallm_zoo.errors import InputError

FASTA = ">chr1 first record\nACGTAC\nGTT\n>chr2\nacgu\n>plasmid x y\nNNACGT\n"
EXPECTED = [("chr1", "ACGTACGTT"), ("chr2", "acgu"), ("plasmid", "NNACGT")]


def write_fasta(path: Path, text: str) -> Path:
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["in.fa", "in.fa.gz", "in.fasta"])
def test_read_fasta_streams_ids_and_joined_sequences(tmp_path: Path, name: str) -> None:
    records = read_fasta(write_fasta(tmp_path / name, FASTA))
    assert isinstance(records, Iterator)
    assert list(records) == EXPECTED


@pytest.mark.parametrize("compress", [False, True])
def test_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch, compress: bool) -> None:
    data = gzip.compress(FASTA.encode()) if compress else FASTA.encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert list(read_fasta("-")) == EXPECTED


def test_standard_input_errors_name_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b">a\nAC\n>a\nGT\n")))
    with pytest.raises(InputError, match=r"<stdin> record 2 \('a'\): duplicate id, first seen at record 1"):
        list(read_fasta("-"))


def test_read_fasta_accepts_crlf_and_blank_lines(tmp_path: Path) -> None:
    path = write_fasta(tmp_path / "crlf.fa", ">a\r\nAC\r\n\r\nGT\r\n>b\r\nT\r\n")
    assert list(read_fasta(path)) == [("a", "ACGT"), ("b", "T")]


def test_read_fasta_of_an_empty_file_yields_nothing(tmp_path: Path) -> None:
    assert list(read_fasta(write_fasta(tmp_path / "empty.fa", ""))) == []


def test_missing_input_is_an_input_error_at_call_time(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_fasta(tmp_path / "absent.fa")  # raised before iterating
    with pytest.raises(InputError, match="is a directory"):
        read_fasta(tmp_path)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("just text\n>a\nAC\n", r"not a valid FASTA file.*line 1"),
        ("@read\nACGT\n+\nIIII\n", "not a valid FASTA file"),
    ],
)
def test_malformed_fasta_is_an_input_error(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        list(read_fasta(write_fasta(tmp_path / "bad.fa", text)))


def test_truncated_gzip_is_an_input_error(tmp_path: Path) -> None:
    full = gzip.compress((FASTA * 50).encode())
    path = tmp_path / "cut.fa.gz"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(InputError, match=r"cut\.fa\.gz: cannot read"):
        list(read_fasta(path))


def test_binary_garbage_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bin.fa"
    path.write_bytes(b">a\nAC\xff\xfeGT\n")
    with pytest.raises(InputError, match=r"bin\.fa"):
        list(read_fasta(path))


def test_empty_record_names_the_record(tmp_path: Path) -> None:
    path = write_fasta(tmp_path / "e.fa", ">ok\nACGT\n>hollow desc\n>after\nAC\n")
    with pytest.raises(InputError, match=r"e\.fa record 2 \('hollow'\): empty sequence"):
        list(read_fasta(path))


def test_duplicate_id_names_the_id_and_both_records(tmp_path: Path) -> None:
    path = write_fasta(tmp_path / "d.fa", ">a x\nAC\n>b\nAC\n>a y\nGT\n")
    records = read_fasta(path)
    assert list(itertools.islice(records, 2)) == [("a", "AC"), ("b", "AC")]  # streamed up to it
    with pytest.raises(InputError, match=r"record 3 \('a'\): duplicate id, first seen at record 1"):
        next(records)


def test_header_without_id_is_an_error(tmp_path: Path) -> None:
    path = write_fasta(tmp_path / "h.fa", ">a\nAC\n>\nGT\n")
    with pytest.raises(InputError, match=r"record 2: no id \(its header line is empty\)"):
        list(read_fasta(path))
