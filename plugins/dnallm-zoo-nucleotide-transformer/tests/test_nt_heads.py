"""NT task heads: transformers' EsmFor*Classification layout (v1) and the remote code's same layout
(v2), fine-tuned v2 directories with their id2label, saving in the original layout, LoRA, the probe."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nt_reference as ref
import pytest
import torch

import dnallm_zoo
from dnallm_zoo.kit import read_state_dict

SEQS = ["ACGTAGCATCGGATCTATCTATCGACACTTGG", "TTGACAGGCA", "ACGTNNACGTGGCCATTA"]


def _zoo_model(path: Path, **head: Any) -> Any:
    from dnallm_zoo.compat import ZooModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ZooModel.from_pretrained(path, seed=0, **head)
    return model.eval()


@pytest.mark.parametrize("task", ["sequence-classification", "token-classification"])
def test_v1_heads_save_into_transformers_classes(
    task: str, tiny: Callable[..., Path], tmp_path: Path
) -> None:
    import transformers

    model = _zoo_model(tiny(1), task=task, labels=["a", "b", "c"])
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    cls_name = {"sequence-classification": "EsmForSequenceClassification",
                "token-classification": "EsmForTokenClassification"}[task]
    assert config["architectures"] == [cls_name] and config["id2label"]["2"] == "c"
    original, info = getattr(transformers, cls_name).from_pretrained(str(tmp_path), output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    batch = model.tokenizer(SEQS, padding=True, return_tensors="pt")
    with torch.no_grad():
        want = original.eval()(**batch).logits
        got = model(**batch).logits
    rows = batch["attention_mask"].bool() if task == "token-classification" else slice(None)
    torch.testing.assert_close(got[rows], want[rows], atol=1e-5, rtol=0)
    again = dnallm_zoo.load(tmp_path)
    assert again.spec.task == task and again.spec.labels == ("a", "b", "c")


def test_a_v2_fine_tune_loads_with_its_labels_and_computes_the_original(
    tiny: Callable[..., Path], tmp_path: Path
) -> None:
    path = tiny(2, head="sequence-classification", labels=("non_promoter", "promoter"))
    enc = dnallm_zoo.load(path)
    assert enc.spec.task == "sequence-classification" and enc.spec.labels == ("non_promoter", "promoter")
    sd = read_state_dict(path / "model.safetensors")
    head = {k for k in sd if not k.startswith("esm.")}
    assert head == {"classifier.dense.weight", "classifier.dense.bias", "classifier.out_proj.weight",
                    "classifier.out_proj.bias"}  # the remote EsmForSequenceClassification's keys
    batch = enc.tokenizer(SEQS, padding=True, return_tensors="pt")
    config = json.loads((path / "config.json").read_text())
    last = ref.reference_v2(sd, config, batch["input_ids"], batch["attention_mask"])["last"]
    dense = torch.nn.functional.linear(last[:, 0], sd["classifier.dense.weight"], sd["classifier.dense.bias"])
    x = torch.tanh(dense)
    want = torch.nn.functional.linear(x, sd["classifier.out_proj.weight"], sd["classifier.out_proj.bias"])
    with torch.no_grad():
        got = enc.forward(batch["input_ids"], batch["attention_mask"], with_logits=True).logits
    torch.testing.assert_close(got, want, atol=1e-5, rtol=0)
    assert enc.predict(SEQS).shape == (3, 2)
    enc.save_pretrained(tmp_path)
    saved = read_state_dict(tmp_path / "model.safetensors")
    assert set(saved) == set(sd) and json.loads((tmp_path / "config.json").read_text())["id2label"] == \
        config["id2label"]


def test_a_new_v2_token_head_has_the_original_keys(tiny: Callable[..., Path], tmp_path: Path) -> None:
    model = _zoo_model(tiny(2), task="token-classification", num_labels=3)
    model.save_pretrained(tmp_path)
    saved = read_state_dict(tmp_path / "model.safetensors")
    assert {k for k in saved if not k.startswith("esm.")} == {"classifier.weight", "classifier.bias"}
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["architectures"] == ["EsmForTokenClassification"] and "auto_map" in config
    assert dnallm_zoo.load(tmp_path).spec.task == "token-classification"


def test_lora_on_attention_and_the_fused_feed_forward(tiny: Callable[..., Path]) -> None:
    model = _zoo_model(tiny(2), task="sequence-classification", num_labels=2)
    peft = model.lora(target_modules=["query", "key", "value", "intermediate.dense"])
    names = [n for n, _ in peft.named_modules() if n.endswith("lora_A")]
    assert any("intermediate.dense" in n for n in names) and any("attention.self.query" in n for n in names)
    assert not any("attention.output.dense" in n for n in names)
    batch = model.tokenizer(SEQS, padding=True, return_tensors="pt")
    out = peft(**batch, labels=torch.tensor([0, 1, 1]))
    out.loss.backward()
    assert model.lora_target_modules == ("query", "key", "value")


def test_the_probe_reads_the_head_alone(tiny: Callable[..., Path]) -> None:
    model = _zoo_model(tiny(1), task="sequence-classification", num_labels=2)
    batch = model.tokenizer(SEQS, padding=True, return_tensors="pt")
    with torch.no_grad():
        last = model.encode(batch["input_ids"], batch["attention_mask"])
        torch.testing.assert_close(model.head_logits(last, batch["attention_mask"]), model(**batch).logits)
    model.freeze_encoder()
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("classifier." in n for n in trainable)
