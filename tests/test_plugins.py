"""Plugin discovery through real entry points, and the per-plugin isolation of hook calls.

The discovery tests build nothing by hand at run time: `fixtures/plugin_site/` holds fake installed
distributions (`*.dist-info` with METADATA and entry_points.txt) and their modules. Each scenario runs in
a fresh interpreter with that directory on PYTHONPATH, so importlib.metadata finds them for real.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dnallm_zoo import CheckpointError, hookimpl
from dnallm_zoo._discovery import CORE_PLUGIN, PluginInfo, get_manager
from dnallm_zoo._hooks import hookspec
from dnallm_zoo._registry import reset_plugins
from dnallm_zoo.errors import PluginLoadError

SITE = Path(__file__).parent / "fixtures" / "plugin_site"
FAKES = ["alpha", "beta", "good", "invalid", "noimport", "raises", "typo"]

DRIVER = r"""
import json, sys
import dnallm_zoo
from dnallm_zoo.errors import ZooError
from dnallm_zoo._discovery import get_manager

names = json.loads(sys.argv[1])
out = {"lookups": {}}
try:
    out["models"] = [s.id for s in dnallm_zoo.list_models()]
    for name in names:
        try:
            s = dnallm_zoo.get_spec(name)
            out["lookups"][name] = {"id": s.id, "plugin": s.plugin, "description": s.description}
        except ZooError as exc:
            out["lookups"][name] = {"error": type(exc).__name__, "message": str(exc)}
    from dnallm_zoo._registry import get_registry
    out["conflicts"] = [str(c) for c in get_registry().conflicts]
except ZooError as exc:
    out["error"] = {"type": type(exc).__name__, "message": str(exc), "plugin": getattr(exc, "plugin", None)}
out["info"] = {
    n: {"distribution": i.distribution, "version": i.version, "module": i.module, "models": i.models,
        "errors": i.errors, "tracebacks": i.tracebacks, "blocked": i.blocked, "ok": i.ok}
    for n, i in get_manager(load=False).info.items()
}
out["imported"] = sorted(m for m in sys.modules if m.startswith("zoo_"))
out["heavy"] = sorted(m for m in ("torch", "transformers", "tokenizers", "safetensors") if m in sys.modules)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the fake site directory (keeps __pycache__ out of the source tree)."""
    dest = tmp_path_factory.mktemp("site") / "site"
    shutil.copytree(SITE, dest)
    return dest


def run_zoo(site: Path, env: dict[str, str], lookups: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    """Run DRIVER in a fresh interpreter with the fake distributions installed."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DNALLM_ZOO_", "PYTHON"))}
    clean.update(PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1", **env)
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(list(lookups))],
        env=clean, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def everything(site: Path) -> dict[str, Any]:
    """Every fake plugin allowed (and only those: real installed plugins stay out)."""
    return run_zoo(
        site, {"DNALLM_ZOO_PLUGINS": ",".join(FAKES)},
        ["good-model", "FAKE/good-model", "shared-model", "beta:shared-model", "alpha:shared-model",
         "raises-model", "invalid-plugin-bad", "typo-model", "good-modle"],
    )


# ---- discovery, failures recorded -----------------------------------------------------------------


def test_working_plugins_list(everything: dict[str, Any]) -> None:
    assert "error" not in everything
    assert everything["models"] == ["alpha-only", "good-model", "good-model-2", "invalid-plugin-ok",
                                    "shared-model"]
    look = everything["lookups"]
    assert look["good-model"] == {"id": "good-model", "plugin": "good",
                                  "description": "fake model good-model"}
    assert look["FAKE/good-model"]["id"] == "good-model"
    good = everything["info"]["good"]
    assert good == {
        "distribution": "dnallm-zoo-fake-good", "version": "1.0", "module": "zoo_good",
        "models": ["good-model", "good-model-2"], "errors": [], "tracebacks": [], "blocked": False,
        "ok": True,
    }
    assert everything["info"][CORE_PLUGIN]["ok"]


def test_listing_imports_no_torch(everything: dict[str, Any]) -> None:
    # list_models and get_spec ran, specs were validated: still no torch, transformers, tokenizers
    assert everything["heavy"] == []
    assert everything["lookups"]["good-model"]["id"] == "good-model"


def test_unknown_suggests_across_plugins(everything: dict[str, Any]) -> None:
    miss = everything["lookups"]["good-modle"]
    assert miss["error"] == "UnknownModelError"
    assert "'good-model'" in miss["message"]


def _failure(result: dict[str, Any], name: str, dist: str) -> tuple[str, str]:
    info = result["info"][name]
    assert info["distribution"] == dist
    assert not info["ok"]
    assert info["models"] == []
    assert len(info["errors"]) == len(info["tracebacks"]) == 1
    return info["errors"][0], info["tracebacks"][0]


