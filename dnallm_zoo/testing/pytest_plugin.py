"""pytest plugin `dnallm_zoo` (entry point pytest11): conformance suites and registry fixtures.

A plugin's tests get every conformance check for every model it registers with one line::

    from dnallm_zoo.testing import conformance_suite

    TestConformance = conformance_suite(plugin="dnabert")

pytest loads this module in every run of an environment holding dnallm-zoo, so importing it
stays cheap: nothing from torch (or the registry) is imported until a suite or fixture is used.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .._discovery import ZooPluginManager
    from .checks import ModelUnderTest
    from .toy import ToyPlugin

__all__ = [
    "conformance_suite",
    "zoo_isolated",
    "zoo_plugin",
    "zoo_toy",
    "zoo_toy_checkpoint",
]

_CHECK_NAMES = (  # the keys of checks.CHECKS, repeated here so that collecting imports no torch
    "strict_load", "tokenizer", "shapes", "batch_invariance", "attentions", "determinism",
    "save_round_trip", "long_input",
)


# --------------------------------------------------------------------------- the suite
class _Subjects:
    """Models under test by qualified name, each on a tiny checkpoint written once per session."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.made: dict[str, ModelUnderTest] = {}

    def get(self, qualified: str) -> ModelUnderTest:
        if qualified not in self.made:
            from .._registry import get_registry
            from .checkpoints import make_test_checkpoint
            from .checks import ModelUnderTest

            spec = get_registry().resolve(qualified).spec
            path = make_test_checkpoint(spec, self.factory.mktemp(f"conformance-{spec.id}"))
            self.made[qualified] = ModelUnderTest.from_registry(qualified, path)
        return self.made[qualified]


@pytest.fixture(scope="session")
def _zoo_subjects(tmp_path_factory: pytest.TempPathFactory) -> _Subjects:
    return _Subjects(tmp_path_factory)


def _run(subjects: _Subjects, qualified: str, name: str, **kwargs: str) -> None:
    """Run one check as a test: its AssertionError fails the test (message only), CheckSkipped skips it."""
    from .checks import CHECKS, CheckSkipped, check_device

    m = subjects.get(qualified)
    failure = skip = None
    try:
        if name == "device":
            check_device(m, **kwargs)
        else:
            CHECKS[name](m)
    except CheckSkipped as exc:
        skip = str(exc)
    except AssertionError as exc:  # the check's message says it all; its traceback would not
        failure = f"{m.spec.id}: {exc}"
    if skip is not None:
        pytest.skip(skip)
    if failure is not None:
        pytest.fail(failure, pytrace=False)


def _selected(plugin: str | None, models: str) -> list[Any]:
    """The registered specs of `plugin` (every plugin if None) whose id or an alias matches."""
    from .._registry import get_registry

    reg = get_registry()
    pat = models.lower()
    return [
        e.spec for e in sorted(reg.entries.values(), key=lambda e: e.qualified)
        if (plugin is None or (e.spec.plugin or "").lower() == plugin.lower())
        and any(fnmatch.fnmatchcase(n.lower(), pat) for n in e.spec.names)
    ]


