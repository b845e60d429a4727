"""Native ProkBERT encoder against an independent eager reference, on tiny random checkpoints."""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch
from dnallm_zoo_prokbert.modeling import (
    TIED_KEYS,
    ProkBertConfig,
    ProkBertForMaskedLM,
    ProkBertModel,
    relative_position_scores,
)

from dnallm_zoo.kit import load_state_dict_strict


def _load_reference() -> ModuleType:
    """Import tests/reference.py under a private name (other plugins may ship a reference.py too)."""
    name = "_dnallm_zoo_prokbert_test_reference"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("reference.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


ref = _load_reference()

ATOL = 1e-5

# Older hub flavour: the transformers MegatronBert config (plus the generic PretrainedConfig keys).
SMALL: dict[str, Any] = {
    "architectures": ["MegatronBertForMaskedLM"],
    "attention_probs_dropout_prob": 0.1,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 32,
    "initializer_range": 0.02,
    "intermediate_size": 64,
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 256,
    "model_type": "megatron-bert",
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "pad_token_id": 0,
    "position_embedding_type": "relative_key_query",
    "torch_dtype": "float32",
    "transformers_version": "4.40.0",
    "type_vocab_size": 2,
    "use_cache": True,
    "vocab_size": 69,
}

# Newer hub flavour: prokbert's own config class behind auto_map. Embedding rows (20) exceed the
# vocabulary actually used (9 entries, as mini-c's vocab.txt): logits still cover all 20 rows.
WIDE: dict[str, Any] = {
    "architectures": ["ProkBertForMaskedLM"],
    "auto_map": {
        "AutoConfig": "models.ProkBertConfig",
        "AutoModel": "models.ProkBertModel",
        "AutoModelForMaskedLM": "models.ProkBertForMaskedLM",
    },
    "attention_probs_dropout_prob": 0.1,
    "classification_dropout_rate": 0.1,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 32,
    "intermediate_size": 48,
    "kmer": 1,
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 256,
    "model_type": "prokbert",
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "pad_token_id": 0,
    "position_embedding_type": "relative_key_query",
    "shift": 1,
    "type_vocab_size": 2,
    "vocab_size": 20,
}
USED_VOCAB = {"small": 69, "wide": 9}
CONFIGS = {"small": SMALL, "wide": WIDE}


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    """Use one intra-op thread (restored afterwards): tiny models lose more to thread hand-offs."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _mini(**overrides: Any) -> dict[str, Any]:
    """A full-size ProkBERT-mini style config (megatron-bert flavour)."""
    d = {
        **SMALL,
        "hidden_size": 384,
        "num_hidden_layers": 6,
        "num_attention_heads": 6,
        "intermediate_size": 3072,
        "max_position_embeddings": 1024,
        "vocab_size": 4101,
    }
    d.update(overrides)
    return d


def random_weights(config: dict[str, Any], seed: int) -> dict[str, torch.Tensor]:
    """Random fp32 tensors under the original key names."""
    # Scaled so attention is far from uniform and the q.R + k.R scores are as large as q.k, while
    # logits stay O(5): fp32 rounding then stays well under the 1e-5 tolerance.
    g = torch.Generator().manual_seed(seed)
    h, i_size = config["hidden_size"], config["intermediate_size"]
    v, p, t = config["vocab_size"], config["max_position_embeddings"], config["type_vocab_size"]
    d = h // config["num_attention_heads"]

    def rand(*shape: int, scale: float = 1.0, offset: float = 0.0) -> torch.Tensor:
        return torch.randn(*shape, generator=g) * scale + offset

    sd: dict[str, torch.Tensor] = {
        "bert.embeddings.word_embeddings.weight": rand(v, h, scale=0.3),
        "bert.embeddings.position_embeddings.weight": rand(p, h),
        "bert.embeddings.token_type_embeddings.weight": rand(t, h, scale=0.5),
    }
    for layer in range(config["num_hidden_layers"]):
        pre = f"bert.encoder.layer.{layer}."
        for ln in ("attention.ln", "ln"):
            sd[pre + ln + ".weight"] = rand(h, scale=0.2, offset=1.0)
            sd[pre + ln + ".bias"] = rand(h, scale=0.1)
        for name, fan_out, fan_in, gain in (
            ("attention.self.query", h, h, 1.0),
            ("attention.self.key", h, h, 1.0),
            ("attention.self.value", h, h, 1.0),
            ("attention.output.dense", h, h, 1.0),
            ("intermediate.dense", i_size, h, 1.0),
            ("output.dense", h, i_size, 1.0),
        ):
            sd[pre + name + ".weight"] = rand(fan_out, fan_in, scale=gain / math.sqrt(fan_in))
            sd[pre + name + ".bias"] = rand(fan_out, scale=0.1)
        sd[pre + "attention.self.distance_embedding.weight"] = rand(2 * p - 1, d)
    sd["bert.encoder.ln.weight"] = rand(h, scale=0.2, offset=1.0)
    sd["bert.encoder.ln.bias"] = rand(h, scale=0.1)
    sd["cls.predictions.bias"] = rand(v, scale=0.1)
    sd["cls.predictions.transform.dense.weight"] = rand(h, h, scale=1.0 / math.sqrt(h))
    sd["cls.predictions.transform.dense.bias"] = rand(h, scale=0.1)
    sd["cls.predictions.transform.LayerNorm.weight"] = rand(h, scale=0.2, offset=1.0)
    sd["cls.predictions.transform.LayerNorm.bias"] = rand(h, scale=0.1)
    return sd


def load_model(config: dict[str, Any], sd: dict[str, torch.Tensor]) -> ProkBertForMaskedLM:
    """Build on the meta device, then assign the checkpoint tensors strictly (the loader's path)."""
    with torch.device("meta"):
        model = ProkBertForMaskedLM(ProkBertConfig.from_dict(config))
    load_state_dict_strict(model, sd, tied=TIED_KEYS)
    return model.eval()


def make_batch(
    lengths: list[int], vocab: int, seed: int, pad: bool = True, types: bool = False
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """Right-padded random ids (pad id 0), their 0/1 mask and optional random token types."""
    g = torch.Generator().manual_seed(seed)
    width = max(lengths)
    ids = torch.zeros(len(lengths), width, dtype=torch.long)
    mask = torch.zeros(len(lengths), width, dtype=torch.long)
    for row, n in enumerate(lengths):
        ids[row, :n] = torch.randint(1, vocab, (n,), generator=g)
        mask[row, :n] = 1
    token_types = torch.randint(0, 2, ids.shape, generator=g) if types else None
    return ids, (mask if pad else None), token_types


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def setup(request: pytest.FixtureRequest) -> tuple[str, ProkBertForMaskedLM, dict[str, Any]]:
    """Model, config and both fp32 and fp64 weight dicts per tiny config."""
    name = request.param
    config = CONFIGS[name]
    sd = random_weights(config, seed=len(name))
    weights = {"fp32": sd, "fp64": {k: t.double() for k, t in sd.items()}}
    return name, load_model(config, sd), {"config": config, **weights}


# (lengths, with attention_mask, with token types); batch sizes 1..6, up to max_position 256.
BATCHES = [
    ([256], False, False),
    ([256, 100], True, False),
    ([7, 1, 50], True, False),
    ([30, 30, 30, 30], True, False),
    ([90, 17, 64, 200, 33], True, True),
    ([256, 200, 3, 129, 64, 255], True, False),
]


@pytest.mark.parametrize(("lengths", "pad", "types"), BATCHES)
def test_matches_reference(
    setup: tuple[str, ProkBertForMaskedLM, dict[str, Any]],
    lengths: list[int],
    pad: bool,
    types: bool,
) -> None:
    """Every hidden state, the last hidden state and the MLM logits match the fp64 reference."""
    name, model, data = setup
    ids, mask, tt = make_batch(lengths, USED_VOCAB[name], seed=len(lengths), pad=pad, types=types)
    with torch.no_grad():
        out = model(ids, attention_mask=mask, token_type_ids=tt, output_hidden_states=True)
    last, states, logits = ref.reference_forward(data["fp64"], data["config"], ids, mask, tt)
    assert out.logits.shape == (len(lengths), max(lengths), data["config"]["vocab_size"])
    assert out.hidden_states is not None and len(out.hidden_states) == len(states)
    for got, want in zip(out.hidden_states, states, strict=True):
        torch.testing.assert_close(got, want.float(), rtol=0, atol=ATOL)
    torch.testing.assert_close(out.last_hidden_state, last.float(), rtol=0, atol=ATOL)
    torch.testing.assert_close(out.logits, logits.float(), rtol=0, atol=ATOL)


def test_padding_and_mask_invariance(
    setup: tuple[str, ProkBertForMaskedLM, dict[str, Any]],
) -> None:
    """Padded rows equal the unpadded sequences; an all-ones mask equals no mask."""
    name, model, _ = setup
    lengths = [40, 5, 64, 1]
    ids, mask, _ = make_batch(lengths, USED_VOCAB[name], seed=3)
    with torch.no_grad():
        batch = model.bert(ids, mask).last_hidden_state
        for row, n in enumerate(lengths):
            alone = model.bert(ids[row : row + 1, :n]).last_hidden_state[0]
            torch.testing.assert_close(batch[row, :n], alone, rtol=0, atol=ATOL)
        full = ids[:, :5]
        ones = model.bert(full, torch.ones_like(full)).last_hidden_state
        torch.testing.assert_close(ones, model.bert(full).last_hidden_state, rtol=0, atol=0)


def test_hidden_states_convention(setup: tuple[str, ProkBertForMaskedLM, dict[str, Any]]) -> None:
    """hidden_states = (embeddings, layer outputs..., encoder.ln(last layer)) as in MegatronBertEncoder."""
    name, model, data = setup
    ids, mask, _ = make_batch([12, 9], USED_VOCAB[name], seed=5)
    with torch.no_grad():
        last, states, _ = model.bert(ids, mask, output_hidden_states=True)
        assert model.bert(ids, mask).hidden_states is None
    assert states is not None
    assert len(states) == data["config"]["num_hidden_layers"] + 1
    assert states[-1] is last
    word = data["fp32"]["bert.embeddings.word_embeddings.weight"]
    typ = data["fp32"]["bert.embeddings.token_type_embeddings.weight"]
    torch.testing.assert_close(states[0], word[ids] + typ[0], rtol=0, atol=0)


def test_position_embeddings_unused_distance_table_used(
    setup: tuple[str, ProkBertForMaskedLM, dict[str, Any]],
) -> None:
    """Absolute position embeddings change nothing; the distance tables do change the output."""
    name, model, _ = setup
    ids, mask, _ = make_batch([50, 20], USED_VOCAB[name], seed=7)
    with torch.no_grad():
        base = model(ids, mask).logits
        positions = model.bert.embeddings.position_embeddings.weight
        saved = positions.clone()
        positions.normal_()
        torch.testing.assert_close(model(ids, mask).logits, base, rtol=0, atol=0)
        positions.copy_(saved)
        table = model.bert.encoder.layer[0].attention.self.distance_embedding.weight
        saved = table.clone()
        table.zero_()
        changed = (model(ids, mask).logits - base).abs().max().item()
        table.copy_(saved)
    assert changed > 1e-2


@pytest.mark.parametrize("length", [1, 2, 255, 256, 257, 300])
def test_relative_scores_equal_einsum(length: int) -> None:
    """The blocked strided computation equals the gathered-R einsums exactly (fp64)."""
    g = torch.Generator().manual_seed(length)
    table = torch.randn(2 * 300 - 1, 8, generator=g, dtype=torch.float64)
    q = torch.randn(2, 3, length, 8, generator=g, dtype=torch.float64)
    k = torch.randn(2, 3, length, 8, generator=g, dtype=torch.float64)
    want = ref.relative_scores_einsum(q, k, table)
    torch.testing.assert_close(relative_position_scores(q, k, table), want, rtol=0, atol=1e-12)


def test_relative_scores_refuse_lengths_beyond_table() -> None:
    """A table for P positions cannot score P + 1 positions."""
    q = torch.zeros(1, 1, 5, 2)
    with pytest.raises(ValueError, match="distance table"):
        relative_position_scores(q, q, torch.zeros(2 * 4 - 1, 2))


def test_gradients_match_reference() -> None:
    """Backward through the blocked scores, SDPA and the tied decoder matches the reference."""
    sd = random_weights(SMALL, seed=11)
    model = load_model(SMALL, sd)
    ids, mask, tt = make_batch([12, 7], 69, seed=11, types=True)
    g = torch.Generator().manual_seed(12)
    w_logits = torch.randn(2, 12, 69, generator=g)
    w_hidden = torch.randn(2, 12, 32, generator=g)
    out = model(ids, mask, tt)
    ((out.logits * w_logits).sum() + (out.last_hidden_state * w_hidden).sum()).backward()

    leaves = {k: t.double().requires_grad_() for k, t in sd.items()}
    last, _, logits = ref.reference_forward(leaves, SMALL, ids, mask, tt)
    ((logits * w_logits.double()).sum() + (last * w_hidden.double()).sum()).backward()
    params = dict(model.named_parameters())
    for key in (
        "bert.embeddings.word_embeddings.weight",  # embedding lookup + tied decoder
        "bert.encoder.layer.0.attention.self.distance_embedding.weight",
        "bert.encoder.layer.1.attention.self.query.weight",
        "bert.encoder.layer.1.attention.self.key.bias",
        "cls.predictions.bias",
    ):
        want = leaves[key].grad
        assert want is not None
        got = params[key].grad
        assert got is not None, key
        scale = want.abs().max().item()
        torch.testing.assert_close(got.double(), want, rtol=0, atol=1e-5 * max(1.0, scale))
    assert params["bert.embeddings.position_embeddings.weight"].grad is None


def test_state_dict_keys_are_the_original_six_layer_keys() -> None:
    """112 keys, same names and order as the original, beside the tied decoder alias; no buffers."""
    config = {**SMALL, "num_hidden_layers": 6, "hidden_size": 16, "num_attention_heads": 2}
    with torch.device("meta"):
        model = ProkBertForMaskedLM(ProkBertConfig.from_dict(config))
        base = ProkBertModel(ProkBertConfig.from_dict(config))
    keys = [k for k in model.state_dict() if k not in TIED_KEYS]
    assert set(model.state_dict()) - set(keys) == set(TIED_KEYS)
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    assert model.cls.predictions.decoder.bias is model.cls.predictions.bias
    assert len(keys) == 112
    assert keys == ref.original_keys(6)
    assert list(model.buffers()) == []
    bert_keys = [k.removeprefix("bert.") for k in keys if k.startswith("bert.")]
    assert list(base.state_dict()) == bert_keys


@pytest.mark.parametrize(
    ("overrides", "rows", "distance_rows"),
    [
        ({}, 4101, 2047),  # mini
        ({"intermediate_size": 4096, "max_position_embeddings": 2048, "vocab_size": 4200}, 4200, 4095),
        ({"intermediate_size": 4096, "max_position_embeddings": 2048, "vocab_size": 20}, 20, 4095),
    ],
)
def test_full_size_meta_construction(overrides: dict[str, Any], rows: int, distance_rows: int) -> None:
    """The released sizes build instantly on meta and load by assignment with the original shapes."""
    config = _mini(**overrides)
    with torch.device("meta"):
        model = ProkBertForMaskedLM(ProkBertConfig.from_dict(config))
    shapes = {k: tuple(t.shape) for k, t in model.state_dict().items() if k not in TIED_KEYS}
    assert all(t.is_meta for t in model.state_dict().values())
    assert list(shapes) == ref.original_keys(6)
    assert shapes["bert.embeddings.word_embeddings.weight"] == (rows, 384)
    assert shapes["cls.predictions.bias"] == (rows,)
    assert shapes["bert.encoder.layer.5.attention.self.distance_embedding.weight"] == (
        distance_rows,
        64,
    )
    assert shapes["bert.encoder.layer.0.intermediate.dense.weight"] == (
        config["intermediate_size"],
        384,
    )
    loaded = {k: torch.empty(s) for k, s in shapes.items()}
    model.load_state_dict(loaded, strict=False, assign=True)  # the tied decoder alias is not in a file
    model.tie_weights()
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    assert not any(p.is_meta for p in model.parameters())


def test_plain_construction_equals_meta_assign() -> None:
    """Building on CPU and copying weights in gives bit-identical outputs to the meta path."""
    sd = random_weights(SMALL, seed=2)
    plain = ProkBertForMaskedLM(ProkBertConfig.from_dict(SMALL)).eval()
    load_state_dict_strict(plain, sd, tied=TIED_KEYS)
    assert plain.cls.predictions.decoder.weight is plain.bert.embeddings.word_embeddings.weight
    ids, mask, _ = make_batch([20, 13], 69, seed=2)
    with torch.no_grad():
        torch.testing.assert_close(
            plain(ids, mask).logits, load_model(SMALL, sd)(ids, mask).logits, rtol=0, atol=0
        )


def test_too_long_input_refused() -> None:
    """More tokens than max_position_embeddings is a clear error, not an index failure."""
    config = {**SMALL, "max_position_embeddings": 16}
    model = ProkBertModel(ProkBertConfig.from_dict(config))
    with pytest.raises(ValueError, match="max_position_embeddings"):
        model(torch.ones(1, 17, dtype=torch.long))


def test_tie_weights_rejects_mismatched_bias() -> None:
    """A checkpoint whose bias length differs from the embedding rows is refused."""
    model = ProkBertForMaskedLM(ProkBertConfig.from_dict(SMALL))
    model.cls.predictions.bias = torch.nn.Parameter(torch.zeros(70))
    with pytest.raises(ValueError, match="rows"):
        model.tie_weights()


# --- config ---------------------------------------------------------------------------------


def test_both_config_flavours_parse() -> None:
    """megatron-bert and prokbert (auto_map) configs give the same architecture fields."""
    old = ProkBertConfig.from_dict(_mini(vocab_size=4200, max_position_embeddings=2048))
    new = ProkBertConfig.from_dict(
        {
            **{k: v for k, v in WIDE.items() if k not in ("vocab_size", "intermediate_size")},
            "hidden_size": 384,
            "num_hidden_layers": 6,
            "num_attention_heads": 6,
            "intermediate_size": 3072,
            "max_position_embeddings": 2048,
            "vocab_size": 4200,
        }
    )
    assert old == new
    assert new.vocab_size == 4200 and new.head_dim == 64
    assert new.layer_norm_eps == 1e-12 and new.hidden_act == "gelu"
    with pytest.raises(dataclasses.FrozenInstanceError):
        new.vocab_size = 1  # type: ignore[misc]  # frozen: the error is the test


def test_config_defaults_follow_megatron_bert() -> None:
    """Optional keys take MegatronBertConfig's defaults; a missing eps means 1e-12."""
    minimal = {k: SMALL[k] for k in ("vocab_size", "hidden_size", "num_hidden_layers")}
    minimal |= {k: SMALL[k] for k in ("num_attention_heads", "intermediate_size")}
    minimal |= {"max_position_embeddings": 256, "position_embedding_type": "relative_key_query"}
    config = ProkBertConfig.from_dict(minimal)
    assert (config.type_vocab_size, config.layer_norm_eps, config.hidden_act) == (2, 1e-12, "gelu")
    assert config.pad_token_id == 0


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"position_embedding_type": "absolute"}, "relative_key_query"),
        ({"position_embedding_type": "relative_key"}, "relative_key_query"),
        ({"position_embedding_type": None}, "relative_key_query"),  # None: key removed
        ({"model_type": "bert"}, "model_type"),
        ({"hidden_size": 30}, "multiple"),
        ({"hidden_size": None}, "missing"),
        ({"num_hidden_layers": 2.0}, "integer"),
        ({"hidden_act": "swish"}, "hidden_act"),
        ({"is_decoder": True}, "is_decoder"),
        ({"pad_token_id": 69}, "pad_token_id"),
    ],
)
def test_bad_configs_refused(change: dict[str, Any], match: str) -> None:
    """Unsupported or malformed configs raise ValueError naming the problem."""
    config = {**SMALL, **change}
    for key, value in change.items():
        if value is None:
            del config[key]
    with pytest.raises(ValueError, match=match):
        ProkBertConfig.from_dict(config)


