"""Hub snapshots at a revision (offline from the cache under HF_HUB_OFFLINE) and sha256 pins."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CheckpointError, IntegrityError

if TYPE_CHECKING:
    from ._spec import WeightsSource

__all__ = ["hub_download", "sha256_file", "verify_sha256"]


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


def hub_download(source: WeightsSource, cache_dir: Path | None) -> Path:
    """Snapshot a hub repository at its revision (offline from the cache under HF_HUB_OFFLINE)."""
    from huggingface_hub import snapshot_download

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
        how = "HF_HUB_OFFLINE is set and it is not in the cache" if offline else "download failed"
        raise CheckpointError(
            f"cannot get {source.repo_id}@{source.revision or 'main'}: {how} "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''})"
        ) from None
    out = Path(path)
    verify_sha256(out, source.sha256, remove=True)
    return out
