"""One FASTA file as `(record id, sequence)` pairs, the first bad record an error (scripts, benchmarks).

The CLI reads many inputs of several formats and names every bad record (`_inputs`, `_validation`);
this is the strict one-file reader on the same code.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ._inputs import STDIN, Source, check_file, read_rows
from ._validation import Validator
from .errors import InputError

__all__ = ["read_fasta"]


def read_fasta(path: str | Path) -> Iterator[tuple[str, str]]:
    """Stream `(record id, sequence)` from a FASTA file, compressed or not ('-': standard input).

    The id is the header's first word. The file is checked now; records are read lazily. A record
    without an id, with no bases or repeating an id is an `InputError` naming it; invalid letters
    are left to the tokenizer's normalisation, which names the record and position.
    """
    name = STDIN if str(path) == "-" else check_file(str(path))
    return _strict(Source(0, name, "reads"))


def _strict(source: Source) -> Iterator[tuple[str, str]]:
    validator = Validator(None)
    for raw in read_rows(source, fileformat="fasta"):
        problem = validator.check_raw(source, raw)
        if problem is not None:
            raise InputError(str(problem))
        assert raw.id is not None and raw.sequence is not None
        yield raw.id, raw.sequence
