"""What every figure and file of the interpretation commands shares: matplotlib off-screen, atomic output."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ._writers import AtomicPath
from .errors import ZooError

__all__ = ["atomic_output", "pyplot", "save_figure"]


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend, or a `ZooError` naming the extra to install."""
    try:
        import matplotlib
    except ImportError:
        raise ZooError("plots need matplotlib: pip install 'dnallm-zoo[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """A temporary sibling of `path` to write; it becomes `path` when the block ends without an error."""
    out = AtomicPath(Path(path))
    try:
        yield out.tmp
    except BaseException:
        out.discard()
        raise
    out.commit()


def save_figure(fig: Any, path: str | Path) -> Path:
    """Write `fig` as a PNG at `path`, atomically, and close it."""
    plt = pyplot()
    try:
        with atomic_output(path) as tmp:
            fig.savefig(tmp, format="png", dpi=100)
    finally:
        plt.close(fig)
    return Path(path)
