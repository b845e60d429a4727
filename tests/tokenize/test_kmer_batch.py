"""KmerTokenizer's one-pass batch path: the same ids, lengths and errors as one sequence at a time."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from dnallm_zoo import NormalizationPolicy
from dnallm_zoo.errors import EmptySequenceError, InvalidSequenceError
from dnallm_zoo.tokenize import KmerTokenizer

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def make(k: int, stride: int = 1, max_length: int = 10**6, **kw: object) -> KmerTokenizer:
    tokens = SPECIALS + ["".join(p) for p in itertools.product("ATCG", repeat=k)]
    return KmerTokenizer({t: i for i, t in enumerate(tokens)}, k=k, stride=stride,
                         max_length=max_length, **kw)  # type: ignore[arg-type]


def naive(tok: KmerTokenizer, seq: str) -> list[int]:
    """The original rule over the upper-cased sequence, [CLS] … [SEP]."""
    s = seq.upper().replace("U", "T")
    unk = tok.unk_token_id
    body = [tok.vocab.get(s[i : i + tok.k], unk) for i in range(0, len(s) - tok.k + 1, tok.stride)]
    return [tok.vocab["[CLS]"], *body, tok.vocab["[SEP]"]]


def batch(rng: random.Random, k: int) -> list[str]:
    """Mixed lengths (below k, exactly k, long), N at the ends (across row boundaries), odd letters."""
    out = []
    for _ in range(rng.randint(1, 9)):
        n = rng.choice([1, k - 1, k, k + 1, rng.randint(1, 40), rng.randint(40, 300)])
        s = "".join(rng.choice("ACGT") for _ in range(max(n, 1)))
        r = rng.random()
        if r < 0.3:
            s = "N" * rng.randint(1, k) + s
        elif r < 0.6:
            s = s + "N" * rng.randint(1, k)
        elif r < 0.7:
            s = s.lower()
        elif r < 0.8:
            s = s.replace("T", "U")
        out.append(s)
    return out


@pytest.mark.parametrize("k", range(1, 9))
def test_call_matches_naive(k: int) -> None:
    rng = random.Random(k)
    for stride in (1, 2, 3):
        tok = make(k, stride)
        for _ in range(15):
            seqs = batch(rng, k)
            want = [naive(tok, s) for s in seqs]
            out = tok(seqs, padding=True, return_tensors="np")
            width = max(map(len, want))
            assert out["input_ids"].shape == (len(seqs), width)
            assert out["input_ids"].dtype == np.int64 and out["attention_mask"].dtype == np.int64
            for row, mask, w in zip(out["input_ids"], out["attention_mask"], want, strict=True):
                assert row.tolist() == w + [tok.pad_token_id] * (width - len(w))
                assert mask.tolist() == [1] * len(w) + [0] * (width - len(w))
            assert [x.tolist() for x in tok.encode_batch(seqs)] == want
            assert [tok.encode(s).tolist() for s in seqs] == want
            lists = tok(seqs)  # unpadded unless asked, as transformers' tokenizers
            assert lists["input_ids"] == want and lists["attention_mask"] == [[1] * len(w) for w in want]


class OneAtATime(KmerTokenizer):
    """The same tokenizer without the batch path: `__call__` encodes one sequence at a time."""

    def _encode_rows(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        return None


def _outcome(call: Callable[[], dict[str, Any]]) -> object:
    """A call's output as plain lists, or its error's type and message."""
    try:
        out = call()
    except ValueError as exc:
        return type(exc), str(exc)
    return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in out.items()}


def test_options_match_the_one_at_a_time_path() -> None:
    rng = random.Random(5)
    tok = make(6, 2, max_length=12)
    plain = OneAtATime(tok.vocab, k=6, stride=2, max_length=12)
    for _ in range(30):
        seqs = batch(rng, 6)
        for kw in ({"truncation": True}, {"truncation": True, "add_special_tokens": False},
                   {"truncation": True, "padding": "max_length"}, {"truncation": True, "max_length": 4},
                   {"truncation": True, "return_token_type_ids": True, "return_attention_mask": False},
                   {}, {"max_length": 4}, {"max_length": 4, "padding": True}, {"padding": "max_length"},
                   {"padding": False}, {"padding": False, "truncation": True},
                   {"return_token_type_ids": True}, {"padding": False, "return_token_type_ids": True}):
            for tensors in ("np", None):
                got = _outcome(lambda: tok(seqs, return_tensors=tensors, **kw))  # noqa: B023
                want = _outcome(lambda: plain(seqs, return_tensors=tensors, **kw))  # noqa: B023
                assert got == want, (kw, tensors)
        for s in seqs:  # a lone sequence
            assert _outcome(lambda: tok(s)) == _outcome(lambda: plain(s))  # noqa: B023


def test_list_form_equals_the_arrays() -> None:
    """The lists (built from a table of int objects) hold the arrays' values, as Python ints."""
    rng = random.Random(9)
    for k in (1, 3, 6):
        tok = make(k, max_length=40)
        seqs = [*batch(rng, k), "ACGTACGT"]
        arrays = tok(seqs, padding=True, return_tensors="np", return_token_type_ids=True)
        lists = tok(seqs, padding=True, return_token_type_ids=True)
        assert {key: v.tolist() for key, v in arrays.items()} == lists
        assert all(type(i) is int for row in lists["input_ids"] for i in row)
        rows = lists["input_ids"]
        rows[0].append(-1)  # every row its own list
        assert all(len(r) == len(rows[1]) for r in rows[1:]) and len(rows[0]) == len(rows[1]) + 1


