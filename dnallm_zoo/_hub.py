"""Hub snapshots at a revision (offline from the cache under HF_HUB_OFFLINE) and sha256 pins."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CheckpointError, IntegrityError, one_line

if TYPE_CHECKING:
    from ._spec import WeightsSource

__all__ = ["hub_download", "looks_like_hub_id", "sha256_file", "verify_sha256"]


def looks_like_hub_id(name: str) -> bool:
    """Whether a model name no plugin registers may name a hub repository (`owner/name`)."""
    return name.count("/") == 1 and not name.startswith((".", "/"))


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_sha256(directory: Path, digests: Mapping[str, str], *, remove: bool = False) -> None:
    """Check pinned digests; with `remove`, a bad file goes (blob too): no poisoned cache."""
    for name, want in digests.items():
        f = directory / name
        if not f.exists():
            raise CheckpointError(f"{directory}: {name} is missing (its sha256 is pinned)")
        got = sha256_file(f)
        if got != want:
            if not remove:
                raise IntegrityError(f"{f}: sha256 {got} differs from the pinned {want}")
            real = f.resolve()
            f.unlink()
            if real != f and real.exists():
                real.unlink()
            raise IntegrityError(
                f"{name}: sha256 {got} differs from the pinned {want}; the file was removed "
                "from the cache, run again to download it afresh"
            )


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def _cache(cache_dir: Path | None) -> str:
    from huggingface_hub import constants

    return str(cache_dir) if cache_dir else constants.HF_HUB_CACHE


def _remedy(source: WeightsSource, cache_dir: Path | None) -> str:
    """What to do when a snapshot is neither cached nor downloadable: fetch it elsewhere, or go local."""
    args = source.repo_id or ""
    if source.revision:
        args += f" --revision {source.revision}"
    args += "".join(f" --include '{f}'" for f in source.files)
    return (
        f"to use it here, on a connected machine run `hf download {args} --cache-dir hub-cache` (older "
        f"huggingface_hub: `huggingface-cli download` with the same arguments) and copy hub-cache/ into "
        f"{_cache(cache_dir)}, the hub cache this run reads (set by --cache-dir / cache_dir=, else "
        "HF_HUB_CACHE, else HF_HOME/hub); or give a local checkpoint directory (--model DIR, load(DIR))"
    )


def hub_download(source: WeightsSource, cache_dir: Path | None) -> Path:
    """Snapshot a hub repository at its revision (offline from the cache under HF_HUB_OFFLINE)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    assert source.repo_id is not None
    offline = _offline()
    try:
        path = snapshot_download(
            repo_id=source.repo_id,
            revision=source.revision,
            allow_patterns=list(source.files) or None,
            cache_dir=str(cache_dir) if cache_dir else None,
            local_files_only=offline,
        )
    except Exception as exc:
        where = f"cannot get {source.repo_id}@{source.revision or 'main'}"
        text = one_line(exc)
        cause = f"({type(exc).__name__}: {text if len(text) <= 200 else text[:199] + '…'})"
        if isinstance(exc, LocalEntryNotFoundError):  # not cached, and offline or the hub unreachable
            how = ("HF_HUB_OFFLINE is set and it is not in the cache (unset it where the hub is reachable)"
                   if offline else
                   "it is not in the hub cache and the hub cannot be reached (no network?)")
            raise CheckpointError(f"{where}: {how} {cause}; {_remedy(source, cache_dir)}") from None
        how = "HF_HUB_OFFLINE is set and it is not in the cache" if offline else "download failed"
        raise CheckpointError(f"{where}: {how} {cause}") from None
    out = Path(path)
    verify_sha256(out, source.sha256, remove=True)
    return out