# --- dtypes ---------------------------------------------------------------------------------


def _dtype_check(device: str, dtype: torch.dtype, atol: float) -> None:
    """Run in a reduced dtype and compare loosely with the fp64 reference."""
    sd = random_weights(SMALL, seed=4)
    model = load_model(SMALL, sd).to(device=device, dtype=dtype)
    ids, mask, _ = make_batch([64, 30, 1], 69, seed=4)
    with torch.no_grad():
        out = model(ids.to(device), mask.to(device), output_hidden_states=True)
    last, _, logits = ref.reference_forward({k: t.double() for k, t in sd.items()}, SMALL, ids, mask)
    assert out.logits.dtype == dtype and torch.isfinite(out.logits).all()
    assert (out.last_hidden_state.double().cpu() - last).abs().max().item() < atol
    assert (out.logits.double().cpu() - logits).abs().max().item() < atol * 10


def test_bfloat16_on_cpu() -> None:
    """bf16 runs on CPU and stays close to the reference."""
    _dtype_check("cpu", torch.bfloat16, atol=0.25)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_on_cuda(dtype: torch.dtype) -> None:
    """fp16/bf16 run on CUDA and stay close to the reference."""
    _dtype_check("cuda", dtype, atol=0.05 if dtype == torch.float16 else 0.25)


