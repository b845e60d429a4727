"""`KmerVocab`: lists, writes and recognises k-mer vocab.txt files."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from dnallm_zoo.kit import BERT_SPECIALS, KmerVocab, kmers
from dnallm_zoo.tokenize import read_vocab_txt


def test_tokens_in_product_order() -> None:
    v = KmerVocab(3, "ATCG")
    tokens = v.tokens()
    assert tokens[:5] == list(BERT_SPECIALS) and len(tokens) == len(v) == 5 + 64
    assert tokens[5:] == ["".join(p) for p in itertools.product("ATCG", repeat=3)]
    assert kmers(2) == ["AA", "AC", "AG", "AT", "CA", "CC", "CG", "CT", "GA", "GC", "GG", "GT",
                        "TA", "TC", "TG", "TT"]
    esm = KmerVocab(2, "ATCG", specials=("<unk>", "<pad>"), suffix=("A", "<eos>"))
    assert esm.tokens()[:3] == ["<unk>", "<pad>", "AA"] and esm.tokens()[-2:] == ["A", "<eos>"]
    assert esm.ids()["<eos>"] == len(esm) - 1


@pytest.mark.parametrize(("k", "alphabet"), [(1, "ACGT"), (3, "ATCG"), (6, "ACGT"), (4, "TGCA")])
def test_write_then_detect(tmp_path: Path, k: int, alphabet: str) -> None:
    v = KmerVocab(k, alphabet)
    f = v.write(tmp_path / "d")
    assert f == tmp_path / "d" / "vocab.txt"
    assert read_vocab_txt(f) == v.ids()
    assert KmerVocab.detect(tmp_path / "d") == v


def test_detect_with_other_specials_and_suffix(tmp_path: Path) -> None:
    v = KmerVocab(2, "ATCG", specials=("<unk>", "<pad>", "<mask>", "<cls>"), suffix=("N", "<eos>"))
    v.write(tmp_path, "vocab.txt")
    assert KmerVocab.detect(tmp_path) is None  # BERT specials expected by default
    assert KmerVocab.detect(tmp_path, specials=v.specials) is None  # the suffix is not k-mers
    assert KmerVocab.detect(tmp_path, specials=v.specials, suffix=v.suffix) == v


def _vocab(tmp_path: Path, tokens: list[str]) -> Path:
    (tmp_path / "vocab.txt").write_text("".join(t + "\n" for t in tokens))
    return tmp_path


@pytest.mark.parametrize("change", [
    "lacking", "extra", "duplicate", "swapped", "letters", "mixed_k", "blank_line", "specials_only",
    "missing",
])
def test_detect_declines(tmp_path: Path, change: str) -> None:
    tokens = KmerVocab(3).tokens()
    edited = {
        "lacking": tokens[:-1],
        "extra": [*tokens, "ACGT"],
        "duplicate": [*tokens[:-1], tokens[-2]],
        "swapped": [*tokens[:5], tokens[6], tokens[5], *tokens[7:]],  # in no product order
        "letters": [*tokens[:-1], "TTN"],
        "mixed_k": [*tokens[:-1], "TTTT"],
        "blank_line": [*tokens[:10], "", *tokens[10:]],
        "specials_only": tokens[:5],
    }
    if change == "missing":
        assert KmerVocab.detect(tmp_path) is None
        return
    assert KmerVocab.detect(_vocab(tmp_path, edited[change])) is None


def test_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="alphabet"):
        KmerVocab(3, "ACGN")
    with pytest.raises(ValueError, match="k must be"):
        KmerVocab(0)
