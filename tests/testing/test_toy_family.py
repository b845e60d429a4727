"""The toy family (layout, hooks, not registered by default) and the checkpoint helpers of the kit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from dnallm_zoo import CheckpointError, hookimpl, list_models
from dnallm_zoo._registry import reset_plugins
from dnallm_zoo.kit import read_state_dict
from dnallm_zoo.testing import ToyPlugin, make_test_checkpoint, planted_defects, write_weights_copy
from dnallm_zoo.testing.checkpoints import UNEXPECTED_KEY
from dnallm_zoo.testing.toy import TOY_SPEC, ToyEncoder
from dnallm_zoo.tokenize import read_vocab_txt


def test_the_toy_is_not_registered_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DNALLM_ZOO_PLUGINS", raising=False)
    reset_plugins()
    try:
        assert "toy-kmer3" not in [s.id for s in list_models()]
    finally:
        reset_plugins()


def test_toy_checkpoint_is_in_its_original_layout(zoo_toy_checkpoint: Path) -> None:
    files = sorted(p.name for p in zoo_toy_checkpoint.iterdir())
    assert files == ["config.json", "model.safetensors", "vocab.txt"]
    config = json.loads((zoo_toy_checkpoint / "config.json").read_text())
    assert config["model_type"] == "toy" and config["vocab_size"] == 69
    vocab = read_vocab_txt(zoo_toy_checkpoint / "vocab.txt")
    assert [vocab[t] for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "AAA", "AAC", "TTT")] == \
        [0, 1, 2, 3, 4, 5, 6, 68]
    keys = set(read_state_dict(zoo_toy_checkpoint / "model.safetensors"))
    assert "head.decoder.weight" not in keys  # tied to the token embeddings
    assert {"toy.embed.tokens.weight", "toy.layers.1.attn.qkv.weight", "head.bias",
            "toy.pooler.dense.weight"} <= keys


def test_the_tied_decoder_shares_the_embedding_after_loading(zoo_toy_checkpoint: Path) -> None:
    enc = ToyEncoder.from_pretrained(zoo_toy_checkpoint, TOY_SPEC, device="cpu", dtype="float32")
    model = enc.module
    assert model.head.decoder.weight is model.toy.embed.tokens.weight
    assert "head.decoder.weight" not in enc.state_dict_for_save()


def test_match_checkpoint_claims_only_toy_directories(zoo_toy_checkpoint: Path, tmp_path: Path) -> None:
    toy = ToyPlugin()
    config = json.loads((zoo_toy_checkpoint / "config.json").read_text())
    assert toy.match_checkpoint(zoo_toy_checkpoint, config) == "toy-kmer3"
    assert toy.match_checkpoint(zoo_toy_checkpoint, {**config, "model_type": "bert"}) is None
    assert toy.match_checkpoint(tmp_path, config) is None  # no vocab.txt


def test_make_test_checkpoint_through_the_hook(zoo_toy: ToyPlugin, tmp_path: Path) -> None:
    path = make_test_checkpoint("toy-3mer", tmp_path / "made")
    assert path == tmp_path / "made"
    assert (path / "model.safetensors").is_file() and (path / "vocab.txt").is_file()


def test_make_test_checkpoint_for_a_model_no_plugin_writes(zoo_toy: ToyPlugin, tmp_path: Path) -> None:
    stranger = TOY_SPEC.model_copy(update={"id": "stranger", "family": "other", "plugin": "elsewhere"})
    with pytest.raises(CheckpointError, match=r"no plugin writes test checkpoints for 'stranger' "
                                              r"\(family 'other', registered by 'elsewhere'\)"):
        make_test_checkpoint(stranger, tmp_path)


class _Raising(ToyPlugin):
    @hookimpl
    def make_test_checkpoint(self, spec: object, path: Path) -> bool | None:
        raise OSError("disk full")


def test_make_test_checkpoint_names_a_plugin_that_failed(
    zoo_isolated: object, zoo_plugin: object, tmp_path: Path
) -> None:
    zoo_plugin(_Raising(), name="toy")  # type: ignore[operator]
    with pytest.raises(CheckpointError, match=r"plugin 'toy' failed: make_test_checkpoint: OSError: disk"):
        make_test_checkpoint("toy-kmer3", tmp_path)


def test_planted_defects(zoo_toy_checkpoint: Path) -> None:
    sd = read_state_dict(zoo_toy_checkpoint / "model.safetensors")
    required = [k for k in sd if not k.startswith("toy.pooler.")]
    defects = planted_defects(sd, required, ignorable=ToyEncoder.ignorable_keys)
    assert sorted(defects) == ["misshaped", "missing", "unexpected"]
    key, state = defects["missing"]
    assert key in required and key not in state and len(state) == len(sd) - 1
    key, state = defects["unexpected"]
    assert key == UNEXPECTED_KEY and set(state) == {*sd, key}
    key, state = defects["misshaped"]
    assert state[key].shape[0] == sd[key].shape[0] + 1 and state[key].shape[1:] == sd[key].shape[1:]
    assert all(state[k] is sd[k] for k in sd if k != key)  # nothing else copied or changed


def test_planted_defects_refuses_patterns_that_hide_everything() -> None:
    with pytest.raises(AssertionError, match=r"pattern\(s\) \['zoo_\*'\] match the unexpected key"):
        planted_defects({"a": torch.zeros(2)}, ["a"], ignorable=("zoo_*",))


def test_write_weights_copy(zoo_toy_checkpoint: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for f in zoo_toy_checkpoint.iterdir():
        (bin_dir / f.name).write_bytes(f.read_bytes())
    (bin_dir / "pytorch_model.bin").write_bytes(b"stale weights of the original")
    copy = write_weights_copy(bin_dir, tmp_path / "copy", {"only": torch.ones(3)})
    assert sorted(p.name for p in copy.iterdir()) == ["config.json", "model.safetensors", "vocab.txt"]
    assert list(read_state_dict(copy / "model.safetensors")) == ["only"]
