"""Normalisation policy: raw text to the bytes a tokenizer reads, or a clear error."""

from __future__ import annotations

import numpy as np

from .._spec import NormalizationPolicy
from ..errors import EmptySequenceError, InvalidSequenceError

__all__ = ["IUPAC_AMBIGUOUS", "normalize"]

IUPAC_AMBIGUOUS = b"RYKMSWBDHV"
_NUCLEOTIDES = b"ACGTUN" + IUPAC_AMBIGUOUS

_VALID = np.zeros(256, dtype=bool)
for _c in _NUCLEOTIDES + _NUCLEOTIDES.lower():
    _VALID[_c] = True
_AMBIG = np.zeros(256, dtype=bool)
for _c in IUPAC_AMBIGUOUS + IUPAC_AMBIGUOUS.lower():
    _AMBIG[_c] = True

_U_TO_T = bytes.maketrans(b"Uu", b"Tt")
_AMBIG_TO_N = bytes.maketrans(IUPAC_AMBIGUOUS + IUPAC_AMBIGUOUS.lower(), b"N" * 10 + b"n" * 10)
_BOTH = bytes.maketrans(
    b"Uu" + IUPAC_AMBIGUOUS + IUPAC_AMBIGUOUS.lower(), b"Tt" + b"N" * 10 + b"n" * 10
)


_INVALID = ~_VALID
_PLAIN = b"ACGTN"
# the bytes each check lets through, for bytes.translate(None, delete=...)
_VALID_BYTES = bytes(np.flatnonzero(_VALID).astype(np.uint8))
_NOT_AMBIG_BYTES = bytes(np.flatnonzero(~_AMBIG).astype(np.uint8))


def _first_bad(raw: bytes, allowed: bytes, table: np.ndarray) -> int | None:
    """Index of the first byte of `raw` that `table` flags; `allowed` are the bytes it does not.

    Deleting the allowed bytes is one C pass: the common, clean case never reaches numpy.
    """
    if not raw.translate(None, allowed):
        return None
    return int(table[np.frombuffer(raw, dtype=np.uint8)].argmax())


def _invalid(ch: str, pos: int, record: str | None) -> InvalidSequenceError:
    detail = "whitespace inside a sequence" if ch.isspace() else "not a nucleotide letter"
    return InvalidSequenceError(ch, pos, record, detail)


def normalize(
    seq: str | bytes, policy: NormalizationPolicy, *, record: str | None = None
) -> bytes:
    """Apply the policy: case, U->T, IUPAC codes; refuse characters that are no nucleotide."""
    if isinstance(seq, str):
        try:
            raw = seq.encode("ascii")
        except UnicodeEncodeError as exc:  # report the first bad character, ASCII or not
            pos = _first_bad(seq[: exc.start].encode("ascii"), _VALID_BYTES, _INVALID)
            pos = exc.start if pos is None else pos
            raise _invalid(seq[pos], pos, record) from None
    else:
        raw = bytes(seq)
    if not raw:
        raise EmptySequenceError(record)
    if not raw.translate(None, _PLAIN):  # upper-case A, C, G, T, N only: every policy keeps it
        return raw
    pos = _first_bad(raw, _VALID_BYTES, _INVALID)
    if pos is not None:
        raise _invalid(chr(raw[pos]), pos, record)
    if policy.iupac == "error":
        pos = _first_bad(raw, _NOT_AMBIG_BYTES, _AMBIG)
        if pos is not None:
            raise InvalidSequenceError(
                chr(raw[pos]), pos, record,
                "an IUPAC ambiguity code; pass iupac='unk' to read it as N",
            )
    if policy.uppercase:
        raw = raw.upper()
    if policy.u_to_t and policy.iupac == "unk":
        return raw.translate(_BOTH)
    if policy.u_to_t:
        return raw.translate(_U_TO_T)
    if policy.iupac == "unk":
        return raw.translate(_AMBIG_TO_N)
    return raw
