"""Tiny test checkpoints through the plugins' `make_test_checkpoint` hook, and planted-defect copies."""

from __future__ import annotations

import fnmatch
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .._checkpoint import WEIGHT_FILES, find_weights_file, read_config, write_weights
from .._discovery import get_manager
from .._registry import get_spec
from .._spec import ModelSpec
from ..errors import CheckpointError

if TYPE_CHECKING:
    import torch

__all__ = ["UNEXPECTED_KEY", "make_test_checkpoint", "planted_defects", "write_weights_copy"]

#: the key planted as an "unexpected tensor": no family may expect or ignore it
UNEXPECTED_KEY = "zoo_conformance.unexpected_tensor"


def make_test_checkpoint(model: str | ModelSpec, path: str | Path) -> Path:
    """Have the model's plugin write its tiny random checkpoint into `path` (created); returns it."""
    spec = model if isinstance(model, ModelSpec) else get_spec(model)
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    manager = get_manager()
    call = manager.call("make_test_checkpoint", spec=spec, path=p)
    if call.first is not None and call.first[1]:
        plugin = call.first[0]
        read_config(p)  # a clear error if the plugin wrote no config.json
        try:
            find_weights_file(p)
        except CheckpointError as exc:
            raise CheckpointError(f"plugin {plugin!r} wrote a test checkpoint without weights: {exc}"
                                  ) from None
        return p
    failures = [f"plugin {name!r} failed: {manager.info[name].errors[-1]}" for name in call.failed]
    raise CheckpointError(
        f"no plugin writes test checkpoints for {spec.id!r} (family {spec.family!r}, registered by "
        f"{spec.plugin!r}); its plugin implements the make_test_checkpoint hook to get one"
        + (f" ({'; '.join(failures)})" if failures else "")
        + "; or check real weights with run_checks(model, weights=DIR)"
    )


def planted_defects(
    state_dict: Mapping[str, torch.Tensor],
    required: Iterable[str],
    *,
    ignorable: Iterable[str] = (),
) -> dict[str, tuple[str, dict[str, torch.Tensor]]]:
    """Three broken copies of a checkpoint's tensors: kind -> (the key touched, state dict).

    ``missing`` lacks one tensor the model requires, ``unexpected`` has one tensor no model
    has, ``misshaped`` has one required tensor one row longer. `required` names the keys the
    model needs (its state dict minus tied aliases); the tensors are shared, not copied, except
    the one changed. A family whose `ignorable` patterns swallow the planted unexpected key
    raises AssertionError: such patterns would hide any stray tensor.
    """
    import torch

    need = [k for k in state_dict if k in set(required)]
    if not need:
        raise AssertionError("the checkpoint holds none of the tensors the model requires")
    shaped = [k for k in need if state_dict[k].ndim >= 1]
    hiding = [p for p in ignorable if fnmatch.fnmatchcase(UNEXPECTED_KEY, p)]
    if hiding:
        raise AssertionError(
            f"ignorable_keys pattern(s) {hiding} match the unexpected key {UNEXPECTED_KEY!r}: "
            "they would let any stray tensor through; name the ignorable keys precisely"
        )
    drop = need[len(need) // 2]  # one from the middle: neither the embeddings nor the head
    missing = {k: v for k, v in state_dict.items() if k != drop}
    extra = dict(state_dict)
    extra[UNEXPECTED_KEY] = torch.zeros(2, 3)
    out = {"missing": (drop, missing), "unexpected": (UNEXPECTED_KEY, extra)}
    if shaped:
        key = shaped[len(shaped) // 2]
        t = state_dict[key]
        bad = dict(state_dict)
        bad[key] = torch.cat((t, t[:1]), dim=0)
        out["misshaped"] = (key, bad)
    return out


def write_weights_copy(src: str | Path, dst: str | Path, state_dict: Mapping[str, torch.Tensor]) -> Path:
    """A copy of checkpoint directory `src` in `dst` whose weights are `state_dict` (safetensors)."""
    s, d = Path(src), Path(dst)
    d.mkdir(parents=True, exist_ok=True)
    for f in s.iterdir():
        if f.name in WEIGHT_FILES or f.suffix in (".safetensors", ".bin") or f.name.endswith(".index.json"):
            continue
        if f.is_dir():
            shutil.copytree(f, d / f.name)
        else:
            shutil.copyfile(f, d / f.name)
    write_weights(d, state_dict)
    return d
