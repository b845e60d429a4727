"""Device and dtype negotiation: what the spec allows, intersected with what this machine has."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._names import DTYPE_ALIASES
from ._spec import ModelSpec
from .errors import RuntimeConfigError

if TYPE_CHECKING:
    import torch

__all__ = ["available_devices", "cpu_has_native_bf16", "resolve_device", "resolve_dtype"]



def available_devices() -> list[str]:
    """Device kinds this machine has, best first."""
    import torch

    out = []
    if torch.cuda.is_available():
        out.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        out.append("mps")
    out.append("cpu")
    return out


def cpu_has_native_bf16() -> bool:
    """True when the CPU has AMX or AVX512-BF16 (otherwise bf16 matmul is emulated and slow)."""
    try:
        with open("/proc/cpuinfo") as fh:
            flags = fh.read()
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


def resolve_device(spec: ModelSpec, device: str | torch.device = "auto") -> torch.device:
    """`auto` picks cuda > mps > cpu among what the spec supports; anything else is checked."""
    import torch

    have = available_devices()
    if str(device) == "auto":
        for kind in have:
            if kind in spec.capabilities.devices:
                return torch.device(kind)
        raise RuntimeConfigError(
            f"{spec.id} runs on {list(spec.capabilities.devices)}; this machine has {have}"
        )
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise RuntimeConfigError(
            f"unknown device {device!r}; use 'auto', cpu, cuda or mps (e.g. 'cuda:0')"
        ) from None
    if dev.type not in spec.capabilities.devices:
        raise RuntimeConfigError(
            f"{spec.id} does not support device {dev.type!r}; it runs on "
            f"{list(spec.capabilities.devices)}"
        )
    if dev.type not in have:
        raise RuntimeConfigError(f"device {dev.type!r} is not available here; this machine has {have}")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise RuntimeConfigError(f"no {dev}: this machine has {torch.cuda.device_count()} GPU(s)")
    return dev


def resolve_dtype(
    spec: ModelSpec, device: torch.device, dtype: str | torch.dtype = "auto"
) -> torch.dtype:
    """`auto` picks the fastest dtype the spec allows on the device (never bf16 on a slow CPU)."""
    import torch

    allowed = spec.capabilities.dtypes.get(device.type, ())
    if not allowed:
        raise RuntimeConfigError(f"{spec.id} lists no dtype for device {device.type!r}")
    if str(dtype) == "auto":
        if device.type == "cuda":
            prefs = ["bfloat16", "float16", "float32"]
            if not torch.cuda.is_bf16_supported():
                prefs.remove("bfloat16")
        elif device.type == "mps":
            prefs = ["float16", "float32"]
        else:
            prefs = ["bfloat16", "float32"] if cpu_has_native_bf16() else ["float32"]
        for name in prefs:
            if name in allowed:
                return getattr(torch, name)
        return getattr(torch, allowed[0])
    name = str(dtype).removeprefix("torch.")
    canon = DTYPE_ALIASES.get(name)
    if canon is None:
        raise RuntimeConfigError(f"unknown dtype {dtype!r}; use float32, float16 or bfloat16")
    if canon not in allowed:
        raise RuntimeConfigError(
            f"{spec.id} does not run in {canon} on {device.type}; it allows {list(allowed)}"
        )
    if canon == "bfloat16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise RuntimeConfigError("this GPU does not support bfloat16")
    return getattr(torch, canon)
