"""Test setup: make the plugin importable uninstalled; load the reference under a unique name."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

_TESTS = Path(__file__).resolve().parent
_PLUGIN_ROOT = _TESTS.parent

if importlib.util.find_spec("dnallm_zoo_dnabert2") is None:
    sys.path.insert(0, str(_PLUGIN_ROOT))

# Registered as "dnabert2_reference", not "reference", so other plugins' helpers cannot clash.
if "dnabert2_reference" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("dnabert2_reference", _TESTS / "reference.py")
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["dnabert2_reference"] = _module
    _spec.loader.exec_module(_module)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread() -> Iterator[None]:
    """Run these tests single-threaded: on a busy 2-core machine OpenMP spinning costs 10-40x."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
