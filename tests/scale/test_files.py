"""A scale-out run's inputs: local paths, globs and directories as the single-process run finds them,
and URIs of a pyarrow filesystem (`file://` here) read through dnaio."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from dnallm_zoo.errors import InputError
from dnallm_zoo.scale._files import expand, is_uri


def fa(path: Path, text: str = ">r1 x\nACGT\nAC\n>r2\nTTTT\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode()) if path.suffix == ".gz" else text.encode())
    return path


def test_local_paths_globs_and_directories(tmp_path: Path) -> None:
    a = fa(tmp_path / "d" / "a.fa")
    b = fa(tmp_path / "d" / "sub" / "b.fq.gz", "@q1\nACGT\n+\nIIII\n")
    fa(tmp_path / "d" / "notes.txt", "not a sequence file")
    files = expand([tmp_path / "d"])
    assert [f.name for f in files] == [str(a), str(b)] and [f.source.index for f in files] == [0, 1]
    assert [(r.n, r.id, r.sequence) for r in files[1].rows()] == [(1, "q1", "ACGT")]
    assert [f.name for f in expand([str(tmp_path / "d" / "*.fa")])] == [str(a)]
    with pytest.raises(InputError, match="given twice"):
        expand([a, str(tmp_path / "d" / "*.fa")])
    with pytest.raises(InputError, match="standard input"):
        expand(["-"])
    with pytest.raises(InputError, match="holds no FASTA/FASTQ"):
        expand([fa(tmp_path / "e" / "x.txt").parent])


def test_uris_of_a_pyarrow_filesystem(tmp_path: Path) -> None:
    a = fa(tmp_path / "d" / "a.fa.gz")
    b = fa(tmp_path / "d" / "b.fasta", ">s1\nGGCC\n>\nAA\n")
    assert is_uri("s3://bucket/x.fa") and is_uri(f"file://{a}") and not is_uri(str(a))
    files = expand([f"file://{tmp_path / 'd'}"])
    assert [f.name for f in files] == [f"file://{a}", f"file://{b}"]
    assert files[0].filesystem is not None and files[0].size == a.stat().st_size
    assert [(r.n, r.id, r.sequence) for r in files[0].rows()] == [(1, "r1", "ACGTAC"), (2, "r2", "TTTT")]
    assert [(r.n, r.id, r.sequence) for r in files[1].rows()] == [(1, "s1", "GGCC"), (2, None, "AA")]
    assert [f.name for f in expand([f"file://{tmp_path}/d/*.fasta"])] == [f"file://{b}"]
    with pytest.raises(InputError, match="no such file"):
        expand([f"file://{tmp_path}/missing.fa"])
    with pytest.raises(InputError, match="mix local paths and URIs"):
        expand([a, f"file://{b}"])
    bad = fa(tmp_path / "bad.fa", "hello\n")
    with pytest.raises(InputError, match=r"bad\.fa: not a FASTA or FASTQ file"):
        list(expand([f"file://{bad}"])[0].rows())
