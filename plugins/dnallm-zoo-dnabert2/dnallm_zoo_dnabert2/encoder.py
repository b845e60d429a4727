"""`DNABERT2Encoder`: the native MosaicBERT (modeling.py) behind the `DNAEncoder` contract."""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from dnallm_zoo import (
    CheckpointError,
    DNAEncoder,
    EncoderOutput,
    ModelSpec,
)

from .modeling import DNABERT2Config, DNABERT2ForMaskedLM, build_mlm_model

__all__ = ["DNABERT2Encoder"]


class DNABERT2Encoder(DNAEncoder):
    """DNABERT-2 loaded strictly under the original keys (``bert.*``, ``cls.*``); no remote code.

    The original files hold no pooler and no ALiBi buffer, so nothing is ignorable. The MLM decoder
    weight is the word-embedding matrix: a file may carry it (then it must equal the embeddings) or not.
    """

    ignorable_keys: ClassVar[tuple[str, ...]] = ()
    tied_keys: ClassVar[dict[str, str]] = {
        "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
    }

    module: DNABERT2ForMaskedLM

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> torch.nn.Module:
        try:
            cfg = DNABERT2Config.from_dict(config)
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"config.json of {spec.id}: {exc}") from None
        return build_mlm_model(cfg, device="meta")

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        *,
        output_hidden_states: bool = False,
        with_logits: bool = False,
    ) -> EncoderOutput:
        """Hidden states with padded positions exactly 0; `with_logits` adds the masked-LM logits."""
        last, hidden = self.module.bert(
            input_ids, attention_mask, output_hidden_states=output_hidden_states
        )
        return EncoderOutput(
            last_hidden_state=last,
            attention_mask=attention_mask,
            hidden_states=hidden,
            logits=self.module.cls(last) if with_logits else None,
        )
