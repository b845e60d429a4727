"""Test setup: make the plugin importable uninstalled; load the reference under a unique name."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dnallm_zoo import testing

_TESTS = Path(__file__).resolve().parent
_PLUGIN_ROOT = _TESTS.parent

if importlib.util.find_spec("dnallm_zoo_dnabert2") is None:
    sys.path.insert(0, str(_PLUGIN_ROOT))

# Registered as "dnabert2_reference", not "reference", so other plugins' helpers cannot clash.
testing.load_test_module("dnabert2_reference", _TESTS / "reference.py")


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread() -> Iterator[None]:
    """Run these tests single-threaded (see `dnallm_zoo.testing.one_torch_thread`)."""
    with testing.one_torch_thread():
        yield


@pytest.fixture(scope="session")
def zoo() -> object:
    """dnallm_zoo with this plugin registered (its entry point, or in-process when uninstalled)."""
    import dnallm_zoo_dnabert2

    from dnallm_zoo.testing import registered

    return registered(dnallm_zoo_dnabert2.family, name="dnabert2", distribution="dnallm-zoo-dnabert2")


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """A factory of tiny original-layout checkpoints, cached per option set (treat them read-only)."""
    from dnallm_zoo_dnabert2.checkpoint import write_checkpoint

    made: dict[tuple[Any, ...], Path] = {}

    def make(*, weights: Any = "bin", decoder_weight: bool = True, seed: int = 0) -> Path:
        key = (weights, decoder_weight, seed)
        if key not in made:
            path = tmp_path_factory.mktemp(f"dnabert2-{weights}-{int(decoder_weight)}-{seed}")
            made[key] = write_checkpoint(path, weights=weights, decoder_weight=decoder_weight,
                                         seed=seed)
        return made[key]

    return make
