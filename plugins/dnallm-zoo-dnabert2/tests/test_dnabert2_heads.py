"""DNABERT-2 task heads: the original BertForSequenceClassification layout, the token head, LoRA on Wqkv."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dnabert2_reference as ref
import numpy as np
import pytest
import torch

from dnallm_zoo.errors import NewWeightsWarning
from dnallm_zoo.kit import read_state_dict

SEQS = ["ACGTAGCATCGGATCTATCTATCGACACTTGG", "TTGACAGGCA", "ACGTNNACGTGGCCATTA"]
HEAD = ["bert.pooler.dense.bias", "bert.pooler.dense.weight", "classifier.bias", "classifier.weight"]


def _zoo_model(zoo: Any, path: Path, **head: Any) -> Any:
    from dnallm_zoo.compat import ZooModel

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ZooModel.from_pretrained(path, seed=0, **head)
    model.eval()
    model.new_weights_warnings = [w for w in caught if issubclass(w.category, NewWeightsWarning)]
    return model


def _saved_weights(path: Path) -> dict[str, torch.Tensor]:
    return read_state_dict(path / "model.safetensors")


def test_a_new_sequence_head_names_its_tensors_and_drops_the_mlm_head(
    zoo: Any, tiny_dir: Callable[..., Path]
) -> None:
    model = _zoo_model(zoo, tiny_dir(), task="sequence-classification", num_labels=3)
    (warning,) = model.new_weights_warnings
    assert "Some weights of BertForSequenceClassification were not initialized" in str(warning.message)
    assert str(HEAD) in str(warning.message)
    assert not any(k.startswith("cls.") for k in model.state_dict())
    std = float(model.encoder.config.get("initializer_range", 0.02))
    w = model.state_dict()["classifier.weight"]
    assert torch.count_nonzero(model.state_dict()["classifier.bias"]) == 0 and 0 < float(w.std()) < 3 * std
    again = _zoo_model(zoo, tiny_dir(), task="sequence-classification", num_labels=3)
    assert torch.equal(again.state_dict()["classifier.weight"], w)  # seeded


def test_the_sequence_head_is_the_original_layout_and_computes_the_original(
    zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path
) -> None:
    model = _zoo_model(zoo, tiny_dir(), task="sequence-classification", labels=["a", "b", "c"])
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["architectures"] == ["BertForSequenceClassification"]
    assert config["id2label"] == {"0": "a", "1": "b", "2": "c"} and config["label2id"]["c"] == 2
    assert config["num_labels"] == 3 and config["problem_type"] == "single_label_classification"
    assert "bert_layers.BertForSequenceClassification" in json.dumps(config.get("auto_map", {})) or \
        "auto_map" not in config
    sd = _saved_weights(tmp_path)
    assert {k: tuple(v.shape) for k, v in sd.items()} == ref.head_key_shapes(config, 3)
    enc = model.tokenizer(SEQS, padding=True, return_tensors="pt")
    got = model(**enc).logits
    want = ref.reference_sequence_logits(config, sd, enc["input_ids"], enc["attention_mask"])
    torch.testing.assert_close(got.double(), want, atol=1e-5, rtol=1e-5)
    alone = model(**model.tokenizer(SEQS[1:2], return_tensors="pt")).logits
    torch.testing.assert_close(alone[0], got[1], atol=1e-5, rtol=1e-5)  # padding changes nothing
    back = zoo.load(tmp_path)
    assert back.spec.task == "sequence-classification" and back.spec.labels == ("a", "b", "c")
    assert np.allclose(back.predict(SEQS), torch.softmax(got, -1).detach().numpy(), atol=1e-5)


def test_the_token_head_tags_every_position(zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path) -> None:
    model = _zoo_model(zoo, tiny_dir(), task="token-classification", num_labels=4)
    (warning,) = model.new_weights_warnings
    assert str(["classifier.bias", "classifier.weight"]) in str(warning.message)
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["architectures"] == ["BertForTokenClassification"]
    sd = _saved_weights(tmp_path)
    assert {k: tuple(v.shape) for k, v in sd.items()} == ref.head_key_shapes(config, 4, token=True)
    enc = model.tokenizer(SEQS, padding=True, return_tensors="pt")
    got = model(**enc).logits
    want = ref.reference_token_logits(config, sd, enc["input_ids"], enc["attention_mask"])
    real = enc["attention_mask"].bool()
    torch.testing.assert_close(got[real].double(), want[real], atol=1e-5, rtol=1e-5)
    labels = torch.where(real, 1, -100)
    loss = model(**enc, labels=labels).loss
    manual = torch.nn.functional.cross_entropy(got[real], labels[real])
    torch.testing.assert_close(loss, manual)


def test_dnabert_s_bare_weights_go_under_bert(zoo: Any, tmp_path: Path) -> None:
    from dnallm_zoo_dnabert2.checkpoint import write_checkpoint

    d = write_checkpoint(tmp_path / "s", bare=True)
    model = _zoo_model(zoo, d, task="sequence-classification", num_labels=2)
    bare = read_state_dict(next(p for p in d.iterdir() if p.name.endswith((".bin", ".safetensors"))))
    for key, tensor in bare.items():
        assert torch.equal(model.state_dict()["bert." + key], tensor)
    (warning,) = model.new_weights_warnings
    assert "['classifier.bias', 'classifier.weight']" in str(warning.message)  # the bare pooler is read


def test_lora_on_wqkv_trains_the_head_and_merges_into_the_original_layout(
    zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path
) -> None:
    from dnallm_zoo.compat import load_lora, merge_lora

    model = _zoo_model(zoo, tiny_dir(), task="sequence-classification", num_labels=2)
    assert model.lora_target_modules == ("Wqkv",)
    peft_model = model.lora(r=4)
    trainable = {n for n, p in peft_model.named_parameters() if p.requires_grad}
    assert any(".attention.self.Wqkv.lora_A." in n for n in trainable)
    assert any("classifier.modules_to_save" in n for n in trainable)
    assert any("bert.pooler.modules_to_save" in n for n in trainable)
    assert not any("mlp.wo" in n or "word_embeddings" in n for n in trainable)
    with torch.no_grad():  # as if trained: move the adapters and the head
        for p in peft_model.parameters():
            if p.requires_grad:
                p.add_(0.05 * torch.randn_like(p))
    enc = model.tokenizer(SEQS, padding=True, return_tensors="pt")
    peft_model.eval()
    want = peft_model(**enc).logits.detach()
    peft_model.save_pretrained(str(tmp_path / "adapter"))
    fresh = _zoo_model(zoo, tiny_dir(), task="sequence-classification", num_labels=2)
    reloaded = load_lora(fresh, tmp_path / "adapter").eval()
    torch.testing.assert_close(reloaded(**enc).logits, want, atol=1e-5, rtol=1e-5)
    merged = merge_lora(peft_model)
    merged.save_pretrained(tmp_path / "merged")
    config = json.loads((tmp_path / "merged" / "config.json").read_text())
    sd = _saved_weights(tmp_path / "merged")
    assert {k: tuple(v.shape) for k, v in sd.items()} == ref.head_key_shapes(config, 2)
    got = ref.reference_sequence_logits(config, sd, enc["input_ids"], enc["attention_mask"])
    torch.testing.assert_close(got.float(), want, atol=1e-5, rtol=1e-5)


def test_a_fine_tuned_dnabert2_directory_is_claimed(tmp_path: Path) -> None:
    from dnallm_zoo_dnabert2 import match_checkpoint
    from dnallm_zoo_dnabert2.checkpoint import original_config

    for arch in ("BertForSequenceClassification", "BertForTokenClassification"):
        config = original_config(vocab_size=4096) | {"architectures": [arch]}
        assert match_checkpoint(path=tmp_path, config=config) == "dnabert2-117m"


@pytest.mark.parametrize("seq", ["ACGTAGCATCGGATCTATCT", "ACGTNNACGTGGCCATTA", "A"])
def test_bpe_pieces_map_to_the_bases_they_spell(zoo: Any, tiny_dir: Callable[..., Path], seq: str) -> None:
    from dnallm_zoo.tokenize.offsets import encode_per_base, token_spans

    tok = zoo.load(tiny_dir()).tokenizer
    spans = token_spans(tok, seq)
    ids = tok.encode(seq)
    assert len(spans) == len(ids) and tuple(spans[0]) == (0, 0) and tuple(spans[-1]) == (0, 0)
    body = spans[1:-1]
    assert body[0, 0] == 0 and body[-1, 1] == len(seq) and (body[1:, 0] == body[:-1, 1]).all()
    for (s, e), t in zip(body.tolist(), tok.convert_ids_to_tokens(ids[1:-1]), strict=True):
        assert (t == "[UNK]" and seq[s:e] == "N") or seq[s:e] == t  # the piece spells its bases
    labels = list(range(len(seq)))
    got = encode_per_base(tok, seq, labels)["labels"]
    assert got[0] == got[-1] == -100
    assert got[1:-1] == [s + (e - s - 1) // 2 for s, e in body.tolist()]  # the centre base's label


@pytest.mark.slow
def test_a_short_trainer_run_lowers_the_loss(zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path) -> None:
    import random

    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    torch.manual_seed(0)
    model = _zoo_model(zoo, tiny_dir(), task="sequence-classification", num_labels=2)
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
    config = json.loads((tmp_path / "saved" / "config.json").read_text())
    sd = _saved_weights(tmp_path / "saved")
    assert {k: tuple(v.shape) for k, v in sd.items()} == ref.head_key_shapes(config, 2)


def test_attributions_sum_to_the_logit_change(zoo: Any, tiny_dir: Callable[..., Path]) -> None:
    """Integrated gradients through the ALiBi network; BPE pieces spread over their bases."""
    pytest.importorskip("captum")
    model = _zoo_model(zoo, tiny_dir(), task="sequence-classification", labels=["a", "b", "c"])
    enc = model.encoder
    rows = enc.explain([("x", SEQS[0]), ("y", SEQS[1])], target="c", steps=64)
    for a in rows:
        total = float(a.token_scores.astype(np.float64).sum())
        assert abs(total - (a.output - a.baseline_output)) <= abs(a.delta) + 1e-5
        assert abs(a.delta) < 0.02 * max(abs(a.output - a.baseline_output), 1e-3)
        assert float(a.base_scores.sum()) == pytest.approx(total, abs=1e-5)
        assert "".join(a.tokens[1:-1]) == a.bases  # BPE pieces spell the sequence once
