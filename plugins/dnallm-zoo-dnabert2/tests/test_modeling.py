"""The native DNABERT-2 modeling against the independent eager reference (tests/reference.py)."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import dnabert2_reference as ref
import pytest
import torch
from dnallm_zoo_dnabert2.modeling import (
    DNABERT2Config,
    DNABERT2ForMaskedLM,
    DNABERT2Model,
    alibi_bias,
    alibi_slopes,
    build_mlm_model,
    build_model,
)

# An original-style config.json (extra keys as in the hub file; they must be ignored).
ORIGINAL_CONFIG: dict[str, Any] = {
    "_name_or_path": "zhihan1996/DNABERT-2-117M",
    "alibi_starting_size": 512,
    "architectures": ["BertForMaskedLM"],
    "attention_probs_dropout_prob": 0.0,
    "auto_map": {
        "AutoConfig": "configuration_bert.BertConfig",
        "AutoModel": "bert_layers.BertModel",
        "AutoModelForMaskedLM": "bert_layers.BertForMaskedLM",
    },
    "classifier_dropout": None,
    "gradient_checkpointing": False,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 768,
    "initializer_range": 0.02,
    "intermediate_size": 3072,
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 512,
    "model_type": "bert",
    "num_attention_heads": 12,
    "num_hidden_layers": 12,
    "position_embedding_type": "absolute",
    "torch_dtype": "float32",
    "transformers_version": "4.28.0",
    "type_vocab_size": 2,
    "use_cache": True,
    "vocab_size": 4096,
}

# Tiny configs: 4 heads with the real vocabulary and a small ALiBi start, 12 heads (slope order).
TINY4: dict[str, Any] = {
    "vocab_size": 4096,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 48,
    "alibi_starting_size": 64,
    "type_vocab_size": 2,
}
TINY12: dict[str, Any] = {
    "vocab_size": 64,
    "hidden_size": 48,
    "num_hidden_layers": 2,
    "num_attention_heads": 12,
    "intermediate_size": 40,
    "alibi_starting_size": 512,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-6,
}
CONFIGS = {"tiny4": TINY4, "tiny12": TINY12}
ATOL = 1e-5

_MODELS: dict[str, tuple[DNABERT2ForMaskedLM, ref.Weights]] = {}


def tiny(name: str) -> tuple[DNABERT2ForMaskedLM, ref.Weights]:
    """A tiny model built on meta and filled from random original-layout weights (cached)."""
    if name not in _MODELS:
        cfg = CONFIGS[name]
        sd = ref.random_weights(cfg, seed=len(_MODELS) + 1)
        model = build_mlm_model(DNABERT2Config.from_dict(cfg), device="meta")
        model.load_state_dict(sd, assign=True)
        _MODELS[name] = (model, sd)
    return _MODELS[name]


def make_mask(kind: str, lengths: list[int], seqlen: int, seed: int) -> torch.Tensor | None:
    """Attention mask: none, all ones, right/left padding, or random holes."""
    batch = len(lengths)
    if kind == "none":
        return None
    mask = torch.zeros(batch, seqlen, dtype=torch.long)
    if kind == "ones":
        mask[:] = 1
    for b, n in enumerate(lengths):
        if kind == "right":
            mask[b, :n] = 1
        elif kind == "left":
            mask[b, seqlen - n :] = 1
        elif kind == "holes":
            g = torch.Generator().manual_seed(seed + b)
            mask[b, torch.randperm(seqlen, generator=g)[:n]] = 1
    return mask


# (config, mask kind, lengths, with token types); the longest is 1200 tokens (> 512 and > 64).
CASES = [
    ("tiny4", "none", [1], False),
    ("tiny4", "ones", [7], True),
    ("tiny4", "right", [1, 5, 64, 65, 200, 3, 17, 128], True),
    ("tiny4", "left", [9, 30, 1], False),
    ("tiny4", "holes", [40, 1, 77, 12], True),
    ("tiny4", "none", [600], False),
    ("tiny4", "right", [1200, 600], True),  # 2048 tokens: test_dnabert2_encoder.py, through the zoo
    ("tiny12", "none", [1], False),
    ("tiny12", "right", [520, 1, 100], True),
    ("tiny12", "holes", [33, 20], False),
    ("tiny12", "none", [33, 33, 33, 33], True),
]


@pytest.mark.parametrize(("name", "kind", "lengths", "types"), CASES)
def test_matches_reference(name: str, kind: str, lengths: list[int], types: bool) -> None:
    """Every hidden state and the MLM logits agree with the eager fp64 reference to 1e-5."""
    model, sd = tiny(name)
    cfg = CONFIGS[name]
    seqlen = max(lengths)
    g = torch.Generator().manual_seed(seqlen * 31 + len(lengths))
    ids = torch.randint(0, cfg["vocab_size"], (len(lengths), seqlen), generator=g)
    tt = torch.randint(0, 2, ids.shape, generator=g) if types else None
    mask = make_mask(kind, lengths, seqlen, seed=seqlen)

    with torch.inference_mode():
        logits, last, hidden = model(ids, mask, tt, output_hidden_states=True)
    want_hidden, want_logits = ref.reference_forward(cfg, sd, ids, mask, tt)

    assert hidden is not None and len(hidden) == cfg["num_hidden_layers"] + 1
    assert last is hidden[-1]
    for got, want in zip(hidden, want_hidden, strict=True):
        assert got.dtype == torch.float32 and got.shape == (len(lengths), seqlen, cfg["hidden_size"])
        torch.testing.assert_close(got.double(), want, atol=ATOL, rtol=0)
    assert logits.shape == (len(lengths), seqlen, cfg["vocab_size"])
    torch.testing.assert_close(logits.double(), want_logits, atol=ATOL, rtol=0)
    if mask is not None:
        for state in hidden:
            assert bool((state[mask == 0] == 0.0).all()), "padded positions must be exactly 0.0"


def test_batch_invariance_and_no_hidden_states() -> None:
    """A sequence gives the same output alone and right-padded in a batch; hidden_states=None."""
    model, _ = tiny("tiny12")
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 64, (3, 50), generator=g)
    mask = make_mask("right", [20, 50, 35], 50, seed=0)
    with torch.inference_mode():
        batched = model.bert(ids, mask)
        alone = model.bert(ids[:1, :20])
        as_bool = model.bert(ids, mask.bool())
    assert batched.hidden_states is None
    assert torch.equal(as_bool.last_hidden_state, batched.last_hidden_state)
    torch.testing.assert_close(batched.last_hidden_state[:1, :20], alone.last_hidden_state, atol=ATOL, rtol=0)
    assert bool((batched.last_hidden_state[0, 20:] == 0).all())


def test_alibi_slopes_12_heads_exact() -> None:
    """12 heads: 2^-1..2^-8, then 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5, exactly (in float32 too)."""
    assert alibi_slopes(12) == pytest.approx(ref.SLOPES_12, rel=1e-15, abs=0)
    got32 = torch.tensor(alibi_slopes(12), dtype=torch.float32)
    assert torch.equal(got32, torch.tensor(ref.SLOPES_12, dtype=torch.float32))


@pytest.mark.parametrize("heads", range(1, 33))
def test_alibi_slopes_general_rule(heads: int) -> None:
    """The MosaicBERT recursion equals the closed form for any head count."""
    assert alibi_slopes(heads) == pytest.approx(ref.reference_slopes(heads), rel=1e-14, abs=0)


def test_alibi_bias_values() -> None:
    """Bias[0, h, i, j] = -slope[h] * |i - j|, float32."""
    bias = alibi_bias(12, 9)
    assert bias.shape == (1, 12, 9, 9) and bias.dtype == torch.float32
    pos = torch.arange(9, dtype=torch.float64)
    dist = (pos[:, None] - pos[None, :]).abs()
    for h, s in enumerate(ref.SLOPES_12):
        torch.testing.assert_close(bias[0, h].double(), -s * dist, atol=1e-6, rtol=0)


def test_state_dict_keys_are_original() -> None:
    """Strict key set and shapes equal the original layout; no buffers (no ALiBi, no pooler)."""
    model = build_mlm_model(DNABERT2Config.from_dict(TINY4))
    sd = model.state_dict()
    want = ref.original_key_shapes(TINY4)
    assert set(sd) == set(want)
    assert {k: tuple(t.shape) for k, t in sd.items()} == want
    assert list(model.buffers()) == []
    assert not any("pooler" in k or "alibi" in k for k in sd)
    base = set(build_model(DNABERT2Config.from_dict(TINY4)).state_dict())
    assert {"bert." + k for k in base} == {k for k in want if k.startswith("bert.")}


def test_full_size_on_meta() -> None:
    """The 117M config builds on meta: original shapes and 117,074,176 parameters."""
    cfg = DNABERT2Config.from_dict(ORIGINAL_CONFIG)
    model = build_mlm_model(cfg, device="meta")
    assert all(p.is_meta for p in model.parameters())
    assert sum(p.numel() for p in model.parameters()) == 117_074_176
    shapes = {k: tuple(t.shape) for k, t in model.state_dict().items()}
    assert shapes == ref.original_key_shapes(ORIGINAL_CONFIG)
    assert shapes["bert.encoder.layer.11.attention.self.Wqkv.weight"] == (2304, 768)
    assert shapes["bert.encoder.layer.0.mlp.gated_layers.weight"] == (6144, 768)
    assert shapes["bert.encoder.layer.0.mlp.wo.weight"] == (768, 3072)


def _assert_tied(model: DNABERT2ForMaskedLM) -> None:
    """Decoder weight is the word-embedding Parameter itself, and nothing is left on meta."""
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    assert not any(p.is_meta for p in model.parameters())


def test_state_dict_round_trip() -> None:
    """state_dict -> torch.save -> torch.load(..., weights_only=True) -> meta build + assign: same outputs."""
    model, _ = tiny("tiny4")
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    loaded = torch.load(buf, weights_only=True)
    other = build_mlm_model(DNABERT2Config.from_dict(TINY4), device="meta")
    result = other.load_state_dict(loaded, assign=True)
    assert not result.missing_keys and not result.unexpected_keys
    _assert_tied(other)
    ids = torch.randint(0, 4096, (2, 30), generator=torch.Generator().manual_seed(1))
    mask = make_mask("right", [30, 11], 30, seed=0)
    with torch.inference_mode():
        assert torch.equal(model(ids, mask).logits, other(ids, mask).logits)
    for k, t in other.state_dict().items():
        assert torch.equal(t, loaded[k]), k


@pytest.mark.parametrize("assign", [True, False])
def test_load_without_decoder_weight(assign: bool) -> None:
    """A checkpoint without cls.predictions.decoder.weight loads strictly and stays tied."""
    _, sd = tiny("tiny4")
    partial = {k: v for k, v in sd.items() if k != "cls.predictions.decoder.weight"}
    device = "meta" if assign else None
    model = build_mlm_model(DNABERT2Config.from_dict(TINY4), device=device)
    model.load_state_dict(partial, assign=assign)
    _assert_tied(model)
    assert torch.equal(
        model.bert.embeddings.word_embeddings.weight, sd["bert.embeddings.word_embeddings.weight"]
    )
    assert "cls.predictions.decoder.weight" not in partial  # the caller's dict is not modified


def test_load_rejects_untied_decoder_and_extra_keys() -> None:
    """An untied decoder weight or an unknown key (e.g. a pooler) is an error."""
    _, sd = tiny("tiny4")
    model = build_mlm_model(DNABERT2Config.from_dict(TINY4), device="meta")
    bad = dict(sd)
    bad["cls.predictions.decoder.weight"] = sd["cls.predictions.decoder.weight"] + 1.0
    with pytest.raises(RuntimeError, match="ties the MLM decoder"):
        model.load_state_dict(bad, assign=True)
    extra = dict(sd)
    extra["bert.pooler.dense.weight"] = torch.zeros(32, 32)
    with pytest.raises(RuntimeError, match="pooler"):
        build_mlm_model(DNABERT2Config.from_dict(TINY4)).load_state_dict(extra)


def test_config_from_original_dict() -> None:
    """from_dict reads the architecture keys, ignores the rest, applies original defaults."""
    cfg = DNABERT2Config.from_dict(ORIGINAL_CONFIG)
    assert (cfg.vocab_size, cfg.hidden_size, cfg.num_hidden_layers) == (4096, 768, 12)
    assert (cfg.num_attention_heads, cfg.intermediate_size, cfg.head_dim) == (12, 3072, 64)
    assert (cfg.alibi_starting_size, cfg.type_vocab_size, cfg.layer_norm_eps) == (512, 2, 1e-12)
    minimal = {k: ORIGINAL_CONFIG[k] for k in ("vocab_size", "hidden_size", "num_hidden_layers")}
    minimal |= {"num_attention_heads": 12, "intermediate_size": 3072}
    assert DNABERT2Config.from_dict(minimal) == cfg
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.hidden_size = 1  # type: ignore[misc]


def test_config_errors() -> None:
    """Missing keys, bad types, indivisible heads and a foreign activation fail clearly."""
    broken = {k: v for k, v in ORIGINAL_CONFIG.items() if k != "intermediate_size"}
    with pytest.raises(ValueError, match="intermediate_size"):
        DNABERT2Config.from_dict(broken)
    with pytest.raises(ValueError, match="not a multiple"):
        DNABERT2Config.from_dict(ORIGINAL_CONFIG | {"num_attention_heads": 5})
    with pytest.raises(TypeError, match="hidden_size"):
        DNABERT2Config.from_dict(ORIGINAL_CONFIG | {"hidden_size": "768"})
    with pytest.raises(ValueError, match="hidden_act"):
        DNABERT2Config.from_dict(ORIGINAL_CONFIG | {"hidden_act": "relu"})


def test_input_validation() -> None:
    """Wrong ranks and mismatched mask shapes are ValueErrors."""
    model, _ = tiny("tiny12")
    with pytest.raises(ValueError, match="input_ids"):
        model(torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="attention_mask"):
        model(torch.zeros(2, 5, dtype=torch.long), torch.ones(2, 4))


def test_bfloat16_close_to_float32() -> None:
    """bf16 weights run (bias cast to the query dtype) and stay near the fp32 result."""
    model, _ = tiny("tiny12")
    half = build_model(DNABERT2Config.from_dict(TINY12))
    half.load_state_dict(model.bert.state_dict())
    half = half.to(torch.bfloat16)
    ids = torch.randint(0, 64, (2, 40), generator=torch.Generator().manual_seed(2))
    mask = make_mask("right", [40, 25], 40, seed=0)
    with torch.inference_mode():
        want = model.bert(ids, mask).last_hidden_state
        got = half(ids, mask).last_hidden_state
    assert got.dtype == torch.bfloat16
    assert bool((got[1, 25:] == 0).all())
    assert (got.float() - want).abs().mean() < 0.05


def test_train_mode_dropout_and_gradients() -> None:
    """Training mode applies dropout; gradients reach the tied embedding through both paths."""
    cfg = DNABERT2Config.from_dict(TINY12)
    model = DNABERT2ForMaskedLM(cfg)
    assert model.training and not build_mlm_model(cfg).training
    ids = torch.randint(0, 64, (2, 16), generator=torch.Generator().manual_seed(3))
    mask = make_mask("right", [16, 9], 16, seed=0)
    torch.manual_seed(0)
    a, b = model(ids, mask).logits, model(ids, mask).logits
    assert not torch.equal(a, b)
    a.square().mean().backward()
    grad = model.bert.embeddings.word_embeddings.weight.grad
    assert grad is not None and bool(grad.abs().sum() > 0)
    assert model.bert.encoder.layer[0].attention.self.Wqkv.weight.grad is not None
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(ids, mask).logits, model(ids, mask).logits)
    assert isinstance(model.bert, DNABERT2Model)
