"""FASTA in, streamed through dnaio: `(record id, sequence)` pairs, bad records named."""

from __future__ import annotations

import gzip
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import EmptySequenceError, InputError, ZooError, one_line

__all__ = ["read_fasta"]


def read_fasta(path: str | Path) -> Iterator[tuple[str, str]]:
    """Stream `(record id, sequence)` from a FASTA or FASTA.gz file ('-': standard input).

    The id is the header's first word. The file is checked now; records are read lazily. Empty
    records, records without an id and duplicate ids are errors naming the record; invalid letters
    are left to the tokenizer's normalisation, which names the record and position.
    """
    if str(path) == "-":
        stream: IO[bytes] = sys.stdin.buffer
        if not hasattr(stream, "peek"):
            stream = io.BufferedReader(stream)  # type: ignore[arg-type]
        if stream.peek(2)[:2] == b"\x1f\x8b":  # type: ignore[attr-defined]
            stream = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
        return _records(stream, "<stdin>")
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a FASTA file")
    if not os.access(p, os.R_OK):
        raise InputError(f"{p}: not readable (permission denied)")
    return _records(p, str(p))


def _records(source: Path | IO[bytes], p: str) -> Iterator[tuple[str, str]]:
    import dnaio

    first_seen: dict[str, int] = {}
    n = 0
    try:
        with dnaio.open(source, fileformat="fasta") as reader:
            for rec in reader:
                n += 1
                rid = rec.id
                if not rid:
                    raise InputError(f"{p}: record {n} has no id (its header line is empty)")
                if rid in first_seen:
                    raise InputError(
                        f"{p}: duplicate record id {rid!r} (records {first_seen[rid]} and {n}); "
                        "record ids must be unique"
                    )
                first_seen[rid] = n
                if not rec.sequence:
                    raise EmptySequenceError(rid)
                yield rid, rec.sequence
    except ZooError:
        raise
    except dnaio.FileFormatError as exc:
        raise InputError(f"{p}: not a valid FASTA file: {one_line(exc)}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not a text FASTA file ({one_line(exc)})") from None
    except (OSError, EOFError) as exc:  # unreadable, truncated or corrupt compressed input
        raise InputError(f"{p}: cannot read: {one_line(exc)}") from None
