"""LoRA adapters saved by `ZooModel.lora()`: loaded onto a fresh model, or merged into its weights."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ._hf_model import ZooModel
from .errors import ZooError

if TYPE_CHECKING:
    from peft import PeftModel

__all__ = ["load_lora", "merge_lora"]


def load_lora(model: ZooModel, adapter_dir: str | Path, *, is_trainable: bool = False) -> PeftModel:
    """Saved adapters (and the head saved with them) onto a freshly loaded `model` with the same head."""
    try:
        from peft import PeftModel
    except ImportError:  # pragma: no cover - the extra is installed where the tests run
        raise ZooError("LoRA needs peft: pip install 'dnallm-zoo[finetune]'") from None
    return PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=is_trainable)


def merge_lora(peft_model: PeftModel) -> ZooModel:
    """The adapters merged into the weights: a plain `ZooModel`, saved in the original layout."""
    merged = peft_model.merge_and_unload()
    if not isinstance(merged, ZooModel):
        raise ZooError(f"merging gave a {type(merged).__name__}, not a ZooModel")
    return merged
