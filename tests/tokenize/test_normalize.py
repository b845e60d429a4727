"""The normalisation policy: case, U->T, IUPAC codes, and precise errors."""

from __future__ import annotations

import itertools
import random

import pytest

from dnallm_zoo import NormalizationPolicy
from dnallm_zoo.errors import EmptySequenceError, InputError, InvalidSequenceError
from dnallm_zoo.tokenize import normalize

DEFAULT = NormalizationPolicy()
AMBIGUOUS = "RYKMSWBDHV"
VALID = "ACGTUN" + AMBIGUOUS


def reference(seq: str, policy: NormalizationPolicy) -> bytes:
    """The policy spelled out in plain Python, one character at a time."""
    for i, ch in enumerate(seq):
        if ch.upper() not in VALID or not ch.isascii():
            raise InvalidSequenceError(ch, i)
    if policy.iupac == "error":
        for i, ch in enumerate(seq):
            if ch.upper() in AMBIGUOUS:
                raise InvalidSequenceError(ch, i)
    out = []
    for ch in seq:
        if policy.uppercase:
            ch = ch.upper()
        if policy.u_to_t and ch in "Uu":
            ch = "T" if ch == "U" else "t"
        if policy.iupac == "unk" and ch.upper() in AMBIGUOUS:
            ch = "N" if ch.isupper() else "n"
        out.append(ch)
    return "".join(out).encode("ascii")


POLICIES = [
    NormalizationPolicy(uppercase=u, u_to_t=t, iupac=i)
    for u, t, i in itertools.product([True, False], [True, False], ["unk", "error"])
]


@pytest.mark.parametrize("policy", POLICIES, ids=str)
def test_against_reference(policy: NormalizationPolicy) -> None:
    rng = random.Random(hash(str(policy)) % 1000)
    letters = VALID + VALID.lower()
    for _ in range(500):
        seq = "".join(rng.choice(letters) for _ in range(rng.randint(1, 40)))
        try:
            want: bytes | tuple[str, int] = reference(seq, policy)
        except InvalidSequenceError as exc:
            want = (exc.char, exc.position)
        try:
            got: bytes | tuple[str, int] = normalize(seq, policy)
        except InvalidSequenceError as exc:
            got = (exc.char, exc.position)
        assert got == want, seq
        if isinstance(want, bytes):
            assert normalize(seq.encode("ascii"), policy) == want  # bytes in, same out


def test_defaults() -> None:
    assert normalize("acgu", DEFAULT) == b"ACGT"
    assert normalize("ACGTN", DEFAULT) == b"ACGTN"
    assert normalize("acryn", DEFAULT) == b"ACNNN"
    assert normalize(b"ggcc", DEFAULT) == b"GGCC"
    assert normalize(bytearray(b"ACGT"), DEFAULT) == b"ACGT"


def test_policy_switches() -> None:
    assert normalize("acgu", NormalizationPolicy(uppercase=False)) == b"acgt"
    assert normalize("ACGU", NormalizationPolicy(u_to_t=False)) == b"ACGU"
    assert normalize("ACGN", NormalizationPolicy(iupac="error")) == b"ACGN"  # N is no ambiguity code


@pytest.mark.parametrize(("seq", "char", "pos"), [("ACGR", "R", 3), ("yACG", "y", 0), ("ACNNNV", "V", 5)])
def test_iupac_error(seq: str, char: str, pos: int) -> None:
    with pytest.raises(InvalidSequenceError) as info:
        normalize(seq, NormalizationPolicy(iupac="error"), record="chr2")
    err = info.value
    assert (err.char, err.position, err.record) == (char, pos, "chr2")
    assert str(err) == (f"invalid character {char!r} at position {pos + 1} in record 'chr2': "
                        "an IUPAC ambiguity code; pass iupac='unk' to read it as N")


@pytest.mark.parametrize(
    ("seq", "char", "pos", "detail"),
    [
        ("ACGTX", "X", 4, "not a nucleotide letter"),
        ("AC1G", "1", 2, "not a nucleotide letter"),
        ("AC-GT", "-", 2, "not a nucleotide letter"),
        ("AC*", "*", 2, "not a nucleotide letter"),
        ("ACG T", " ", 3, "whitespace inside a sequence"),
        ("ACG\tT", "\t", 3, "whitespace inside a sequence"),
        ("ACGT\n", "\n", 4, "whitespace inside a sequence"),
        ("\rACGT", "\r", 0, "whitespace inside a sequence"),
        ("ACGé", "é", 3, "not a nucleotide letter"),
        ("ACG\u00a0T", "\u00a0", 3, "whitespace inside a sequence"),  # a no-break space
        ("ΑCGT", "Α", 0, "not a nucleotide letter"),  # a Greek capital alpha
        ("A CGé", " ", 1, "whitespace inside a sequence"),  # the first bad one, not the first non-ASCII
        ("AXCGé", "X", 1, "not a nucleotide letter"),
        ("AC\u2003GéX", "\u2003", 2, "whitespace inside a sequence"),
    ],
)
def test_invalid_character(seq: str, char: str, pos: int, detail: str) -> None:
    with pytest.raises(InvalidSequenceError) as info:
        normalize(seq, DEFAULT)
    err = info.value
    assert isinstance(err, InputError) and isinstance(err, ValueError)
    assert (err.char, err.position, err.record) == (char, pos, None)
    assert str(err) == f"invalid character {char!r} at position {pos + 1}: {detail}"


def test_invalid_byte() -> None:
    with pytest.raises(InvalidSequenceError) as info:
        normalize("ACé".encode(), DEFAULT)
    assert info.value.position == 2  # a byte offset for bytes input


@pytest.mark.parametrize("empty", ["", b""])
def test_empty(empty: str | bytes) -> None:
    with pytest.raises(EmptySequenceError, match=r"^empty sequence: nothing to embed$"):
        normalize(empty, DEFAULT)
    with pytest.raises(EmptySequenceError, match=r"record 'read-7'") as info:
        normalize(empty, DEFAULT, record="read-7")
    assert info.value.record == "read-7"


@pytest.mark.parametrize("policy", POLICIES, ids=str)
def test_plain_upper_case_is_kept_as_is(policy: NormalizationPolicy) -> None:
    # the fast path (only A, C, G, T, N) agrees with the reference under every policy
    rng = random.Random(11)
    for _ in range(50):
        seq = "".join(rng.choice("ACGTN") for _ in range(rng.randint(1, 60)))
        assert normalize(seq, policy) == reference(seq, policy) == seq.encode("ascii")
    assert normalize("ACGTn", policy) == reference("ACGTn", policy)