# --- optional: transformers 4.x MegatronBert ------------------------------------------------


def _transformers_has_relative_megatron() -> bool:
    """Whether the installed transformers' MegatronBert implements relative_key_query (no import)."""
    try:
        spec = importlib.util.find_spec("transformers")
    except (ImportError, ValueError):
        return False
    if spec is None or spec.origin is None:
        return False
    source = Path(spec.origin).parent / "models" / "megatron_bert" / "modeling_megatron_bert.py"
    return source.is_file() and "distance_embedding" in source.read_text(encoding="utf-8")


@pytest.mark.skipif(
    not _transformers_has_relative_megatron(),
    reason="installed transformers has no MegatronBert relative_key_query (removed in 5.x)",
)
def test_matches_transformers_megatron_bert() -> None:
    """Same outputs as transformers 4.x MegatronBertForMaskedLM loaded with the same weights."""
    from transformers import MegatronBertConfig, MegatronBertForMaskedLM

    sd = random_weights(SMALL, seed=9)
    hf_config = MegatronBertConfig(
        **{k: v for k, v in SMALL.items() if k not in ("architectures", "model_type")}
    )
    hf = MegatronBertForMaskedLM(hf_config).eval()
    assert hasattr(hf.bert.encoder.layer[0].attention.self, "distance_embedding")
    result = hf.load_state_dict(sd, strict=False)
    assert not result.unexpected_keys
    assert set(result.missing_keys) <= {
        "cls.predictions.decoder.weight",
        "cls.predictions.decoder.bias",
        "bert.embeddings.position_ids",
    }
    hf.tie_weights()
    model = load_model(SMALL, sd)
    ids, mask, tt = make_batch([256, 100, 3], 69, seed=9, types=True)
    with torch.no_grad():
        want = hf(input_ids=ids, attention_mask=mask, token_type_ids=tt, output_hidden_states=True)
        got = model(ids, mask, tt, output_hidden_states=True)
    assert got.hidden_states is not None and len(got.hidden_states) == len(want.hidden_states)
    for a, b in zip(got.hidden_states, want.hidden_states, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=ATOL)
    torch.testing.assert_close(got.logits, want.logits, rtol=0, atol=ATOL)


@pytest.mark.parametrize(("lengths", "pad"), [([12], False), ([40, 5, 64, 1], True)])
def test_attentions_match_the_reference(
    setup: tuple[str, ProkBertForMaskedLM, dict[str, Any]], lengths: list[int], pad: bool,
) -> None:
    """output_attentions gives the reference's softmax((qk^T + q.R + k.R)/sqrt(d) + mask) per layer."""
    name, model, data = setup
    ids, mask, _ = make_batch(lengths, USED_VOCAB[name], seed=7, pad=pad)
    want: list[torch.Tensor] = []
    last, _, _ = ref.reference_forward(data["fp64"], data["config"], ids, mask, attentions=want)
    with torch.no_grad():
        out = model(ids, attention_mask=mask, output_attentions=True)
        assert model(ids, attention_mask=mask).attentions is None
    assert out.attentions is not None and len(out.attentions) == len(want)
    heads = data["config"]["num_attention_heads"]
    for got, exp in zip(out.attentions, want, strict=True):
        assert got.shape == (len(lengths), heads, max(lengths), max(lengths))
        torch.testing.assert_close(got, exp.float(), rtol=0, atol=1e-6)
    torch.testing.assert_close(out.last_hidden_state, last.float(), rtol=0, atol=ATOL)
