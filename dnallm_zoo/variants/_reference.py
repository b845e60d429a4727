"""A reference genome read by random access (pysam's faidx), and the checks of variants against it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._validation import Problem
from ..errors import InputError, one_line
from ._records import Variant

__all__ = ["Reference", "check_against", "open_reference"]


class Reference:
    """Contigs by name: lengths and upper-case slices.

    A plain or bgzipped FASTA is read by random access through pysam's faidx index (written beside
    the file when it is missing); a plain-gzip FASTA, which has no random access, or one whose
    directory cannot take the index, is read into memory once. A mapping of name -> sequence is used
    as it is.
    """

    def __init__(self, source: str | Path | Mapping[str, str]) -> None:
        self._fasta: Any = None
        self._seqs: dict[str, str] = {}
        if isinstance(source, Mapping):
            self.name = "<sequences>"
            self._seqs = {str(k): str(v).upper() for k, v in source.items()}
            self.lengths = {k: len(v) for k, v in self._seqs.items()}
            return
        path = Path(source)
        self.name = str(source)
        if not path.is_file():
            raise InputError(f"{source}: no such reference file")
        try:
            import pysam

            self._fasta = pysam.FastaFile(str(path))
            self.lengths = dict(zip(self._fasta.references, self._fasta.lengths, strict=True))
        except (OSError, ValueError):  # plain gzip, or no index can be written: in memory
            self._fasta = None
            self._seqs = _read_whole(path)
            self.lengths = {k: len(v) for k, v in self._seqs.items()}

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Bases [start, end) of `chrom`, upper case."""
        if self._fasta is not None:
            return str(self._fasta.fetch(chrom, start, end)).upper()
        return self._seqs[chrom][start:end]

    def close(self) -> None:
        if self._fasta is not None:
            self._fasta.close()

    def __enter__(self) -> Reference:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_whole(path: Path) -> dict[str, str]:
    from .._fasta import read_fasta

    try:
        return {rid: seq.upper() for rid, seq in read_fasta(path)}
    except OSError as exc:
        raise InputError(f"{path}: cannot read the reference: {one_line(exc)}") from None


def open_reference(reference: Reference | str | Path | Mapping[str, str]) -> Reference:
    """A `Reference` from a path, a mapping of sequences, or itself."""
    return reference if isinstance(reference, Reference) else Reference(reference)


def check_against(variants: Iterable[Variant], reference: Reference) -> list[Problem]:
    """Unknown contigs, positions past a contig's end and REF alleles the genome does not hold."""
    problems: list[Problem] = []
    for v in variants:
        length = reference.lengths.get(v.chrom)
        if length is None:
            known = sorted(reference.lengths)
            shown = ", ".join(known[:5]) + (", ..." if len(known) > 5 else "")
            problems.append(v.problem("unknown-contig", f"contig {v.chrom!r} is not in {reference.name} "
                                      f"(it has {shown})"))
            continue
        end = v.pos - 1 + len(v.ref)
        if end > length:
            problems.append(v.problem("past-end", f"REF {v.ref!r} ends at {end}, past the end of "
                                      f"{v.chrom} ({length:,} bases)"))
            continue
        found = reference.fetch(v.chrom, v.pos - 1, end)
        if found != v.ref:
            problems.append(v.problem("ref-mismatch", f"REF expected {v.ref!r}, the reference has "
                                      f"{found!r}"))
    return problems
