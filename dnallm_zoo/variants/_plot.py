"""The mutagenesis heatmap: bases x positions, llr in colour, reference bases marked (matplotlib)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["heatmap", "ism_matrix"]

BASES = "ACGT"


def ism_matrix(rows: Sequence[Mapping[str, Any]]) -> tuple[list[tuple[str, int]], np.ndarray, list[str]]:
    """Positions (chrom, pos) in row order, a [4, positions] llr matrix (NaN at the reference base and
    where llr is null) and the reference base of each position."""
    positions: dict[tuple[str, int], int] = {}
    refs: list[str] = []
    for r in rows:
        key = (r["chrom"], r["pos"])
        if key not in positions:
            positions[key] = len(positions)
            refs.append(r["ref"])
    m = np.full((4, len(positions)), np.nan)
    for r in rows:
        if r["llr"] is not None:
            m[BASES.index(r["alt"]), positions[(r["chrom"], r["pos"])]] = r["llr"]
    return list(positions), m, refs


def heatmap(rows: Sequence[Mapping[str, Any]], path: str | Path, *, title: str = "") -> None:
    """Write the heatmap of mutagenesis rows to `path` (PNG, PDF or SVG by its suffix)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    positions, m, refs = ism_matrix(rows)
    n = len(positions)
    fig, ax = plt.subplots(figsize=(min(max(4.0, n * 0.12), 40.0), 2.6))
    bound = float(np.nanmax(np.abs(m))) if np.isfinite(m).any() else 1.0
    im = ax.imshow(m, aspect="auto", cmap="RdBu", vmin=-bound, vmax=bound, interpolation="nearest")
    xs = np.arange(n)
    ax.scatter(xs, [BASES.index(b) for b in refs], s=6 if n > 100 else 14, c="black", marker="s",
               label="reference base")
    ax.set_yticks(range(4), list(BASES))
    step = max(1, n // 10)
    ax.set_xticks(xs[::step], [f"{positions[i][1]:,}" for i in range(0, n, step)])
    chroms = sorted({c for c, _ in positions})
    ax.set_xlabel(f"position on {', '.join(chroms)} (1-based)")
    fig.colorbar(im, ax=ax, label="llr (alt vs ref)", pad=0.01)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(str(path), dpi=150)
    plt.close(fig)
