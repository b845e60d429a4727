"""The native DNABERT-2 modeling against the independent eager reference (tests/reference.py)."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import dnabert2_reference as ref
import pytest
import torch
from dnallm_zoo_dnabert2 import modeling
from dnallm_zoo_dnabert2.modeling import (
    TIED_KEYS,
    DNABERT2Config,
    MosaicBertForMaskedLM,
    MosaicBertModel,
    alibi_bias,
    alibi_slopes,
    build_mlm_model,
    build_model,
)

from dnallm_zoo import CheckpointError
from dnallm_zoo.kit import load_state_dict_strict

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

_MODELS: dict[str, tuple[MosaicBertForMaskedLM, ref.Weights]] = {}


def tiny(name: str) -> tuple[MosaicBertForMaskedLM, ref.Weights]:
    """A tiny model built on meta and filled from random original-layout weights (cached)."""
    if name not in _MODELS:
        cfg = CONFIGS[name]
        sd = ref.random_weights(cfg, seed=len(_MODELS) + 1)
        model = build_mlm_model(DNABERT2Config.from_dict(cfg), device="meta")
        load_state_dict_strict(model, sd, tied=TIED_KEYS)
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
        logits, last, hidden, _ = model(ids, mask, tt, output_hidden_states=True)
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


def _assert_tied(model: MosaicBertForMaskedLM) -> None:
    """Decoder weight is the word-embedding Parameter itself, and nothing is left on meta."""
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    assert not any(p.is_meta for p in model.parameters())


def test_state_dict_round_trip() -> None:
    """state_dict -> torch.save -> torch.load(weights_only=True) -> strict load on meta: same outputs."""
    model, _ = tiny("tiny4")
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    loaded = torch.load(buf, weights_only=True)
    assert set(loaded) == set(ref.original_key_shapes(TINY4))  # the decoder weight too, as the original
    other = build_mlm_model(DNABERT2Config.from_dict(TINY4), device="meta")
    load_state_dict_strict(other, loaded, tied=TIED_KEYS)
    _assert_tied(other)
    ids = torch.randint(0, 4096, (2, 30), generator=torch.Generator().manual_seed(1))
    mask = make_mask("right", [30, 11], 30, seed=0)
    with torch.inference_mode():
        assert torch.equal(model(ids, mask).logits, other(ids, mask).logits)
    for k, t in other.state_dict().items():
        assert torch.equal(t, loaded[k]), k


def test_tied_keys_are_the_decoder_alias() -> None:
    """The one tie: the decoder weight is an alias of the word embeddings, in the model's own keys."""
    model = build_mlm_model(DNABERT2Config.from_dict(TINY4), device="meta")
    keys = set(model.state_dict())
    assert TIED_KEYS == {"cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight"}
    assert set(TIED_KEYS) <= keys and set(TIED_KEYS.values()) <= keys
    assert model._load_state_dict_pre_hooks == {} and model._load_state_dict_post_hooks == {}


@pytest.mark.parametrize("meta", [True, False])
def test_load_without_decoder_weight(meta: bool) -> None:
    """A checkpoint without cls.predictions.decoder.weight loads strictly and stays tied."""
    _, sd = tiny("tiny4")
    partial = {k: v for k, v in sd.items() if k != "cls.predictions.decoder.weight"}
    model = build_mlm_model(DNABERT2Config.from_dict(TINY4), device="meta" if meta else None)
    load_state_dict_strict(model, partial, tied=TIED_KEYS)
    _assert_tied(model)
    assert torch.equal(
        model.bert.embeddings.word_embeddings.weight, sd["bert.embeddings.word_embeddings.weight"]
    )
    assert "cls.predictions.decoder.weight" not in partial  # the caller's dict is not modified
    with torch.no_grad():  # still one Parameter: changing the embeddings changes the decoder
        model.bert.embeddings.word_embeddings.weight[0, 0] += 1.0
    assert torch.equal(model.cls.predictions.decoder.weight, model.bert.embeddings.word_embeddings.weight)


