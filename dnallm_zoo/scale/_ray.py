"""Ray itself: importing it with a clear message when the extra is missing, connecting, sizing the pool."""

from __future__ import annotations

import math
import time
from types import ModuleType
from typing import Any

from ..errors import InputError, RuntimeConfigError

__all__ = ["ClusterShape", "actor_pool", "connect", "require_ray"]

INSTALL_HINT = "pip install 'dnallm-zoo[ray]'"


def require_ray() -> ModuleType:
    """The `ray` module, or a `RuntimeConfigError` saying how to install it."""
    try:
        import ray
        import ray.data  # Ray Data comes with the `data` extra of ray
    except ImportError as exc:
        raise RuntimeConfigError(f"the Ray engine needs Ray Data ({exc.name or exc} is not installed): "
                                 f"{INSTALL_HINT}") from None
    return ray


def connect(address: str | None = None, **init: Any) -> float:
    """Join the Ray cluster at `address` ('auto': the one `ray start` made here; None: Ray's own
    default, which starts a local one), unless this process is connected already; the seconds it took."""
    ray = require_ray()
    if ray.is_initialized():
        return 0.0
    from ray._private import ray_constants

    t0 = time.perf_counter()
    before = ray_constants.ENABLE_RAY_CLUSTER
    if address is None:  # a cluster of this machine alone: its servers listen on loopback only
        ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        ray.init(address=address, **init)
    except ConnectionError as exc:
        raise InputError(f"cannot reach the Ray cluster at {address!r}: {exc}") from None
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = before
    return time.perf_counter() - t0


class ClusterShape:
    """CPUs and GPUs the cluster has now (`ray.cluster_resources()`)."""

    def __init__(self, resources: dict[str, float]) -> None:
        self.cpus = float(resources.get("CPU", 0.0))
        self.gpus = float(resources.get("GPU", 0.0))

    @classmethod
    def current(cls) -> ClusterShape:
        return cls(require_ray().cluster_resources())


def actor_pool(shape: ClusterShape, *, actors: int | None, cpus_per_actor: float, gpus_per_actor: float,
               read_cpus: float = 1.0) -> int:
    """How many actors to run: `actors`, or as many as the GPUs (else CPUs) allow.

    One read task needs `read_cpus` CPUs beside the pool: a pool holding every CPU leaves the reads
    none, and the dataset waits for ever. Asking for more than the cluster has is an error naming
    both numbers.
    """
    if cpus_per_actor < 0 or gpus_per_actor < 0:
        raise InputError("CPUs and GPUs per actor must not be negative")
    free_cpus = shape.cpus - read_cpus
    if gpus_per_actor > 0:
        if shape.gpus < gpus_per_actor:
            raise InputError(f"each actor asks for {gpus_per_actor:g} GPUs; the Ray cluster has "
                             f"{shape.gpus:g}")
        by_gpu = math.floor(shape.gpus / gpus_per_actor + 1e-9)
        fit = by_gpu if cpus_per_actor == 0 else min(by_gpu, math.floor(free_cpus / cpus_per_actor + 1e-9))
    else:
        if cpus_per_actor == 0:
            raise InputError("an actor needs CPUs or GPUs (cpus per actor 0 and no GPU asked for)")
        fit = math.floor(free_cpus / cpus_per_actor + 1e-9)
    if actors is None:
        if fit < 1:
            raise InputError(
                f"the Ray cluster has {shape.cpus:g} CPUs: one actor of {cpus_per_actor:g} CPUs and a read "
                f"task of {read_cpus:g} do not fit; ask for fewer CPUs per actor"
            )
        return fit
    if actors < 1:
        raise InputError(f"--actors must be at least 1, got {actors}")
    if actors > fit:
        need = actors * cpus_per_actor + read_cpus
        raise InputError(
            f"{actors} actors of {cpus_per_actor:g} CPUs and {gpus_per_actor:g} GPUs, with a CPU for "
            f"reading, need {need:g} CPUs and {actors * gpus_per_actor:g} GPUs; the Ray cluster has "
            f"{shape.cpus:g} CPUs and {shape.gpus:g} GPUs (at most {max(fit, 0)} such actors fit)"
        )
    return actors
