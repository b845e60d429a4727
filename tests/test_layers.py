"""Features from any layer: layer requests resolved up front, one pooled vector per layer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

TESTS = str(Path(__file__).resolve().parent)
if TESTS not in sys.path:  # tests/ is no package (pytest's importlib mode)
    sys.path.insert(0, TESTS)

from dnallm_zoo import InputError  # noqa: E402
from dnallm_zoo._layers import parse_layers, resolve_layers  # noqa: E402

SEQS = ["ACGTAGCTAGCTAGGATCGATTTACG", "GATTACA" * 3, "TTGACCATG"]


def test_resolve_layers() -> None:
    assert resolve_layers("all", 3, what="x", model="m") == (0, 1, 2)
    assert resolve_layers(-1, 3, what="x", model="m") == (2,)
    assert resolve_layers([0, -1, 2, 1], 3, what="x", model="m") == (0, 2, 1)  # -1 and 2: once
    with pytest.raises(InputError, match=r"layer 3, -4 out of range: m has 3 hidden states \(0 to 2, or -3"):
        resolve_layers([0, 3, -4], 3, what="hidden states", model="m")
    with pytest.raises(InputError, match="no x asked for"):
        resolve_layers([], 3, what="x", model="m")
    with pytest.raises(InputError, match="'last'"):
        resolve_layers("last", 3, what="x", model="m")  # type: ignore[arg-type]


def test_parse_layers() -> None:
    assert parse_layers("-1") == -1
    assert parse_layers("0,6,-1") == (0, 6, -1)
    assert parse_layers("-1,") == (-1,)
    assert parse_layers("ALL") == "all"
    with pytest.raises(InputError, match="integers separated by commas"):
        parse_layers("1,last")


@pytest.fixture
def toy(zoo_toy: Any) -> Any:
    import dnallm_zoo

    return dnallm_zoo.load("toy-kmer3", device="cpu", dtype="float32")


@torch.inference_mode()
def _pooled_states(enc: Any, seq: str, pooling: str) -> np.ndarray:
    ids = torch.from_numpy(enc.tokenizer.encode(seq))[None]
    out = enc.forward(ids, torch.ones_like(ids), output_hidden_states=True)
    states = torch.stack(out.hidden_states)[:, 0]  # [layers + 1, T, H]
    return (states.mean(1) if pooling == "mean" else states[:, 0] if pooling == "cls"
            else states.amax(1)).numpy()


@pytest.mark.parametrize("pooling", ["mean", "cls", "max"])
def test_every_layer_equals_the_hidden_states_pooled(toy: Any, pooling: str) -> None:
    got = toy.embed(SEQS, layers="all", pooling=pooling)
    assert got.shape == (3, toy.num_layers + 1, toy.hidden_size) and got.dtype == np.float32
    for row, seq in enumerate(SEQS):
        np.testing.assert_allclose(got[row], _pooled_states(toy, seq, pooling), atol=1e-5, rtol=0)
    picked = toy.embed(SEQS, layers=[-1, 0], pooling=pooling)
    np.testing.assert_array_equal(picked[:, 0], got[:, -1])
    np.testing.assert_array_equal(picked[:, 1], got[:, 0])
    np.testing.assert_allclose(toy.embed(SEQS, pooling=pooling), got[:, -1], atol=1e-6, rtol=0)
    np.testing.assert_allclose(toy.embed(SEQS, pooling=pooling, layer=1), got[:, 1], atol=1e-6, rtol=0)


def test_per_token_layers_and_their_bases(toy: Any) -> None:
    from dnallm_zoo.tokenize.offsets import token_spans

    rows = toy.embed(SEQS, pooling="none", layers=[0, -1])
    for seq, x in zip(SEQS, rows, strict=True):
        spans = token_spans(toy.tokenizer, seq)
        assert x.shape == (2, len(spans), toy.hidden_size)
        ids = torch.from_numpy(toy.tokenizer.encode(seq))[None]
        with torch.inference_mode():
            out = toy.forward(ids, torch.ones_like(ids), output_hidden_states=True)
        np.testing.assert_allclose(x[1], out.hidden_states[-1][0].numpy(), atol=1e-5, rtol=0)
        assert spans[1].tolist() == [0, 3] and spans[-1].tolist() == [0, 0]  # a 3-mer; [SEP]


def test_chunked_sequences_fold_every_layer(toy: Any) -> None:
    long = "ACGTTGCAAGGCTTAACGGACGTAGCTAGCTTAGGCACGTAGGATC" * 2  # past the toy's 34 bases: chunked
    got = toy.embed([long], layers="all")
    for i in range(toy.num_layers + 1):
        np.testing.assert_allclose(got[0, i], toy.embed([long], layer=i)[0], atol=1e-6, rtol=0)


def test_a_layer_the_model_lacks_is_refused_before_model_work(toy: Any, monkeypatch: Any) -> None:
    def no_forward(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the model ran")

    monkeypatch.setattr(toy, "forward", no_forward)
    with pytest.raises(InputError, match=r"layer 3 out of range: toy-kmer3 has 3 hidden states"):
        toy.embed(SEQS, layers=[0, 3])
    with pytest.raises(InputError, match=r"layer -4 out of range"):
        toy.embed(SEQS, layer=-4)
    with pytest.raises(InputError, match="give one of them"):
        toy.embed(SEQS, layer=1, layers=[0])
    assert list(toy.embed_iter([], layers="all")) == []
    assert toy.embed([], layers="all").shape == (0, 3, toy.hidden_size)


def test_segments_per_layer(toy: Any) -> None:
    seqs = ["ACGTTGCAAGGCTTAACGGACGTAGCTAGCTTAGG" * 2]
    seg = list(toy.embed_segments(seqs, segment_bases=20, layers=[0, 2]))
    assert len(seg) == 4 and all(s.vector.shape == (2, toy.hidden_size) for s in seg)
    one = list(toy.embed_segments(seqs, segment_bases=20, layer=2))
    np.testing.assert_allclose(np.stack([s.vector[1] for s in seg]), np.stack([s.vector for s in one]),
                               atol=1e-6, rtol=0)


