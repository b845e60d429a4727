"""Device and dtype negotiation, on this machine and on simulated CUDA / MPS machines."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
import torch

from dnallm_zoo import ModelSpec
from dnallm_zoo import _runtime as runtime
from dnallm_zoo._runtime import available_devices, cpu_has_native_bf16, resolve_device, resolve_dtype
from dnallm_zoo.errors import RuntimeConfigError

BASE: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "minimal_spec.json").read_text(encoding="utf-8")
)


def spec(dtypes: dict[str, list[str]] | None = None) -> ModelSpec:
    """A spec running on the devices `dtypes` names (default: the core's defaults)."""
    data = copy.deepcopy(BASE)
    if dtypes is not None:
        data["capabilities"].update(devices=list(dtypes), dtypes=dtypes)
    return ModelSpec.model_validate(data)


DEFAULT = spec()  # cpu: fp32; cuda: fp32, fp16, bf16; mps: fp32, fp16
CPU_ONLY = spec({"cpu": ["float32"]})
CPU_BF16 = spec({"cpu": ["float32", "bfloat16"]})
CUDA_FP32 = spec({"cpu": ["float32"], "cuda": ["float32"]})


@pytest.fixture
def cpu_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine with neither CUDA nor MPS and no native bf16."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setattr(runtime, "cpu_has_native_bf16", lambda: False)


@pytest.fixture
def cuda_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two simulated GPUs with bf16 support (nothing is allocated on them)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


# ---- this machine ---------------------------------------------------------------------------------


def test_available_devices_here() -> None:
    have = available_devices()
    assert have[-1] == "cpu"
    assert ("cuda" in have) == torch.cuda.is_available()


def test_auto_on_this_machine() -> None:
    dev = resolve_device(CPU_ONLY, "auto")
    assert dev == torch.device("cpu")
    assert resolve_dtype(CPU_ONLY, dev, "auto") == torch.float32
    # bf16 only where the CPU computes it natively
    expected = torch.bfloat16 if cpu_has_native_bf16() else torch.float32
    assert resolve_dtype(CPU_BF16, dev, "auto") == expected


# ---- a CPU-only machine ---------------------------------------------------------------------------


@pytest.mark.usefixtures("cpu_machine")
def test_cpu_auto() -> None:
    assert available_devices() == ["cpu"]
    for s in (DEFAULT, CPU_ONLY, CPU_BF16):
        dev = resolve_device(s)
        assert dev == torch.device("cpu")
        assert resolve_dtype(s, dev) == torch.float32  # never bf16 without native support


@pytest.mark.usefixtures("cpu_machine")
def test_cpu_native_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "cpu_has_native_bf16", lambda: True)
    cpu = torch.device("cpu")
    assert resolve_dtype(CPU_BF16, cpu) == torch.bfloat16
    assert resolve_dtype(CPU_ONLY, cpu) == torch.float32  # the spec decides what is allowed


@pytest.mark.usefixtures("cpu_machine")
def test_cpu_explicit() -> None:
    assert resolve_device(DEFAULT, "cpu") == torch.device("cpu")
    assert resolve_device(DEFAULT, torch.device("cpu")) == torch.device("cpu")
    cpu = torch.device("cpu")
    for name in ("float32", "fp32", "float", "torch.float32", torch.float32):
        assert resolve_dtype(DEFAULT, cpu, name) == torch.float32
    for name in ("bfloat16", "bf16", torch.bfloat16):
        assert resolve_dtype(CPU_BF16, cpu, name) == torch.bfloat16  # asked for: allowed, if slow


@pytest.mark.usefixtures("cpu_machine")
@pytest.mark.parametrize(
    ("wanted", "needles"),
    [
        ("cuda", ["device 'cuda' is not available here", "['cpu']"]),
        ("cuda:0", ["device 'cuda' is not available here"]),
        ("mps", ["device 'mps' is not available here"]),
        ("tpu", ["'tpu'", "cpu, cuda or mps"]),
        ("gpu", ["'gpu'"]),
        ("", ["''"]),
        ("cpu:x", ["'cpu:x'"]),
    ],
)
def test_device_refused(wanted: str, needles: list[str]) -> None:
    with pytest.raises(RuntimeConfigError) as info:
        resolve_device(DEFAULT, wanted)
    for needle in needles:
        assert needle in str(info.value)


@pytest.mark.usefixtures("cpu_machine")
def test_device_the_spec_lacks() -> None:
    with pytest.raises(RuntimeConfigError, match=r"tiny-3 does not support device 'mps'.*\['cpu'\]"):
        resolve_device(CPU_ONLY, "mps")
    gpu_only = spec({"cuda": ["float16"]})
    with pytest.raises(RuntimeConfigError, match=r"tiny-3 runs on \['cuda'\]; this machine has \['cpu'\]"):
        resolve_device(gpu_only, "auto")


