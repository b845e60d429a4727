"""Checkpoint files: config.json, tensors read safely (safetensors first), loaded strictly by key."""

from __future__ import annotations

import fnmatch
import json
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import CheckpointError, NewWeightsWarning

if TYPE_CHECKING:
    from types import FrameType

    import torch


__all__ = [
    "WEIGHT_FILES",
    "WeightsFormat",
    "find_weights_file",
    "load_state_dict_strict",
    "read_config",
    "read_state_dict",
    "report_new_weights",
]

# a new head is reported every time, not once per call site (a notebook loads the same line twice)
warnings.simplefilter("always", NewWeightsWarning)

WeightsFormat = Literal["safetensors", "bin"]
# looked for in this order: safetensors first, pickle-free .bin loading last
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


def read_config(path: str | Path) -> dict[str, Any]:
    """The checkpoint's config.json as a dict."""
    f = Path(path) / "config.json"
    if not f.is_file():
        raise CheckpointError(f"{path}: no config.json (looked for config.json and {WEIGHT_FILES})")
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{f}: not valid JSON ({exc})") from None


def find_weights_file(path: str | Path) -> Path:
    """The weights file of a checkpoint directory, safetensors preferred."""
    p = Path(path)
    for name in WEIGHT_FILES:
        if (p / name).is_file():
            return p / name
    present = sorted(x.name for x in p.iterdir()) if p.is_dir() else []
    raise CheckpointError(
        f"{p}: no weights file; looked for {', '.join(WEIGHT_FILES)}; found {present or 'nothing'}"
    )


def read_state_dict(file: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a safetensors file (or index), or of a .bin through `weights_only=True`."""
    import torch

    f = Path(file)
    try:
        if f.name.endswith(".index.json"):
            index = json.loads(f.read_text())
            out: dict[str, torch.Tensor] = {}
            for shard in sorted(set(index["weight_map"].values())):
                out.update(read_state_dict(f.parent / shard))
            return out
        if f.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(f))
        obj = torch.load(str(f), map_location="cpu", weights_only=True)
    except CheckpointError:
        raise
    except Exception as exc:
        raise CheckpointError(
            f"{f}: cannot read weights ({type(exc).__name__}: {_reason(exc)}); "
            "the file may be truncated or not a tensor file"
        ) from None
    if isinstance(obj, Mapping) and "state_dict" in obj and isinstance(obj["state_dict"], Mapping):
        obj = obj["state_dict"]
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"{f}: holds a {type(obj).__name__}, not a dict of tensors")
    bad = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise CheckpointError(f"{f}: entries that are not tensors: {bad[:5]}")
    return dict(obj)


def _reason(exc: BaseException) -> str:
    """The telling part of a reader's error: one line, no terminal escapes, no advice to load unsafely."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    _, found, rest = text.partition("WeightsUnpickler error:")
    if found:  # torch's weights_only refusal: what it refused follows this marker
        text = rest.split(". Please", 1)[0]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:200] if lines else "no message"