def test_tensors_and_single_sequence() -> None:
    tok = make(3)
    out = tok(["ACGTA", "ACG"], padding=True, return_tensors="pt")
    assert out["input_ids"].dtype == torch.int64 and out["input_ids"].shape == (2, 5)
    assert out["attention_mask"].tolist() == [[1] * 5, [1, 1, 1, 0, 0]]
    assert tok("ACGTA")["input_ids"] == naive(tok, "ACGTA")
    assert tok(b"ACGTA")["input_ids"] == naive(tok, "ACGTA")
    assert tok([b"ACGTA", "acg"], padding=True, return_tensors="np")["input_ids"].tolist() == [
        naive(tok, "ACGTA"), [*naive(tok, "ACG"), 0, 0]]
    assert tok.encode_batch([]) == []
    assert tok([], return_tensors="np")["input_ids"].shape == (0, 0)


def test_invalid_character_names_the_sequence_index() -> None:
    tok = make(3)
    first = r"^sequence 2: invalid character 'X' at position 4"
    with pytest.raises(InvalidSequenceError, match=first) as info:
        tok(["ACGT", "ACGTNN", "ACGXA", "ACGTZ"])
    assert (info.value.char, info.value.position, info.value.index) == ("X", 3, 2)  # type: ignore[attr-defined]
    with pytest.raises(InvalidSequenceError, match=r"^sequence 1: invalid character 'é'"):
        tok.encode_batch(["ACGT", "ACé"])
    with pytest.raises(EmptySequenceError, match=r"^sequence 2: empty sequence"):
        tok(["ACGT", "ACGT", ""])
    with pytest.raises(InvalidSequenceError, match=r"^sequence 0: .*IUPAC"):
        make(3, normalization=NormalizationPolicy(iupac="error"))(["ACRT"])
    for call in (tok.encode, tok, OneAtATime(tok.vocab, k=3, max_length=64)):
        with pytest.raises(InvalidSequenceError, match=r"^invalid character ' ' at position 3"):
            call("AC GT")  # a lone sequence has no index
        with pytest.raises(EmptySequenceError, match=r"^empty sequence"):
            call("")
    with pytest.raises(InvalidSequenceError, match=r"^sequence 1: invalid character 'x'"):
        OneAtATime(tok.vocab, k=3, max_length=64)(["ACGT", "ACxT"])  # the generic path names it too


def test_errors_come_in_input_order() -> None:
    tok = make(3, max_length=5)  # 3 k-mers + 2 specials: 5 bases fit, 6 do not
    with pytest.raises(InvalidSequenceError, match=r"^sequence 2:"):
        tok(["ACGTA", "ACGTAC", "ACXTA"])  # too long is no error
    with pytest.raises(InvalidSequenceError, match=r"^sequence 0:"):
        tok(["ACXTA", "ACGTAC"])
    with pytest.raises(InvalidSequenceError, match=r"^sequence 1:"):
        tok(["ACGTAC", "ACXTA"], truncation=True)
    # truncation reads the bases it keeps, but a bad character beyond them is still an error
    with pytest.raises(InvalidSequenceError, match=r"^sequence 0: invalid character 'X' at position 10"):
        tok(["ACGTACGTAX"], truncation=True)


def test_overriding_subclasses_keep_the_generic_path() -> None:
    class Shifted(KmerTokenizer):
        def encode_body(self, seq: bytes) -> np.ndarray:
            return super().encode_body(seq) + 1000

    base = make(3)
    shifted = Shifted(base.vocab, k=3, max_length=64)
    seqs = ["ACGTAC", "ACG"]
    want = [[base.cls_token_id, *(np.array(naive(base, s)[1:-1]) + 1000), base.sep_token_id] for s in seqs]
    assert shifted(seqs, padding=False)["input_ids"] == want
    assert [x.tolist() for x in shifted.encode_batch(seqs)] == want
    assert shifted.encode("ACGTAC").tolist() == want[0]
