"""Tiny DNA BPE tokenizer.json files, and reading one's vocabulary as data."""

from __future__ import annotations

import json
from pathlib import Path

from dnallm_zoo.kit import BERT_SPECIALS, bpe_vocab, dna_merges, tiny_bpe_tokenizer_json


def test_merges_in_the_order_asked() -> None:
    m = dna_merges((2, 4, 3))
    assert len(m) == 16 + 256 + 64 and m[0] == ("A", "A") and m[16] == ("AA", "AA") and m[-1] == ("TT", "T")
    assert dna_merges((3,))[0] == ("AA", "A")


def test_specials_first_or_last(tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    first = json.loads(tiny_bpe_tokenizer_json())
    assert [t["content"] for t in sorted(first["added_tokens"], key=lambda t: t["id"])] == list(BERT_SPECIALS)
    assert [t["id"] for t in first["added_tokens"]] == [0, 1, 2, 3, 4]
    last_text = tiny_bpe_tokenizer_json(specials=("[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]"),
                                        specials_first=False, bases="ACGTN", post_processor="bert")
    last = json.loads(last_text)
    n = len(last["model"]["vocab"])
    assert last["model"]["vocab"]["[CLS]"] == n - 5 and last["model"]["vocab"]["N"] == 4
    assert last["post_processor"]["type"] == "BertProcessing"
    tok = Tokenizer.from_str(last_text)
    ids = tok.encode("ACGTACGT").ids
    assert ids[0] == n - 5 and ids[-1] == n - 4 and len(ids) < 8 + 2  # merged pieces, wrapped
    (tmp_path / "tokenizer.json").write_text(last_text)
    vocab = bpe_vocab(tmp_path)
    assert vocab is not None and vocab["[MASK]"] == n - 1 and len(vocab) == n


def test_bpe_vocab_declines_what_is_no_bpe(tmp_path: Path) -> None:
    assert bpe_vocab(tmp_path) is None
    (tmp_path / "tokenizer.json").write_text('{"model": {"type": "WordPiece", "vocab": {}}}')
    assert bpe_vocab(tmp_path) is None
    (tmp_path / "tokenizer.json").write_text("not json")
    assert bpe_vocab(tmp_path) is None
