"""Random weights for tiny test checkpoints (written by the core's `write_weights`)."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

import torch

__all__ = ["random_state_dict"]

_NORMS = ("LayerNorm.weight", "layernorm.weight", "ln.weight")


def random_state_dict(
    shapes: torch.nn.Module | Mapping[str, torch.Tensor],
    *,
    seed: int = 0,
    skip: Collection[str] = (),
) -> dict[str, torch.Tensor]:
    """Random float32 tensors for the keys of a module (meta is fine) or mapping, but `skip` (tied aliases).

    Larger than BERT's 0.02 initialisation so that outputs differ visibly between tokens and layers:
    norm weights 1 + 0.1 n, biases and embeddings 0.1 n, matrices 0.5 n / sqrt(fan_in); integer buffers 0.
    """
    tensors = shapes.state_dict() if isinstance(shapes, torch.nn.Module) else shapes
    g = torch.Generator().manual_seed(seed)
    out: dict[str, torch.Tensor] = {}
    for key, like in tensors.items():
        if key in skip:
            continue
        if not like.dtype.is_floating_point:
            out[key] = torch.zeros(like.shape, dtype=like.dtype)
            continue
        noise = torch.randn(like.shape, generator=g)
        if key.endswith(_NORMS):
            out[key] = 1.0 + 0.1 * noise
        elif key.endswith(".bias") or "embeddings" in key or like.ndim < 2:
            out[key] = 0.1 * noise
        else:  # linear weights [out, in]
            out[key] = 0.5 * noise / math.sqrt(like.shape[1])
    return out