def test_import_failure_recorded(everything: dict[str, Any]) -> None:
    error, tb = _failure(everything, "noimport", "dnallm-zoo-fake-noimport")
    assert error == "import: ModuleNotFoundError: No module named 'zoo_missing_dependency'"
    assert "zoo_noimport.py" in tb and tb.startswith("Traceback")
    assert everything["info"]["noimport"]["module"] == "zoo_noimport"


def test_raising_hook_recorded(everything: dict[str, Any]) -> None:
    error, tb = _failure(everything, "raises", "dnallm-zoo-fake-raises")
    assert error == "register_models: RuntimeError: raised on purpose by zoo_raises"
    assert "zoo_raises.py" in tb
    assert everything["lookups"]["raises-model"]["error"] == "UnknownModelError"


def test_invalid_spec_recorded(everything: dict[str, Any]) -> None:
    info = everything["info"]["invalid"]
    assert info["distribution"] == "dnallm-zoo-fake-invalid"
    assert info["models"] == ["invalid-plugin-ok"]
    (error,) = info["errors"]
    assert error.startswith("invalid spec 'invalid-plugin-bad': ValidationError")
    assert "license" in error and "not an spdx id" in error
    assert "ValidationError" in info["tracebacks"][0]
    assert everything["lookups"]["invalid-plugin-bad"]["error"] == "UnknownModelError"


def test_hook_name_typo_recorded(everything: dict[str, Any]) -> None:
    error, tb = _failure(everything, "typo", "dnallm-zoo-fake-typo")
    assert error.startswith("register: PluginValidationError: unknown hook 'register_model'")
    assert "zoo_typo" in error and "PluginValidationError" in tb
    assert everything["lookups"]["typo-model"]["error"] == "UnknownModelError"


def test_duplicate_entry_point_name_recorded(everything: dict[str, Any]) -> None:
    error, _ = _failure(everything, "good@dnallm-zoo-fake-good2", "dnallm-zoo-fake-good2")
    assert "entry point name already used by 'dnallm-zoo-fake-good'" in error
    assert "zoo_good2" not in everything["imported"]
    assert everything["info"]["good"]["ok"]


def test_conflict_between_distributions(everything: dict[str, Any]) -> None:
    look = everything["lookups"]
    assert look["shared-model"] == {"id": "shared-model", "plugin": "alpha", "description": "alpha's"}
    assert look["alpha:shared-model"]["description"] == "alpha's"
    assert look["beta:shared-model"] == {"id": "shared-model", "plugin": "beta", "description": "beta's"}
    (conflict,) = everything["conflicts"]
    assert "'alpha'" in conflict and "'beta'" in conflict and "beta:shared-model" in conflict
    # the clash names both distributions, so a user knows what to uninstall or block
    assert "dnallm-zoo-fake-alpha" in conflict and "dnallm-zoo-fake-beta" in conflict
    assert everything["info"]["alpha"]["ok"] and everything["info"]["beta"]["ok"]


def test_discovery_without_allow_list(site: Path) -> None:
    # every installed plugin loads: ours among them (the venv may hold real ones too)
    result = run_zoo(site, {})
    assert "error" not in result
    assert {"alpha-only", "good-model", "good-model-2", "invalid-plugin-ok", "shared-model"} <= set(
        result["models"]
    )
    for name in FAKES:
        assert result["info"][name]["distribution"] == f"dnallm-zoo-fake-{name}"
    assert {n for n in FAKES if not result["info"][n]["ok"]} == {"invalid", "noimport", "raises", "typo"}


# ---- env controls ---------------------------------------------------------------------------------


def test_allow_list(site: Path) -> None:
    result = run_zoo(site, {"DNALLM_ZOO_PLUGINS": " alpha , invalid "})
    assert result["models"] == ["alpha-only", "invalid-plugin-ok", "shared-model"]
    assert set(result["info"]) == {CORE_PLUGIN, "alpha", "invalid"}
    assert result["imported"] == ["zoo_alpha", "zoo_fixture_spec", "zoo_invalid"]


def test_empty_allow_list_loads_nothing(site: Path) -> None:
    result = run_zoo(site, {"DNALLM_ZOO_PLUGINS": ""})
    assert result["models"] == []
    assert set(result["info"]) == {CORE_PLUGIN}
    assert result["imported"] == []


def test_block_list(site: Path) -> None:
    result = run_zoo(site, {
        "DNALLM_ZOO_PLUGINS": "alpha,good,noimport,raises",
        "DNALLM_ZOO_BLOCK_PLUGINS": "good,noimport",
    })
    assert "error" not in result
    assert result["models"] == ["alpha-only", "shared-model"]
    for name in ("good", "noimport"):
        info = result["info"][name]
        assert info["blocked"] and not info["ok"] and info["errors"] == []
        assert info["distribution"] == f"dnallm-zoo-fake-{name}"
    assert "zoo_good" not in result["imported"] and "zoo_noimport" not in result["imported"]
    assert result["info"]["raises"]["errors"]  # not blocked: it ran and failed


