"""MutBERT's network against the independent reference of modeling_mutbert.py: ids, probabilities, heads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mutbert_reference as ref
import numpy as np
import pytest
import torch

from dnallm_zoo import CheckpointError, InputError, SequenceTooLongError
from dnallm_zoo.kit import read_config, read_state_dict

SEQS = ["ACGTAGCATCGGATCTATCTATCGACACTTGG", "TTGACAGGCA", "ACGTNNACGTGGCCATTA"]


def _load(zoo: Any, path: Path, **kw: Any) -> Any:
    return zoo.load(path, device="cpu", dtype="float32", **kw)


def _reference(path: Path, inputs: torch.Tensor,
               mask: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    sd = {k: v.float() for k, v in read_state_dict(path / "pytorch_model.bin").items()}
    return ref.encoder(sd, read_config(path), inputs, mask)


def test_hidden_states_logits_and_attentions_equal_the_reference_on_ids(
    zoo: Any, tiny_dir: Callable[..., Path]
) -> None:
    path = tiny_dir()
    enc = _load(zoo, path)
    batch = enc.tokenizer(SEQS, return_tensors="pt", padding=True)
    ids, mask = batch["input_ids"], batch["attention_mask"]
    with torch.no_grad():
        out = enc.forward(ids, mask, output_hidden_states=True, with_logits=True, output_attentions=True)
    hidden, attn = _reference(path, ref.one_hot(ids), mask)
    real = mask.bool()
    assert len(out.hidden_states) == len(hidden) == 3
    for got, want in zip(out.hidden_states, hidden, strict=True):
        torch.testing.assert_close(got[real], want[real], atol=1e-5, rtol=1e-5)
    sd = read_state_dict(path / "pytorch_model.bin")
    torch.testing.assert_close(out.logits[real], ref.mlm_logits(sd, read_config(path), hidden[-1])[real],
                               atol=1e-5, rtol=1e-5)
    assert len(out.attentions) == 2 and out.attentions[0].shape == (3, 4, ids.shape[1], ids.shape[1])
    for got, want in zip(out.attentions, attn, strict=True):  # [B, heads, T, T]: the real query rows
        torch.testing.assert_close(got.transpose(1, 2)[real], want.transpose(1, 2)[real],
                                   atol=1e-6, rtol=1e-5)
    alone = enc.forward(*enc.tokenizer(SEQS[1:2], return_tensors="pt").values())
    n = int(mask[1].sum())
    torch.testing.assert_close(alone.last_hidden_state[0], out.last_hidden_state[1, :n], atol=1e-5, rtol=1e-5)


def test_probability_input_equals_the_reference_and_one_hot_equals_ids(
    zoo: Any, tiny_dir: Callable[..., Path]
) -> None:
    path = tiny_dir()
    enc = _load(zoo, path)
    batch = enc.tokenizer(SEQS[:2], return_tensors="pt", padding=True)
    ids, mask = batch["input_ids"], batch["attention_mask"]
    g = torch.Generator().manual_seed(1)
    probs = ref.one_hot(ids)
    body = mask.bool() & (ids >= 5)  # soften the bases: allele frequencies over A, C, G, T
    soft = torch.softmax(torch.randn(int(body.sum()), 4, generator=g) * 2, -1)
    probs[body] = torch.cat([torch.zeros(len(soft), 5), soft], -1)
    probs[~mask.bool()] = 0.0  # padding rows are not read
    with torch.no_grad():
        out = enc.forward_probabilities(probs, mask, output_hidden_states=True, with_logits=True)
        by_ids = enc.forward(ids, mask).last_hidden_state
        by_one_hot = enc.forward_probabilities(ref.one_hot(ids), mask).last_hidden_state
    hidden, _ = _reference(path, probs, mask)
    real = mask.bool()
    for got, want in zip(out.hidden_states, hidden, strict=True):
        torch.testing.assert_close(got[real], want[real], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(by_one_hot[real], by_ids[real], atol=1e-6, rtol=1e-6)
    vectors = enc.embed_probabilities(probs, mask)
    want_mean = (hidden[-1] * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    np.testing.assert_allclose(vectors, want_mean.numpy(), atol=1e-5)
    np.testing.assert_allclose(enc.embed_probabilities(ref.one_hot(ids), mask), enc.embed(SEQS[:2]),
                               atol=1e-5)
    rows = enc.embed_probabilities(probs.numpy(), mask.numpy(), pooling="none")
    assert [r.shape for r in rows] == [(int(m.sum()), 32) for m in mask]
    layer0 = enc.embed_probabilities(probs, mask, pooling="cls", layer=0)
    np.testing.assert_allclose(layer0, hidden[0][:, 0].numpy(), atol=1e-5)


def test_bad_probability_input_is_refused_with_every_row_named(
    zoo: Any, tiny_dir: Callable[..., Path]
) -> None:
    enc = _load(zoo, tiny_dir())
    ids = enc.tokenizer(SEQS[:2], return_tensors="pt", padding=True)["input_ids"]
    probs = ref.one_hot(ids)
    with pytest.raises(InputError, match=r"\[batch, tokens, 9\].*not \[2, 34, 4\]"):
        enc.embed_probabilities(probs[..., 5:])
    with pytest.raises(InputError, match=r"\[batch, tokens, 9\]"):
        enc.embed_probabilities(probs[0])
    bad = probs.clone()
    bad[0, 3] *= 0.5
    bad[1, 7, 5:] = 0.3  # sums to 1.2
    bad[1, 8, 5:] = torch.tensor([1.5, -0.5, 0.0, 0.0])  # sums to 1, negative entry
    with pytest.raises(InputError, match=r"3 rows.*\[0, 3\] \(sum 0\.5\), \[1, 7\] \(sum 1\.2\), \[1, 8\]"):
        enc.embed_probabilities(bad)
    with pytest.raises(InputError, match="attention_mask is"):
        enc.embed_probabilities(probs, torch.ones(2, 3))
    with pytest.raises(SequenceTooLongError, match="513 tokens"):
        enc.embed_probabilities(ref.one_hot(torch.full((1, 513), 5)))
    with pytest.raises(ValueError, match="unknown pooling"):
        enc.embed_probabilities(probs, pooling="sum")


def test_linear_rope_scaling_follows_the_config_and_dynamic_is_refused(
    zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path
) -> None:
    path = tiny_dir(rope_scaling={"type": "linear", "factor": 2.0})
    enc = _load(zoo, path)
    batch = enc.tokenizer(SEQS, return_tensors="pt", padding=True)
    ids, mask = batch["input_ids"], batch["attention_mask"]
    hidden, _ = _reference(path, ref.one_hot(ids), mask)
    got = enc.forward(ids, mask).last_hidden_state
    torch.testing.assert_close(got[mask.bool()], hidden[-1][mask.bool()], atol=1e-5, rtol=1e-5)
    unscaled = _load(zoo, tiny_dir()).forward(ids, mask).last_hidden_state
    assert not torch.allclose(got, unscaled, atol=1e-3)
    dynamic = tmp_path / "dynamic"
    dynamic.mkdir()
    for f in path.iterdir():
        (dynamic / f.name).write_bytes(f.read_bytes())
    config = read_config(path) | {"rope_scaling": {"type": "dynamic", "factor": 2.0}}
    (dynamic / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="rope_scaling"):
        _load(zoo, dynamic)


def test_mlm_decoder_tied_to_the_word_embeddings_with_or_without_the_alias_keys(
    zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path
) -> None:
    a, b = _load(zoo, tiny_dir()), _load(zoo, tiny_dir(tied_aliases=False, weights="safetensors"))
    for enc in (a, b):
        m = enc.module
        assert m.cls.predictions.decoder.weight is m.bert.embeddings.word_embeddings.weight
        assert m.cls.predictions.decoder.bias is m.cls.predictions.bias
    x = a.tokenizer(SEQS, return_tensors="pt", padding=True)
    torch.testing.assert_close(a.forward(*x.values(), with_logits=True).logits,
                               b.forward(*x.values(), with_logits=True).logits)
    a.save_pretrained(tmp_path)
    saved = read_state_dict(tmp_path / "model.safetensors")
    assert "cls.predictions.decoder.weight" not in saved and "cls.predictions.bias" in saved
    np.testing.assert_allclose(_load(zoo, tmp_path).embed(SEQS), a.embed(SEQS), atol=1e-6)


def test_variant_rule_is_single_base(zoo: Any, tiny_dir: Callable[..., Path]) -> None:
    assert type(_load(zoo, tiny_dir())).variant_rule == "single_base"
