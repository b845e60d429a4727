"""The Python API writes the run metadata `dnallm-zoo embed -o DIR/` writes, so either resumes the other."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dnallm_zoo import load
from dnallm_zoo._commands import Embedding
from dnallm_zoo._options import EmbedOptions
from dnallm_zoo._registry import reset_plugins
from dnallm_zoo.cli._options import ModelOptions
from dnallm_zoo.scale._engine import embedding_metadata
from dnallm_zoo.testing import ToyPlugin, registered


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[None]:
    reset_plugins()
    registered(ToyPlugin(tmp_path), name="toy")
    yield
    reset_plugins()


@pytest.mark.parametrize(("pooling", "layer", "long", "overlap", "iupac"),
                         [("mean", -1, "chunk", None, None), ("max", 0, "error", 4, "error")])
def test_the_api_metadata_is_the_clis(toy: None, pooling: Any, layer: int, long: Any, overlap: int | None,
                                      iupac: Any) -> None:
    opts = ModelOptions.parsed(inputs=("a.fa",), model="toy-kmer3", output="out/", id_column="id",
                               sequence_column="sequence", skip_invalid=False, shard_size=None, resume=False,
                               device="cpu", dtype="auto", cache_dir=None, token_budget=64, iupac=iupac,
                               no_uppercase=True, no_u_to_t=False)
    spec = load("toy-kmer3").spec
    command = Embedding(EmbedOptions(pooling=pooling, layer=layer, long=long, overlap=overlap))
    plan = command.plan(spec, opts.load.policy(spec))
    assert plan.layout.source and plan.layout.columns == ("length",)
    assert json.loads(plan.metadata["normalization"])["uppercase"] is False
    assert embedding_metadata(spec, normalization=opts.load.normalization.overrides(), pooling=pooling,
                              layer=layer, long=long, overlap=overlap) == plan.metadata
