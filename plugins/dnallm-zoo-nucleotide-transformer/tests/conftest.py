"""The plugin registered (its entry point, or in-process from a checkout); the reference, uniquely named."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dnallm_zoo import testing

_TESTS = Path(__file__).resolve().parent
if importlib.util.find_spec("dnallm_zoo_nucleotide_transformer") is None:  # a checkout, uninstalled
    sys.path.insert(0, str(_TESTS.parent))

# registered as "nt_reference", not "reference", so other plugins' helpers cannot clash
testing.load_test_module("nt_reference", _TESTS / "reference.py")

import dnallm_zoo_nucleotide_transformer  # noqa: E402
from dnallm_zoo_nucleotide_transformer.checkpoint import write_checkpoint  # noqa: E402

from dnallm_zoo.testing import registered  # noqa: E402

# at collection, so that the conformance suites see the models
zoo = registered(dnallm_zoo_nucleotide_transformer.family, name="nucleotide_transformer",
                 distribution="dnallm-zoo-nucleotide-transformer")


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread() -> Iterator[None]:
    """Run these tests single-threaded (see `dnallm_zoo.testing.one_torch_thread`)."""
    with testing.one_torch_thread():
        yield


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """`tiny(version, **kw)`: a tiny checkpoint directory (1 v1, 2 v2, 3 AgroNT), one per arguments."""
    made: dict[str, Path] = {}

    def get(version: int, **kw: object) -> Path:
        key = f"{version}-{sorted(kw.items())}"
        if key not in made:
            where = tmp_path_factory.mktemp("nt") / f"v{version}"
            made[key] = write_checkpoint(where, version, **kw)  # type: ignore[arg-type]  # kw: the writer's own keywords
        return made[key]

    return get
