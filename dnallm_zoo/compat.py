"""DNALLM-style loading: `load_model_and_tokenizer(model_name_or_path=...)` keeps working.

DNALLM's real signature is `load_model_and_tokenizer(model_name, task_config, source=...,
revision=...)`; its documentation calls it with `model_name_or_path=` and no task config. Both work
here, with no remote code: the returned model is a `torch.nn.Module` whose
`model(**tokenizer(seq, return_tensors="pt")).last_hidden_state` is the embedding.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ._encoder import DNAEncoder, EncoderOutput
from ._loading import load
from .errors import InputError, ZooError

if TYPE_CHECKING:
    from .tokenize.base import DNATokenizer

__all__ = ["ZooModel", "load_model_and_tokenizer"]

_CLASSIFICATION = ("binary", "multiclass", "multilabel", "regression")


class ZooModel(torch.nn.Module):
    """A `DNAEncoder` as a module: HF-style keyword forward, output with `last_hidden_state`."""

    def __init__(self, encoder: DNAEncoder, *, head: str = "none") -> None:
        super().__init__()
        self.encoder = encoder
        self.model = encoder.module  # registered, so .to(), .eval(), .parameters() reach it
        self.head = head
        self.config = encoder.config

    @property
    def device(self) -> torch.device:
        return self.encoder.device

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        return_dict: bool = True,
        **unused: Any,
    ) -> EncoderOutput:
        """Run the encoder; `logits` are the masked-LM or classifier head's when one was asked for."""
        if token_type_ids is not None and bool(token_type_ids.ne(0).any()):
            raise InputError("token_type_ids other than 0 (sequence pairs) are not supported")
        if input_ids.dim() == 1:
            input_ids = input_ids.unsqueeze(0)
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        self.encoder.check_length(input_ids.shape[-1])
        dev = self.encoder.device
        return self.encoder.forward(
            input_ids.to(dev), attention_mask.to(dev),
            output_hidden_states=output_hidden_states, with_logits=self.head != "none",
        )


def _task_type(task_config: Any) -> str:
    if task_config is None:
        return "embedding"
    if isinstance(task_config, Mapping):
        return str(task_config.get("task_type", "embedding"))
    return str(getattr(task_config, "task_type", "embedding"))


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

    `task_config.task_type` (an object or a dict) picks the head: `mask` gives masked-LM logits,
    `binary`/`multiclass`/`multilabel`/`regression` the checkpoint's classifier, anything else
    (`embedding`) the bare encoder.
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
    task = _task_type(task_config)
    encoder = load(name, device=device, dtype=dtype, revision=revision)
    if task == "mask":
        if encoder.spec.task != "masked-lm":
            raise ZooError(f"{encoder.spec.id} has no masked-LM head (it is a {encoder.spec.task} model)")
        head = "mlm"
    elif task in _CLASSIFICATION:
        if encoder.spec.task != "sequence-classification":
            raise ZooError(
                f"{encoder.spec.id} has no classification head; pick a fine-tuned model "
                "(`dnallm-zoo list --task sequence-classification`)"
            )
        head = "classifier"
    elif task == "token":
        raise ZooError("token classification is not supported by dnallm-zoo")
    else:
        head = "none"
    model = ZooModel(encoder, head=head)
    model.eval()
    return model, encoder.tokenizer
