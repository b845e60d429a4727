"""Hub snapshots: what a run that can neither find a snapshot in the cache nor download it says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import huggingface_hub
import pytest
from huggingface_hub.errors import LocalEntryNotFoundError

from dnallm_zoo._hub import hub_download
from dnallm_zoo._spec import WeightsSource
from dnallm_zoo.errors import CheckpointError

CONNECT = ("An error happened while trying to locate the files on the Hub and we cannot find the "
           "appropriate snapshot folder for the specified revision on the local disk. Got: ConnectError "
           "([Errno -3] Temporary failure in name resolution).")


@pytest.fixture
def unreachable(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """snapshot_download as it fails without a network and without the snapshot cached."""
    calls: list[dict[str, Any]] = []

    def fake(**kwargs: Any) -> str:
        calls.append(kwargs)
        raise LocalEntryNotFoundError(CONNECT)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake)
    return calls


SRC = WeightsSource(repo_id="zhangtaolab/plant-dnabert-BPE-promoter", revision="0123abcd",
                    files=("config.json", "*.safetensors"))


def test_offline_and_not_cached_says_what_to_fetch_and_where(
    unreachable: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with pytest.raises(CheckpointError) as info:
        hub_download(SRC, tmp_path / "cache")
    msg = str(info.value)
    assert msg.startswith("cannot get zhangtaolab/plant-dnabert-BPE-promoter@0123abcd: it is not in the "
                          "hub cache and the hub cannot be reached (no network?) (LocalEntryNotFoundError: ")
    assert "Got: ConnectError" in msg
    assert ("`hf download zhangtaolab/plant-dnabert-BPE-promoter --revision 0123abcd --include 'config.json' "
            "--include '*.safetensors' --cache-dir hub-cache`") in msg
    assert "`huggingface-cli download` with the same arguments" in msg
    assert f"copy hub-cache/ into {tmp_path / 'cache'}, the hub cache this run reads" in msg
    assert "HF_HUB_CACHE, else HF_HOME/hub" in msg and "--model DIR" in msg
    assert "\n" not in msg
    assert unreachable[0]["local_files_only"] is False


def test_under_hf_hub_offline_the_default_cache_is_named(
    unreachable: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CheckpointError) as info:
        hub_download(WeightsSource(repo_id="org/m"), None)
    msg = str(info.value)
    assert "HF_HUB_OFFLINE is set and it is not in the cache (unset it where the hub is reachable)" in msg
    assert "`hf download org/m --cache-dir hub-cache`" in msg
    assert f"into {huggingface_hub.constants.HF_HUB_CACHE}," in msg
    assert unreachable[0]["local_files_only"] is True


def test_other_hub_errors_keep_their_short_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(**kwargs: Any) -> str:
        raise ValueError("Repo id must be in the form 'repo_name' or 'namespace/repo_name'")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with pytest.raises(CheckpointError) as info:
        hub_download(WeightsSource(repo_id="org/m"), None)
    assert str(info.value) == ("cannot get org/m@main: download failed (ValueError: Repo id must be in the "
                               "form 'repo_name' or 'namespace/repo_name')")
