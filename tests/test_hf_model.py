"""Task heads on a stock BERT family: transformers' classes exactly, Trainer, save/reload, LoRA, per-base."""

from __future__ import annotations

import json
import random
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from dnallm_zoo import ArchitectureSpec, ModelSpec, TokenizerSpec, WeightsSource, ZooError
from dnallm_zoo.errors import CheckpointError, InputError, NewWeightsWarning
from dnallm_zoo.kit import StockFamily, kmer_capabilities, read_state_dict

KMER = TokenizerSpec(kind="kmer", k=3, max_tokens=40)
BPE = TokenizerSpec(kind="bpe", vocab_file="tokenizer.json", max_tokens=40)
CITATION = "@misc{headdemo, title = {A stock BERT for head tests}, year = {2025}}"


def _spec(model_id: str, tokenizer: TokenizerSpec, **kw: Any) -> ModelSpec:
    from dnallm_zoo import Capabilities

    caps = kmer_capabilities(tokenizer) if tokenizer.kind == "kmer" else Capabilities(max_bases=60)
    return ModelSpec(
        id=model_id, family="headdemo", description="a tiny stock BERT", license="MIT", citation=CITATION,
        tokenizer=tokenizer, weights=WeightsSource(repo_id=f"someone/{model_id}"),
        architecture=ArchitectureSpec(kind="bert", hidden_size=32, num_layers=2, num_heads=4, max_tokens=64),
        capabilities=caps, task="masked-lm", **kw,
    )


SPECS = (_spec("headdemo-3mer", KMER), _spec("headdemo-bpe", BPE))
FAMILY = StockFamily("headdemo", SPECS)
SEQS = ["ACGTAGCATCGGATCTATCTATCG", "TTGACAGG", "ACGTNNACGTGGCCATTAGCA"]


@pytest.fixture
def zoo(zoo_isolated: Any, zoo_plugin: Callable[..., str]) -> Any:
    import dnallm_zoo

    zoo_plugin(FAMILY, name="headdemo")
    return dnallm_zoo


@pytest.fixture
def base(zoo: Any, tmp_path: Path) -> Path:
    """A base (masked-LM) checkpoint whose file also carries an old, untrained pooler."""
    from safetensors.torch import save_file

    from dnallm_zoo.testing import make_test_checkpoint

    d = make_test_checkpoint("headdemo-3mer", tmp_path / "base")
    sd = read_state_dict(d / "model.safetensors")
    g = torch.Generator().manual_seed(1)
    sd["bert.pooler.dense.weight"] = 0.1 * torch.randn(32, 32, generator=g)
    sd["bert.pooler.dense.bias"] = 0.1 * torch.randn(32, generator=g)
    save_file(sd, str(d / "model.safetensors"), metadata={"format": "pt"})
    return d


def _zoo_model(path: Path, **head: Any) -> tuple[Any, list[warnings.WarningMessage]]:
    from dnallm_zoo.compat import ZooModel

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ZooModel.from_pretrained(path, **head)
    return model, [w for w in caught if issubclass(w.category, NewWeightsWarning)]


