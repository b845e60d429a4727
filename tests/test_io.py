"""The public reader (`dnallm_zoo.io`): the records every command reads, extra columns carried, every bad
record named at once, and no torch imported."""

from __future__ import annotations

import bz2
import subprocess
import sys
from pathlib import Path

import pytest

from dnallm_zoo.errors import InputError
from dnallm_zoo.io import SeqRecord, read_fasta, read_records


def test_records_of_several_forms_with_their_extra_columns(tmp_path: Path) -> None:
    fa = tmp_path / "a.fa.bz2"
    fa.write_bytes(bz2.compress(b">r1 x\nACGT\n>r2\nTTGA\n"))
    csv = tmp_path / "t.csv"
    csv.write_text("id,sequence,label,note\nq1,GGCC,1,a\nq2,AATT,0,b\n")
    got = list(read_records([fa, csv], extra_columns=()))
    assert [(r.id, r.sequence, r.n) for r in got] == [("r1", "ACGT", 1), ("r2", "TTGA", 2), ("q1", "GGCC", 1),
                                                      ("q2", "AATT", 2)]
    assert got[0].source == str(fa) and got[2].source == str(csv) and got[2].extra == {}
    labelled = list(read_records(csv, extra_columns=("label",)))
    assert labelled[1] == SeqRecord("q2", "AATT", str(csv), 2, {"label": "0"})
    assert list(read_fasta(fa)) == [("r1", "ACGT"), ("r2", "TTGA")]


def test_every_bad_record_named_before_any_is_returned(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("id,sequence\nq1,GGCC\n,AATT\nq1,ACGT\nq4,\nq5,AC,extra\n")
    with pytest.raises(InputError) as err:
        read_records(csv)
    lines = str(err.value).splitlines()
    assert lines[0].startswith("4 bad records in the input")
    assert [line.split(": ", 1)[1] for line in lines[1:]] == [
        "no id (its id cell is empty)", "duplicate id, first seen at row 1", "empty sequence",
        "ragged row, not the header's 2 fields (3 fields)"]


def test_the_reader_imports_no_torch() -> None:
    code = ("import sys, dnallm_zoo.io; "
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
