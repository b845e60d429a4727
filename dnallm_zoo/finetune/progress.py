"""A tqdm bar on stderr counting sequences, in the `progress(n_seqs, n_bases)` form the pipeline calls."""

from __future__ import annotations

import sys
from collections.abc import Callable

__all__ = ["sequence_bar"]


def sequence_bar(total: int, desc: str, enabled: bool = True) -> Callable[[int, int], None] | None:
    """A callback advancing a bar of `total` sequences (shown only on a terminal); closes at the end."""
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit=" seq", file=sys.stderr, leave=False, dynamic_ncols=True)

    def step(n_seqs: int, n_bases: int) -> None:
        bar.update(n_seqs)
        if bar.n >= total:
            bar.close()

    return step
