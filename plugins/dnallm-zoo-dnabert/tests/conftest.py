"""Shared fixtures: tiny original-layout DNABERT checkpoints and the transformers reference."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

_PLUGIN_ROOT = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("dnallm_zoo_dnabert") is None:  # run from a checkout, uninstalled
    sys.path.insert(0, str(_PLUGIN_ROOT))


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """A factory of tiny random DNABERT-k checkpoints (cached per k and weight format)."""
    from dnallm_zoo_dnabert.checkpoint import write_checkpoint

    made: dict[tuple[int, bool], Path] = {}

    def make(k: int, *, safetensors: bool = True) -> Path:
        key = (k, safetensors)
        if key not in made:
            path = tmp_path_factory.mktemp(f"dnabert{k}{'' if safetensors else '-bin'}")
            made[key] = write_checkpoint(path, k, seed=k, safetensors=safetensors)
        return made[key]

    return make


@pytest.fixture(scope="session")
def zoo() -> object:
    """dnallm_zoo with this plugin registered (through its entry point, or in-process if uninstalled)."""
    import dnallm_zoo_dnabert

    from dnallm_zoo.testing import registered

    return registered(dnallm_zoo_dnabert.family, name="dnabert", distribution="dnallm-zoo-dnabert")