@pytest.mark.usefixtures("cpu_machine")
@pytest.mark.parametrize(
    ("s", "dtype", "needle"),
    [
        (DEFAULT, "float16", "tiny-3 does not run in float16 on cpu; it allows ['float32']"),
        (DEFAULT, "bf16", "tiny-3 does not run in bfloat16 on cpu"),
        (DEFAULT, torch.float16, "does not run in float16"),
        (DEFAULT, "int8", "unknown dtype 'int8'; use float32, float16 or bfloat16"),
        (DEFAULT, torch.float64, "unknown dtype torch.float64"),
        (DEFAULT, "FLOAT32!", "unknown dtype"),
    ],
)
def test_dtype_refused(s: ModelSpec, dtype: Any, needle: str) -> None:
    with pytest.raises(RuntimeConfigError) as info:
        resolve_dtype(s, torch.device("cpu"), dtype)
    assert needle in str(info.value)


def test_dtype_for_a_device_the_spec_lacks() -> None:
    with pytest.raises(RuntimeConfigError, match="tiny-3 lists no dtype for device 'cuda'"):
        resolve_dtype(CPU_ONLY, torch.device("cuda"), "auto")


# ---- simulated CUDA and MPS -----------------------------------------------------------------------


@pytest.mark.usefixtures("cuda_machine")
def test_cuda_auto() -> None:
    assert available_devices() == ["cuda", "cpu"]
    dev = resolve_device(DEFAULT)
    assert dev == torch.device("cuda")
    assert resolve_dtype(DEFAULT, dev) == torch.bfloat16
    assert resolve_dtype(spec({"cuda": ["float32", "float16"]}), dev) == torch.float16
    assert resolve_dtype(CUDA_FP32, dev) == torch.float32
    assert resolve_device(CPU_ONLY) == torch.device("cpu")  # the spec rules out the GPU


@pytest.mark.usefixtures("cuda_machine")
def test_cuda_without_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    dev = torch.device("cuda")
    assert resolve_dtype(DEFAULT, dev) == torch.float16
    assert resolve_dtype(spec({"cuda": ["bfloat16", "float32"]}), dev) == torch.float32
    with pytest.raises(RuntimeConfigError, match="does not support bfloat16"):
        resolve_dtype(DEFAULT, dev, "bfloat16")
    assert resolve_dtype(DEFAULT, dev, "fp16") == torch.float16


@pytest.mark.usefixtures("cuda_machine")
def test_cuda_explicit() -> None:
    assert resolve_device(DEFAULT, "cuda:1") == torch.device("cuda", 1)
    assert resolve_device(DEFAULT, "cuda") == torch.device("cuda")
    with pytest.raises(RuntimeConfigError, match=r"no cuda:2: this machine has 2 GPU\(s\)"):
        resolve_device(DEFAULT, "cuda:2")
    assert resolve_device(DEFAULT, "cpu") == torch.device("cpu")
    with pytest.raises(RuntimeConfigError, match="does not run in float16 on cuda"):
        resolve_dtype(CUDA_FP32, torch.device("cuda", 1), "half")


@pytest.mark.usefixtures("cuda_machine")
def test_mps_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert available_devices() == ["cuda", "mps", "cpu"]
    mps_cpu = spec({"cpu": ["float32"], "mps": ["float32", "float16"]})
    dev = resolve_device(mps_cpu)
    assert dev == torch.device("mps")
    assert resolve_dtype(mps_cpu, dev) == torch.float16
    assert resolve_dtype(spec({"mps": ["float32"]}), dev) == torch.float32


# ---- the bf16 probe -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "native"),
    [
        ("fpu vme avx2 avx512f", False),
        ("fpu avx512f avx512_bf16 avx512_vnni", True),
        ("fpu amx_bf16 amx_tile", True),
        (None, False),
    ],
)
def test_cpu_bf16_probe(monkeypatch: pytest.MonkeyPatch, flags: str | None, native: bool) -> None:
    def fake_open(path: str, *args: Any, **kwargs: Any) -> io.StringIO:
        assert path == "/proc/cpuinfo"
        if flags is None:
            raise OSError("no /proc here")
        return io.StringIO(f"processor\t: 0\nflags\t\t: {flags}\n")

    monkeypatch.setattr(runtime, "open", fake_open, raising=False)
    assert cpu_has_native_bf16() is native
