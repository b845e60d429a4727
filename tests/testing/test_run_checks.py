"""`run_checks` (what `dnallm-zoo check` calls): results, skips, given weights, broken plugins, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import broken_toys as broken
import pytest

from dnallm_zoo import CheckpointError, UnknownModelError, hookimpl
from dnallm_zoo._runtime import available_devices
from dnallm_zoo.testing import CHECKS, CheckResult, ToyPlugin, run_checks
from dnallm_zoo.testing.toy import TOY_SPEC, toy_config, write_toy_checkpoint

DEVICE_CHECKS = [
    "device[cpu/float32]", "device[cpu/bfloat16]", "device[cuda/float32]", "device[cuda/float16]",
    "device[cuda/bfloat16]", "device[mps/float32]", "device[mps/float16]",
]


def test_every_check_passes_on_the_toy(zoo_toy: ToyPlugin) -> None:
    results = run_checks("toy-kmer3")
    assert all(isinstance(r, CheckResult) for r in results)
    assert [r.name for r in results] == [*CHECKS, *DEVICE_CHECKS]
    failed = [r for r in results if not r.ok]
    assert not failed, failed
    have = available_devices()
    for r in results:
        absent = r.name.startswith("device[") and r.name[7:].split("/")[0] not in have
        assert r.skipped == absent, r
        assert r.detail
    assert "copies on disk" in results[0].detail


def test_an_alias_or_qualified_name_is_checked_too(zoo_toy: ToyPlugin) -> None:
    results = run_checks("toy:TOY-3MER")
    assert all(r.ok for r in results)


def test_weights_checks_that_directory(zoo_toy: ToyPlugin, tmp_path: Path) -> None:
    good = write_toy_checkpoint(tmp_path / "good", seed=7)
    assert all(r.ok for r in run_checks("toy-kmer3", weights=good))
    bad = write_toy_checkpoint(tmp_path / "bad")
    (bad / "config.json").write_text(json.dumps({**toy_config(), "hidden_size": 12}))
    results = run_checks("toy-kmer3", weights=bad)
    assert not any(r.ok for r in results if not r.skipped)
    assert results[0].detail.startswith("CheckpointError: ")
    assert "wrong shape" in results[0].detail


def test_weights_must_be_a_directory(zoo_toy: ToyPlugin, tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="is not a checkpoint directory"):
        run_checks("toy-kmer3", weights=tmp_path / "nowhere")


def test_large_weights_get_their_planted_defects_in_memory(
    zoo_toy: ToyPlugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dnallm_zoo.testing import checks

    monkeypatch.setattr(checks, "COPY_LIMIT", 0)
    (strict,) = (r for r in run_checks("toy-kmer3") if r.name == "strict_load")
    assert strict.ok and "in memory" in strict.detail


class _Registers:
    """A plugin registering the toy spec with some encoder class, and maybe the toy's checkpoint writer."""

    def __init__(self, encoder: type, *, writes: bool = True, matches: bool = True,
                 model_id: str = "toy-kmer3") -> None:
        self.encoder = encoder
        self.writes, self.matches = writes, matches
        self.spec = TOY_SPEC.model_copy(update={"id": model_id, "aliases": ()})

    @hookimpl
    def register_models(self, register: Callable[..., None]) -> None:
        register(self.spec, self.encoder)

    @hookimpl
    def make_test_checkpoint(self, spec: Any, path: Path) -> bool | None:
        if not self.writes or spec.id != self.spec.id:
            return None
        write_toy_checkpoint(path)
        return True

    @hookimpl
    def match_checkpoint(self, path: Path, config: dict[str, Any]) -> str | None:
        return self.spec.id if self.matches and config.get("model_type") == "toy" else None


def test_a_broken_plugin_fails_the_check_it_breaks(
    zoo_isolated: object, zoo_plugin: Callable[..., str]
) -> None:
    zoo_plugin(_Registers(broken.IgnoresMask), name="leaky")
    results = {r.name: r for r in run_checks("toy-kmer3")}
    assert not results["batch_invariance"].ok
    assert "inside a batch" in results["batch_invariance"].detail
    assert not results["attentions"].ok and "of its weight to padding" in results["attentions"].detail
    assert all(r.ok for name, r in results.items() if name not in ("batch_invariance", "attentions"))


def test_a_plugin_that_claims_no_directory_fails_the_round_trip(
    zoo_isolated: object, zoo_plugin: Callable[..., str]
) -> None:
    zoo_plugin(_Registers(broken.ToyEncoder, matches=False), name="unmatched")
    results = {r.name: r for r in run_checks("toy-kmer3")}
    assert not results["save_round_trip"].ok
    assert "dnallm_zoo.load() of the saved directory failed: CheckpointError: " in \
        results["save_round_trip"].detail
    assert "no installed plugin recognises" in results["save_round_trip"].detail
    assert all(r.ok for name, r in results.items() if name != "save_round_trip")


def test_a_crashing_check_is_a_failed_result(zoo_isolated: object, zoo_plugin: Callable[..., str]) -> None:
    zoo_plugin(_Registers(broken.ExplodingForward), name="exploding")
    results = {r.name: r for r in run_checks("toy-kmer3")}
    assert not results["shapes"].ok
    assert results["shapes"].detail == "RuntimeError: boom"


def test_no_checkpoint_writer_is_a_clear_error(zoo_isolated: object, zoo_plugin: Callable[..., str]) -> None:
    zoo_plugin(_Registers(broken.ToyEncoder, writes=False, model_id="bare-kmer3"), name="bare")
    with pytest.raises(CheckpointError, match=r"no plugin writes test checkpoints for 'bare-kmer3' .*"
                                              r"registered by 'bare'.*make_test_checkpoint"):
        run_checks("bare-kmer3")


def test_unknown_model(zoo_toy: ToyPlugin) -> None:
    with pytest.raises(UnknownModelError, match="toy-kmer3"):
        run_checks("toy-kmer4")
