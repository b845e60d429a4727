"""Sequences as one forward pass sees them: token ids, the bases each token covers, and a label per token.

Attention maps and attributions look at one whole sequence per pass, so a sequence longer than the model
takes is refused (`SequenceTooLongError`), never cut; every bad record is named in one error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ._chunking import Record, as_record
from ._pipeline import PipelineModel
from .errors import InputError, SequenceTooLongError
from .tokenize.offsets import body_spans

if TYPE_CHECKING:
    import torch


__all__ = ["Inspected", "TokenizedRecord", "tokenize_records"]


class Inspected(PipelineModel, Protocol):
    """What looking inside a model needs of a `DNAEncoder`: the pipeline's, and its token embedding."""

    def input_embeddings(self) -> torch.nn.Module: ...


@dataclass(frozen=True)
class TokenizedRecord:
    """One sequence's tokens: ids, [start, end) bases of each ((0, 0) for special tokens), labels."""

    index: int
    record: str | None
    bases: str  # the normalised sequence
    ids: np.ndarray  # int64 [T]
    spans: np.ndarray  # int64 [T, 2]
    tokens: tuple[str, ...]  # the bases a token spells, or the special token itself

    @property
    def name(self) -> str:
        """The record's id, else its position in the input."""
        return self.record if self.record is not None else f"sequence {self.index}"


def tokenize_records(enc: Inspected, seqs: Iterable[Record]) -> list[TokenizedRecord]:
    """Each sequence whole, in input order; an `InputError` naming every sequence that cannot be run."""
    tok = enc.tokenizer
    any_length = enc.spec.capabilities.any_length
    out: list[TokenizedRecord] = []
    problems: list[str] = []
    too_long: list[bool] = []
    for index, rec in enumerate(seqs):
        item = as_record(rec)
        record, seq = item.id, item.sequence
        where = f"record {record!r}" if record is not None else f"sequence {index}"
        try:
            norm = tok.normalize(seq, record=record)
        except InputError as exc:
            problems.append(str(exc) if record is not None else f"{where}: {exc}")
            too_long.append(False)
            continue
        body = tok.encode_normalized(norm, add_special_tokens=False)
        if not len(body):
            problems.append(f"{where}: {len(norm)} bases give no tokens")
            too_long.append(False)
            continue
        ids = np.concatenate((tok.prefix_ids, body, tok.suffix_ids)).astype(np.int64)
        if len(ids) > enc.max_length and not any_length:
            problems.append(f"{where}: {len(norm)} bases give {len(ids)} tokens; {enc.spec.id} takes at most "
                            f"{enc.max_length} in one pass (cut it into windows first)")
            too_long.append(True)
            continue
        spans = np.zeros((len(ids), 2), dtype=np.int64)
        n_pre = len(tok.prefix_ids)
        spans[n_pre : n_pre + len(body)] = body_spans(tok, norm, body)
        text = norm.decode("ascii")
        names = tok.convert_ids_to_tokens(ids)
        tokens = tuple(text[a:b] if b > a else names[i] for i, (a, b) in enumerate(spans.tolist()))
        out.append(TokenizedRecord(index, record, text, ids, spans, tokens))
    if problems:
        error = SequenceTooLongError if all(too_long) else InputError
        head = f"{len(problems)} sequences cannot be run whole:\n  " if len(problems) > 1 else ""
        raise error(head + "\n  ".join(problems))
    return out
