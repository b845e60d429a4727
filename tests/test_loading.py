"""`dnallm_zoo.load` on the toy family: by id, alias, 'plugin:id' and directory, and every way it refuses."""

from __future__ import annotations

import json
import pickle
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from dnallm_zoo import CheckpointError, UnknownModelError, load
from dnallm_zoo._runtime import available_devices
from dnallm_zoo.errors import RuntimeConfigError
from dnallm_zoo.kit import read_state_dict
from dnallm_zoo.testing import ToyPlugin, planted_defects, write_weights_copy
from dnallm_zoo.testing.toy import TOY_SPEC, ToyEncoder, write_toy_checkpoint

SEQS = ["ACGTACGTTAGC", "GATTACAGATTACAGATTACA", "TTTAAACCCGGG"]


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """A tiny model runs fastest on one thread, and leaves the other cores to other processes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def copy_of(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def cpu_load(name: str | Path, **kwargs: object) -> ToyEncoder:
    enc = load(name, device="cpu", dtype="float32", **kwargs)  # type: ignore[arg-type]
    assert isinstance(enc, ToyEncoder)
    return enc


# --------------------------------------------------------------------------- finding the model
def test_load_by_id(zoo_toy: ToyPlugin) -> None:
    enc = cpu_load("toy-kmer3")
    assert enc.spec.id == "toy-kmer3" and enc.spec.plugin == "toy"
    assert (enc.device.type, enc.dtype) == ("cpu", torch.float32)
    assert zoo_toy.home is not None
    direct = ToyEncoder.from_pretrained(zoo_toy.home / "toy-kmer3", TOY_SPEC, device="cpu", dtype="float32")
    np.testing.assert_array_equal(enc.embed(SEQS), direct.embed(SEQS))


@pytest.mark.parametrize("name", ["TOY-3MER", "DnaLLM-Zoo/Toy-Kmer3", "toy:toy-kmer3", "TOY:Toy-3mer"])
def test_load_by_alias_hub_id_or_plugin_qualified_in_any_case(zoo_toy: ToyPlugin, name: str) -> None:
    assert cpu_load(name).spec.id == "toy-kmer3"


def test_load_a_directory_through_match_checkpoint(zoo_toy: ToyPlugin, zoo_toy_checkpoint: Path) -> None:
    enc = cpu_load(zoo_toy_checkpoint)
    assert enc.spec.id == "toy-kmer3"
    np.testing.assert_array_equal(
        enc.embed(SEQS),
        ToyEncoder.from_pretrained(zoo_toy_checkpoint, TOY_SPEC, device="cpu", dtype="float32").embed(SEQS),
    )
    assert cpu_load(str(zoo_toy_checkpoint)).spec.id == "toy-kmer3"


def test_a_directory_no_plugin_claims(zoo_toy: ToyPlugin, zoo_toy_checkpoint: Path, tmp_path: Path) -> None:
    d = copy_of(zoo_toy_checkpoint, tmp_path / "other")
    (d / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(CheckpointError, match=r"no installed plugin recognises this checkpoint "
                                              r"\(model_type 'gpt2', files \['config.json', "):
        load(d)


def test_an_unknown_name_suggests_close_ones(zoo_toy: ToyPlugin) -> None:
    with pytest.raises(UnknownModelError, match=r"'toy-kmer4'; did you mean 'toy-kmer3'\?") as info:
        load("toy-kmer4")
    assert info.value.suggestions == ["toy-kmer3"]
    assert isinstance(info.value, KeyError)


def test_an_unknown_hub_id_offline_is_an_unknown_model(
    zoo_toy: ToyPlugin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UnknownModelError, match="unknown model 'nobody/nothing'"):
        load("nobody/nothing", cache_dir=tmp_path)


# --------------------------------------------------------------------------- device and dtype
def test_a_device_the_spec_does_not_list(zoo_toy: ToyPlugin) -> None:
    with pytest.raises(RuntimeConfigError, match=r"toy-kmer3 does not support device 'meta'; it runs on "
                                                 r"\['cpu', 'cuda', 'mps'\]"):
        load("toy-kmer3", device="meta")


@pytest.mark.parametrize("device", ["cuda", "mps"])
def test_a_device_this_machine_lacks(zoo_toy: ToyPlugin, device: str) -> None:
    if device in available_devices():
        pytest.skip(f"this machine has {device}")
    with pytest.raises(RuntimeConfigError, match=f"device '{device}' is not available here"):
        load("toy-kmer3", device=device)


@pytest.mark.parametrize(("dtype", "message"), [
    ("float16", r"toy-kmer3 does not run in float16 on cpu; it allows \['float32', 'bfloat16'\]"),
    ("half", r"toy-kmer3 does not run in float16 on cpu"),
    ("int8", r"unknown dtype 'int8'; use float32, float16 or bfloat16"),
])
def test_a_dtype_that_is_refused(zoo_toy: ToyPlugin, dtype: str, message: str) -> None:
    with pytest.raises(RuntimeConfigError, match=message):
        load("toy-kmer3", device="cpu", dtype=dtype)


def test_an_allowed_dtype_by_its_short_name(zoo_toy: ToyPlugin) -> None:
    assert load("toy-kmer3", device="cpu", dtype="bf16").dtype == torch.bfloat16


# --------------------------------------------------------------------------- broken checkpoints
def test_a_directory_without_weights_says_which_files_it_looked_for(
    zoo_toy: ToyPlugin, zoo_toy_checkpoint: Path, tmp_path: Path
) -> None:
    d = copy_of(zoo_toy_checkpoint, tmp_path / "noweights")
    (d / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"no weights file; looked for model\.safetensors, "
                                              r"model\.safetensors\.index\.json, pytorch_model\.bin; "
                                              r"found \['config\.json', 'vocab\.txt'\]"):
        load(d)


def test_a_directory_without_config(zoo_toy: ToyPlugin, zoo_toy_checkpoint: Path, tmp_path: Path) -> None:
    d = copy_of(zoo_toy_checkpoint, tmp_path / "noconfig")
    (d / "config.json").unlink()
    with pytest.raises(CheckpointError, match=r"no config\.json"):
        load(d)
    (d / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match=r"config\.json: not valid JSON"):
        load(d)


def test_a_config_lacking_keys(zoo_toy: ToyPlugin, zoo_toy_checkpoint: Path, tmp_path: Path) -> None:
    d = copy_of(zoo_toy_checkpoint, tmp_path / "thin")
    config = json.loads((d / "config.json").read_text())
    del config["num_attention_heads"]
    (d / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"config\.json of toy-kmer3 lacks \['num_attention_heads'\]"):
        load(d)


def _unreadable(d: Path, kind: str) -> None:
    """Leave `d` with one unreadable weights file of the given kind."""
    st = d / "model.safetensors"
    if kind == "truncated safetensors":
        data = st.read_bytes()
        st.write_bytes(data[: len(data) // 2])
        return
    st.unlink()
    binary = d / "pytorch_model.bin"
    if kind == "garbage .bin":
        binary.write_bytes(b"\x00not a checkpoint at all" * 10)
    elif kind == "pickled object .bin":
        binary.write_bytes(pickle.dumps(shutil.copytree, protocol=2))  # a global: weights_only refuses it
    elif kind == "non-tensor .bin":
        torch.save({"toy.embed.tokens.weight": torch.zeros(2), "step": 3}, binary)
    elif kind == "list .bin":
        torch.save([torch.zeros(2)], binary)


@pytest.mark.parametrize(("kind", "message"), [
    ("truncated safetensors", r"model\.safetensors: cannot read weights \(.*\); the file may be truncated"),
    ("garbage .bin", r"pytorch_model\.bin: cannot read weights"),
    ("pickled object .bin", r"pytorch_model\.bin: cannot read weights"),
    ("non-tensor .bin", r"pytorch_model\.bin: entries that are not tensors: \['step'\]"),
    ("list .bin", r"pytorch_model\.bin: holds a list, not a dict of tensors"),
])
def test_unreadable_weights_are_a_checkpoint_error(
    zoo_toy: ToyPlugin, zoo_toy_checkpoint: Path, tmp_path: Path, kind: str, message: str
) -> None:
    d = copy_of(zoo_toy_checkpoint, tmp_path / "broken")
    _unreadable(d, kind)
    with pytest.raises(CheckpointError, match=message) as info:
        load(d)
    err = info.value  # no chained traceback from deep in torch or safetensors
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)


def test_a_pytorch_bin_checkpoint_loads_like_safetensors(zoo_toy: ToyPlugin, tmp_path: Path) -> None:
    st = write_toy_checkpoint(tmp_path / "st", seed=3)
    binary = write_toy_checkpoint(tmp_path / "bin", seed=3, safetensors=False)
    assert (binary / "pytorch_model.bin").is_file() and not (binary / "model.safetensors").exists()
    np.testing.assert_array_equal(cpu_load(binary).embed(SEQS), cpu_load(st).embed(SEQS))


@pytest.mark.parametrize("kind", ["missing", "unexpected", "misshaped"])
def test_a_checkpoint_that_does_not_match_is_refused_naming_the_tensor(
    zoo_toy: ToyPlugin, zoo_toy_checkpoint: Path, tmp_path: Path, kind: str
) -> None:
    sd = read_state_dict(zoo_toy_checkpoint / "model.safetensors")
    required = [k for k in sd if not k.startswith("toy.pooler.")]
    key, state = planted_defects(sd, required, ignorable=ToyEncoder.ignorable_keys)[kind]
    d = write_weights_copy(zoo_toy_checkpoint, tmp_path / kind, state)
    words = {"missing": "missing 1: ", "unexpected": "unexpected 1: ", "misshaped": "wrong shape 1: "}
    with pytest.raises(CheckpointError, match=rf"does not match the model: {words[kind]}{key}"):
        load(d)


def test_a_directory_spec_takes_the_network_shape_from_its_config() -> None:
    """A smaller model of a family, claimed by its layout, is described by its own config.json."""
    from dnallm_zoo._loading import _shape_from_config
    from dnallm_zoo.testing.toy import TOY_SPEC

    arch = TOY_SPEC.architecture
    same = {"hidden_size": arch.hidden_size, "num_hidden_layers": arch.num_layers}
    assert _shape_from_config(TOY_SPEC, same) is TOY_SPEC
    smaller = _shape_from_config(TOY_SPEC, {"hidden_size": 8, "num_hidden_layers": 1, "vocab_size": "x"})
    assert (smaller.architecture.hidden_size, smaller.architecture.num_layers) == (8, 1)
    assert smaller.architecture.vocab_size == arch.vocab_size and smaller.architecture.parameters is None


# --------------------------------------------------------------------------- attribution to one family
def _bpe_family(name: str, kind: str = "bert") -> object:
    from dnallm_zoo import ArchitectureSpec, Capabilities, ModelSpec, TokenizerSpec, WeightsSource
    from dnallm_zoo.kit import StockFamily

    spec = ModelSpec(
        id=f"{name}-bpe", family=name, description="a BPE encoder", license="MIT",
        citation="@misc{x, title={x}}", task="masked-lm",
        tokenizer=TokenizerSpec(kind="bpe", vocab_file="tokenizer.json", max_tokens=64),
        weights=WeightsSource(repo_id=f"someone/{name}"),
        architecture=ArchitectureSpec(kind=kind, hidden_size=32, num_layers=2, num_heads=4, max_tokens=64),
        capabilities=Capabilities(max_bases=150),
    )
    return StockFamily(name, [spec])


def test_a_directory_two_families_claim_is_refused_naming_both(
    zoo_isolated: object, zoo_plugin: object, tmp_path: Path
) -> None:
    first, second = _bpe_family("one"), _bpe_family("two")
    zoo_plugin(first, name="one")  # type: ignore[operator]
    zoo_plugin(second, name="two")  # type: ignore[operator]
    d = first.write_checkpoint(first.specs[0], tmp_path / "one")  # type: ignore[attr-defined]
    with pytest.raises(CheckpointError,
                       match=r"more than one family.*one:one-bpe \(one\).*two:two-bpe \(two\)"):
        load(d)


@pytest.mark.parametrize("extra", [{"pre_layer_norm": True}, {"last_layer_norm": False},
                                   {"position_embedding_type": "rotary", "rotary_dim": 8},
                                   {"rope_theta": 10000.0}])
def test_a_bert_config_of_another_network_is_never_claimed_as_stock_bert(
    zoo_isolated: object, zoo_plugin: object, tmp_path: Path, extra: dict[str, object]
) -> None:
    fam = _bpe_family("plain")
    zoo_plugin(fam, name="plain")  # type: ignore[operator]
    d = fam.write_checkpoint(fam.specs[0], tmp_path / "d")  # type: ignore[attr-defined]
    assert load(d, device="cpu").spec.id == "plain-bpe"
    config = json.loads((d / "config.json").read_text())
    (d / "config.json").write_text(json.dumps({**config, **extra}))
    with pytest.raises(CheckpointError, match=r"no installed plugin recognises.*'bert'.*families of "
                                              r"architecture 'bert': \['plain'\]"):
        load(d)
