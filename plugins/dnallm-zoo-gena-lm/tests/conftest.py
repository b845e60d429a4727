"""Shared fixtures: tiny GENA-LM checkpoints in the original layouts, one torch thread."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dnallm_zoo import testing

_PLUGIN_ROOT = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("dnallm_zoo_gena_lm") is None:  # run from a checkout, uninstalled
    sys.path.insert(0, str(_PLUGIN_ROOT))

# registered as "gena_reference", not "reference", so other plugins' helpers cannot clash
testing.load_test_module("gena_reference", _PLUGIN_ROOT / "tests" / "reference.py")


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """Run these tests single-threaded (see `dnallm_zoo.testing.one_torch_thread`)."""
    with testing.one_torch_thread():
        yield


@pytest.fixture(scope="session")
def zoo() -> object:
    """dnallm_zoo with both GENA-LM families registered (entry points, or in-process if uninstalled)."""
    import dnallm_zoo_gena_lm

    from dnallm_zoo.testing import registered

    registered(dnallm_zoo_gena_lm.family, name="gena-lm", distribution="dnallm-zoo-gena-lm")
    return registered(dnallm_zoo_gena_lm.bigbird, name="gena-lm-bigbird", distribution="dnallm-zoo-gena-lm")