def _features(tok: Any, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """Sequences of A/C (label 1) or G/T (label 0), as HF features."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        y = i % 2
        letters = "AC" if y else "GT"
        seq = "".join(rng.choice(letters) for _ in range(rng.randint(8, 30)))
        enc = tok(seq)
        rows.append({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"], "label": y})
    return rows


# --------------------------------------------------------------------------- new heads
def test_a_new_head_is_reported_by_the_names_of_its_tensors(base: Path) -> None:
    model, caught = _zoo_model(base, task="sequence-classification", num_labels=3, seed=0)
    (w,) = caught
    assert w.filename == __file__  # points at the caller, not at the zoo's internals
    assert str(w.message).startswith("Some weights of BertForSequenceClassification were not initialized "
                                     f"from the model checkpoint at {base} and are newly initialized: "
                                     "['classifier.bias', 'classifier.weight']")
    sd = model.state_dict()
    file = read_state_dict(base / "model.safetensors")
    # the file's pooler is read, as transformers reads it
    assert torch.equal(sd["bert.pooler.dense.weight"], file["bert.pooler.dense.weight"])
    assert not any(k.startswith("cls.") for k in sd)  # the MLM head is dropped
    assert torch.count_nonzero(sd["classifier.bias"]) == 0
    assert abs(float(sd["classifier.weight"].std()) - 0.02) < 0.01  # normal(0, initializer_range)
    again, _ = _zoo_model(base, task="sequence-classification", num_labels=3, seed=0)
    other, _ = _zoo_model(base, task="sequence-classification", num_labels=3, seed=1)
    assert torch.equal(again.state_dict()["classifier.weight"], sd["classifier.weight"])
    assert not torch.equal(other.state_dict()["classifier.weight"], sd["classifier.weight"])


def test_every_other_key_still_loads_strictly(base: Path, tmp_path: Path) -> None:
    import shutil

    from safetensors.torch import save_file

    bad = tmp_path / "bad"
    shutil.copytree(base, bad)
    sd = read_state_dict(bad / "model.safetensors")
    del sd["bert.encoder.layer.1.output.dense.bias"]
    sd["bert.extra.weight"] = torch.zeros(2)
    save_file(sd, str(bad / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"missing 1: bert.encoder.layer.1.output.dense.bias.*"
                                              r"unexpected 1: bert.extra.weight"):
        _zoo_model(bad, task="sequence-classification", num_labels=2)


def test_head_requests_are_checked(zoo: Any, base: Path) -> None:
    with pytest.raises(InputError, match="num_labels=3 but 2 labels"):
        zoo.load(base, task="sequence-classification", num_labels=3, labels=["a", "b"])
    with pytest.raises(InputError, match="problem_type 'ranking'"):
        zoo.load(base, task="sequence-classification", problem_type="ranking")
    with pytest.raises(InputError, match="need task="):
        zoo.load(base, num_labels=2)
    with pytest.raises(InputError, match="single-label"):
        zoo.load(base, task="token-classification", problem_type="multi-label")
    enc = zoo.load(base, task="sequence-classification", num_labels=1)
    assert enc.spec.problem_type == "regression" and enc.spec.labels == ("LABEL_0",)
    enc = zoo.load(base, task="sequence-classification", labels=["x", "y", "z"],
                   problem_type="multi_label_classification")
    assert enc.spec.problem_type == "multi-label"
    assert enc.config["problem_type"] == "multi_label_classification"


# --------------------------------------------------------------------------- transformers' own classes
def _pair(base: Path, tmp_path: Path, task: str, **head: Any) -> tuple[Any, Any]:
    import transformers

    model, _ = _zoo_model(base, task=task, seed=0, **head)
    model.save_pretrained(tmp_path / "ft")
    cls = getattr(transformers, json.loads((tmp_path / "ft" / "config.json").read_text())["architectures"][0])
    ref, info = cls.from_pretrained(tmp_path / "ft", output_loading_info=True)
    assert info["missing_keys"] == set() and info["unexpected_keys"] == set() == info["mismatched_keys"]
    return model, ref


@pytest.mark.parametrize(("problem", "n", "make"), [
    ("single-label", 3, lambda b: torch.tensor([0, 2, 1][:b])),
    ("multi-label", 3, lambda b: torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]][:b])),
    ("regression", 1, lambda b: torch.tensor([0.5, -1.0, 2.0][:b])),
    ("regression", 2, lambda b: torch.tensor([[0.5, 1.0], [-1.0, 0.0], [2.0, 0.3]][:b])),
])
def test_logits_loss_and_gradients_equal_bert_for_sequence_classification(
    base: Path, tmp_path: Path, problem: str, n: int, make: Callable[[int], torch.Tensor]
) -> None:
    model, ref = _pair(base, tmp_path, "sequence-classification", num_labels=n, problem_type=problem)
    assert ref.config.problem_type == {"single-label": "single_label_classification",
                                       "multi-label": "multi_label_classification"}.get(problem, problem)
    model.eval()
    ref.eval()
    enc = model.tokenizer(SEQS, padding=True, return_tensors="pt")
    labels = make(len(SEQS))
    ours = model(**enc, labels=labels)
    theirs = ref(**enc, labels=labels)
    torch.testing.assert_close(ours.logits, theirs.logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours.loss, theirs.loss, atol=1e-5, rtol=1e-5)
    ours.loss.backward()
    theirs.loss.backward()
    grads = dict(ref.named_parameters())
    for name, p in model.named_parameters():
        torch.testing.assert_close(p.grad, grads[name].grad, atol=1e-5, rtol=1e-5, msg=name)


def test_the_token_head_equals_bert_for_token_classification(base: Path, tmp_path: Path) -> None:
    model, ref = _pair(base, tmp_path, "token-classification", num_labels=4)
    model.eval()
    ref.eval()
    enc = model.tokenizer(SEQS, padding=True, return_tensors="pt")
    labels = torch.randint(0, 4, enc["input_ids"].shape, generator=torch.Generator().manual_seed(0))
    labels[enc["attention_mask"] == 0] = -100
    labels[:, 0] = -100
    ours, theirs = model(**enc, labels=labels), ref(**enc, labels=labels)
    torch.testing.assert_close(ours.logits, theirs.logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours.loss, theirs.loss, atol=1e-5, rtol=1e-5)
    assert type(ours).__name__ == "TokenClassifierOutput"


def test_dropout_is_the_originals_in_train_mode(base: Path, tmp_path: Path) -> None:
    model, ref = _pair(base, tmp_path, "sequence-classification", num_labels=2)
    model.train()
    ref.train()
    enc = model.tokenizer(SEQS, padding=True, return_tensors="pt")
    torch.manual_seed(3)
    ours = model(**enc).logits
    torch.manual_seed(3)
    theirs = ref(**enc).logits
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
    assert model.training and model.encoder.module.training


# --------------------------------------------------------------------------- Trainer, save, reload
@pytest.mark.slow
def test_a_short_trainer_run_lowers_the_loss_and_saves_the_original_layout(
    base: Path, tmp_path: Path
) -> None:
    from transformers import (
        BertForSequenceClassification,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

    torch.manual_seed(0)
    model, _ = _zoo_model(base, task="sequence-classification", labels=["gt", "ac"], seed=0)
    tok = model.tokenizer
    train = _features(tok, 32)
    args = TrainingArguments(
        output_dir=str(tmp_path / "run"), per_device_train_batch_size=8, num_train_epochs=6,
        learning_rate=5e-3, logging_steps=4, save_strategy="no", report_to=[], use_cpu=True, seed=0,
        disable_tqdm=True,
    )
    trainer = Trainer(model=model, args=args, train_dataset=train, data_collator=DataCollatorWithPadding(tok),
                      processing_class=tok)
    trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert losses[-1] < losses[0] - 0.05, losses
    out = tmp_path / "saved"
    trainer.save_model(str(out))
    assert {"config.json", "model.safetensors", "vocab.txt"} <= {p.name for p in out.iterdir()}
    config = json.loads((out / "config.json").read_text())
    assert config["architectures"] == ["BertForSequenceClassification"]
    assert config["id2label"] == {"0": "gt", "1": "ac"} and config["label2id"] == {"gt": 0, "ac": 1}
    assert config["num_labels"] == 2 and config["problem_type"] == "single_label_classification"
    ref, info = BertForSequenceClassification.from_pretrained(out, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    import dnallm_zoo

    back = dnallm_zoo.load(out)
    assert back.spec.task == "sequence-classification" and back.spec.labels == ("gt", "ac")
    model.eval()
    ref.eval()
    batch = DataCollatorWithPadding(tok)(train[:5])
    batch.pop("labels")
    want = torch.softmax(ref(**batch).logits, -1).detach().numpy()
    probs = back.predict(["ACACCACAAC", "GTTGTGGTTG"])
    assert probs.shape == (2, 2) and probs[0, 1] > probs[1, 1]  # it learnt AC vs GT
    assert np.allclose(torch.softmax(model(**batch).logits, -1).detach().numpy(), want, atol=1e-5)


def test_save_pretrained_round_trip_keeps_head_and_labels(zoo: Any, base: Path, tmp_path: Path) -> None:
    from dnallm_zoo.compat import ZooModel

    model, _ = _zoo_model(base, task="token-classification", labels=["o", "exon", "intron"], seed=0)
    model.save_pretrained(tmp_path / "t")
    again = ZooModel.from_pretrained(tmp_path / "t")
    assert again.head == "token" and again.config.id2label == {0: "o", 1: "exon", 2: "intron"}
    for k, v in model.state_dict().items():
        assert torch.equal(again.state_dict()[k], v)
    assert set(read_state_dict(tmp_path / "t" / "model.safetensors")) == set(model.state_dict())


def test_labels_without_a_head_and_families_without_heads_are_refused(zoo_toy: Any) -> None:
    from dnallm_zoo.compat import ZooModel

    model = ZooModel.from_pretrained("toy-kmer3")
    enc = model.tokenizer(["ACGTACGT"], return_tensors="pt")
    with pytest.raises(InputError, match="no task head"):
        model(**enc, labels=torch.tensor([1]))
    with pytest.raises(ZooError, match="no token-classification head"):
        ZooModel.from_pretrained("toy-kmer3", task="token-classification")


# --------------------------------------------------------------------------- LoRA
def test_lora_targets_query_value_trains_the_head_and_merges(base: Path, tmp_path: Path) -> None:
    from transformers import BertForSequenceClassification

    from dnallm_zoo.compat import ZooModel, load_lora, merge_lora

    model, _ = _zoo_model(base, task="sequence-classification", num_labels=2, seed=0)
    assert model.lora_target_modules == ("query", "value")
    assert model.head_module_names == ("bert.pooler", "classifier")
    peft_model = model.lora(r=4)
    trainable = [n for n, p in peft_model.named_parameters() if p.requires_grad]
    adapters = [n for n in trainable if "modules_to_save" not in n]
    assert adapters and all("lora_" in n and (".query." in n or ".value." in n) for n in adapters)
    assert any("classifier.modules_to_save" in n for n in trainable)
    with torch.no_grad():
        for p in peft_model.parameters():
            if p.requires_grad:
                p.add_(0.1 * torch.randn_like(p))
    peft_model.eval()
    enc = model.tokenizer(SEQS, padding=True, return_tensors="pt")
    want = peft_model(**enc).logits.detach()
    peft_model.save_pretrained(str(tmp_path / "adapter"))
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()
    fresh = ZooModel.from_pretrained(base, task="sequence-classification", num_labels=2)
    torch.testing.assert_close(load_lora(fresh, tmp_path / "adapter").eval()(**enc).logits, want)
    merged = merge_lora(peft_model)
    assert isinstance(merged, ZooModel)
    merged.save_pretrained(tmp_path / "merged")
    ref, info = BertForSequenceClassification.from_pretrained(tmp_path / "merged", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    torch.testing.assert_close(ref.eval()(**enc).logits, want, atol=1e-5, rtol=1e-5)
    with pytest.raises(ZooError, match="not modules"):
        model.lora(target_modules=["Wqkv"])


def test_freeze_encoder_leaves_only_the_head(base: Path) -> None:
    model, _ = _zoo_model(base, task="sequence-classification", num_labels=2)
    model.freeze_encoder()
    train = {n for n, p in model.named_parameters() if p.requires_grad}
    assert train == {"bert.pooler.dense.weight", "bert.pooler.dense.bias",
                     "classifier.weight", "classifier.bias"}
    enc = model.tokenizer(SEQS, padding=True, return_tensors="pt")
    model.eval()
    hidden = model.encode(enc["input_ids"], enc["attention_mask"])
    torch.testing.assert_close(model.head_logits(hidden, enc["attention_mask"]), model(**enc).logits)


# --------------------------------------------------------------------------- DNALLM's form
@pytest.mark.parametrize(("task_type", "n", "problem", "head"), [
    ("binary", None, "single-label", "classifier"), ("multiclass", 4, "single-label", "classifier"),
    ("multilabel", 3, "multi-label", "classifier"), ("regression", None, "regression", "classifier"),
    ("token", 5, "single-label", "token"),
])
def test_dnallm_task_config_builds_the_head(
    base: Path, task_type: str, n: int | None, problem: str, head: str
) -> None:
    from types import SimpleNamespace

    from dnallm_zoo.compat import load_model_and_tokenizer

    as_object = SimpleNamespace(task_type=task_type, num_labels=n)
    for cfg in ({"task_type": task_type, "num_labels": n}, as_object):
        with pytest.warns(NewWeightsWarning, match="classifier.weight"):
            model, tok = load_model_and_tokenizer(str(base), cfg)
        assert model.head == head and model.encoder.spec.problem_type == problem
        want = n or (1 if task_type == "regression" else 2)
        assert model.num_labels == want
        out = model(**tok(SEQS, padding=True, return_tensors="pt"))
        assert out.logits.shape[-1] == want
    model, _ = load_model_and_tokenizer(str(base), {"task_type": "binary", "label_names": ["neg", "pos"]})
    assert model.encoder.spec.labels == ("neg", "pos")


# --------------------------------------------------------------------------- per base
@pytest.mark.parametrize("model_id", ["headdemo-3mer", "headdemo-bpe"])
def test_per_base_labels_train_and_predict_per_base(zoo: Any, tmp_path: Path, model_id: str) -> None:
    from transformers import DataCollatorForTokenClassification

    from dnallm_zoo.testing import make_test_checkpoint
    from dnallm_zoo.tokenize.offsets import encode_per_base, token_spans

    d = make_test_checkpoint(model_id, tmp_path / model_id)
    model, _ = _zoo_model(d, task="token-classification", num_labels=2, seed=0)
    tok = model.tokenizer
    seqs = ["ACGTAGCATCGGATC", "TTGACAGGCATTACGTAGGC"]
    base_labels = [[int(c in "GC") for c in s] for s in seqs]
    feats = [encode_per_base(tok, s, y) for s, y in zip(seqs, base_labels, strict=True)]
    for s, f in zip(seqs, feats, strict=True):
        spans = token_spans(tok, s)
        assert len(f["labels"]) == len(f["input_ids"]) == len(spans)
    batch = DataCollatorForTokenClassification(tok)(feats)
    assert batch["labels"].shape == batch["input_ids"].shape
    assert (batch["labels"][batch["attention_mask"] == 0] == -100).all()
    assert model(**batch).loss.isfinite()
    per_base = model.predict_bases(seqs)
    assert [p.shape for p in per_base] == [(len(s), 2) for s in seqs]
    covered = ~np.isnan(per_base[0]).any(axis=1)
    assert covered.all() and np.allclose(per_base[0].sum(axis=1), 1.0, atol=1e-5)
    with pytest.raises(InputError, match="15 bases but 3 per-base labels"):
        encode_per_base(tok, seqs[0], [0, 1, 0])
