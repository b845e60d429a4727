"""MutBERT's sequence classifier in the original RoPEBertForSequenceClassification layout; LoRA; MLM keys."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mutbert_reference as ref
import numpy as np
import torch

from dnallm_zoo.errors import NewWeightsWarning
from dnallm_zoo.kit import read_config, read_state_dict

SEQS = ["ACGTAGCATCGGATCTATCTATCGACACTTGG", "TTGACAGGCA", "ACGTNNACGTGGCCATTA"]


def _zoo_model(path: Path, **head: Any) -> Any:
    from dnallm_zoo.compat import ZooModel

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ZooModel.from_pretrained(path, seed=0, **head)
    model.eval()
    model.new_weights_warnings = [w for w in caught if issubclass(w.category, NewWeightsWarning)]
    return model


def test_the_pretrained_file_is_the_original_mlm_layout(tiny_dir: Callable[..., Path]) -> None:
    path = tiny_dir()
    sd = read_state_dict(path / "pytorch_model.bin")
    keys = {k: tuple(v.shape) for k, v in sd.items()}
    want = ref.original_key_shapes(read_config(path))
    assert {k: s for k, s in keys.items() if "decoder" not in k} == want
    assert len(keys) == len(want) + 2  # + the tied decoder weight and bias, as torch.save keeps them


def test_a_new_sequence_head_saves_the_original_layout_and_computes_the_original(
    zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path
) -> None:
    model = _zoo_model(tiny_dir(), task="sequence-classification", labels=["a", "b"])
    (warning,) = model.new_weights_warnings
    assert "RoPEBertForSequenceClassification" in str(warning.message)
    assert "['classifier.bias', 'classifier.weight']" in str(warning.message)
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["architectures"] == ["RoPEBertForSequenceClassification"]
    assert config["auto_map"]["AutoModelForSequenceClassification"] == \
        "modeling_mutbert.RoPEBertForSequenceClassification"  # the original class loads it
    sd = read_state_dict(tmp_path / "model.safetensors")
    assert {k: tuple(v.shape) for k, v in sd.items()} == ref.original_key_shapes(config, 2)
    enc = model.tokenizer(SEQS, return_tensors="pt", padding=True)
    got = model(**enc).logits
    hidden, _ = ref.encoder(sd, config, ref.one_hot(enc["input_ids"]), enc["attention_mask"])
    want = ref.classifier_logits(sd, hidden[-1], enc["attention_mask"])
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    back = zoo.load(tmp_path, device="cpu")
    assert back.spec.task == "sequence-classification" and back.spec.labels == ("a", "b")
    np.testing.assert_allclose(back.predict(SEQS), torch.softmax(got, -1).detach().numpy(), atol=1e-5)


def test_the_first_token_pooler_is_read_when_the_config_asks_for_it(
    tiny_dir: Callable[..., Path], tmp_path: Path
) -> None:
    model = _zoo_model(tiny_dir(pooler_type="first_token_transform"), task="sequence-classification",
                       num_labels=3)
    (warning,) = model.new_weights_warnings
    assert "bert.pooler.dense.weight" in str(warning.message)
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    sd = read_state_dict(tmp_path / "model.safetensors")
    assert {k: tuple(v.shape) for k, v in sd.items()} == ref.original_key_shapes(config, 3)


def test_lora_on_query_and_value_trains_the_classifier(tiny_dir: Callable[..., Path], tmp_path: Path) -> None:
    from dnallm_zoo.compat import merge_lora

    model = _zoo_model(tiny_dir(), task="sequence-classification", num_labels=2)
    peft_model = model.lora(r=4)
    trainable = {n for n, p in peft_model.named_parameters() if p.requires_grad}
    assert any(".attention.self.query.lora_A." in n for n in trainable)
    assert any(".attention.self.value.lora_A." in n for n in trainable)
    assert any("classifier.modules_to_save" in n for n in trainable)
    assert not any("word_embeddings" in n or ".key." in n for n in trainable)
    with torch.no_grad():
        for p in peft_model.parameters():
            if p.requires_grad:
                p.add_(0.05 * torch.randn_like(p))
    enc = model.tokenizer(SEQS, return_tensors="pt", padding=True)
    peft_model.eval()
    want = peft_model(**enc).logits.detach()
    merge_lora(peft_model).save_pretrained(tmp_path / "merged")
    config = json.loads((tmp_path / "merged" / "config.json").read_text())
    sd = read_state_dict(tmp_path / "merged" / "model.safetensors")
    assert {k: tuple(v.shape) for k, v in sd.items()} == ref.original_key_shapes(config, 2)
    hidden, _ = ref.encoder(sd, config, ref.one_hot(enc["input_ids"]), enc["attention_mask"])
    torch.testing.assert_close(ref.classifier_logits(sd, hidden[-1], enc["attention_mask"]), want,
                               atol=1e-5, rtol=1e-5)
