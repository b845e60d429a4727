"""In-silico saturation mutagenesis: every other base at every position of a region, scored as SNVs.

Each position's three substitutions share one forward pass (`_scoring` keys passes by their ids:
the masked ref window is the same for the three), so the masked marginal costs one pass per
position (per strand); the wild-type marginal reads every position of a window from one unmasked
pass, windows tiled every half width (`_windows.tiled`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import InputError
from ._records import Variant
from ._reference import Reference

__all__ = ["Region", "count_substitutions", "parse_region", "substitutions"]

_REGION = re.compile(r"^(?P<chrom>.+):(?P<start>[\d,_]+)-(?P<end>[\d,_]+)$")


@dataclass(frozen=True)
class Region:
    """Bases [start, end) of a contig (0-based, half-open)."""

    chrom: str
    start: int
    end: int


def parse_region(text: str, reference: Reference) -> Region:
    """'chrom:start-end' (1-based, inclusive, as samtools writes it), or a contig name for all of it."""
    m = _REGION.match(text)
    if m is None:
        if text in reference.lengths:
            return Region(text, 0, reference.lengths[text])
        raise InputError(f"region {text!r}: write it chrom:start-end (1-based, inclusive)")
    chrom = m["chrom"]
    start, end = (int(m[k].replace(",", "").replace("_", "")) for k in ("start", "end"))
    length = reference.lengths.get(chrom)
    if length is None:
        raise InputError(f"region {text!r}: contig {chrom!r} is not in {reference.name}")
    if not 1 <= start <= end <= length:
        raise InputError(f"region {text!r}: positions must satisfy 1 <= start <= end <= {length:,} "
                         f"(the length of {chrom})")
    return Region(chrom, start - 1, end)


def substitutions(region: Region, reference: Reference, *, source: str | None = None,
                  first: int = 1) -> Iterator[Variant]:
    """The three SNVs of every A/C/G/T position of the region, in position then A, C, G, T order,
    numbered from `first` (`Variant.n`), their windows tiled from the region's start (`Variant.tile`)."""
    seq = reference.fetch(region.chrom, region.start, region.end)
    n = first
    for i, base in enumerate(seq):
        if base not in "ACGT":
            continue
        pos = region.start + i + 1
        for alt in "ACGT":
            if alt != base:
                yield Variant(region.chrom, pos, base, alt, None, source=source or region.chrom,
                              unit="position", line=pos, n=n, tile=region.start)
                n += 1


def count_substitutions(region: Region, reference: Reference) -> int:
    """How many rows `substitutions` gives: three per A/C/G/T position."""
    seq = reference.fetch(region.chrom, region.start, region.end)
    return 3 * sum(seq.count(b) for b in "ACGT")
