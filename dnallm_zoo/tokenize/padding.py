"""`DNATokenizer.pad` for Hugging Face features: what `DataCollatorWithPadding` and friends call.

Pads as `PreTrainedTokenizerBase.pad` does: `input_ids` with the pad id, `attention_mask` with 0,
`token_type_ids` with 0 and `special_tokens_mask` with 1, to the longest row (`padding=True`), to
`max_length` (`padding="max_length"`), rounded up to `pad_to_multiple_of`; every other key (labels)
is passed through, as a tensor when `return_tensors` asks for one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from .encoding import BatchEncoding

__all__ = ["pad_features"]

_FILL = {"attention_mask": 0, "token_type_ids": 0, "special_tokens_mask": 1}
_LONGEST = (True, "longest")
_NONE = (False, "do_not_pad", None)


class _Tokenizer(Protocol):
    """What padding reads from a tokenizer (`DNATokenizer` has it)."""

    @property
    def pad_token_id(self) -> int: ...

    max_length: int
    padding_side: str


def _rows(value: Any) -> list[np.ndarray]:
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return list(value)
    return [np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v) for v in value]


def _columns(features: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(features, Mapping):
        return dict(features)
    if not features:
        return {}
    keys = list(features[0])
    for i, f in enumerate(features):
        if list(f) != keys:
            raise ValueError(f"feature {i} has keys {sorted(f)}, feature 0 has {sorted(keys)}")
    return {k: [f[k] for f in features] for k in keys}


def _as_tensor(value: Any, return_tensors: str | None) -> Any:
    if return_tensors is None:
        return value
    if hasattr(value, "detach") or (isinstance(value, list) and value and hasattr(value[0], "detach")):
        import torch

        t = value if hasattr(value, "detach") else torch.stack(list(value))
        return t if return_tensors == "pt" else t.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except ValueError:  # numpy refuses inhomogeneous rows
        arr = np.empty(0, dtype=object)
    if arr.dtype == object:
        raise ValueError(
            "Unable to create tensor: a feature has rows of different lengths (ragged); pad it first, "
            "e.g. per-token labels with DataCollatorForTokenClassification"
        )
    if return_tensors == "pt":
        import torch

        if isinstance(value, list) and arr.dtype == np.float64 and not any(
            isinstance(v, np.ndarray) for v in value
        ):
            return torch.tensor(arr.tolist())  # Python floats: float32, as torch.tensor makes them
        return torch.as_tensor(arr)
    if return_tensors == "np":
        return arr
    raise ValueError(f"return_tensors={return_tensors!r} is not supported; use 'pt' or 'np'")


def pad_features(
    tokenizer: _Tokenizer,
    features: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    *,
    padding: bool | str | None = True,
    max_length: int | None = None,
    pad_to_multiple_of: int | None = None,
    padding_side: str | None = None,
    return_attention_mask: bool | None = None,
    return_tensors: str | None = None,
    verbose: bool = True,
) -> BatchEncoding:
    """Pad a list of feature dicts (or a dict of lists) like a Hugging Face tokenizer."""
    del verbose
    cols = _columns(features)
    if "input_ids" not in cols:
        raise ValueError(
            "You should supply an encoding or a list of encodings to this method that includes input_ids, "
            f"but you provided {sorted(cols)}"
        )
    side = padding_side or getattr(tokenizer, "padding_side", "right")
    if side not in ("right", "left"):
        raise ValueError(f"padding_side={side!r}: use 'right' or 'left'")
    if padding not in _LONGEST and padding not in _NONE and padding != "max_length":
        raise ValueError(f"padding={padding!r}: use True, False, 'longest', 'max_length' or 'do_not_pad'")
    ids = _rows(cols["input_ids"])
    want_mask = return_attention_mask if return_attention_mask is not None else True
    if want_mask and "attention_mask" not in cols:
        cols["attention_mask"] = [np.ones(len(r), dtype=np.int64) for r in ids]
    elif not want_mask:
        cols.pop("attention_mask", None)
    lengths = [len(r) for r in ids]
    if padding in _NONE:
        width = None
    else:
        width = max(lengths, default=0)
        if padding == "max_length":
            width = max(width, max_length if max_length is not None else tokenizer.max_length)
        if pad_to_multiple_of and width % pad_to_multiple_of:
            width += pad_to_multiple_of - width % pad_to_multiple_of
    out: dict[str, Any] = {}
    for key, value in cols.items():
        if key != "input_ids" and key not in _FILL:
            out[key] = _as_tensor(value, return_tensors)
            continue
        rows = ids if key == "input_ids" else _rows(value)
        if width is None:
            out[key] = _as_tensor([r.astype(np.int64) for r in rows], return_tensors) if return_tensors \
                else [r.tolist() for r in rows]
            continue
        fill = tokenizer.pad_token_id if key == "input_ids" else _FILL[key]
        block = np.full((len(rows), width), fill, dtype=np.int64)
        for i, r in enumerate(rows):
            if len(r) != lengths[i]:
                raise ValueError(f"feature {i}: {key} has {len(r)} entries, input_ids {lengths[i]}")
            if side == "right":
                block[i, : len(r)] = r
            else:
                block[i, width - len(r):] = r
        out[key] = _as_tensor(block, return_tensors) if return_tensors else block.tolist()
    return BatchEncoding(out)
