"""Which bases each token covers, per-base labels to tokens, and token scores back to bases."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pytest

from dnallm_zoo.errors import InputError, SequenceTooLongError
from dnallm_zoo.kit import tiny_bpe_tokenizer_json
from dnallm_zoo.tokenize import BPETokenizer, DNATokenizer, KmerTokenizer
from dnallm_zoo.tokenize.offsets import (
    IGNORE,
    base_labels_to_tokens,
    bases_from_tokens,
    encode_per_base,
    token_spans,
)

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def kmer(k: int, stride: int = 1, max_length: int = 512) -> KmerTokenizer:
    kmers = ("".join(p) for p in itertools.product("ACGT", repeat=k))
    vocab = {t: i for i, t in enumerate([*SPECIALS, *kmers])}
    return KmerTokenizer(vocab, k=k, stride=stride, max_length=max_length)


def bpe(tmp_path: Path) -> BPETokenizer:
    (tmp_path / "tokenizer.json").write_text(tiny_bpe_tokenizer_json())
    return BPETokenizer(tmp_path / "tokenizer.json", max_length=512)


def _random(n: int, seed: int = 0, letters: str = "ACGT") -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(letters) for _ in range(n))


@pytest.mark.parametrize(("k", "stride"), [(6, 1), (3, 1), (6, 2), (1, 1), (4, 3)])
def test_kmer_windows_cover_k_bases_every_stride(k: int, stride: int) -> None:
    tok = kmer(k, stride)
    seq = _random(23)
    spans = token_spans(tok, seq)
    ids = tok.encode(seq)
    assert len(spans) == len(ids) and tuple(spans[0]) == tuple(spans[-1]) == (0, 0)
    for (s, e), token in zip(spans[1:-1].tolist(), tok.convert_ids_to_tokens(ids[1:-1]), strict=True):
        assert e - s == k and s % stride == 0 and seq[s:e] == token  # the window spells its token
    uncovered = len(seq) - int(spans[-2, 1])
    assert 0 <= uncovered < stride  # only the tail that fills no window (LCA)


def test_bpe_pieces_tile_the_sequence(tmp_path: Path) -> None:
    tok = bpe(tmp_path)
    seq = _random(40, seed=3) + "N" + _random(7, seed=4)
    spans = token_spans(tok, seq)
    ids = tok.encode(seq)
    body = spans[1:-1]
    assert len(spans) == len(ids) and body[0, 0] == 0 and body[-1, 1] == len(seq)
    assert (body[1:, 0] == body[:-1, 1]).all()  # contiguous, no base twice
    texts = tok.convert_ids_to_tokens(ids[1:-1])
    assert "".join(seq[s:e] for s, e in body.tolist()) == seq
    assert all(seq[s:e] == t or t == "[UNK]" for (s, e), t in zip(body.tolist(), texts, strict=True))


class _LetterTokens(DNATokenizer):
    """Greedy 'AA' pairs else single letters (a 6-mer-with-fallback tokenizer in miniature)."""

    def __init__(self) -> None:
        vocab = {t: i for i, t in enumerate([*SPECIALS, "A", "C", "G", "T", "N", "AA"])}
        super().__init__(vocab, max_length=64, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
                         prefix=["[CLS]"])

    def encode_body(self, seq: bytes) -> np.ndarray:
        out, i, text = [], 0, seq.decode()
        while i < len(text):
            piece = text[i:i + 2] if text[i:i + 2] == "AA" else text[i]
            out.append(self.vocab.get(piece, self.unk_token_id))
            i += len(piece)
        return np.asarray(out, dtype=np.int64)

    def save_pretrained(self, path: str | Path) -> None:  # pragma: no cover - not saved here
        raise NotImplementedError


def test_any_other_tokenizer_maps_by_token_text() -> None:
    tok = _LetterTokens()
    spans = token_spans(tok, "AAACGAAT")
    assert spans.tolist() == [[0, 0], [0, 2], [2, 3], [3, 4], [4, 5], [5, 7], [7, 8]]


def test_label_rules() -> None:
    spans = np.array([[0, 0], [0, 4], [4, 6], [6, 7], [0, 0]])
    labels = np.array([0, 1, 1, 0, 2, 2, IGNORE])
    assert base_labels_to_tokens(spans, labels).tolist() == [IGNORE, 1, 2, IGNORE, IGNORE]  # centre: 1, 4, 6
    assert base_labels_to_tokens(spans, labels, rule="first").tolist() == [IGNORE, 0, 2, IGNORE, IGNORE]
    tie = np.array([0, 1, 1, 0, 2, 3, 5])
    assert base_labels_to_tokens(spans, tie, rule="majority").tolist() == [IGNORE, 1, 2, 5, IGNORE]
    assert base_labels_to_tokens(np.array([[0, 4]]), [0, 0, 1, 1], rule="majority").tolist() == [0]  # centre
    with pytest.raises(InputError, match="rule="):
        base_labels_to_tokens(spans, labels, rule="last")  # type: ignore[arg-type]


def test_encode_per_base_checks_lengths_and_limits() -> None:
    tok = kmer(3, max_length=10)
    feat = encode_per_base(tok, "ACGTAC", [0, 0, 1, 1, 1, 0])
    assert feat["input_ids"] == tok.encode("ACGTAC").tolist() and feat["attention_mask"] == [1] * 6
    assert feat["labels"] == [IGNORE, 0, 1, 1, 1, IGNORE]  # centres: bases 1, 2, 3, 4
    with pytest.raises(InputError, match="record 'r7': 6 bases but 5 per-base labels"):
        encode_per_base(tok, "ACGTAC", [0, 0, 1, 1, 1], record="r7")
    with pytest.raises(SequenceTooLongError, match="12 tokens, the model takes at most 10"):
        encode_per_base(tok, "A" * 12, [0] * 12)


def test_token_scores_average_over_the_bases_they_cover() -> None:
    spans = token_spans(kmer(3), "ACGTA")  # [CLS] ACG CGT GTA [SEP]
    scores = np.array([[9.0], [1.0], [2.0], [3.0], [9.0]])
    per_base = bases_from_tokens(spans, scores, 5)
    assert per_base[:, 0].tolist() == [1.0, 1.5, 2.0, 2.5, 3.0]
    lca = token_spans(kmer(3, stride=2), "ACGTAC")  # [CLS] ACG GTA [SEP]: base 5 in no window
    got = bases_from_tokens(lca, np.arange(4.0), 6)
    assert got[:5].tolist() == [1.0, 1.0, 1.5, 2.0, 2.0] and np.isnan(got[5])
    with pytest.raises(InputError, match="3 token score rows for 5 token spans"):
        bases_from_tokens(spans, scores[:3], 5)
