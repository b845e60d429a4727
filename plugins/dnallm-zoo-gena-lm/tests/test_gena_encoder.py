"""GENA-LM's BERT equals an independent reference of AIRI's `modeling_bert.py` (pre-LN, lastln, post-LN),
written from that file (`reference.py`): embeddings -> LayerNorm; per layer x + attn(pre_attention_ln(x)),
then x + ffn(post_attention_ln(x)); `last_layer_ln` after the last layer when `last_layer_norm` (absent: the
value of `pre_layer_norm`); `pre_layer_norm` absent: BERT's post-LN layer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gena_reference as ref
import pytest
import torch

from dnallm_zoo import CheckpointError
from dnallm_zoo.kit import read_state_dict

SEQS = ["ACGTTGCAGGTACCAGGATTACAACGT" * 3, "GATTACA", "TTGACCAGTACGGANNNNNNNNNNNNACGT"]


def _variant(tmp_path: Path, name: str, **config_changes: Any) -> Path:
    from dnallm_zoo_gena_lm.checkpoint import gena_config, write_checkpoint

    from dnallm_zoo import get_spec

    spec = get_spec("gena-lm-bert-base-t2t")
    cfg = gena_config(347 - 1, last_layer_norm=None, max_positions=512)
    for key, value in config_changes.items():
        if value is None:
            cfg.pop(key, None)
        else:
            cfg[key] = value
    return write_checkpoint(spec, tmp_path / name, config=cfg, seed=7)


@pytest.mark.parametrize(("name", "changes", "final_norm"), [
    ("lastln-by-default", {"last_layer_norm": None}, True),  # the key absent: the code's default, True
    ("no-lastln", {"last_layer_norm": False}, False),
    ("lastln-explicit", {"last_layer_norm": True}, True),
    ("post-ln", {"pre_layer_norm": None, "last_layer_norm": None}, False),
])
def test_hidden_states_attentions_and_logits_equal_the_reference(
    zoo: Any, tmp_path: Path, name: str, changes: dict[str, Any], final_norm: bool
) -> None:
    d = _variant(tmp_path, name, **changes)
    config = json.loads((d / "config.json").read_text())
    from dnallm_zoo_gena_lm.encoder import GenaEncoder

    if "pre_layer_norm" in config:  # claimed through the directory's keys
        enc = zoo.load(d, device="cpu")
    else:  # GENA's code on a post-LN config is stock BERT: no family claims it as GENA's; load it as one
        enc = GenaEncoder.from_pretrained(d, zoo.get_spec("gena-lm-bert-base"), device="cpu")
    assert isinstance(enc, GenaEncoder)
    sd = read_state_dict(d / "model.safetensors")
    assert ("bert.encoder.last_layer_ln.weight" in sd) == final_norm
    batch = enc.tokenizer(SEQS, padding=True, return_tensors="pt")
    ids, mask = batch["input_ids"], batch["attention_mask"]
    with torch.no_grad():
        out = enc.forward(ids, mask, output_hidden_states=True, with_logits=True, output_attentions=True)
        fast = enc.forward(ids, mask)  # SDPA
        states, probs, logits = ref.reference(sd, config, ids, mask)
    real = mask.bool()
    assert len(out.hidden_states) == len(states) == 3
    for got, want in zip(out.hidden_states, states, strict=True):
        torch.testing.assert_close(got[real], want[real], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(fast.last_hidden_state[real], states[-1][real], atol=1e-5, rtol=1e-5)
    for got, want in zip(out.attentions, probs, strict=True):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.logits[real], logits[real], atol=1e-4, rtol=1e-5)


def test_a_pre_ln_checkpoint_loads_strictly(zoo: Any, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    d = _variant(tmp_path, "strict")
    sd = read_state_dict(d / "model.safetensors")
    sd["bert.encoder.layer.0.attention.output.LayerNorm.weight"] = torch.ones(32)  # a post-LN key
    save_file(sd, str(d / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"unexpected.*attention\.output\.LayerNorm"):
        zoo.load(d, device="cpu")
    del sd["bert.encoder.layer.0.attention.output.LayerNorm.weight"]
    del sd["bert.encoder.layer.1.post_attention_ln.bias"]
    save_file(sd, str(d / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"missing.*layer\.1\.post_attention_ln\.bias"):
        zoo.load(d, device="cpu")


def test_the_original_position_ids_buffer_is_accepted(zoo: Any, tmp_path: Path) -> None:
    """GENA's BertEmbeddings registers position_ids as a persistent buffer: its files may hold it."""
    from safetensors.torch import save_file

    d = _variant(tmp_path, "posids")
    sd = read_state_dict(d / "model.safetensors")
    sd["bert.embeddings.position_ids"] = torch.arange(512)[None]
    save_file(sd, str(d / "model.safetensors"))
    assert zoo.load(d, device="cpu").spec.family == "gena-lm"
