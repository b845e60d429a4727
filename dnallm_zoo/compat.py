"""DNALLM-style loading: `load_model_and_tokenizer(model_name_or_path=...)` keeps working.

DNALLM's real signature is `load_model_and_tokenizer(model_name, task_config, source=...,
revision=...)`; its documentation calls it with `model_name_or_path=` and no task config. Both work
here, with no remote code: the returned model is a `ZooModel` (a `transformers.PreTrainedModel`) whose
`model(**tokenizer(seq, return_tensors="pt")).last_hidden_state` is the embedding, and whose
`task_config` head (binary, multiclass, multilabel, regression, token) is built when the checkpoint
lacks it, ready for `transformers.Trainer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ._hf_model import ZooModel
from ._loading import load
from ._lora import load_lora, merge_lora
from ._tasks import DNALLM_TASK_TYPES
from .errors import ZooError

if TYPE_CHECKING:
    from .tokenize.base import DNATokenizer

__all__ = ["ZooModel", "load_lora", "load_model_and_tokenizer", "merge_lora"]


def _field(task_config: Any, name: str, default: Any = None) -> Any:
    if task_config is None:
        return default
    if isinstance(task_config, Mapping):
        return task_config.get(name, default)
    return getattr(task_config, name, default)


def load_model_and_tokenizer(
    model_name: str | Path | None = None,
    task_config: Any = None,
    source: str = "local",
    use_mirror: bool = False,
    revision: str | None = None,
    custom_tokenizer: Any = None,
    quantization_config: Any = None,
    random_init: bool = False,
    random_init_seed: int = 42,
    *,
    model_name_or_path: str | Path | None = None,
    device: str | torch.device = "auto",
    dtype: str | torch.dtype = "auto",
) -> tuple[ZooModel, DNATokenizer]:
    """Load a zoo model the way DNALLM users call it; returns `(model, tokenizer)`.

    `task_config` (an object or a dict with `task_type`, `num_labels`, `label_names`) picks the head:
    `mask` gives masked-LM logits; `binary`/`multiclass`/`multilabel`/`regression` a sequence head and
    `token` a per-token head: the checkpoint's own, or a new one in the family's original layout
    (reported with the names of its new tensors); anything else (`embedding`) the bare encoder.
    """
    name = model_name if model_name is not None else model_name_or_path
    if name is None:
        raise TypeError("load_model_and_tokenizer() needs model_name or model_name_or_path")
    if model_name is not None and model_name_or_path is not None:
        raise TypeError("give model_name or model_name_or_path, not both")
    if source == "modelscope":
        raise ZooError("source='modelscope' is not supported by dnallm-zoo; use 'huggingface' or 'local'")
    if source not in ("local", "huggingface"):
        raise ZooError(f"unknown source {source!r}; use 'local' or 'huggingface'")
    for what, value in (("custom_tokenizer", custom_tokenizer),
                        ("quantization_config", quantization_config)):
        if value is not None:
            raise ZooError(f"{what} is not supported by dnallm-zoo")
    if random_init:
        raise ZooError("random_init is not supported: dnallm-zoo loads original weights only")
    del use_mirror, random_init_seed  # DNALLM options without an effect here
    task_type = str(_field(task_config, "task_type", "embedding"))
    if task_type in DNALLM_TASK_TYPES:
        task, problem_type, _ = DNALLM_TASK_TYPES[task_type]
        names = _field(task_config, "label_names")
        encoder = load(
            name, device=device, dtype=dtype, revision=revision, task=task,
            num_labels=_field(task_config, "num_labels"), labels=list(names) if names else None,
            problem_type=problem_type,
        )
        head = None
    else:
        encoder = load(name, device=device, dtype=dtype, revision=revision)
        head = "none"
        if task_type == "mask":
            if encoder.spec.task != "masked-lm":
                raise ZooError(f"{encoder.spec.id} has no masked-LM head (it is a {encoder.spec.task} model)")
            head = "mlm"
    model = ZooModel(encoder, head=head)
    model.eval()
    return model, encoder.tokenizer
