"""GENA-LM heads: saved in the layouts of AIRI's classes (BertForSequenceClassification,
BertForTokenClassification: `bert.pooler.dense` + `classifier`, `classifier`) and of transformers' BigBird
classes, loaded back with nothing missing or unexpected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from dnallm_zoo.kit import read_state_dict


def airi_keys(task: str, layers: int, lastln: bool) -> set[str]:
    """The state_dict keys of AIRI's modeling_bert.py classes for a pre-LN config (read from that file:
    BertEmbeddings, BertLayer with pre_attention_ln/post_attention_ln and no output LayerNorms,
    BertEncoder.last_layer_ln, BertPooler only with add_pooling_layer), less the persistent position_ids
    buffer and the tied decoder, which its loader does not require (_keys_to_ignore_on_load_missing)."""
    keys = {f"bert.embeddings.{m}.weight" for m in ("word_embeddings", "position_embeddings",
                                                     "token_type_embeddings", "LayerNorm")}
    keys |= {"bert.embeddings.LayerNorm.bias"}
    mods = ("pre_attention_ln", "post_attention_ln", "attention.self.query", "attention.self.key",
            "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense")
    keys |= {f"bert.encoder.layer.{i}.{m}.{p}" for i in range(layers) for m in mods
             for p in ("weight", "bias")}
    if lastln:
        keys |= {"bert.encoder.last_layer_ln.weight", "bert.encoder.last_layer_ln.bias"}
    if task == "masked-lm":
        keys |= {f"cls.predictions.transform.{m}.{p}" for m in ("dense", "LayerNorm")
                 for p in ("weight", "bias")}
        keys |= {"cls.predictions.bias"}
    else:
        keys |= {"classifier.weight", "classifier.bias"}
    if task == "sequence-classification":
        keys |= {"bert.pooler.dense.weight", "bert.pooler.dense.bias"}
    return keys


@pytest.mark.parametrize("task", ["sequence-classification", "token-classification"])
def test_a_new_head_saves_in_airis_layout_and_reloads(zoo: Any, tmp_path: Path, task: str) -> None:
    from dnallm_zoo.testing import make_test_checkpoint

    base = make_test_checkpoint("gena-lm-bert-base-lastln-t2t", tmp_path / "base")
    assert set(read_state_dict(base / "model.safetensors")) == airi_keys("masked-lm", 2, lastln=True)
    with pytest.warns(UserWarning, match="classifier"):
        enc = zoo.load(base, device="cpu", task=task, labels=["a", "b", "c"], seed=0)  # type: ignore[attr-defined]
    saved = tmp_path / "tuned"
    enc.save_pretrained(saved)
    config = json.loads((saved / "config.json").read_text())
    assert config["architectures"] == ["BertForSequenceClassification" if task.startswith("seq")
                                       else "BertForTokenClassification"]
    assert config["pre_layer_norm"] is True and "last_layer_norm" not in config  # the original's keys kept
    assert set(read_state_dict(saved / "model.safetensors")) == airi_keys(task, 2, lastln=True)
    again = zoo.load(saved, device="cpu")  # type: ignore[attr-defined]
    assert (again.spec.family, again.spec.task, again.spec.labels) == ("gena-lm", task, ("a", "b", "c"))
    batch = enc.tokenizer(["ACGTTGCA" * 9, "GATTACA"], padding=True, return_tensors="pt")
    with torch.no_grad():
        want = enc.forward(batch["input_ids"], batch["attention_mask"], with_logits=True).logits
        got = again.forward(batch["input_ids"], batch["attention_mask"], with_logits=True).logits
    torch.testing.assert_close(got, want)


def test_bigbird_pretraining_checkpoint_equals_transformers(zoo: Any, tmp_path: Path) -> None:
    """The hub's bigbird-base-t2t is a BigBirdForPreTraining (GENA_LM's
    data/configs/hf_bigbird_L12-H768-A12-V32k-L4096.json): such a directory is claimed by
    gena-lm-bigbird and computes transformers' BigBirdModel."""
    from dnallm_zoo_gena_lm.checkpoint import tiny_tokenizer_json
    from transformers import BigBirdConfig, BigBirdForPreTraining

    from dnallm_zoo.kit import random_state_dict, write_weights

    d = tmp_path / "bigbird"
    d.mkdir()
    (d / "tokenizer.json").write_text(tiny_tokenizer_json())
    vocab = len(json.loads(tiny_tokenizer_json())["model"]["vocab"])
    config = {"architectures": ["BigBirdForPreTraining"], "attention_type": "block_sparse", "block_size": 4,
              "num_random_blocks": 1, "hidden_act": "gelu_new", "hidden_size": 32, "intermediate_size": 37,
              "max_position_embeddings": 128, "model_type": "big_bird", "num_attention_heads": 4,
              "num_hidden_layers": 2, "pad_token_id": 3, "rescale_embeddings": False, "type_vocab_size": 2,
              "use_bias": True, "vocab_size": vocab, "layer_norm_eps": 1e-12}
    (d / "config.json").write_text(json.dumps(config))
    ref = BigBirdForPreTraining(BigBirdConfig.from_dict(config)).eval()
    tied = set(BigBirdForPreTraining._tied_weights_keys or {})
    sd = random_state_dict(ref, seed=3, skip=tied)
    ref.load_state_dict(sd, strict=False)
    write_weights(d, sd)
    enc = zoo.load(d, device="cpu")  # type: ignore[attr-defined]
    assert enc.spec.id == "gena-lm-bigbird-base-t2t"
    batch = enc.tokenizer(["ACGTTGCAGGTACCAGGATTACA" * 8, "GATTACA" * 3], padding=True, return_tensors="pt")
    assert batch["input_ids"].shape[1] > 28  # block-sparse, not the full-attention fallback
    with torch.no_grad():
        got = enc.forward(batch["input_ids"], batch["attention_mask"], with_logits=True)
        want = ref(**batch)
        base = ref.bert(**batch).last_hidden_state
    real = batch["attention_mask"].bool()
    torch.testing.assert_close(got.last_hidden_state[real], base[real], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(got.logits[real], want.prediction_logits[real], atol=1e-4, rtol=1e-5)
