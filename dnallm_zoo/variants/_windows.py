"""Where a variant's window lies in its contig, and the reverse strand of a window."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["WindowFn", "centred", "reverse_complement", "tiled"]

#: (0-based variant position, contig length, width) -> window [start, end)
WindowFn = Callable[[int, int, int], tuple[int, int]]
_COMPLEMENT = bytes.maketrans(b"ACGTN", b"TGCAN")


def centred(p0: int, length: int, width: int) -> tuple[int, int]:
    """Start at p0 - width // 2, shifted (not shortened) into the contig; a shorter contig whole."""
    if length <= width:
        return 0, length
    start = min(max(p0 - width // 2, 0), length - width)
    return start, start + width


def tiled(origin: int) -> WindowFn:
    """Windows on a grid of half a width from `origin`: a position is read from the window whose
    middle half holds it (shifted into the contig), so one window serves width // 2 positions."""

    def window(p0: int, length: int, width: int) -> tuple[int, int]:
        if length <= width:
            return 0, length
        step = max(width // 2, 1)
        start = origin - width // 4 + ((p0 - origin) // step) * step
        start = min(max(start, 0), length - width)
        return start, start + width

    return window


def reverse_complement(seq: bytes) -> bytes:
    """The other strand, 5' to 3' (A, C, G, T, N)."""
    return seq.translate(_COMPLEMENT)[::-1]
