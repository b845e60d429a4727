"""A run's inputs: paths, globs and '-' to sources; each source read as `(ordinal, id, sequence)` rows.

Sources: FASTA and FASTQ through dnaio (format and compression detected: .gz, .bz2, .xz, .zst), CSV
and TSV through `pyarrow.csv` (compressed by suffix), Parquet through `pyarrow.parquet`; tables hold
an id and a sequence column (names configurable). '-' is standard input, FASTA or FASTQ (compressed
or not), read once. Rows are raw: the id may be missing and the sequence empty or invalid; saying
so is `_validation`'s work.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import InputError, one_line

__all__ = ["STDIN", "Source", "check_file", "expand_inputs", "parse_reads", "read_rows", "table_kind"]

STDIN = "<stdin>"
#: one raw row: (1-based ordinal in its source, id or None, sequence or None)
Row = tuple[int, str | None, str | None]
Kind = Literal["reads", "csv", "tsv", "parquet"]
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst")
_TABLES: dict[str, Kind] = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
_BATCH_ROWS = 4096


@dataclass(frozen=True)
class Source:
    """One input of a run."""

    index: int  # position among the run's inputs
    name: str  # the path as given (a glob's match), or "<stdin>"
    kind: Kind

    @property
    def path(self) -> Path | None:
        return None if self.name == STDIN else Path(self.name)

    @property
    def unit(self) -> str:
        """What one row is called in messages: a FASTA/FASTQ 'record', a table 'row'."""
        return "record" if self.kind == "reads" else "row"


def table_kind(path: str | Path) -> Kind | None:
    """'csv', 'tsv' or 'parquet' by suffix (a compression suffix after csv/tsv allowed), else None."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes = suffixes[:-1]
        if suffixes and _TABLES.get(suffixes[-1]) == "parquet":
            return None
    return _TABLES.get(suffixes[-1]) if suffixes else None


def check_file(name: str) -> str:
    """`name` if it is a readable file, else an `InputError` saying why not."""
    p = Path(name)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not an input file (a glob such as {p}/*.fa names its files)")
    if not os.access(p, os.R_OK):
        raise InputError(f"{p}: not readable (permission denied)")
    return name


def expand_inputs(specs: Sequence[str | Path]) -> list[Source]:
    """The sources of paths, globs (matches sorted) and '-', in the order given; each file once."""
    names: list[str] = []
    for spec in specs:
        text = str(spec)
        if text == "-":
            names.append(STDIN)
        elif any(ch in text for ch in "*?[") and not Path(text).exists():
            matches = sorted(m for m in glob.glob(text, recursive=True) if not Path(m).is_dir())
            if not matches:
                raise InputError(f"{text}: no file matches this pattern")
            names.extend(matches)
        else:
            names.append(check_file(text))
    seen: set[str] = set()
    for name in names:
        key = name if name == STDIN else os.path.realpath(name)
        if key in seen:
            raise InputError(f"{name}: given twice (each input is read once)"
                             if name != STDIN else "'-' (standard input) given twice")
        seen.add(key)
    return [Source(i, n, "reads" if n == STDIN else table_kind(n) or "reads") for i, n in enumerate(names)]


def read_rows(source: Source, *, id_column: str = "id", sequence_column: str = "sequence",
              fileformat: Literal["fasta", "fastq"] | None = None) -> Iterator[Row]:
    """Stream the rows of one source; a file that cannot be read is an `InputError` naming it."""
    if source.kind == "reads":
        return _reads(source, fileformat)
    if source.kind == "parquet":
        return _parquet(source, id_column, sequence_column)
    return _csv(source, id_column, sequence_column)


def _reads(source: Source, fileformat: Literal["fasta", "fastq"] | None) -> Iterator[Row]:
    import dnaio

    def open_reader() -> Any:
        if source.path is None:
            import xopen

            # compression detected from the bytes
            return dnaio.open(xopen.xopen(sys.stdin.buffer, "rb"), fileformat=fileformat)
        return dnaio.open(source.path, fileformat=fileformat)

    return parse_reads(open_reader, source.name, fileformat)


def parse_reads(open_reader: Callable[[], ContextManager[Any]], name: str,
                fileformat: Literal["fasta", "fastq"] | None = None) -> Iterator[Row]:
    """The rows of one FASTA/FASTQ stream (`open_reader()` gives a dnaio reader), errors named by `name`."""
    import dnaio

    what = f"{fileformat.upper()} file" if fileformat else "FASTA or FASTQ file"
    try:
        with open_reader() as reader:
            for n, rec in enumerate(reader, 1):
                yield n, rec.id or None, rec.sequence
    except dnaio.UnknownFileFormat:
        raise InputError(f"{name}: not a {what} (its first character is neither '>' nor '@')") from None
    except dnaio.FileFormatError as exc:
        raise InputError(f"{name}: not a valid {what}: {one_line(exc)}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not a text {what} ({one_line(exc)})") from None
    except (OSError, EOFError) as exc:  # unreadable, truncated or corrupt compressed input
        raise InputError(f"{name}: cannot read: {one_line(exc)}") from None


def _missing(source: Source, names: Sequence[str], id_column: str, sequence_column: str) -> None:
    absent = [c for c in (id_column, sequence_column) if c not in names]
    if absent:
        raise InputError(
            f"{source.name}: no column {', '.join(repr(c) for c in absent)} (its columns: "
            f"{', '.join(names) or 'none'}); --id-column and --sequence-column name them"
        )


def _text(values: list[object]) -> list[str | None]:
    return [None if v is None else v.decode() if isinstance(v, bytes) else str(v) for v in values]


def _parquet(source: Source, id_column: str, sequence_column: str) -> Iterator[Row]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(str(source.path))
        _missing(source, pf.schema_arrow.names, id_column, sequence_column)
        n = 0
        for batch in pf.iter_batches(batch_size=_BATCH_ROWS, columns=[id_column, sequence_column]):
            ids = _text(batch.column(0).to_pylist())
            seqs = _text(batch.column(1).to_pylist())
            for rid, seq in zip(ids, seqs, strict=True):
                n += 1
                yield n, rid or None, seq
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{source.name}: cannot read as Parquet: {one_line(exc)}") from None


def _csv(source: Source, id_column: str, sequence_column: str) -> Iterator[Row]:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    delimiter = "\t" if source.kind == "tsv" else ","
    kind = source.kind.upper()
    try:
        stream = pa.input_stream(str(source.path), compression="detect")
        with stream, pcsv.open_csv(
            stream,
            parse_options=pcsv.ParseOptions(delimiter=delimiter),
            convert_options=pcsv.ConvertOptions(
                column_types={id_column: pa.string(), sequence_column: pa.string()},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        ) as reader:
            names = reader.schema.names
            _missing(source, names, id_column, sequence_column)
            i, j = names.index(id_column), names.index(sequence_column)
            n = 0
            for batch in reader:
                for rid, seq in zip(batch.column(i).to_pylist(), batch.column(j).to_pylist(), strict=True):
                    n += 1
                    yield n, rid or None, seq
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{source.name}: cannot read as {kind}: {one_line(exc)}") from None
