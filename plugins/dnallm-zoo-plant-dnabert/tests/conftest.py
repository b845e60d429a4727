"""Tiny Plant DNABERT checkpoints, written once per test session."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

_PLUGIN_DIR = str(Path(__file__).resolve().parents[1])
if _PLUGIN_DIR not in sys.path:  # a source checkout before the distribution is installed
    sys.path.insert(0, _PLUGIN_DIR)

from dnallm_zoo_plant_dnabert.checkpoints import write_tiny_checkpoint  # noqa: E402

from dnallm_zoo import get_spec  # noqa: E402


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """`tiny(model_id)`: the directory of a tiny random checkpoint of that model."""
    made: dict[str, Path] = {}

    def get(model_id: str) -> Path:
        if model_id not in made:
            path = tmp_path_factory.mktemp("plant") / model_id
            made[model_id] = write_tiny_checkpoint(get_spec(model_id), path)
        return made[model_id]

    return get