def test_load_with_equal_decoder_copy() -> None:
    """A decoder weight stored as its own (equal) tensor, as safetensors stores it, loads and ties."""
    _, sd = tiny("tiny4")
    copy = dict(sd)
    copy["cls.predictions.decoder.weight"] = sd["bert.embeddings.word_embeddings.weight"].clone()
    model = build_mlm_model(DNABERT2Config.from_dict(TINY4), device="meta")
    load_state_dict_strict(model, copy, tied=TIED_KEYS)
    _assert_tied(model)


def test_load_rejects_untied_decoder_and_extra_keys() -> None:
    """An untied decoder weight or an unknown key (e.g. a pooler) is an error."""
    _, sd = tiny("tiny4")
    model = build_mlm_model(DNABERT2Config.from_dict(TINY4), device="meta")
    bad = dict(sd)
    bad["cls.predictions.decoder.weight"] = sd["cls.predictions.decoder.weight"] + 1.0
    with pytest.raises(CheckpointError, match=r"untied 1: cls\.predictions\.decoder\.weight differs"):
        load_state_dict_strict(model, bad, tied=TIED_KEYS)
    extra = dict(sd)
    extra["bert.pooler.dense.weight"] = torch.zeros(32, 32)
    with pytest.raises(CheckpointError, match=r"unexpected 1: bert\.pooler\.dense\.weight"):
        load_state_dict_strict(build_mlm_model(DNABERT2Config.from_dict(TINY4)), extra, tied=TIED_KEYS)


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
        cfg.hidden_size = 1  # type: ignore[misc]  # frozen: the error is the test


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
    model = MosaicBertForMaskedLM(cfg)
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
    assert isinstance(model.bert, MosaicBertModel)


# --------------------------------------------------------------------------------------------
# Any length, as the original: ALiBi grown past alibi_starting_size (512 here, as the hub config)
# --------------------------------------------------------------------------------------------
LONG4: dict[str, Any] = TINY4 | {"alibi_starting_size": 512}


def long_model() -> tuple[MosaicBertForMaskedLM, ref.Weights]:
    """A fresh 4-head model (no ALiBi table yet) with the real starting size 512."""
    _, sd = tiny("tiny4")
    model = build_mlm_model(DNABERT2Config.from_dict(LONG4), device="meta")
    load_state_dict_strict(model, sd, tied=TIED_KEYS)
    return model, sd


def _max_diff(got: torch.Tensor, want: torch.Tensor, mask: torch.Tensor | None) -> float:
    assert got.dtype == torch.float32
    diff = (got.double() - want).abs()
    return float(diff.max()) if mask is None else float(diff[mask.bool()].max())


def _check_against_original(
    model: MosaicBertForMaskedLM, sd: ref.Weights, lengths: list[int], alibi: ref.OriginalAlibi, seed: int
) -> None:
    """One right-padded batch: every hidden state and the logits within 1e-5 of the original's."""
    seqlen = max(lengths)
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, LONG4["vocab_size"], (len(lengths), seqlen), generator=g)
    mask = make_mask("right", lengths, seqlen, seed=seed) if len(set(lengths)) > 1 else None
    with torch.inference_mode():
        logits, _, hidden, _ = model(ids, mask, output_hidden_states=True)
    want_hidden, want_logits = ref.reference_forward(LONG4, sd, ids, mask, alibi=alibi)
    assert hidden is not None and want_logits is not None
    for i, (got, want) in enumerate(zip(hidden, want_hidden, strict=True)):
        assert _max_diff(got, want, None) < ATOL, f"hidden state {i} at {lengths} tokens"
    assert _max_diff(logits, want_logits, mask) < ATOL
    if mask is not None:
        assert bool((hidden[-1][mask == 0] == 0.0).all())


