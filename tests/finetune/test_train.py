"""Full and LoRA runs on the demo model: what they write, the kept epoch, determinism, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dnallm_zoo.errors import InputError
from dnallm_zoo.finetune.data import read_labeled
from dnallm_zoo.finetune.evaluation import evaluate
from dnallm_zoo.finetune.train import TrainConfig, _best_epoch, _epochs, finetune

from .conftest import write_csv

MODEL = "dnabert-demo"


def quick(**kw: object) -> TrainConfig:
    base: dict[str, object] = {"epochs": 1, "batch_size": 8, "learning_rate": 1e-3, "progress": False,
                               "device": "cpu"}
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


def splits(gc_task: tuple[Path, Path], task: str = "binary"):  # type: ignore[no-untyped-def]
    train = read_labeled(gc_task[0], task)  # type: ignore[arg-type]
    evald = read_labeled(gc_task[1], task, label_names=train.label_names, training=False)  # type: ignore[arg-type]
    return train, evald


def test_epoch_rows_from_the_trainer_log() -> None:
    log = [{"loss": 0.9, "grad_norm": 1.0, "learning_rate": 1e-3, "epoch": 1.0, "step": 4},
           {"eval_loss": 0.8, "eval_mcc": 0.2, "eval_runtime": 1.0, "epoch": 1.0, "step": 4},
           {"loss": 0.7, "epoch": 2.0, "step": 8},
           {"eval_loss": 0.6, "eval_mcc": 0.5, "epoch": 2.0, "step": 8},
           {"loss": 0.6, "epoch": 3.0, "step": 12},
           {"eval_loss": 0.7, "eval_mcc": 0.5, "epoch": 3.0, "step": 12},
           {"train_runtime": 3.0, "train_loss": 0.7, "epoch": 3.0}]
    rows = _epochs(log)
    assert rows[0] == {"epoch": 1, "train_loss": 0.9, "eval_loss": 0.8, "eval_mcc": 0.2}
    assert _best_epoch(rows, "mcc") == 2  # ties keep the earlier epoch, as Trainer does
    assert _best_epoch(rows, "loss") == 2


@pytest.mark.slow
def test_full_run_writes_the_original_layout_and_metrics(gc_task: tuple[Path, Path], tmp_path: Path) -> None:
    from transformers import BertForSequenceClassification

    import dnallm_zoo

    train, evald = splits(gc_task)
    out = tmp_path / "run"
    record = finetune(MODEL, train, evald, out, quick(epochs=2), echo=lambda _: None)
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "model.safetensors", "vocab.txt", "metrics.json"} <= names
    assert ".checkpoints" not in names
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["task"] == "binary" and saved["metric"] == "mcc" and len(saved["epochs"]) == 2
    best = saved["best_epoch"]
    row = next(r for r in saved["epochs"] if r["epoch"] == best)
    assert row["eval_mcc"] == max(r["eval_mcc"] for r in saved["epochs"])
    # the directory keeps the best epoch: scoring it again gives that epoch's figures
    again = evaluate(out, evald, device="cpu")
    for k in ("accuracy", "mcc", "auroc"):
        assert again[k] == pytest.approx(row[f"eval_{k}"], abs=1e-6)
        assert record["eval_metrics"][k] == pytest.approx(again[k], abs=1e-9)
    # the original class reads it with no missing or unexpected key; the zoo loads it with its head
    _, info = BertForSequenceClassification.from_pretrained(out, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    assert dnallm_zoo.load(out).spec.task == "sequence-classification"
    pytest.importorskip("matplotlib")
    assert (out / "learning_curves.png").stat().st_size > 1000


@pytest.mark.slow
def test_training_is_deterministic_for_a_seed(gc_task: tuple[Path, Path], tmp_path: Path) -> None:
    train, evald = splits(gc_task)
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        finetune(MODEL, train, evald, tmp_path / name, quick(seed=seed), echo=lambda _: None)
    weights = {n: (tmp_path / n / "model.safetensors").read_bytes() for n in "abc"}
    assert weights["a"] == weights["b"]
    assert weights["a"] != weights["c"]
    m = [json.loads((tmp_path / n / "metrics.json").read_text())["epochs"] for n in "ab"]
    assert m[0] == m[1]


@pytest.mark.slow
def test_lora_run_saves_adapters_and_a_merged_model(gc_task: tuple[Path, Path], tmp_path: Path) -> None:
    pytest.importorskip("peft")
    train, evald = splits(gc_task)
    out = tmp_path / "lora"
    record = finetune(MODEL, train, evald, out, quick(method="lora"), echo=lambda _: None)
    assert (out / "lora_adapter" / "adapter_config.json").is_file()
    assert (out / "model.safetensors").is_file()
    again = evaluate(out, evald, device="cpu")
    assert again["accuracy"] == pytest.approx(record["eval_metrics"]["accuracy"])


@pytest.mark.slow
def test_regression_and_token_runs(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    seqs = ["".join(rng.choice(list("ACGT"), size=int(rng.integers(30, 60)))) for _ in range(24)]
    gc = [(s.count("G") + s.count("C")) / len(s) for s in seqs]
    reg = write_csv(tmp_path / "r.csv", ["sequence", "label"], list(zip(seqs, gc, strict=True)))
    data = read_labeled(reg, "regression")
    record = finetune(MODEL, data, data, tmp_path / "reg", quick(), echo=lambda _: None)
    assert record["metric"] == "r2" and set(record["eval_metrics"]) >= {"mse", "r2", "pearson"}
    per_base = ["".join("1" if b in "GC" else "0" for b in s) for s in seqs]
    tok = write_csv(tmp_path / "t.csv", ["sequence", "label"], list(zip(seqs, per_base, strict=True)))
    data = read_labeled(tok, "token")
    record = finetune(MODEL, data, data, tmp_path / "tok", quick(), echo=lambda _: None)
    assert set(record["eval_metrics"]) == {"accuracy", "f1", "mcc"}
    assert record["epochs"][0]["eval_accuracy"] == pytest.approx(record["eval_metrics"]["accuracy"], abs=1e-6)


@pytest.mark.slow
def test_unreadable_sequences_are_named_before_training(tmp_path: Path) -> None:
    p = write_csv(tmp_path / "bad.csv", ["sequence", "label"],
                  [("ACGTACGTAC", 0), ("ACGXACGT", 1), ("ACGTTT", 0), ("AC GT", 1)])
    data = read_labeled(p, "binary")
    with pytest.raises(InputError) as info:
        finetune(MODEL, data, None, tmp_path / "out", quick(), echo=lambda _: None)
    msg = str(info.value)
    assert str(p) in msg and "2 sequence(s)" in msg
    assert "line 3, column 'sequence'" in msg and "'X'" in msg
    assert "line 5, column 'sequence'" in msg
    assert not (tmp_path / "out").exists()


def test_settings_checked_before_loading(gc_task: tuple[Path, Path], tmp_path: Path) -> None:
    train, evald = splits(gc_task)
    with pytest.raises(InputError, match="not a binary metric"):
        finetune(MODEL, train, evald, tmp_path / "o", quick(metric="r2"))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep me")
    with pytest.raises(InputError, match="not empty"):
        finetune(MODEL, train, evald, tmp_path / "full", quick())
    other = read_labeled(gc_task[1], "binary", label_names=["a", "b"], training=False)
    with pytest.raises(InputError, match="differ from the training"):
        finetune(MODEL, train, other, tmp_path / "o", quick())


@pytest.mark.slow
def test_overwrite_replaces_an_earlier_run(gc_task: tuple[Path, Path], tmp_path: Path) -> None:
    from dnallm_zoo.finetune.probe import is_probe_dir

    train, evald = splits(gc_task)
    out = tmp_path / "run"
    finetune(MODEL, train, evald, out, quick(method="probe"), echo=lambda _: None)
    assert is_probe_dir(out)
    finetune(MODEL, train, evald, out, quick(), overwrite=True, echo=lambda _: None)
    assert not is_probe_dir(out) and (out / "model.safetensors").is_file()
    assert json.loads((out / "metrics.json").read_text())["method"] == "full"


@pytest.mark.slow
def test_patience_stops_early_and_keeps_the_best_epoch(gc_task: tuple[Path, Path], tmp_path: Path) -> None:
    train, evald = splits(gc_task)
    lines: list[str] = []
    # a learning rate too small to move the evaluation MCC: no epoch after the first is better
    record = finetune(MODEL, train, evald, tmp_path / "run", quick(epochs=6, learning_rate=1e-12, patience=2),
                      echo=lines.append)
    assert record["epochs_trained"] == 3 and record["stopped_early"]
    assert [r["epoch"] for r in record["epochs"]] == [1, 2, 3]
    assert record["best_epoch"] == 1
    assert any("stopped early after epoch 3 (patience 2)" in line for line in lines)
    full = finetune(MODEL, train, evald, tmp_path / "all", quick(epochs=2, learning_rate=1e-12),
                    echo=lambda _: None)
    assert full["epochs_trained"] == 2 and not full["stopped_early"]


def test_patience_needs_evaluation_data(gc_task: tuple[Path, Path], tmp_path: Path) -> None:
    train, _ = splits(gc_task)
    with pytest.raises(InputError, match="--patience 2 stops on the evaluation metric"):
        finetune(MODEL, train, None, tmp_path / "o", quick(patience=2))
    assert not (tmp_path / "o").exists()
