"""The core's own hook implementations, registered like any plugin."""

from __future__ import annotations

from pathlib import Path

from ._hooks import hookimpl
from ._spec import ModelSpec, WeightsSource
from .errors import CheckpointError


@hookimpl(trylast=True)
def resolve_weights(spec: ModelSpec, source: WeightsSource, cache_dir: Path | None) -> Path:
    """Local directories as they are; hub repositories through huggingface_hub."""
    from ._hub import hub_download, verify_sha256

    if source.path is not None:
        p = Path(source.path).expanduser()
        if not p.is_dir():
            raise CheckpointError(f"{spec.id}: weights directory {p} does not exist")
        verify_sha256(p, source.sha256)
        return p
    return hub_download(source, cache_dir)