@pytest.mark.parametrize(
    "lengths", [[600], [1006, 600, 1], [2100, 1006]], ids=["600", "1006-padded", "2100-padded"]
)
def test_longer_than_alibi_starting_size(lengths: list[int]) -> None:
    """600, 1006 and 2100 tokens (starting size 512), padded batches: the original's outputs to 1e-5."""
    model, sd = long_model()
    alibi = ref.OriginalAlibi(LONG4["num_attention_heads"], LONG4["alibi_starting_size"])
    _check_against_original(model, sd, lengths, alibi, seed=max(lengths))
    assert alibi.sizes == [512, max(lengths)]  # the original rebuilt its table: the case is past 512


def test_one_model_through_growing_and_shrinking_lengths() -> None:
    """One model, as the original carries its table across calls: 100, 1006, 300, 2100, 600 tokens."""
    model, sd = long_model()
    alibi = ref.OriginalAlibi(LONG4["num_attention_heads"], LONG4["alibi_starting_size"])
    for i, lengths in enumerate([[100, 7], [1006], [300, 299], [2100, 40], [600, 512, 513]]):
        _check_against_original(model, sd, lengths, alibi, seed=i)
    assert alibi.sizes == [512, 1006, 2100]


def test_alibi_table_built_lazily_and_cached_per_device_and_dtype() -> None:
    """No table at construction; built on first use, rounded up, reused until a longer batch comes."""
    model, _ = long_model()
    enc = model.bert.encoder
    assert enc._alibi == {} and list(model.buffers()) == []
    cpu = torch.device("cpu")
    first = enc.alibi(100, cpu, torch.float32)
    table = enc._alibi[(cpu, torch.float32)]
    assert first.shape == (1, 4, 100, 100) and table.shape == (1, 4, 128, 128)
    torch.testing.assert_close(first, alibi_bias(4, 100), atol=0, rtol=0)
    assert enc.alibi(128, cpu, torch.float32).data_ptr() == table.data_ptr()  # no rebuild
    longer = enc.alibi(1006, cpu, torch.float32)
    table = enc._alibi[(cpu, torch.float32)]
    assert table.shape == (1, 4, 1024, 1024)
    torch.testing.assert_close(longer, alibi_bias(4, 1006), atol=0, rtol=0)
    assert enc.alibi(300, cpu, torch.float32).data_ptr() == table.data_ptr()  # shorter: a view
    half = enc.alibi(50, cpu, torch.bfloat16)
    assert half.dtype == torch.bfloat16 and set(enc._alibi) == {(cpu, torch.float32), (cpu, torch.bfloat16)}
    assert torch.equal(half, alibi_bias(4, 50).to(torch.bfloat16))
    assert not any("alibi" in k for k in model.state_dict())
    model.to(torch.float64)  # a move drops the tables of the old device and dtype
    assert enc._alibi == {}
    assert enc.alibi(10, cpu, torch.float64).dtype == torch.float64


