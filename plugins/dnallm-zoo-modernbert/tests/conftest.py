"""Test setup: make the plugin importable uninstalled; one torch thread."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dnallm_zoo import testing

if importlib.util.find_spec("dnallm_zoo_modernbert") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread() -> Iterator[None]:
    """Run these tests single-threaded (see `dnallm_zoo.testing.one_torch_thread`)."""
    with testing.one_torch_thread():
        yield


@pytest.fixture(scope="session")
def zoo() -> object:
    """dnallm_zoo with this plugin registered (its entry point, or in-process when uninstalled)."""
    import dnallm_zoo_modernbert

    from dnallm_zoo.testing import registered

    return registered(dnallm_zoo_modernbert.family, name="modernbert_dna",
                      distribution="dnallm-zoo-modernbert")
