"""`conformance_suite` and the fixtures of the pytest plugin, run in an inner pytest session."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable

import pytest

from dnallm_zoo import hookimpl
from dnallm_zoo._discovery import ZooPluginManager
from dnallm_zoo._runtime import available_devices
from dnallm_zoo.testing.toy import TOY_SPEC

pytest_plugins = ["pytester"]

SUITE = """
from dnallm_zoo.testing import conformance_suite

TestConformance = conformance_suite(plugin="toy")
"""


def _register_at_collection(plugin_source: str) -> str:
    """A conftest that registers a plugin object before the test modules are collected."""
    return textwrap.dedent(plugin_source) + textwrap.dedent("""
        from dnallm_zoo._discovery import get_manager
        from dnallm_zoo._registry import reset_registry

        get_manager().register(PLUGIN, name="toy")
        reset_registry()
    """)


def _device_outcomes() -> tuple[int, int]:
    """(passed, skipped) among the toy's seven device/dtype tests on this machine."""
    spec = TOY_SPEC.capabilities
    here = [d for d in spec.devices if d in available_devices()]
    passed = sum(len(spec.dtypes[d]) for d in here)
    return passed, 7 - passed


def test_the_suite_passes_on_the_toy(pytester: pytest.Pytester, zoo_isolated: ZooPluginManager) -> None:
    pytester.makeconftest(_register_at_collection("""
        from dnallm_zoo.testing.toy import ToyPlugin

        PLUGIN = ToyPlugin()
    """))
    pytester.makepyfile(test_toy_conformance=SUITE)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-v")
    passed, skipped = _device_outcomes()
    result.assert_outcomes(passed=8 + passed, skipped=skipped)
    result.stdout.fnmatch_lines([
        "*::TestConformance::test_strict_load?toy-kmer3? PASSED*",
        "*::TestConformance::test_batch_invariance?toy-kmer3? PASSED*",
        "*::TestConformance::test_device?toy-kmer3-cpu-bfloat16? PASSED*",
    ])
    if "cuda" not in available_devices():
        result.stdout.fnmatch_lines(["*test_device?toy-kmer3-cuda-float16? SKIPPED*"])


def test_the_suite_fails_a_broken_model_with_the_checks_message(
    pytester: pytest.Pytester, zoo_isolated: ZooPluginManager
) -> None:
    pytester.makeconftest(_register_at_collection("""
        import broken_toys
        from dnallm_zoo import hookimpl
        from dnallm_zoo.testing.toy import TOY_SPEC, ToyPlugin


        class LeakyToy(ToyPlugin):
            @hookimpl
            def register_models(self, register):
                register(TOY_SPEC, broken_toys.IgnoresMask)


        PLUGIN = LeakyToy()
    """))
    pytester.makepyfile(test_toy_conformance=SUITE)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-k", "not device", "-rf")
    result.assert_outcomes(passed=6, failed=2)  # batch invariance, attentions
    result.stdout.fnmatch_lines([
        "*TestConformance.test_batch_invariance?toy-kmer3?*",
        "toy-kmer3: hidden_states?1? of a *-base sequence inside a batch (padded from * to 34 tokens) "
        "vs alone: differs by * (tolerance 1e-05)",
        "FAILED *::test_batch_invariance?toy-kmer3?*",
    ])
    assert "During handling" not in result.stdout.str()


def test_a_plugin_with_no_models_fails_once_saying_why(
    pytester: pytest.Pytester, zoo_isolated: ZooPluginManager
) -> None:
    pytester.makepyfile(test_nobody="""
        from dnallm_zoo.testing import conformance_suite

        TestConformance = conformance_suite(plugin="nobody")
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*no registered model of plugin 'nobody' matches '?'; is the plugin installed*"]
    )


def test_zoo_plugin_registers_for_one_test_only(
    pytester: pytest.Pytester, zoo_isolated: ZooPluginManager
) -> None:
    pytester.makepyfile(test_fixture="""
        from dnallm_zoo import hookimpl, list_models
        from dnallm_zoo._discovery import get_manager
        from dnallm_zoo.testing.toy import TOY_SPEC


        class Solo:
            @hookimpl
            def register_models(self, register):
                register(TOY_SPEC.model_copy(update={"id": "solo", "aliases": ()}), "nowhere:Nothing")


        def test_registered(zoo_plugin):
            assert zoo_plugin(Solo(), name="solo") == "solo"
            assert "solo" in [s.id for s in list_models()]


        def test_gone_afterwards():
            assert get_manager().pm.get_plugin("solo") is None
            assert "solo" not in [s.id for s in list_models()]
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


class _Typo:
    @hookimpl
    def register_modles(self, register: Callable[..., None]) -> None:
        """A misspelt hook: pluggy refuses it."""


def test_zoo_plugin_raises_when_registration_fails(
    zoo_isolated: ZooPluginManager, zoo_plugin: Callable[..., str]
) -> None:
    with pytest.raises(RuntimeError, match=r"registering plugin 'typo' failed: register: .*register_modles"):
        zoo_plugin(_Typo(), name="typo")


def test_zoo_isolated_loads_no_installed_plugin(zoo_isolated: ZooPluginManager) -> None:
    assert sorted(zoo_isolated.info) == ["dnallm_zoo.core"]


def test_zoo_toy_is_registered_alone(zoo_toy: object) -> None:
    from dnallm_zoo import list_models

    assert [s.id for s in list_models()] == ["toy-kmer3"]


def test_importing_the_pytest_plugin_and_building_a_suite_imports_no_torch() -> None:
    code = textwrap.dedent("""
        import os, sys
        os.environ["DNALLM_ZOO_PLUGINS"] = ""
        import dnallm_zoo.testing.pytest_plugin
        assert "torch" not in sys.modules, "importing the pytest plugin imported torch"
        from dnallm_zoo import hookimpl
        from dnallm_zoo._discovery import get_manager
        from dnallm_zoo._registry import reset_registry
        from dnallm_zoo.testing import conformance_suite


        class Light:
            @hookimpl
            def register_models(self, register):
                register({
                    "id": "light", "family": "light", "description": "d", "license": "MIT",
                    "citation": "@misc{k, title = {t}}",
                    "tokenizer": {"kind": "kmer", "k": 3, "max_tokens": 34},
                    "architecture": {"kind": "x", "hidden_size": 8, "num_layers": 1, "num_heads": 1,
                                     "max_tokens": 34},
                    "weights": {"repo_id": "org/light"},
                    "capabilities": {"max_bases": 34},
                }, "light_module:LightEncoder")


        get_manager().register(Light(), name="light")
        reset_registry()
        cls = conformance_suite(plugin="light")
        assert hasattr(cls, "test_strict_load") and hasattr(cls, "test_device"), cls
        assert "torch" not in sys.modules, "building a conformance suite imported torch"
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_suite_has_one_test_per_check() -> None:
    from dnallm_zoo.testing import CHECKS, pytest_plugin

    assert tuple(CHECKS) == pytest_plugin._CHECK_NAMES  # repeated there to keep collection torch-free
