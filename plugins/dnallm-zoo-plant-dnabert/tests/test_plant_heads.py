"""Plant DNABERT heads: transformers' BERT heads on each tokenizer, per-base mapping, the CLI on a head."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import dnallm_zoo
from dnallm_zoo.errors import CheckpointError, NewWeightsWarning

BASES = ["plant-dnabert-bpe", "plant-dnabert-6mer", "plant-dnabert-singlebase"]
SEQS = ["ATCGGATTACAGGCATTAGCCA", "ATCGNATTACAGGG", "AAAAAAC"]


def _model(path: Path, **head: Any) -> Any:
    from dnallm_zoo.compat import ZooModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NewWeightsWarning)
        return ZooModel.from_pretrained(path, seed=0, **head).eval()


@pytest.mark.parametrize("model_id", BASES)
def test_a_new_head_is_transformers_bert_for_sequence_classification(
    tiny: Callable[[str], Path], tmp_path: Path, model_id: str
) -> None:
    from transformers import BertForSequenceClassification

    with pytest.warns(NewWeightsWarning, match=r"\['bert.pooler.dense.bias', 'bert.pooler.dense.weight', "
                                               r"'classifier.bias', 'classifier.weight'\]"):
        dnallm_zoo.load(tiny(model_id), task="sequence-classification", num_labels=3)
    model = _model(tiny(model_id), task="sequence-classification", labels=["closed", "open", "partial"])
    model.save_pretrained(tmp_path)
    ref, info = BertForSequenceClassification.from_pretrained(tmp_path, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    enc = model.tokenizer(SEQS, padding=True, return_tensors="pt")
    labels = torch.tensor([0, 2, 1])
    ours, theirs = model(**enc, labels=labels), ref.eval()(**enc, labels=labels)
    torch.testing.assert_close(ours.logits, theirs.logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours.loss, theirs.loss, atol=1e-5, rtol=1e-5)
    back = dnallm_zoo.load(tmp_path)  # not one of the published tasks: the base model, the head from config
    assert back.spec.id == model_id and back.spec.labels == ("closed", "open", "partial")


def test_a_published_classifier_keeps_its_head_and_size(tiny: Callable[[str], Path]) -> None:
    path = tiny("plant-dnabert-6mer-open_chromatin")
    enc = dnallm_zoo.load(path, task="sequence-classification")
    assert enc.spec.id == "plant-dnabert-6mer-open_chromatin" and len(enc.spec.labels or ()) == 3
    with pytest.raises(CheckpointError, match="head of 3 labels"):
        dnallm_zoo.load(path, task="sequence-classification", num_labels=2)


@pytest.mark.parametrize("model_id", BASES)
def test_tokens_map_to_the_bases_they_spell(tiny: Callable[[str], Path], model_id: str) -> None:
    from dnallm_zoo.tokenize.offsets import encode_per_base, token_spans

    tok = dnallm_zoo.load(tiny(model_id)).tokenizer
    for seq in SEQS:
        ids = tok.encode(seq)
        spans = token_spans(tok, seq)
        special = set(tok.prefix_ids.tolist()) | set(tok.suffix_ids.tolist())
        texts = tok.convert_ids_to_tokens(ids)
        rows = list(zip(spans.tolist(), ids.tolist(), texts, strict=True))
        body = [(s, e, t) for (s, e), i, t in rows if i not in special]
        assert [s for s, _, _ in body] == [0, *[e for _, e, _ in body[:-1]]] and body[-1][1] == len(seq)
        for s, e, t in body:
            assert seq[s:e] == t or (t in ("[UNK]", "<unk>") and e - s == 1)
        got = encode_per_base(tok, seq, list(range(len(seq))))["labels"]
        want = [-100 if i in special else s + (e - s - 1) // 2 for (s, e), i, _ in rows]
        assert got == want
    if model_id == "plant-dnabert-6mer":  # 6-mers, then single letters where no 6-mer fits
        spans = token_spans(tok, "ATCGNATTACAGGG")[1:]
        assert spans.tolist() == [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 11], [11, 12], [12, 13],
                                  [13, 14]]


def test_a_token_head_predicts_per_base(tiny: Callable[[str], Path], tmp_path: Path) -> None:
    from transformers import BertForTokenClassification

    model = _model(tiny("plant-dnabert-6mer"), task="token-classification", num_labels=2)
    probs = model.predict_bases(SEQS)
    assert [p.shape for p in probs] == [(len(s), 2) for s in SEQS]
    assert all(np.allclose(p.sum(1), 1.0, atol=1e-5) for p in probs)
    enc = model.tokenizer(SEQS[1:2], return_tensors="pt")
    token_probs = torch.softmax(model(**enc).logits[0], -1).detach().numpy()
    assert np.allclose(probs[1][5:11], token_probs[6], atol=1e-6)  # the 6-mer ATTACA covers bases 5..10
    saved = tmp_path / "tagger"
    model.save_pretrained(saved)
    ref, info = BertForTokenClassification.from_pretrained(saved, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    enc = model.tokenizer(SEQS, padding=True, return_tensors="pt")
    torch.testing.assert_close(ref.eval()(**enc).logits, model(**enc).logits, atol=1e-5, rtol=1e-5)


def test_predict_on_the_command_line_with_a_fine_tuned_directory(
    tiny: Callable[[str], Path], tmp_path: Path
) -> None:
    from dnallm_zoo.cli import cli

    model = _model(tiny("plant-dnabert-singlebase"), task="sequence-classification", labels=["no", "yes"])
    model.save_pretrained(tmp_path / "ft")
    fa = tmp_path / "in.fa"
    fa.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(SEQS)))
    out = tmp_path / "p.npz"
    result = CliRunner().invoke(cli, ["predict", str(fa), "--model", str(tmp_path / "ft"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with np.load(out) as z:
        want = dnallm_zoo.load(tmp_path / "ft").predict(SEQS)
        np.testing.assert_allclose(z["probabilities"], want, rtol=1e-5)
    config = json.loads((tmp_path / "ft" / "config.json").read_text())
    assert config["id2label"] == {"0": "no", "1": "yes"}
