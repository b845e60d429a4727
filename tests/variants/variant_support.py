"""Helpers of the variant tests."""

from __future__ import annotations


def snvs(genome: dict[str, str], positions: list[tuple[str, int]]) -> list[tuple[str, int, str, str, str]]:
    """(chrom, pos, ref, alt, id) for each position: the next base after the reference's, cyclically."""
    out = []
    for i, (chrom, pos) in enumerate(positions):
        ref = genome[chrom][pos - 1]
        out.append((chrom, pos, ref, "ACGT"[("ACGT".index(ref) + 1 + i % 3) % 4], f"v{i}"))
    return out
