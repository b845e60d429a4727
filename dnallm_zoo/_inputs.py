"""A run's inputs, for every command: paths, globs and '-' to sources, each read as `RawRecord`s.

Sources: FASTA and FASTQ through dnaio (format and compression detected: .gz, .bz2, .xz, .zst where
installed), CSV and TSV through `pyarrow.csv` (compressed as FASTA is, by suffix, through xopen) and
Parquet through `pyarrow.parquet` (its own codecs); tables hold an id and a sequence column (names
configurable) and any other columns, carried as the record's extra fields (a label, say). '-' is
standard input, FASTA or FASTQ (compressed or not), read once. Records are raw: the id may be missing
and the sequence empty or invalid, a table row ragged; saying so is `_validation`'s work (and a
command's own, for its extra fields).
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import InputError, one_line

__all__ = ["STDIN", "RawRecord", "SeqRecord", "Source", "check_file", "expand_inputs", "input_kind",
           "parse_reads", "read_rows", "table_kind"]

STDIN = "<stdin>"
Kind = Literal["reads", "csv", "tsv", "parquet"]
#: the compressions an input may carry (dnaio reads them all; pyarrow those its build has)
COMPRESSED = (".gz", ".bz2", ".xz", ".zst")
_TABLES: dict[str, Kind] = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet",
                            ".pq": "parquet"}
#: the names of FASTA/FASTQ files (before a compression suffix)
SEQUENCE_SUFFIXES = (".fa", ".fasta", ".fna", ".ffn", ".faa", ".frn", ".fas", ".fq", ".fastq")
_BATCH_ROWS = 4096
#: the extra field of a FASTA/FASTQ record that holds its whole header line (past the id)
HEADER = "header"


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as read: numbered from 1 in its source; id and sequence None when absent."""

    n: int
    id: str | None
    sequence: str | None
    extra: dict[str, Any] = field(default_factory=dict)  # the other columns asked for
    problem: str | None = None  # why the row could not be read (a ragged table row), else None
    line: int | None = None  # its line in a CSV/TSV file (the header is line 1)


@dataclass(frozen=True, slots=True)
class SeqRecord:
    """One record of an input: id (None when the input gave none), sequence, where it came from."""

    id: str | None
    sequence: str | bytes
    source: str | None = None  # the input's name ("<stdin>" for standard input)
    n: int = 0  # its 1-based number in that input (0: not read from an input)
    extra: Mapping[str, Any] = field(default_factory=dict)  # any other field: a label, a table's column

    @property
    def length(self) -> int:
        """Bases (characters) of the sequence as read."""
        return len(self.sequence)


#: one raw row: (1-based ordinal in its source, id or None, sequence or None)
Row = tuple[int, str | None, str | None]


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


def _bare_suffixes(path: str | Path) -> list[str]:
    """The lower-case suffixes of a name, a compression suffix dropped."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in COMPRESSED:
        suffixes = suffixes[:-1]
    return suffixes


def table_kind(path: str | Path) -> Kind | None:
    """'csv', 'tsv' or 'parquet' by suffix (a compression suffix after csv/tsv allowed), else None."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    compressed = bool(suffixes) and suffixes[-1] in COMPRESSED
    suffixes = _bare_suffixes(path)
    kind = _TABLES.get(suffixes[-1]) if suffixes else None
    return None if compressed and kind == "parquet" else kind


def input_kind(path: str | Path) -> Kind | None:
    """A table's kind, 'reads' for a FASTA/FASTQ name, None when the name says neither."""
    kind = table_kind(path)
    if kind is not None:
        return kind
    suffixes = _bare_suffixes(path)
    return "reads" if suffixes and suffixes[-1] in SEQUENCE_SUFFIXES else None


def is_sequence_file(name: str) -> bool:
    """Whether a file name is a FASTA/FASTQ file's (compressed or not)."""
    return input_kind(name) == "reads"


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


@dataclass(frozen=True)
class Columns:
    """Which columns of a table input a command reads: the id (None: tables without ids), the sequence,
    and the extra fields (None: every other column; for FASTA/FASTQ, `HEADER` asks for the header)."""

    id: str | None = "id"
    sequence: str = "sequence"
    extra: tuple[str, ...] | None = ()
    hint: str = "--id-column and --sequence-column name them"  # what a missing column's message adds

    def wanted(self, names: Sequence[str]) -> list[str]:
        base = [c for c in (self.id, self.sequence) if c is not None]
        more = [c for c in names if c not in base] if self.extra is None else list(self.extra)
        return [*base, *(c for c in more if c not in base)]


def read_rows(source: Source, *, id_column: str | None = "id", sequence_column: str = "sequence",
              extra_columns: tuple[str, ...] | None = (), fileformat: Literal["fasta", "fastq"] | None = None,
              column_hint: str | None = None) -> Iterator[RawRecord]:
    """Stream the records of one source; a file that cannot be read is an `InputError` naming it.

    `extra_columns`: the other table columns each record carries (None: all; `HEADER`: a FASTA/FASTQ
    record's header line); `column_hint`: what the message about a missing column suggests.
    """
    columns = Columns(id_column, sequence_column, extra_columns,
                      **({} if column_hint is None else {"hint": column_hint}))
    if source.kind == "reads":
        return _reads(source, fileformat, header=columns.extra is None or HEADER in columns.extra)
    if source.kind == "parquet":
        return _parquet(source, columns)
    return _csv(source, columns)


def _reads(source: Source, fileformat: Literal["fasta", "fastq"] | None, *,
           header: bool) -> Iterator[RawRecord]:
    import dnaio

    def open_reader() -> Any:
        if source.path is None:
            import xopen

            # compression detected from the bytes
            return dnaio.open(xopen.xopen(sys.stdin.buffer, "rb"), fileformat=fileformat)
        return dnaio.open(source.path, fileformat=fileformat)

    return parse_reads(open_reader, source.name, fileformat, header=header)


