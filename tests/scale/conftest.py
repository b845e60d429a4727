"""The scale-out tests: the toy family installed from `plugin_site/` (driver and Ray workers alike), a
local Ray per test module (in-process driver, loopback only, 2 CPUs, a small object store); helpers in
`scale_support`."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dnallm_zoo._registry import reset_plugins

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # tests/ is no package: the helpers in scale_support.py
    sys.path.insert(0, str(HERE))
SITE = HERE / "plugin_site"
# Ray reads this when it is first imported (a test module may import it at collection): with it, Ray
# binds every server to 127.0.0.1 (loopback only) instead of the machine's address.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
_ENV = ("PYTHONPATH", "DNALLM_ZOO_TOY_HOME", "DNALLM_ZOO_TEST_FAULTS")


@pytest.fixture(scope="module")
def toy_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The toy plugin installed for this module (its weights under the returned directory)."""
    home = tmp_path_factory.mktemp("toy-home")
    saved = {k: os.environ.get(k) for k in _ENV}
    os.environ["DNALLM_ZOO_TOY_HOME"] = str(home)
    sys.path.insert(0, str(SITE))
    importlib.invalidate_caches()
    reset_plugins()
    try:
        yield home
    finally:
        sys.path.remove(str(SITE))
        sys.modules.pop("zoo_toy_scale", None)
        importlib.invalidate_caches()
        _restore(saved)
        reset_plugins()


def _restore(saved: dict[str, str | None]) -> None:
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def cluster(toy_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local Ray for this module; returns the directory where tests arm faults in the workers."""
    ray = pytest.importorskip("ray")
    faults = tmp_path_factory.mktemp("faults")
    saved = {k: os.environ.get(k) for k in _ENV}
    # the workers inherit the environment Ray starts with: the plugin site, and the armed faults
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SITE), saved["PYTHONPATH"]) if p)
    os.environ["DNALLM_ZOO_TEST_FAULTS"] = str(faults)
    from ray._private import ray_constants

    before = ray_constants.ENABLE_RAY_CLUSTER
    ray_constants.ENABLE_RAY_CLUSTER = False  # in case ray was imported before this conftest
    try:
        ray.init(num_cpus=2, include_dashboard=False, object_store_memory=200 * 1024 * 1024,
                 log_to_driver=False, configure_logging=False)
    finally:  # the driver itself keeps no faults
        for k in ("PYTHONPATH", "DNALLM_ZOO_TEST_FAULTS"):
            _restore({k: saved[k]})
        ray_constants.ENABLE_RAY_CLUSTER = before
    try:
        assert ray.util.get_node_ip_address() == "127.0.0.1", "Ray is not on loopback only"
        yield faults
    finally:
        ray.shutdown()
        _restore(saved)

