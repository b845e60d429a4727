"""The special tokens transformers' `EsmTokenizer` reads from a checkpoint directory and writes to one
(NT, Plant DNABERT)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import CheckpointError

__all__ = ["ESM_DEFAULT_SPECIALS", "read_esm_special_tokens", "write_esm_tokenizer_config"]

#: EsmTokenizer's defaults, used for every role the checkpoint's files do not set
ESM_DEFAULT_SPECIALS: dict[str, str | None] = {
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
    "cls_token": "<cls>",
    "eos_token": "<eos>",
}


def read_esm_special_tokens(path: str | Path) -> dict[str, str | None]:
    """The special tokens EsmTokenizer.from_pretrained would use for a checkpoint directory.

    `tokenizer_config.json` sets them; the legacy `special_tokens_map.json` overrides it only when
    the config has no `added_tokens_decoder` (transformers 5's rule). A role set to null is absent:
    an explicit `"eos_token": null` means no end token.
    """
    p = Path(path)
    out = dict(ESM_DEFAULT_SPECIALS)
    config = _read_json(p / "tokenizer_config.json")
    for key in out:
        if key in config:
            out[key] = _token_name(config[key])
    if "added_tokens_decoder" not in config:
        legacy = _read_json(p / "special_tokens_map.json")
        for key in out:
            if legacy.get(key):
                out[key] = _token_name(legacy[key])
    return out


def _token_name(value: Any) -> str | None:
    if isinstance(value, dict):  # an AddedToken as transformers serialises it
        value = value.get("content")
    return None if value is None else str(value)


def _read_json(f: Path) -> dict[str, Any]:
    if not f.is_file():
        return {}
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{f}: not valid JSON ({exc})") from None
    return data if isinstance(data, dict) else {}


def write_esm_tokenizer_config(
    path: Path,
    *,
    max_length: int,
    vocab: dict[str, int],
    unk_token: str = "<unk>",
    pad_token: str = "<pad>",
    mask_token: str | None = "<mask>",
    cls_token: str = "<cls>",
    eos_token: str | None = None,
) -> None:
    """tokenizer_config.json and special_tokens_map.json as transformers writes an EsmTokenizer's."""
    roles = {"unk_token": unk_token, "pad_token": pad_token, "mask_token": mask_token,
             "cls_token": cls_token}
    decoder = {
        str(vocab[tok]): {"content": tok, "lstrip": False, "normalized": False, "rstrip": False,
                          "single_word": False, "special": True}
        for tok in roles.values() if tok is not None
    }
    config = {
        "added_tokens_decoder": dict(sorted(decoder.items(), key=lambda kv: int(kv[0]))),
        "clean_up_tokenization_spaces": True,
        **{k: v for k, v in roles.items() if v is not None},
        "eos_token": eos_token,  # explicit: null means no end token
        "model_max_length": max_length,
        "tokenizer_class": "EsmTokenizer",
    }
    (path / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    smap = {k: v for k, v in roles.items() if v is not None}
    (path / "special_tokens_map.json").write_text(json.dumps(smap, indent=2) + "\n")