def test_alibi_table_over_the_cache_limit_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ALIBI_CACHE_BYTES the bias is built for the forward only; the outputs are the same."""
    model, sd = long_model()
    monkeypatch.setattr(modeling, "ALIBI_CACHE_BYTES", 4 * 512 * 512 * 4)
    alibi = ref.OriginalAlibi(LONG4["num_attention_heads"], LONG4["alibi_starting_size"])
    _check_against_original(model, sd, [400], alibi, seed=3)
    assert model.bert.encoder._alibi[(torch.device("cpu"), torch.float32)].shape[-1] == 512
    _check_against_original(model, sd, [600, 20], alibi, seed=4)
    assert model.bert.encoder._alibi[(torch.device("cpu"), torch.float32)].shape[-1] == 512  # not grown


def test_table_built_in_inference_mode_serves_training() -> None:
    """A table made under inference_mode is a normal tensor: a later training step backpropagates."""
    model, _ = long_model()
    ids = torch.randint(0, 4096, (2, 40), generator=torch.Generator().manual_seed(5))
    with torch.inference_mode():
        model(ids)
    model.train()
    model(ids).logits.square().mean().backward()  # no padding: the cached table itself is attn_mask
    grad = model.bert.encoder.layer[0].attention.self.Wqkv.weight.grad
    assert grad is not None and bool(grad.abs().sum() > 0)


# --------------------------------------------------------------------------------------------
# The bare encoder (DNABERT-S layout: keys without bert., no head)
# --------------------------------------------------------------------------------------------
def test_bare_model_keys_and_outputs() -> None:
    """build_model's keys are the bare layout; it loads a bare checkpoint strictly and matches."""
    sd = ref.random_weights(LONG4, seed=7, bare=True)
    model = build_model(DNABERT2Config.from_dict(LONG4), device="meta")
    shapes = {k: tuple(t.shape) for k, t in model.state_dict().items()}
    assert shapes == ref.original_key_shapes(LONG4, bare=True)
    load_state_dict_strict(model, sd)
    ids = torch.randint(0, 4096, (2, 700), generator=torch.Generator().manual_seed(8))
    mask = make_mask("right", [700, 33], 700, seed=0)
    with torch.inference_mode():
        _, hidden, _ = model(ids, mask, output_hidden_states=True)
    want, logits = ref.reference_forward(LONG4, sd, ids, mask)
    assert logits is None and hidden is not None
    for got, w in zip(hidden, want, strict=True):
        assert _max_diff(got, w, None) < ATOL
    with pytest.raises(CheckpointError, match=r"missing 1: encoder\.layer\.1\.mlp\.wo\.bias"):
        load_state_dict_strict(build_model(DNABERT2Config.from_dict(LONG4)),
                               {k: v for k, v in sd.items() if k != "encoder.layer.1.mlp.wo.bias"})


@pytest.mark.parametrize(("name", "kind", "lengths"), [
    ("tiny4", "right", [1, 5, 64, 17]),
    ("tiny4", "holes", [40, 1, 12]),
    ("tiny12", "none", [33]),
    ("tiny12", "right", [70, 9]),
])
def test_attentions_match_the_eager_reference(name: str, kind: str, lengths: list[int]) -> None:
    """output_attentions gives the eager softmax(qk^T/sqrt(d) + ALiBi + key mask) of every layer and head."""
    model, sd = tiny(name)
    cfg = CONFIGS[name]
    seqlen = max(lengths)
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(0, cfg["vocab_size"], (len(lengths), seqlen), generator=g)
    mask = make_mask(kind, lengths, seqlen, seed=1)
    want: list[torch.Tensor] = []
    want_hidden, _ = ref.reference_forward(cfg, sd, ids, mask, attentions=want)
    with torch.inference_mode():
        plain = model.bert(ids, mask)
        out = model.bert(ids, mask, output_attentions=True)
    assert plain.attentions is None and out.attentions is not None
    assert len(out.attentions) == cfg["num_hidden_layers"] == len(want)
    real = torch.ones(len(lengths), seqlen, dtype=torch.bool) if mask is None else mask.bool()
    for i, (got, exp) in enumerate(zip(out.attentions, want, strict=True)):
        assert got.shape == (len(lengths), cfg["num_attention_heads"], seqlen, seqlen), i
        rows = real[:, None, :, None].expand_as(got)  # real queries (the reference computes no others)
        torch.testing.assert_close(got.double()[rows], exp[rows], atol=1e-6, rtol=0)
        sums = (got * real[:, None, None, :]).sum(-1)
        torch.testing.assert_close(sums[real[:, None, :].expand_as(sums)],
                                   torch.ones(int(real.sum()) * got.shape[1]), atol=1e-5, rtol=0)
    # the eager path gives the same hidden states as the SDPA path and the reference
    torch.testing.assert_close(out.last_hidden_state, plain.last_hidden_state, atol=ATOL, rtol=0)
    torch.testing.assert_close(out.last_hidden_state.double(), want_hidden[-1], atol=ATOL, rtol=0)
