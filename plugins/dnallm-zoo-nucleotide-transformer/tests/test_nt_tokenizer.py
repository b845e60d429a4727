"""The NT tokenizer against transformers' EsmTokenizer on the NT vocabularies, and its base offsets."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from dnallm_zoo_nucleotide_transformer.tokenizer import NTTokenizer, nt_vocab_tokens
from transformers import EsmTokenizer

from dnallm_zoo import CheckpointError, NormalizationPolicy
from dnallm_zoo.tokenize.offsets import token_spans

RAW = NormalizationPolicy(uppercase=False)  # the originals' policy: lower case is <unk>
ALPHABETS = ("ACGT", "ACGTN", "ACGTNacgtn", "ACGTacgtN", "ACGTNNNNNN", "acgtn")


def random_sequences(n: int, seed: int) -> list[str]:
    """Lengths 1-60 (every tail length, many times) and some to 300, over alphabets with N and lower case."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        alphabet = ALPHABETS[i % len(ALPHABETS)]
        length = rng.randint(1, 60) if i % 10 else rng.randint(61, 300)
        out.append("".join(rng.choice(alphabet) for _ in range(length)))
    return out


@pytest.fixture(scope="module", params=[1, 2], ids=["v1-vocab", "v2-vocab"])
def pair(request: pytest.FixtureRequest, tiny: Callable[..., Path]) -> tuple[EsmTokenizer, Path, int]:
    path = tiny(request.param if request.param == 2 else 3)
    return EsmTokenizer.from_pretrained(str(path)), path, 4107 if request.param == 2 else 4105


def test_the_vocabularies_have_the_nt_layout() -> None:
    v1, v2 = nt_vocab_tokens(1), nt_vocab_tokens(2)
    assert len(v1) == len(v2) == 4107
    assert v1[:4] == v2[:4] == ["<unk>", "<pad>", "<mask>", "<cls>"]
    assert v1[4100:] == ["A", "T", "C", "G", "N", "<eos>", "<bos>"] and v1[4] == "AAAAAA"
    assert v2[4:6] == ["<eos>", "<bos>"] and v2[6] == "AAAAAA" and v2[4102:] == ["A", "T", "C", "G", "N"]


def test_ids_equal_esm_tokenizer_on_10000_random_sequences(pair: tuple[EsmTokenizer, Path, int]) -> None:
    ref, path, rows = pair
    ours = NTTokenizer.from_pretrained(path, max_length=2048, rows=rows, normalization=RAW)
    seqs = random_sequences(10_000, seed=rows)
    tails = {len(s) % 6 for s in seqs}
    assert tails == set(range(6))
    want = ref(seqs, padding=False)["input_ids"]
    assert ours(seqs, padding=False)["input_ids"] == want  # list form, one numpy pass
    for s, ids in zip(seqs[:2000], want, strict=False):  # one at a time
        assert ours(s)["input_ids"] == ids, s
        assert ours.encode(s).tolist() == ids
    assert ref(seqs[:50], padding=True)["input_ids"] == ours(seqs[:50], padding=True)["input_ids"]
    assert max(max(ids) for ids in want) < rows  # never <eos> or <bos>


def test_the_default_policy_upper_cases_first(pair: tuple[EsmTokenizer, Path, int]) -> None:
    ref, path, rows = pair
    ours = NTTokenizer.from_pretrained(path, max_length=2048, rows=rows)
    seqs = random_sequences(500, seed=7)
    want = ref([s.upper() for s in seqs], padding=False)["input_ids"]
    assert ours(seqs, padding=False)["input_ids"] == want


def test_the_documented_examples(tiny: Callable[..., Path]) -> None:
    tok = NTTokenizer.from_pretrained(tiny(2), max_length=2048)
    toks = tok.convert_ids_to_tokens(tok.encode("ACGTGTACNTGCACGGANCGACTAGTCTGA"))
    assert toks == ["<cls>", "ACGTGT", "A", "C", "N", "TGCACG", "G", "A", "N", "CGACTA", "GTCTGA"]
    agro = NTTokenizer.from_pretrained(tiny(3), max_length=1024, rows=4105)
    toks = agro.convert_ids_to_tokens(agro.encode("ATCCCGGNNTCGACACN"))
    assert toks == ["<cls>", "ATCCCG", "G", "N", "N", "TCGACA", "C", "N"]


def test_every_id_comes_back_and_truncation_only_when_asked(tiny: Callable[..., Path]) -> None:
    tok = NTTokenizer.from_pretrained(tiny(2), max_length=20)
    seq = "ACGTAC" * 40
    assert len(tok(seq)["input_ids"]) == 41  # a warning, every id
    cut = tok([seq, "ACGT"], truncation=True, padding=False)["input_ids"]
    assert [len(r) for r in cut] == [20, 5] and cut[0][0] == tok.cls_token_id


def test_offsets_tile_the_sequence_and_spell_each_token(tiny: Callable[..., Path]) -> None:
    tok = NTTokenizer.from_pretrained(tiny(2), max_length=2048, normalization=RAW)
    for seq in random_sequences(300, seed=3):
        spans = token_spans(tok, seq)
        ids = tok.encode(seq)
        assert len(spans) == len(ids) and tuple(spans[0]) == (0, 0)
        body = spans[1:]
        assert body[0, 0] == 0 and body[-1, 1] == len(seq) and np.array_equal(body[1:, 0], body[:-1, 1])
        for (a, b), text in zip(body.tolist(), tok.convert_ids_to_tokens(ids[1:]), strict=True):
            assert text == seq[a:b] or (text == "<unk>" and not any(c in "ACGTN" for c in seq[a:b]))


def test_a_vocabulary_that_is_not_nt_is_refused(tmp_path: Path, tiny: Callable[..., Path]) -> None:
    (tmp_path / "vocab.txt").write_text("\n".join(["<cls>", "<pad>", "<eos>", "<unk>", "L", "A", "G"]))
    with pytest.raises(CheckpointError, match=r"vocab\.txt: not a Nucleotide Transformer vocabulary"):
        NTTokenizer.from_pretrained(tmp_path, max_length=100)
    tokens = nt_vocab_tokens(2)
    tokens.remove("ACGTAC")
    (tmp_path / "vocab.txt").write_text("\n".join(tokens))
    with pytest.raises(CheckpointError, match="1 of the 4096 6-mers missing"):
        NTTokenizer.from_pretrained(tmp_path, max_length=100)
