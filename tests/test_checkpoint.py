"""Checkpoint files (strict loading, safe reading), and the hub resolver run offline on a built cache."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from dnallm_zoo import CheckpointError, ModelSpec, WeightsSource, hookimpl
from dnallm_zoo._checkpoint import (
    find_weights_file,
    load_state_dict_strict,
    read_config,
    read_state_dict,
)
from dnallm_zoo._discovery import get_manager
from dnallm_zoo._hub import hub_download, sha256_file, verify_sha256
from dnallm_zoo._loading import weights_dir
from dnallm_zoo._registry import reset_plugins
from dnallm_zoo.errors import IntegrityError

BASE: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "minimal_spec.json").read_text(encoding="utf-8")
)
TIED = {"decoder.weight": "embed.weight"}


class Tiny(nn.Module):
    """Embedding tied to the output decoder, like a masked-LM head."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.layer = nn.Linear(4, 4)
        self.norm = nn.LayerNorm(4)
        self.decoder = nn.Linear(4, 10, bias=False)
        self.decoder.weight = self.embed.weight
        self.register_buffer("scale", torch.full((4,), 2.0))


class WithScratch(Tiny):
    """A non-persistent buffer: never in a checkpoint, so meta construction leaves it unset."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("positions", torch.arange(8), persistent=False)


def checkpoint(seed: int = 0) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    return {k: v.detach().clone() for k, v in Tiny().state_dict().items()}


def assert_loaded(m: nn.Module, sd: dict[str, torch.Tensor]) -> None:
    for k, v in m.state_dict().items():
        assert torch.equal(v, sd[TIED.get(k, k)]), k


# ---- load_state_dict_strict -----------------------------------------------------------------------


def test_strict_load_exact() -> None:
    sd = checkpoint(1)
    m = Tiny()
    load_state_dict_strict(m, sd, tied=TIED)
    assert_loaded(m, sd)
    assert m.decoder.weight is m.embed.weight


def test_tied_alias_absent() -> None:
    sd = checkpoint(2)
    del sd["decoder.weight"]
    m = Tiny()
    load_state_dict_strict(m, sd, tied=TIED)
    assert_loaded(m, sd)
    assert m.decoder.weight is m.embed.weight


def test_tied_alias_wrong_shape() -> None:
    sd = checkpoint(3)
    sd["decoder.weight"] = torch.zeros(10, 5)
    with pytest.raises(CheckpointError, match=r"decoder\.weight: tied to embed\.weight but shaped \(10, 5\)"):
        load_state_dict_strict(Tiny(), sd, tied=TIED)


def test_untied_model_needs_the_alias() -> None:
    sd = checkpoint(4)
    del sd["decoder.weight"]
    with pytest.raises(CheckpointError, match=r"missing 1: decoder\.weight"):
        load_state_dict_strict(Tiny(), sd)  # no `tied`: the key is required


def test_every_mismatch_named() -> None:
    sd = checkpoint(5)
    del sd["layer.bias"], sd["norm.weight"]
    sd["pooler.dense.weight"] = torch.zeros(4, 4)
    sd["cls.extra"] = torch.zeros(1)
    sd["layer.weight"] = torch.zeros(4, 5)
    sd["scale"] = torch.zeros(3)
    m = Tiny()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    with pytest.raises(CheckpointError) as info:
        load_state_dict_strict(m, sd, tied=TIED, source="tiny.safetensors")
    msg = str(info.value)
    assert msg.startswith("tiny.safetensors does not match the model: ")
    assert "missing 2: layer.bias, norm.weight" in msg
    assert "unexpected 2: cls.extra, pooler.dense.weight" in msg
    assert "wrong shape 2:" in msg
    assert "layer.weight: checkpoint (4, 5), model (4, 4)" in msg
    assert "scale: checkpoint (3,), model (4,)" in msg
    # nothing was half-loaded
    for k, v in m.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_ignore_patterns() -> None:
    sd = checkpoint(6)
    sd["pooler.dense.weight"] = torch.zeros(4, 4)
    sd["pooler.dense.bias"] = torch.zeros(4)
    sd["cls.predictions.bias"] = torch.zeros(10)
    with pytest.raises(CheckpointError, match=r"unexpected 1: cls\.predictions\.bias"):
        load_state_dict_strict(Tiny(), sd, tied=TIED, ignore=["pooler.*"])
    m = Tiny()
    load_state_dict_strict(m, sd, tied=TIED, ignore=["pooler.*", "cls.*"])
    assert_loaded(m, sd)


def test_ignore_does_not_excuse_missing_keys() -> None:
    sd = checkpoint(7)
    del sd["layer.bias"]
    with pytest.raises(CheckpointError, match=r"missing 1: layer\.bias"):
        load_state_dict_strict(Tiny(), sd, tied=TIED, ignore=["layer.*"])


@pytest.mark.parametrize("alias_present", [True, False])
def test_meta_module_assigned(alias_present: bool) -> None:
    sd = checkpoint(8)
    if not alias_present:
        del sd["decoder.weight"]
    with torch.device("meta"):
        m = Tiny()
    assert m.embed.weight.is_meta
    load_state_dict_strict(m, sd, tied=TIED)
    assert not any(t.is_meta for t in [*m.parameters(), *m.buffers()])
    assert_loaded(m, sd)
    assert m.decoder.weight is m.embed.weight  # re-tied after assignment
    assert isinstance(m.embed.weight, nn.Parameter) and m.embed.weight.requires_grad
    out = m.decoder(m.norm(m.layer(m.embed(torch.tensor([[1, 2]])))))
    assert out.shape == (1, 2, 10)


def test_meta_leftover_is_an_error() -> None:
    with torch.device("meta"):
        m = WithScratch()
    with pytest.raises(CheckpointError, match=r"left uninitialised.*'positions'"):
        load_state_dict_strict(m, checkpoint(9), tied=TIED)


# ---- reading files --------------------------------------------------------------------------------


def test_read_safetensors(tmp_path: Path) -> None:
    sd = checkpoint(10)
    del sd["decoder.weight"]  # safetensors refuses shared storage
    save_file(sd, str(tmp_path / "model.safetensors"))
    got = read_state_dict(tmp_path / "model.safetensors")
    assert set(got) == set(sd) and all(torch.equal(got[k], sd[k]) for k in sd)


def test_read_sharded_index(tmp_path: Path) -> None:
    sd = checkpoint(11)
    del sd["decoder.weight"]
    keys = sorted(sd)
    shards = {"model-00001-of-00002.safetensors": keys[:3], "model-00002-of-00002.safetensors": keys[3:]}
    for name, part in shards.items():
        save_file({k: sd[k] for k in part}, str(tmp_path / name))
    index = {"metadata": {}, "weight_map": {k: n for n, part in shards.items() for k in part}}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    got = read_state_dict(find_weights_file(tmp_path))
    assert set(got) == set(sd)
    (tmp_path / "model-00002-of-00002.safetensors").unlink()
    with pytest.raises(CheckpointError, match="model-00002-of-00002"):
        read_state_dict(tmp_path / "model.safetensors.index.json")


@pytest.mark.parametrize("nested", [False, True])
def test_read_bin(tmp_path: Path, nested: bool) -> None:
    sd = checkpoint(12)
    torch.save({"state_dict": sd} if nested else sd, tmp_path / "pytorch_model.bin")
    got = read_state_dict(tmp_path / "pytorch_model.bin")
    assert set(got) == set(sd) and all(torch.equal(got[k], sd[k]) for k in sd)


def _truncate(f: Path, keep: float) -> None:
    data = f.read_bytes()
    f.write_bytes(data[: int(len(data) * keep)])


@pytest.mark.parametrize("keep", [0.0, 0.01, 0.5, 0.99])
@pytest.mark.parametrize("name", ["model.safetensors", "pytorch_model.bin"])
def test_truncated_file(tmp_path: Path, name: str, keep: float) -> None:
    f = tmp_path / name
    sd = checkpoint(13)
    del sd["decoder.weight"]
    if name.endswith(".bin"):
        torch.save(sd, f)
    else:
        save_file(sd, str(f))
    _truncate(f, keep)
    with pytest.raises(CheckpointError, match="cannot read weights") as info:
        read_state_dict(f)
    assert str(f) in str(info.value)


def test_truncated_legacy_pickle(tmp_path: Path) -> None:
    f = tmp_path / "pytorch_model.bin"
    torch.save(checkpoint(14), f, _use_new_zipfile_serialization=False)
    _truncate(f, 0.3)
    with pytest.raises(CheckpointError, match="cannot read weights"):
        read_state_dict(f)


class Payload:
    """Any class at all: weights_only refuses to build it."""

    def __init__(self) -> None:
        self.x = 1


class Evil:
    """Unpickling this would create the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def test_non_tensor_object_refused(tmp_path: Path) -> None:
    f = tmp_path / "pytorch_model.bin"
    torch.save({"w": torch.zeros(2), "obj": Payload()}, f)
    with pytest.raises(CheckpointError, match=r"cannot read weights.*Payload") as info:
        read_state_dict(f)
    msg = str(info.value)
    assert "\x1b" not in msg and "\n" not in msg
    assert "weights_only` set to `False`" not in msg  # no advice to load it unsafely