def parse_reads(open_reader: Callable[[], ContextManager[Any]], name: str,
                fileformat: Literal["fasta", "fastq"] | None = None, *,
                header: bool = False) -> Iterator[RawRecord]:
    """The records of one FASTA/FASTQ stream (`open_reader()` gives a dnaio reader), errors named by
    `name`; with `header`, each record's whole header line in its `HEADER` field."""
    import dnaio

    what = f"{fileformat.upper()} file" if fileformat else "FASTA or FASTQ file"
    try:
        with open_reader() as reader:
            for n, rec in enumerate(reader, 1):
                yield RawRecord(n, rec.id or None, rec.sequence, {HEADER: rec.name} if header else {})
    except dnaio.UnknownFileFormat:
        raise InputError(f"{name}: not a {what} (its first character is neither '>' nor '@')") from None
    except dnaio.FileFormatError as exc:
        raise InputError(f"{name}: not a valid {what}: {one_line(exc)}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not a text {what} ({one_line(exc)})") from None
    except (OSError, EOFError) as exc:  # unreadable, truncated or corrupt compressed input
        raise InputError(f"{name}: cannot read: {one_line(exc)}") from None


def _missing(source: Source, names: Sequence[str], columns: Columns) -> None:
    needed = [c for c in (columns.id, columns.sequence) if c is not None] + list(columns.extra or ())
    absent = [c for c in needed if c not in names]
    if absent:
        raise InputError(
            f"{source.name}: no column {', '.join(repr(c) for c in absent)} (its columns: "
            f"{', '.join(repr(c) for c in names) or 'none'}); {columns.hint}"
        )


def _text(values: list[object]) -> list[str | None]:
    return [None if v is None else v.decode() if isinstance(v, bytes) else str(v) for v in values]


def _record(n: int, columns: Columns, wanted: list[str], values: Sequence[Any], line: int | None = None
            ) -> RawRecord:
    row = dict(zip(wanted, values, strict=True))
    rid = None if columns.id is None else _text([row.pop(columns.id)])[0]
    seq = _text([row.pop(columns.sequence)])[0]
    return RawRecord(n, rid or None, seq, row, line=line)


def _parquet(source: Source, columns: Columns) -> Iterator[RawRecord]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(str(source.path))
        names = pf.schema_arrow.names
        _missing(source, names, columns)
        wanted = columns.wanted(names)
        n = 0
        for batch in pf.iter_batches(batch_size=_BATCH_ROWS, columns=wanted):
            for values in zip(*(batch.column(i).to_pylist() for i in range(len(wanted))), strict=True):
                n += 1
                yield _record(n, columns, wanted, values)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{source.name}: cannot read as Parquet: {one_line(exc)}") from None


def _csv_stream(source: Source) -> Any:
    """The file's bytes, decompressed by suffix (xopen, as dnaio: .gz .bz2 .xz .zst; pyarrow has no xz)."""
    import pyarrow as pa

    path = str(source.path)
    if path.lower().endswith(COMPRESSED):
        import xopen

        return pa.PythonFile(xopen.xopen(path, "rb"), mode="r")
    return pa.input_stream(path)


def _csv_header(source: Source, delimiter: str) -> list[str]:
    """The column names (the first line), read with every column as text."""
    import pyarrow.csv as pcsv

    with _csv_stream(source) as stream, pcsv.open_csv(
        stream, read_options=pcsv.ReadOptions(use_threads=False, block_size=1 << 16),
        parse_options=pcsv.ParseOptions(delimiter=delimiter, invalid_row_handler=lambda row: "skip"),
    ) as reader:
        names: list[str] = reader.schema.names
    if not any(c.strip() for c in names):
        raise InputError(f"{source.name}: the first line (the header) is empty")
    return names


def _csv(source: Source, columns: Columns) -> Iterator[RawRecord]:
    """Rows of a CSV/TSV file, every column as text; a ragged row is a record with its `problem`, a
    blank line no record. Records are numbered by row and know their line."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    delimiter = "\t" if source.kind == "tsv" else ","
    kind = source.kind.upper()
    taken: dict[int, str | None] = {}  # line -> why it is no row (None: blank)

    def on_invalid(row: Any) -> str:
        if row.number is None:
            return "error"  # cannot say where: let pyarrow name it
        taken[row.number] = (None if not row.text.strip() else
                             f"ragged row, not the header's {row.expected_columns} fields "
                             f"({row.actual_columns} fields)")
        return "skip"

    try:
        names = _csv_header(source, delimiter)
        _missing(source, names, columns)
        wanted = columns.wanted(names)
        with _csv_stream(source) as stream, pcsv.open_csv(
            stream,
            read_options=pcsv.ReadOptions(use_threads=False),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid,
                                            ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types={c: pa.string() for c in names}, include_columns=wanted,
                strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        ) as reader:
            n, line = 0, 1
            for batch in reader:
                for values in zip(*(batch.column(i).to_pylist() for i in range(len(wanted))), strict=True):
                    line += 1
                    while line in taken:  # the lines the handler took, before this row's
                        if (problem := taken.pop(line)) is not None:
                            n += 1
                            yield RawRecord(n, None, None, problem=problem, line=line)
                        line += 1
                    n += 1
                    yield _record(n, columns, wanted, values, line)
            for line in sorted(taken):  # after the last row
                if (problem := taken[line]) is not None:
                    n += 1
                    yield RawRecord(n, None, None, problem=problem, line=line)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{source.name}: cannot read as {kind}: {one_line(exc)}") from None
