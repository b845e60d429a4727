"""GENA-LM's BPE tokenizer: the ids transformers reads from the same tokenizer.json, at every length the
original takes, and each token's bases (runs of 10 or more N are one '-' token, as GENA's normalizer says)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dnallm_zoo import SequenceTooLongError
from dnallm_zoo.tokenize.offsets import token_spans


@pytest.fixture(scope="module")
def gena_dir(tmp_path_factory: pytest.TempPathFactory, zoo: Any) -> Path:
    from dnallm_zoo.testing import make_test_checkpoint

    return make_test_checkpoint("gena-lm-bert-base-t2t", tmp_path_factory.mktemp("gena") / "t2t")


def _seqs() -> list[str]:
    rng = random.Random(0)
    out = ["A", "ACGT", "N" * 9 + "ACGT", "ACG" + "N" * 10 + "T", "N" * 25, "ACGTN" * 7,
           "TTTTNNNNNNNNNNNNNNNNG"]
    out += ["".join(rng.choice("ACGT") for _ in range(n)) for n in (5, 99, 500, 1500, 2040)]
    return out


def test_ids_equal_transformers_reading_the_same_file(zoo: Any, gena_dir: Path) -> None:
    from transformers import PreTrainedTokenizerFast

    enc = zoo.load(gena_dir, device="cpu")  # type: ignore[attr-defined]
    ref = PreTrainedTokenizerFast(tokenizer_file=str(gena_dir / "tokenizer.json"), unk_token="[UNK]",
                                  cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]",
                                  mask_token="[MASK]")
    for s in _seqs():
        want = ref(s)["input_ids"]
        if len(want) > 512:
            continue
        assert enc.tokenizer.encode(s).tolist() == want, s
    assert enc.tokenizer.pad_token_id == 3 and enc.tokenizer.cls_token_id == 1


def test_the_longest_accepted_input_and_one_token_more(zoo: Any, gena_dir: Path) -> None:
    enc = zoo.load(gena_dir, device="cpu")  # type: ignore[attr-defined]
    body = "ACGT" * 510  # the tiny vocabulary's 4-mers: 510 tokens + [CLS] + [SEP]
    assert len(enc.tokenizer.encode(body)) == 512
    enc.embed([body], long="error")
    with pytest.raises(SequenceTooLongError):
        enc.embed([body + "ACGT"], long="error")
    assert enc.embed([body * 3], long="chunk").shape == (1, enc.hidden_size)


def test_offsets_cover_each_base_and_an_n_run_is_one_token(zoo: Any, gena_dir: Path) -> None:
    enc = zoo.load(gena_dir, device="cpu")  # type: ignore[attr-defined]
    seq = "ACGTAC" + "N" * 12 + "GGATC"
    ids = enc.tokenizer.encode(seq).tolist()
    spans = token_spans(enc.tokenizer, seq)
    dash = enc.tokenizer.vocab["-"]
    assert ids.count(dash) == 1
    assert tuple(spans[ids.index(dash)]) == (6, 18)  # the whole run of N
    body = spans[1:-1]
    assert body[0][0] == 0 and body[-1][1] == len(seq)
    assert np.all(body[1:, 0] == body[:-1, 1])  # contiguous, no base twice