def test_plain_non_tensor_values_refused(tmp_path: Path) -> None:
    f = tmp_path / "pytorch_model.bin"
    torch.save({"w": torch.zeros(2), "step": 3, "note": "x"}, f)
    with pytest.raises(CheckpointError, match=r"not tensors: \['step', 'note'\]"):
        read_state_dict(f)
    torch.save([torch.zeros(2)], f)
    with pytest.raises(CheckpointError, match="holds a list, not a dict of tensors"):
        read_state_dict(f)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("how", ["torch.save", "pickle"])
def test_malicious_reduce_refused(tmp_path: Path, how: str) -> None:
    marker = tmp_path / "pwned"
    f = tmp_path / "pytorch_model.bin"
    obj = {"w": torch.zeros(2), "evil": Evil(marker)}
    if how == "torch.save":
        torch.save(obj, f)
    else:
        f.write_bytes(pickle.dumps(Evil(marker)))
    with pytest.raises(CheckpointError, match="cannot read weights"):
        read_state_dict(f)
    assert not marker.exists()


def test_find_weights_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError) as info:
        find_weights_file(tmp_path / "absent")
    assert "found nothing" in str(info.value)
    (tmp_path / "weights.pt").write_bytes(b"")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(CheckpointError) as info:
        find_weights_file(tmp_path)
    msg = str(info.value)
    for name in ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                 "config.json", "weights.pt"):
        assert name in msg
    (tmp_path / "pytorch_model.bin").write_bytes(b"")
    assert find_weights_file(tmp_path).name == "pytorch_model.bin"
    (tmp_path / "model.safetensors").write_bytes(b"")
    assert find_weights_file(tmp_path).name == "model.safetensors"  # safetensors first


