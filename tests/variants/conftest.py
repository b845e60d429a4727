"""Tiny original-layout checkpoints of the installed families, a random genome, and helpers."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import dnallm_zoo
from dnallm_zoo import DNAEncoder
from dnallm_zoo.testing import make_test_checkpoint

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:  # tests/ is no package: helpers in variant_support.py
    sys.path.insert(0, HERE)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[DNAEncoder, Path]]:
    """model id -> (its tiny checkpoint loaded on the CPU in fp32, the checkpoint directory)."""
    made: dict[str, tuple[DNAEncoder, Path]] = {}

    def get(model_id: str) -> tuple[DNAEncoder, Path]:
        if model_id not in made:
            path = make_test_checkpoint(model_id, tmp_path_factory.mktemp(model_id))
            enc = dnallm_zoo.load(path, device="cpu", dtype="float32")  # a layout's first model may answer
            made[model_id] = (enc, path)
        return made[model_id]

    return get


@pytest.fixture(scope="session")
def genome() -> dict[str, str]:
    """Two random contigs: one longer than any tiny model's window, one shorter."""
    rng = random.Random(7)
    return {"chr1": "".join(rng.choice("ACGT") for _ in range(700)),
            "chr2": "".join(rng.choice("ACGT") for _ in range(40))}


@pytest.fixture(scope="session")
def genome_fa(tmp_path_factory: pytest.TempPathFactory, genome: dict[str, str]) -> Path:
    path = tmp_path_factory.mktemp("genome") / "genome.fa"
    path.write_text("".join(f">{name} test contig\n{seq}\n" for name, seq in genome.items()))
    return path
