"""DNABERT tokenization against the original pipeline: BertTokenizer over space-joined k-mers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from dnallm_zoo_dnabert.encoder import DNABERTEncoder
from dnallm_zoo_dnabert.layout import vocab_tokens
from dnallm_zoo_dnabert.specs import dnabert_spec
from transformers import BertTokenizer

from dnallm_zoo.errors import InvalidSequenceError
from dnallm_zoo.tokenize import KmerTokenizer

KS = (3, 4, 5, 6)


def kmers(seq: str, k: int) -> str:
    """The original pipeline's input: overlapping k-mers joined by spaces (DNABERT's seq2kmer)."""
    return " ".join(seq[i : i + k] for i in range(len(seq) - k + 1))


@pytest.fixture(scope="module")
def vocab_dir(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    dirs: dict[int, Path] = {}

    def make(k: int) -> Path:
        if k not in dirs:
            d = tmp_path_factory.mktemp(f"vocab{k}")
            (d / "vocab.txt").write_text("".join(t + "\n" for t in vocab_tokens(k)))
            dirs[k] = d
        return dirs[k]

    return make


def zoo_tokenizer(path: Path, k: int, **policy: object) -> KmerTokenizer:
    """The tokenizer exactly as the plugin builds it for dnabert-k."""
    spec = dnabert_spec(k)
    base = spec.tokenizer.normalization.model_copy(update=policy)
    tok = DNABERTEncoder.build_tokenizer(path, spec, {"vocab_size": 4**k + 5}, base)
    assert isinstance(tok, KmerTokenizer)
    return tok


def reference(path: Path) -> BertTokenizer:
    return BertTokenizer(str(path / "vocab.txt"), do_lower_case=False)


def random_seqs(rng: np.random.Generator, n: int, k: int) -> list[str]:
    """Random sequences: mostly ACGT, N runs, lower case, lengths 1 .. 600 (some > 512 tokens)."""
    out = []
    for _ in range(n):
        length = int(rng.integers(1, 601))
        letters = rng.choice(list("ACGTN"), size=length, p=[0.24, 0.24, 0.24, 0.24, 0.04])
        if rng.random() < 0.3:  # an N run
            a = int(rng.integers(0, length))
            letters[a : a + int(rng.integers(1, 3 * k))] = "N"
        if rng.random() < 0.3:  # a soft-masked (lower-case) stretch
            a = int(rng.integers(0, length))
            b = a + int(rng.integers(1, 40))
            letters[a:b] = np.char.lower(letters[a:b])
        out.append("".join(letters))
    return out


def edge_seqs(k: int) -> list[str]:
    limit = 509 + k  # 510 k-mers: 512 tokens with [CLS] and [SEP]
    return [
        "A", "N", "a", "ACG"[: k - 1] or "A", "ACGTAC"[:k], "N" * k, "N" * (k + 3), "A" * (k - 1) + "N",
        "N" + "ACGT" * 5, "ACGT" * 5 + "N", "ACGTN" * 12, "acgt" * 10, "AcGt" * 10 + "nnnn",
        "T" * limit, ("ACGT" * 200)[:limit], ("GATTACA" * 100)[: limit + 1], "ACGT" * 400,
        "".join("ATCG"[i % 4] for i in range(k)),
    ]


@pytest.mark.parametrize("k", KS)
def test_ids_equal_bert_tokenizer(vocab_dir: Callable[[int], Path], k: int) -> None:
    """Thousands of random and edge sequences; lower case compared with upper-casing turned off."""
    path = vocab_dir(k)
    ref = reference(path)
    exact = zoo_tokenizer(path, k, uppercase=False)
    seqs = random_seqs(np.random.default_rng(k), 1200, k) + edge_seqs(k)
    want = ref([kmers(s, k) for s in seqs])["input_ids"]
    assert any(1 in w[1:-1] for w in want)  # N and lower case did reach [UNK]
    for s, w in zip(seqs, want, strict=True):
        got = exact.encode(s).tolist()
        assert got == w, s
        assert len(got) == max(len(s) - k + 1, 0) + 2


@pytest.mark.parametrize("k", KS)
def test_default_upper_cases(vocab_dir: Callable[[int], Path], k: int) -> None:
    path = vocab_dir(k)
    ref = reference(path)
    default = zoo_tokenizer(path, k)
    exact = zoo_tokenizer(path, k, uppercase=False)
    seqs = [s for s in random_seqs(np.random.default_rng(100 + k), 300, k) if s != s.upper()]
    seqs += ["acgtacgtnn", "GATTacaGATTACA"]
    want = ref([kmers(s.upper(), k) for s in seqs])["input_ids"]
    differs = 0
    for s, w in zip(seqs, want, strict=True):
        assert default.encode(s).tolist() == w, s
        differs += default.encode(s).tolist() != exact.encode(s).tolist()
    assert differs >= len(seqs) // 2  # the default really is not the original's case handling


@pytest.mark.parametrize("k", KS)
def test_rna_and_iupac(vocab_dir: Callable[[int], Path], k: int) -> None:
    path = vocab_dir(k)
    tok = zoo_tokenizer(path, k)
    ref = reference(path)
    assert tok.encode("ACGUUGCA").tolist() == ref(kmers("ACGTTGCA", k))["input_ids"]
    assert tok.encode("ACGTRYACGT").tolist() == ref(kmers("ACGTNNACGT", k))["input_ids"]
    with pytest.raises(InvalidSequenceError, match="ambiguity"):
        zoo_tokenizer(path, k, iupac="error").encode("ACGTRACGT")


@pytest.mark.parametrize(
    ("seq", "char", "pos"),
    [("ACGTXACG", "X", 4), ("ACG TAC", " ", 3), ("ACGT1", "1", 4), ("-ACGT", "-", 0),
     ("ACGTé", "é", 4), ("ACGT*", "*", 4)],
)
def test_invalid_characters(vocab_dir: Callable[[int], Path], seq: str, char: str, pos: int) -> None:
    tok = zoo_tokenizer(vocab_dir(6), 6)
    with pytest.raises(InvalidSequenceError) as info:
        tok.encode(seq)
    assert info.value.char == char
    assert info.value.position == pos
    assert repr(char) in str(info.value) and f"position {pos + 1}" in str(info.value)


@pytest.mark.parametrize("k", KS)
def test_batch_call_matches_bert_tokenizer(vocab_dir: Callable[[int], Path], k: int) -> None:
    path = vocab_dir(k)
    tok = zoo_tokenizer(path, k)
    seqs = [("ACGT" * 200)[: 509 + k], "ACGTNACGTA", "GATTACA"[: k + 1], "TTTTGGGGCCCCAAAA"]
    got = tok(seqs, padding=True, return_tensors="pt")
    want = reference(path)([kmers(s, k) for s in seqs], padding=True, return_tensors="pt")
    assert got["input_ids"].shape == (4, 512)
    assert got["input_ids"].tolist() == want["input_ids"].tolist()
    assert got["attention_mask"].tolist() == want["attention_mask"].tolist()


@pytest.mark.parametrize("k", KS)
def test_token_limit(vocab_dir: Callable[[int], Path], k: int) -> None:
    tok = zoo_tokenizer(vocab_dir(k), k)
    assert tok.max_length == 512
    assert len(tok(("ACGT" * 200)[: 509 + k])["input_ids"]) == 512
    assert len(tok(("ACGT" * 200)[: 510 + k])["input_ids"]) == 513  # every id, as BertTokenizer gives
    assert tok.count_tokens(509 + k) == 512


@pytest.mark.parametrize("k", KS)
def test_padding_only_when_asked_as_bert_tokenizer(vocab_dir: Callable[[int], Path], k: int) -> None:
    """A bare call leaves sequences of different lengths unpadded (transformers' padding=False default)."""
    path = vocab_dir(k)
    tok = zoo_tokenizer(path, k)
    ref = BertTokenizer(str(path / "vocab.txt"), do_lower_case=False, model_max_length=512)
    seqs = ["ACGTACGTACGTAC", "ACGT" * 7, "GATTACA"[: k + 1]]
    joined = [kmers(s, k) for s in seqs]
    bare = tok(seqs)
    assert [len(r) for r in bare["input_ids"]] == [len(r) for r in ref(joined)["input_ids"]] == [
        17 - k, 31 - k, 4]  # e.g. 11 and 25 ids for k=6, as BertTokenizer gives
    for asked in ({}, {"padding": False}, {"padding": True}, {"padding": "longest"},
                  {"padding": "max_length", "max_length": 40}, {"padding": "do_not_pad"}):
        want = {key: v for key, v in ref(joined, **asked).items() if key != "token_type_ids"}
        assert tok(seqs, **asked) == want, asked
        got = tok(seqs[1], **asked)  # one sequence: a flat list
        assert got == {key: v for key, v in ref(joined[1], **asked).items() if key != "token_type_ids"}
    with pytest.raises(ValueError, match="padding=True"):  # transformers' error for torch tensors
        ref(joined, return_tensors="pt")
    for tensors in ("pt", "np"):  # (transformers 5 makes a ragged object array for "np"; we refuse)
        with pytest.raises(ValueError, match="padding=True"):
            tok(seqs, return_tensors=tensors)
        got = tok(seqs, padding=True, return_tensors=tensors)
        want = ref(joined, padding=True, return_tensors=tensors)
        assert got["input_ids"].tolist() == want["input_ids"].tolist()
        assert got["attention_mask"].tolist() == want["attention_mask"].tolist()


LONG_WARNING = "Token indices sequence length is longer than the specified maximum sequence length"


@pytest.mark.parametrize("k", KS)
def test_long_input_equals_bert_tokenizer(vocab_dir: Callable[[int], Path], k: int,
                                          caplog: pytest.LogCaptureFixture) -> None:
    """Below, at and 3x above 512 tokens: bare, truncated and padded calls give BertTokenizer's ids."""
    path = vocab_dir(k)
    tok = zoo_tokenizer(path, k)
    ref = BertTokenizer(str(path / "vocab.txt"), do_lower_case=False, model_max_length=512)
    rng = np.random.default_rng(20 + k)
    at = 509 + k  # 512 tokens
    seqs = ["".join(rng.choice(list("ACGTN"), n, p=[0.24] * 4 + [0.04])) for n in (300, at, 3 * at, at + 1)]
    joined = [kmers(s, k) for s in seqs]
    for s, j in zip(seqs, joined, strict=True):
        assert tok(s)["input_ids"] == ref(j)["input_ids"] == tok.encode(s).tolist()
        assert tok(s, truncation=True)["input_ids"] == ref(j, truncation=True)["input_ids"]
        for m in (10, 512, 700):
            want = ref(j, truncation=True, max_length=m)["input_ids"]
            assert tok(s, truncation=True, max_length=m)["input_ids"] == want
            assert tok(s, max_length=m)["input_ids"] == ref(j, max_length=m)["input_ids"] == want
    assert len(tok(seqs[2])["input_ids"]) == 3 * at - k + 3
    assert tok(seqs, padding=False)["input_ids"] == ref(joined)["input_ids"]
    assert tok(seqs) == {key: v for key, v in ref(joined).items() if key != "token_type_ids"}
    assert tok(seqs, padding=True) == {key: v for key, v in ref(joined, padding=True).items()
                                       if key != "token_type_ids"}
    for tensors in ("pt", "np"):
        got = tok(seqs, padding=True, truncation=True, return_tensors=tensors)
        want = ref(joined, padding=True, truncation=True, return_tensors=tensors)
        assert got["input_ids"].shape == (4, 512)
        for key in ("input_ids", "attention_mask"):
            assert got[key].tolist() == want[key].tolist()
        got = tok(seqs, padding=True, return_tensors=tensors)
        want = ref(joined, padding=True, return_tensors=tensors)
        assert got["input_ids"].tolist() == want["input_ids"].tolist()
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("dnallm_zoo")]
    theirs = [r.getMessage() for r in caplog.records if r.name.startswith("transformers")]
    assert ours == [f"{LONG_WARNING} for this model ({3 * at - k + 3} > 512). Running this sequence through "
                    "the model will result in indexing errors"]  # once, for the first long sequence
    assert theirs == ours
    zoo_tokenizer(path, k)(seqs[3])
    assert sum(r.name.startswith("dnallm_zoo") for r in caplog.records) == 2  # once per tokenizer


def test_vocab_order_is_read_not_assumed(tmp_path: Path) -> None:
    """A vocab.txt in another k-mer order gives that file's ids (the table comes from the file)."""
    tokens = vocab_tokens(3)
    shuffled = tokens[:5] + tokens[5:][::-1]
    (tmp_path / "vocab.txt").write_text("".join(t + "\n" for t in shuffled))
    tok = zoo_tokenizer(tmp_path, 3)
    assert tok.encode("AAAT").tolist() == reference(tmp_path)(kmers("AAAT", 3))["input_ids"]
    assert tok.encode("AAA").tolist() == [2, len(shuffled) - 1, 3]
