"""Comparing models: every model x dataset x method, over folds and seeds (`dnallm-zoo benchmark`).

Modules: `plan` (the models and datasets checked before any model work, folds, cells), `runner`
(each cell trained by `dnallm_zoo.finetune` and scored by `evaluate`'s code, written atomically,
resumable), `results` (results.parquet, results.md), `plots` (PNG pictures). Needs the extra
`dnallm-zoo[finetune]` (plots: `[plot]`); the names below are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

if TYPE_CHECKING:
    from ..finetune.config import BenchmarkSettings, DatasetEntry
    from .plan import prepare
    from .runner import run_benchmark

__getattr__ = lazy_getattr(__name__, {
    "BenchmarkSettings": "..finetune.config", "DatasetEntry": "..finetune.config", "prepare": ".plan",
    "run_benchmark": ".runner",
})

__all__ = ["BenchmarkSettings", "DatasetEntry", "prepare", "run_benchmark"]
