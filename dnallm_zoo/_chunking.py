"""Sequences to units of work: a whole sequence, or windows in bases when it is longer than the model takes.

Chunks share `overlap` bases (k - 1 for overlapping k-mers, k - stride for LCA k-mers) so that their
k-mers partition the sequence's; a chunk that still tokenizes too long (BPE) is split again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._inputs import SeqRecord
from ._names import LongPolicy
from .errors import InputError, SequenceTooLongError

if TYPE_CHECKING:
    import numpy as np

    from .tokenize.base import DNATokenizer

__all__ = ["LongPolicy", "Record", "Unit", "as_record", "chunk_spans", "iter_units"]

#: what the pipeline takes: a bare sequence, an `(id, sequence)` pair, or a `SeqRecord`
Record = str | bytes | tuple[str, str] | SeqRecord


def as_record(rec: Record) -> SeqRecord:
    """A `SeqRecord` of any form the pipeline takes (a bare sequence has no id)."""
    if isinstance(rec, SeqRecord):
        return rec
    if isinstance(rec, tuple):
        return SeqRecord(rec[0], rec[1])
    return SeqRecord(None, rec)


@dataclass
class Unit:
    """One forward-pass input: the token ids of bases [start, end) of sequence `index` (`item`)."""

    index: int
    item: SeqRecord
    start: int
    end: int
    ids: np.ndarray

    @property
    def record(self) -> str | None:
        """The id of the record, when the input named one."""
        return self.item.id


def chunk_spans(n_bases: int, window: int, overlap: int) -> list[tuple[int, int]]:
    """Half-open base spans of at most `window` bases, neighbours sharing `overlap` bases."""
    if overlap < 0:  # a negative overlap would leave gaps between the spans
        raise ValueError(f"chunk overlap must be 0 or more, got {overlap}")
    if window <= overlap:
        raise ValueError(f"chunk window ({window}) must exceed the overlap ({overlap})")
    if n_bases <= window:
        return [(0, n_bases)]
    step = window - overlap
    spans = []
    start = 0
    while True:
        end = min(start + window, n_bases)
        spans.append((start, end))
        if end >= n_bases:
            return spans
        start += step


def iter_units(
    tok: DNATokenizer,
    seqs: Iterable[Record],
    *,
    model_id: str,
    max_length: int,
    max_bases: int,
    overlap: int,
    long: LongPolicy,
    any_length: bool = False,
    segment: int | None = None,
) -> Iterator[Unit]:
    """Normalise and tokenize each sequence; whole when it fits, else per `long` (segments: always cut)."""
    if long == "whole" and not any_length:
        raise InputError(
            f"{model_id} has learned positions for at most {max_length} tokens and cannot run a long "
            "sequence whole; use long='chunk'"
        )
    for index, rec in enumerate(seqs):
        item = as_record(rec)
        record = item.id
        norm = tok.normalize(item.sequence, record=record)
        where = f"record {record!r}" if record is not None else f"sequence {index}"
        if segment is None:
            if long == "whole":
                ids = tok.encode_normalized(norm)
                if len(ids) <= tok.num_special_tokens:
                    raise InputError(f"{where}: {len(norm)} bases give no tokens")
                yield Unit(index, item, 0, len(norm), ids)
                continue
            n_tok = tok.count_tokens(len(norm))
            at_least = tok.min_tokens(len(norm))  # too long for sure: no whole tokenization
            whole = tok.encode_normalized(norm) if at_least <= max_length else None
            if whole is not None and len(whole) <= max_length:
                if len(whole) <= tok.num_special_tokens:
                    raise InputError(f"{where}: {len(norm)} bases give no tokens")
                yield Unit(index, item, 0, len(norm), whole)
                continue
            if long != "chunk":
                n = n_tok if n_tok is not None else (
                    len(whole) if whole is not None else f"at least {at_least}"
                )
                or_whole = " (or long='whole' to run it in one pass)" if any_length else ""
                raise SequenceTooLongError(
                    f"{where}: {len(norm)} bases give {n} tokens; {model_id} takes at "
                    f"most {max_length} tokens ({max_bases} bases); "
                    f"use long='chunk' to embed it in overlapping chunks{or_whole}"
                )
        n_units = 0
        for unit in _chunk(tok, index, item, norm, segment or max_bases, overlap, where, max_length):
            n_units += 1
            yield unit
        if not n_units:
            raise InputError(f"{where}: {len(norm)} bases give no tokens")


def _chunk(tok: DNATokenizer, index: int, item: SeqRecord, norm: bytes, window: int, overlap: int,
           where: str, max_length: int) -> Iterator[Unit]:
    for start, end in chunk_spans(len(norm), window, overlap):
        ids = tok.encode_normalized(norm[start:end])
        if len(ids) > max_length:  # BPE can exceed the base budget: split again
            if end - start <= 2 * max(overlap, 1):
                raise SequenceTooLongError(f"{where}: cannot chunk below the token limit")
            half = (end - start) // 2 + overlap
            for u in _chunk(tok, index, item, norm[start:end], half, overlap, where, max_length):
                yield Unit(index, item, start + u.start, start + u.end, u.ids)
            continue
        if len(ids) <= tok.num_special_tokens:
            continue  # a tail too short for one token; its bases are in the previous chunk
        yield Unit(index, item, start, end, ids)
