"""ProkBERT heads: the original ProkBertForSequenceClassification (masked attention pooling), tokens, LoRA."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch

import dnallm_zoo
from dnallm_zoo.errors import NewWeightsWarning
from dnallm_zoo.kit import read_state_dict

SEQS = ["ATGTCCGCGGGACCTATGTCCGCG", "ATGTCCGCGGG", "ATGTNCGCGGGACCTAAGC"]
HEAD = ["classifier.bias", "classifier.weight", "weighting_layer.bias", "weighting_layer.weight"]


def _model(path: Path, **head: Any) -> tuple[Any, list[warnings.WarningMessage]]:
    from dnallm_zoo.compat import ZooModel

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ZooModel.from_pretrained(path, seed=0, **head)
    return model.eval(), [w for w in caught if issubclass(w.category, NewWeightsWarning)]


def _trained_looking(model: Any) -> None:
    """Move the head off its neutral init, so pooling weights differ between tokens."""
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if not name.startswith("bert."):
                p.copy_(0.5 * torch.randn(p.shape, generator=g))


@pytest.mark.parametrize("model_id", ["prokbert-mini", "prokbert-mini-long"])
def test_the_sequence_head_is_the_original_layout_and_computes_the_original(
    registered: None, prokbert_dir: Callable[..., Path], reference: ModuleType, tmp_path: Path, model_id: str
) -> None:
    model, caught = _model(prokbert_dir(model_id), task="sequence-classification", labels=["no", "phage"])
    (w,) = caught
    assert "Some weights of ProkBertForSequenceClassification" in str(w.message)
    assert str(HEAD) in str(w.message)
    sd = model.state_dict()
    assert not any(k.startswith(("cls.", "bert.pooler")) for k in sd)
    assert torch.count_nonzero(sd["weighting_layer.weight"]) == 0  # neutral start, as the original
    _trained_looking(model)
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["architectures"] == ["ProkBertForSequenceClassification"]
    assert config["num_labels"] == config["num_class_labels"] == 2
    assert config["classifier_pooling"] == "attention"
    assert config["id2label"] == {"0": "no", "1": "phage"}
    saved = read_state_dict(tmp_path / "model.safetensors")
    body = set(reference.original_keys(config["num_hidden_layers"]))
    assert set(saved) == {k for k in body if k.startswith("bert.")} | set(HEAD)
    enc = model.tokenizer(SEQS, padding=True, return_tensors="pt")
    got = model(**enc).logits
    want = reference.reference_sequence_logits(saved, config, enc["input_ids"], enc["attention_mask"])
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    alone = model(**model.tokenizer(SEQS[1:2], return_tensors="pt")).logits
    torch.testing.assert_close(alone[0], got[1], atol=1e-5, rtol=1e-5)  # padding is not pooled
    unpadded = model.tokenizer(SEQS[:1], return_tensors="pt")  # the 2025 (unmasked) code agrees here
    old = reference.reference_sequence_logits(saved, config, unpadded["input_ids"], masked=False)
    torch.testing.assert_close(model(**unpadded).logits, old, atol=1e-5, rtol=1e-5)
    back = dnallm_zoo.load(tmp_path)
    assert back.spec.id == model_id and back.spec.labels == ("no", "phage")


def test_a_2025_classifier_with_its_unused_pooler_loads(
    registered: None, prokbert_dir: Callable[..., Path], tmp_path: Path
) -> None:
    from safetensors.torch import save_file

    model, _ = _model(prokbert_dir("prokbert-mini"), task="sequence-classification", num_labels=3)
    model.save_pretrained(tmp_path)
    sd = read_state_dict(tmp_path / "model.safetensors")
    h = model.encoder.hidden_size
    sd |= {"bert.pooler.dense.weight": torch.zeros(h, h), "bert.pooler.dense.bias": torch.zeros(h)}
    save_file(sd, str(tmp_path / "model.safetensors"))
    config = json.loads((tmp_path / "config.json").read_text())
    for key in ("num_labels", "label2id", "problem_type"):  # as the 2025 code wrote it: num_class_labels
        config.pop(key)
    config["id2label"] = {"0": "LABEL_0", "1": "LABEL_1"}  # and transformers' default id2label
    (tmp_path / "config.json").write_text(json.dumps(config))
    back = dnallm_zoo.load(tmp_path)
    assert back.spec.task == "sequence-classification" and back.spec.problem_type == "single-label"
    assert back.spec.labels == ("LABEL_0", "LABEL_1", "LABEL_2")


def test_the_token_head_and_lora(
    registered: None, prokbert_dir: Callable[..., Path], reference: ModuleType, tmp_path: Path
) -> None:
    from dnallm_zoo.compat import merge_lora

    model, caught = _model(prokbert_dir("prokbert-mini"), task="token-classification", num_labels=3)
    assert str(["classifier.bias", "classifier.weight"]) in str(caught[0].message)
    peft_model = model.lora(r=2)
    trainable = [n for n, p in peft_model.named_parameters() if p.requires_grad]
    assert any(".attention.self.query.lora_A" in n for n in trainable)
    assert any(".attention.self.value.lora_A" in n for n in trainable)
    assert any("classifier.modules_to_save" in n for n in trainable)
    with torch.no_grad():
        for p in peft_model.parameters():
            if p.requires_grad:
                p.add_(0.1 * torch.randn_like(p))
    enc = model.tokenizer(SEQS, padding=True, return_tensors="pt")
    want = peft_model.eval()(**enc).logits.detach()
    merge_lora(peft_model).save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["architectures"] == ["ProkBertForTokenClassification"]
    saved = read_state_dict(tmp_path / "model.safetensors")
    got = reference.reference_token_logits(saved, config, enc["input_ids"], enc["attention_mask"])
    real = enc["attention_mask"].bool()
    torch.testing.assert_close(got[real], want[real], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("model_id", "shift"), [("prokbert-mini", 1), ("prokbert-mini-long", 2),
                                                   ("prokbert-mini-c", 1)])
def test_lca_windows_map_to_their_bases(
    registered: None, prokbert_dir: Callable[..., Path], model_id: str, shift: int
) -> None:
    from dnallm_zoo.tokenize.offsets import encode_per_base, token_spans

    tok = dnallm_zoo.load(prokbert_dir(model_id)).tokenizer
    seq = "ATGTCCGCGGGACCTA"
    spans = token_spans(tok, seq)
    k = tok.k
    assert spans[1:-1].tolist() == [[i, i + k] for i in range(0, len(seq) - k + 1, shift)]
    labels = encode_per_base(tok, seq, [i % 3 for i in range(len(seq))])["labels"]
    assert labels[1:-1] == [(i + (k - 1) // 2) % 3 for i in range(0, len(seq) - k + 1, shift)]


@pytest.mark.slow
def test_a_short_trainer_run_lowers_the_loss(
    registered: None, prokbert_dir: Callable[..., Path], tmp_path: Path
) -> None:
    import random

    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    torch.manual_seed(0)
    model, _ = _model(prokbert_dir("prokbert-mini"), task="sequence-classification", num_labels=2)
    tok, rng = model.tokenizer, random.Random(0)
    rows = []
    for i in range(32):
        seq = "".join(rng.choice("AC" if i % 2 else "GT") for _ in range(rng.randint(12, 30)))
        rows.append({**tok(seq), "label": i % 2})
    args = TrainingArguments(
        output_dir=str(tmp_path / "run"), per_device_train_batch_size=8, num_train_epochs=4,
        learning_rate=5e-3, logging_steps=4, save_strategy="no", report_to=[], use_cpu=True, seed=0,
        disable_tqdm=True,
    )
    trainer = Trainer(model=model, args=args, train_dataset=rows, data_collator=DataCollatorWithPadding(tok))
    trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert losses[-1] < losses[0] - 0.05, losses
    trainer.save_model(str(tmp_path / "saved"))
    assert set(read_state_dict(tmp_path / "saved" / "model.safetensors")) == set(model.state_dict())
    assert dnallm_zoo.load(tmp_path / "saved").spec.task == "sequence-classification"


@pytest.mark.parametrize("model_id", ["prokbert-mini", "prokbert-mini-long"])
def test_attributions_sum_to_the_logit_change(
    registered: None, prokbert_dir: Callable[..., Path], model_id: str
) -> None:
    """Integrated gradients through the relative-position network; LCA windows spread over their bases."""
    pytest.importorskip("captum")
    model, _ = _model(prokbert_dir(model_id), task="sequence-classification", labels=["no", "phage"])
    _trained_looking(model)
    enc = model.encoder
    for a in enc.explain([("s", SEQS[0]), ("t", SEQS[2])], target="phage", steps=64):
        total = float(a.token_scores.astype("float64").sum())
        assert abs(total - (a.output - a.baseline_output)) <= abs(a.delta) + 1e-5
        assert abs(a.delta) < 0.02 * max(abs(a.output - a.baseline_output), 1e-3)
        assert float(a.base_scores.sum()) == pytest.approx(total, abs=1e-5)
        assert len(a.base_scores) == len(a.bases)
