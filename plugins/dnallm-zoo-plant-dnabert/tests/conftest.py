"""The plugin registered (its entry point, or in-process from a checkout); tiny checkpoints once a session."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

if importlib.util.find_spec("dnallm_zoo_plant_dnabert") is None:  # run from a checkout, uninstalled
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dnallm_zoo_plant_dnabert
from dnallm_zoo_plant_dnabert.checkpoint import write_test_checkpoint

from dnallm_zoo.testing import registered

# at collection, so that the conformance suites see the models
zoo = registered(dnallm_zoo_plant_dnabert.family, name="plant_dnabert",
                 distribution="dnallm-zoo-plant-dnabert")


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """`tiny(model_id)`: the directory of a tiny random checkpoint of that model."""
    made: dict[str, Path] = {}

    def get(model_id: str) -> Path:
        if model_id not in made:
            path = tmp_path_factory.mktemp("plant") / model_id
            made[model_id] = write_test_checkpoint(zoo.get_spec(model_id), path)
        return made[model_id]

    return get
