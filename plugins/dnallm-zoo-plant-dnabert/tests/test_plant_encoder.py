"""Plant DNABERT through dnallm-zoo against transformers' BERT classes on the same tiny weights."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from dnallm_zoo_plant_dnabert import encoder as encoder_module
from dnallm_zoo_plant_dnabert.encoder import PlantDNABERTEncoder

from dnallm_zoo import CheckpointError, get_spec, load

ATOL = 1e-5
SEQS = [
    "ATCGGATTACAGNNACGTTTGACAGGGTACCATGCA" * 3,
    "ACGGT",
    "TTTTTTTTTTTTTTTTACNGATTACA",
    "GATTACAGATTACAGATTACANNNNNNNNNNACGTACGTAGCTAGCTTTAACCGG",
]


def _reference(path: Path, classifier: bool) -> torch.nn.Module:
    from transformers import BertForMaskedLM, BertForSequenceClassification

    cls = BertForSequenceClassification if classifier else BertForMaskedLM
    return cls.from_pretrained(str(path), attn_implementation="eager").eval()


@pytest.mark.parametrize("model_id", ["plant-dnabert-bpe", "plant-dnabert-6mer",
                                      "plant-dnabert-singlebase"])
def test_hidden_states_match_transformers(tiny: Callable[[str], Path], model_id: str) -> None:
    path = tiny(model_id)
    enc = load(path)
    assert isinstance(enc, PlantDNABERTEncoder) and enc.spec.id == model_id
    batch = enc.tokenizer(SEQS, padding=True, return_tensors="pt")
    ref = _reference(path, classifier=False)
    with torch.no_grad():
        want = ref(**batch, output_hidden_states=True)
        got = enc.forward(batch["input_ids"], batch["attention_mask"], output_hidden_states=True,
                          with_logits=True)
    real = batch["attention_mask"].bool()
    assert got.hidden_states is not None and len(got.hidden_states) == len(want.hidden_states) == 3
    for g, w in zip(got.hidden_states, want.hidden_states, strict=True):
        torch.testing.assert_close(g[real], w[real], atol=ATOL, rtol=0)
    torch.testing.assert_close(got.last_hidden_state[real], want.hidden_states[-1][real],
                               atol=ATOL, rtol=0)
    assert got.logits is not None
    torch.testing.assert_close(got.logits[real], want.logits[real], atol=ATOL, rtol=0)
    # the pipeline: mean pooling over real tokens, each sequence alone
    emb = enc.embed(SEQS, pooling="mean")
    last = want.hidden_states[-1]
    m = batch["attention_mask"].unsqueeze(-1).float()
    np.testing.assert_allclose(emb, ((last * m).sum(1) / m.sum(1)).numpy(), atol=ATOL, rtol=0)


@pytest.mark.parametrize("model_id", [
    "plant-dnabert-6mer-promoter",              # binary: softmax
    "plant-dnabert-singlebase-open_chromatin",  # 3 classes: softmax
    "plant-dnabert-bpe-promoter_strength_leaf",  # regression: the raw value
])
def test_classifier_matches_transformers(tiny: Callable[[str], Path], model_id: str) -> None:
    path = tiny(model_id)
    enc = load(path)
    spec = enc.spec
    assert spec.id == model_id and spec.task == "sequence-classification"
    batch = enc.tokenizer(SEQS, padding=True, return_tensors="pt")
    ref = _reference(path, classifier=True)
    with torch.no_grad():
        want = ref(**batch).logits
        got = enc.forward(batch["input_ids"], batch["attention_mask"], with_logits=True).logits
    assert got is not None and got.shape == (len(SEQS), len(spec.labels or ()))
    torch.testing.assert_close(got, want, atol=ATOL, rtol=0)
    probs = enc.predict(SEQS)
    expect = want.numpy() if spec.problem_type == "regression" else torch.softmax(want, -1).numpy()
    np.testing.assert_allclose(probs, expect, atol=ATOL, rtol=0)
    if spec.problem_type != "regression":
        np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-6)


def test_classifier_head_loads_strictly(tiny: Callable[[str], Path], tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    path = tmp_path / "c"
    shutil.copytree(tiny("plant-dnabert-6mer-promoter"), path)
    sd = load_file(str(path / "model.safetensors"))
    assert {"bert.pooler.dense.weight", "classifier.weight"} <= set(sd)
    del sd["bert.pooler.dense.weight"]
    save_file(sd, str(path / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"missing 1: bert\.pooler\.dense\.weight"):
        PlantDNABERTEncoder.from_pretrained(path, get_spec("plant-dnabert-6mer-promoter"))


def test_pickle_weights_load(tmp_path: Path) -> None:
    """Older repositories ship pytorch_model.bin; it is read with weights_only=True."""
    from dnallm_zoo_plant_dnabert.checkpoint import write_test_checkpoint

    spec = get_spec("plant-dnabert-singlebase-promoter")
    path = write_test_checkpoint(spec, tmp_path / "bin", safetensors=False)
    assert not (path / "model.safetensors").exists()
    probs = PlantDNABERTEncoder.from_pretrained(path, spec).predict(["ACGTACGTAC"])
    assert probs.shape == (1, 2)


def test_pad_disagreement_is_told_once(tiny: Callable[[str], Path],
                                       caplog: pytest.LogCaptureFixture) -> None:
    encoder_module._TOLD.clear()
    path = tiny("plant-dnabert-6mer")
    with caplog.at_level(logging.WARNING, logger=encoder_module.__name__):
        first = load(path)
        load(path)
    told = [r for r in caplog.records if "pad_token_id" in r.getMessage()]
    assert len(told) == 1, [r.getMessage() for r in told]
    assert "pad_token_id 0" in told[0].getMessage()
    assert first.config["pad_token_id"] == 0 and first.tokenizer.pad_token_id == 1
    ids, _ = first.tokenizer.pad([np.array([3, 4]), np.array([3])])
    assert ids[1, 1] == 1
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=encoder_module.__name__):
        load(tiny("plant-dnabert-singlebase"))  # config and tokenizer agree: nothing to say
    assert not [r for r in caplog.records if "pad_token_id" in r.getMessage()]


def test_save_and_reload(tiny: Callable[[str], Path], tmp_path: Path) -> None:
    enc = load(tiny("plant-dnabert-6mer-conservation"))
    enc.save_pretrained(tmp_path / "saved")
    again = load(tmp_path / "saved")
    assert again.spec.id == enc.spec.id
    np.testing.assert_allclose(again.predict(SEQS), enc.predict(SEQS), atol=1e-6, rtol=0)


def test_long_input_is_chunked_below_the_token_limit(tiny: Callable[[str], Path]) -> None:
    enc = load(tiny("plant-dnabert-6mer"))
    rng = np.random.default_rng(0)
    seq = bytes(rng.choice(np.frombuffer(b"ACGTN", np.uint8), 7000,
                           p=[0.24, 0.24, 0.24, 0.24, 0.04])).decode()
    vec = enc.embed([seq])
    assert vec.shape == (1, enc.hidden_size) and np.isfinite(vec).all()


@pytest.mark.parametrize(("id2label", "warned"), [
    ({"0": "Core promoter", "1": "Not promoter"}, True),  # swapped: worth a word
    ({"0": "LABEL_0", "1": "LABEL_1"}, False),            # generic: the spec names them
    ({"0": "not promoter", "1": "core promoter"}, False),  # the same names
])
def test_label_names_checked_against_the_spec(
    tiny: Callable[[str], Path], tmp_path: Path, caplog: pytest.LogCaptureFixture,
    id2label: dict[str, str], warned: bool,
) -> None:
    path = tmp_path / "c"
    shutil.copytree(tiny("plant-dnabert-6mer-promoter"), path)
    cfg = json.loads((path / "config.json").read_text())
    cfg["id2label"] = id2label
    cfg["label2id"] = {v: int(k) for k, v in id2label.items()}
    (path / "config.json").write_text(json.dumps(cfg))
    with caplog.at_level(logging.WARNING, logger=encoder_module.__name__):
        PlantDNABERTEncoder.from_pretrained(path, get_spec("plant-dnabert-6mer-promoter"))
    said = [r.getMessage() for r in caplog.records if "names the labels" in r.getMessage()]
    assert bool(said) is warned, said
