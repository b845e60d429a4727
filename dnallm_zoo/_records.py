"""One input record, as every command reads it, and the row a command makes of it.

A `SeqRecord` is what the reader gives (`_inputs.read_records`) and the pipeline takes: its id, its
sequence, the input it came from, its number there, and any other fields (a table's other columns,
a label). A result row holds its record, so a writer takes the id and the source from the row
itself, never from a position in a queue (`OutRow`: what `_writers` and `_shards` write).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

__all__ = ["OutRow", "SeqRecord"]


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


class OutRow(Protocol):
    """A result row a writer takes: its record (`item`: id, source), one int per layout column, its vector.

    (`item`, not `record`: a `Segment`'s `record` is its id, as it was before rows held records.)
    """

    @property
    def item(self) -> SeqRecord: ...
    @property
    def values(self) -> tuple[int, ...]: ...
    @property
    def vector(self) -> np.ndarray: ...
