"""The registry, built from in-process plugins: listing, lookup, suggestions, conflicts, failures."""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dnallm_zoo import ModelSpec, UnknownModelError, ZooError, get_spec, hookimpl, list_models
from dnallm_zoo._discovery import get_manager
from dnallm_zoo._registry import Conflict, Entry, get_registry, reset_plugins, reset_registry
from dnallm_zoo.errors import DuplicateModelError, PluginLoadError

BASE: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "minimal_spec.json").read_text(encoding="utf-8")
)


def spec(id: str, **over: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data.update(id=id, aliases=[], weights={"repo_id": f"org/{id}"})
    data.update(over)
    return data


class FakePlugin:
    """Registers (spec, encoder) pairs, then maybe raises."""

    def __init__(self, *specs: Any, encoder: str | type = "x:Y", raises: Exception | None = None):
        self.items = [(s, encoder) for s in specs]
        self.raises = raises

    @hookimpl
    def register_models(self, register: Any) -> None:
        for s, enc in self.items:
            register(s, enc)
        if self.raises is not None:
            raise self.raises


@pytest.fixture(autouse=True)
def clean_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No installed entry points, no strict mode, a fresh manager and registry per test."""
    monkeypatch.setenv("DNALLM_ZOO_PLUGINS", "")
    monkeypatch.delenv("DNALLM_ZOO_BLOCK_PLUGINS", raising=False)
    monkeypatch.delenv("DNALLM_ZOO_STRICT_PLUGINS", raising=False)
    reset_plugins()
    yield
    reset_plugins()


def install(name: str, plugin: FakePlugin) -> None:
    get_manager().register(plugin, name=name)
    reset_registry()


def ids(specs: list[ModelSpec]) -> list[str]:
    return [s.id for s in specs]


CPU_ONLY = {"devices": ["cpu"], "dtypes": {"cpu": ["float32"]},
            "max_bases": 64}
CPU_BF16 = {**CPU_ONLY, "dtypes": {"cpu": ["float32", "bfloat16"]}}
CUDA_ONLY = {"devices": ["cuda"], "dtypes": {"cuda": ["float16"]},
             "max_bases": 64}


@pytest.fixture
def zoo() -> None:
    install("dnabert", FakePlugin(
        spec("dnabert-6", family="dnabert", aliases=["zhihan1996/DNA_bert_6"], capabilities=CPU_ONLY),
        spec("dnabert-12", family="dnabert", capabilities=CPU_BF16),
        spec("dnabert-3", family="dnabert", aliases=["zhihan1996/DNA_bert_3"], capabilities=CPU_ONLY),
    ))
    install("dnabert2", FakePlugin(
        spec("dnabert2-117m", family="dnabert2", aliases=["zhihan1996/DNABERT-2-117M"],
             license="Apache-2.0", task="masked-lm", capabilities=CUDA_ONLY),
        spec("promoter-clf", family="dnabert2", license="CC-BY-NC-SA-4.0",
             task="sequence-classification", labels=["no", "yes"], problem_type="single-label"),
    ))


# ---- listing --------------------------------------------------------------------------------------


def test_empty_registry() -> None:
    assert list_models() == []
    with pytest.raises(UnknownModelError):
        get_spec("dnabert-6")


@pytest.mark.usefixtures("zoo")
def test_list_natural_sort() -> None:
    # digit runs compare as numbers: 3 < 6 < 12; "dnabert" sorts before "dnabert-" (timm's key)
    assert ids(list_models()) == ["dnabert2-117m", "dnabert-3", "dnabert-6", "dnabert-12", "promoter-clf"]


@pytest.mark.usefixtures("zoo")
@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("dnabert-*", ["dnabert-3", "dnabert-6", "dnabert-12"]),
        ("DNABERT-?", ["dnabert-3", "dnabert-6"]),
        ("*117m", ["dnabert2-117m"]),
        ("zhihan1996/*", ["dnabert2-117m", "dnabert-3", "dnabert-6"]),  # on aliases
        ("zhihan1996/dnabert-2*", ["dnabert2-117m"]),  # an alias, case-insensitively
        ("*[36]", ["dnabert-3", "dnabert-6"]),
        ("nothing*", []),
        ("dnabert-6", ["dnabert-6"]),
    ],
)
def test_list_wildcards(pattern: str, expected: list[str]) -> None:
    assert ids(list_models(pattern)) == expected


@pytest.mark.usefixtures("zoo")
def test_list_exclude() -> None:
    assert ids(list_models("dnabert*", exclude="*-1*")) == ["dnabert-3", "dnabert-6"]
    assert ids(list_models(exclude="zhihan1996/*")) == ["dnabert-12", "promoter-clf"]


@pytest.mark.usefixtures("zoo")
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"family": "DNABERT2"}, ["dnabert2-117m", "promoter-clf"]),
        ({"family": "nope"}, []),
        ({"device": "cuda"}, ["dnabert2-117m", "promoter-clf"]),
        ({"device": "cpu"}, ["dnabert-3", "dnabert-6", "dnabert-12", "promoter-clf"]),
        ({"device": "mps"}, ["promoter-clf"]),
        ({"dtype": "bfloat16"}, ["dnabert-12", "promoter-clf"]),
        ({"device": "cpu", "dtype": "bfloat16"}, ["dnabert-12"]),
        ({"device": "cuda", "dtype": "float16"}, ["dnabert2-117m", "promoter-clf"]),
        ({"device": "cuda", "dtype": "float32"}, ["promoter-clf"]),
        ({"task": "masked-lm"}, ["dnabert2-117m"]),
        ({"task": "sequence-classification"}, ["promoter-clf"]),
        ({"license": "apache-2.0"}, ["dnabert2-117m"]),
        ({"license": "CC-BY-*"}, ["promoter-clf"]),
        ({"license": "MIT", "family": "dnabert"}, ["dnabert-3", "dnabert-6", "dnabert-12"]),
    ],
)
def test_list_filters(filters: dict[str, str], expected: list[str]) -> None:
    assert ids(list_models(**filters)) == expected  # type: ignore[arg-type]


@pytest.mark.usefixtures("zoo")
def test_every_model_embeds() -> None:
    assert len(list_models(task="embedding")) == len(list_models()) == 5


# ---- lookup ---------------------------------------------------------------------------------------


@pytest.mark.usefixtures("zoo")
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dnabert-6", "dnabert-6"),
        ("DNABERT-6", "dnabert-6"),
        ("zhihan1996/DNA_bert_6", "dnabert-6"),
        ("ZHIHAN1996/dna_BERT_6", "dnabert-6"),
        ("zhihan1996/DNABERT-2-117M", "dnabert2-117m"),
        ("dnabert:dnabert-6", "dnabert-6"),
        ("dnabert:zhihan1996/dna_bert_3", "dnabert-3"),
        ("DNABERT2:Promoter-CLF", "promoter-clf"),
    ],
)
def test_get_spec(name: str, expected: str) -> None:
    s = get_spec(name)
    assert s.id == expected
    assert s.plugin in ("dnabert", "dnabert2")


@pytest.mark.usefixtures("zoo")
def test_plugin_field_set_by_core() -> None:
    data = spec("sneaky", plugin="somebody-else")
    install("honest", FakePlugin(data))
    assert get_spec("sneaky").plugin == "honest"
    assert get_spec("dnabert-6").plugin == "dnabert"


@pytest.mark.usefixtures("zoo")
@pytest.mark.parametrize(
    ("typo", "suggested"),
    [
        ("dnabert6", "dnabert-6"),
        ("dnabert_6", "dnabert-6"),
        ("dnaberd-3", "dnabert-3"),
        ("dnabert-2-117m", "dnabert2-117m"),
        ("zhihan1996/DNABERT2-117M", "dnabert2-117m"),
        ("promoter", "promoter-clf"),
    ],
)
def test_unknown_suggests(typo: str, suggested: str) -> None:
    with pytest.raises(UnknownModelError) as info:
        get_spec(typo)
    err = info.value
    assert isinstance(err, KeyError) and isinstance(err, ZooError)
    assert err.name == typo
    assert suggested in err.suggestions
    assert len(err.suggestions) <= 3
    assert len(set(err.suggestions)) == len(err.suggestions)
    assert str(err).startswith(f"unknown model {typo!r}; did you mean ")
    assert repr(suggested) in str(err)


@pytest.mark.usefixtures("zoo")
def test_unknown_without_suggestion() -> None:
    with pytest.raises(UnknownModelError) as info:
        get_spec("qqqqqqq")
    assert info.value.suggestions == []
    assert "dnallm-zoo list" in str(info.value)
    with pytest.raises(UnknownModelError):
        get_spec("nobody:dnabert-6")  # no such plugin
    with pytest.raises(UnknownModelError):
        get_spec("dnabert:dnabert2-117m")  # a real model, but of another plugin


def test_encoder_class() -> None:
    install("p", FakePlugin(spec("lazy"), encoder="collections:OrderedDict"))
    install("q", FakePlugin(spec("direct"), encoder=OrderedDict))
    install("r", FakePlugin(spec("missing-module"), encoder="no_such_module_for_dnallm:Cls"))
    reg = get_registry()
    assert reg.resolve("lazy").encoder_class() is OrderedDict
    assert reg.resolve("direct").encoder_class() is OrderedDict
    # registering never imports the encoder module; loading does
    entry = reg.resolve("missing-module")
    assert isinstance(entry, Entry) and entry.qualified == "r:missing-module"
    with pytest.raises(ModuleNotFoundError):
        entry.encoder_class()


# ---- conflicts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", [("zeta", "alpha"), ("alpha", "zeta")])
def test_conflict_sorted_plugin_wins(order: tuple[str, str]) -> None:
    for name in order:
        install(name, FakePlugin(spec("shared", description=f"from {name}"), spec(f"only-{name}")))
    reg = get_registry()
    assert get_spec("shared").plugin == "alpha"
    assert get_spec("zeta:shared").plugin == "zeta"
    assert get_spec("zeta:shared").description == "from zeta"
    assert get_spec("alpha:shared").plugin == "alpha"
    assert ids(list_models()) == ["only-alpha", "only-zeta", "shared"]
    assert reg.conflicts == [Conflict("shared", winner="alpha", loser="zeta")]
    msg = str(reg.conflicts[0])
    assert "'alpha'" in msg and "'zeta'" in msg and "zeta:shared" in msg


def test_conflict_on_alias() -> None:
    install("alpha", FakePlugin(spec("model-a", aliases=["org/common"])))
    install("beta", FakePlugin(spec("model-b", aliases=["ORG/Common"])))
    assert get_spec("org/common").id == "model-a"
    assert get_spec("beta:org/common").id == "model-b"
    assert ids(list_models()) == ["model-a", "model-b"]
    assert get_registry().conflicts == [Conflict("ORG/Common", winner="alpha", loser="beta")]


@pytest.mark.parametrize("order", [("alpha", "beta"), ("beta", "alpha")])
def test_id_beats_alias(order: tuple[str, str]) -> None:
    plugins = {
        "alpha": FakePlugin(spec("model-a", aliases=["model-b"])),
        "beta": FakePlugin(spec("model-b")),
    }
    for name in order:
        install(name, plugins[name])
    assert get_spec("model-b").plugin == "beta"
    assert get_spec("model-a").plugin == "alpha"
    assert ids(list_models()) == ["model-a", "model-b"]
    (c,) = get_registry().conflicts
    assert (c.name, c.winner, c.loser) == ("model-b", "beta", "alpha")


def test_same_plugin_twice_keeps_first() -> None:
    install("alpha", FakePlugin(spec("twice", description="first"), spec("twice", description="second"),
                                spec("other")))
    assert get_spec("twice").description == "first"
    assert get_spec("alpha:twice").description == "first"
    assert ids(list_models()) == ["other", "twice"]
    info = get_manager().info["alpha"]
    assert info.models == ["twice", "other"]
    assert len(info.errors) == 1 and "'twice'" in info.errors[0]


def test_strict_conflict_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    install("zeta", FakePlugin(spec("shared")))
    install("alpha", FakePlugin(spec("shared")))
    monkeypatch.setenv("DNALLM_ZOO_STRICT_PLUGINS", "1")
    with pytest.raises(DuplicateModelError, match=r"'alpha'.*'zeta'"):
        list_models()


# ---- failing plugins ------------------------------------------------------------------------------


def test_invalid_spec_is_recorded_others_kept() -> None:
    install("gamma", FakePlugin(
        spec("good-1"),
        spec("bad-1", license="not spdx"),
        spec("good-2"),
        "not a spec at all",
        None,
        {"id": "half"},
    ))
    install("delta", FakePlugin(spec("fine")))
    install("epsilon", FakePlugin(spec("no-colon"), encoder="modulewithoutclass"))
    assert ids(list_models()) == ["fine", "good-1", "good-2"]
    gamma = get_manager().info["gamma"]
    assert gamma.models == ["good-1", "good-2"]
    assert len(gamma.errors) == 4
    assert "'bad-1'" in gamma.errors[0] and "license" in gamma.errors[0]
    assert "'half'" in gamma.errors[3]
    assert len(gamma.tracebacks) == 4 and all("Traceback" in t for t in gamma.tracebacks)
    assert not gamma.ok
    assert get_manager().info["delta"].ok
    eps = get_manager().info["epsilon"]
    assert eps.models == [] and "module:Class" in eps.errors[0]


def test_raising_hook_loses_its_models() -> None:
    install("alpha", FakePlugin(spec("kept")))
    install("broken", FakePlugin(spec("half-registered"), raises=RuntimeError("boom")))
    assert ids(list_models()) == ["kept"]
    with pytest.raises(UnknownModelError):
        get_spec("half-registered")
    info = get_manager().info["broken"]
    assert info.models == []
    assert info.errors == ["register_models: RuntimeError: boom"]
    assert "boom" in info.tracebacks[0] and "Traceback" in info.tracebacks[0]


@pytest.mark.parametrize(
    "plugin",
    [
        FakePlugin(spec("half-registered"), raises=RuntimeError("boom")),
        FakePlugin(spec("ok"), spec("bad", license="not spdx")),
        FakePlugin(spec("ok"), "not a spec"),
    ],
    ids=["raises", "invalid-spec", "not-a-spec"],
)
def test_strict_plugin_failure_is_plugin_load_error(
    monkeypatch: pytest.MonkeyPatch, plugin: FakePlugin
) -> None:
    install("fine", FakePlugin(spec("kept")))
    install("culprit", plugin)
    monkeypatch.setenv("DNALLM_ZOO_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError) as info:
        list_models()
    assert info.value.plugin == "culprit"
    assert str(info.value).startswith("plugin 'culprit': ")
    assert len(get_manager(load=False).info["culprit"].errors) == 1  # recorded once, not per layer
    with pytest.raises(PluginLoadError):
        get_manager()  # strict: the recorded failure stays an error
