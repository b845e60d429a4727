"""The original NT checkpoint layouts and how to recognise them (no torch, no file execution).

v1 and AgroNT: config.json with `model_type` "esm" and `position_embedding_type` "absolute". v2:
config.json without `model_type`, with `position_embedding_type` "rotary", `add_bias_fnn` and an
`auto_map` to the remote `esm_config` / `modeling_esm` modules, which are never read, imported or run
(the map is only inspected as data). All three: an NT vocab.txt (first line `<unk>`, 4,107 lines).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dnallm_zoo import kit

from .specs import CHECKPOINTS

__all__ = ["REMOTE_MODULES", "is_nt_vocab", "match"]

#: the v2 repositories' remote code: named in config.json's auto_map; never fetched, never run
REMOTE_MODULES = ("esm_config", "modeling_esm")


def is_nt_vocab(path: Path, file: str = "vocab.txt") -> bool:
    """True when vocab.txt opens like NT's: `<unk>` `<pad>` `<mask>` `<cls>`, and holds the 6-mers."""
    f = path / file
    if not f.is_file():
        return False
    try:
        lines = f.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    return lines[:4] == ["<unk>", "<pad>", "<mask>", "<cls>"] and len(lines) >= 4101 and "AAAAAA" in lines


def _esm_like(config: Mapping[str, Any]) -> bool:
    if config.get("model_type", "esm") != "esm":
        return False
    if "auto_map" in config:
        modules = kit.auto_map_modules(config["auto_map"])
        if modules is None or any(m not in REMOTE_MODULES for m in modules):
            return False
    return "position_embedding_type" in config or config.get("model_type") == "esm"


def match(path: Path, config: Mapping[str, Any]) -> str | None:
    """The model id of an NT directory (pre-trained or fine-tuned), by its shape; None for others.

    ESM protein models share model_type "esm" but not the vocabulary. A fine-tune is claimed as the
    model of its shape: the core builds its head from config.json. The directory's .py files are never read.
    """
    if not _esm_like(config) or not is_nt_vocab(path):
        return None
    rotary = config.get("position_embedding_type") == "rotary"
    shape = (config.get("hidden_size"), config.get("num_hidden_layers"))
    family = [c for c in CHECKPOINTS if (c.version == 2) == rotary]
    for c in family:
        if (c.hidden, c.layers) == shape:
            return c.id
    if rotary:
        return "nt-v2-50m-multi-species"
    # another shape of learned positions: AgroNT's token limit when it has the positions for it
    return "agront-1b" if int(config.get("max_position_embeddings") or 0) >= 1026 else "nt-v1-500m-human-ref"
