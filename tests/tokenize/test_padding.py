"""`tokenizer.pad` on Hugging Face features, as transformers' data collators call it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from dnallm_zoo.tokenize import KmerTokenizer

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@pytest.fixture
def tok() -> KmerTokenizer:
    kmers = ("".join(p) for p in itertools.product("ACGT", repeat=3))
    return KmerTokenizer({t: i for i, t in enumerate([*SPECIALS, *kmers])}, k=3, max_length=16)


def test_data_collator_with_padding(tok: KmerTokenizer) -> None:
    from transformers import DataCollatorWithPadding

    feats = [dict(tok(s), label=i) for i, s in enumerate(["ACGTAC", "ACG", "ACGTACGT"])]
    batch = DataCollatorWithPadding(tok)(feats)
    assert set(batch) == {"input_ids", "attention_mask", "labels"}
    assert batch["input_ids"].shape == (3, 8) and batch["input_ids"].dtype == torch.int64
    assert batch["input_ids"][1].tolist() == tok.encode("ACG").tolist() + [0] * 5
    assert batch["attention_mask"].sum(1).tolist() == [6, 3, 8] and batch["labels"].tolist() == [0, 1, 2]
    direct = tok(["ACGTAC", "ACG", "ACGTACGT"], padding=True, return_tensors="pt")
    assert torch.equal(batch["input_ids"], direct["input_ids"])
    assert torch.equal(batch["attention_mask"], direct["attention_mask"])
    assert DataCollatorWithPadding(tok, pad_to_multiple_of=4)(feats[:2])["input_ids"].shape == (2, 8)
    fixed = DataCollatorWithPadding(tok, padding="max_length")(feats)
    assert fixed["input_ids"].shape == (3, 16)


def test_float_labels_and_other_forms(tok: KmerTokenizer) -> None:
    feats = [{"input_ids": tok.encode(s), "labels": [0.5, 1.0]} for s in ("ACGTA", "ACG")]
    out = tok.pad(feats, padding=True, return_tensors="pt")
    assert out["labels"].dtype == torch.float32 and out["attention_mask"].tolist()[1] == [1, 1, 1, 0, 0]
    as_np = tok.pad({"input_ids": [[2, 5, 3], [2, 3]]}, return_tensors="np")
    assert isinstance(as_np["input_ids"], np.ndarray)
    assert as_np["input_ids"].tolist() == [[2, 5, 3], [2, 3, 0]]
    lists = tok.pad([{"input_ids": [2, 5, 3]}, {"input_ids": [2, 3]}])
    assert lists["input_ids"] == [[2, 5, 3], [2, 3, 0]] and lists["attention_mask"] == [[1, 1, 1], [1, 1, 0]]
    left = tok.pad([{"input_ids": [2, 5, 3]}, {"input_ids": [2, 3]}], padding_side="left")
    assert left["input_ids"][1] == [0, 2, 3]
    ids, mask = tok.pad([np.array([2, 5, 3]), np.array([2, 3])])  # the zoo's own form still works
    assert ids.tolist() == [[2, 5, 3], [2, 3, 0]] and mask.tolist() == [[1, 1, 1], [1, 1, 0]]


def test_token_classification_collator_pads_labels_with_minus_100(tok: KmerTokenizer) -> None:
    from transformers import DataCollatorForTokenClassification

    feats = [{"input_ids": tok.encode(s).tolist(), "labels": [-100] + [1] * (len(s) - 2) + [-100]}
             for s in ("ACGTAC", "ACGT")]
    batch = DataCollatorForTokenClassification(tok)(feats)
    assert batch["labels"].tolist()[1] == [-100, 1, 1, -100, -100, -100]
    assert batch["input_ids"].shape == batch["labels"].shape


def test_ragged_and_keyless_features_are_refused(tok: KmerTokenizer) -> None:
    with pytest.raises(ValueError, match="includes input_ids"):
        tok.pad([{"labels": 1}])
    with pytest.raises(ValueError, match="ragged"):
        tok.pad([{"input_ids": [2, 3], "labels": [1, 2]}, {"input_ids": [2, 3], "labels": [1]}],
                return_tensors="pt")