STRICT_DRIVER = r"""
import json, os, sys
from dnallm_zoo import list_models
from dnallm_zoo.errors import ZooError
from dnallm_zoo._registry import reset_plugins

out = {}
for allow in json.loads(sys.argv[1]):
    os.environ["DNALLM_ZOO_PLUGINS"] = allow
    reset_plugins()
    for attempt in (allow, allow + " (again)"):  # a second call must fail the same way
        try:
            out[attempt] = {"models": [s.id for s in list_models()]}
        except ZooError as exc:
            out[attempt] = {"type": type(exc).__name__, "plugin": getattr(exc, "plugin", None),
                            "message": str(exc)}
print(json.dumps(out))
"""


def test_strict_mode(site: Path) -> None:
    cases = ["alpha", "alpha,noimport", "alpha,raises", "alpha,invalid", "alpha,typo", "good",
             "alpha,beta"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DNALLM_ZOO_", "PYTHON"))}
    clean.update(PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1", DNALLM_ZOO_STRICT_PLUGINS="1")
    proc = subprocess.run([sys.executable, "-c", STRICT_DRIVER, json.dumps(cases)],
                          env=clean, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["alpha"] == {"models": ["alpha-only", "shared-model"]}  # nothing wrong: no error
    for culprit, needle in [("noimport", "zoo_missing_dependency"), ("raises", "raised on purpose"),
                            ("invalid", "invalid-plugin-bad"), ("typo", "register_model")]:
        err = out[f"alpha,{culprit}"]
        assert err["type"] == "PluginLoadError", err
        assert err["plugin"] == culprit
        assert err["message"].startswith(f"plugin {culprit!r}: ") and needle in err["message"]
    assert out["good"]["type"] == "PluginLoadError"
    assert out["good"]["plugin"] == "good@dnallm-zoo-fake-good2"
    assert out["alpha,beta"]["type"] == "DuplicateModelError"
    assert "'alpha'" in out["alpha,beta"]["message"] and "'beta'" in out["alpha,beta"]["message"]
    for case in cases:  # strict mode never lets a later call pass with the culprit quietly missing
        assert out[f"{case} (again)"] == out[case]


# ---- in-process: the manager and pluggy's calls-----------------------------------------------------


@pytest.fixture
def manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("DNALLM_ZOO_PLUGINS", "")
    monkeypatch.delenv("DNALLM_ZOO_STRICT_PLUGINS", raising=False)
    monkeypatch.delenv("DNALLM_ZOO_BLOCK_PLUGINS", raising=False)
    reset_plugins()
    yield get_manager()
    reset_plugins()


class Resolver:
    def __init__(self, result: Any = None, raises: BaseException | None = None) -> None:
        self.result, self.raises, self.calls = result, raises, 0

    @hookimpl
    def resolve_weights(self, spec: Any, source: Any, cache_dir: Any) -> Any:
        self.calls += 1
        if self.raises is not None:
            raise self.raises
        return self.result


class FirstResolver(Resolver):
    @hookimpl(tryfirst=True)
    def resolve_weights(self, spec: Any, source: Any, cache_dir: Any) -> Any:
        return super().resolve_weights(spec, source, cache_dir)


def test_manager_is_shared_and_loads_once(manager: Any) -> None:
    assert get_manager() is manager
    assert list(manager.info) == [CORE_PLUGIN]
    assert manager.info[CORE_PLUGIN].distribution == "dnallm-zoo"


def test_a_raising_plugin_is_isolated(manager: Any) -> None:
    broken = FirstResolver(raises=RuntimeError("resolver broke"))
    empty = Resolver(result=None)
    answer = Resolver(result="/some/dir")
    later = Resolver(result="/never")
    manager.register(later, name="later")
    manager.register(answer, name="answer")
    manager.register(empty, name="empty")
    manager.register(broken, name="broken")
    order = manager.hook_order("resolve_weights")
    assert order[0] == "broken" and order[-1] == CORE_PLUGIN  # tryfirst first, the core trylast
    assert order[1:4] == ["empty", "answer", "later"]  # LIFO, as pluggy calls them
    call = manager.call("resolve_weights", spec=None, source=None, cache_dir=None)
    assert call.first == ("answer", "/some/dir") and call.answers == [call.first]
    assert call.failed == ["broken"]
    assert (broken.calls, empty.calls, answer.calls, later.calls) == (1, 1, 1, 0)
    assert manager.info["broken"].errors == ["resolve_weights: RuntimeError: resolver broke"]
    assert manager.info["answer"].ok
    # pluggy's own call gives the same: the guard is on the implementations, not on the caller
    assert manager.pm.hook.resolve_weights(spec=None, source=None, cache_dir=None) == "/some/dir"
    assert len(manager.info["broken"].errors) == 2 and broken.calls == 2
    assert manager.plugin("answer") is answer and manager.plugin("nobody") is None


class Probes:
    """A hook that collects every answer (not firstresult), added for this test."""

    @hookspec
    def probe(self, x: int) -> Any: ...


class Prober:
    def __init__(self, result: Any = None, raises: BaseException | None = None) -> None:
        self.result, self.raises = result, raises

    @hookimpl
    def probe(self, x: int) -> Any:
        if self.raises is not None:
            raise self.raises
        return self.result if self.result is None else (self.result, x)


def test_all_answers_of_a_hook(manager: Any) -> None:
    manager.pm.add_hookspecs(Probes)
    manager.register(Prober(result="a"), name="a")
    manager.register(Prober(result="b"), name="b")
    manager.register(Prober(result=None), name="none")
    manager.register(Prober(raises=ValueError("bad")), name="bad")
    call = manager.call("probe", x=7)
    assert call.answers == [("b", ("b", 7)), ("a", ("a", 7))] and call.failed == ["bad"]
    assert manager.info["bad"].errors == ["probe: ValueError: bad"]
    assert manager.pm.hook.probe(x=1) == [("b", 1), ("a", 1)]  # pluggy's own call, the same guard


def test_deliberate_errors_go_through(manager: Any) -> None:
    later = Resolver(result="/x")
    manager.register(later, name="later")
    manager.register(Resolver(raises=CheckpointError("checksum differs")), name="strict-one")
    with pytest.raises(CheckpointError, match="checksum differs"):
        manager.call("resolve_weights", spec=None, source=None, cache_dir=None)
    assert later.calls == 0
    assert manager.info["strict-one"].errors == []  # an answer, not a broken plugin


def test_a_raising_plugin_is_an_error_in_strict_mode(manager: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    manager.register(Resolver(raises=RuntimeError("boom")), name="boom")
    monkeypatch.setenv("DNALLM_ZOO_STRICT_PLUGINS", "yes")
    with pytest.raises(PluginLoadError) as info:
        manager.call("resolve_weights", spec=None, source=None, cache_dir=None)
    assert info.value.plugin == "boom" and "boom" in str(info.value)


class Wrapper:
    def __init__(self) -> None:
        self.seen: list[Any] = []

    @hookimpl(wrapper=True)
    def resolve_weights(self, spec: Any, source: Any, cache_dir: Any) -> Any:
        result = yield
        self.seen.append(result)
        return result


def test_hook_wrappers_run_as_pluggy_runs_them(manager: Any) -> None:
    wrapper = Wrapper()
    manager.register(Resolver(result="/y"), name="answer")
    manager.register(Resolver(raises=RuntimeError("x")), name="broken")
    manager.register(wrapper, name="wrapper")
    assert manager.call("resolve_weights", spec=None, source=None, cache_dir=None).first == ("answer", "/y")
    assert wrapper.seen == ["/y"] and "wrapper" not in manager.hook_order("resolve_weights")


class Typo:
    @hookimpl
    def register_model(self, register: Any) -> None:  # not a hook
        raise AssertionError("never called")


class WrongArgs:
    @hookimpl
    def register_models(self, registrar: Any) -> None:  # the spec's argument is `register`
        raise AssertionError("never called")


@pytest.mark.parametrize(("plugin", "needle"), [(Typo(), "unknown hook 'register_model'"),
                                                (WrongArgs(), "registrar")])
def test_register_refuses_bad_hookimpls(manager: Any, plugin: object, needle: str) -> None:
    info = manager.register(plugin, name="bad", distribution="dist-bad", version="9")
    assert isinstance(info, PluginInfo)
    assert (info.distribution, info.version, info.module) == ("dist-bad", "9", type(plugin).__name__)
    assert not info.ok and needle in info.errors[0]
    assert manager.pm.get_plugin("bad") is None and manager.plugin("bad") is None
    # the pending check stays clean for the next plugin
    ok = manager.register(Resolver(), name="fine")
    assert ok.ok


def test_register_strict(manager: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNALLM_ZOO_STRICT_PLUGINS", "true")
    with pytest.raises(PluginLoadError) as info:
        manager.register(Typo(), name="typo")
    assert info.value.plugin == "typo"


def test_unregister(manager: Any) -> None:
    plugin = Resolver(result="/x")
    manager.register(plugin, name="r")
    assert manager.plugin("r") is plugin
    manager.unregister("r")
    assert "r" not in manager.info and manager.pm.get_plugin("r") is None
    manager.unregister("never-registered")  # harmless
