"""Random weights made one way, and the weights writer."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dnallm_zoo.kit import random_state_dict, read_state_dict, write_weights


def _module() -> torch.nn.Module:
    with torch.device("meta"):
        m = torch.nn.ModuleDict({"emb": torch.nn.Embedding(10, 8), "LayerNorm": torch.nn.LayerNorm(8),
                                 "dense": torch.nn.Linear(8, 4)})
    m.register_buffer("steps", torch.zeros(3, dtype=torch.long, device="meta"))
    return m


def test_random_state_dict_deterministic_and_scaled() -> None:
    a = random_state_dict(_module(), seed=1)
    b = random_state_dict(_module(), seed=1)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["dense.weight"], random_state_dict(_module(), seed=2)["dense.weight"])
    assert set(a) == {"emb.weight", "LayerNorm.weight", "LayerNorm.bias", "dense.weight", "dense.bias",
                      "steps"}
    assert abs(float(a["LayerNorm.weight"].mean()) - 1) < 0.2 and a["steps"].dtype == torch.long
    assert float(a["dense.weight"].std()) < 0.5 and not any(t.is_meta for t in a.values())
    assert "dense.bias" not in random_state_dict(_module(), skip={"dense.bias"})


def test_write_weights_formats(tmp_path: Path) -> None:
    w = torch.randn(4, 3)
    sd = {"a.weight": w, "tied.weight": w}  # shared storage, as a tied original saves it
    st = write_weights(tmp_path / "s", sd)
    assert st.name == "model.safetensors" and torch.equal(read_state_dict(st)["tied.weight"], w)
    b = write_weights(tmp_path / "b", sd, "bin")
    back = torch.load(b, weights_only=True)
    assert b.name == "pytorch_model.bin" and back["a.weight"].data_ptr() == back["tied.weight"].data_ptr()
    with pytest.raises(ValueError, match="safetensors"):
        write_weights(tmp_path / "x", sd, "pickle")  # type: ignore[arg-type]