def conformance_suite(plugin: str | None = None, models: str = "*") -> type:
    """A pytest test class running every conformance check on every matching registered model.

    `plugin` is the entry-point name of the plugin under test (None: every registered plugin);
    `models` a wildcard on ids and aliases. Each model's tiny checkpoint comes from its plugin's
    `make_test_checkpoint` hook. Use it as ``TestConformance = conformance_suite(plugin="x")``.
    """
    specs = _selected(plugin, models)
    where = f"plugin {plugin!r}" if plugin is not None else "any plugin"
    if not specs:
        message = (
            f"no registered model of {where} matches {models!r}; is the plugin installed "
            "(`pip install -e plugins/<dist>`) and not blocked by DNALLM_ZOO_PLUGINS?"
        )

        class TestConformanceEmpty:
            def test_models_registered(self) -> None:
                pytest.fail(message)

        return TestConformanceEmpty

    def label(s: Any) -> str:
        return s.id if plugin is not None else f"{s.plugin}:{s.id}"

    one = [pytest.param(f"{s.plugin}:{s.id}", id=label(s)) for s in specs]
    per_device = [
        pytest.param(f"{s.plugin}:{s.id}", dev, dt, id=f"{label(s)}-{dev}-{dt}")
        for s in specs for dev in s.capabilities.devices for dt in s.capabilities.dtypes.get(dev, ())
    ]

    def make(name: str) -> Callable[..., None]:
        def test(self: object, model: str, _zoo_subjects: _Subjects) -> None:
            _run(_zoo_subjects, model, name)

        test.__name__ = f"test_{name}"
        test.__doc__ = f"Conformance check {name!r}."
        return pytest.mark.parametrize("model", one)(test)

    def test_device(self: object, model: str, device: str, dtype: str, _zoo_subjects: _Subjects) -> None:
        """Conformance check 'device': every advertised device/dtype this machine has."""
        _run(_zoo_subjects, model, "device", device=device, dtype=dtype)

    body: dict[str, Any] = {f"test_{name}": make(name) for name in _CHECK_NAMES}
    body["test_device"] = pytest.mark.parametrize("model,device,dtype", per_device)(test_device)
    body["__doc__"] = f"dnallm-zoo conformance of {where}'s models matching {models!r}."
    suffix = "".join(part.capitalize() for part in (plugin or "all").replace("-", "_").split("_"))
    return type(f"TestConformance{suffix}", (), body)


# --------------------------------------------------------------------------- fixtures
@pytest.fixture
def zoo_plugin() -> Iterator[Callable[..., str]]:
    """Register in-process plugins for one test: ``zoo_plugin(obj, name="x")``; removed afterwards.

    The registry is rebuilt after each registration and after the removals.
    """
    from .._discovery import get_manager
    from .._registry import reset_registry

    names: list[str] = []

    def register(plugin: object, name: str | None = None) -> str:
        manager = get_manager()
        key = name or getattr(plugin, "__name__", None) or type(plugin).__name__.lower()
        seen = len(manager.info[key].errors) if key in manager.info else 0
        info = manager.register(plugin, name=key)
        if len(info.errors) > seen:
            raise RuntimeError(f"registering plugin {key!r} failed: {info.errors[-1]}")
        names.append(key)
        reset_registry()
        return key

    yield register
    manager = get_manager(load=False)
    for key in reversed(names):
        manager.unregister(key)
    reset_registry()


@pytest.fixture
def zoo_isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[ZooPluginManager]:
    """A fresh plugin manager that loads no installed plugin (only the core); restored afterwards."""
    from .._discovery import get_manager
    from .._registry import reset_plugins

    monkeypatch.setenv("DNALLM_ZOO_PLUGINS", "")
    monkeypatch.delenv("DNALLM_ZOO_BLOCK_PLUGINS", raising=False)
    monkeypatch.delenv("DNALLM_ZOO_STRICT_PLUGINS", raising=False)
    reset_plugins()
    yield get_manager()
    reset_plugins()


@pytest.fixture
def zoo_toy(
    zoo_isolated: ZooPluginManager,
    zoo_plugin: Callable[..., str],
    tmp_path_factory: pytest.TempPathFactory,
) -> ToyPlugin:
    """The toy family registered alone (plugin name 'toy'); `load("toy-kmer3")` works offline."""
    from .toy import ToyPlugin

    toy = ToyPlugin(home=tmp_path_factory.mktemp("toy-home"))
    zoo_plugin(toy, name="toy")
    return toy


@pytest.fixture(scope="session")
def zoo_toy_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A toy checkpoint directory, written once per session; treat it as read-only."""
    from .toy import write_toy_checkpoint

    return write_toy_checkpoint(tmp_path_factory.mktemp("toy-checkpoint") / "toy-kmer3")
