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

if importlib.util.find_spec("dnallm_zoo_mutbert") is None:
    sys.path.insert(0, str(_TESTS.parent))

# Registered as "mutbert_reference", not "reference", so other plugins' helpers cannot clash.
testing.load_test_module("mutbert_reference", _TESTS / "reference.py")


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread() -> Iterator[None]:
    """Run these tests single-threaded (see `dnallm_zoo.testing.one_torch_thread`)."""
    with testing.one_torch_thread():
        yield


@pytest.fixture(scope="session")
def zoo() -> object:
    """dnallm_zoo with this plugin registered (its entry point, or in-process when uninstalled)."""
    import dnallm_zoo_mutbert

    from dnallm_zoo.testing import registered

    return registered(dnallm_zoo_mutbert.family, name="mutbert", distribution="dnallm-zoo-mutbert")


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """A factory of tiny original-layout checkpoints, cached per option set (treat them read-only)."""
    from dnallm_zoo_mutbert.checkpoint import original_config, write_checkpoint

    made: dict[tuple[Any, ...], Path] = {}

    def make(*, weights: Any = "bin", tied_aliases: bool = True, seed: int = 0, **config: Any) -> Path:
        key = (weights, tied_aliases, seed, tuple(sorted(config.items(), key=lambda kv: kv[0])).__repr__())
        if key not in made:
            path = tmp_path_factory.mktemp(f"mutbert-{weights}-{int(tied_aliases)}-{seed}")
            made[key] = write_checkpoint(path, config=original_config(**config), seed=seed,
                                         weights=weights, tied_aliases=tied_aliases)
        return made[key]

    return make
