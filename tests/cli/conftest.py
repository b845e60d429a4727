"""The `dnallm-zoo` command line's tests: a tiny in-process toy plugin (tests/toy_plugin.py), helpers in
`cli_support` (tests/ is no package, so both directories go on sys.path)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for d in (str(HERE), str(HERE.parent)):
    if d not in sys.path:
        sys.path.insert(0, d)

import toy_plugin  # noqa: E402

import dnallm_zoo  # noqa: E402
from dnallm_zoo._discovery import get_manager  # noqa: E402
from dnallm_zoo._registry import reset_plugins, reset_registry  # noqa: E402


@pytest.fixture(scope="module")
def toy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("toy")
    plugin = toy_plugin.CliToyPlugin(root)
    for model_id, path in plugin.dirs.items():
        spec = dnallm_zoo.ModelSpec.model_validate(
            toy_plugin.toy_spec(model_id, path, classifier=model_id == "toy-classifier")
        )
        assert plugin.make_test_checkpoint(spec=spec, path=path)
    return root


@pytest.fixture
def toy(toy_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[toy_plugin.CliToyPlugin]:
    """Only the toy plugin: no installed entry points, a fresh manager and registry."""
    monkeypatch.setenv("DNALLM_ZOO_PLUGINS", "")
    monkeypatch.delenv("DNALLM_ZOO_BLOCK_PLUGINS", raising=False)
    monkeypatch.delenv("DNALLM_ZOO_STRICT_PLUGINS", raising=False)
    reset_plugins()
    plugin = toy_plugin.CliToyPlugin(toy_root)
    get_manager().register(plugin, name="toy", distribution="toy-dist", version="9.9")
    reset_registry()
    yield plugin
    reset_plugins()
