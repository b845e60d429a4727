"""Sequences to units: whole, chunked in bases, or (networks that take any length) whole past the limit."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from dnallm_zoo._chunking import iter_units
from dnallm_zoo.errors import InputError, SequenceTooLongError
from dnallm_zoo.testing.toy import TOY_SPEC, ToyEncoder


@pytest.fixture(scope="module")
def enc(zoo_toy_checkpoint: Path) -> ToyEncoder:
    return ToyEncoder.from_pretrained(zoo_toy_checkpoint, TOY_SPEC, device="cpu", dtype="float32")


def dna(n: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice("ACGT") for _ in range(n))


def units(enc: ToyEncoder, seqs: list[str], *, long: str, any_length: bool = False) -> list:
    return list(iter_units(enc.tokenizer, seqs, model_id="toy", max_length=enc.max_length,
                           max_bases=enc.max_bases, overlap=2, long=long,  # type: ignore[arg-type]
                           any_length=any_length))


def test_whole_runs_a_long_sequence_in_one_unit_where_the_network_takes_any_length(enc: ToyEncoder) -> None:
    seq = dna(3 * enc.max_bases)
    (unit,) = units(enc, [seq], long="whole", any_length=True)
    assert (unit.start, unit.end) == (0, len(seq))
    np.testing.assert_array_equal(unit.ids, enc.tokenizer.encode_normalized(enc.tokenizer.normalize(seq)))
    assert len(unit.ids) > enc.max_length


def test_whole_is_refused_on_learned_positions(enc: ToyEncoder) -> None:
    with pytest.raises(InputError, match=r"learned positions for at most \d+ tokens .* use long='chunk'"):
        units(enc, [dna(10)], long="whole")
    with pytest.raises(InputError, match="learned positions"):
        enc.embed([dna(3 * enc.max_bases)], long="whole")


def test_chunk_and_error_are_unchanged_by_any_length(enc: ToyEncoder) -> None:
    seq = dna(3 * enc.max_bases)
    chunked = units(enc, [seq], long="chunk", any_length=True)
    assert len(chunked) > 1 and all(len(u.ids) <= enc.max_length for u in chunked)
    with pytest.raises(SequenceTooLongError, match=r"or long='whole' to run it in one pass"):
        units(enc, [seq], long="error", any_length=True)
