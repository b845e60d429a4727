"""Fine-tuning GENA-LM with LoRA on the kit's blocks: adapters on the original module names, a merged
model saved in AIRI's BertForSequenceClassification layout, reloaded by the zoo."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.parametrize("model_id", ["gena-lm-bert-base-t2t", "gena-lm-bigbird-base-t2t"])
def test_lora_run_on_a_tiny_checkpoint(zoo: Any, tmp_path: Path, model_id: str) -> None:
    pytest.importorskip("peft")
    from dnallm_zoo.finetune.data import read_labeled
    from dnallm_zoo.finetune.evaluation import evaluate
    from dnallm_zoo.finetune.train import TrainConfig, finetune
    from dnallm_zoo.testing import make_test_checkpoint

    base = make_test_checkpoint(model_id, tmp_path / "base")
    rng = random.Random(0)
    rows = [("".join(rng.choice("GC" if i % 2 else "AT") for _ in range(rng.randint(20, 60))), i % 2)
            for i in range(24)]
    data = tmp_path / "train.csv"
    with data.open("w", newline="") as fh:
        csv.writer(fh).writerows([("sequence", "label"), *rows])
    train = read_labeled(data, "binary")
    out = tmp_path / "lora"
    config = TrainConfig(epochs=1, batch_size=8, learning_rate=1e-3, progress=False, device="cpu",
                         method="lora")
    record = finetune(str(base), train, train, out, config, echo=lambda _: None)
    assert (out / "lora_adapter" / "adapter_config.json").is_file()
    saved = json.loads((out / "config.json").read_text())
    assert saved["architectures"][0].endswith("ForSequenceClassification")
    again = evaluate(out, train, device="cpu")
    assert again["accuracy"] == pytest.approx(record["eval_metrics"]["accuracy"])
