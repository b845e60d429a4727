"""Progress on stderr while a model runs: a tqdm bar on a terminal, a one-line summary at the end."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import TracebackType

__all__ = ["Progress", "human"]


def human(x: float) -> str:
    """A rate with a k/M/G prefix."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.2f} {unit}"
    return f"{x:.0f} "


class Progress:
    """Counts sequences and bases; a tqdm bar on stderr only when stderr is a terminal."""

    def __init__(self, desc: str) -> None:
        from tqdm import tqdm

        self.seqs = 0
        self.bases = 0
        self.start = time.perf_counter()
        self._shown = self.start
        self.bar = tqdm(desc=desc, unit=" seq", file=sys.stderr, dynamic_ncols=True, leave=False,
                        disable=not sys.stderr.isatty())

    def __call__(self, n_seqs: int, n_bases: int) -> None:
        self.seqs += n_seqs
        self.bases += n_bases
        self.bar.update(n_seqs)
        now = time.perf_counter()
        if now - self._shown >= 0.5:
            self._shown = now
            self.bar.set_postfix_str(f"{human(self.bases / (now - self.start))}bases/s", refresh=False)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.bar.close()

    def summary(self, verb: str, output: Path, extra: str = "", *, unit: str = "sequence") -> str:
        """'embedded 3 sequences, 300 bases in 0.1 s (3 kbases/s) -> out'; other units by count alone."""
        secs = self.seconds
        if unit != "sequence":
            per = self.seqs / secs if secs > 0 else 0.0
            return (f"{verb} {self.seqs:,} {unit}{'s' * (self.seqs != 1)}{extra} in {secs:.1f} s "
                    f"({per:,.1f}/s) -> {output}")
        rate = self.bases / secs if secs > 0 else 0.0
        return (f"{verb} {self.seqs:,} sequence{'s' * (self.seqs != 1)}, {self.bases:,} bases{extra} "
                f"in {secs:.1f} s ({human(rate)}bases/s) -> {output}")