def test_read_config(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"no config\.json"):
        read_config(tmp_path)
    (tmp_path / "config.json").write_text('{"hidden_size": 8')
    with pytest.raises(CheckpointError, match="not valid JSON"):
        read_config(tmp_path)
    (tmp_path / "config.json").write_text('{"hidden_size": 8}')
    assert read_config(tmp_path) == {"hidden_size": 8}


# ---- checksums ------------------------------------------------------------------------------------


def test_sha256(tmp_path: Path) -> None:
    f = tmp_path / "model.safetensors"
    data = os.urandom(3 << 20)  # several read blocks
    f.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    assert sha256_file(f) == digest
    verify_sha256(tmp_path, {"model.safetensors": digest})
    with pytest.raises(IntegrityError, match="differs from the pinned"):
        verify_sha256(tmp_path, {"model.safetensors": "0" * 64})
    assert f.exists()  # no `remove`: a local file is never deleted
    with pytest.raises(CheckpointError, match=r"vocab\.txt is missing"):
        verify_sha256(tmp_path, {"vocab.txt": digest})


# ---- the hub, offline, on a cache this test builds ------------------------------------------------

REPO = "org/tiny"
NEW = "a" * 40  # refs/main
OLD = "b" * 40


def _blob(repo: Path, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    (repo / "blobs" / digest).write_bytes(data)
    return digest


def _snapshot(repo: Path, commit: str, files: dict[str, bytes]) -> None:
    snap = repo / "snapshots" / commit
    snap.mkdir(parents=True)
    for name, data in files.items():
        digest = _blob(repo, data)
        (snap / name).symlink_to(Path("..", "..", "blobs", digest))


def _weights_bytes(seed: int) -> bytes:
    sd = checkpoint(seed)
    del sd["decoder.weight"]
    from safetensors.torch import save

    return save(sd)


@pytest.fixture
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """models--org--tiny with two commits; main points at the newer. Offline throughout."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache = tmp_path / "hub"
    repo = cache / "models--org--tiny"
    _snapshot(repo, NEW, {"config.json": b'{"rev": "new"}', "model.safetensors": _weights_bytes(1)})
    _snapshot(repo, OLD, {"config.json": b'{"rev": "old"}', "model.safetensors": _weights_bytes(2)})
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(NEW)
    return cache


def source(**kw: Any) -> WeightsSource:
    return WeightsSource(repo_id=kw.pop("repo_id", REPO), **kw)


@pytest.mark.parametrize(("revision", "expected"), [(None, NEW), ("main", NEW), (OLD, OLD), (NEW, NEW)])
def test_hub_revision(hub_cache: Path, revision: str | None, expected: str) -> None:
    path = hub_download(source(revision=revision), hub_cache)
    assert path == hub_cache / "models--org--tiny" / "snapshots" / expected
    assert read_config(path)["rev"] == ("new" if expected == NEW else "old")
    assert set(read_state_dict(find_weights_file(path))) == {
        "embed.weight", "layer.weight", "layer.bias", "norm.weight", "norm.bias", "scale"}


def test_hub_forwards_allow_patterns(hub_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    real = huggingface_hub.snapshot_download
    calls: list[dict[str, Any]] = []

    def spy(**kwargs: Any) -> str:
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", spy)
    hub_download(source(revision=OLD, files=("config.json", "*.safetensors")), hub_cache)
    hub_download(source(), hub_cache)
    assert calls[0]["allow_patterns"] == ["config.json", "*.safetensors"]
    assert calls[0]["revision"] == OLD
    assert calls[0]["local_files_only"] is True
    assert calls[0]["cache_dir"] == str(hub_cache)
    assert calls[1]["allow_patterns"] is None  # no files named: everything
    assert calls[1]["revision"] is None


@pytest.mark.parametrize(
    "src", [source(revision="c" * 40), source(revision="no-such-branch"), source(repo_id="org/absent")],
    ids=["unknown-commit", "unknown-branch", "unknown-repo"],
)
def test_hub_not_cached_offline(hub_cache: Path, src: WeightsSource) -> None:
    with pytest.raises(CheckpointError) as info:
        hub_download(src, hub_cache)
    msg = str(info.value)
    assert msg.startswith(f"cannot get {src.repo_id}@{src.revision or 'main'}: ")
    assert "HF_HUB_OFFLINE is set and it is not in the cache" in msg
    assert "\n" not in msg


def test_hub_sha256_ok(hub_cache: Path) -> None:
    snap = hub_cache / "models--org--tiny" / "snapshots" / NEW
    digest = sha256_file(snap / "model.safetensors")
    assert hub_download(source(sha256={"model.safetensors": digest}), hub_cache) == snap


def test_hub_sha256_mismatch_removes_the_file(hub_cache: Path) -> None:
    snap = hub_cache / "models--org--tiny" / "snapshots" / NEW
    blob = (snap / "model.safetensors").resolve()
    other_blob = (hub_cache / "models--org--tiny" / "snapshots" / OLD / "model.safetensors").resolve()
    assert blob.is_file() and blob.parent.name == "blobs"
    src = source(sha256={"model.safetensors": "0" * 64})
    with pytest.raises(IntegrityError) as info:
        hub_download(src, hub_cache)
    assert isinstance(info.value, CheckpointError)
    assert "model.safetensors" in str(info.value) and "removed" in str(info.value)
    # neither the snapshot link nor the blob stays: the cache is not poisoned
    assert not (snap / "model.safetensors").is_symlink() and not (snap / "model.safetensors").exists()
    assert not blob.exists()
    assert (snap / "config.json").is_file() and other_blob.is_file()  # the rest is untouched
    # a second offline attempt does not hand out a directory without the pinned file
    with pytest.raises(CheckpointError, match=r"model\.safetensors is missing"):
        hub_download(src, hub_cache)


# ---- the core resolver through the plugin manager -------------------------------------------------


@pytest.fixture
def no_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DNALLM_ZOO_PLUGINS", "")
    monkeypatch.delenv("DNALLM_ZOO_STRICT_PLUGINS", raising=False)
    reset_plugins()
    yield
    reset_plugins()


def spec_with(weights: dict[str, Any]) -> ModelSpec:
    data = copy.deepcopy(BASE)
    data["weights"] = weights
    return ModelSpec.model_validate(data)


@pytest.mark.usefixtures("no_plugins")
def test_core_resolver_hub(hub_cache: Path) -> None:
    s = spec_with({"repo_id": REPO, "revision": OLD})
    assert weights_dir(s, cache_dir=hub_cache) == hub_cache / "models--org--tiny" / "snapshots" / OLD
    bad = spec_with({"repo_id": REPO, "sha256": {"config.json": "1" * 64}})
    with pytest.raises(IntegrityError):
        weights_dir(bad, cache_dir=str(hub_cache))  # a deliberate error is not swallowed
    missing = spec_with({"repo_id": "org/absent"})
    with pytest.raises(CheckpointError, match=r"org/absent"):
        weights_dir(missing, cache_dir=hub_cache)
    assert get_manager().info["dnallm_zoo.core"].errors == []


@pytest.mark.usefixtures("no_plugins")
def test_core_resolver_local(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    digest = sha256_file(tmp_path / "config.json")
    assert weights_dir(spec_with({"path": str(tmp_path)})) == tmp_path
    assert weights_dir(spec_with({"path": str(tmp_path), "sha256": {"config.json": digest}})) == tmp_path
    with pytest.raises(IntegrityError):
        weights_dir(spec_with({"path": str(tmp_path), "sha256": {"config.json": "2" * 64}}))
    assert (tmp_path / "config.json").is_file()  # a user's own directory is never cleaned up
    with pytest.raises(CheckpointError, match="does not exist"):
        weights_dir(spec_with({"path": str(tmp_path / "nope")}))


class LocalMirror:
    def __init__(self, root: Path) -> None:
        self.root = root

    @hookimpl
    def resolve_weights(self, spec: ModelSpec, source: WeightsSource, cache_dir: Path | None) -> Path | None:
        if source.repo_id == "org/mirrored":
            return self.root
        return None


@pytest.mark.usefixtures("no_plugins")
def test_plugin_resolver_first(tmp_path: Path, hub_cache: Path) -> None:
    get_manager().register(LocalMirror(tmp_path), name="mirror")
    assert weights_dir(spec_with({"repo_id": "org/mirrored"}), cache_dir=hub_cache) == tmp_path
    # the plugin declines: the core's hub resolver answers
    assert weights_dir(spec_with({"repo_id": REPO}), cache_dir=hub_cache).parent.name == "snapshots"


# ---- new tensors (a task head the checkpoint lacks) ---------------------------------------------
def test_new_patterns_let_a_head_be_absent_and_name_it() -> None:
    from dnallm_zoo._checkpoint import load_state_dict_strict

    with torch.device("meta"):
        module = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    body = {"0.weight": torch.ones(4, 3), "0.bias": torch.zeros(4)}
    with pytest.raises(CheckpointError, match=r"missing 2: 1.bias, 1.weight"):
        load_state_dict_strict(module, body)
    fresh = load_state_dict_strict(module, body, new=("1.*",))
    assert fresh == ["1.bias", "1.weight"]
    assert not any(p.is_meta for p in module.parameters()) and module[1].weight.shape == (2, 4)
    assert torch.equal(module[0].weight, torch.ones(4, 3))
    with torch.device("meta"):
        again = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    assert load_state_dict_strict(again, {**body, "1.weight": torch.ones(2, 4), "1.bias": torch.ones(2)},
                                  new=("1.*",)) == []  # present keys are read, not new
    with pytest.raises(CheckpointError, match=r"missing 1: 0\.bias"):
        load_state_dict_strict(again, {"0.weight": torch.ones(4, 3)}, new=("1.*",))


def test_new_weights_are_reported_every_time_as_transformers_words_it() -> None:
    import warnings

    from dnallm_zoo._checkpoint import report_new_weights
    from dnallm_zoo.errors import NewWeightsWarning

    for _ in range(2):
        with pytest.warns(NewWeightsWarning) as rec:
            report_new_weights(["classifier.bias"], model="BertForSequenceClassification", source="/ckpt")
        assert str(rec[0].message).startswith(
            "Some weights of BertForSequenceClassification were not initialized from the model checkpoint at "
            "/ckpt and are newly initialized: ['classifier.bias']")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report_new_weights([], model="X", source="/ckpt")  # nothing new: silent