def load_state_dict_strict(
    module: torch.nn.Module,
    state_dict: Mapping[str, torch.Tensor],
    *,
    ignore: Iterable[str] = (),
    tied: Mapping[str, str] | None = None,
    source: str = "checkpoint",
    new: Iterable[str] = (),
) -> list[str]:
    """Load `state_dict` into `module` by its original key names; any mismatch is an error.

    `ignore` holds fnmatch patterns of checkpoint keys that may be present and are dropped
    (e.g. an untrained pooler); `tied` maps alias keys to the key they share storage with:
    an alias may be present (it must then equal its source, shape and values) or absent.
    `new` holds fnmatch patterns of module keys the checkpoint may lack (a task head to train):
    those it lacks are returned, sorted, as real but uninitialised tensors for the caller to fill.
    """
    import torch

    tied = dict(tied or {})
    patterns = tuple(ignore)
    new_patterns = tuple(new)
    expected = {k: tuple(v.shape) for k, v in module.state_dict(keep_vars=True).items()}
    required = {k: s for k, s in expected.items() if k not in tied}
    got = {}
    unexpected = []
    for key, tensor in state_dict.items():
        if key in required:
            got[key] = tensor
        elif (key in tied and key in expected) or any(fnmatch.fnmatchcase(key, p) for p in patterns):
            continue  # a tied alias the module has (re-tied below), or a declared ignorable
        else:
            unexpected.append(key)
    absent = sorted(set(required) - set(got))
    fresh = [k for k in absent if any(fnmatch.fnmatchcase(k, p) for p in new_patterns)]
    missing = [k for k in absent if k not in fresh]
    shapes = [
        f"{k}: checkpoint {tuple(t.shape)}, model {required[k]}"
        for k, t in got.items()
        if tuple(t.shape) != required[k]
    ]
    untied = []
    for alias, src in tied.items():
        if alias not in expected or alias not in state_dict or src not in state_dict:
            continue
        a, s = state_dict[alias], state_dict[src]
        if a.shape != s.shape:
            shapes.append(f"{alias}: tied to {src} but shaped {tuple(a.shape)}")
        elif not torch.equal(a, s.to(a.dtype)):  # dropping it would silently change the model
            untied.append(f"{alias} differs from {src}, which it is tied to")
    if missing or unexpected or shapes or untied:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)}: {', '.join(missing)}")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)}: {', '.join(sorted(unexpected))}")
        if shapes:
            parts.append(f"wrong shape {len(shapes)}: {'; '.join(shapes)}")
        if untied:
            parts.append(f"untied {len(untied)}: {'; '.join(untied)}")
        raise CheckpointError(f"{source} does not match the model: " + " | ".join(parts))
    on_meta = any(p.is_meta for p in module.parameters())
    if fresh:
        current = module.state_dict(keep_vars=True)
        dtype = next((t.dtype for t in got.values() if t.is_floating_point()), torch.float32)
        got.update({k: torch.empty(required[k], dtype=dtype if current[k].is_floating_point()
                                   else current[k].dtype) for k in fresh})
    with torch.no_grad():
        module.load_state_dict(got, strict=False, assign=on_meta)
    for alias, src in tied.items():  # re-tie: assigning replaced the source's storage
        if alias in expected:
            owner, _, leaf = alias.rpartition(".")
            setattr(module.get_submodule(owner), leaf, _tensor_at(module, src))
    left = [n for n, t in [*module.named_parameters(), *module.named_buffers()] if t.is_meta]
    if left:
        raise CheckpointError(f"tensors left uninitialised after loading: {left}")
    return fresh


def _caller_level() -> int:
    """The stack level of the first frame outside dnallm_zoo (the user's call), for warnings.warn."""
    import sys

    package = str(Path(__file__).resolve().parent)
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def report_new_weights(
    names: Iterable[str], *, model: str, source: str, stacklevel: int | None = None
) -> None:
    """Warn, as transformers does, that the named weights were not in the checkpoint and are new.

    The warning points at the first caller outside dnallm_zoo unless `stacklevel` is given.
    """
    names = list(names)
    if not names:
        return
    warnings.warn(
        f"Some weights of {model} were not initialized from the model checkpoint at {source} and are "
        f"newly initialized: {names}\nYou should probably TRAIN this model on a down-stream task to be "
        "able to use it for predictions and inference.",
        NewWeightsWarning,
        stacklevel=_caller_level() if stacklevel is None else stacklevel + 1,
    )


def _tensor_at(module: torch.nn.Module, key: str) -> torch.Tensor:
    owner, _, leaf = key.rpartition(".")
    return getattr(module.get_submodule(owner), leaf)


def write_weights(
    path: str | Path, state_dict: Mapping[str, torch.Tensor], fmt: WeightsFormat = "safetensors"
) -> Path:
    """Write `model.safetensors` (shared storage copied apart) or `pytorch_model.bin` (as given) in `path`."""
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    if fmt == "safetensors":
        from safetensors.torch import save_file

        tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state_dict.items()}
        save_file(tensors, str(p / "model.safetensors"), metadata={"format": "pt"})
        return p / "model.safetensors"
    if fmt == "bin":
        import torch

        torch.save(dict(state_dict), p / "pytorch_model.bin")
        return p / "pytorch_model.bin"
    raise ValueError(f"weights format must be 'safetensors' or 'bin', not {fmt!r}")
