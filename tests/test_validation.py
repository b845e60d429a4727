"""Bad records named before model work: the checks, the two-pass screening, the skipped list."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dnallm_zoo import NormalizationPolicy
from dnallm_zoo._inputs import Source, expand_inputs
from dnallm_zoo._validation import (
    BadRecordsError,
    Screening,
    Validator,
    skipped_path,
    write_skipped,
)
from dnallm_zoo.errors import InvalidSequenceError
from dnallm_zoo.tokenize import normalize

A = Source(0, "a.fa", "reads")
T = Source(1, "t.csv", "csv")


def test_each_kind_of_bad_record() -> None:
    v = Validator(NormalizationPolicy(), min_bases=3)
    assert v.check(A, 1, "ok", "acgtn") is None
    assert str(v.check(A, 2, None, "ACGT")) == "a.fa record 2: no id (its header line is empty)"
    assert str(v.check(T, 3, None, "ACGT")) == "t.csv row 3: no id (its id cell is empty)"
    assert str(v.check(T, 4, "ok", "ACGT")) == "t.csv row 4 ('ok'): duplicate id, first seen at a.fa record 1"
    assert str(v.check(A, 5, "e", "")) == "a.fa record 5 ('e'): empty sequence"
    assert str(v.check(A, 6, "x", "ACGT-A")) == (
        "a.fa record 6 ('x'): invalid character '-' at position 5 (not a nucleotide letter)")
    assert str(v.check(A, 7, "s", "AC")) == "a.fa record 7 ('s'): 2 bases give no tokens (a token takes 3)"
    both = v.check(A, 8, "x", "")
    assert both is not None and both.kind == "duplicate"
    assert both.what == "duplicate id, first seen at record 6; empty sequence"


def test_the_rule_is_the_tokenizer_normalisation() -> None:
    """What `normalize` refuses under a policy is bad; what it accepts is good."""
    for policy in (NormalizationPolicy(), NormalizationPolicy(iupac="error"),
                   NormalizationPolicy(uppercase=False, u_to_t=False)):
        v = Validator(policy)
        for i, seq in enumerate(["ACGT", "ACRT", "acgu", "AC GT", "ACGTé", "NNNN"]):
            problem = v.check(A, i + 1, f"r{i}", seq)
            try:
                normalize(seq, policy)
            except InvalidSequenceError as exc:
                assert problem is not None and problem.kind == "invalid"
                assert f"at position {exc.position + 1}" in problem.what
            else:
                assert problem is None, (policy, seq)
    p = Validator(NormalizationPolicy(iupac="error")).check(A, 1, "r", "ACRT")
    assert p is not None and "an IUPAC ambiguity code" in p.what


def test_bad_records_error_lists_them_all_capped() -> None:
    v = Validator(NormalizationPolicy())
    problems = [v.check(A, i, f"r{i}", "") for i in range(1, 61)]
    err = BadRecordsError([p for p in problems if p], hint="; nothing was written")
    lines = str(err).splitlines()
    assert lines[0] == "60 bad records in the input; nothing was written:"
    assert lines[1] == "  a.fa record 1 ('r1'): empty sequence" and lines[-1] == "  and 10 more"
    assert len(err.problems) == 60
    one = BadRecordsError(err.problems[:1])
    assert str(one) == "1 bad record in the input: a.fa record 1 ('r1'): empty sequence"


def write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path / name


def test_screening_checks_files_first_and_streams_the_good(tmp_path: Path) -> None:
    a = write(tmp_path, "a.fa", ">r1\nACGT\n>r2\nAXGT\n>r3\nGGGG\n")
    t = write(tmp_path, "t.csv", "id,sequence\nr1,ACGT\nr4,TTTT\n")
    sources = expand_inputs([a, t])
    strict = Screening(sources, Validator(NormalizationPolicy()))
    with pytest.raises(BadRecordsError) as err:
        strict.check_files()
    assert [str(p).split(": ", 1)[1] for p in err.value.problems] == [
        "invalid character 'X' at position 2 (not a nucleotide letter)",
        f"duplicate id, first seen at {a} record 1"]
    counted: list[tuple[int, int]] = []
    lenient = Screening(sources, Validator(NormalizationPolicy()), skip_invalid=True)
    lenient.check_files(lambda n, b: counted.append((n, b)))
    assert len(counted) == 5 and sum(b for _, b in counted) == 20
    assert lenient.expected_ids == ["r1", "r3", "r4"]
    got = [(r.source, r.n, r.id, r.sequence) for r in lenient.records(skip_ids={"r3"})]
    assert got == [(lenient.sources[0].name, 1, "r1", "ACGT"), (lenient.sources[1].name, 2, "r4", "TTTT")]


def test_standard_input_is_checked_as_it_streams(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = write(tmp_path, "a.fa", ">r1\nACGT\n")
    data = b">s1\nACGT\n>s2\n\n>s3\nGGGG\n>r1\nAAAA\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    screen = Screening(expand_inputs([a, "-"]), Validator(NormalizationPolicy()))
    screen.check_files()  # the file is good; standard input is not read yet
    out = []
    with pytest.raises(BadRecordsError) as err:
        for rid in (r.id for r in screen.records()):
            out.append(rid)
    assert out == ["r1", "s1"]  # the first bad record ends the model's input ...
    assert [p.n for p in err.value.problems] == [2, 4]  # ... every bad one is still named
    assert "standard input is checked as it streams" in str(err.value)


def test_skipped_list_is_a_tsv_beside_the_output(tmp_path: Path) -> None:
    assert skipped_path(tmp_path / "o.parquet") == tmp_path / "o.parquet.skipped.tsv"
    assert skipped_path(f"{tmp_path}/run/") == tmp_path / "run" / "_skipped.tsv"
    v = Validator(NormalizationPolicy())
    p = v.check(T, 2, "id\twith tab", "")
    assert p is not None
    path = tmp_path / "s.tsv"
    write_skipped(path, [p])
    assert path.read_text() == ("source\tunit\tn\tid\tkind\tproblem\n"
                                "t.csv\trow\t2\tid with tab\tempty\tempty sequence\n")
