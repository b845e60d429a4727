"""Shared fixtures: the plugin importable from a checkout, tiny original-layout checkpoints."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dnallm_zoo import testing

if importlib.util.find_spec("dnallm_zoo_prokbert") is None:  # run from a checkout, uninstalled
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@pytest.fixture(scope="session")
def prokbert_dir(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """A factory of tiny ProkBERT checkpoints, cached per (model, config flavour, weights format, seed)."""
    from dnallm_zoo_prokbert.checkpoint import write_checkpoint

    made: dict[tuple[str, str, str, int], Path] = {}

    def make(model: str, *, flavour: Any = "prokbert", fmt: Any = "safetensors", seed: int = 0) -> Path:
        key = (model, flavour, fmt, seed)
        if key not in made:
            path = tmp_path_factory.mktemp(f"{model}-{flavour}-{fmt}-{seed}")
            made[key] = write_checkpoint(path, model, flavour=flavour, fmt=fmt, seed=seed)
        return made[key]

    return make


@pytest.fixture(scope="session")
def registered() -> None:
    """The three models in the registry: through the entry point, or in-process from a checkout."""
    import dnallm_zoo_prokbert

    from dnallm_zoo import testing

    testing.registered(dnallm_zoo_prokbert.family, name="prokbert", distribution="dnallm-zoo-prokbert")


@pytest.fixture(scope="session")
def reference() -> ModuleType:
    """tests/reference.py (the eager reference) under a private module name."""
    name = "_dnallm_zoo_prokbert_test_reference"  # other plugins may ship a reference.py too
    return testing.load_test_module(name, Path(__file__).with_name("reference.py"))
