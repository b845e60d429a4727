"""What a tokenizer call returns: `BatchEncoding`, and its rows as Python lists or as tensors."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["BatchEncoding", "int_lists", "mask_lists", "tensors"]

# ids below this get their int objects from a shared table (grown to the largest id seen)
_TABLE_MAX = 1 << 16
# items gathered from the table at a time: the object block stays in cache until it is listed
_BLOCK = 1 << 15
_objects: np.ndarray = np.arange(256).astype(object)


class BatchEncoding(dict):
    """A dict of `input_ids`, `attention_mask` (and maybe `token_type_ids`), attribute access too."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def to(self, device: Any) -> BatchEncoding:
        """Move tensors to a device (torch tensors only)."""
        return BatchEncoding({k: v.to(device) if hasattr(v, "to") else v for k, v in self.items()})


def _int_objects(top: int) -> np.ndarray:
    """An object array whose item i is the int i, for i <= top (grown as needed, shared)."""
    global _objects
    if top >= len(_objects):
        _objects = np.arange(max(top + 1, 2 * len(_objects))).astype(object)
    return _objects


def int_lists(a: np.ndarray, row_len: np.ndarray | None = None) -> list[list[int]]:
    """The rows of a 2-D int array as lists of Python ints, row i cut to `row_len[i]`.

    `.tolist()` creates an int object per item; gathering from a table of them (`_int_objects`) and
    listing that object array only copies references, block by block: under half the time on token ids.
    """
    rows: list[list[int]]
    if a.size and a.dtype.kind in "iu" and int(a.min()) >= 0 and (hi := int(a.max())) < _TABLE_MAX:
        table = _int_objects(hi)
        step = max(1, _BLOCK // a.shape[1])
        rows = []
        for i in range(0, len(a), step):
            rows += table.take(a[i : i + step]).tolist()
    else:
        rows = a.tolist()
    if row_len is not None and rows and int(row_len.min()) < a.shape[1]:
        for r, n in zip(rows, row_len.tolist(), strict=True):
            del r[n:]
    return rows


def mask_lists(lengths: np.ndarray, row_len: np.ndarray, fill: int = 1) -> list[list[int]]:
    """Rows of `fill` (`lengths[i]` of them) then 0 up to `row_len[i]`: an attention mask as lists."""
    out = []
    for n, r in zip(lengths.tolist(), row_len.tolist(), strict=True):
        out.append([fill] * n + [0] * (r - n) if r > n else [fill] * n)
    return out


def tensors(out: dict[str, np.ndarray], return_tensors: str) -> dict[str, Any]:
    """numpy arrays as `return_tensors` asks: 'np' as they are, 'pt' as torch tensors."""
    if return_tensors == "pt":
        import torch

        return {k: torch.as_tensor(v) for k, v in out.items()}
    if return_tensors == "np":
        return out
    raise ValueError(f"return_tensors={return_tensors!r} is not supported; use 'pt' or 'np'")
