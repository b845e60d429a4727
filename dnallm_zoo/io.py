"""Reading sequences as every command reads them: FASTA/FASTQ and tables, in any compression.

    from dnallm_zoo.io import read_fasta, read_records

    for rid, seq in read_fasta("genome.fa.gz"): ...            # one FASTA file, the first bad record an error
    for rec in read_records(["reads/*.fq.gz", "t.csv.bz2"]):   # SeqRecord: id, sequence, source, n, extra
        ...

Imports neither torch nor transformers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from ._fasta import read_fasta
from ._inputs import SeqRecord, expand_inputs
from ._validation import Screening, Validator

__all__ = ["SeqRecord", "read_fasta", "read_records"]


def read_records(inputs: Sequence[str | Path] | str | Path, *, id_column: str = "id",
                 sequence_column: str = "sequence",
                 extra_columns: tuple[str, ...] = ()) -> Iterator[SeqRecord]:
    """The records of paths, globs and '-' (FASTA/FASTQ, CSV/TSV/Parquet with an id and a sequence column;
    compressed or not), with `extra_columns` as each record's extra fields.

    The files are screened first, as `dnallm-zoo embed` screens them: a record without an id, repeating an
    id or without bases is named, all of them in one `InputError`, before any record is returned
    (standard input: as it streams). Letters are left to the model's normalisation.
    """
    specs = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    screening = Screening(expand_inputs(specs), Validator(None), id_column=id_column,
                          sequence_column=sequence_column, extra_columns=extra_columns)
    screening.check_files()
    return screening.records()
