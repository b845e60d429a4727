"""DNABERT task heads: transformers' BertForSequenceClassification/BertForTokenClassification on k-mers."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from dnallm_zoo.errors import NewWeightsWarning

SEQS = ["ACGTAGCATCGGATCTATCTATCGACACTTGG", "TTGACAGGCA", "ACGTNNACGTGGCCATTA"]


def _model(path: Path, **head: Any) -> Any:
    from dnallm_zoo.compat import ZooModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NewWeightsWarning)
        return ZooModel.from_pretrained(path, seed=0, **head).eval()


@pytest.mark.parametrize("k", [3, 6])
def test_the_heads_are_transformers_own(
    zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path, k: int
) -> None:
    import transformers

    for task, n in (("sequence-classification", 2), ("token-classification", 3)):
        model = _model(tiny_dir(k), task=task, num_labels=n)
        out = tmp_path / task
        model.save_pretrained(out)
        config = json.loads((out / "config.json").read_text())
        cls = getattr(transformers, config["architectures"][0])
        ref, info = cls.from_pretrained(out, output_loading_info=True)
        assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
        assert config["split"] == 10 and "auto_map" in config  # the original config's own keys are kept
        enc = model.tokenizer(SEQS, padding=True, return_tensors="pt")
        labels = torch.tensor([1, 0, 1]) if n == 2 else torch.where(enc["attention_mask"] > 0, 2, -100)
        ours, theirs = model(**enc, labels=labels), ref.eval()(**enc, labels=labels)
        torch.testing.assert_close(ours.logits, theirs.logits, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(ours.loss, theirs.loss, atol=1e-5, rtol=1e-5)
        back = zoo.load(out)
        assert back.spec.id == f"dnabert-{k}" and back.spec.task == task


def test_a_bin_file_with_an_old_pooler_keeps_it_under_a_sequence_head(
    zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path
) -> None:
    import shutil

    from dnallm_zoo.kit import read_state_dict

    src = tiny_dir(3, safetensors=False)
    d = tmp_path / "old"
    shutil.copytree(src, d)
    sd = read_state_dict(d / "pytorch_model.bin")
    h = json.loads((d / "config.json").read_text())["hidden_size"]
    sd["bert.pooler.dense.weight"] = torch.full((h, h), 0.01)
    sd["bert.pooler.dense.bias"] = torch.zeros(h)
    torch.save(sd, d / "pytorch_model.bin")
    from dnallm_zoo.compat import ZooModel

    with pytest.warns(NewWeightsWarning, match=r"initialized: \['classifier.bias', 'classifier.weight'\]"):
        model = ZooModel.from_pretrained(d, task="sequence-classification", num_labels=2)
    assert torch.equal(model.state_dict()["bert.pooler.dense.weight"], sd["bert.pooler.dense.weight"])
    tagger = _model(d, task="token-classification", num_labels=2)  # BertForTokenClassification has no pooler
    assert not any(key.startswith("bert.pooler") for key in tagger.state_dict())


@pytest.mark.parametrize("k", [3, 6])
def test_overlapping_kmers_map_to_k_bases_each(zoo: Any, tiny_dir: Callable[..., Path], k: int) -> None:
    import numpy as np

    from dnallm_zoo.tokenize.offsets import encode_per_base, token_spans

    tok = zoo.load(tiny_dir(k)).tokenizer
    seq = SEQS[0]
    spans = token_spans(tok, seq)
    assert spans[1:-1].tolist() == [[i, i + k] for i in range(len(seq) - k + 1)]
    assert tok.convert_ids_to_tokens(tok.encode(seq)[1:-1]) == [seq[s:e] for s, e in spans[1:-1].tolist()]
    labels = encode_per_base(tok, seq, [int(c in "GC") for c in seq])["labels"]
    assert labels[1:-1] == [int(seq[i + (k - 1) // 2] in "GC") for i in range(len(seq) - k + 1)]
    model = _model(tiny_dir(k), task="token-classification", num_labels=2)
    (probs,) = model.predict_bases([seq])
    enc = model.tokenizer([seq], return_tensors="pt")
    token_probs = torch.softmax(model(**enc).logits[0], -1).detach().numpy()
    assert np.allclose(probs[0], token_probs[1], atol=1e-6)  # base 0: only the first k-mer covers it
    assert np.allclose(probs[k - 1], token_probs[1 : k + 1].mean(0), atol=1e-6)  # base k-1: k k-mers
