"""Sizing the actor pool from the cluster's CPUs and GPUs: a CPU is always left for reading."""

from __future__ import annotations

import pytest

from dnallm_zoo.errors import InputError
from dnallm_zoo.scale._ray import ClusterShape, actor_pool


def shape(cpus: float, gpus: float = 0.0) -> ClusterShape:
    return ClusterShape({"CPU": cpus, "GPU": gpus, "memory": 1e9})


def test_the_default_pool_leaves_a_cpu_for_the_read_tasks() -> None:
    assert actor_pool(shape(2), actors=None, cpus_per_actor=1, gpus_per_actor=0) == 1
    assert actor_pool(shape(16), actors=None, cpus_per_actor=1, gpus_per_actor=0) == 15
    assert actor_pool(shape(16), actors=None, cpus_per_actor=4, gpus_per_actor=0) == 3
    assert actor_pool(shape(2), actors=None, cpus_per_actor=0.5, gpus_per_actor=0) == 2


def test_with_gpus_the_pool_has_an_actor_per_gpu_share_that_the_cpus_allow() -> None:
    assert actor_pool(shape(64, 8), actors=None, cpus_per_actor=1, gpus_per_actor=1) == 8
    assert actor_pool(shape(64, 8), actors=None, cpus_per_actor=1, gpus_per_actor=0.5) == 16
    assert actor_pool(shape(4, 8), actors=None, cpus_per_actor=1, gpus_per_actor=1) == 3
    assert actor_pool(shape(1, 2), actors=None, cpus_per_actor=0, gpus_per_actor=1) == 2


def test_a_pool_that_would_take_every_cpu_or_more_is_refused_with_the_numbers() -> None:
    with pytest.raises(InputError, match=r"2 actors of 1 CPUs and 0 GPUs, with a CPU for reading, need 3 CPUs"
                                         r".* has 2 CPUs and 0 GPUs \(at most 1 such actors fit\)"):
        actor_pool(shape(2), actors=2, cpus_per_actor=1, gpus_per_actor=0)
    with pytest.raises(InputError, match=r"has 1 CPUs: one actor of 1 CPUs and a read task of 1 do not fit"):
        actor_pool(shape(1), actors=None, cpus_per_actor=1, gpus_per_actor=0)
    with pytest.raises(InputError, match=r"each actor asks for 1 GPUs; the Ray cluster has 0"):
        actor_pool(shape(8), actors=None, cpus_per_actor=1, gpus_per_actor=1)
    assert actor_pool(shape(8, 2), actors=2, cpus_per_actor=2, gpus_per_actor=1) == 2
